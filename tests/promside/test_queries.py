"""Every PromQL expression of the dashboard and of the rules returns data from a real
Prometheus that scrapes the real exporter watching the simulator: the names, labels and
values the exporter exposes are the ones the dashboard and the rules read.

One stack for the whole module: MariaDB, Alertmanager, an HA pair of exporters with the
same configuration (two targets on the same database, so both scrape forms of
config/prometheus.example.yml are exercised, each with both replicas), Prometheus
loaded with that example config (addresses replaced, the second replica added; the
single-target job adds the scrape label cloudstack="prod-eu") and the rules. Every
alert's expression returns one series per node (or target), without `instance`, with
the scrape label. The
scenario brings every alert's condition about in turn, and each alert's expression is
queried while its condition holds (pending counts: the expression returns data):

  empty mshost table          -> CloudStackNoRunningMgmtServer (no node at all)
  seven nodes; ms-1 stays ok
  ms-2 hangs                  -> up_heartbeat_stale
  ms-3 is killed              -> up_not_running (fires at once, in the exporter too)
  ms-4 is partitioned         -> up_unreachable
  ms-5's row is set Down      -> down_but_running
  ms-6 restarts four times    -> CloudStackMgmtServerFlapping
  ms-7 is killed, its row set ShuttingDown -> stop_unfinished
  the loopback service_ips    -> MshostExporterLoopbackProbe
  a zero date in mshost_status -> MshostExporterRowsSkipped
  a bad reload on replica b   -> MshostExporterConfigReloadFailed
  Alertmanager stops          -> MshostExporterAlertmanagerUnreachable
  (MshostExporterNotificationsDropped needs 10000 queued alerts: its expression is
   checked without its threshold; alerts/tests/exporter_alerts.test.yml fires it)
  the database stops          -> CloudStackMshostSourceDown; firing node alerts stay firing
  replica a stops             -> CloudStackMshostExporterDown
"""
import json
import os
import re
import socket

import pytest
import requests
import yaml

from lib import db_servers, procs, prom_servers, sim
from promside import alert_catalog as catalog
from promside import dashboard_queries as dq

EXAMPLE_CONFIG = os.path.join(catalog.REPO, "config", "prometheus.example.yml")
EXAMPLE_EXPORTER = "cloudstack-db-monitor.example.com:9887"
EXAMPLE_ALERTMANAGER = "alertmanager.example.com:9093"
TIMEOUT = 30


def prometheus_config(exporter_addresses, alertmanager_address):
    """config/prometheus.example.yml with its example hosts replaced by the test's servers
    (the first exporter in place of the example's, every other one added next to it, as
    docs/operations.md says for replicas), 1s intervals and the rules file by absolute
    path."""
    with open(EXAMPLE_CONFIG, encoding="utf-8") as f:
        text = f.read()
    assert EXAMPLE_EXPORTER in text and EXAMPLE_ALERTMANAGER in text
    first, others = exporter_addresses[0], exporter_addresses[1:]
    text = text.replace(EXAMPLE_EXPORTER, first)
    text = text.replace(EXAMPLE_ALERTMANAGER, alertmanager_address)
    config = yaml.safe_load(text)
    for job in config["scrape_configs"]:
        added = []
        for static in job["static_configs"]:
            if first in static["targets"]:
                static["targets"] += others
            if static.get("labels", {}).get("__exporter") == first:
                for other in others:
                    added.append(dict(static, labels=dict(static["labels"], __exporter=other)))
        job["static_configs"] += added
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s",
                        "scrape_timeout": "1s"}
    config["rule_files"] = [catalog.RULES_FILE]
    return config


def exporter_config(db, alertmanager_url):
    database = db.config_yaml_database()
    target = {"database": database, "heartbeat": {"dead_after": "2s", "stale_after": "4s"},
              "probe": {"kind": "tcp", "timeout": "500ms"}}
    return {
        "poll_interval": "500ms",
        "default_target": "prod",
        "targets": [dict(target, name="prod", labels={"cloudstack": "prod-eu"}),
                    dict(target, name="staging")],
        "alerting": {"alertmanagers": [alertmanager_url], "resend_interval": "2s"},
    }


