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
# Verdicts that raise an alert; "ok" is the only one that does not.
ALERT_WORTHY = {"up_not_running", "up_heartbeat_stale", "up_unreachable", "down_but_running",
                "unknown"}
DRIVERS = ["mysql", "postgresql"]
_msid_bases = itertools.count(0x2_0000_0000_00, 0x100)


def next_msid_base():
    """A fresh msid range per scenario, so no series of an earlier one can match."""
    return next(_msid_bases)


class VerdictWatcher:
    """Scrapes the exporter's /metrics every 100 ms (five times per poll) in a thread
    and records each node's verdict and state over time, so a test can assert the
    whole sequence, not just where it ended. Samples are (monotonic time,
    {msid: (verdict, state)}) and guarded by a lock."""

    def __init__(self, exporter, period=0.1):
        self.exporter = exporter
        self.period = period
        self.samples = []
        self.errors = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                metrics = self.exporter.metrics()
            except Exception as e:  # recorded; a test reading errors decides
                self.errors.append(repr(e))
            else:
                nodes = {}
                for (name, labels), value in metrics.items():
                    labels = dict(labels)
                    if value != 1 or "msid" not in labels:
                        continue
                    if name == "cloudstack_mshost_verdict":
                        nodes.setdefault(labels["msid"], [None, None])[0] = labels["verdict"]
                    elif name == "cloudstack_mshost_state":
                        nodes.setdefault(labels["msid"], [None, None])[1] = labels["state"]
                with self._lock:
                    self.samples.append((time.monotonic(),
                                         {m: tuple(v) for m, v in nodes.items()}))
            self._stop.wait(self.period)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)

    def history(self, msid, since=0.0):
        """[(t, verdict, state)] for msid from time `since` on (absent samples skipped)."""
        with self._lock:
            return [(t, nodes[msid][0], nodes[msid][1])
                    for t, nodes in self.samples if t >= since and msid in nodes]

    def sequence(self, msid, since=0.0):
        """The verdicts of msid since `since`, consecutive repeats collapsed."""
        out = []
        for _, verdict, _ in self.history(msid, since):
            if not out or out[-1] != verdict:
                out.append(verdict)
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
