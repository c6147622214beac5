"""dashboards/: the Grafana dashboard is valid JSON of schemaVersion 39, every panel has a
title and takes its datasource from the `datasource` variable, every query parses and
reads only the contract's metrics, and the provisioning files point where compose
mounts the dashboard."""
import os
import re
import tempfile

import yaml

from promside import alert_catalog as catalog
from promside import dashboard_queries as dq
from promside.promtools import PROMTOOL, run

DS = {"type": "prometheus", "uid": "${datasource}"}
# By code of node:cloudstack_mshost_verdict:code: new verdicts get new codes.
VERDICTS = ["ok", "down_but_running", "up_unreachable", "up_heartbeat_stale",
            "up_not_running", "unknown", "maintenance", "superseded", "stop_unfinished"]


def test_schema_version_uid_and_variables():
    d = dq.load()
    assert d["schemaVersion"] == 39
    assert d["uid"] == "cloudstack-mshost" and d["title"]
    variables = {v["name"]: v for v in d["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for name in ("job", "cloudstack", "target", "instance"):
        v = variables[name]
        assert v["type"] == "query" and v["datasource"] == DS, name
        assert v["includeAll"] and v["allValue"] == ".*", name
    assert set(variables) | {"__rate_interval", "__interval", "__range"} == set(dq.VARIABLE_VALUES) | {"datasource"}


def test_every_panel_has_a_title_and_the_datasource_variable():
    all_panels = dq.panels()
    assert len(all_panels) >= 15
    ids = [p["id"] for p in all_panels]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    for p in all_panels:
        assert p.get("title", "").strip(), p
        assert p.get("datasource") == DS, p["title"]
        if p["type"] == "row":
            continue
        assert p.get("targets"), p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs)), p["title"]
        for t in p["targets"]:
            assert t.get("datasource") == DS, (p["title"], t["refId"])
            assert t.get("expr", "").strip(), (p["title"], t["refId"])


def test_panels_fit_the_grid_without_overlapping():
    taken = {}
    for p in dq.panels():
        g = p["gridPos"]
        assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in taken, "%s overlaps %s" % (p["title"], taken[(x, y)])
                taken[(x, y)] = p["title"]


def test_the_overview_has_the_panels_the_issue_asks_for():
    by_type = {}
    for p in dq.panels():
        by_type.setdefault(p["type"], []).append(p["title"])
    titles = [p["title"] for p in dq.panels()]
    for title in ("Running nodes", "Nodes per verdict", "Nodes per state", "Nodes",
                  "Heartbeat silence", "Heartbeat interval and thresholds", "Probe duration",
                  "Verdict timeline", "Firing alerts (exporter)", "Scrapes and database reads"):
        assert title in titles, title
    assert "Verdict timeline" in by_type["state-timeline"]
    table = next(p for p in dq.panels() if p["title"] == "Nodes")
    exprs = " ".join(t["expr"] for t in table["targets"])
    for metric in ("cloudstack_mshost_state", "cloudstack_mshost_verdict",
                   "cloudstack_mshost_heartbeat_silence_seconds", "cloudstack_mshost_probe_success",
                   "cloudstack_mshost_info", "cloudstack_mshost_restarts_total",
                   "cloudstack_mshost_heartbeat_interval_seconds",
                   "cloudstack_mshost_stale_after_seconds", "cloudstack_mshost_dead_after_seconds"):
        assert metric in exprs, metric
    running = next(p for p in dq.panels() if p["title"] == "Running nodes")
    assert "cloudstack_mshost_running_nodes" in running["targets"][0]["expr"]
    # The thresholds drawn are those in force, which follow the heartbeat: not a
    # variable someone has to keep in step with the exporter.
    silence = next(p for p in dq.panels() if p["title"] == "Heartbeat silence")
    silence_exprs = " ".join(t["expr"] for t in silence["targets"])
    assert "cloudstack_mshost_stale_after_seconds" in silence_exprs
    assert "cloudstack_mshost_dead_after_seconds" in silence_exprs
    interval = next(p for p in dq.panels() if p["title"] == "Heartbeat interval and thresholds")
    assert "cloudstack_mshost_heartbeat_interval_seconds" in interval["targets"][0]["expr"]
    alerts = next(p for p in dq.panels() if p["title"] == "Firing alerts (exporter)")
    assert "cloudstack_mshost_alert_firing" in alerts["targets"][0]["expr"]


