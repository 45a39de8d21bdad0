#!/usr/bin/env python3
"""Memory of a server that closes connections itself, against clients that answer with a plain FIN.

Each client process opens a TLS connection, sends one request with `Connection: close`, reads
the response until the server closes, and closes its socket without close_notify (Python's
`ssl` sends none on close, like most client libraries and browsers). The server's RSS is
printed every second while the clients run and for a few seconds after.

    bench/edge/server-closes.py --pid PID --port 443 --host acme.bench.test [--clients 3] [--seconds 10]
"""
import argparse
import multiprocessing
import socket
import ssl
import time


def client(port: int, host: str, seconds: float, counts) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    done = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        raw = socket.create_connection(("127.0.0.1", port))
        # Without it the request waits for the delayed ACK of the client's Finished (40 ms).
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tls = context.wrap_socket(raw, server_hostname=host)
        tls.sendall(request)
        try:
            while tls.recv(65536):
                pass
        except (ssl.SSLError, ConnectionError):
            pass
        raw.close()
        done += 1
    counts.put(done)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pid", type=int, required=True, help="the server's process id")
    parser.add_argument("--port", type=int, required=True, help="the server's HTTPS port on 127.0.0.1")
    parser.add_argument("--host", required=True, help="the Host header and SNI name")
    parser.add_argument("--clients", type=int, default=3, help="client processes (default 3)")
    parser.add_argument("--seconds", type=float, default=10, help="how long the clients run (default 10)")
    arguments = parser.parse_args()

    counts = multiprocessing.Queue()
    clients = [
        multiprocessing.Process(target=client, args=(arguments.port, arguments.host, arguments.seconds, counts))
        for _ in range(arguments.clients)
    ]
    print(f"start: RSS {rss_mb(arguments.pid):.0f} MB", flush=True)
    for process in clients:
        process.start()
    for second in range(1, int(arguments.seconds) + 6):
        time.sleep(1)
        print(f"{second:3d} s: RSS {rss_mb(arguments.pid):.0f} MB", flush=True)
    for process in clients:
        process.join()
    total = sum(counts.get() for _ in clients)
    print(f"{total} connections closed by the server in {arguments.seconds:g} s ({total / arguments.seconds:.0f}/s)")


if __name__ == "__main__":
    main()
