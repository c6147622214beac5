"""The simulator itself, against a real database per driver: the rows, heartbeats,
peers and listeners every end-to-end test relies on. Without the exporter, so a
failure here points at the test bed, not at the product."""
import contextlib
import datetime
import os
import socket
import ssl
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import sim  # noqa: E402
from lib.prom_servers import wait_until  # noqa: E402


@pytest.fixture
def cluster(db, tmp_path):
    for table in ("mshost_peer", "mshost_status", "mshost", "host", "async_job"):
        db.execute("DELETE FROM " + table)
    simulator = sim.start_simulator(db, str(tmp_path), nodes=3, heartbeat_interval=0.3,
                                    clock_offsets={"ms-3": "-40s"})
    try:
        yield simulator
    finally:
        simulator.stop()


def row(db, msid):
    rows = db.execute("SELECT state, runid, last_update, service_ip, service_port, removed, "
                      "alert_count, name FROM mshost WHERE msid=%s", (msid,))
    assert len(rows) == 1, rows
    state, runid, last_update, ip, port, removed, alert_count, name = rows[0]
    return {"state": state, "runid": int(runid), "last_update": last_update,
            "service_ip": ip.strip(), "service_port": port, "removed": removed,
            "alert_count": alert_count, "name": name}


def db_utc_now(db):
    sql = ("SELECT UTC_TIMESTAMP(6)" if db.driver == "mysql"
           else "SELECT (now() AT TIME ZONE 'utc')::timestamp")
    return db.execute(sql)[0][0]


