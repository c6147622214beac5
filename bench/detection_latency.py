#!/usr/bin/python3
"""How fast does a killed management server page? Measures, N times, the time from
`kill -9` of a simulated node to CloudStackMgmtServerUpNotRunning being listed by a
real Alertmanager's /api/v2/alerts, and prints min / median / p95 / max.

Everything runs privately on free loopback ports (tests/lib): a database with
CloudStack's schema, the simulator (tests/sim/mssim.py), the built exporter
($MSX_BUILD_DIR/mshost_exporter, default build/) and Alertmanager. The exporter uses
the contract's defaults unless told otherwise, so the figure is the one users get;
the contract's bound is dead_after + poll_interval + 1 s (8 s by default).

    /usr/bin/python3 bench/detection_latency.py --kills 10 --driver mysql
"""
import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tests"))

from lib import db_servers, procs, prom_servers, sim  # noqa: E402

ALERT = "CloudStackMgmtServerUpNotRunning"


def parse_seconds(text):
    text = text.strip()
    if text.endswith("ms"):
        return float(text[:-2]) / 1000
    return float(text.rstrip("s"))


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def wait_for(condition, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kills", type=int, default=10, help="number of kills to measure")
    p.add_argument("--driver", choices=("mysql", "postgresql"), default="mysql")
    p.add_argument("--poll-interval", default="2s")
    p.add_argument("--dead-after", default="5s")
    p.add_argument("--stale-after", default="10s")
    p.add_argument("--heartbeat-interval", default="1.5s",
                   help="the simulated nodes' cluster.heartbeat.interval")
    args = p.parse_args()
    poll = parse_seconds(args.poll_interval)
    heartbeat = parse_seconds(args.heartbeat_interval)
    dead_after = parse_seconds(args.dead_after)
    bound = dead_after + poll + 1.0

    workdir = tempfile.mkdtemp(prefix="mshost-bench-")
    started = []
    db = None
    try:
        db = db_servers.start_database(args.driver, os.path.join(workdir, "db"))
        am = prom_servers.start_alertmanager(os.path.join(workdir, "am"))
        started.append(am)
        simulator = sim.start_simulator(db, os.path.join(workdir, "sim"), nodes=3,
                                        heartbeat_interval=heartbeat)
        started.append(simulator)
        config = {
            "poll_interval": args.poll_interval,
            "targets": [{"name": "bench", "database": db.config_yaml_database(),
                         "heartbeat": {"dead_after": args.dead_after,
                                       "stale_after": args.stale_after}}],
            "alerting": {"alertmanagers": [am.url]},
        }
        exporter = procs.start_exporter(config, os.path.join(workdir, "exporter"))
        started.append(exporter)

        node = "ms-2"
        msid = simulator.msid(node)
        latencies = []
        for i in range(args.kills):
            if not wait_for(lambda: not am.alerts(alertname=ALERT, msid=msid), 60):
                sys.exit("the previous alert did not resolve")
            # After a restart the exporter needs a few heartbeats to estimate the
            # node's clock; the random part lands kills at every phase of the poll and
            # heartbeat cycles instead of one.
            time.sleep(dead_after + random.uniform(0, poll + heartbeat))
            t0 = time.monotonic()
            simulator.act("kill", node)
            if not wait_for(lambda: am.alerts(alertname=ALERT, msid=msid), bound + 30):
                sys.exit("kill %d: no alert within %.0fs" % (i + 1, bound + 30))
            latency = time.monotonic() - t0
            latencies.append(latency)
            print("kill %2d: %.2fs" % (i + 1, latency), flush=True)
            simulator.act("restart", node)

        print("kill -> %s in Alertmanager over %d kills (%s, poll %s, dead_after %s):"
              % (ALERT, len(latencies), args.driver, args.poll_interval, args.dead_after))
        print("  min %.2fs  median %.2fs  p95 %.2fs  max %.2fs  (bound %.1fs)"
              % (min(latencies), statistics.median(latencies), percentile(latencies, 0.95),
                 max(latencies), bound))
        return 0 if max(latencies) <= bound else 1
    finally:
        for server in reversed(started):
            server.stop()
        if db is not None:
            db.stop()
            db.cleanup()


if __name__ == "__main__":
    sys.exit(main())
