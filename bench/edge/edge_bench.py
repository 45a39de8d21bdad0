#!/usr/bin/env python3
"""`bench/run edge`: the storefront edge against nginx serving the same pages from files.

bench/run builds the binaries, makes the work directory and starts this script in a process
group of its own; this script seeds the tenants, starts both servers, drives them with wrk
(HTTP/1.1) and h2load (HTTP/2) in interleaved rounds, prints a table and writes the JSON.
Every process it starts is stopped by PID when it returns or is signalled (bench/run also
signals the whole group).
"""

import argparse
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time

PLATFORM_DOMAIN = "bench.test"
CORES = os.cpu_count() or 1
TICK_SECONDS = 1 / os.sysconf("SC_CLK_TCK")
# The anchors' loads (shared/anchors/perf): the generator shares the two cores with the server.
WRK_LOAD = ["-t1", "-c64"]
ERROR_KINDS = ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
H2LOAD_LOAD = ["-t1", "-c32", "-m10"]
# Parallel `openssl s_time -new` clients: each one handshakes on one connection at a time.
HANDSHAKE_CLIENTS = 4
# The scenarios nio-minimal runs in: those whose targets compare the edge's req/s with nginx's.
NIO_SCENARIOS = ("hot", "rotating", "h2")
# The JSON's name for each of those scenarios in nio-minimal's ratios.
NIO_RATIO_KEYS = {"h1": "hot", "rotating_h1": "rotating", "h2": "h2"}
ROUNDS = 3
MIXED_WRITES_PER_SECOND = 10
# What nginx's pages take per tenant (a 1,000-tenant docroot: 280 MB on tmpfs), with room to spare.
PAGES_BYTES_PER_TENANT = 400_000

HERE = os.path.dirname(os.path.abspath(__file__))


STARTED = time.monotonic()


def log(message):
    """Progress on stderr, with the time since the benchmark started."""
    elapsed = int(time.monotonic() - STARTED)
    print(f"edge-bench [{elapsed // 60}:{elapsed % 60:02d}]: {message}", file=sys.stderr, flush=True)


class Failure(Exception):
    pass


def generate(arguments, seconds, env):
    """Runs a load generator for a run of `seconds`; one that hangs (a server that stopped
    accepting) fails the benchmark instead of stalling it."""
    try:
        return subprocess.run(arguments, env=env, capture_output=True, text=True, check=True,
                              timeout=seconds + 30).stdout
    except subprocess.TimeoutExpired:
        raise Failure(f"{arguments[0]} did not finish within {seconds + 30} s: {' '.join(arguments)}") from None


# MARK: - Processes


class Processes:
    """The servers this script started; stop() and stop_all() end them by PID."""

    def __init__(self):
        self.running = []

    def start(self, arguments, **options):
        process = subprocess.Popen(arguments, **options)
        self.running.append(process)
        return process

    def stop(self, process, grace=15):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process in self.running:
            self.running.remove(process)

    def stop_all(self):
        for process in reversed(list(self.running)):
            self.stop(process, grace=5)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_ticks(pids):
    """utime + stime of the processes, in clock ticks."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


def machine_ticks():
    """The machine's busy and idle time since boot, over all cores, in clock ticks."""
    with open("/proc/stat") as stat:
        fields = [int(field) for field in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]) - idle, idle


def rss_mb(pids):
    total_kb = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                pass
    return found


# MARK: - Servers


