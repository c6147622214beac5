#!/usr/bin/python3
"""mshost_exporter against the stack users would otherwise build, measured side by
side in one run on one machine. bench/run builds the exporter and calls this.

    bench/run            # the full run (about 8 minutes of measuring); writes BENCHMARKS.md
    bench/run --quick    # a smoke run (about 2.5 minutes); writes build-bench/BENCHMARKS.quick.md

One simulated 10-node CloudStack cluster (MariaDB with CloudStack's schema, the
simulator tests/sim/mssim.py) is watched at once by mshost_exporter with default
settings, mshost_exporter with fast settings and the peer stack (peer_stack.py),
all alerting to one Alertmanager. Then, in order:
  1. detection latency (detection.py), every setup killing a node of its own;
     callgrind counts the cost per poll (poll_cost.cc) meanwhile, on the other core;
  2. /metrics serving with wrk, ours and prometheus-sql-exporter's;
  3. peak RSS of each exporter;
  4. database load with two Prometheus servers scraping every 5 s;
  5. 2,000 nodes (scale.py).
docs/benchmarks.md explains each measure; BENCHMARKS.md holds the last real run.
"""
import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("MSX_BUILD_DIR", os.path.join(HERE, "..", "build-bench"))

import benchlib  # noqa: E402  (puts tests/ on sys.path)
import detection  # noqa: E402
import peer_stack  # noqa: E402
import report  # noqa: E402
import scale  # noqa: E402
from lib import db_servers, procs, prom_servers, sim  # noqa: E402

NODES = 10
FAST_USER = "msx_fast"


def log(message):
    print(message, flush=True)


class Settings:
    def __init__(self, quick):
        self.quick = quick
        self.min_kills = 3 if quick else 10
        self.max_kills = 3 if quick else 30
        self.wrk_seconds = 5 if quick else 20
        self.db_window = 20 if quick else 60
        self.scale_window = 16 if quick else 40
        self.callgrind = {10: 20, 2000: 2} if quick else {10: 40, 2000: 3}


# --- cost per poll -----------------------------------------------------------------

def callgrind_costs(build_dir, polls_by_nodes):
    """Instructions per poll, per render of a target's text (once per new snapshot)
    and per /metrics scrape between polls, from callgrind, keyed by (phase, nodes)."""
    binary = os.path.join(build_dir, "bench", "poll_cost")
    costs = {}
    for nodes, polls in polls_by_nodes.items():
        for phase in ("poll", "render", "scrape"):
            out = subprocess.run(
                ["valgrind", "--tool=callgrind", "--collect-atstart=no",
                 "--toggle-collect=msx_bench::Measure*", "--callgrind-out-file=/dev/null",
                 binary, "--nodes", str(nodes), "--polls", str(polls), "--phase", phase],
                capture_output=True, text=True)
            match = re.search(r"Collected : (\d+)", out.stderr)
            if out.returncode != 0 or not match:
                raise RuntimeError("callgrind of poll_cost failed:\n" + out.stderr[-2000:])
            costs[(phase, nodes)] = int(match.group(1)) / polls
    return costs


class Background(threading.Thread):
    """Runs fn() on its own thread; result() re-raises its exception."""

    def __init__(self, fn):
        super().__init__(daemon=True)
        self.fn = fn
        self.value = self.error = None

    def run(self):
        try:
            self.value = self.fn()
        except Exception as e:
            self.error = e

    def result(self):
        self.join()
        if self.error:
            raise self.error
        return self.value


# --- database load -----------------------------------------------------------------

def database_load(db, window, scrape_targets, workdir):
    """Queries per minute by database user while two Prometheus servers scrape
    `scrape_targets` (jobs of prometheus scrape_configs) every 5 s, from MariaDB's
    general query log. {user: {"queries", "mshost_reads", "connects"}} per minute."""
    servers = [prom_servers.start_prometheus(
        os.path.join(workdir, "prometheus-%d" % i), [], scrape_interval="5s",
        extra_config={"scrape_configs": scrape_targets}) for i in (1, 2)]
    try:
        time.sleep(6)  # both have scraped at least once
        db.execute("SET GLOBAL general_log = 'OFF'")
        db.execute("SET GLOBAL log_output = 'TABLE'")
        db.execute("TRUNCATE TABLE mysql.general_log")
        db.execute("SET GLOBAL general_log = 'ON'")
        start = time.monotonic()
        time.sleep(window)
        db.execute("SET GLOBAL general_log = 'OFF'")
        elapsed = time.monotonic() - start
        up = [len(server.targets_up()) for server in servers]
    finally:
        for server in servers:
            server.stop()
    # A Connect entry names its user in the argument ("peer@127.0.0.1 on cloud ..."),
    # every other entry in user_host ("peer[peer] @  [127.0.0.1]").
    rows = db.execute(
        "SELECT IF(command_type = 'Connect', SUBSTRING_INDEX(argument, '@', 1), "
        "SUBSTRING_INDEX(user_host, '[', 1)), command_type, "
        "argument LIKE '%%FROM mshost %%', COUNT(*) FROM mysql.general_log "
        "GROUP BY 1, 2, 3")
    per_minute = 60.0 / elapsed
    load = {}
    for user, command, reads_mshost, count in rows:
        entry = load.setdefault(user.strip(), {"queries": 0, "mshost_reads": 0,
                                               "connects": 0})
        if command == "Query":
            entry["queries"] += count * per_minute
            if reads_mshost:
                entry["mshost_reads"] += count * per_minute
        elif command == "Connect":
            entry["connects"] += count * per_minute
    return {"per_user": load, "window_seconds": elapsed, "targets_up": up}


