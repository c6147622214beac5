"""Failure scenarios end to end, once per driver: the simulator breaks a node the way
real management servers break, and the exporter's verdicts must follow, poll by poll.

Each test asserts the sequence of verdicts the exporter showed (consecutive repeats
collapsed), not only where it ended. Settings (conftest.py): poll 500ms, dead_after
2s, stale_after 4s, heartbeats every 0.5s.
"""
import time

import pytest

from bed import ALERT_WORTHY, DEAD_AFTER, POLL_INTERVAL, STALE_AFTER
from lib.prom_servers import wait_until

# A heartbeat can be up to one interval plus the second DATETIME truncates old when a
# node dies; the exporter needs one poll to see it and the watcher 0.1 s more.
CATCH_SLACK = 0.5 + 1.0 + POLL_INTERVAL + 0.5
# Killed: nothing listens, the heartbeat is still fresh for a moment (up_unreachable),
# then silent. A quick poll may miss the short middle step, nothing else is allowed.
KILLED_SEQUENCES = (["ok", "up_not_running"], ["ok", "up_unreachable", "up_not_running"])


def settle():
    """Long enough for two more polls, so a sequence shows what follows its end."""
    time.sleep(2 * POLL_INTERVAL + 0.2)


def others_stayed_ok(simulator, watcher, node, since):
    for other in simulator.nodes:
        if other != node:
            seq = watcher.sequence(simulator.msid(other), since)
            assert seq == ["ok"], "%s: %s" % (other, seq)


def restarts(exporter, msid):
    for (name, labels), value in exporter.metrics().items():
        if name == "cloudstack_mshost_restarts_total" and dict(labels).get("msid") == msid:
            return value
    return None


def test_kill_turns_up_not_running(stack, cluster):
    simulator, watcher = cluster
    msid = simulator.msid("ms-2")
    t0 = time.monotonic()
    simulator.act("kill", "ms-2")
    elapsed = watcher.wait_verdict(msid, "up_not_running", t0, DEAD_AFTER + CATCH_SLACK)
    settle()
    assert watcher.sequence(msid, t0) in KILLED_SEQUENCES
    # The row still says Up: that is the lie the verdict is about.
    assert watcher.current(msid) == ("up_not_running", "Up")
    assert elapsed <= DEAD_AFTER + CATCH_SLACK
    others_stayed_ok(simulator, watcher, "ms-2", t0)

    expr = 'cloudstack_mshost_verdict{verdict="up_not_running",msid="%s"}' % msid
    wait_until(lambda: stack.prometheus.value(expr) == 1, 10,
               "Prometheus to hold %s == 1" % expr)
    alerts = wait_until(
        lambda: stack.alertmanager.alerts(alertname="CloudStackMgmtServerUpNotRunning", msid=msid),
        10, "Alertmanager to receive CloudStackMgmtServerUpNotRunning for " + msid)
    labels = alerts[0]["labels"]
    assert labels["severity"] == "critical"
    assert labels["name"] == "ms-2"
    assert labels["target"] == "e2e"
    assert labels["cloudstack"] == "e2e"


def test_stop_is_ok_with_state_down(stack, cluster):
    simulator, watcher = cluster
    msid = simulator.msid("ms-1")
    t0 = time.monotonic()
    simulator.act("stop", "ms-1")
    wait_until(lambda: watcher.current(msid) == ("ok", "Down"), 5, "ms-1 ok and Down")
    settle()
    history = watcher.history(msid, t0)
    assert [v for _, v, _ in history if v in ALERT_WORTHY] == []
    assert watcher.sequence(msid, t0) == ["ok"]
    states = []
    for _, _, state in history:
        if not states or states[-1] != state:
            states.append(state)
    assert states in (["Up", "Down"], ["Down"])
    others_stayed_ok(simulator, watcher, "ms-1", t0)
    expr = 'cloudstack_mshost_state{state="Down",msid="%s"}' % msid
    wait_until(lambda: stack.prometheus.value(expr) == 1, 10, "Prometheus to hold " + expr)
    assert stack.prometheus.value(
        'sum(cloudstack_mshost_verdict{verdict!="ok",msid="%s"})' % msid) == 0