class Stack:
    def __init__(self):
        self.started = []
        self.sim = None

    def start(self, workdir):
        self.db = self.keep(db_servers.start_database("mysql", os.path.join(workdir, "db")))
        self.am = self.keep(prom_servers.start_alertmanager(os.path.join(workdir, "am")))
        self.exporter = self.keep(procs.start_exporter(
            exporter_config(self.db, self.am.url), os.path.join(workdir, "exporter")))
        self.exporter_b = self.keep(procs.start_exporter(
            exporter_config(self.db, self.am.url), os.path.join(workdir, "exporter-b")))
        config = prometheus_config([self.exporter.address, self.exporter_b.address],
                                   self.am.url.split("://")[1])
        self.prom = self.keep(prom_servers.start_prometheus(
            os.path.join(workdir, "prometheus"), [], extra_config=config))

    def keep(self, server):
        self.started.append(server)
        return server

    def stop(self):
        if self.sim is not None:
            self.sim.stop()
        for server in reversed(self.started):
            try:
                server.stop()
            except Exception:  # one failing stop must not leave the others running
                pass


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack()
    try:
        s.start(str(tmp_path_factory.mktemp("promside-queries")))
        yield s
    finally:
        s.stop()


def returns_data(prom, expr):
    try:
        return len(prom.query(expr)) > 0
    except ValueError:
        return False


def wait_data(prom, expr, what):
    prom_servers.wait_until(lambda: returns_data(prom, expr), TIMEOUT, "data for %s: %s" % (what, expr))


