"""The PromQL of dashboards/cloudstack-mshost.json, with Grafana's variables replaced
by values Prometheus accepts, for tests that parse or run them."""
import json
import os
import re

from promside.alert_catalog import REPO

DASHBOARD = os.path.join(REPO, "dashboards", "cloudstack-mshost.json")

# What Grafana puts in place of each variable when "All" is selected (allValue ".*").
VARIABLE_VALUES = {
    "job": ".*", "cloudstack": ".*", "target": ".*", "instance": ".*", "probe_timeout": "1",
    "__rate_interval": "1m", "__interval": "15s", "__range": "1h",
}


def load():
    with open(DASHBOARD, encoding="utf-8") as f:
        return json.load(f)


def panels(dashboard=None):
    """Every panel, rows and the panels inside collapsed rows included."""
    out = []
    for p in (dashboard or load())["panels"]:
        out.append(p)
        out.extend(p.get("panels", []))
    return out


def expand(expr, values=None):
    """expr with $var, ${var} and [[var]] replaced; KeyError names an unknown variable."""
    values = values or VARIABLE_VALUES

    def sub(m):
        name = m.group(1) or m.group(2) or m.group(3)
        return values[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]", sub, expr)


def queries(dashboard=None):
    """[(panel title, refId, expanded expr)] of every panel target."""
    out = []
    for p in panels(dashboard):
        for t in p.get("targets", []):
            out.append((p["title"], t["refId"], expand(t["expr"])))
    return out


def annotation_queries(dashboard=None):
    """[(annotation name, expanded expr)] of the dashboard's Prometheus annotations."""
    return [(a["name"], expand(a["expr"])) for a in (dashboard or load())["annotations"]["list"]
            if "expr" in a]


def variable_queries(dashboard=None):
    """[(variable name, label_values(...) query expanded)] of the query variables."""
    return [(v["name"], expand(v["query"]["query"])) for v in (dashboard or load())["templating"]["list"]
            if v["type"] == "query"]
