#!/usr/bin/env python3
"""The machine's own CPU stalls, measured beside a latency benchmark.

Runs a fixed piece of pure computation (about 50 µs here) once a millisecond until it is sent
SIGTERM, then prints one JSON line: how many pieces ran, their p50, p99 and longest time, and
the share that took over five times the median. On an idle guest nothing but the hypervisor can make such a
piece take ten times its median: this VM's host takes its virtual CPUs away for hundreds of
microseconds to milliseconds at a time, which the guest's own steal counter does not show (a C
loop of 85 µs pieces, the guest otherwise idle: p90 0.49 ms, p99 1.0 ms, worst 8.9 ms). A
server request that overlaps such a gap is late by as much, whatever the server does, so a p99
is only as good as this figure lets it be: when over 1 % of the pieces ran five times slower
than the median, over 1 % of the time the machine ran at a fifth of its speed or less.

It runs in a process of its own so the benchmark's threads do not delay it, and costs about
5 % of one core. With `--windows` the JSON line also lists every slow piece as [wall-clock start
in seconds, duration in ms], so that a benchmark can line the slow pieces up with its requests.
"""

import json
import signal
import statistics
import sys
import time

PIECE_ITERATIONS = 2000
SLOW_FACTOR = 5


def main():
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    pieces = []
    while not stopping:
        wall = time.time()
        started = time.perf_counter()
        for _ in range(PIECE_ITERATIONS):
            pass
        pieces.append((wall, (time.perf_counter() - started) * 1000))
        time.sleep(0.001)
    timings = sorted(timing for _, timing in pieces)
    count = len(timings)
    summary = {
        "pieces": count,
        "p50_ms": statistics.median(timings) if timings else None,
        "p99_ms": timings[min(count - 1, int(count * 0.99))] if timings else None,
        "max_ms": timings[-1] if timings else None,
        "slow_share": sum(1 for timing in timings if timing > SLOW_FACTOR * timings[count // 2]) / count
        if timings else None,
    }
    if "--windows" in sys.argv and timings:
        summary["slow"] = [[wall, timing] for wall, timing in pieces if timing > SLOW_FACTOR * timings[count // 2]]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