def test_hang_turns_heartbeat_stale(stack, cluster):
    simulator, watcher = cluster
    msid = simulator.msid("ms-3")  # the msid above 2^63
    assert int(msid) >= 2**63
    t0 = time.monotonic()
    simulator.act("hang", "ms-3")
    elapsed = watcher.wait_verdict(msid, "up_heartbeat_stale", t0, STALE_AFTER + CATCH_SLACK)
    settle()
    # The hung process still accepts connections: never taken for dead.
    assert watcher.sequence(msid, t0) == ["ok", "up_heartbeat_stale"]
    assert elapsed >= STALE_AFTER - 1.5 - 0.5, "stale before stale_after: %.1fs" % elapsed
    others_stayed_ok(simulator, watcher, "ms-3", t0)


def test_partition_turns_unreachable(stack, cluster):
    simulator, watcher = cluster
    msid = simulator.msid("ms-2")
    t0 = time.monotonic()
    simulator.act("partition", "ms-2")
    watcher.wait_verdict(msid, "up_unreachable", t0, 2 * POLL_INTERVAL + 1.0)
    # Heartbeats go on, so it must stay unreachable and never turn up_not_running.
    time.sleep(DEAD_AFTER + 1.0)
    assert watcher.sequence(msid, t0) == ["ok", "up_unreachable"]
    others_stayed_ok(simulator, watcher, "ms-2", t0)


def test_restart_counts_one_restart(stack, cluster):
    simulator, watcher = cluster
    msid = simulator.msid("ms-1")
    wait_until(lambda: restarts(stack.exporter, msid) is not None, 5, "restarts_total of ms-1")
    before = restarts(stack.exporter, msid)
    t0 = time.monotonic()
    event = simulator.act("restart", "ms-1")
    assert event["runid"] != event["old_runid"]
    wait_until(lambda: restarts(stack.exporter, msid) == before + 1, 5,
               "restarts_total to reach %g" % (before + 1))
    settle()
    assert restarts(stack.exporter, msid) == before + 1
    assert watcher.sequence(msid, t0) == ["ok"]
    info = [dict(labels) for (name, labels), v in stack.exporter.metrics().items()
            if name == "cloudstack_mshost_info" and dict(labels).get("msid") == msid]
    assert [i["runid"] for i in info] == [event["runid"]]


def test_shutdown_stuck_is_up_not_running(stack, cluster):
    simulator, watcher = cluster
    msid = simulator.msid("ms-2")
    t0 = time.monotonic()
    simulator.act("shutdown-stuck", "ms-2")
    watcher.wait_verdict(msid, "up_not_running", t0, DEAD_AFTER + CATCH_SLACK)
    settle()
    assert watcher.sequence(msid, t0) in KILLED_SEQUENCES
    assert watcher.current(msid) == ("up_not_running", "PreparingToShutDown")


@pytest.mark.clock_offsets({"ms-2": "-40s"})
def test_clock_behind_stays_ok_and_is_caught_when_killed(stack, cluster):
    simulator, watcher = cluster
    msid = simulator.msid("ms-2")
    # Its raw heartbeat age is about 40 s, ten times stale_after; the verdict must
    # judge progress, not age.
    t_ok = time.monotonic()
    time.sleep(3.0)
    assert watcher.sequence(msid, t_ok) == ["ok"]
    offsets = [v for (name, labels), v in stack.exporter.metrics().items()
               if name == "cloudstack_mshost_clock_offset_seconds"
               and dict(labels).get("msid") == msid]
    assert len(offsets) == 1 and 38.0 <= offsets[0] <= 42.5, offsets

    t0 = time.monotonic()
    simulator.act("kill", "ms-2")
    elapsed = watcher.wait_verdict(msid, "up_not_running", t0, DEAD_AFTER + CATCH_SLACK)
    settle()
    assert watcher.sequence(msid, t0) in KILLED_SEQUENCES
    assert elapsed <= DEAD_AFTER + CATCH_SLACK
    others_stayed_ok(simulator, watcher, "ms-2", t_ok)
