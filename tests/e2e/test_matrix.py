"""The acceptance matrix (issue 15, docs/test-matrix.md): what real CloudStack clusters
do that must page nobody, and what must page, over the CloudStack releases the
simulator plays and both drivers.

Each case runs the simulator (tests/sim/mssim.py, --cloudstack-version) against a real
MariaDB or PostgreSQL (the `db` fixture), one exporter of its own, and a Recorder
(tests/lib/alert_sinks.py) standing in for Alertmanager, so every push the built-in
evaluator makes is on record. A VerdictWatcher reads /api/v1/status ten times a
second. Each case asserts the verdicts CONTRACT.md gives (docs/verdicts.md), the
alerts it raises, and that nothing else was pushed at all.

Short settings (poll 500ms, dead_after 2s, stale_after 4s, heartbeats every 0.5s)
with every `for` at 0s except where a correct exporter shows a transient on the way
(FAST_FORS): so a single wrong poll pages and fails the case. The slow-heartbeat
soak runs at the exporter's defaults. ctest runs this file in three parts per driver
(tests/e2e/CMakeLists.txt) side by side.
"""
import os
import time

import pytest

from bed import (DEAD_AFTER, HEARTBEAT_INTERVAL, POLL_INTERVAL, STALE_AFTER, VerdictWatcher,
                 next_msid_base)
from lib import procs, sim
from lib.alert_sinks import Recorder
from lib.prom_servers import wait_until

TARGET = "matrix"
LABELS = {"cloudstack": "matrix"}
UP_NOT_RUNNING = "CloudStackMgmtServerUpNotRunning"
STOP_UNFINISHED = "CloudStackMgmtServerStopUnfinished"
UNREACHABLE = "CloudStackMgmtServerUnreachable"
HEARTBEAT_STALE = "CloudStackMgmtServerHeartbeatStale"
DOWN_BUT_RUNNING = "CloudStackMgmtServerDownButRunning"
NO_RUNNING = "CloudStackNoRunningMgmtServer"
SOURCE_DOWN = "CloudStackMshostSourceDown"
FLAPPING = "CloudStackMgmtServerFlapping"
# The dead-man's switch: always firing, severity none, pages nobody (docs/alerting.md).
# The cases leave it out of "what was pushed", and check that it keeps coming, so
# "nothing was pushed" is never the silence of a recorder that hears nothing.
WATCHDOG = "MshostExporterWatchdog"

# 0s pages on the first poll that shows the verdict. Three verdicts show up for a
# moment on the way in cases that must not page (docs/test-matrix.md): up_unreachable
# (a killed node until dead_after passes; a restarted node whose row is Up before its
# port opens), down_but_running (an old Down row of a re-identified host until it is
# stale) and stop_unfinished, whose own `for` is shortened only to keep cases quick.
STOP_UNFINISHED_FOR = 2.0
UNREACHABLE_FOR = 5.0
DOWN_BUT_RUNNING_FOR = 8.0
FAST_FORS = {UP_NOT_RUNNING: 0.0, NO_RUNNING: 0.0, FLAPPING: 0.0, SOURCE_DOWN: 0.0,
             HEARTBEAT_STALE: 0.0, STOP_UNFINISHED: STOP_UNFINISHED_FOR,
             UNREACHABLE: UNREACHABLE_FOR, DOWN_BUT_RUNNING: DOWN_BUT_RUNNING_FOR}
# As in test_scenarios.py: heartbeat age at the kill, DATETIME truncation, one poll,
# the watcher.
CATCH_SLACK = HEARTBEAT_INTERVAL + 1.0 + POLL_INTERVAL + 0.5
# cluster.heartbeat.threshold for the cases where peers matter: longer than
# stale_after, as CloudStack's 150 s is, so the order of events is the real one.
PEER_THRESHOLD = 6.0
PEERS_CLEAR = {"4.20.1", "4.21"}  # releases whose live peers set a silent Up row Down
# The slow-heartbeat soak: 5 minutes in bench/matrix-soak, 2 under ctest.
SOAK_SECONDS = float(os.environ.get("MSX_MATRIX_SOAK_SECONDS", "120"))


def duration(seconds):
    """A duration the configuration accepts (whole numbers only): 0.5 -> "500ms"."""
    return "%dms" % round(seconds * 1000)


def settle():
    """Long enough for a silent node to turn stale, plus two polls."""
    time.sleep(STALE_AFTER + 2 * POLL_INTERVAL)