class Edge:
    def __init__(self, processes, binary, work, ports):
        self.processes = processes
        self.binary = binary
        self.work = work
        self.port, self.http_port, self.admin_port = ports
        self.process = None

    def start(self, cache_mb):
        stdout_path = os.path.join(self.work, "edge.out")
        with open(stdout_path, "w") as stdout, open(os.path.join(self.work, "edge.log"), "a") as stderr:
            # The working directory is the work directory: edge serve keeps its development
            # certificates in ./certs, and nginx serves the same files.
            self.process = self.processes.start(
                [
                    self.binary, "serve",
                    "--data-dir", os.path.join(self.work, "data"),
                    "--listen", f"127.0.0.1:{self.port}",
                    "--http-listen", f"127.0.0.1:{self.http_port}",
                    "--admin-listen", f"127.0.0.1:{self.admin_port}",
                    "--platform-domain", PLATFORM_DOMAIN,
                    "--cache-mb", str(cache_mb),
                ],
                cwd=self.work,
                stdout=stdout,
                stderr=stderr,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Failure(f"edge serve exited with {self.process.returncode}; see {self.work}/edge.log")
            with open(stdout_path) as announced:
                if any(line.startswith("https:") for line in announced):
                    return
            time.sleep(0.1)
        raise Failure("edge serve did not announce its HTTPS listener within 60 s")

    def stop(self):
        self.processes.stop(self.process)
        self.process = None

    def pids(self):
        return [self.process.pid]

    def cache_counters(self):
        """(hits, misses) of the page cache so far, from /metrics on the admin listener."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection("127.0.0.1", self.admin_port, context=context, timeout=10)
        try:
            connection.request("GET", "/metrics")
            text = connection.getresponse().read().decode()
        finally:
            connection.close()
        values = {}
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name in ("edge_cache_hits_total", "edge_cache_misses_total"):
                values[name] = float(value)
        return values.get("edge_cache_hits_total", 0.0), values.get("edge_cache_misses_total", 0.0)


class Nginx:
    def __init__(self, processes, work, port, docroot):
        self.processes = processes
        self.prefix = os.path.join(work, "nginx")
        self.port = port
        self.docroot = docroot
        self.process = None
        self.certs = os.path.join(work, "certs")

    def configuration(self, pages):
        # As strong as nginx gets for this job: a worker per core, files from the page cache
        # with open_file_cache, access log off, keep-alive long enough that the runs never
        # reconnect (the default keepalive_requests 1000 forces handshakes mid-run). Debian's
        # compiled-in temp path is not writable for a non-root user, hence the prefix.
        # open_file_cache keeps a descriptor per cached file in every worker: it must leave
        # room under the open-files limit for the connections, or accept() fails with EMFILE.
        # Workers can raise their limit only up to the hard limit (they have dropped privileges
        # by then).
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if limit == resource.RLIM_INFINITY:
            limit = 1 << 20
        cached_files = max(1000, min(pages, limit - 8192))
        return f"""
daemon off;
master_process on;
worker_processes {CORES};
worker_rlimit_nofile {limit};
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    client_body_temp_path {self.prefix}/body;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    open_file_cache max={cached_files} inactive=120s;
    open_file_cache_valid 120s;
    types {{
        "text/css; charset=utf-8" css;
        "text/javascript; charset=utf-8" js;
    }}
    default_type "text/html; charset=utf-8";
    server {{
        listen 127.0.0.1:{self.port} ssl http2;
        server_name .{PLATFORM_DOMAIN};
        ssl_certificate {self.certs}/platform.pem;
        ssl_certificate_key {self.certs}/platform-key.pem;
        ssl_protocols TLSv1.3;
        # One document root per tenant host, as edge-seed wrote them; an unknown host finds
        # no directory and gets 404.
        root {self.docroot}/$host;
        add_header Cache-Control no-cache;
    }}
}}
"""

    def start(self, pages):
        os.makedirs(self.prefix, exist_ok=True)
        path = os.path.join(self.prefix, "nginx.conf")
        with open(path, "w") as conf:
            conf.write(self.configuration(pages))
        test = subprocess.run(["nginx", "-t", "-p", self.prefix, "-c", path], capture_output=True, text=True)
        if test.returncode != 0:
            raise Failure("nginx rejects its configuration:\n" + test.stderr)
        self.process = self.processes.start(
            ["nginx", "-p", self.prefix, "-c", path],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.prefix, "stderr.log"), "w"),
        )
        deadline = time.monotonic() + 20
        while len(children(self.process.pid)) < CORES:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise Failure(f"nginx did not start its workers; see {self.prefix}/error.log")
            time.sleep(0.1)

    def stop(self):
        self.processes.stop(self.process)

    def pids(self):
        return [self.process.pid] + children(self.process.pid)


class MinimalNIO:
    """nio-minimal: the anchors' minimal SwiftNIO server (shared/anchors/perf) on these pages,
    from memory through TLS, ALPN and NIO's HTTP handlers with one prepared answer per request.
    The issue states its figures beside the targets; here they are measured in the same rounds."""

    def __init__(self, processes, binary, work, port, docroot):
        self.processes = processes
        self.binary = binary
        self.work = work
        self.port = port
        self.docroot = docroot
        self.process = None

    def start(self):
        certs = os.path.join(self.work, "certs")
        self.process = self.processes.start(
            [self.binary, "--docroot", self.docroot, "--port", str(self.port),
             "--cert", os.path.join(certs, "platform.pem"), "--key", os.path.join(certs, "platform-key.pem")],
            stdout=subprocess.PIPE, stderr=open(os.path.join(self.work, "nio-minimal.log"), "w"), text=True)
        announced = self.process.stdout.readline()
        if not announced.startswith("listening"):
            raise Failure(f"nio-minimal did not start; see {self.work}/nio-minimal.log")

    def stop(self):
        self.processes.stop(self.process)

    def pids(self):
        return [self.process.pid]


# MARK: - Load generators


class Load:
    def __init__(self, work, targets, tenant_hosts):
        self.targets = targets
        self.hot_host = tenant_hosts[0]
        # wrk offers AES-256-GCM first; pin the suite both servers negotiate with h2load too.
        self.openssl_conf = os.path.join(work, "openssl.cnf")
        with open(self.openssl_conf, "w") as conf:
            conf.write(
                "openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n"
                "[ssl_sect]\nsystem_default = system_default_sect\n"
                "[system_default_sect]\nCiphersuites = TLS_AES_128_GCM_SHA256\nMinProtocol = TLSv1.3\n"
            )
        self.env = dict(os.environ, OPENSSL_CONF=self.openssl_conf)
        self.h2_uris = os.path.join(work, "h2-uris")
        self.h2_log = os.path.join(work, "h2load.log")
        # h2load sends one :authority for every request, so HTTP/2 uses the hot tenant's
        # pages, in the wrk script's mix.
        with open(targets) as lines:
            self.hot_paths = {}
            for line in lines:
                kind, host, path = line.split()
                if host == self.hot_host:
                    self.hot_paths.setdefault(kind, []).append(path)

    def warm(self, port):
        generate(["wrk", *WRK_LOAD, "-d600s", "-s", os.path.join(HERE, "warm.lua"), f"https://127.0.0.1:{port}/",
                  "--", self.targets], 600, self.env)

    def wrk(self, port, seconds, mode, close=False):
        """One wrk run; mode "all" rotates over every tenant, "one" requests the hot tenant."""
        arguments = ["wrk", *WRK_LOAD, f"-d{seconds}s", "--timeout", "5s",
                     "-s", os.path.join(HERE, "shoppers.lua"), f"https://127.0.0.1:{port}/",
                     "--", self.targets, mode] + (["close"] if close else [])
        output = generate(arguments, seconds, self.env)
        result = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
        seconds = result["duration_us"] / 1e6
        return {
            "rps": result["requests"] / seconds,
            "requests": result["requests"],
            "p50_ms": result["p50_us"] / 1000,
            "p99_ms": result["p99_us"] / 1000,
            "errors": sum(result[key] for key in ERROR_KINDS),
            # Kept apart as well, so a run with errors says which.
            **{key: result[key] for key in ERROR_KINDS},
        }

    def handshakes(self, port, seconds):
        """Full TLS 1.3 handshakes (no resumption, no request) from parallel s_time clients.

        wrk and h2load resume sessions on reconnect (wrk keeps the session across SSL_clear),
        so only s_time -new measures what a first visit costs.
        """
        arguments = ["openssl", "s_time", "-connect", f"127.0.0.1:{port}", "-new", "-time", str(seconds),
                     "-ciphersuites", "TLS_AES_128_GCM_SHA256"]
        started = time.monotonic()
        clients = [subprocess.Popen(arguments, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    text=True) for _ in range(HANDSHAKE_CLIENTS)]
        try:
            outputs = [client.communicate(timeout=seconds + 30)[0] for client in clients]
        except subprocess.TimeoutExpired:
            for client in clients:
                client.kill()
                client.wait()
            raise Failure(f"openssl s_time did not finish within {seconds + 30} s") from None
        elapsed = time.monotonic() - started
        connections, errors = 0, 0
        for client, output in zip(clients, outputs):
            counted = [line for line in output.splitlines() if "connections in" in line and "real" not in line]
            if client.returncode != 0 or not counted:
                errors += 1
                continue
            connections += int(counted[0].split()[0])
        return {"rps": connections / elapsed, "requests": connections, "p50_ms": None, "p99_ms": None,
                "errors": errors}

    def h2load(self, port, seconds):
        mix = ["home", "product", "category", "asset", "home", "product", "category", "home", "product", "asset"]
        cursors = dict.fromkeys(self.hot_paths, 0)
        with open(self.h2_uris, "w") as uris:
            for step in range(10 * len(self.hot_paths["product"])):
                kind = mix[step % len(mix)]
                paths = self.hot_paths[kind]
                uris.write(f"https://127.0.0.1:{port}{paths[cursors[kind] % len(paths)]}\n")
                cursors[kind] += 1
        # No --warm-up-time: h2load then leaves the warm-up's requests out of its count while the
        # server's CPU time still includes them, which overstated CPU per request by (D + 1) / D
        # (1.5× with --quick). The scenario's unmeasured warm-up run (`prepare`) does that job.
        arguments = ["h2load", *H2LOAD_LOAD, "-D", str(seconds),
                     "--tls13-ciphers", "TLS_AES_128_GCM_SHA256", "-H", f":authority: {self.hot_host}",
                     "--log-file", self.h2_log, "-i", self.h2_uris]
        output = generate(arguments, seconds, self.env)
        fields = {}
        for line in output.splitlines():
            if line.startswith("finished in"):
                fields["rps"] = float(line.split(",")[1].split()[0])
            elif line.startswith("requests:"):
                numbers = [int(word) for word in line.replace(",", " ").split() if word.isdigit()]
                fields["requests"] = numbers[3]
                fields["errors"] = numbers[4] + numbers[5] + numbers[6]
            elif line.startswith("status codes:"):
                numbers = [int(word) for word in line.replace(",", " ").split() if word.isdigit()]
                fields["errors"] = fields.get("errors", 0) + numbers[2] + numbers[3]
        # h2load prints no percentiles; its log has every request's duration in microseconds.
        with open(self.h2_log) as entries:
            durations = sorted(int(line.split("\t")[2]) for line in entries if line.strip())
        if "rps" not in fields or not durations:
            raise Failure("cannot read h2load's output:\n" + output)
        fields["p50_ms"] = durations[len(durations) // 2] / 1000
        fields["p99_ms"] = durations[min(len(durations) - 1, len(durations) * 99 // 100)] / 1000
        return fields


def measured(server, run):
    """Runs `run` and adds the server's CPU time per request (µs) to its result, the rest of the
    machine's busy time per request (the load generator, the kernel's work for it, anything
    else) and its idle time per request, and for the edge the share of its page-cache lookups
    that hit during the run.

    The load generator shares the cores, so a request costs the machine the sum of the three:
    req/s is the cores' time over that sum, and a server's CPU saving moves req/s only by its
    share of it."""
    pids = server.pids()
    counters = getattr(server, "cache_counters", None)
    cache_before = counters() if counters else None
    before = cpu_ticks(pids)
    busy_before, idle_before = machine_ticks()
    result = run()
    busy_after, idle_after = machine_ticks()
    per_request = TICK_SECONDS * 1e6 / max(1, result["requests"])
    result["cpu_us_per_request"] = (cpu_ticks(pids) - before) * per_request
    result["rest_us_per_request"] = (busy_after - busy_before) * per_request - result["cpu_us_per_request"]
    result["idle_us_per_request"] = (idle_after - idle_before) * per_request
    if counters:
        hits, misses = (after - earlier for after, earlier in zip(counters(), cache_before))
        result["cache_hit_ratio"] = hits / (hits + misses) if hits + misses else None
    return result


# MARK: - Checks before measuring


def fetch(port, host, path):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def default_certificate_names(port, ca_path):
    """The DNS names of the certificate a client without a tenant SNI name gets."""
    context = ssl.create_default_context(cafile=ca_path)
    context.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw) as tls:
            return [value for kind, value in tls.getpeercert().get("subjectAltName", ()) if kind == "DNS"]


def check_servers(edge_port, nginx_port, nio_port, targets, ca_path):
    """The servers answer the tenant hosts over the default certificate with the same bytes."""
    names = default_certificate_names(edge_port, ca_path)
    if f"*.{PLATFORM_DOMAIN}" not in names:
        raise Failure(f"the edge's default certificate names {names}, not *.{PLATFORM_DOMAIN}")
    with open(targets) as lines:
        entries = [line.split() for line in lines]
    for kind, host, path in entries[:: max(1, len(entries) // 40)]:
        edge_status, edge_body = fetch(edge_port, host, path)
        nginx_status, nginx_body = fetch(nginx_port, host, path)
        nio_status, nio_body = fetch(nio_port, host, path)
        if edge_status == 421:
            raise Failure(f"the edge answers 421 for Host {host} on a connection without its SNI name")
        if (edge_status, nginx_status) != (200, 200) or edge_body != nginx_body:
            raise Failure(
                f"{host}{path}: edge {edge_status} ({len(edge_body)} B) and nginx {nginx_status} "
                f"({len(nginx_body)} B) differ"
            )
        if (nio_status, nio_body) != (nginx_status, nginx_body):
            raise Failure(f"{host}{path}: nio-minimal answers {nio_status} ({len(nio_body)} B), not nginx's page")
    log(f"checked: default certificate names {', '.join(names)}; edge, nginx and nio-minimal serve identical pages")


# MARK: - Mixed scenario


class AdminWriter:
    """Configuration writes through the admin API at a fixed rate while shoppers browse."""

    def __init__(self, edge_binary, work, admin_port, tenants):
        self.edge_binary = edge_binary
        self.work = work
        self.admin_port = admin_port
        self.tenants = tenants
        self.token = None

    def unavailable_reason(self):
        """None when the admin API answers and a token can be minted, else why not."""
        try:
            status, _ = self.request("GET", "/healthz")
        except OSError:
            return "admin API not available"
        if status != 200:
            return f"admin API not available: GET /healthz answered {status}"
        minted = subprocess.run(
            [self.edge_binary, "token", "--data-dir", os.path.join(self.work, "data"), "--role", "platform-admin"],
            cwd=self.work, capture_output=True, text=True,
        )
        if minted.returncode != 0 or not minted.stdout.strip():
            return f"no admin token: edge token failed: {minted.stderr.strip()}"
        self.token = minted.stdout.strip().splitlines()[-1]
        return None

    def request(self, method, path, body=None):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection("127.0.0.1", self.admin_port, context=context, timeout=5)
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def write_while(self, run):
        """Runs `run` while writing branding sections; returns its result and the failed writes."""
        stop = threading.Event()
        failures = [0]

        def writer():
            count = 0
            while not stop.is_set():
                tenant_id = self.tenants[count % len(self.tenants)]
                colour = f"#{(count * 2654435761) % 0xFFFFFF:06x}"
                body = json.dumps({"colors": {"primary": colour}})
                try:
                    status, _ = self.request("PUT", f"/api/tenants/{tenant_id}/config/branding", body)
                    failures[0] += status >= 300
                except OSError:
                    failures[0] += 1
                count += 1
                stop.wait(1 / MIXED_WRITES_PER_SECOND)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            result = run()
        finally:
            stop.set()
            thread.join()
        return result, failures[0]


# MARK: - Report


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def same_round_ratio(rounds, scenario, baseline="nginx", baseline_scenario=None, server="edge"):
    """The median over rounds of `server`'s req/s in `scenario` divided by the baseline's in the
    same round: nginx (or nio-minimal) in the same scenario, or the server itself in
    `baseline_scenario`."""
    return median([r[server][scenario]["rps"] / r[baseline][baseline_scenario or scenario]["rps"] for r in rounds])


def milliseconds(value):
    return "–" if value is None else f"{value:.2f} ms"


def summarize(runs):
    return {key: median([run[key] for run in runs]) for key in runs[0]} if runs else None


def report(results, settings):
    edge, nginx = results["edge"], results["nginx"]
    rounds = results["rounds"]

    rows = [
        ("h1 one tenant hot", "hot"),
        ("h1 all tenants rotating", "rotating"),
        ("h2 one tenant (h2load)", "h2"),
        ("h1 Connection: close (resumed)", "reconnect"),
        ("full TLS handshakes (s_time)", "handshakes"),
        ("h1 cold (--cache-mb 1)", "cold"),
        ("h1 mixed (admin writes 10/s)", "mixed"),
        ("h1 read-only, beside mixed", "read_only"),
    ]
    lines = []
    header = (f"{'scenario':<30} {'edge req/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'cpu µs/req':>10}"
              f" {'hits':>6} │ {'nginx req/s':>11} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'cpu µs/req':>10}"
              f" │ {'edge/nginx':>10}")
    lines += [header, "─" * len(header)]

    def cells(result):
        if result is None:
            return f"{'–':>10} {'–':>7} {'–':>7} {'–':>6} {'–':>10}"
        percentiles = " ".join("      –" if result[key] is None else f"{result[key]:>7.2f}"
                               for key in ("p50_ms", "p99_ms"))
        return (f"{result['rps']:>10,.0f} {percentiles} {result['errors']:>6.0f}"
                f" {result['cpu_us_per_request']:>10.1f}")

    for label, scenario in rows:
        if edge.get(scenario) is None:
            lines.append(f"{label:<30} skipped: {results['mixed_skipped']}")
            continue
        both = scenario in nginx
        shown_ratio = f"{same_round_ratio(rounds, scenario):>10.2f}" if both else f"{'–':>10}"
        hit_ratio = edge[scenario].get("cache_hit_ratio")
        hits = f"{hit_ratio:>6.1%}" if hit_ratio is not None else f"{'–':>6}"
        lines.append(f"{label:<30} {cells(edge[scenario])} {hits} │  {cells(nginx.get(scenario))} │ {shown_ratio}")
    lines.append("")
    lines.append("hits: the edge's page-cache hit ratio during the runs, from its /metrics "
                 "(handshake runs send no requests)")
    lines.append("")
    lines.append("nio-minimal, the anchors' minimal SwiftNIO server, on the same pages from memory (TLS, ALPN,")
    lines.append("NIO's HTTP/1 decoder or HTTP/2 handler, one prepared answer; no routing, rendering, cache, metrics")
    lines.append("or logs), in the same rounds:")
    for label, scenario in rows:
        if scenario in NIO_SCENARIOS:
            nio = results["nio"][scenario]
            lines.append(
                f"  {label:<28} {nio['rps']:>10,.0f} req/s  p99 {milliseconds(nio['p99_ms']):>9}  "
                f"cpu {nio['cpu_us_per_request']:>5.1f} µs/req  nio/nginx "
                f"{same_round_ratio(rounds, scenario, server='nio'):.2f}×  edge/nio "
                f"{same_round_ratio(rounds, scenario, baseline='nio'):.2f}×")
    lines.append("")
    lines.append("each request's share of the two cores (µs; medians over rounds): the server's CPU, the rest of the")
    lines.append("machine's busy time (load generator, its kernel work, anything else), and idle time:")
    for label, scenario in rows:
        if scenario not in NIO_SCENARIOS:
            continue
        shares = []
        for name, result in (("edge", edge[scenario]), ("nginx", nginx[scenario]), ("nio", results["nio"][scenario])):
            shares.append(f"{name} {result['cpu_us_per_request']:4.1f} + {result['rest_us_per_request']:4.1f}"
                          f" + {result['idle_us_per_request']:4.1f}")
        lines.append(f"  {label:<28} " + "   ".join(shares))
    lines.append(
        f"RSS after warm-up: edge {results['rss_mb']:.0f} MB (peak {results['edge_peak_rss_mb']:.0f} MB), "
        f"nginx {results['nginx_rss_mb']:.0f} MB (master + {CORES} workers); edge/nginx "
        f"{results['rss_mb'] / results['nginx_rss_mb']:.1f}×"
    )
    lines.append(
        f"{settings['tenants']} tenants, {settings['pages']} URLs ({settings['working_set_mb']:.0f} MiB), "
        f"cache budget {settings['cache_mb']} MiB, {ROUNDS} rounds × {settings['duration']} s, "
        f"wrk {' '.join(WRK_LOAD)}, h2load {' '.join(H2LOAD_LOAD)}, {HANDSHAKE_CLIENTS} s_time clients, "
        f"TLS 1.3 TLS_AES_128_GCM_SHA256, nginx's pages on {settings['nginx_pages_on']}"
    )
    lines.append("")
    lines.append("targets:")
    for target in results["targets"]:
        verdict = {True: "pass", False: "FAIL", None: "n/a"}[target["pass"]]
        lines.append(f"  {verdict:<4}  {target['name']:<58} {target['measured']}")
    return "\n".join(lines)


def mixed_vs_read_only(results):
    """The median of each round's mixed req/s over its read-only round's."""
    return median([mixed["rps"] / read["rps"] for mixed, read in zip(results["mixed_runs"], results["read_only_runs"])])


def targets(results, settings):
    edge, nginx, rounds = results["edge"], results["nginx"], results["rounds"]
    rotating = same_round_ratio(rounds, "rotating")
    p99 = edge["rotating"]["p99_ms"], nginx["rotating"]["p99_ms"]
    h2 = same_round_ratio(rounds, "h2")
    nio_rotating = same_round_ratio(rounds, "rotating", server="nio")
    nio_p99 = results["nio"]["rotating"]["p99_ms"]
    nio_h2 = same_round_ratio(rounds, "h2", server="nio")
    handshakes = same_round_ratio(rounds, "handshakes")
    rotating_vs_hot = same_round_ratio(rounds, "rotating", baseline="edge", baseline_scenario="hot")
    budget = settings["cache_mb"] + 64
    found = [
        ("HTTP/1.1 rotating ≥ 1.1× nginx req/s", rotating >= 1.1,
         f"{rotating:.3f}× (nio-minimal {nio_rotating:.3f}×)"),
        ("HTTP/1.1 rotating p99 ≤ nginx p99", p99[0] <= p99[1],
         f"{p99[0]:.2f} ms vs {p99[1]:.2f} ms (nio-minimal {nio_p99:.2f} ms)"),
        ("HTTP/2 ≥ 1.0× nginx req/s (one tenant)", h2 >= 1.0, f"{h2:.3f}× (nio-minimal {nio_h2:.3f}×)"),
        ("TLS handshakes ≥ 1.0× nginx", handshakes >= 1.0, f"{handshakes:.3f}×"),
        ("rotating ≥ 0.9× one tenant hot", rotating_vs_hot >= 0.9, f"{rotating_vs_hot:.3f}×"),
    ]
    if edge.get("mixed") is None:
        found.append(("mixed ≥ 0.8× read-only, zero errors", None, "skipped: " + results["mixed_skipped"]))
    else:
        mixed = mixed_vs_read_only(results)
        errors = edge["mixed"]["errors"] + results["mixed_write_failures"]
        found.append(("mixed ≥ 0.8× read-only, zero errors", mixed >= 0.8 and errors == 0,
                      f"{mixed:.3f}×, {errors:.0f} errors"))
    # The target is stated at 10,000 tenants (--tenants 10000); the rule holds at any count.
    found.append(("RSS ≤ cache budget + 64 MB (target at 10,000 tenants)", results["rss_mb"] <= budget,
                  f"{results['rss_mb']:.0f} MB vs {budget} MB at {settings['tenants']} tenants"))
    return [{"name": name, "pass": passed, "measured": text} for name, passed, text in found]


# MARK: - Main


def main():
    parser = argparse.ArgumentParser(prog="bench/run edge")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--memory-work", help="a directory on tmpfs for nginx's pages, used when it has room")
    parser.add_argument("--duration", type=int)
    options = parser.parse_args()
    duration = options.duration or (2 if options.quick else 10)
    work = options.work
    processes = Processes()
    # SIGTERM from bench/run's trap unwinds through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        run(options, duration, work, processes)
    except Failure as failure:
        log(f"failed: {failure}")
        return 1
    except subprocess.CalledProcessError as error:
        log(f"failed: {' '.join(map(str, error.cmd[:2]))} exited with {error.returncode}\n{error.stderr or ''}")
        return 1
    finally:
        processes.stop_all()
    return 0


def pages_directory(work, memory_work, tenants):
    """Where nginx's pages go, and on what: tmpfs when it has room for them and a spare GiB.

    This VM's kernel pages out file pages that nobody touched for a minute (DAMON's `pageout`
    scheme, /sys/kernel/mm/damon), free memory or not. Between two rounds of the rotating
    scenario most tenants' pages went untouched that long, and nginx read them back from a disk
    that stalls for up to 600 ms: its p99 rose to 0.7–1.4 s and its req/s fell to a third, which
    measured the disk and not nginx. Without swap, tmpfs pages stay, as the edge's cache does."""
    if memory_work:
        free = shutil.disk_usage(memory_work).free
        if free > tenants * PAGES_BYTES_PER_TENANT + (1 << 30):
            return os.path.join(memory_work, "docroot"), "tmpfs"
        log(f"nginx's pages go to the disk: {memory_work} has {free >> 20} MiB free")
    return os.path.join(work, "docroot"), "disk"


