"""alerts/alertmanager.example.yml (and the demo's docker/alertmanager/alertmanager.yml):
amtool accepts them, critical alerts page and warnings go to chat, and a real
Alertmanager inhibits what the example says it inhibits."""
import copy
import os

import yaml

from lib import prom_servers
from promside.alert_catalog import REPO
from promside.promtools import AMTOOL, run

EXAMPLE = "alerts/alertmanager.example.yml"
DEMO = "docker/alertmanager/alertmanager.yml"


def test_amtool_check_config():
    for path in (EXAMPLE, DEMO):
        r = run([AMTOOL, "check-config", path])
        assert "SUCCESS" in r.stdout, r.stdout


def routes(path, *labels):
    r = run([AMTOOL, "config", "routes", "test", "--config.file=" + path] + list(labels))
    return r.stdout.strip()


def test_critical_pages_and_warnings_go_to_chat():
    assert routes(EXAMPLE, "alertname=CloudStackMgmtServerUpNotRunning", "severity=critical",
                  "target=prod") == "pager,chat"
    assert routes(EXAMPLE, "alertname=CloudStackMgmtServerHeartbeatStale", "severity=warning",
                  "target=prod") == "chat"


def test_grouping_is_by_target_and_alertname():
    for path in (EXAMPLE, DEMO):
        with open(os.path.join(REPO, path), encoding="utf-8") as f:
            route = yaml.safe_load(f)["route"]
        assert route["group_by"] == ["target", "alertname"], path


def alert(alertname, severity, **labels):
    labels.update(alertname=alertname, severity=severity)
    return {"labels": labels, "annotations": {"summary": alertname}}


def test_inhibition_in_a_real_alertmanager(tmp_path):
    with open(os.path.join(REPO, EXAMPLE), encoding="utf-8") as f:
        config = yaml.safe_load(f)
    # Same routes and inhibit_rules; receivers that notify nobody (the example's point
    # at the internet, and tests only talk to loopback).
    config = copy.deepcopy(config)
    config["receivers"] = [{"name": r["name"]} for r in config["receivers"]]
    am = prom_servers.start_alertmanager(str(tmp_path / "am"), config=config)
    try:
        am.post_alerts([
            # prod: its database is gone.
            alert("CloudStackMshostSourceDown", "critical", target="prod"),
            alert("CloudStackMgmtServerUpNotRunning", "critical", target="prod", msid="1", name="a"),
            alert("CloudStackMgmtServerHeartbeatStale", "warning", target="prod", msid="2", name="b"),
            alert("CloudStackNoRunningMgmtServer", "critical", target="prod"),
            # staging: database fine; node 3 pages and also flaps, node 4 only warns.
            alert("CloudStackMgmtServerUpNotRunning", "critical", target="staging", msid="3", name="c"),
            alert("CloudStackMgmtServerFlapping", "warning", target="staging", msid="3", name="c"),
            alert("CloudStackMgmtServerHeartbeatStale", "warning", target="staging", msid="4", name="d"),
        ])

        def inhibited():
            got = {}
            for a in am.alerts(active_only=False):
                key = (a["labels"]["alertname"], a["labels"]["target"], a["labels"].get("msid"))
                got[key] = bool(a["status"]["inhibitedBy"])
            return got if len(got) == 7 and any(got.values()) else None

        got = prom_servers.wait_until(inhibited, 15, "alerts with their inhibition status")
        assert got == {
            ("CloudStackMshostSourceDown", "prod", None): False,
            ("CloudStackMgmtServerUpNotRunning", "prod", "1"): True,
            ("CloudStackMgmtServerHeartbeatStale", "prod", "2"): True,
            ("CloudStackNoRunningMgmtServer", "prod", None): False,
            ("CloudStackMgmtServerUpNotRunning", "staging", "3"): False,
            ("CloudStackMgmtServerFlapping", "staging", "3"): True,
            ("CloudStackMgmtServerHeartbeatStale", "staging", "4"): False,
        }
    finally:
        am.stop()


def test_demo_inhibits_like_the_example():
    with open(os.path.join(REPO, EXAMPLE), encoding="utf-8") as f:
        example = yaml.safe_load(f)
    with open(os.path.join(REPO, DEMO), encoding="utf-8") as f:
        demo = yaml.safe_load(f)
    assert demo["inhibit_rules"] == example["inhibit_rules"]


def test_watchdog_goes_to_the_dead_mans_switch_only():
    assert routes(EXAMPLE, "alertname=MshostExporterWatchdog", "severity=none",
                  "target=prod") == "deadmansswitch"


def test_templates_render_the_links():
    # amtool renders with its own example alerts (labels and a generatorURL, no
    # annotations): the source and the silence link prefilled with the common labels.
    r = run([AMTOOL, "template", "render", "--template.glob=alerts/templates/*.tmpl",
             '--template.text={{ template "mshost.text" . }}'])
    assert "Source: https://generatorurl.com" in r.stdout, r.stdout
    assert ("Silence: https://example.com/#/silences/new?filter=%7Bcommonlabelkey1%3D%22"
            "commonlabelvalue1%22%2C%20commonlabelkey2%3D%22commonlabelvalue2%22%7D") in r.stdout
    r = run([AMTOOL, "template", "render", "--template.glob=alerts/templates/*.tmpl",
             '--template.text={{ template "mshost.title" . }}'])
    assert r.stdout.strip() == "[ALERTSTATUS]", r.stdout  # amtool's example status
