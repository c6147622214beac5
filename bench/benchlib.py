"""Small tools every benchmark in bench/ shares: processes measured from /proc, wrk,
percentiles, perf and smaps profiles, tool versions.

Importing this module puts tests/ on sys.path, so the benchmarks use the test
library (tests/lib: private databases, the simulator, Prometheus, Alertmanager, the
exporter binary and any other server as procs.Process, free and closed ports,
prom_servers.wait_until) exactly as the test suites do. Nothing here is thread-safe
unless it says so.
"""
import math
import os
import platform
import re
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests"))

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list (p95 of 10 values is the max)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def summary(values):
    """{"n", "min", "median", "p95", "max"} of a non-empty list."""
    ordered = sorted(values)
    n = len(ordered)
    median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2
    return {"n": n, "min": ordered[0], "median": median, "p95": percentile(ordered, 0.95),
            "max": ordered[-1]}


def peak_rss_kib(pid):
    """VmHWM of a running process: the most resident memory it ever had, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise ValueError("no VmHWM for pid %d" % pid)


def cpu_seconds(pid):
    """User plus system CPU seconds a running process has used so far (all threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_profile(pid, top=8):
    """Where a process's resident memory is: anonymous versus file-backed, and the
    mappings holding the most (from /proc/PID/smaps). A list of text lines."""
    per_mapping = {}
    anon = file_backed = 0
    name = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            head = line.split()
            if not head:
                continue
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                name = head[5] if len(head) > 5 else "[anonymous]"
            elif head[0] == "Rss:":
                kib = int(head[1])
                per_mapping[name] = per_mapping.get(name, 0) + kib
                if name.startswith("/"):
                    file_backed += kib
                else:
                    anon += kib
    libraries = sum(1 for m in per_mapping if m.startswith("/") and ".so" in m)
    lines = ["anonymous (heap, stacks) %.1f MiB, file-backed (binary and %d shared "
             "libraries) %.1f MiB" % (anon / 1024, libraries, file_backed / 1024)]
    for mapping, kib in sorted(per_mapping.items(), key=lambda kv: -kv[1])[:top]:
        lines.append("%7.0f KiB  %s" % (kib, os.path.basename(mapping) if
                                         mapping.startswith("/") else mapping))
    return lines


def perf_available():
    if not shutil.which("perf"):
        return False
    probe = subprocess.run(["perf", "stat", "-e", "task-clock", "true"],
                           capture_output=True, text=True)
    return probe.returncode == 0


def perf_profile(pid, seconds, top=12):
    """Where a running process spent its CPU time over `seconds` (perf record,
    sampling the CPU clock): text lines, first the share of each binary or library,
    then the hottest functions. None without a working perf."""
    if not perf_available():
        return None
    data = "/tmp/msx-bench-perf-%d.data" % pid
    record = subprocess.run(["perf", "record", "-q", "-F", "999", "-o", data, "-p",
                             str(pid), "--", "sleep", str(seconds)],
                            capture_output=True, text=True)
    if record.returncode != 0:
        return None

    def report(sort, limit):
        out = subprocess.run(["perf", "report", "-i", data, "--stdio", "--sort", sort,
                              "--percent-limit", str(limit)], capture_output=True, text=True)
        # perf pads the lines and ends them with "-" placeholders for empty columns.
        return [re.sub(r"( -)+$", "", re.sub(r"\s+", " ", line).strip())
                for line in out.stdout.splitlines()
                if line.strip() and not line.startswith("#")]

    by_object = report("dso", 2)
    by_function = report("dso,symbol", 1)[:top]
    os.unlink(data)
    return (["by binary or library: " + "; ".join(by_object), "hottest functions:"] +
            ["  " + line for line in by_function])


WRK_LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def memory_kib(pid):
    """{"rss", "pss", "anonymous"} of a running process in KiB (smaps_rollup): PSS
    shares each shared-library page among the processes that map it; anonymous is
    heap and stacks, what the process itself allocated."""
    fields = {"Rss:": "rss", "Pss:": "pss", "Anonymous:": "anonymous"}
    out = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] in fields:
                out[fields[parts[0]]] = int(parts[1])
    return out


def crowd(host, port, pid, count=500, get=None):
    """`count` connections send half a request and wait; a new client's GET /metrics
    is timed while they are held. Returns {"scrape_ms", "held", "before", "during",
    "after"} where the last three are {"threads", "fds", "rss_kib"} of `pid`."""
    import os
    import socket
    import time

    def state():
        with open("/proc/%d/status" % pid) as f:
            status = dict(line.split(":", 1) for line in f)
        return {"threads": int(status["Threads"]), "fds": len(os.listdir(
            "/proc/%d/fd" % pid)), "rss_kib": int(status["VmRSS"].split()[0])}
    before = state()
    held = []
    try:
        for _ in range(count):
            s = socket.create_connection((host, port), timeout=5)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Half: ")
            held.append(s)
        time.sleep(0.5)
        during = state()
        started = time.monotonic()
        get()
        scrape_ms = (time.monotonic() - started) * 1000
    finally:
        for s in held:
            s.close()
    time.sleep(2)
    return {"scrape_ms": scrape_ms, "held": during["fds"] - before["fds"],
            "before": before, "during": during, "after": state()}


def run_wrk(url, seconds, threads=2, connections=32, headers=()):
    """wrk against `url`: {"rps", "p50_ms", "p99_ms", "requests", "errors"}."""
    extra = [a for h in headers for a in ("-H", h)]
    out = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % connections,
                          "-d%ds" % seconds, "--latency"] + extra + [url],
                         capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise RuntimeError("wrk failed: %s%s" % (out.stdout, out.stderr))
    text = out.stdout
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    latency = {q: float(v) * scale[unit] for q, v, unit in WRK_LATENCY.findall(text)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    requests_done = int(re.search(r"(\d+) requests in", text).group(1))
    errors = sum(int(n) for n in re.findall(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)[0]) \
        if "Socket errors" in text else 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors += int(non2xx.group(1)) if non2xx else 0
    return {"rps": rps, "p50_ms": latency.get("50"), "p99_ms": latency.get("99"),
            "requests": requests_done, "errors": errors, "text": text}


def package_versions(packages):
    """{package: Debian version} of installed packages ("-" when missing)."""
    versions = {}
    for package in packages:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                             capture_output=True, text=True)
        versions[package] = out.stdout.strip() or "-"
    return versions


def machine():
    """One line about the machine: CPU model, cores, memory, kernel, distribution."""
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    distro = "Linux"
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            fields = dict(line.rstrip().split("=", 1) for line in f if "=" in line)
        distro = fields.get("PRETTY_NAME", distro).strip('"')
    return "%s, %d cores, %.0f GiB RAM, %s, kernel %s" % (
        model, os.cpu_count(), mem_kib / 1024 / 1024, distro, platform.release())


def load_average():
    return os.getloadavg()