def run(options, duration, work, processes):
    edge_binary = os.path.join(options.bin, "edge")
    ports = [free_port() for _ in range(5)]
    docroot, docroot_medium = pages_directory(work, options.memory_work, options.tenants)
    targets_path = os.path.join(work, "targets")

    log(f"seeding {options.tenants} tenants and rendering their pages for nginx...")
    # The pages are rendered with the edge's HTTPS port, which its canonical URLs name.
    subprocess.run(
        [os.path.join(options.bin, "edge-seed"), "--data-dir", os.path.join(work, "data"), "--docroot", docroot,
         "--targets", targets_path, "--tenant-ids", os.path.join(work, "tenants"),
         "--tenants", str(options.tenants), "--platform-domain", PLATFORM_DOMAIN, "--port", str(ports[0])],
        check=True,
    )
    with open(targets_path) as lines:
        entries = [line.split() for line in lines]
    working_set = sum(os.path.getsize(os.path.join(docroot, host, "index.html" if path == "/" else path[1:]))
                      for _, host, path in entries)
    tenant_hosts = list(dict.fromkeys(host for _, host, _ in entries))
    # Room for every page twice (identity and gzip bodies are both kept) and the keys, so that
    # the warm scenarios measure hits; the cold one gets 1 MiB.
    cache_mb = max(64, int(working_set * 2 / 1_048_576) + 32)
    settings = {"tenants": len(tenant_hosts), "pages": len(entries), "working_set_mb": working_set / 1_048_576,
                "cache_mb": cache_mb, "duration": duration, "nginx_pages_on": docroot_medium}

    edge = Edge(processes, edge_binary, work, ports[:3])
    log(f"starting edge (cache {cache_mb} MiB) and nginx ({CORES} workers)...")
    edge.start(cache_mb)
    nginx = Nginx(processes, work, ports[3], docroot)
    nginx.start(len(entries))
    log("starting nio-minimal (the same pages from memory)...")
    nio = MinimalNIO(processes, os.path.join(options.bin, "nio-minimal"), work, ports[4], docroot)
    nio.start()
    check_servers(edge.port, nginx.port, nio.port, targets_path, os.path.join(work, "certs", "dev-ca.pem"))

    load = Load(work, targets_path, tenant_hosts)
    log(f"warming both servers: every one of the {len(entries)} URLs once...")
    load.warm(edge.port)
    load.warm(nginx.port)

    # Each scenario's drive, and what runs unmeasured right before it on the same server.
    scenarios = [
        ("hot", lambda port: load.wrk(port, duration, "one"), None),
        ("rotating", lambda port: load.wrk(port, duration, "all"), None),
        ("h2", lambda port: load.h2load(port, duration), lambda port: load.h2load(port, 1)),
        ("reconnect", lambda port: load.wrk(port, duration, "all", close=True), None),
        ("handshakes", lambda port: load.handshakes(port, duration), None),
    ]
    rounds, edge_rss, nginx_rss = [], [], []
    for number in range(1, ROUNDS + 1):
        round_results = {"edge": {}, "nginx": {}, "nio": {}}
        # The order of the servers reverses from round to round (edge, nginx, nio-minimal; then
        # nio-minimal, nginx, edge; …), so that a drift of the machine within a scenario's runs
        # favours none of them.
        for name, drive, prepare in scenarios:
            order = [("edge", edge), ("nginx", nginx)] + ([("nio", nio)] if name in NIO_SCENARIOS else [])
            for label, server in order if number % 2 else reversed(order):
                if prepare:
                    prepare(server.port)
                result = measured(server, lambda: drive(server.port))
                round_results[label][name] = result
                log(f"round {number}/{ROUNDS} {name:<10} {label:<7} {result['rps']:>9,.0f} /s  "
                    f"p99 {milliseconds(result['p99_ms'])}  errors {result['errors']:.0f}")
        edge_rss.append(rss_mb(edge.pids()))
        nginx_rss.append(rss_mb(nginx.pids()))
        rounds.append(round_results)
    with open(f"/proc/{edge.process.pid}/status") as status:
        peak_rss = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024

    nio.stop()

    # Cold before mixed: mixed changes tenants' colours, which gives their stylesheets new
    # fingerprints, and the URL list would then name stylesheets that no longer exist.
    log("restarting edge with --cache-mb 1 for the cold scenario...")
    edge.stop()
    edge.start(1)
    cold_runs = []
    for number in range(1, ROUNDS + 1):
        result = measured(edge, lambda: load.wrk(edge.port, duration, "all"))
        cold_runs.append(result)
        log(f"round {number}/{ROUNDS} cold       edge  {result['rps']:>9,.0f} req/s  "
            f"p99 {result['p99_ms']:.2f} ms  errors {result['errors']:.0f}")
    log(f"restarting edge with its {cache_mb} MiB cache and warming it for the mixed scenario...")
    edge.stop()
    edge.start(cache_mb)
    load.warm(edge.port)

    with open(os.path.join(work, "tenants")) as lines:
        tenant_ids = [line.split()[0] for line in lines]
    writer = AdminWriter(edge_binary, work, edge.admin_port, tenant_ids)
    skipped = writer.unavailable_reason()
    # Each mixed round is paired with a read-only round on the same server right beside it
    # (which goes first alternates), and the target compares the two: the rotating rounds ran
    # minutes earlier in another process, before the cold scenario, on a machine whose speed
    # drifts by more than the writes cost.
    mixed_runs, read_only_runs, write_failures = [], [], 0
    if skipped:
        log(f"mixed: skipped ({skipped})")
    else:
        def browse():
            return measured(edge, lambda: load.wrk(edge.port, duration, "all"))

        def mixed_round(number):
            nonlocal write_failures
            result, failures = writer.write_while(browse)
            mixed_runs.append(result)
            write_failures += failures
            log(f"round {number}/{ROUNDS} mixed      edge  {result['rps']:>9,.0f} req/s  "
                f"errors {result['errors']:.0f} + {failures} failed writes")

        def read_only_round(number):
            result = browse()
            read_only_runs.append(result)
            log(f"round {number}/{ROUNDS} read-only  edge  {result['rps']:>9,.0f} req/s  errors {result['errors']:.0f}")

        for number in range(1, ROUNDS + 1):
            for run_round in (mixed_round, read_only_round) if number % 2 else (read_only_round, mixed_round):
                run_round(number)

    edge.stop()
    nginx.stop()

    names = [name for name, _, _ in scenarios]
    results = {
        "rounds": rounds,
        "edge": {name: summarize([r["edge"][name] for r in rounds]) for name in names},
        "nginx": {name: summarize([r["nginx"][name] for r in rounds]) for name in names},
        "nio": {name: summarize([r["nio"][name] for r in rounds]) for name in NIO_SCENARIOS},
        "rss_mb": median(edge_rss),
        "edge_peak_rss_mb": peak_rss,
        "nginx_rss_mb": median(nginx_rss),
        "mixed_skipped": skipped,
        "mixed_write_failures": write_failures,
        "cold_runs": cold_runs,
        "mixed_runs": mixed_runs,
        "read_only_runs": read_only_runs,
    }
    results["edge"]["cold"] = summarize(cold_runs)
    results["edge"]["mixed"] = summarize(mixed_runs)
    results["edge"]["read_only"] = summarize(read_only_runs)
    results["targets"] = targets(results, settings)
    table = report(results, settings)
    print(table, flush=True)
    write_json(options.out, results, settings)