def fast_config(db, recorder):
    return {
        "poll_interval": duration(POLL_INTERVAL),
        "targets": [{
            "name": TARGET,
            "database": db.config_yaml_database(),
            "heartbeat": {"dead_after": duration(DEAD_AFTER),
                          "stale_after": duration(STALE_AFTER)},
            "probe": {"kind": "tcp", "timeout": "500ms"},
            "labels": dict(LABELS),
        }],
        "alerting": {"alertmanagers": [recorder.url], "resend_interval": "2s",
                     "rules": {name: {"for": duration(d)} for name, d in FAST_FORS.items()}},
    }


def default_config(db, recorder):
    """Every setting at its default but where to read and where to push."""
    return {
        "targets": [{"name": TARGET, "database": db.config_yaml_database(),
                     "labels": dict(LABELS)}],
        "alerting": {"alertmanagers": [recorder.url]},
    }


class Case:
    """One case's simulator, exporter, recorder and watcher on emptied tables."""

    def __init__(self, db, workdir):
        self.db = db
        self.workdir = workdir
        self._started = []

    def start(self, version, nodes=3, heartbeat_interval=HEARTBEAT_INTERVAL, sim_args=(),
              clock_offsets=None, config=fast_config):
        for table in ("mshost_peer", "mshost_status", "mshost"):  # children first
            self.db.execute("DELETE FROM " + table)
        self.version = version
        self.recorder = self._add(Recorder())
        self.sim = self._add(sim.start_simulator(
            self.db, os.path.join(self.workdir, "sim"), nodes=nodes,
            heartbeat_interval=heartbeat_interval, cloudstack_version=version,
            clock_offsets=clock_offsets,
            extra_args=["--msid-base", str(next_msid_base())] + list(sim_args)))
        self.exporter = self._add(procs.start_exporter(
            config(self.db, self.recorder), os.path.join(self.workdir, "exporter")))
        self.watcher = self._add(VerdictWatcher(self.exporter, source="status"))
        self.watcher.wait_all_ok(self.msids(), timeout=20)
        return self

    def _add(self, part):
        self._started.append(part)
        return part

    def stop(self):
        for part in reversed(self._started):
            try:
                part.stop()
            except Exception:  # every part gets its chance to stop
                pass

    def msids(self):
        return [self.sim.msid(n) for n in self.sim.nodes]

    def story(self, msid, since):
        """For an assertion's message: msid's verdicts from `since` on, with when each
        came, and every heartbeat the simulator wrote late (the node was stalled)."""
        late = [(e["node"], e["late_s"]) for e in self.sim.events
                if e["event"] == "heartbeat_late"]
        return {"verdicts": self.watcher.timeline(msid, since), "late_heartbeats": late}

    def node(self, msid):
        """The node's entry in /api/v1/status."""
        for n in self.exporter.status()["targets"][0]["nodes"]:
            if n["msid"] == msid:
                return n
        raise AssertionError("no node %s in /api/v1/status" % msid)

    def pages(self):
        """[(receive time, alert)] of every push but the watchdog's."""
        return [(t, a) for t, a in self.recorder.pushed()
                if a["labels"]["alertname"] != WATCHDOG]

    def pushed_names(self):
        return self.recorder.alertnames() - {WATCHDOG}

    def wait_pushed(self, alertname, msid, timeout):
        """The first firing push of `alertname` for msid, as the recorder got it."""
        def firing():
            return [a for a in self.recorder.firing(alertname=alertname, msid=msid).values()]
        return wait_until(firing, timeout, "%s for %s pushed" % (alertname, msid),
                          interval=0.1)[0]

    def wait_resolved(self, alertname, msid, timeout):
        wait_until(lambda: self.recorder.pushed(alertname=alertname, msid=msid)
                   and not self.recorder.firing(alertname=alertname, msid=msid),
                   timeout, "%s for %s resolved" % (alertname, msid), interval=0.1)

    def others_ok(self, but, since=0.0):
        for name in self.sim.nodes:
            if name not in but:
                msid = self.sim.msid(name)
                assert self.watcher.verdicts(msid, since) == {"ok"}, (
                    name, self.watcher.sequence(msid, since))

    def assert_scrapes_fine(self):
        assert not self.watcher.errors, self.watcher.errors[:3]
        assert not self.recorder.bad, self.recorder.bad[:3]
        # The recorder did hear the evaluator: the watchdog is firing.
        assert self.recorder.firing(alertname=WATCHDOG, target=TARGET)


