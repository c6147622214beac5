"""mixin/: the files users drop in (alerts/cloudstack-mshost.rules.yml,
dashboards/cloudstack-mshost.json) are what mixin/build.sh makes of the jsonnet
source, byte for byte, and the mixin's parameters change what they say."""
import json
import os
import re
import subprocess
import tempfile

import yaml

from promside import alert_catalog as catalog
from promside.promtools import need

MIXIN = os.path.join(catalog.REPO, "mixin")
GENERATED = ["alerts/cloudstack-mshost.rules.yml", "dashboards/cloudstack-mshost.json"]


def build(out):
    need("jsonnet")
    r = subprocess.run([os.path.join(MIXIN, "build.sh"), out], capture_output=True, text=True,
                       timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr


def evaluate(code):
    """The JSON value of a jsonnet expression, with the mixin on the import path."""
    need("jsonnet")
    r = subprocess.run(["jsonnet", "-J", MIXIN, "-e", code], capture_output=True, text=True,
                       timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def stale(fresh_root, committed_root):
    """The generated files that differ between two trees."""
    out = []
    for name in GENERATED:
        with open(os.path.join(fresh_root, name), encoding="utf-8") as f:
            fresh = f.read()
        with open(os.path.join(committed_root, name), encoding="utf-8") as f:
            if f.read() != fresh:
                out.append(name)
    return out


def test_generated_files_are_up_to_date_with_the_mixin():
    with tempfile.TemporaryDirectory() as tmp:
        build(tmp)
        differ = stale(tmp, catalog.REPO)
    assert not differ, "run mixin/build.sh and commit: %s differ from mixin/" % ", ".join(differ)


def test_the_comparison_sees_a_hand_edit():
    # A generated file edited by hand (one `for` changed) must show as stale.
    with tempfile.TemporaryDirectory() as fresh, tempfile.TemporaryDirectory() as edited:
        build(fresh)
        build(edited)
        path = os.path.join(edited, GENERATED[0])
        with open(path, encoding="utf-8") as f:
            text = f.read()
        assert 'for: "1m"' in text
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace('for: "1m"', 'for: "2m"', 1))
        assert stale(fresh, edited) == [GENERATED[0]]


def test_generated_rules_say_where_they_come_from():
    with open(catalog.RULES_FILE, encoding="utf-8") as f:
        assert f.readline().startswith("# Generated from mixin/ by mixin/build.sh")
    assert yaml.safe_load(open(catalog.RULES_FILE, encoding="utf-8"))["groups"]


def test_config_overrides_reach_every_rule_and_panel():
    out = evaluate('''
      local mixin = (import "mixin.libsonnet") + { _config+:: {
        mshostSelector: 'job="cs"', exporterSelector: 'job="cs-exporter"',
        replicaLabels: ["instance", "replica"],
        runbookURLPattern: "https://wiki.example/runbooks/%s",
        dashboardURL: "https://grafana.example/d/cloudstack-mshost",
        alertFor+: { CloudStackMgmtServerUnreachable: "5m" },
        dashboardScrapeLabels: ["cloudstack", "region"],
      } };
      { rules: mixin.prometheusRules.groups + mixin.prometheusAlerts.groups,
        dashboard: mixin.grafanaDashboards["cloudstack-mshost.json"] }''')
    alerts = {r["alert"]: r for g in out["rules"] for r in g["rules"] if "alert" in r}
    assert alerts["CloudStackMgmtServerUnreachable"]["for"] == "5m"
    for name, rule in alerts.items():
        assert rule["annotations"]["runbook_url"] == "https://wiki.example/runbooks/" + name
        assert rule["annotations"]["dashboard_url"].startswith(
            "https://grafana.example/d/cloudstack-mshost?var-target="), name
        assert "without (instance, replica" in rule["expr"], name
        assert 'job=~"cloudstack-mshost.*"' not in rule["expr"], name
    assert 'up{job="cs-exporter"}' in alerts["CloudStackMshostExporterDown"]["expr"]
    assert 'cloudstack_mshost_verdict{job="cs", verdict="up_not_running"}' in \
        alerts["CloudStackMgmtServerUpNotRunning"]["expr"]
    variables = [v["name"] for v in out["dashboard"]["templating"]["list"]]
    assert variables == ["datasource", "job", "cloudstack", "region", "target", "instance",
                         "probe_timeout"]
    running = next(p for p in out["dashboard"]["panels"] if p["title"] == "Running nodes")
    assert running["targets"][0]["expr"] == (
        'max without (instance, replica) (cloudstack_mshost_running_nodes{job="cs", '
        'job=~"$job", target=~"$target", cloudstack=~"$cloudstack", region=~"$region"})')


def table_verdicts(path, section):
    """The verdicts of the first table under `section` (a Markdown heading), in order."""
    with open(os.path.join(catalog.REPO, path), encoding="utf-8") as f:
        text = f.read()
    assert section in text, (path, section)
    rows = []
    for line in text.split(section, 1)[1].splitlines():
        if line.startswith("| `"):
            rows.append(line.split("`")[1])
        elif rows and not line.startswith("|"):
            break
    return rows


def test_readme_docs_mixin_and_exporter_list_the_same_verdicts():
    docs = table_verdicts("docs/verdicts.md", "## Order of decision")
    readme = table_verdicts("README.md", "## Verdicts")
    assert docs == readme, "README's verdict table differs from docs/verdicts.md's order"
    with open(os.path.join(catalog.REPO, "exporter", "model", "verdict.h"), encoding="utf-8") as f:
        exporter = re.findall(r'\{Verdict::k\w+, "(\w+)", \d+, VerdictLevel', f.read())
    mixin = [v["name"] for v in evaluate("import 'verdicts.libsonnet'")]
    assert len(docs) >= 9 and sorted(docs) == sorted(exporter) == sorted(mixin), (
        docs, exporter, mixin)
