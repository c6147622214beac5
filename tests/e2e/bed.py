"""Shared pieces of the end-to-end suites: the short settings, the exporter
configuration they use, and VerdictWatcher, which records every verdict the exporter
shows so a test can assert the sequence."""
import itertools
import threading
import time

POLL_INTERVAL = 0.5
DEAD_AFTER = 2.0
STALE_AFTER = 4.0
# 0.5 s keeps the gap between heartbeats (plus the second DATETIME truncates) well
# under dead_after, so a node that heartbeats is never taken for silent.
HEARTBEAT_INTERVAL = 0.5
# Verdicts that raise an alert, and "unknown"; ok, maintenance and superseded page
# nobody (docs/verdicts.md).
ALERT_WORTHY = {"up_not_running", "stop_unfinished", "up_heartbeat_stale", "up_unreachable",
                "down_but_running", "unknown"}
DRIVERS = ["mysql", "postgresql"]
_msid_bases = itertools.count(0x2_0000_0000_00, 0x100)


def next_msid_base():
    """A fresh msid range per scenario, so no series of an earlier one can match."""
    return next(_msid_bases)


class VerdictWatcher:
    """Reads the exporter every 100 ms (five times per poll) in a thread and records
    each node's verdict and state over time, so a test can assert the whole sequence,
    not just where it ended. Samples are (monotonic time, {msid: (verdict, state)})
    and guarded by a lock.

    source="metrics" scrapes /metrics (the default target); source="status" reads
    /api/v1/status (its first target) and also records the target's running_nodes
    per sample (`running`)."""

    def __init__(self, exporter, period=0.1, source="metrics"):
        self.exporter = exporter
        self.period = period
        self.source = source
        self.samples = []
        self.running = []  # (monotonic time, running_nodes), source="status" only
        self.errors = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _read_metrics(self):
        nodes = {}
        for (name, labels), value in self.exporter.metrics().items():
            labels = dict(labels)
            if value != 1 or "msid" not in labels:
                continue
            if name == "cloudstack_mshost_verdict":
                nodes.setdefault(labels["msid"], [None, None])[0] = labels["verdict"]
            elif name == "cloudstack_mshost_state":
                nodes.setdefault(labels["msid"], [None, None])[1] = labels["state"]
        return {m: tuple(v) for m, v in nodes.items()}, None

    def _read_status(self):
        target = self.exporter.status()["targets"][0]
        nodes = {n["msid"]: (n["verdict"], n["state"]) for n in target["nodes"]}
        return nodes, target["running_nodes"] if target["db"]["ever_up"] else None

    def _run(self):
        read = self._read_status if self.source == "status" else self._read_metrics
        while not self._stop.is_set():
            try:
                nodes, running = read()
            except Exception as e:  # recorded; a test reading errors decides
                self.errors.append(repr(e))
            else:
                now = time.monotonic()
                with self._lock:
                    self.samples.append((now, nodes))
                    if running is not None:
                        self.running.append((now, running))
            self._stop.wait(self.period)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)

    def history(self, msid, since=0.0):
        """[(t, verdict, state)] for msid from time `since` on (absent samples skipped)."""
        with self._lock:
            return [(t, nodes[msid][0], nodes[msid][1])
                    for t, nodes in self.samples if t >= since and msid in nodes]

    def verdicts(self, msid, since=0.0):
        """The set of verdicts msid showed since `since`."""
        return {v for _, v, _ in self.history(msid, since)}

    def states(self, msid, since=0.0):
        """The states of msid since `since`, consecutive repeats collapsed."""
        out = []
        for _, _, state in self.history(msid, since):
            if not out or out[-1] != state:
                out.append(state)
        return out

    def min_running(self, since=0.0):
        """The fewest running nodes seen since `since` (source="status")."""
        with self._lock:
            seen = [n for t, n in self.running if t >= since]
        return min(seen) if seen else None

    def sequence(self, msid, since=0.0):
        """The verdicts of msid from `since` on, consecutive repeats collapsed, starting
        with the one in force at `since` (the last sample before it): on a loaded
        machine the first sample after a kill can already show the next verdict, and
        the sequence must still say what the node was when it was killed."""
        with self._lock:
            before = [nodes[msid][0] for t, nodes in self.samples
                      if t < since and msid in nodes]
        out = before[-1:]
        for _, verdict, _ in self.history(msid, since):
            if not out or out[-1] != verdict:
                out.append(verdict)
        return out

    def timeline(self, msid, since=0.0):
        """For an assertion's message: "+SECONDS verdict" at each change of msid's
        verdict from `since` on, so a failure says when an unexpected verdict came
        (before the act: the node itself stalled; after it: something answered)."""
        out = []
        for t, verdict, state in self.history(msid, since):
            if not out or out[-1][1] != verdict:
                out.append(("+%.1fs" % (t - since), verdict, state))
        return out

    def current(self, msid):
        h = self.history(msid)
        return h[-1][1:] if h else (None, None)

    def wait_verdict(self, msid, verdict, since, timeout):
        """Seconds from `since` until msid was first seen with `verdict`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, v, _ in self.history(msid, since):
                if v == verdict:
                    return t - since
            time.sleep(0.05)
        raise AssertionError("%s never showed verdict %s within %.1fs; seen %s"
                             % (msid, verdict, timeout, self.sequence(msid, since)))

    def wait_all_ok(self, msids, timeout=15.0):
        """Waits until every msid shows verdict ok in the same sample."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                last = self.samples[-1][1] if self.samples else {}
            if all(last.get(m, (None,))[0] == "ok" for m in msids):
                return
            time.sleep(0.05)
        raise AssertionError("not all ok within %.0fs: %s" % (
            timeout, {m: self.current(m) for m in msids}))


class Stack:
    def __init__(self, driver, db, alertmanager, exporter, prometheus, workdir):
        self.driver = driver
        self.db = db
        self.alertmanager = alertmanager
        self.exporter = exporter
        self.prometheus = prometheus
        self.workdir = workdir


def exporter_config(db, alertmanager_url):
    return {
        "poll_interval": "500ms",
        "targets": [{
            "name": "e2e",
            "database": db.config_yaml_database(),
            "heartbeat": {"dead_after": "2s", "stale_after": "4s"},
            "probe": {"kind": "tcp", "timeout": "500ms"},
            # Agents and jobs every 2 s rather than 30, so takeovers show within a test.
            "blast_radius": {"interval": "2s"},
            "labels": {"cloudstack": "e2e"},
        }],
        "alerting": {"alertmanagers": [alertmanager_url], "resend_interval": "2s"},
    }
