"""alerts/cloudstack-mshost.rules.yml: promtool accepts it, its unit tests pass, and it
names the contract's alerts, metrics and runbooks exactly."""
import glob
import os
import re

import yaml

from promside import alert_catalog as catalog
from promside.promtools import PROMTOOL, run

RULES = os.path.relpath(catalog.RULES_FILE, catalog.REPO)
TEST_FILES = sorted(glob.glob(os.path.join(catalog.REPO, "alerts", "tests", "*.test.yml")))


def test_promtool_check_rules_is_clean():
    r = run([PROMTOOL, "check", "rules", RULES])
    assert "SUCCESS" in r.stdout
    # promtool prints lint warnings (e.g. duplicate rules) but still exits 0.
    assert "WARNING" not in (r.stdout + r.stderr).upper(), r.stdout + r.stderr


def test_promtool_unit_tests_pass():
    assert len(TEST_FILES) >= 6, TEST_FILES
    r = run([PROMTOOL, "test", "rules"] + TEST_FILES)
    assert r.stdout.count("SUCCESS") == len(TEST_FILES), r.stdout


def test_promtool_unit_tests_can_fail():
    # The unit tests are only worth something if a wrong rule fails them: drop the
    # outage guard of one rule and the outage test must catch it.
    import shutil
    import tempfile
    with open(catalog.RULES_FILE, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    for group in doc["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == "CloudStackMgmtServerUnreachable":
                rule["expr"] = 'cloudstack_mshost_verdict{verdict="up_unreachable"} == 1'
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "alerts", "tests"))
        with open(os.path.join(tmp, "alerts", "cloudstack-mshost.rules.yml"), "w") as f:
            yaml.safe_dump(doc, f)
        shutil.copy(os.path.join(catalog.REPO, "alerts", "tests", "database_outage.test.yml"),
                    os.path.join(tmp, "alerts", "tests"))
        r = run([PROMTOOL, "test", "rules", "alerts/tests/database_outage.test.yml"], cwd=tmp,
                ok=False)
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "alertname: CloudStackMgmtServerUnreachable, time: 6m" in out, out


def test_every_alert_has_a_unit_test_that_fires_it():
    fired = set()
    for path in TEST_FILES:
        with open(path, encoding="utf-8") as f:
            for case in yaml.safe_load(f)["tests"]:
                for check in case.get("alert_rule_test", []):
                    if check.get("exp_alerts"):
                        fired.add(check["alertname"])
    assert fired == set(catalog.rule_alerts()), set(catalog.rule_alerts()) ^ fired


def test_every_alert_has_a_unit_test_where_it_must_not_fire():
    quiet = set()
    for path in TEST_FILES:
        with open(path, encoding="utf-8") as f:
            for case in yaml.safe_load(f)["tests"]:
                for check in case.get("alert_rule_test", []):
                    if not check.get("exp_alerts"):
                        quiet.add(check["alertname"])
    assert quiet == set(catalog.rule_alerts()), set(catalog.rule_alerts()) ^ quiet


def test_alerts_equal_the_contract_plus_prometheus_only_ones():
    rules = catalog.rule_alerts()
    contract = catalog.contract_alerts()
    assert len(contract) == 8, contract
    got = {n: {"severity": a["severity"], "for_seconds": a["for_seconds"]}
           for n, a in rules.items()}
    want = dict(contract)
    want.update(catalog.PROMETHEUS_ONLY)
    assert got == want


def test_every_alert_has_summary_description_and_its_runbook():
    for name, alert in catalog.rule_alerts().items():
        ann = alert["annotations"]
        assert {"summary", "description", "runbook_url"} <= set(ann), name
        assert ann["runbook_url"] == catalog.RUNBOOK_URL_PATTERN % name, name
        runbook = os.path.join(catalog.REPO, "docs", "runbooks", name + ".md")
        assert os.path.isfile(runbook), "missing runbook " + runbook
        with open(runbook, encoding="utf-8") as f:
            text = f.read()
        assert text.startswith("# " + name), runbook
        # Runbooks start with what needs no database access.
        assert "mshost_exporter check" in text or "status page" in text, runbook
        assert re.search(r"amtool [^\n]*silence add", text), runbook
        if name in catalog.contract_alerts():
            assert "SELECT msid" in text, runbook