@pytest.fixture
def case(db, tmp_path):
    c = Case(db, str(tmp_path))
    try:
        yield c
    finally:
        c.stop()


def node_labels(alertname, severity, msid, name):
    return dict(LABELS, alertname=alertname, severity=severity, target=TARGET, msid=msid,
                name=name)


# --- planned work and new identities: nothing pages ---------------------------------

def test_maintenance_stop_raises_nothing(case):
    """4.21 keeps a stopped node in Maintenance (or writes Maintenance when it stops in
    PreparingForMaintenance): planned work, verdict maintenance, no page; started
    again it stays in Maintenance until the operator cancels it."""
    case.start("4.21")
    ms2, ms3 = case.sim.msid("ms-2"), case.sim.msid("ms-3")
    t0 = time.monotonic()
    case.sim.act("maintenance", "ms-2", "step=0.5s")
    case.watcher.wait_verdict(ms2, "maintenance", t0, 2 * POLL_INTERVAL + 1)
    assert case.sim.act("stop", "ms-2")["state"] == "Maintenance"
    case.sim.act("maintenance", "ms-3", "hold")  # PreparingForMaintenance: still in service
    assert case.sim.act("stop", "ms-3")["state"] == "Maintenance"
    settle()  # both silent and closed well past stale_after
    for msid in (ms2, ms3):
        assert case.watcher.current(msid) == ("maintenance", "Maintenance")
    # A node in Maintenance is out of service: only ms-1 runs.
    assert case.watcher.running[-1][1] == 1
    assert case.watcher.min_running(t0) >= 1

    assert case.sim.act("start", "ms-2")["state"] == "Maintenance"
    case.sim.act("cancel-maintenance", "ms-2")
    wait_until(lambda: case.watcher.current(ms2) == ("ok", "Up"), 2 * POLL_INTERVAL + 2,
               "ms-2 ok and Up after cancel-maintenance")
    time.sleep(2 * POLL_INTERVAL)
    # PreparingForMaintenance is in service (ok); Maintenance, stopped or not, is
    # maintenance, and nothing else came between.
    assert case.watcher.sequence(ms2, t0) == ["ok", "maintenance", "ok"]
    assert case.watcher.sequence(ms3, t0) == ["ok", "maintenance"]
    case.others_ok(("ms-2", "ms-3"), t0)
    assert case.pages() == []
    case.assert_scrapes_fine()


@pytest.mark.parametrize("version,how", [("4.18", "kill"), ("4.20.0", "kill"),
                                         ("4.20.1", "kill"), ("4.21", "stop")])
def test_reidentify_raises_nothing_for_the_old_row(case, version, how):
    """The host comes back under a new msid (its MAC changed); its old row (Up after a
    kill, Down after a clean stop) stays behind with the same name and address: verdict
    superseded, no page. From 4.20.1 live peers set the old Up row Down after the
    heartbeat threshold; it stays superseded."""
    case.start(version, sim_args=["--heartbeat-threshold", "%gs" % PEER_THRESHOLD])
    old = case.sim.msid("ms-2")
    t0 = time.monotonic()
    case.sim.act(how, "ms-2")
    since = case.sim.mark()
    event = case.sim.act("reidentify", "ms-2")
    new = event["msid"]
    assert event["old_msid"] == old and new != old
    case.watcher.wait_verdict(old, "superseded", t0, STALE_AFTER + CATCH_SLACK + 1)
    assert case.node(old)["superseded_by"] == new

    left_state = "Up" if how == "kill" else "Down"
    if how == "kill" and version in PEERS_CLEAR:
        marked = case.sim.wait_event("peer_marked_down", since=since,
                                     timeout=PEER_THRESHOLD + 5)
        assert marked["peer_msid"] == old
        left_state = "Down"
    else:
        time.sleep(max(0.0, PEER_THRESHOLD + 1 - (time.monotonic() - t0)))
    time.sleep(2 * POLL_INTERVAL)
    assert case.watcher.current(old) == ("superseded", left_state)
    assert case.node(old)["superseded_by"] == new

    # On the way: a poll between the kill and the new start may find nothing on the
    # port (up_unreachable); an old Down row answered by the new process is
    # down_but_running until it is stale. Neither lasts long enough to page.
    transient = "up_unreachable" if how == "kill" else "down_but_running"
    assert case.watcher.verdicts(old, t0) <= {"ok", transient, "superseded"}, \
        case.story(old, t0)
    assert case.watcher.verdicts(new) == {"ok"}
    case.others_ok(("ms-2",), t0)
    assert case.pages() == []
    case.assert_scrapes_fine()