def test_scenario_brings_every_query_to_return_data(stack, tmp_path):
    prom = stack.prom
    rules = catalog.rule_alerts()
    checked = set()

    def check_alert(name):
        wait_data(prom, rules[name]["expr"], name)
        checked.add(name)

    # Both scrape forms are up and carry the target label.
    prom_servers.wait_until(
        lambda: {s["metric"].get("target") for s in prom.query('cloudstack_mshost_up == 1')}
        >= {"prod", "staging"}, TIMEOUT, "both targets scraped, with their target label")
    replicas = {stack.exporter.address, stack.exporter_b.address}
    prom_servers.wait_until(
        lambda: len(prom.query('cloudstack_mshost_up == 1')) == 6, TIMEOUT,
        "both replicas scraped in all three scrapes of a target")
    forms = {}
    for s in prom.query("cloudstack_mshost_up"):
        forms.setdefault((s["metric"]["job"], s["metric"]["target"]), set()).add(s["metric"]["instance"])
    assert forms == {("cloudstack-mshost", "prod"): replicas,
                     ("cloudstack-mshost-probe", "prod"): replicas,
                     ("cloudstack-mshost-probe", "staging"): replicas}, forms
    assert not prom.query('cloudstack_mshost_up{job="cloudstack-mshost-exporter"}'), \
        "the exporter's own job must drop the target metrics"
    wait_data(prom, 'mshost_exporter_build_info{job="cloudstack-mshost-exporter"}', "the exporter's own job")

    # An empty mshost table: no node runs.
    check_alert("CloudStackNoRunningMgmtServer")

    stack.sim = sim.start_simulator(stack.db, str(tmp_path / "sim"), nodes=7,
                                    heartbeat_interval=0.5)
    msid = {n: stack.sim.msid(n) for n in stack.sim.nodes}
    wait_data(prom, 'cloudstack_mshost_verdict{verdict="ok",msid="%s"} == 1' % msid["ms-1"], "ms-1 ok")
    wait_data(prom, 'cloudstack_mshost_clock_offset_seconds{msid="%s"}' % msid["ms-1"], "clock offset")

    stack.sim.act("hang", "ms-2")
    stack.sim.act("kill", "ms-3")
    stack.sim.act("partition", "ms-4")
    stack.db.execute("UPDATE mshost SET state='Down' WHERE msid=%s", (msid["ms-5"],))
    # A stop that aborted after the operator's triggerShutdown (apache/cloudstack#9722).
    stack.sim.act("kill", "ms-7")
    stack.db.execute("UPDATE mshost SET state='ShuttingDown' WHERE msid=%s", (msid["ms-7"],))
    for i in range(4):
        stack.sim.act("restart", "ms-6")
        prom_servers.wait_until(
            lambda: (prom.value('max(cloudstack_mshost_restarts_total{msid="%s",target="prod"})'
                                % msid["ms-6"]) or 0) >= i + 1,
            TIMEOUT, "restart %d of ms-6 scraped" % (i + 1))

    check_alert("CloudStackMgmtServerHeartbeatStale")
    check_alert("CloudStackMgmtServerUpNotRunning")
    check_alert("CloudStackMgmtServerUnreachable")
    check_alert("CloudStackMgmtServerDownButRunning")
    check_alert("CloudStackMgmtServerFlapping")
    check_alert("CloudStackMgmtServerStopUnfinished")
    for name, node in (("CloudStackMgmtServerHeartbeatStale", "ms-2"),
                       ("CloudStackMgmtServerUpNotRunning", "ms-3"),
                       ("CloudStackMgmtServerUnreachable", "ms-4"),
                       ("CloudStackMgmtServerDownButRunning", "ms-5"),
                       ("CloudStackMgmtServerFlapping", "ms-6"),
                       ("CloudStackMgmtServerStopUnfinished", "ms-7")):
        got = {s["metric"].get("msid") for s in prom.query(rules[name]["expr"])}
        assert msid[node] in got, (name, node, got)
    # Two replicas, one alert per node: each alert's series are distinct without
    # `instance`, and the single-target job's scrape label reaches them.
    for name in rules:
        series = [s["metric"] for s in prom.query(rules[name]["expr"])]
        assert all("instance" not in m for m in series), (name, series)
        keys = [json.dumps(m, sort_keys=True) for m in series]
        assert len(keys) == len(set(keys)), (name, series)
        for m in series:
            if m.get("job") == "cloudstack-mshost":
                assert m.get("cloudstack") == "prod-eu", (name, m)
    nodes_per_state = prom.value(
        'sum(target_state:cloudstack_mshost_nodes:count{job="cloudstack-mshost", cloudstack="prod-eu"})')
    assert nodes_per_state == 7, "each node counted once, not once per replica"

    # The exporter's own alerts, Prometheus side. The simulator's rows have
    # service_ip 127.0.0.1: loopback probes.
    check_alert("MshostExporterLoopbackProbe")
    # ms-1's mshost_status row with MySQL's zero date (no point in time): skipped.
    ms1_status = "WHERE ms_id=(SELECT uuid FROM mshost WHERE msid=%s)"
    stack.db.execute("UPDATE mshost_status SET last_jvm_start='0000-00-00 00:00:00' " + ms1_status,
                     (msid["ms-1"],))
    check_alert("MshostExporterRowsSkipped")
    stack.db.execute("UPDATE mshost_status SET last_jvm_start=UTC_TIMESTAMP() " + ms1_status,
                     (msid["ms-1"],))
    # Replica b reloads a broken file: it keeps running, the alert names it.
    with open(stack.exporter_b.config_path, "a", encoding="utf-8") as f:
        f.write("\nnot_a_key: 1\n")
    assert requests.post(stack.exporter_b.url + "/-/reload", timeout=10).status_code == 500
    check_alert("MshostExporterConfigReloadFailed")
    # Nothing is dropped: the expression without its threshold reads the real series.
    dropped = rules["MshostExporterNotificationsDropped"]["expr"]
    assert dropped.rstrip().endswith("> 0")
    wait_data(prom, dropped.rstrip()[:-len("> 0")], "MshostExporterNotificationsDropped")
    checked.add("MshostExporterNotificationsDropped")

    # The exporter's own evaluator fires UpNotRunning at once, and pushes it.
    wait_data(prom, 'cloudstack_mshost_alert_firing{alertname="CloudStackMgmtServerUpNotRunning"} == 1',
              "the exporter's firing alert")
    wait_data(prom, 'ALERTS{alertname="CloudStackMgmtServerUpNotRunning", alertstate="firing"}',
              "Prometheus's firing alert")
    wait_data(prom, "mshost_exporter_notifications_total", "notifications")

    # Every runbook_url of a live Prometheus alert is the runbook an exporter serves:
    # <its external URL>/runbooks/<alertname> (the default, http://<hostname>:<port>,
    # fetched on the loopback address the test's exporters listen on).
    by_port = {e.port: e for e in (stack.exporter, stack.exporter_b)}
    live = [a for a in prom.alerts() if a["labels"]["alertname"] in rules]
    assert {a["labels"]["alertname"] for a in live} >= {"CloudStackMgmtServerUpNotRunning"}
    for a in live:
        url = a["annotations"]["runbook_url"]
        m = re.match(r"http://%s:(\d+)(/runbooks/(\w+))$" % re.escape(socket.gethostname()), url)
        assert m and m.group(3) == a["labels"]["alertname"], url
        page = requests.get(by_port[int(m.group(1))].url + m.group(2), timeout=5)
        assert page.status_code == 200 and "<h1>%s</h1>" % m.group(3) in page.text, url

    # Now every recording rule and every dashboard query has something to show.
    for record in catalog.recording_rules():
        wait_data(prom, record, "recording rule " + record)
    missing = [(title, ref, expr) for title, ref, expr in dq.queries()
               if not _eventually(prom, expr)]
    assert not missing, "dashboard queries without data:\n" + "\n".join(
        "%s/%s: %s" % m for m in missing)

    # The catalog's metric names are what the exporter exposes, all of them and no
    # other: the rules and the dashboard may read only those names, so a name the
    # exporter does not export yet must not be in the catalog. The simulator writes
    # no last_system_boot, and last_jvm_stop only on a clean stop: set them for ms-1.
    stack.db.execute("UPDATE mshost_status SET last_system_boot=UTC_TIMESTAMP() - INTERVAL 1 DAY, "
                     "last_jvm_stop=UTC_TIMESTAMP() - INTERVAL 1 HOUR "
                     "WHERE ms_id=(SELECT uuid FROM mshost WHERE msid=%s)", (msid["ms-1"],))
    # An agent no node holds (Up with no node), for cloudstack_mshost_agents_unattached.
    stack.db.insert_hosts(None, "Up")
    catalog_names = catalog.contract_metrics() | catalog.addition_metrics()
    try:
        prom_servers.wait_until(lambda: _exported_names(prom) >= catalog_names, TIMEOUT,
                                "every metric of the catalog exported")
    except AssertionError:
        pass  # the assertion below says which
    live = _exported_names(prom)
    assert live == catalog_names, ("exported, not in the catalog: %s; in the catalog, not "
                                   "exported: %s" % (sorted(live - catalog_names),
                                                     sorted(catalog_names - live)))

    # Alertmanager goes away: the exporters' sends fail.
    stack.am.stop()
    check_alert("MshostExporterAlertmanagerUnreachable")

    # The database goes away: SourceDown, and the node alerts that fire keep firing
    # on the frozen series (the rules' outage guard, live).
    firing_before = _firing(prom)
    assert ("CloudStackMgmtServerUpNotRunning", msid["ms-3"]) in firing_before
    stack.db.stop()
    check_alert("CloudStackMshostSourceDown")
    prom_servers.wait_until(
        lambda: prom.value('max(cloudstack_mshost_up{target="prod"})') == 0, TIMEOUT,
        "outage scraped")
    node_alerts_before = {a for a in firing_before if a[1]}
    for _ in range(5):  # five evaluations into the outage
        _wait_evaluations(prom, 1)
        now = {a for a in _firing(prom) if a[1]}
        assert node_alerts_before <= now, node_alerts_before - now

    # Replica a goes away: the only alert Prometheus can still raise about it, once
    # per job and target, without `instance`.
    stack.exporter.stop()
    check_alert("CloudStackMshostExporterDown")
    down = [s["metric"] for s in prom.query(rules["CloudStackMshostExporterDown"]["expr"])]
    assert all("instance" not in m for m in down), down
    assert checked == set(rules), set(rules) - checked


def _exported_names(prom):
    return {s["metric"]["__name__"] for s in prom.query(
        'group by (__name__) ({__name__=~"cloudstack_mshost_.+|mshost_exporter_.+"})')}


def _eventually(prom, expr, timeout=10):
    try:
        wait_data(prom, expr, "query")
        return True
    except AssertionError:
        return False


def _firing(prom):
    """{(alertname, msid or None)} of Prometheus's firing CloudStack alerts, both forms."""
    return {(s["metric"]["alertname"], s["metric"].get("msid"))
            for s in prom.query('ALERTS{alertstate="firing", alertname=~"CloudStack.+"}')}


def _wait_evaluations(prom, n):
    start = prom.value("vector(time())")
    prom_servers.wait_until(lambda: prom.value("vector(time())") >= start + n, 10, "%d evaluations" % n)