def write_json(path, results, settings):
    edge, nginx, rounds = results["edge"], results["nginx"], results["rounds"]
    document = {
        "benchmark": "edge",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": {**settings, "rounds": ROUNDS, "wrk": " ".join(WRK_LOAD), "h2load": " ".join(H2LOAD_LOAD),
                     "platform_domain": PLATFORM_DOMAIN, "cores": CORES, "handshake_clients": HANDSHAKE_CLIENTS},
        "notes": [
            "Every figure is the median of its rounds; ratios are medians of same-round ratios.",
            "h1_* is one tenant hot; rotating_* rotates the Host header over every tenant.",
            "nio_*: nio-minimal, the anchors' minimal SwiftNIO server (shared/anchors/perf), serving the same "
            "pages from memory, in the same rounds (hot, rotating, h2).",
            "HTTP/2 requests one tenant: h2load sends a single :authority per run.",
            "handshakes_per_s: full TLS 1.3 handshakes from parallel openssl s_time -new clients, no request.",
            "reconnect_*: wrk with Connection: close, a new connection per request; wrk resumes the TLS session.",
            "errors: non-2xx/3xx responses and socket errors, summed over all runs of all scenarios.",
            "cache_hit_ratio: page-cache hits / lookups during the rotating runs, from the edge's /metrics; "
            "cache_hit_ratio_by_scenario has every scenario's.",
            "machine_us_per_request: per request, the server's CPU (cpu), the rest of the machine's busy time "
            "(rest: the load generator, its kernel work, anything else) and idle time, from /proc/stat.",
        ],
        "h1_rps": edge["hot"]["rps"],
        "nginx_h1_rps": nginx["hot"]["rps"],
        "h1_p50_ms": edge["hot"]["p50_ms"],
        "nginx_h1_p50_ms": nginx["hot"]["p50_ms"],
        "h1_p99_ms": edge["hot"]["p99_ms"],
        "nginx_h1_p99_ms": nginx["hot"]["p99_ms"],
        "rotating_h1_rps": edge["rotating"]["rps"],
        "nginx_rotating_h1_rps": nginx["rotating"]["rps"],
        "rotating_h1_p99_ms": edge["rotating"]["p99_ms"],
        "nginx_rotating_h1_p99_ms": nginx["rotating"]["p99_ms"],
        "h2_rps": edge["h2"]["rps"],
        "nginx_h2_rps": nginx["h2"]["rps"],
        "h2_p99_ms": edge["h2"]["p99_ms"],
        "nginx_h2_p99_ms": nginx["h2"]["p99_ms"],
        "nio_h1_rps": results["nio"]["hot"]["rps"],
        "nio_rotating_h1_rps": results["nio"]["rotating"]["rps"],
        "nio_rotating_h1_p99_ms": results["nio"]["rotating"]["p99_ms"],
        "nio_h2_rps": results["nio"]["h2"]["rps"],
        "nio_cpu_us_per_request": {name: result["cpu_us_per_request"] for name, result in results["nio"].items()},
        "cold_h1_rps": edge["cold"]["rps"],
        "cold_h1_p99_ms": edge["cold"]["p99_ms"],
        "mixed_h1_rps": edge["mixed"]["rps"] if edge["mixed"] else None,
        "mixed_read_only_h1_rps": edge["read_only"]["rps"] if edge["read_only"] else None,
        "reconnect_h1_rps": edge["reconnect"]["rps"],
        "nginx_reconnect_h1_rps": nginx["reconnect"]["rps"],
        "handshakes_per_s": edge["handshakes"]["rps"],
        "nginx_handshakes_per_s": nginx["handshakes"]["rps"],
        "cpu_us_per_request": {name: result["cpu_us_per_request"] for name, result in edge.items() if result},
        "nginx_cpu_us_per_request": {name: result["cpu_us_per_request"] for name, result in nginx.items()},
        "machine_us_per_request": {
            name: {scenario: {share: by_scenario[scenario][f"{share}_us_per_request"]
                              for share in ("cpu", "rest", "idle")} for scenario in NIO_SCENARIOS}
            for name, by_scenario in (("edge", edge), ("nginx", nginx), ("nio", results["nio"]))
        },
        "rss_mb": results["rss_mb"],
        "peak_rss_mb": results["edge_peak_rss_mb"],
        "nginx_rss_mb": results["nginx_rss_mb"],
        "cache_hit_ratio": edge["rotating"].get("cache_hit_ratio"),
        "cache_hit_ratio_by_scenario": {name: result.get("cache_hit_ratio") for name, result in edge.items() if result},
        "errors": sum(run["errors"] for r in rounds for run in r["edge"].values())
        + sum(run["errors"] for run in results["cold_runs"] + results["mixed_runs"] + results["read_only_runs"])
        + results["mixed_write_failures"],
        "nginx_errors": sum(run["errors"] for r in rounds for run in r["nginx"].values()),
        "ratios": {
            "rotating_h1_vs_nginx": same_round_ratio(rounds, "rotating"),
            "h1_vs_nginx": same_round_ratio(rounds, "hot"),
            "h2_vs_nginx": same_round_ratio(rounds, "h2"),
            "handshakes_vs_nginx": same_round_ratio(rounds, "handshakes"),
            "reconnect_h1_vs_nginx": same_round_ratio(rounds, "reconnect"),
            "rotating_vs_hot": same_round_ratio(rounds, "rotating", baseline="edge", baseline_scenario="hot"),
            **{f"nio_{key}_vs_nginx": same_round_ratio(rounds, scenario, server="nio")
               for key, scenario in NIO_RATIO_KEYS.items()},
            **{f"{key}_vs_nio": same_round_ratio(rounds, scenario, baseline="nio")
               for key, scenario in NIO_RATIO_KEYS.items()},
            "mixed_vs_read_only": mixed_vs_read_only(results) if edge["mixed"] else None,
            "mixed_vs_rotating": edge["mixed"]["rps"] / edge["rotating"]["rps"] if edge["mixed"] else None,
            "rss_edge_vs_nginx": results["rss_mb"] / results["nginx_rss_mb"],
        },
        "targets": results["targets"],
        "rounds": rounds,
        "cold_rounds": results["cold_runs"],
        "mixed_rounds": results["mixed_runs"],
        "read_only_rounds": results["read_only_runs"],
    }
    temporary = path + ".tmp"
    with open(temporary, "w") as out:
        json.dump(document, out, indent=2)
        out.write("\n")
    os.replace(temporary, path)
    log(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