@pytest.mark.parametrize("version", ["4.18", "4.20.1"])
def test_cut_off_from_every_port_raises_no_no_running(case, version):
    """The exporter loses its route to every node (the simulator's partition closes
    each node's ports while it heartbeats on): every node up_unreachable, each pages
    Unreachable after its `for`, and nothing says "no running management server":
    running_nodes stays 3."""
    case.start(version)
    msids = case.msids()
    t0 = time.monotonic()
    for name in case.sim.nodes:
        case.sim.act("partition", name)
    for msid in msids:
        case.watcher.wait_verdict(msid, "up_unreachable", t0, 2 * POLL_INTERVAL + 2)
    for name, msid in zip(case.sim.nodes, msids):
        alert = case.wait_pushed(UNREACHABLE, msid, UNREACHABLE_FOR + 2 * POLL_INTERVAL + 3)
        assert alert["labels"] == node_labels(UNREACHABLE, "warning", msid, name)
    time.sleep(STALE_AFTER)  # well past stale_after and dead_after: heartbeats keep it fresh
    for msid in msids:
        assert case.watcher.verdicts(msid, t0) == {"ok", "up_unreachable"}, \
            case.story(msid, t0)
    assert case.watcher.min_running(t0) == 3
    assert case.exporter.status()["targets"][0]["running_nodes"] == 3

    t_back = time.monotonic()
    for name in case.sim.nodes:
        case.sim.act("resume", name)
    for msid in msids:
        case.watcher.wait_verdict(msid, "ok", t_back, 2 * POLL_INTERVAL + 2)
        case.wait_resolved(UNREACHABLE, msid, 2 * POLL_INTERVAL + 3)
    assert case.pushed_names() == {UNREACHABLE}
    case.assert_scrapes_fine()


@pytest.mark.parametrize("version", ["4.20.0", "4.21"])
def test_orderly_restarts_raise_nothing(case, version):
    """Ten orderly restarts (a clean stop, then a start) rolling over four nodes, one
    with its clock 20 s behind; each start writes the row Up with the new runid a
    second before the port opens (--listen-delay), as CloudStack does. Nothing pages:
    not the gap, not the skewed clock after a restart, not Flapping (three restarts
    of one node at most)."""
    case.start(version, nodes=4, sim_args=["--listen-delay", "1s"])
    # Stepped back while the exporter watches: at the exporter's own start a skewed
    # node shows its raw age until its next heartbeat (docs/verdicts.md), which the
    # default `for: 1m` of HeartbeatStale absorbs and this case's 0s would not.
    case.sim.act("clock", "ms-2", "-20s")
    time.sleep(2 * POLL_INTERVAL + HEARTBEAT_INTERVAL)
    msids = case.msids()
    names = list(case.sim.nodes)
    order = (names * 3)[:10]
    t0 = time.monotonic()
    for name in order:
        assert case.sim.act("stop", name)["state"] == "Down"
        case.sim.act("start", name, timeout=10)
        time.sleep(2 * POLL_INTERVAL)  # a rolling restart waits for the node to serve
    settle()
    for msid in msids:
        # up_unreachable: a poll in the second between the new row and the open port.
        assert case.watcher.verdicts(msid, t0) <= {"ok", "up_unreachable"}, (
            msid, case.watcher.sequence(msid, t0))
        assert case.watcher.current(msid)[0] == "ok"
    offset = case.node(case.sim.msid("ms-2"))["clock_offset_seconds"]
    assert offset is not None and 19.0 <= offset <= 22.0, offset  # the skew was in force
    restarts = {name: case.node(case.sim.msid(name))["restarts"] for name in names}
    assert restarts == {name: order.count(name) for name in names}
    assert case.watcher.min_running(t0) >= 3
    assert case.pages() == []
    case.assert_scrapes_fine()


# --- what must page, and only that ----------------------------------------------------

@pytest.mark.parametrize("version,abort", [("4.19", "ShuttingDown"), ("4.20.0", "ReadyToShutDown"),
                                           ("4.20.1", "ShuttingDown"), ("4.21", "ReadyToShutDown")])
