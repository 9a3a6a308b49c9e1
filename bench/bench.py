"""Runs the benchmark scenarios of issues 8 and 9 against release builds and writes bench/results/.

Called by bench/run, which builds everything first and starts a throw-away PostgreSQL for the
replica scenarios. Every server listens on a free loopback port and is stopped at the end; every
wait is bounded.
"""

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples", "python"))
from quota_client import QuotaClient  # noqa: E402


class Server:
    """A server process started on port 0; its port is read from its 'listening on' line."""

    def __init__(self, argv, name):
        self.name = name
        self.started = time.monotonic()
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.port = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            if "http://127.0.0.1:" in line:
                self.port = int(line.split("http://127.0.0.1:")[1].split()[0].rstrip("/"))
                break
        if self.port is None:
            self.stop()
            raise SystemExit(f"bench: {name} did not start")
        self.listening = time.monotonic()

    def status(self, key):
        """A /proc/PID/status figure in MiB (VmHWM: peak RSS, VmRSS: current)."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
        return None

    def cpu_seconds(self):
        """User plus system CPU the process has used so far (/proc/PID/stat utime and stime)."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def quota_load(binary, port, seconds, *flags):
    """One quota-load run against one server or, with a list of ports, against several replicas
    together; its -o json report, with the exit status and quota-load's own CPU seconds added."""
    ports = port if isinstance(port, list) else [port]
    servers = [flag for p in ports for flag in ("--server", f"http://127.0.0.1:{p}")]
    argv = [binary, *servers, "--duration", f"{seconds}s", "-o", "json", *flags]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if not run.stdout.strip():
        raise SystemExit(f"bench: quota-load {flags} failed: {run.stderr}")
    report = json.loads(run.stdout)
    report["exitStatus"] = run.returncode
    report["clientCpuSeconds"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return report


def loaded(servers, binary, port, seconds, *flags):
    """quota_load, with the CPU the servers used meanwhile added (`serverCpuSeconds`)."""
    before = sum(server.cpu_seconds() for server in servers)
    report = quota_load(binary, port, seconds, *flags)
    report["serverCpuSeconds"] = sum(server.cpu_seconds() for server in servers) - before
    return report


def micros_per(seconds, count):
    return round(seconds / count * 1e6, 1) if seconds is not None and count else None


def figures(report):
    latency = report["all"]["latencyMs"]
    return {
        "opsPerSecond": round(report["callsPerSecond"], 1),
        "requestsPerSecond": round(report["requestsPerSecond"], 1),
        "p50Ms": latency["p50"], "p99Ms": latency["p99"], "p999Ms": latency["p99.9"], "maxMs": latency["max"],
        "errors": report["errors"],
        "checkPassed": report["passed"] and report["exitStatus"] == 0,
        "checkViolations": (report.get("check") or {}).get("violations", [])[:5],
        # CPU per call (a batch of 100 counts 100), user plus system time: the server's and
        # quota-load's. Steadier than throughput on a shared machine, and it shows the client's share.
        "serverCpuMicrosPerCall": micros_per(report.get("serverCpuSeconds"), report["calls"]),
        "clientCpuMicrosPerCall": micros_per(report["clientCpuSeconds"], report["calls"]),
    }


SCENARIOS = [
    # name, connections, quota-load flags
    ("inspect, 32 conns", 32, ["--pools", "1", "--mix", "inspect=1"]),
    ("reserve+release, 32 conns", 32, ["--pools", "1", "--mix", "reserve=1,release=1"]),
    ("reserve+release batch 100, 32 conns", 32, ["--pools", "1", "--mix", "reserve=1,release=1", "--batch", "100"]),
    ("inspect, 256 conns", 256, ["--pools", "1", "--mix", "inspect=1"]),
    ("reserve+release, 256 conns", 256, ["--pools", "1", "--mix", "reserve=1,release=1"]),
]


def ratio(row):
    return "—" if row["ratioToNull"] is None else f"{row['ratioToNull']:.2f}"


def measure_null(args, null, connections):
    """The null server's requests/s at `connections`, measured right before the scenario it is
    compared with, so both see the same background load on the machine."""
    report = loaded([null], args.quota_load, null.port, args.duration, "--no-check", "--connections", str(connections),
                    "--mix", "inspect=1")
    return figures(report)


def run_scenario(args, null, store, name, connections, flags, servers):
    """One scenario row: the null server at the same connections, then quota-load against the
    servers (one, or several replicas together)."""
    reference = measure_null(args, null, connections)
    report = loaded(servers, args.quota_load, [server.port for server in servers], args.duration,
                    "--connections", str(connections), *flags)
    row = {"store": store, "scenario": name, "connections": connections, "replicas": len(servers), **figures(report)}
    row["nullRequestsPerSecond"] = reference["requestsPerSecond"]
    row["nullP99Ms"] = reference["p99Ms"]
    row["nullServerCpuMicrosPerRequest"] = reference["serverCpuMicrosPerCall"]
    row["nullClientCpuMicrosPerRequest"] = reference["clientCpuMicrosPerCall"]
    # An open-loop run's throughput is its rate: a ratio would say nothing.
    row["ratioToNull"] = None if "--rate" in flags else round(row["opsPerSecond"] / reference["requestsPerSecond"], 3)
    # Several replicas: the largest peak RSS of them (each is its own process).
    row["peakRssMiB"] = max(server.status("VmHWM") for server in servers)
    if len(servers) > 1:
        row["perServer"] = [{"opsPerSecond": round(part["callsPerSecond"], 1), "p99Ms": part["all"]["latencyMs"]["p99"],
                             "errors": part["errors"]} for part in report["servers"]]
    row["loadAverage"] = open("/proc/loadavg").read().split()[0]
    print(f"{store:8s} {name:42s} {row['opsPerSecond']:9.0f} ops/s  x{ratio(row)} of null "
          f"({reference['requestsPerSecond']:.0f}/s)  p50 {row['p50Ms']:.3f}  p99 {row['p99Ms']:.3f}  "
          f"p99.9 {row['p999Ms']:.3f} ms  CPU µs/call {row['serverCpuMicrosPerCall']} (null "
          f"{row['nullServerCpuMicrosPerRequest']}, client {row['clientCpuMicrosPerCall']})  "
          f"RSS {row['peakRssMiB']} MiB  errors {row['errors'] or 'none'}  "
          f"check {'ok' if row['checkPassed'] else 'FAILED ' + '; '.join(row['checkViolations'])}",
          flush=True)
    return row


def run_store(args, store, null):
    data = tempfile.mkdtemp(dir=args.work)
    server = Server([os.path.join(args.bin, "quotad"), "--listen", "127.0.0.1:0", "--store", store, "--data-dir", data],
                    f"quotad --store {store}")
    scenarios = SCENARIOS + [
        # Latency below saturation: open loop at a fixed rate.
        (f"reserve+release, open loop {args.rate}/s, 32 conns", 32,
         ["--pools", "1", "--mix", "reserve=1,release=1", "--rate", str(args.rate)]),
    ]
    rows = []
    try:
        quota_load(args.quota_load, server.port, 2, "--connections", "32", "--pools", "4")  # warm-up
        for name, connections, flags in scenarios:
            rows.append(run_scenario(args, null, store, name, connections, flags, [server]))
    finally:
        server.stop()
    return rows


def run_postgres(args, null):
    """quotad on PostgreSQL (issue 9): reserve+release at 32 connections against one replica, then
    against two replicas on the same database together (quota-load with two --server flags, 16
    connections each; its check also requires both to report the same reserved amounts)."""
    argv = [os.path.join(args.bin, "quotad"), "--listen", "127.0.0.1:0", "--store", args.postgres]
    flags = ["--pools", "1", "--mix", "reserve=1,release=1"]
    first = Server(argv, "quotad --store postgres (replica 1)")
    second = None
    rows = []
    try:
        quota_load(args.quota_load, first.port, 2, "--connections", "32", "--pools", "4")  # warm-up
        rows.append(run_scenario(args, null, "postgres", "reserve+release, 32 conns", 32, flags, [first]))
        second = Server(argv, "quotad --store postgres (replica 2)")
        quota_load(args.quota_load, second.port, 2, "--connections", "32", "--pools", "4")  # its warm-up
        rows.append(run_scenario(args, null, "postgres", "reserve+release, 32 conns, 2 replicas", 32, flags, [first, second]))
    finally:
        for server in (second, first):
            if server is not None:
                server.stop()
    return rows


def leases_and_restart(args):
    """BENCH_LEASES active leases over 1000 pools on SQLite: RSS, then the time a restart takes."""
    count = args.leases
    data = tempfile.mkdtemp(dir=args.work)
    argv = [os.path.join(args.bin, "quotad"), "--listen", "127.0.0.1:0", "--data-dir", data]
    server = Server(argv, "quotad (fill)")
    pools = [f"fill/p{n}" for n in range(1000)]
    try:
        client = QuotaClient(f"http://127.0.0.1:{server.port}", timeout=120)
        client.set_pool("fill", {"limits.cpu": "1000000", "limits.memory": "1000Ti"})
        batch = client.batch()
        for pool in pools:
            batch.add("setPool", pool=pool, capacity={"limits.cpu": "10000", "limits.memory": "10Ti"})
        assert all(isinstance(answer, dict) for answer in batch.send())
        filled = time.monotonic()
        for start in range(0, count, 1000):
            batch = client.batch()
            for n in range(start, min(start + 1000, count)):
                batch.reserve(pools[n % 1000], f"00000000-0000-4000-8000-{n:012x}", {"limits.cpu": "100m", "limits.memory": "128Mi"},
                              holder="bench", labels={"vmName": f"vm-{n}"}, ttlSeconds=86400)
            answers = batch.send()
            bad = [answer for answer in answers if not isinstance(answer, dict)]
            if bad:
                raise SystemExit(f"bench: fill failed: {bad[0]}")
        fill_seconds = time.monotonic() - filled
        client.close()
        before = {"rssMiB": server.status("VmRSS"), "peakRssMiB": server.status("VmHWM")}
    finally:
        server.stop()
    restarted = Server(argv, "quotad (restart)")
    try:
        client = QuotaClient(f"http://127.0.0.1:{restarted.port}", timeout=120)
        active = client.inspect(pool="fill")["pool"]["activeLeases"]
        answered = time.monotonic()
        after = {"rssMiB": restarted.status("VmRSS"), "peakRssMiB": restarted.status("VmHWM")}
    finally:
        restarted.stop()
    result = {
        "leases": count, "pools": 1000, "fillSeconds": round(fill_seconds, 2), "afterFill": before,
        "restart": {"secondsToListening": round(restarted.listening - restarted.started, 3),
                    "secondsToFirstAnswer": round(answered - restarted.started, 3),
                    "activeLeasesRecovered": active, **after},
    }
    print(f"{count} leases in 1000 pools: RSS {before['rssMiB']} MiB (peak {before['peakRssMiB']}); restart listening after "
          f"{result['restart']['secondsToListening']} s, {active} leases recovered, RSS {after['rssMiB']} MiB", flush=True)
    return result


def write_results(results, out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "latest.json"), "w") as file:
        json.dump(results, file, indent=2)
        file.write("\n")
    lines = [
        f"Run {results['date']} on {results['machine']}; {results['durationSeconds']} s per scenario, closed loop unless noted; "
        f"load average {' '.join(results['loadAverageAtStart'])} at the start, {' '.join(results['loadAverageAtEnd'])} at the end.",
        "Each scenario's null-server reference is measured right before it, at the same connections, batch 1.",
        f"postgres: {results.get('postgres') or 'not run'}; 2 replicas: two quotad processes on one database, "
        "quota-load spreading its connections over both (peak RSS: the larger of the two).",
        "",
        "| store | scenario | ops/s | null req/s | × null | p50 ms | p99 ms | p99.9 ms | server CPU µs/call (null) | client CPU µs/call (null) | peak RSS MiB | check |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in results["scenarios"]:
        lines.append(f"| {row['store']} | {row['scenario']} | {row['opsPerSecond']:.0f} | {row['nullRequestsPerSecond']:.0f} | "
                     f"{ratio(row)} | {row['p50Ms']:.3f} | {row['p99Ms']:.3f} | {row['p999Ms']:.3f} | "
                     f"{row['serverCpuMicrosPerCall']} ({row['nullServerCpuMicrosPerRequest']}) | "
                     f"{row['clientCpuMicrosPerCall']} ({row['nullClientCpuMicrosPerRequest']}) | "
                     f"{row['peakRssMiB']} | {'ok' if row['checkPassed'] else 'FAILED'} |")
    for row in results["scenarios"]:
        if row.get("perServer"):
            parts = "; ".join(f"replica {n + 1}: {part['opsPerSecond']:.0f} ops/s, p99 {part['p99Ms']:.3f} ms"
                              for n, part in enumerate(row["perServer"]))
            lines += ["", f"{row['store']}, {row['scenario']}: {parts}."]
    errors = [f"{row['store']}, {row['scenario']}: {row['errors']}" for row in results["scenarios"] if row["errors"]]
    if errors:
        lines += ["", "Errors by code: " + "; ".join(errors) + "."]
    fill = results["leasesAndRestart"]
    lines += [
        "",
        f"{fill['leases']} active leases in {fill['pools']} pools (SQLite): RSS {fill['afterFill']['rssMiB']} MiB "
        f"(peak {fill['afterFill']['peakRssMiB']} MiB); after a restart quotad listened in "
        f"{fill['restart']['secondsToListening']} s with {fill['restart']['activeLeasesRecovered']} active leases "
        f"(first answer after {fill['restart']['secondsToFirstAnswer']} s), RSS {fill['restart']['rssMiB']} MiB.",
    ]
    with open(os.path.join(out, "latest.md"), "w") as file:
        file.write("\n".join(lines) + "\n")
    chart(results, os.path.join(out, "latest.png"))


def chart(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["scenarios"]
    labels = [f"{row['scenario']}\n[{row['store']}]" for row in rows]
    palette = {"sqlite": "#2f6db3", "memory": "#e08a1e", "postgres": "#3a9a4a"}
    colors = [palette.get(row["store"], "#888888") for row in rows]
    figure, (throughput, p99) = plt.subplots(1, 2, figsize=(15, 0.45 * len(rows) + 2.5), sharey=True)
    positions = range(len(rows))
    throughput.barh(positions, [row["opsPerSecond"] for row in rows], color=colors)
    for position, row in zip(positions, rows):
        throughput.text(row["opsPerSecond"], position, f" {row['opsPerSecond']:.0f} " + ("(open loop)" if row["ratioToNull"] is None else f"(×{ratio(row)})"), va="center", fontsize=8)
    throughput.scatter([row["nullRequestsPerSecond"] for row in rows], list(positions), marker="|", s=300, color="black",
                       zorder=3, label="null server req/s, same conns, measured just before")
    throughput.set_yticks(list(positions), labels, fontsize=8)
    throughput.invert_yaxis()
    throughput.set_xlabel("calls per second (× null server requests/s at the same connections)")
    throughput.set_title("Throughput")
    throughput.legend(fontsize=8, loc="lower right")
    p99.barh(positions, [row["p99Ms"] for row in rows], color=colors)
    for position, row in zip(positions, rows):
        p99.text(row["p99Ms"], position, f" {row['p99Ms']:.2f}", va="center", fontsize=8)
    p99.axvline(2.0, color="red", linestyle="--", label="target 2 ms")
    p99.set_xscale("log")
    p99.set_xlabel("p99 latency, ms (log scale); blue: SQLite, orange: memory, green: PostgreSQL")
    p99.set_title("p99 latency")
    p99.legend(fontsize=8, loc="lower right")
    figure.suptitle(f"quotad benchmark, {results['date']}", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="the release build folder (quotad, quota-load)")
    parser.add_argument("--null-server", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", "5")))
    parser.add_argument("--rate", type=int, default=int(os.environ.get("BENCH_RATE", "1000")),
                        help="requests/s of the open-loop scenario")
    parser.add_argument("--leases", type=int, default=int(os.environ.get("BENCH_LEASES", "100000")))
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    parser.add_argument("--postgres", help="a PostgreSQL URL for the replica scenarios (bench/run starts one); "
                                           "without it they are left out")
    parser.add_argument("--postgres-version", default="PostgreSQL", help="how the results name that server")
    args = parser.parse_args()
    # SIGTERM (bench/run passes its signals on) unwinds like Ctrl-C: every server is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.quota_load = os.path.join(args.bin, "quota-load")
    # Other work on the machine takes cores from the servers and the client alike; it is recorded.
    load_at_start = open("/proc/loadavg").read().split()[:3]

    null = Server([args.null_server, "0"], "null server")
    try:
        quota_load(args.quota_load, null.port, 2, "--no-check", "--connections", "32", "--mix", "inspect=1")  # warm-up
        rows = run_store(args, "sqlite", null) + run_store(args, "memory", null)
        if args.postgres:
            rows += run_postgres(args, null)
    finally:
        null.stop()
    results = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "loadAverageAtStart": load_at_start,
        "loadAverageAtEnd": open("/proc/loadavg").read().split()[:3],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "durationSeconds": args.duration,
        "postgres": args.postgres_version if args.postgres else None,
        "scenarios": rows,
        "leasesAndRestart": leases_and_restart(args),
    }
    write_results(results, args.out)
    print(f"wrote {os.path.relpath(args.out)}/latest.json, latest.md, latest.png")
    return 0 if all(row["checkPassed"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