def test_node_alerts_name_the_node_and_hold_through_database_outages():
    for name, alert in catalog.rule_alerts().items():
        if not name.startswith("CloudStackMgmtServer"):
            continue
        assert "$labels.msid" in alert["annotations"]["description"], name
        assert "$labels.name" in alert["annotations"]["description"], name
        expr = alert["expr"]
        assert 'ALERTS{alertname="%s", alertstate="firing"}' % name in expr, name
        assert re.search(r"cloudstack_mshost_up\{[^}]*\} == 1", expr), name
        assert re.search(r"cloudstack_mshost_up\{[^}]*\}\) == 0", expr), name


def test_no_alert_keeps_the_replica_label():
    # Two exporter replicas differ only in `instance`: every alert aggregates it away
    # (alerts/tests/ha.test.yml shows one alert per node with two replicas).
    for name, alert in catalog.rule_alerts().items():
        assert "without (instance" in alert["expr"], name
        assert " by (" not in alert["expr"], name


def test_alerts_show_the_target():
    for name, alert in catalog.rule_alerts().items():
        if name in ("CloudStackMshostExporterDown", "MshostExporterConfigReloadFailed",
                    "MshostExporterAlertmanagerUnreachable", "MshostExporterNotificationsDropped"):
            continue  # about an exporter process, not one of its targets
        assert "$labels.target" in alert["annotations"]["summary"] + \
            alert["annotations"]["description"], name


def test_expressions_use_only_contract_metrics():
    known = catalog.contract_metrics() | catalog.addition_metrics() | set(catalog.recording_rules())
    exprs = [a["expr"] for a in catalog.rule_alerts().values()]
    exprs += list(catalog.recording_rules().values())
    exprs += [a["annotations"]["description"] for a in catalog.rule_alerts().values()]
    used = set()
    for e in exprs:
        used |= set(re.findall(r"\b(?:[a-z_]+:)?(?:cloudstack_mshost|mshost_exporter)_[a-z_]+(?::[a-z_]+)?\b", e))
    assert used, "no metric found"
    assert used <= known, used - known


def builtin_alerts():
    """{alertname: {"severity", "for_seconds"}} of the built-in evaluator's table: the
    verdicts' alerts from their rows (exporter/model/verdict.h, kVerdicts), the others
    from exporter/alerting/rules.cc (DefaultAlertRules, names from rules.h)."""
    exporter = os.path.join(catalog.REPO, "exporter")
    with open(os.path.join(exporter, "model", "verdict.h"), encoding="utf-8") as f:
        rows = re.findall(r'VerdictAlert\{\s*"(\w+)", "(\w+)", (\d+),', f.read())
    src = os.path.join(exporter, "alerting")
    with open(os.path.join(src, "rules.h"), encoding="utf-8") as f:
        names = dict(re.findall(r'inline constexpr char (kAlert\w+)\[\] = "(\w+)";', f.read()))
    with open(os.path.join(src, "rules.cc"), encoding="utf-8") as f:
        rows += [(names[k], sev, secs) for k, sev, secs in
                 re.findall(r'\{(kAlert\w+), "(\w+)", (\d+), (?:true|false)\}', f.read())]
    return {name: {"severity": sev, "for_seconds": float(secs)} for name, sev, secs in rows}


def test_builtin_evaluator_has_the_contract_alerts_plus_its_watchdog():
    builtin = builtin_alerts()
    want = catalog.contract_alerts()
    want.update(catalog.BUILTIN_ONLY)
    assert builtin == want
    # Names the two paths share mean the same alert; each path's own alerts are apart.
    rules = catalog.rule_alerts()
    assert set(builtin) & set(rules) == set(catalog.contract_alerts())
    for name in catalog.BUILTIN_ONLY:
        runbook = os.path.join(catalog.REPO, "docs", "runbooks", name + ".md")
        assert os.path.isfile(runbook), runbook
