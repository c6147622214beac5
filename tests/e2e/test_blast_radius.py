"""What a dead node takes with it, end to end once per driver: the simulator's nodes
hold agents and jobs; a killed node's alert in Alertmanager names them; after a live
peer takes its agents over the counts move; without the grants everything else goes
on. Exporter settings in bed.py (poll 500ms, dead_after 2s, agents and jobs every
2s); the simulator runs 4.20.0 (peers never set a dead row Down, so the alert stays)
with a 6 s heartbeat threshold instead of 150 s."""
import time

from bed import HEARTBEAT_INTERVAL, VerdictWatcher, next_msid_base
from lib import db_servers, sim
from lib.procs import value
from lib.prom_servers import wait_until

AGENTS = 5
JOBS = 3


def start_cluster(stack, tmp_path):
    for table in ("mshost_peer", "mshost_status", "mshost", "host", "async_job"):
        stack.db.execute("DELETE FROM " + table)
    return sim.start_simulator(
        stack.db, str(tmp_path / "sim"), nodes=3, heartbeat_interval=HEARTBEAT_INTERVAL,
        extra_args=["--msid-base", str(next_msid_base()), "--heartbeat-threshold", "6s",
                    "--cloudstack-version", "4.20.0",
                    "--agents-per-node", str(AGENTS), "--jobs-per-node", str(JOBS),
                    "--job-duration", "600s"])


def held(exporter, msid):
    """(agents, jobs in progress) of node msid as the exporter says now."""
    samples = exporter.metrics()
    agents = sum(v for (name, labels), v in samples.items()
                 if name == "cloudstack_mshost_agents" and dict(labels)["msid"] == msid)
    return agents, value(samples, "cloudstack_mshost_jobs_in_progress", msid=msid)


def test_a_killed_node_names_what_it_leaves_and_a_peer_takes_the_agents(stack, tmp_path):
    simulator = start_cluster(stack, tmp_path)
    watcher = VerdictWatcher(stack.exporter)
    try:
        msids = {n: simulator.msid(n) for n in simulator.nodes}
        watcher.wait_all_ok(list(msids.values()))
        for msid in msids.values():
            wait_until(lambda: held(stack.exporter, msid) == (AGENTS, JOBS), 10,
                       "the exporter to count %d agents and %d jobs on %s" % (AGENTS, JOBS, msid))

        since = simulator.mark()
        t0 = time.monotonic()
        simulator.act("kill", "ms-2")
        alerts = wait_until(
            lambda: stack.alertmanager.alerts(alertname="CloudStackMgmtServerUpNotRunning",
                                              msid=msids["ms-2"]),
            15, "Alertmanager to receive CloudStackMgmtServerUpNotRunning for ms-2")
        detected = time.monotonic() - t0
        description = alerts[0]["annotations"]["description"]
        assert ("ms-2 is gone; %d agents and %d jobs in progress are still attached to it."
                % (AGENTS, JOBS)) in description, description
        assert detected < 10, detected  # the usual detection time: dead_after + a few polls

        # The live peers see ms-2 leave after the threshold; the first takes its agents. Its jobs stay in progress until it starts again.
        event = simulator.wait_event("agents_taken_over", since=since, timeout=15)
        assert event["agents"] == AGENTS
        taker = msids[event["node"]]
        wait_until(lambda: held(stack.exporter, msids["ms-2"]) == (0, JOBS), 10,
                   "ms-2's agents to leave it in the exporter's counts")
        assert held(stack.exporter, taker)[0] == 2 * AGENTS

        simulator.act("start", "ms-2")
        wait_until(lambda: held(stack.exporter, msids["ms-2"])[1] == JOBS and
                   stack.db.execute("SELECT COUNT(*) FROM async_job WHERE job_status=2")[0][0]
                   == JOBS, 15, "the restart to fail the jobs it left and start new ones")
    finally:
        watcher.stop()
        simulator.stop()


def test_without_the_grants_nothing_else_changes(stack, tmp_path):
    to = ("'%s'@'%%'" % stack.db.exporter_user if stack.driver == "mysql"
          else stack.db.exporter_user)
    simulator = start_cluster(stack, tmp_path)
    watcher = VerdictWatcher(stack.exporter)
    try:
        msids = {n: simulator.msid(n) for n in simulator.nodes}
        watcher.wait_all_ok(list(msids.values()))
        for revoke in db_servers.column_revokes(to):
            stack.db.execute(revoke)
        try:
            wait_until(lambda: value(stack.exporter.metrics(),
                                     "cloudstack_mshost_blast_radius_up") == 0,
                       10, "cloudstack_mshost_blast_radius_up 0 without the grants")
            samples = stack.exporter.metrics()
            assert not [k for k in samples if k[0] in ("cloudstack_mshost_agents",
                                                       "cloudstack_mshost_jobs_in_progress")]
            assert value(samples, "cloudstack_mshost_up") == 1
            assert value(samples, "cloudstack_mshost_running_nodes") == 3
            t0 = time.monotonic()
            simulator.act("kill", "ms-3")
            watcher.wait_verdict(msids["ms-3"], "up_not_running", t0, 10)
            alerts = wait_until(
                lambda: stack.alertmanager.alerts(
                    alertname="CloudStackMgmtServerUpNotRunning", msid=msids["ms-3"]),
                15, "Alertmanager to receive CloudStackMgmtServerUpNotRunning for ms-3")
            assert "agents" not in alerts[0]["annotations"]["description"]
            status = stack.exporter.status()
            [target] = status["targets"]
            assert target["blast_radius"]["up"] is False
            assert "host" in target["blast_radius"]["error"]
        finally:
            for grant in db_servers.column_grants(to):
                stack.db.execute(grant)
        wait_until(lambda: value(stack.exporter.metrics(),
                                 "cloudstack_mshost_blast_radius_up") == 1,
                   10, "cloudstack_mshost_blast_radius_up 1 once granted again")
    finally:
        watcher.stop()
        simulator.stop()