def test_verdict_timeline_maps_every_recorded_code_to_its_verdict():
    panel = next(p for p in dq.panels() if p["title"] == "Verdict timeline")
    options = panel["fieldConfig"]["defaults"]["mappings"][0]["options"]
    assert {int(k): v["text"] for k, v in options.items()} == dict(enumerate(VERDICTS))
    record = catalog.recording_rules()["node:cloudstack_mshost_verdict:code"]
    for code, verdict in enumerate(VERDICTS):
        assert re.search(r'\(cloudstack_mshost_verdict\{[^}]*verdict="%s"\} == 1\) \* %d\b'
                         % (verdict, code), record), verdict


def test_imports_like_a_grafana_com_dashboard():
    d = dq.load()
    assert d["__inputs"] == []  # the datasource is a variable, chosen after import
    requires = {(r["type"], r["id"]) for r in d["__requires"]}
    assert ("grafana", "grafana") in requires and ("datasource", "prometheus") in requires
    used = {p["type"] for p in dq.panels() if p["type"] != "row"}
    assert used == {i for t, i in requires if t == "panel"}, used


def test_node_panels_aggregate_the_replicas_away_and_the_exporter_row_honours_instance():
    # Two exporter replicas differ only in `instance`: a panel about the management
    # servers must count each node once (recording rules already aggregate).
    exporter_row = {"Scrapes and database reads", "Poll duration and age",
                    "Notifications to Alertmanager", "Exporter build and configuration",
                    "Poll failures"}
    for title, ref, expr in dq.queries():
        if title in exporter_row:
            assert 'instance=~".*"' in expr, (title, ref)
        elif "vector(" in expr or "ALERTS{" in expr or ":count{" in expr or ":code{" in expr:
            assert "instance" not in expr, (title, ref)
        else:
            assert "max without (instance)" in expr or re.match(r"max by \((job, )?target\b", expr), (title, ref, expr)
            assert "instance" not in re.sub(r"without \(instance\)", "", expr), (title, ref)
        # Every scrape label has its variable.
        if "cloudstack_mshost_" in expr and title not in exporter_row:
            assert 'cloudstack=~".*"' in expr and 'job=~".*"' in expr, (title, ref)


def test_every_query_parses():
    # promtool has no "parse this expression" command in 2.42; a rule file of recording
    # rules, one per query, makes `promtool check rules` parse each of them.
    queries = dq.queries() + [(n, "annotation", e) for n, e in dq.annotation_queries()]
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": "dashboard:query_%d" % i, "expr": expr} for i, (_, _, expr) in enumerate(queries)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump(rules, f)
    try:
        r = run([PROMTOOL, "check", "rules", f.name], ok=False)
    finally:
        os.unlink(f.name)
    assert r.returncode == 0, "\n".join(
        ["%s/%s: %s" % q for q in queries]) + "\n" + r.stdout + r.stderr
    assert "SUCCESS: %d rules found" % len(queries) in r.stdout


def test_queries_read_only_contract_metrics_and_existing_recording_rules():
    known = catalog.contract_metrics() | catalog.addition_metrics() | set(catalog.recording_rules())
    used = set()
    for _, _, expr in dq.queries() + [(n, "annotation", e) for n, e in dq.annotation_queries()]:
        used |= set(re.findall(
            r"\b(?:[a-z_]+:)?(?:cloudstack_mshost|mshost_exporter)_[a-z_]+(?::[a-z_]+)?\b", expr))
    assert used <= known, used - known
    assert set(catalog.recording_rules()) <= used, "recording rules no panel uses"


def test_provisioning_points_where_compose_mounts_the_dashboard():
    root = os.path.join(catalog.REPO, "dashboards", "provisioning")
    with open(os.path.join(root, "dashboards", "cloudstack-mshost.yml"), encoding="utf-8") as f:
        provider = yaml.safe_load(f)["providers"][0]
    with open(os.path.join(root, "datasources", "prometheus.yml"), encoding="utf-8") as f:
        datasource = yaml.safe_load(f)["datasources"][0]
    assert datasource["type"] == "prometheus"
    with open(os.path.join(catalog.REPO, "docker", "compose.yml"), encoding="utf-8") as f:
        compose = yaml.safe_load(f)
    mounts = {}
    for volume in compose["services"]["grafana"]["volumes"]:
        host, container = volume.split(":")[:2]
        mounts[container] = os.path.normpath(os.path.join(catalog.REPO, "docker", host))
    dashboard_in_container = provider["options"]["path"] + "/cloudstack-mshost.json"
    assert mounts[dashboard_in_container] == dq.DASHBOARD
    assert mounts["/etc/grafana/provisioning/dashboards"] == os.path.join(root, "dashboards")
    assert mounts["/etc/grafana/provisioning/datasources"] == os.path.join(root, "datasources")
    assert datasource["url"] == "http://prometheus:9090" and "prometheus" in compose["services"]