def connects(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_rows_heartbeats_and_peers(db, cluster):
    msids = {name: cluster.msid(name) for name in ("ms-1", "ms-2", "ms-3")}
    assert int(msids["ms-3"]) >= 2**63  # unsigned 64-bit msids are exercised
    for name, msid in msids.items():
        r = row(db, msid)
        assert (r["state"], r["name"], r["service_ip"], r["removed"], r["alert_count"]) == \
            ("Up", name, "127.0.0.1", None, 0)
        assert r["service_port"] == cluster.nodes[name]["port"]
        assert str(r["runid"]) == cluster.nodes[name]["runid"]
        assert connects(r["service_port"])

    # Heartbeats move last_update forward, on each node's own clock.
    first = row(db, msids["ms-1"])["last_update"]
    wait_until(lambda: row(db, msids["ms-1"])["last_update"] > first, 3, "a heartbeat")
    now = db_utc_now(db)
    assert abs((now - row(db, msids["ms-1"])["last_update"]).total_seconds()) < 2
    behind = (now - row(db, msids["ms-3"])["last_update"]).total_seconds()
    assert 38 < behind < 42, behind

    # One mshost_peer row per ordered pair of nodes, with the peer's current runid.
    wait_until(lambda: len(db.execute("SELECT id FROM mshost_peer")) == 6, 3, "6 peer rows")
    ids = {int(i): int(m) for i, m in db.execute("SELECT id, msid FROM mshost")}
    runids = {int(i): int(r) for i, r in db.execute("SELECT id, runid FROM mshost")}
    for owner, peer, peer_runid, peer_state in db.execute(
            "SELECT owner_mshost, peer_mshost, peer_runid, peer_state FROM mshost_peer"):
        assert owner != peer and int(owner) in ids and int(peer) in ids
        assert int(peer_runid) == runids[int(peer)]
        assert peer_state == "Up"


def test_kill_leaves_row_up_and_port_closed(db, cluster):
    msid, port = cluster.msid("ms-2"), cluster.nodes["ms-2"]["port"]
    cluster.act("kill", "ms-2")
    frozen = row(db, msid)
    assert frozen["state"] == "Up"
    assert not connects(port)
    time.sleep(1.0)  # three heartbeat intervals: none may come
    assert row(db, msid)["last_update"] == frozen["last_update"]


def bindable(port):
    """What lib/ports.free_port asks before it hands a port to another test's server."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def test_a_dead_nodes_port_stays_its_own(db, cluster):
    """While nothing listens on a node's ports, the simulator holds them bound: another
    test's server cannot take one and answer the exporter's probe for a dead node. The
    node's restart listens on them again."""
    ports = (cluster.nodes["ms-2"]["port"], cluster.nodes["ms-1"]["port"])
    cluster.act("kill", "ms-2")
    cluster.act("partition", "ms-1")
    for port in ports:
        assert not connects(port)
        assert not bindable(port)
    cluster.act("start", "ms-2")
    cluster.act("resume", "ms-1")
    for port in ports:
        wait_until(lambda: connects(port), 5, "port %d open again" % port)


def test_stop_sets_down(db, cluster):
    msid, port = cluster.msid("ms-1"), cluster.nodes["ms-1"]["port"]
    cluster.act("stop", "ms-1")
    assert row(db, msid)["state"] == "Down"
    assert not connects(port)


def test_hang_keeps_port_open_without_heartbeats(db, cluster):
    msid, port = cluster.msid("ms-1"), cluster.nodes["ms-1"]["port"]
    cluster.act("hang", "ms-1")
    frozen = row(db, msid)["last_update"]
    time.sleep(1.0)
    assert row(db, msid)["last_update"] == frozen
    assert connects(port)
    cluster.act("resume", "ms-1")
    assert row(db, msid)["last_update"] > frozen


def test_partition_closes_port_but_heartbeats(db, cluster):
    msid, port = cluster.msid("ms-1"), cluster.nodes["ms-1"]["port"]
    cluster.act("partition", "ms-1")
    assert not connects(port)
    before = row(db, msid)["last_update"]
    wait_until(lambda: row(db, msid)["last_update"] > before, 3, "heartbeats to go on")


def test_restart_new_runid_same_port(db, cluster):
    msid, port = cluster.msid("ms-1"), cluster.nodes["ms-1"]["port"]
    old = row(db, msid)["runid"]
    event = cluster.act("restart", "ms-1")
    r = row(db, msid)
    assert r["runid"] > old and str(r["runid"]) == event["runid"]
    assert (r["state"], r["service_port"]) == ("Up", port)
    assert connects(port)


def test_shutdown_stuck_then_start(db, cluster):
    msid = cluster.msid("ms-2")
    cluster.act("shutdown-stuck", "ms-2")
    assert row(db, msid)["state"] == "PreparingToShutDown"
    assert not connects(cluster.nodes["ms-2"]["port"])
    with pytest.raises(sim.SimulatorError, match="not running"):
        cluster.act("kill", "ms-2")
    cluster.act("start", "ms-2")
    assert row(db, msid)["state"] == "Up"


def test_listen_delay_writes_the_row_before_the_port_opens(db, tmp_path):
    """--listen-delay: a restarted node's row says Up with the new runid, and it
    heartbeats, while its port still refuses; the event comes once the port is open."""
    with simulator_on(db, tmp_path, nodes=1, extra=["--listen-delay", "1.5s"]) as simulator:
        msid, port = simulator.msid("ms-1"), simulator.nodes["ms-1"]["port"]
        assert connects(port)  # the simulator's own start opens at once
        old = row(db, msid)["runid"]
        t0 = time.monotonic()
        simulator.send("restart ms-1")
        wait_until(lambda: row(db, msid)["runid"] != old, 3, "the new runid in the row")
        assert row(db, msid)["state"] == "Up"
        assert not connects(port)
        assert simulator.status()["ms-1"]["mode"] == "starting"
        with pytest.raises(sim.SimulatorError, match="starting"):
            simulator.act("partition", "ms-1")
        since = simulator.mark()  # after the refusal, which wait_event would raise again
        before = row(db, msid)["last_update"]
        event = simulator.wait_event("restarted", node="ms-1", since=since, timeout=5)
        assert time.monotonic() - t0 >= 1.4
        assert connects(port)
        assert event["runid"] == str(row(db, msid)["runid"])
        assert row(db, msid)["last_update"] > before  # it heartbeat during the gap


@contextlib.contextmanager
def simulator_on(db, tmp_path, nodes=2, heartbeat_interval=0.3, version=None, extra=(),
                 clock_offsets=None):
    """A fresh simulator on emptied tables, stopped on the way out."""
    for table in ("mshost_peer", "mshost_status", "mshost", "host", "async_job"):
        db.execute("DELETE FROM " + table)
    simulator = sim.start_simulator(db, str(tmp_path), nodes=nodes,
                                    heartbeat_interval=heartbeat_interval,
                                    cloudstack_version=version, extra_args=list(extra),
                                    clock_offsets=clock_offsets)
    try:
        yield simulator
    finally:
        simulator.stop()


def peer_row(db, owner_msid, peer_msid):
    rows = db.execute(
        "SELECT p.peer_state, p.last_update, p.peer_runid FROM mshost_peer p "
        "JOIN mshost o ON o.id = p.owner_mshost JOIN mshost q ON q.id = p.peer_mshost "
        "WHERE o.msid=%s AND q.msid=%s", (owner_msid, peer_msid))
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


SHUTDOWN_STATES = ["ReadyToShutDown", "ShuttingDown"]


@pytest.mark.parametrize("version,column,states", [
    ("4.18", "4.18.0.0", ["Up", "Down"]),
    ("4.19", "4.19.0.0", ["Up", "Down", "PreparingToShutDown"] + SHUTDOWN_STATES),
    ("4.20.0", "4.20.0.0", ["Up", "Down", "PreparingToShutDown"] + SHUTDOWN_STATES),
    ("4.20.1", "4.20.1.0", ["Up", "Down", "PreparingToShutDown"] + SHUTDOWN_STATES),
    ("4.21", "4.21.0.0", ["Up", "Down", "PreparingForMaintenance", "Maintenance",
                          "PreparingForShutDown"] + SHUTDOWN_STATES)])
def test_version_column_and_states(db, tmp_path, version, column, states):
    with simulator_on(db, tmp_path, nodes=1, version=version) as simulator:
        assert simulator.ready["cloudstack_version"] == version
        assert simulator.ready["states"] == states
        [(written,)] = db.execute("SELECT version FROM mshost")
        assert written == column


def test_peers_mark_a_silent_node_down(db, tmp_path):
    """4.20.1 and later (processInactiveNodes): a live peer sets a silent Up row Down,
    and raises its alert_count once ("node left"); with a 2 s threshold instead of
    150 s."""
    with simulator_on(db, tmp_path, extra=["--heartbeat-threshold", "2s"]) as simulator:
        msid = simulator.msid("ms-2")
        since = simulator.mark()
        simulator.act("kill", "ms-2")
        event = simulator.wait_event("peer_marked_down", node="ms-1", since=since, timeout=8)
        assert event["peer_msid"] == msid
        r = row(db, msid)
        assert (r["state"], r["alert_count"]) == ("Down", 1)
        assert peer_row(db, simulator.msid("ms-1"), msid)[0] == "Down"


def test_peers_never_touch_state_before_4_20_1(db, tmp_path):
    """Up to 4.20.0 live peers only update their own mshost_peer rows and raise the
    "node left" alert (alert_count 1): the dead node's row says Up forever."""
    with simulator_on(db, tmp_path, version="4.20.0",
                      extra=["--heartbeat-threshold", "2s"]) as simulator:
        msid = simulator.msid("ms-2")
        since = simulator.mark()
        simulator.act("kill", "ms-2")
        event = simulator.wait_event("peer_left", node="ms-1", since=since, timeout=8)
        assert (event["peer_msid"], event["alert_raised"]) == (msid, True)
        time.sleep(1.0)  # three more peer scans past the threshold
        r = row(db, msid)
        assert (r["state"], r["alert_count"]) == ("Up", 1)
        assert peer_row(db, simulator.msid("ms-1"), msid)[0] == "Down"
        assert not [e for e in simulator.events[since:] if e["event"] == "peer_marked_down"]


def test_peers_clear_only_up_rows(db, tmp_path):
    """From 4.20.1 only a row whose state is exactly Up is cleared: a node that died
    while preparing its shutdown keeps PreparingToShutDown."""
    with simulator_on(db, tmp_path, nodes=3, extra=["--heartbeat-threshold", "2s"]) as simulator:
        stuck, dead = simulator.msid("ms-2"), simulator.msid("ms-3")
        since = simulator.mark()
        simulator.act("shutdown-stuck", "ms-2")
        simulator.act("kill", "ms-3")
        simulator.wait_event("peer_marked_down", node="ms-1", since=since, timeout=8)
        time.sleep(1.0)
        assert row(db, dead)["state"] == "Down"
        assert row(db, stuck)["state"] == "PreparingToShutDown"
        marked = [e["peer_msid"] for e in simulator.events[since:]
                  if e["event"] == "peer_marked_down"]
        assert marked == [dead]


def test_a_peer_row_up_within_the_threshold_keeps_a_row_up(db, tmp_path):
    """4.20.1 clears a silent Up row only if no mshost_peer row shows it Up within the
    threshold. A node whose clock runs 5 s behind writes heartbeats that look 5 s old,
    yet while its status messages reach the peers (every --stats-interval) their rows
    about it stay fresh, and it stays Up; once it hangs (no heartbeat, no status) it
    is cleared."""
    with simulator_on(db, tmp_path, extra=["--heartbeat-threshold", "2s",
                                           "--stats-interval", "0.3s"]) as simulator:
        msid = simulator.msid("ms-2")
        wait_until(lambda: peer_row(db, simulator.msid("ms-1"), msid) is not None, 3,
                   "ms-1's row about ms-2")
        since = simulator.mark()
        simulator.act("clock", "ms-2", "-5s")
        time.sleep(3.0)
        assert row(db, msid)["state"] == "Up"
        state, last_update, _ = peer_row(db, simulator.msid("ms-1"), msid)
        assert state == "Up"
        assert abs((db_utc_now(db) - last_update).total_seconds()) < 2
        assert not [e for e in simulator.events[since:] if e["event"] == "peer_marked_down"]
        simulator.act("hang", "ms-2")
        simulator.wait_event("peer_marked_down", node="ms-1", since=since, timeout=8)
        assert row(db, msid)["state"] == "Down"


def test_without_status_messages_a_skewed_node_is_cleared(db, tmp_path):
    """The same skew with status messages every 60 s (the default): nothing keeps
    ms-2's peer rows fresh, so 4.20.1 sets its row Down although it runs."""
    with simulator_on(db, tmp_path, extra=["--heartbeat-threshold", "2s"]) as simulator:
        msid = simulator.msid("ms-2")
        since = simulator.mark()
        simulator.act("clock", "ms-2", "-5s")
        simulator.wait_event("peer_marked_down", node="ms-1", since=since, timeout=8)
        assert row(db, msid)["state"] == "Down"
        assert simulator.status()["ms-2"]["mode"] == "running"


def test_heartbeat_interval_paces_writes_and_peer_rows_are_not_heartbeats(db, tmp_path):
    """--heartbeat-interval paces the UPDATEs (at CloudStack's 1.5 s, consecutive
    whole-second values differ by 1 or 2 s); mshost_peer rows are written on join and
    leave and on status messages, not on every heartbeat."""
    with simulator_on(db, tmp_path, heartbeat_interval=1.5) as simulator:
        ms1, ms2 = simulator.msid("ms-1"), simulator.msid("ms-2")
        wait_until(lambda: peer_row(db, ms1, ms2) is not None, 5, "ms-1's row about ms-2")
        peer_before = peer_row(db, ms1, ms2)
        beats_before = simulator.status()["ms-1"]["heartbeats"]
        seen, t0 = [], time.monotonic()
        while time.monotonic() - t0 < 6.0:
            value = row(db, ms1)["last_update"]
            if not seen or seen[-1] != value:
                seen.append(value)
            time.sleep(0.05)
        beats = simulator.status()["ms-1"]["heartbeats"] - beats_before
        assert 3 <= beats <= 5, beats  # 6 s / 1.5 s
        steps = [(b - a).total_seconds() for a, b in zip(seen, seen[1:])]
        assert len(steps) >= 3 and set(steps) <= {1.0, 2.0}, steps
        assert peer_row(db, ms1, ms2) == peer_before


def test_status_messages_refresh_peer_rows(db, tmp_path):
    with simulator_on(db, tmp_path, extra=["--stats-interval", "1s"]) as simulator:
        ms1, ms2 = simulator.msid("ms-1"), simulator.msid("ms-2")
        wait_until(lambda: peer_row(db, ms1, ms2) is not None, 3, "ms-1's row about ms-2")
        first = peer_row(db, ms1, ms2)[1]
        wait_until(lambda: peer_row(db, ms1, ms2)[1] > first, 4, "a refreshed peer row")
        assert peer_row(db, ms1, ms2)[0] == "Up"


def test_unknown_command_and_node_are_reported(cluster):
    since = cluster.mark()
    cluster.send("explode ms-1")
    assert "unknown command" in cluster.wait_event("error", since=since)["message"]
    since = cluster.mark()
    cluster.send("kill ms-9")
    assert "unknown node" in cluster.wait_event("error", since=since)["message"]


def test_last_update_is_utc_not_session_zone(db, cluster):
    # The servers run in +05:30: a heartbeat written in local time would be 5.5 h off.
    delta = db_utc_now(db) - row(db, cluster.msid("ms-1"))["last_update"]
    assert abs(delta) < datetime.timedelta(seconds=2)


def test_timestamps_are_whole_seconds(db, cluster):
    """CloudStack formats the DATETIMEs it writes without fractions; so does the
    simulator, on both drivers (the PostgreSQL mirror would keep microseconds)."""
    msid = cluster.msid("ms-1")
    first = row(db, msid)["last_update"]
    wait_until(lambda: row(db, msid)["last_update"] > first, 3, "a heartbeat")
    wait_until(lambda: len(db.execute("SELECT id FROM mshost_peer")) == 6, 3, "6 peer rows")
    stamps = [r[0] for r in db.execute("SELECT last_update FROM mshost")]
    stamps += [r[0] for r in db.execute("SELECT last_update FROM mshost_peer")]
    for r in db.execute("SELECT last_jvm_start, updated, created FROM mshost_status"):
        stamps += list(r)
    assert len(stamps) >= 9 and all(s is not None for s in stamps), stamps
    assert [s for s in stamps if s.microsecond] == []


def states_announced(simulator, node, since):
    return [e["state"] for e in simulator.events[since:]
            if e["event"] == "state" and e.get("node") == node]


@pytest.mark.parametrize("version,preparing", [("4.19", "PreparingToShutDown"),
                                               ("4.20.1", "PreparingToShutDown"),
                                               ("4.21", "PreparingForShutDown")])
def test_shutdown_apis(db, tmp_path, version, preparing):
    """prepareForShutdown / cancelShutdown / triggerShutdown (4.19+; 4.21 renamed the
    first state). A completed shutdown ends Down with the process gone."""
    with simulator_on(db, tmp_path, version=version) as simulator:
        msid, port = simulator.msid("ms-1"), simulator.nodes["ms-1"]["port"]
        assert simulator.act("prepare-shutdown", "ms-1")["state"] == preparing
        assert row(db, msid)["state"] == preparing
        assert connects(port)  # still running, finishing its jobs
        simulator.act("cancel-shutdown", "ms-1")
        assert row(db, msid)["state"] == "Up"

        simulator.act("prepare-shutdown", "ms-1")
        seen = []
        since = simulator.mark()
        simulator.send("trigger-shutdown ms-1 step=0.5s")
        simulator.wait_event("state", node="ms-1", since=since)
        seen.append(row(db, msid)["state"])
        event = simulator.wait_event("shutdown-triggered", node="ms-1", since=since)
        assert states_announced(simulator, "ms-1", since) == ["ReadyToShutDown", "ShuttingDown"]
        assert seen == ["ReadyToShutDown"]
        assert (event["state"], event["row_down"], event["aborted"]) == ("Down", True, False)
        assert row(db, msid)["state"] == "Down"
        assert not connects(port)
        assert simulator.status()["ms-1"]["mode"] == "dead"


def test_no_shutdown_api_on_4_18(db, tmp_path):
    with simulator_on(db, tmp_path, nodes=1, version="4.18") as simulator:
        for verb in ("prepare-shutdown", "trigger-shutdown", "shutdown-stuck", "maintenance"):
            with pytest.raises(sim.SimulatorError, match="has no"):
                simulator.act(verb, "ms-1")
        simulator.act("stop", "ms-1")
        [(state,)] = db.execute("SELECT state FROM mshost")
        assert state == "Down"  # 4.18 knows Up and Down only


@pytest.mark.parametrize("abort", ["ShuttingDown", "ReadyToShutDown"])
def test_trigger_shutdown_that_aborts(db, tmp_path, abort):
    """apache/cloudstack#9722 on the shutdown path: the stop aborts half-way, the
    process is gone and the row keeps the state it had reached; 4.20.1's peers do
    not clear a row that is not Up (2 s threshold)."""
    with simulator_on(db, tmp_path, extra=["--heartbeat-threshold", "2s",
                                           "--transition-time", "0.3s"]) as simulator:
        msid, port = simulator.msid("ms-2"), simulator.nodes["ms-2"]["port"]
        event = simulator.act("trigger-shutdown", "ms-2", "abort=" + abort)
        assert (event["state"], event["row_down"], event["aborted"]) == (abort, False, True)
        assert not connects(port)
        frozen = row(db, msid)
        assert frozen["state"] == abort
        time.sleep(3.5)  # past the threshold: a peer_left, but no Down
        r = row(db, msid)
        assert (r["state"], r["last_update"]) == (abort, frozen["last_update"])
        assert r["alert_count"] == 1


def test_stop_that_aborts_leaves_the_row_up(db, cluster):
    """apache/cloudstack#9722 itself: `service cloudstack-management stop` whose
    sequence aborts before ClusterManagerImpl.stop(): the process exits, the row
    still says Up."""
    msid, port = cluster.msid("ms-1"), cluster.nodes["ms-1"]["port"]
    event = cluster.act("stop", "ms-1", "abort")
    assert (event["row_down"], event["aborted"]) == (False, True)
    assert row(db, msid)["state"] == "Up"
    assert not connects(port)


def test_maintenance_on_4_21(db, tmp_path):
    """prepareForMaintenance: PreparingForMaintenance, then Maintenance. A stop keeps
    the node in Maintenance (ClusterManagerImpl.stop()), a start keeps it there
    (start()), and cancelMaintenance brings it back Up."""
    with simulator_on(db, tmp_path, version="4.21") as simulator:
        msid, port = simulator.msid("ms-1"), simulator.nodes["ms-1"]["port"]
        since = simulator.mark()
        assert simulator.act("maintenance", "ms-1", "step=0.3s")["state"] == "Maintenance"
        assert states_announced(simulator, "ms-1", since) == ["PreparingForMaintenance"]
        assert row(db, msid)["state"] == "Maintenance"
        assert connects(port)  # out of service, but running

        event = simulator.act("stop", "ms-1")
        assert (event["state"], event["row_down"]) == ("Maintenance", False)
        assert row(db, msid)["state"] == "Maintenance"
        assert not connects(port)

        assert simulator.act("start", "ms-1")["state"] == "Maintenance"
        r = row(db, msid)
        assert r["state"] == "Maintenance"
        wait_until(lambda: row(db, msid)["last_update"] > r["last_update"], 3, "a heartbeat")
        assert row(db, msid)["state"] == "Maintenance"

        simulator.act("cancel-maintenance", "ms-1")
        assert row(db, msid)["state"] == "Up"
        # Stopped while still preparing: 4.21 writes Maintenance too.
        assert simulator.act("maintenance", "ms-1", "hold")["state"] == "PreparingForMaintenance"
        assert simulator.act("stop", "ms-1")["state"] == "Maintenance"
        # A node that is not in maintenance stops Down as before.
        assert simulator.act("stop", "ms-2")["state"] == "Down"


@pytest.mark.parametrize("version", ["4.19", "4.20.0", "4.20.1"])
def test_no_maintenance_before_4_21(db, tmp_path, version):
    with simulator_on(db, tmp_path, nodes=1, version=version) as simulator:
        for verb in ("maintenance", "cancel-maintenance"):
            with pytest.raises(sim.SimulatorError, match="no maintenance API"):
                simulator.act(verb, "ms-1")
        [(state,)] = db.execute("SELECT state FROM mshost")
        assert state == "Up"


def test_operator_commands_need_a_running_node_in_the_right_state(db, tmp_path):
    with simulator_on(db, tmp_path, version="4.21") as simulator:
        with pytest.raises(sim.SimulatorError, match="the row is Up, not PreparingForShutDown"):
            simulator.act("cancel-shutdown", "ms-1")
        simulator.act("hang", "ms-1")
        with pytest.raises(sim.SimulatorError, match="hung"):
            simulator.act("prepare-shutdown", "ms-1")
        simulator.act("kill", "ms-2")
        with pytest.raises(sim.SimulatorError, match="not running"):
            simulator.act("maintenance", "ms-2")
        for line, message in (("trigger-shutdown ms-1 abort=Down", "abort=Down: the stop "),
                              ("stop ms-1 abort=Up", "abort takes no value"),
                              ("kill ms-1 now", "kill takes no option 'now'"),
                              ("maintenance ms-1 step", "step needs a duration")):
            since = simulator.mark()
            simulator.send(line)
            assert message in simulator.wait_event("error", since=since)["message"], line


def test_reidentify_leaves_the_old_row_behind(db, cluster):
    """A host whose MAC changed starts under a new msid: a new row with the same name
    and service_ip:service_port. The old row stays Up after kill + reidentify, Down
    after stop + reidentify."""
    for name, first, old_state in (("ms-2", "kill", "Up"), ("ms-3", "stop", "Down")):
        old_msid, port = cluster.msid(name), cluster.nodes[name]["port"]
        cluster.act(first, name)
        event = cluster.act("reidentify", name)
        new_msid = cluster.msid(name)
        assert event["old_msid"] == old_msid and event["msid"] == new_msid != old_msid
        assert event["port"] == port
        rows = db.execute("SELECT msid, state, service_ip, service_port FROM mshost "
                          "WHERE name=%s ORDER BY id", (name,))
        assert [(str(m), st, ip.strip(), p) for m, st, ip, p in rows] == [
            (old_msid, old_state, "127.0.0.1", port), (new_msid, "Up", "127.0.0.1", port)]
        assert connects(port)
        r = row(db, new_msid)
        wait_until(lambda: row(db, new_msid)["last_update"] > r["last_update"], 3,
                   "the new row heartbeats")
    assert int(cluster.msid("ms-2")) < 2**48 <= 2**63 <= int(cluster.msid("ms-3")) < 2**64
    with pytest.raises(sim.SimulatorError, match="stop it .* or kill it"):
        cluster.act("reidentify", "ms-1")


def http_get(port, path="/", timeout=2.0):
    """The raw answer to a plain HTTP GET (b"" if the server closed without one)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" % path.encode())
        answer = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except ConnectionResetError:
            pass
        return answer


def tls_client(cert=None, key=None):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if cert:
        context.load_cert_chain(cert, key)
    return context


def test_cluster_port_speaks_tls_with_client_auth(cluster):
    """Like CloudStack's cluster servlet (needClientAuth): a TCP connect succeeds, a
    plain HTTP request gets a TLS alert record and no HTTP answer, a TLS handshake
    without a client certificate fails, one with the simulator's certificate gets an
    answer."""
    port = cluster.nodes["ms-1"]["port"]
    assert connects(port)
    answer = http_get(port)
    assert answer.startswith(b"\x15\x03"), answer  # an alert record, not "HTTP/"

    # TLS 1.2: the handshake itself fails without a client certificate.
    context = tls_client()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
        with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE"):
            context.wrap_socket(raw)
    # TLS 1.3 completes the client's side before the server checks the certificate:
    # the refusal shows on the first read, and no answer comes.
    with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
        try:
            with tls_client().wrap_socket(raw) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                result = s.recv(4096)
        except (ssl.SSLError, ConnectionResetError) as e:
            result = e
    assert not isinstance(result, bytes) or result == b"", result

    ready = cluster.ready
    with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
        with tls_client(ready["tls_cert"], ready["tls_key"]).wrap_socket(raw) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")


def test_api_port_answers_http_like_client_api(db, tmp_path):
    """--api-port: CloudStack's http.port, where any HTTP answer (401 for an unsigned
    /client/api request) proves the JVM serves requests: the target of probe kind
    http. It accepts without answering while hung, and refuses when partitioned or
    dead, like the cluster port."""
    with simulator_on(db, tmp_path, nodes=2, extra=["--api-port"]) as simulator:
        api = simulator.nodes["ms-1"]["api_port"]
        assert api and api != simulator.nodes["ms-1"]["port"]
        answer = http_get(api, "/client/api")
        assert answer.startswith(b"HTTP/1.1 401 "), answer
        assert b'"errorcode":401' in answer
        simulator.act("hang", "ms-1")
        with pytest.raises(socket.timeout):
            http_get(api, timeout=1.0)
        simulator.act("resume", "ms-1")
        assert http_get(api).startswith(b"HTTP/1.1 401 ")
        simulator.act("partition", "ms-1")
        assert not connects(api)
        simulator.act("kill", "ms-2")
        assert not connects(simulator.nodes["ms-2"]["api_port"])
        assert simulator.act("restart", "ms-2")["api_port"] == simulator.nodes["ms-2"]["api_port"]
        assert http_get(simulator.nodes["ms-2"]["api_port"]).startswith(b"HTTP/1.1 401 ")


def test_status_reports_rows_and_prints_a_table(db, cluster):
    """`status`: the JSON event tests parse (each node's row state as the database has
    it, and the rows no node drives any more), and a table on stderr for a human."""
    old = cluster.msid("ms-2")
    cluster.act("kill", "ms-2")
    cluster.act("reidentify", "ms-2")
    db.execute("UPDATE mshost SET state='Down' WHERE msid=%s", (cluster.msid("ms-1"),))
    since = cluster.mark()
    cluster.send("status")
    event = cluster.wait_event("status", since=since)
    nodes = {n["node"]: n for n in event["nodes"]}
    assert (nodes["ms-1"]["state"], nodes["ms-1"]["mode"]) == ("Down", "running")
    assert nodes["ms-2"]["msid"] == cluster.msid("ms-2") != old
    assert event["other_rows"] == [{"msid": old, "name": "ms-2", "state": "Up"}]
    wait_until(lambda: "an earlier identity" in open(cluster.log_path).read(), 3,
               "the table on stderr")
    table = open(cluster.log_path).read()
    assert "row state" in table
    assert any(line.split()[:4] == ["ms-1", cluster.msid("ms-1"), "Down", "running"]
               for line in table.splitlines())
