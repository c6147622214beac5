"""The short soak (bench/soak) as a CI test, and the soak's judge on made-up logs.

test_soak runs bench/soak for MSX_SOAK_MINUTES (default 2) against the exporter in
$MSX_BUILD_DIR (a sanitizer build works: the soak's RSS check is relative and its
latency bounds generous) and asserts it finds no violation: no missed or spurious
alert against the simulator's log, resources flat after warm-up, no failed scrape.

The other tests feed bench/soak_model.py logs whose right answer is known, so a judge
that stopped seeing a missed, spurious or stuck alert, or a leak, fails here.
"""
import importlib.machinery
import importlib.util
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "..", "bench")
sys.path.insert(0, BENCH)

import soak_model as m  # noqa: E402
import soak_plan  # noqa: E402

T0 = 1_000_000.0  # a made-up Unix time where every made-up log starts
TIMING = m.Timing(poll=1.0, heartbeat=0.5, dead_after=4.0, stale_after=8.0,
                  fors={m.HEARTBEAT_STALE: 2.0, m.UNREACHABLE: 10.0,
                        m.DOWN_BUT_RUNNING: 3.0, m.NO_RUNNING: 3.0, m.SOURCE_DOWN: 4.0},
                  margin=1.0, bound=5.0)


def make_model(events, seconds=60.0, nodes=("ms-1", "ms-2"), outages=()):
    """A model of `nodes` (all running at T0) after `events`: [(seconds after T0,
    event name, node, extra fields)]."""
    timelines = {n: m.NodeTimeline(n, str(100 + i), T0) for i, n in enumerate(nodes)}
    for t, name, node, *extra in events:
        event = {"event": name, "t": T0 + t, "node": node}
        if extra:
            event.update(extra[0])
        timelines[node].apply(event)
    return m.Model(TIMING, timelines, list(outages), T0, T0 + seconds)


def episode(alertname, node, start, end=None, pushes=None):
    e = m.Episode(alertname, node, "100" if node == "ms-1" else "101", T0 + start)
    e.end = None if end is None else T0 + end
    e.pushes = [T0 + p for p in (pushes or [start])]
    e.first_push = e.pushes[0]
    return e


def violations(model, episodes):
    return m.check(model, episodes)[0]


def test_a_kill_paged_in_time_is_no_violation():
    model = make_model([(10, "killed", "ms-1"), (40, "started", "ms-1")])
    pushes = [14.6 + 5 * i for i in range(6)]
    assert violations(model, [episode(m.UP_NOT_RUNNING, "ms-1", 14.6, 41.0, pushes)]) == []


def test_a_kill_without_its_alert_is_missed():
    model = make_model([(10, "killed", "ms-1")])
    found = violations(model, [])
    assert len(found) == 1 and found[0].startswith("missed: " + m.UP_NOT_RUNNING + "[ms-1]")


def test_an_alert_for_a_running_node_is_spurious():
    model = make_model([])
    found = violations(model, [episode(m.UP_NOT_RUNNING, "ms-2", 20.0, 25.0)])
    assert len(found) == 1 and found[0].startswith("spurious:"), found
    assert "possible verdicts ok" in found[0]


def test_stale_before_stale_after_is_spurious():
    # A hung node is not stale until stale_after, and its alert waits `for` more.
    model = make_model([(10, "hung", "ms-1"), (50, "resumed", "ms-1")])
    early = [episode(m.HEARTBEAT_STALE, "ms-1", 13.0, 51.0, [13 + 5 * i for i in range(8)])]
    assert any(v.startswith("spurious:") for v in violations(model, early))
    on_time = [episode(m.HEARTBEAT_STALE, "ms-1", 20.5, 51.0, [20.5 + 5 * i for i in range(7)])]
    assert violations(model, on_time) == []


def test_an_alert_that_never_resolves_is_reported():
    model = make_model([(10, "killed", "ms-1"), (20, "started", "ms-1")])
    stuck = episode(m.UP_NOT_RUNNING, "ms-1", 14.6, None, [14.6 + 5 * i for i in range(9)])
    assert any(v.startswith("did not resolve:") for v in violations(model, [stuck]))


def test_missing_resends_are_reported():
    model = make_model([(10, "killed", "ms-1")])
    gap = episode(m.UP_NOT_RUNNING, "ms-1", 14.6, None, [14.6, 19.6, 45.0, 50.0, 55.0])
    assert any(v.startswith("resend gap:") for v in violations(model, [gap]))


def test_a_node_alert_must_not_resolve_during_a_database_outage():
    outage = m.Outage("db-restart", T0 + 30, T0 + 30.2, T0 + 40, T0 + 40.5,
                      noticed=(T0 + 30, T0 + 31), recovered=(T0 + 41, T0 + 42))
    model = make_model([(10, "killed", "ms-1")], seconds=80, outages=[outage])
    source_down = episode(m.SOURCE_DOWN, None, 35.0, 41.5, [35, 40, 41.5])
    source_down.msid = ""
    dead = episode(m.UP_NOT_RUNNING, "ms-1", 14.6, None, [14.6 + 5 * i for i in range(13)])
    assert violations(model, [dead, source_down]) == []
    resolved = episode(m.UP_NOT_RUNNING, "ms-1", 14.6, 35.0, [14.6 + 5 * i for i in range(5)])
    found = violations(model, [resolved, source_down])
    assert any("during a database outage" in v for v in found), found


