#!/usr/bin/python3
"""The demo's story (scripts/demo.sh runs this after installing and building).

A private MariaDB with CloudStack's schema, three simulated management servers, the
exporter and an Alertmanager, all on free loopback ports under --workdir. One node is
killed like kill -9; the row still says Up; the exporter's verdict turns
up_not_running within seconds and the alert is raised. Then it keeps running until
Ctrl-C (or ends at once with --no-wait) and stops everything it started, by PID,
checking that nothing is left.
"""
import argparse
import os
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from lib import db_servers, procs, prom_servers, sim  # noqa: E402

ALERT = "CloudStackMgmtServerUpNotRunning"
POLL_INTERVAL = 1.0
DEAD_AFTER = 5.0  # the exporter's default, the demo leaves it alone
VICTIM = "ms-2"
MEANING = {
    "ok": "the row tells the truth",
    "up_unreachable": "its port refuses connections, but its last heartbeat is still recent",
    "up_not_running": "the row says Up, yet no heartbeat for dead_after and nothing listens",
    "up_heartbeat_stale": "it answers on its port but has stopped heartbeating",
    "down_but_running": "the row says Down, yet something listens on its port",
    "unknown": "the database has not been read yet",
}


class Story:
    """Prints the story: wall-clock time and seconds since the start on every line."""

    def __init__(self):
        self.t0 = time.monotonic()

    def say(self, text):
        print("[%s %+6.1fs] %s" % (time.strftime("%H:%M:%S"), time.monotonic() - self.t0, text),
              flush=True)

    def detail(self, text):
        print(" " * 20 + text, flush=True)


def node_view(exporter):
    """{msid: {"name", "state", "verdict", "silence", "probe"}} from /metrics."""
    nodes = {}
    for (name, labels), value in exporter.metrics().items():
        labels = dict(labels)
        if "msid" not in labels or not name.startswith("cloudstack_mshost_"):
            continue
        node = nodes.setdefault(labels["msid"], {"name": labels.get("name", "")})
        if name == "cloudstack_mshost_verdict" and value == 1:
            node["verdict"] = labels["verdict"]
        elif name == "cloudstack_mshost_state" and value == 1:
            node["state"] = labels["state"]
        elif name == "cloudstack_mshost_heartbeat_silence_seconds":
            node["silence"] = value
        elif name == "cloudstack_mshost_probe_success":
            node["probe"] = "answers" if value == 1 else "refused"
    return nodes


def verdict_line(msid, node):
    return "%-5s msid %-20s state=%-4s heartbeat silence %4.1fs  port %-8s verdict=%s" % (
        node.get("name", ""), msid, node.get("state", "?"), node.get("silence", float("nan")),
        node.get("probe", "?"), node.get("verdict", "?"))


def alert_firing(exporter, msid):
    for (name, labels), value in exporter.metrics().items():
        labels = dict(labels)
        if (name == "cloudstack_mshost_alert_firing" and labels.get("alertname") == ALERT
                and labels.get("msid") == msid and value == 1):
            return labels
    return None


