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
    """Prints the story: wall-clock time and seconds since the start on every line.

    Output goes to stdout until stdout breaks: with `demo.sh | tee demo.log`, Ctrl-C
    ends tee along with the demo, and the next line would raise BrokenPipeError in
    the middle of the cleanup. From then on lines go to stderr (still the terminal)
    and stdout points at /dev/null, so nothing raises again, not even the flush at
    exit."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.out = sys.stdout
        self._lock = threading.Lock()  # the story, the watcher and the event printer

    def line(self, text=""):
        with self._lock:
            for _ in range(2):
                try:
                    self.out.write(text + "\n")
                    self.out.flush()
                    return
                except (BrokenPipeError, OSError, ValueError):
                    if self.out is sys.stderr:
                        return
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    try:
                        os.dup2(devnull, sys.stdout.fileno())
                    except (OSError, ValueError):
                        pass
                    os.close(devnull)
                    self.out = sys.stderr

    def say(self, text):
        self.line("[%s %+6.1fs] %s" % (time.strftime("%H:%M:%S"), time.monotonic() - self.t0,
                                        text))

    def detail(self, text):
        self.line(" " * 20 + text)


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

    story.line()
    story.line("Where to look:")
    story.line("  status page   %s/" % exporter.url)
    story.line("  metrics       %s/metrics" % exporter.url)
    story.line("  JSON status   %s/api/v1/status" % exporter.url)
    story.line("  Alertmanager  %s/#/alerts" % am.url)
    story.line("  files, logs   %s" % args.workdir)
    story.line()
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


# What the simulator's events mean, for the person typing commands (docs/simulator.md).
QUIET_EVENTS = ("ready", "quit", "schema_created")


def describe(event):
    """One simulator event as a line for a person; None for the ones not worth one."""
    name = event["event"]
    if name in QUIET_EVENTS:
        return None
    who = event.get("node", "")
    if name == "help":
        return event.get("message", "")
    if name == "error":
        return "refused %r: %s" % (event.get("command", ""), event.get("message", ""))
    if name == "state":
        return "%s's row is now %s" % (who, event.get("state"))
    if name in ("peer_marked_down", "peer_left"):
        what = ("set the row of msid %s Down" if name == "peer_marked_down"
                else "saw msid %s leave (its alert_count raised)" if event.get("alert_raised")
                else "saw msid %s leave")
        return "%s %s" % (who, what % event.get("peer_msid"))
    extra = []
    for key in ("state", "runid", "old_msid", "port", "api_port", "clock_offset_s", "during",
                "error", "late_s"):
        if key in event:
            extra.append("%s=%s" % (key, event[key]))
    for key in ("row_down", "aborted"):
        if key in event:
            extra.append("%s=%s" % (key, str(event[key]).lower()))
    return "%s %s%s" % (who, name, (" (" + ", ".join(extra) + ")") if extra else "")


def status_lines(event):
    """The simulator's status event as a table."""
    lines = ["%-5s %-20s %-23s %-11s %s" % ("node", "msid", "row state", "mode", "cluster port")]
    for n in event.get("nodes", []):
        lines.append("%-5s %-20s %-23s %-11s %s" % (n["node"], n["msid"], n.get("state") or "-",
                                                   n["mode"], n["port"]))
    for o in event.get("other_rows", []):
        lines.append("%-5s %-20s %-23s (an earlier identity of the host)"
                     % (o.get("name") or "-", o["msid"], o["state"]))
    return lines


def print_events(story, cluster, since, stop):
    """Prints what the simulator says in answer to the commands typed in the demo."""
    while not stop.is_set():
        since, events = cluster.events_after(since, 0.5)
        for event in events:
            if stop.is_set():
                return
            if event["event"] == "status":
                story.say("simulator status:")
                for line in status_lines(event):
                    story.detail(line)
                continue
            text = describe(event)
            if text:
                story.say("simulator: " + text)


def forward_stdin(cluster):
    """Passes each line typed in the demo to the simulator. On its own thread, so the
    main thread never sits in a read that a signal cannot interrupt."""
    try:
        for line in sys.stdin:
            if line.strip():
                cluster.send(line)
    except (OSError, ValueError):
        pass


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workdir", required=True, help="an empty folder for data, configs, logs")
    p.add_argument("--no-wait", action="store_true", help="stop everything after the story")
    p.add_argument("--driver", choices=("mysql", "postgresql"), default="mysql",
                   help="the database the simulated cluster and the exporter use")
    args = p.parse_args()
    args.workdir = os.path.abspath(args.workdir)

    # Ctrl-C and SIGTERM both end the demo through the same cleanup, once: Ctrl-C
    # reaches the demo and demo.sh together, and demo.sh passes a TERM on. Later
    # signals go to a handler that does nothing (not to SIG_IGN: Python reports a
    # signal that arrives while its handler is being set to SIG_IGN as an error).
    # Set explicitly: a shell starting the demo in the background hands it an
    # ignored SIGINT.
    def ignore(signum, frame):
        pass

    def interrupt(signum, frame):
        signal.signal(signal.SIGINT, ignore)
        signal.signal(signal.SIGTERM, ignore)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    story = Story()
    started = []
    interrupted = False
    stop_watch = threading.Event()
    rc = 0
    try:
        cluster, exporter = tell(story, args, started)
        if not args.no_wait:
            story.say("Everything keeps running. Type simulator commands here (restart %s, "
                      "hang ms-3, partition ms-1, stop ms-1, prepare-shutdown ms-3, status; "
                      "help lists them all) and watch the verdicts; Ctrl-C stops everything."
                      % VICTIM)
            threading.Thread(target=watch, args=(story, cluster, exporter, stop_watch),
                             daemon=True).start()
            threading.Thread(target=print_events,
                             args=(story, cluster, cluster.mark(), stop_watch),
                             daemon=True).start()
            threading.Thread(target=forward_stdin, args=(cluster,), daemon=True).start()
            # Until Ctrl-C or SIGTERM. A signal may be delivered to any thread, and
            # Python runs its handler in the main thread only: short waits let it run.
            while True:
                time.sleep(0.2)
    except KeyboardInterrupt:
        interrupted = True
        story.line()
    except Exception as e:  # the story failed: say why, then clean up all the same
        story.say("demo failed: %s" % e)
        rc = 1
    finally:
        # A later Ctrl-C (or the shell passing on a TERM) must not cut the cleanup.
        signal.signal(signal.SIGINT, ignore)
        signal.signal(signal.SIGTERM, ignore)
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