def test_unfinished_stop_is_stop_unfinished(case, version, abort):
    """A triggered shutdown whose stop aborts (apache/cloudstack#9722 on the shutdown
    path) leaves the row ReadyToShutDown or ShuttingDown with no process: verdict
    stop_unfinished and CloudStackMgmtServerStopUnfinished (warning). No release's
    peers ever clear such a row; a start of the node resolves it."""
    case.start(version, sim_args=["--heartbeat-threshold", "%gs" % PEER_THRESHOLD])
    msid = case.sim.msid("ms-2")
    t0 = time.monotonic()
    event = case.sim.act("trigger-shutdown", "ms-2", "abort=" + abort, "step=0.3s")
    assert event["aborted"] and event["state"] == abort
    case.watcher.wait_verdict(msid, "stop_unfinished", t0, DEAD_AFTER + CATCH_SLACK + 1)
    alert = case.wait_pushed(STOP_UNFINISHED, msid, STOP_UNFINISHED_FOR + 2 * POLL_INTERVAL + 3)
    assert alert["labels"] == node_labels(STOP_UNFINISHED, "warning", msid, "ms-2")
    assert "never set this row Down" in alert["annotations"]["description"]
    assert STOP_UNFINISHED in alert["annotations"]["runbook_url"]

    time.sleep(max(0.0, PEER_THRESHOLD + 1 - (time.monotonic() - t0)))
    assert case.watcher.current(msid) == ("stop_unfinished", abort)  # no peer cleared it
    assert case.watcher.min_running(t0) == 2

    case.sim.act("start", "ms-2")
    case.wait_resolved(STOP_UNFINISHED, msid, 2 * POLL_INTERVAL + 3)
    wait_until(lambda: case.watcher.current(msid) == ("ok", "Up"), 2, "ms-2 ok and Up")
    # On the way: the process is gone while its heartbeat is still fresh.
    assert case.watcher.verdicts(msid, t0) <= {"ok", "up_unreachable", "stop_unfinished"}, \
        case.story(msid, t0)
    case.others_ok(("ms-2",), t0)
    assert case.pushed_names() == {STOP_UNFINISHED}
    assert {a["labels"]["msid"] for _, a in case.pages()} == {msid}
    case.assert_scrapes_fine()


@pytest.mark.parametrize("version,how", [("4.20.0", "kill"), ("4.20.0", "stop-abort"),
                                         ("4.20.1", "kill")])
def test_up_and_killed_is_up_not_running(case, version, how):
    """A node killed (or whose stop aborted before it wrote Down, #9722 as reported)
    leaves its row Up: up_not_running and CloudStackMgmtServerUpNotRunning (critical),
    whose description says whether CloudStack will clear the row. Up to 4.20.0 no
    peer ever does; from 4.20.1 a live peer sets it Down after the heartbeat
    threshold, and the alert resolves."""
    case.start(version, sim_args=["--heartbeat-threshold", "%gs" % PEER_THRESHOLD])
    msid = case.sim.msid("ms-2")
    t0 = time.monotonic()
    since = case.sim.mark()
    verb, *options = how.split("-")  # "stop-abort": stop ms-2 abort
    case.sim.act(verb, "ms-2", *options)
    case.watcher.wait_verdict(msid, "up_not_running", t0, DEAD_AFTER + CATCH_SLACK)
    alert = case.wait_pushed(UP_NOT_RUNNING, msid, 2 * POLL_INTERVAL + 2)
    assert alert["labels"] == node_labels(UP_NOT_RUNNING, "critical", msid, "ms-2")
    description = alert["annotations"]["description"]
    if version in PEERS_CLEAR:
        assert "will set this row Down" in description, description
        marked = case.sim.wait_event("peer_marked_down", since=since,
                                     timeout=PEER_THRESHOLD + 5)
        assert marked["peer_msid"] == msid
        case.wait_resolved(UP_NOT_RUNNING, msid, 2 * POLL_INTERVAL + 3)
        wait_until(lambda: case.watcher.current(msid) == ("ok", "Down"), 2, "ms-2 ok and Down")
    else:
        assert "never set this row Down" in description, description
        assert "before 4.20.1" in description, description
        time.sleep(max(0.0, PEER_THRESHOLD + 1 - (time.monotonic() - t0)))
        assert case.watcher.current(msid) == ("up_not_running", "Up")
        assert case.recorder.firing(alertname=UP_NOT_RUNNING, msid=msid)
    assert case.watcher.verdicts(msid, t0) <= {"ok", "up_unreachable", "up_not_running"}, \
        case.story(msid, t0)
    case.others_ok(("ms-2",), t0)
    assert case.pushed_names() == {UP_NOT_RUNNING}
    assert {a["labels"]["msid"] for _, a in case.pages()} == {msid}
    case.assert_scrapes_fine()