# --- the run -------------------------------------------------------------------------

def fast_database_section(db, workdir):
    db.execute("CREATE USER '%s'@'%%' IDENTIFIED BY 'fast-pw'" % FAST_USER)
    for table in db_servers.GRANTED_TABLES:
        db.execute("GRANT SELECT ON cloud.%s TO '%s'@'%%'" % (table, FAST_USER))
    password_file = os.path.join(workdir, "fast.password")
    with open(password_file, "w") as f:
        f.write("fast-pw\n")
    return db.config_yaml_database(user=FAST_USER, password_file=password_file)


def run(settings, workdir, build_dir):
    results = {"settings": settings, "started": datetime.datetime.now(datetime.timezone.utc),
               "load_before": benchlib.load_average(), "missing": []}
    started = []
    db = None
    costs = Background(lambda: callgrind_costs(build_dir, settings.callgrind))
    try:
        log("starting MariaDB, Alertmanager and a %d-node simulated cluster" % NODES)
        db = db_servers.start_database("mysql", os.path.join(workdir, "db"))
        am = prom_servers.start_alertmanager(os.path.join(workdir, "alertmanager"))
        started.append(am)
        cluster_sim = sim.start_simulator(db, os.path.join(workdir, "sim"), nodes=NODES,
                                          heartbeat_interval=detection.HEARTBEAT_SECONDS)
        started.append(cluster_sim)
        cluster = detection.Cluster(cluster_sim, db)

        ours_default = procs.start_exporter(
            {"targets": [{"name": "default", "database": db.config_yaml_database()}],
             "alerting": {"alertmanagers": [am.url]}},
            os.path.join(workdir, "ours-default"))
        started.append(ours_default)
        ours_fast = procs.start_exporter(
            {"poll_interval": "500ms",
             "targets": [{"name": "fast", "database": fast_database_section(db, workdir),
                          "heartbeat": {"dead_after": "3s"}}],
             "alerting": {"alertmanagers": [am.url]}},
            os.path.join(workdir, "ours-fast"))
        started.append(ours_fast)
        peer_stack.create_user(db)
        nodes = [{"msid": n["msid"], "port": n["port"]} for n in cluster_sim.nodes.values()]
        peer = peer_stack.PeerStack(db, nodes, am.url, os.path.join(workdir, "peer"))
        started.append(peer)

        costs.start()
        log("1. detection latency: kill -9 -> alert in Alertmanager (at least %d kills "
            "per setup, all at once)" % settings.min_kills)
        setups = [
            (detection.OursSetup("ours default", ours_default, "default", 5.0, 2.0, am),
             "ms-2"),
            (detection.OursSetup("ours fast", ours_fast, "fast", 3.0, 0.5, am), "ms-3"),
            (detection.PeerSetup("peer stack", peer, peer_stack.THRESHOLD_SECONDS + 0.0),
             "ms-4"),
        ]
        # The peer's chain is the slowest: it makes its minimum, ours keep going
        # until it ends (more kills for free).
        peer_done = threading.Event()
        chains = [detection.Chain(setup, cluster, am, node, settings.min_kills,
                                  settings.max_kills if setup is not setups[2][0] else
                                  settings.min_kills,
                                  keep_going=lambda: not peer_done.is_set(), log=log)
                  for setup, node in setups]
        for chain in chains:
            chain.start()
        chains[2].join()
        peer_done.set()
        for chain in chains:
            chain.join()
        results["detection"] = {chain.setup.label: {"summary": chain.summary(),
                                                    "errors": chain.errors,
                                                    "threshold": chain.setup.threshold}
                                for chain in chains}

        log("2. /metrics serving: wrk, 2 threads, 32 connections, %d s each"
            % settings.wrk_seconds)
        try:
            prom_servers.wait_until(lambda: all(n["mode"] == "running"
                                                for n in cluster_sim.status().values()),
                                    30, "every node running", interval=0.05)
        except AssertionError as e:  # wrk measures the serving either way
            log("  %s" % e)
        time.sleep(3)  # every exporter has the restarted nodes back
        ours_url = ours_default.url + "/metrics"
        results["serving"] = {
            "load": benchlib.load_average()[0],
            "ours": benchlib.run_wrk(ours_url, settings.wrk_seconds),
            "ours_gzip": benchlib.run_wrk(ours_url, settings.wrk_seconds,
                                          headers=["Accept-Encoding: gzip"]),
            "peer": benchlib.run_wrk(peer.sql_url + "/metrics", settings.wrk_seconds),
            "ours_bytes": len(ours_default.scrape()),
            "ours_gzip_bytes": len(requests.get(
                ours_url, headers={"Accept-Encoding": "gzip"}, stream=True,
                timeout=5).raw.read(decode_content=False)),
            "peer_bytes": len(requests.get(peer.sql_url + "/metrics", timeout=5).text),
        }
        for who in ("ours", "peer"):
            w = results["serving"][who]
            log("  %s: %.0f req/s, p99 %.2f ms, %d errors" % (who, w["rps"], w["p99_ms"],
                                                              w["errors"]))
        if results["serving"]["ours"]["rps"] < 20 * results["serving"]["peer"]["rps"] or \
                results["serving"]["ours"]["p99_ms"] >= 1.0:
            log("  a /metrics target is missed: profiling the exporter under wrk (perf)")
            profiler = Background(lambda: benchlib.perf_profile(ours_default.pid, 5))
            profiler.start()
            benchlib.run_wrk(ours_url, 6)
            results["serving"]["profile"] = profiler.result()

        log("3. peak RSS")
        results["rss"] = {"ours": benchlib.peak_rss_kib(ours_default.pid),
                          "ours_fast": benchlib.peak_rss_kib(ours_fast.pid),
                          "peer": peer.peak_rss_kib(),
                          "peer_sql": benchlib.peak_rss_kib(peer.sql.pid),
                          "peer_blackbox": benchlib.peak_rss_kib(peer.blackbox.pid),
                          "ours_profile": benchlib.rss_profile(ours_default.pid),
                          "ours_memory": benchlib.memory_kib(ours_default.pid),
                          "peer_memory": [benchlib.memory_kib(p.pid)
                                          for p in (peer.sql, peer.blackbox)]}
        log("  ours %.1f MiB, peer %.1f MiB" % (results["rss"]["ours"] / 1024,
                                                results["rss"]["peer"] / 1024))

        log("3b. a crowd: 500 connections send half a request and wait")
        results["crowd"] = benchlib.crowd(
            "127.0.0.1", ours_default.port, ours_default.pid,
            get=lambda: requests.get(ours_url, timeout=30).raise_for_status())
        log("  /metrics answered in %.1f ms with %d connections held"
            % (results["crowd"]["scrape_ms"], results["crowd"]["held"]))

        log("4. database load: two Prometheus servers scraping every 5 s, %d s window"
            % settings.db_window)
        peer.prometheus.stop()  # only the two scrapers below run now
        targets = peer_stack.scrape_configs("127.0.0.1:%d" % peer.sql_port,
                                            "127.0.0.1:%d" % peer.blackbox_port, nodes)
        targets.append({"job_name": "ours", "static_configs": [
            {"targets": [ours_default.address, ours_fast.address]}]})
        results["db_load"] = database_load(db, settings.db_window, targets,
                                           os.path.join(workdir, "dbload"))
        for user, load in sorted(results["db_load"]["per_user"].items()):
            log("  %-10s %6.1f queries/min, %6.1f mshost reads/min, %5.1f connects/min"
                % (user, load["queries"], load["mshost_reads"], load["connects"]))

        for server in reversed(started):
            server.stop()
        started = []

        log("5. scale: %d targets x %d nodes, %d s window" % (
            scale.TARGETS, scale.NODES_PER_TARGET, settings.scale_window))
        results["scale"] = scale.run(db, os.path.join(workdir, "scale"),
                                     settings.scale_window, log=log)

        log("6. cost per poll (callgrind)")
        results["costs"] = costs.result()
        for (phase, nodes_count), instructions in sorted(results["costs"].items()):
            log("  %-6s %4d nodes: %12.0f instructions" % (phase, nodes_count, instructions))
    finally:
        for server in reversed(started):
            try:
                server.stop()
            except Exception as e:  # keep stopping the others
                log("stopping %r: %s" % (server, e))
        if db is not None:
            db.stop()
            db.cleanup()
    results["finished"] = datetime.datetime.now(datetime.timezone.utc)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 3 kills per setup, short windows; does not "
                             "touch BENCHMARKS.md")
    parser.add_argument("--out", help="where to write the report (default: BENCHMARKS.md "
                                      "in the repository; with --quick "
                                      "BENCHMARKS.quick.md in the build folder)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work folder (servers' data and logs) after a "
                             "successful run; a failed run always keeps it")
    args = parser.parse_args()
    build_dir = os.path.abspath(os.environ["MSX_BUILD_DIR"])
    workdir = tempfile.mkdtemp(prefix="msx-bench-")
    settings = Settings(args.quick)
    log("bench: work folder %s, build %s" % (workdir, build_dir))
    t0 = time.monotonic()
    results = run(settings, workdir, build_dir)
    results["measuring_seconds"] = time.monotonic() - t0
    text = report.markdown(results, build_dir)
    print()
    print(report.tables(results))
    out = args.out or (os.path.join(build_dir, "BENCHMARKS.quick.md") if args.quick else
                       os.path.join(benchlib.ROOT, "BENCHMARKS.md"))
    with open(out, "w") as f:
        f.write(text)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    log("\nwritten %s (measuring took %.0f s)" % (out, results["measuring_seconds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
