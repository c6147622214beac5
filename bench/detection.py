"""Detection latency: `kill -9` of a simulated management server (its row stays Up)
until the alert about it is listed by Alertmanager's /api/v2/alerts.

Each setup (mshost_exporter with default settings, with fast settings, the peer
stack) runs its own chain of kills on a node of its own, all chains at the same
time on the same cluster, so every figure comes from the same run on the same
machine. A chain repeats: prepare (the setup's alert for its node is gone, phases
are shuffled), kill, wait for the alert, restart the node. For every kill it
records
  latency = alert listed - kill,
  beyond  = alert listed - (last stored heartbeat + the setup's threshold): the
            delay the setup's pipeline adds after the moment its heartbeat test
            turns true (`last_update` is what both tests read; DATETIME keeps whole
            seconds, so the stored heartbeat is up to 1 s older than the real one),
  since_heartbeat = kill - last stored heartbeat, and for mshost_exporter the
            node's clock-offset estimate just before the kill (its silence is the
            raw age minus that estimate, so the estimate is part of "beyond").

Chains are threads; Cluster serializes their commands to the one simulator.
"""
import calendar
import random
import threading
import time

import benchlib
from lib import procs, prom_servers

OURS_ALERT = "CloudStackMgmtServerUpNotRunning"
HEARTBEAT_SECONDS = 1.5  # the simulator's, CloudStack's default
ALERT_POLL_SECONDS = 0.05


class Cluster:
    """The simulator and its database, shared by the chains (thread-safe)."""

    def __init__(self, simulator, db):
        self.simulator = simulator
        self.db = db
        self._lock = threading.Lock()

    def msid(self, node):
        return self.simulator.msid(node)

    def kill(self, node):
        """Kills `node`; returns (the time the kill took effect, the node's last
        stored heartbeat), both Unix seconds."""
        with self._lock:
            event = self.simulator.act("kill", node)
        (last_update,), = self.db.execute(
            "SELECT last_update FROM mshost WHERE msid = %s", (self.msid(node),))
        heartbeat = calendar.timegm(last_update.timetuple()) + last_update.microsecond / 1e6
        return event["t"], heartbeat

    def restart(self, node):
        with self._lock:
            self.simulator.act("restart", node)


class OursSetup:
    """mshost_exporter pushing to Alertmanager itself; `exporter` watches target
    `target` with `dead_after` and `poll` seconds."""

    def __init__(self, label, exporter, target, dead_after, poll, am):
        self.label = label
        self.exporter = exporter
        self.target = target
        self.threshold = dead_after
        self.poll = poll
        self.am = am

    def alert_labels(self, msid):
        return {"alertname": OURS_ALERT, "target": self.target, "msid": msid}

    def prepare(self, kill_number, msid):
        prom_servers.wait_until(lambda: not self.am.alerts(**self.alert_labels(msid)), 60,
                                "%s: the alert about %s to resolve" % (self.label, msid),
                                interval=0.05)
        # After a restart the exporter needs a few heartbeats to estimate the node's
        # clock; the random part lands kills at every phase of poll and heartbeat.
        time.sleep(self.threshold + random.uniform(0, self.poll + HEARTBEAT_SECONDS))

    def clock_offset(self, msid):
        """The exporter's clock-offset estimate for the node (silence = raw age minus
        it), None before it has one."""
        return procs.value(self.exporter.metrics(), "cloudstack_mshost_clock_offset_seconds",
                           msid=msid)


class PeerSetup:
    """The peer stack (peer_stack.py): phases reset before every kill."""

    def __init__(self, label, stack, threshold):
        self.label = label
        self.stack = stack
        self.threshold = threshold

    def alert_labels(self, msid):
        return self.stack.alert_labels(msid)

    def prepare(self, kill_number, msid):
        self.stack.reset(kill_number + 1, msid)
        # The pipeline's phases are new; this spreads kills over the heartbeat cycle.
        time.sleep(random.uniform(0, HEARTBEAT_SECONDS))

    def clock_offset(self, msid):
        return None  # the peer's test reads the raw age


class Chain(threading.Thread):
    """Kills `node` again and again for `setup`: at least `min_kills` times, then on
    while `keep_going()` says so, up to `max_kills`. Results in .kills (dicts with
    latency and beyond), failures in .errors."""

    def __init__(self, setup, cluster, am, node, min_kills, max_kills, keep_going,
                 log=print):
        super().__init__(name="chain-" + setup.label, daemon=True)
        self.setup = setup
        self.cluster = cluster
        self.am = am
        self.node = node
        self.min_kills = min_kills
        self.max_kills = max_kills
        self.keep_going = keep_going
        self.log = log
        self.kills = []
        self.errors = []

    def run(self):
        msid = self.cluster.msid(self.node)
        timeout = self.setup.threshold + 45
        number = 0
        while number < self.max_kills and (number < self.min_kills or self.keep_going()):
            try:
                self.setup.prepare(number, msid)
                offset = self.setup.clock_offset(msid)
                killed_at, heartbeat = self.cluster.kill(self.node)
                labels = self.setup.alert_labels(msid)
                try:
                    seen = prom_servers.wait_until(
                        lambda: self.am.alerts(**labels) and time.time(), timeout,
                        "the alert", interval=ALERT_POLL_SECONDS)
                except AssertionError:  # recorded below as this kill's error
                    seen = None
                if seen is None:
                    self.errors.append("kill %d: no alert within %.0f s" % (number + 1,
                                                                            timeout))
                else:
                    self.kills.append({"latency": seen - killed_at,
                                       "beyond": seen - (heartbeat + self.setup.threshold),
                                       "since_heartbeat": killed_at - heartbeat,
                                       "offset": offset})
                    self.log("  %-14s kill %2d: alert after %5.2f s (%.2f s beyond its "
                             "heartbeat test)" % (self.setup.label, number + 1,
                                                 seen - killed_at, self.kills[-1]["beyond"]))
                self.cluster.restart(self.node)
            except Exception as e:  # a broken chain must not hide the others' results
                self.errors.append("kill %d: %s" % (number + 1, e))
                if len(self.errors) >= 3:
                    return
            number += 1

    def summary(self):
        if not self.kills:
            return None
        result = benchlib.summary([k["latency"] for k in self.kills])
        beyond = benchlib.summary([k["beyond"] for k in self.kills])
        result["beyond_median"] = beyond["median"]
        result["beyond_p95"] = beyond["p95"]
        result["since_heartbeat_median"] = benchlib.summary(
            [k["since_heartbeat"] for k in self.kills])["median"]
        offsets = [k["offset"] for k in self.kills if k["offset"] is not None]
        result["offset_median"] = benchlib.summary(offsets)["median"] if offsets else None
        return result