def test_database_restarts_raise_only_source_down(case):
    """Five database outages (three clean restarts, two crashes): SourceDown fires in
    each (its `for` is 0s here) and resolves soon after the database is back; no node
    alert, no NoRunning, during or after, though every heartbeat is as old as the
    outage on the first read."""
    case.start("4.20.1")
    msids = case.msids()
    db = case.db
    t0 = time.monotonic()
    recoveries = []
    try:
        for i in range(5):
            started = len(case.recorder.pushed(alertname=SOURCE_DOWN))
            if i % 2 == 0:
                db.stop()
            else:
                db.kill()
            wait_until(lambda: len(case.recorder.pushed(alertname=SOURCE_DOWN)) > started
                       and case.recorder.firing(alertname=SOURCE_DOWN),
                       2 * POLL_INTERVAL + 5, "SourceDown pushed (outage %d)" % (i + 1),
                       interval=0.1)
            db.start()
            back = time.monotonic()
            wait_until(lambda: not case.recorder.firing(alertname=SOURCE_DOWN), 15,
                       "SourceDown resolved (outage %d)" % (i + 1), interval=0.1)
            recoveries.append(time.monotonic() - back)
            time.sleep(2 * POLL_INTERVAL)
    finally:
        if not db.running:
            db.start()
    settle()
    print("database back -> SourceDown resolved: %s s"
          % ", ".join("%.1f" % r for r in recoveries))
    # A target that was up retries fast: no reconnect backoff of many seconds.
    assert max(recoveries) <= 5.0, recoveries
    for msid in msids:
        assert case.watcher.verdicts(msid, t0) == {"ok"}, case.watcher.sequence(msid, t0)
    assert case.watcher.min_running(t0) == 3
    assert case.pushed_names() == {SOURCE_DOWN}
    case.assert_scrapes_fine()


# --- a slower heartbeat, at the exporter's defaults -----------------------------------

def test_slow_heartbeat_raises_nothing_at_the_defaults(case):
    """cluster.heartbeat.interval at 5 s, the exporter at every default (poll 2s,
    thresholds unset, so they follow the observed interval; every `for` at its
    default). Over the soak every poll of every node is ok and nothing is pushed; the
    thresholds in force become 6 and 3 intervals. Then a kill still pages, within the
    longer dead_after."""
    case.start("4.20.1", heartbeat_interval=5.0, config=default_config)
    msids = case.msids()
    deadline = time.monotonic() + SOAK_SECONDS
    while time.monotonic() < deadline:
        assert case.pages() == [], case.pages()[:3]
        time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
    for msid in msids:
        assert case.watcher.verdicts(msid) == {"ok"}, case.watcher.sequence(msid)
        node = case.node(msid)
        interval = node["heartbeat_interval_seconds"]
        assert interval is not None and 4.0 <= interval <= 6.0, node
        assert node["stale_after_seconds"] == pytest.approx(max(10.0, 6 * interval))
        assert node["dead_after_seconds"] == pytest.approx(max(5.0, 3 * interval))
    assert case.watcher.min_running() == 3
    assert case.pages() == []

    msid = case.sim.msid("ms-2")
    dead_after = case.node(msid)["dead_after_seconds"]
    t0 = time.monotonic()
    case.sim.act("kill", "ms-2")
    # Its last heartbeat is up to one interval (plus the truncated second) old at the
    # kill; the exporter needs one 2 s poll to see it.
    bound = dead_after + 2.0 + 1.0 + 1.0
    elapsed = case.watcher.wait_verdict(msid, "up_not_running", t0, bound + 5)
    print("5 s heartbeat: kill -> up_not_running in %.1f s (dead_after %.1f s)"
          % (elapsed, dead_after))
    assert elapsed <= bound
    alert = case.wait_pushed(UP_NOT_RUNNING, msid, 5)
    assert alert["labels"] == node_labels(UP_NOT_RUNNING, "critical", msid, "ms-2")
    assert case.pushed_names() == {UP_NOT_RUNNING}
    case.assert_scrapes_fine()