def test_running_nodes_are_not_stale_right_after_a_database_outage():
    # docs/alerting.md: heartbeats could not reach a database that was down, so the
    # exporter must not call the nodes stale (nor the cluster dead) when it is back.
    outage = m.Outage("db-restart", T0 + 30, T0 + 30.2, T0 + 40, T0 + 40.5,
                      noticed=(T0 + 30, T0 + 31), recovered=(T0 + 41, T0 + 42))
    model = make_model([], seconds=80, outages=[outage])
    source_down = episode(m.SOURCE_DOWN, None, 35.0, 41.5, [35, 40, 41.5])
    source_down.msid = ""
    assert violations(model, [source_down]) == []
    stale = episode(m.HEARTBEAT_STALE, "ms-1", 44.0, 46.0, [44, 46])
    no_running = episode(m.NO_RUNNING, None, 45.0, 47.0, [45, 47])
    no_running.msid = ""
    found = violations(model, [source_down, stale, no_running])
    assert len(found) == 2 and all(v.startswith("spurious:") for v in found), found


def test_every_node_dead_requires_no_running_management_server():
    events = [(10, "killed", "ms-1"), (10.2, "killed", "ms-2")]
    model = make_model(events)
    node_alerts = [episode(m.UP_NOT_RUNNING, n, 14.6, None, [14.6 + 5 * i for i in range(10)])
                   for n in ("ms-1", "ms-2")]
    found = violations(model, node_alerts)
    assert len(found) == 1 and found[0].startswith("missed: " + m.NO_RUNNING), found


def test_dead_nodes_run_until_they_are_stale():
    # "Running" is claims running and not stale (docs/verdicts.md): with every node
    # killed at 10 s, NoRunning is not certain while the silence is under stale_after
    # (8 s), and certain once it is well past it.
    model = make_model([(10, "killed", "ms-1"), (10, "killed", "ms-2")])
    certain = model.certain[(m.NO_RUNNING, None)]
    assert not certain[model.index(T0 + 10 + TIMING.dead_after + TIMING.lag)]
    assert certain[model.index(T0 + 10 + TIMING.stale_after + TIMING.lag + 2)]


def test_flatness_sees_a_descriptor_leak_and_passes_a_flat_run():
    flat = [(T0 + i, 16000 + (i % 3), 11 + (i % 2), 13) for i in range(200)]
    report, found = m.flatness(flat, T0, T0 + 200, 30, 0.05, 2048, 2, 1)
    assert found == [] and report["fds_first"] == report["fds_last"]
    leaking = [(t, rss, fds + int(i / 20), th) for i, (t, rss, fds, th) in enumerate(flat)]
    _, found = m.flatness(leaking, T0, T0 + 200, 30, 0.05, 2048, 2, 1)
    assert len(found) == 1 and "file descriptors grew" in found[0]
    growing = [(t, rss + 50 * i, fds, th) for i, (t, rss, fds, th) in enumerate(flat)]
    _, found = m.flatness(growing, T0, T0 + 200, 30, 0.05, 2048, 2, 1)
    assert len(found) == 1 and "RSS grew" in found[0]


def test_the_plan_is_reproducible_and_every_command_valid():
    nodes = ["ms-1", "ms-2", "ms-3", "ms-4"]
    plan = soak_plan.plan(5, 900, nodes, {"ms-2": "-20s"})
    assert plan == soak_plan.plan(5, 900, nodes, {"ms-2": "-20s"})
    assert plan != soak_plan.plan(6, 900, nodes, {"ms-2": "-20s"})
    alive = {n: True for n in nodes}
    needs_alive = {"kill", "stop", "hang", "partition", "isolate", "half-stop", "resume",
                   "shutdown-stuck", "clock"}
    for a in plan:
        if a.node is None:
            continue
        if a.kind in needs_alive:
            assert alive[a.node], a
        if a.kind == "start":
            assert not alive[a.node], a
        alive[a.node] = a.kind not in ("kill", "stop", "shutdown-stuck")
    kinds = {a.kind for a in plan}
    assert {"kill", "hang", "partition", "isolate", "db-restart", "db-freeze",
            "blackout"} <= kinds


def test_boot_events_stamped_after_the_exporter_start_are_no_restarts():
    # The simulator rounds event times to the millisecond: the last node's boot can be
    # stamped just after the soak took the exporter's start time. Counting it as a
    # restart made the model require a Flapping alert the exporter rightly never sent.
    loader = importlib.machinery.SourceFileLoader("soak", os.path.join(BENCH, "soak"))
    soak = importlib.util.module_from_spec(importlib.util.spec_from_loader("soak", loader))
    loader.exec_module(soak)
    boot = {"event": "started", "node": "ms-1", "t": T0 + 0.0004, "runid": "1"}
    ready = {"event": "ready", "t": T0 + 0.0004}
    later = {"event": "restarted", "node": "ms-1", "t": T0 + 5.0, "runid": "2"}
    nodes, _ = soak.build_timelines({"ms-1": "100"}, [boot, ready, later], T0, {})
    assert nodes["ms-1"].runid_changes == [T0 + 5.0]


def test_soak():
    minutes = os.environ.get("MSX_SOAK_MINUTES", "2")
    soak = os.path.join(BENCH, "soak")
    try:
        run = subprocess.run([sys.executable, soak, "--minutes", minutes], capture_output=True,
                             text=True, timeout=float(minutes) * 60 + 600)
    except subprocess.TimeoutExpired as e:
        pytest.fail("bench/soak did not finish: %s" % (e.stdout or "")[-4000:])
    print(run.stdout[-6000:])
    print(run.stderr[-3000:], file=sys.stderr)
    assert run.returncode == 0, "bench/soak exited %d:\n%s\n%s" % (
        run.returncode, run.stdout[-6000:], run.stderr[-3000:])
    assert "no violations" in run.stdout