def wait_for(condition, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    return None


def ancestors():
    """This process and its parents: they mention the work folder too (--workdir)."""
    pids, pid = set(), os.getpid()
    while pid > 1 and pid not in pids:
        pids.add(pid)
        try:
            with open("/proc/%d/stat" % pid) as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def leftovers(workdir):
    """PIDs of processes whose command line mentions workdir (every process the demo
    starts does: its data folder or its configuration lives there)."""
    pids = []
    needle = workdir.encode()
    mine = ancestors()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in mine:
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                if needle in f.read():
                    pids.append(int(entry))
        except OSError:
            pass
    return pids


def tell(story, args, started):
    server = "MariaDB" if args.driver == "mysql" else "PostgreSQL"
    story.say("Starting a private %s with CloudStack's schema (cloud.mshost, mshost_peer, "
              "mshost_status)..." % server)
    db = db_servers.start_database(args.driver, os.path.join(args.workdir, args.driver))
    started.append((server, db))
    story.say("%s is up on 127.0.0.1:%d, database %s." % (server, db.port, db.name))

    story.say("Starting 3 simulated CloudStack management servers; each heartbeats every 1.5 s "
              "into its mshost row and listens on its own cluster port:")
    cluster = sim.start_simulator(db, os.path.join(args.workdir, "sim"), nodes=3)
    started.append(("simulator", cluster))
    for name, node in sorted(cluster.nodes.items()):
        story.detail("%s  msid %-20s cluster port 127.0.0.1:%d" % (name, node["msid"],
                                                                   node["port"]))

    am = prom_servers.start_alertmanager(os.path.join(args.workdir, "alertmanager"))
    started.append(("Alertmanager", am))
    story.say("Alertmanager is up on %s." % am.url)

    config = {
        "poll_interval": "1s",
        "targets": [{"name": "demo", "database": db.config_yaml_database()}],
        "alerting": {"alertmanagers": [am.url]},
    }
    exporter = procs.start_exporter(config, os.path.join(args.workdir, "exporter"))
    started.append(("mshost_exporter", exporter))
    story.say("mshost_exporter is up on %s (poll every 1s; otherwise the defaults: a node is "
              "dead after 5s without heartbeat and nothing listening)." % exporter.url)

    msids = {name: node["msid"] for name, node in cluster.nodes.items()}
    healthy = wait_for(lambda: (lambda v: v if all(
        v.get(m, {}).get("verdict") == "ok" for m in msids.values()) else None)(
            node_view(exporter)), 20)
    if not healthy:
        raise RuntimeError("the three nodes did not all turn ok within 20s: %s"
                           % node_view(exporter))
    story.say("Three healthy nodes. The exporter's verdicts (from /metrics):")
    for msid in sorted(healthy, key=lambda m: healthy[m].get("name", "")):
        story.detail(verdict_line(msid, healthy[msid]))

    victim = msids[VICTIM]
    story.say("Killing %s like kill -9: its heartbeats stop and its cluster port closes; "
              "nothing sets its row Down." % VICTIM)
    cluster.act("kill", VICTIM)
    killed_at = time.monotonic()

    rows = db.execute("SELECT name, state, last_update, " + db.utc_now_sql() + " FROM mshost "
                      "WHERE removed IS NULL ORDER BY name")
    story.say("What the database says right after the kill (SELECT name, state, last_update "
              "FROM cloud.mshost):")
    for name, state, last_update, now in rows:
        story.detail("%-5s state=%-4s last_update=%s (UTC now %s)" % (name, state, last_update,
                                                                       now))
    story.say("%s's row still says Up: that is what other nodes, load balancers and people "
              "trust." % VICTIM)

    seen = "ok"
    deadline = killed_at + DEAD_AFTER + 15
    while time.monotonic() < deadline:
        node = node_view(exporter).get(victim, {})
        verdict = node.get("verdict")
        if verdict and verdict != seen:
            seen = verdict
            story.say("%.1fs after the kill: %s verdict=%s (%s)" % (
                time.monotonic() - killed_at, VICTIM, verdict, MEANING.get(verdict, "")))
        if verdict == "up_not_running":
            break
        time.sleep(0.2)
    if seen != "up_not_running":
        raise RuntimeError("%s never turned up_not_running" % VICTIM)

    firing = wait_for(lambda: alert_firing(exporter, victim), 5)
    if firing:
        story.say("Alert raised by the exporter: cloudstack_mshost_alert_firing{alertname=\"%s\", "
                  "severity=\"%s\", name=\"%s\"} 1" % (ALERT, firing.get("severity", ""),
                                                        firing.get("name", "")))
    else:
        story.say("The alert signal is the verdict itself: cloudstack_mshost_verdict{"
                  "verdict=\"up_not_running\", name=\"%s\"} 1 (the built-in evaluator did not "
                  "report %s within 5s)." % (VICTIM, ALERT))
    alerts = wait_for(lambda: am.alerts(alertname=ALERT, msid=victim), 10)
    if alerts:
        a = alerts[0]
        story.say("Alertmanager has it (GET %s/api/v2/alerts): %s severity=%s name=%s msid=%s, "
                  "active since %s" % (am.url, ALERT, a["labels"].get("severity"),
                                       a["labels"].get("name"), a["labels"].get("msid"),
                                       a.get("startsAt")))
        if a.get("annotations", {}).get("summary"):
            story.detail("summary: " + a["annotations"]["summary"])
    else:
        story.say("Alertmanager (%s) has no %s alert yet." % (am.url, ALERT))

    check = subprocess.run([exporter.binary, "check", "--config.file=" + exporter.config_path],
                           capture_output=True, text=True, timeout=30)
    story.say("A monitoring plugin sees the same: `mshost_exporter check` exits %d:"
              % check.returncode)
    for line in check.stdout.strip().splitlines():
        story.detail(line)

    print()
    print("Where to look:")
    print("  status page   %s/" % exporter.url)
    print("  metrics       %s/metrics" % exporter.url)
    print("  JSON status   %s/api/v1/status" % exporter.url)
    print("  Alertmanager  %s/#/alerts" % am.url)
    print("  files, logs   %s" % args.workdir)
    print(flush=True)
    return cluster, exporter


def watch(story, cluster, exporter, stop):
    """Prints every verdict change while the demo keeps running."""
    last = {}
    while not stop.is_set():
        try:
            view = node_view(exporter)
        except Exception:
            view = {}
        for msid, node in view.items():
            verdict = node.get("verdict")
            if msid in last and last[msid] != verdict:
                story.say("%s verdict %s -> %s (%s)" % (node.get("name"), last[msid], verdict,
                                                        MEANING.get(verdict, "")))
            last[msid] = verdict
        stop.wait(0.5)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workdir", required=True, help="an empty folder for data, configs, logs")
    p.add_argument("--no-wait", action="store_true", help="stop everything after the story")
    p.add_argument("--driver", choices=("mysql", "postgresql"), default="mysql",
                   help="the database the simulated cluster and the exporter use")
    args = p.parse_args()
    args.workdir = os.path.abspath(args.workdir)

    # Ctrl-C and SIGTERM both end the demo through the same cleanup. (Set explicitly:
    # a shell starting the demo in the background hands it an ignored SIGINT.)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    story = Story()
    started = []
    interrupted = False
    stop_watch = threading.Event()
    rc = 0
    try:
        cluster, exporter = tell(story, args, started)
        if not args.no_wait:
            story.say("Everything keeps running. Type simulator commands here (restart %s, "
                      "hang ms-3, partition ms-1, stop ms-1, status) and watch the verdicts; "
                      "Ctrl-C stops everything." % VICTIM)
            threading.Thread(target=watch, args=(story, cluster, exporter, stop_watch),
                             daemon=True).start()
            for line in sys.stdin:
                if line.strip():
                    cluster.send(line)
            # End of input: keep going until Ctrl-C.
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        interrupted = True
        print()
    except Exception as e:  # the story failed: say why, then clean up all the same
        story.say("demo failed: %s" % e)
        rc = 1
    finally:
        # A second Ctrl-C (or the shell passing on a TERM) must not cut the cleanup.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_watch.set()
        story.say("Stopping everything the demo started%s..." % (" (interrupted)" if interrupted else ""))
        for what, server in reversed(started):
            try:
                server.stop()
                if hasattr(server, "cleanup"):
                    server.cleanup()
            except Exception as e:
                story.detail("%s: %s" % (what, e))
        left = leftovers(args.workdir)
        if left:
            story.say("still running after stop, killing by PID: %s" % left)
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.5)
            left = leftovers(args.workdir)
        if left:
            story.say("processes left behind: %s" % left)
            rc = 1
        else:
            story.say("Stopped %s; no process left." % ", ".join(w for w, _ in started)
                      if started else "Nothing was started.")
    return 130 if interrupted and rc == 0 else rc


if __name__ == "__main__":
    sys.exit(main())
