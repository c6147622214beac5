"""The alerts as the exporter's contract names them (docs/alerting.md, "The rules", and
docs/verdicts.md, "Order of decision", for the verdicts' alerts) and
as alerts/cloudstack-mshost.rules.yml defines them, as plain dicts, for tests that
compare alert lists.

    contract_alerts()   -> {"CloudStackMgmtServerUpNotRunning": {"severity": "critical",
                                                                 "for_seconds": 0.0}, ...}
    rule_alerts()       -> the same shape (plus "expr", "labels", "annotations") from the rules
    PROMETHEUS_ONLY     -> alerts only Prometheus can raise (the exporter cannot see itself)
    contract_metrics()  -> the contract's metric names the exporter exports
    addition_metrics()  -> the metric names it exports beyond the contract

The built-in evaluator's list (the "alerting" engineer's test) should equal
contract_alerts() in names, severities and for_seconds; so must
rule_alerts() minus PROMETHEUS_ONLY (tests/promside/test_rules.py checks that). The
two metric sets together must equal what a live exporter exposes
(tests/promside/test_queries.py checks that).
The contract's lists are the copies below (_CONTRACT_COPY, _CONTRACT_METRICS_COPY),
which docs/alerting.md, docs/verdicts.md and docs/http.md publish: the repository stands on its own, so
nothing outside it is read.
"""
import os
import re

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES_FILE = os.path.join(REPO, "alerts", "cloudstack-mshost.rules.yml")
# The rules' runbook_url (mixin/config.libsonnet, runbookURLPattern) with the alert name
# for %s: the runbooks a scraped exporter serves at its --web.external-url.
RUNBOOK_URL_PATTERN = ('{{ with query `mshost_exporter_external_url_info{job=~"cloudstack-mshost.*"}` }}'
                       '{{ . | first | label "url" }}{{ end }}/runbooks/%s')

# Alerts only Prometheus can raise: about the exporter itself, which cannot report its
# own absence, a failed reload or an unreachable Alertmanager through itself.
PROMETHEUS_ONLY = {
    "CloudStackMshostExporterDown": {"severity": "critical", "for_seconds": 60.0},
    "MshostExporterConfigReloadFailed": {"severity": "warning", "for_seconds": 300.0},
    "MshostExporterAlertmanagerUnreachable": {"severity": "warning", "for_seconds": 300.0},
    "MshostExporterNotificationsDropped": {"severity": "warning", "for_seconds": 0.0},
    "MshostExporterLoopbackProbe": {"severity": "warning", "for_seconds": 900.0},
    "MshostExporterRowsSkipped": {"severity": "warning", "for_seconds": 900.0},
}

# Alerts only the built-in evaluator raises: the dead-man's switch, always firing, so an
# external watchdog notices when the exporter's alerts stop arriving.
BUILTIN_ONLY = {"MshostExporterWatchdog": {"severity": "none", "for_seconds": 0.0}}

# The contract's alerts with their default severity and `for` (docs/alerting.md, "The
# rules").
_CONTRACT_COPY = {
    "CloudStackMgmtServerUpNotRunning": {"severity": "critical", "for_seconds": 0.0},
    "CloudStackMgmtServerHeartbeatStale": {"severity": "warning", "for_seconds": 60.0},
    "CloudStackMgmtServerUnreachable": {"severity": "warning", "for_seconds": 60.0},
    "CloudStackMgmtServerDownButRunning": {"severity": "warning", "for_seconds": 60.0},
    "CloudStackMgmtServerStopUnfinished": {"severity": "warning", "for_seconds": 60.0},
    "CloudStackNoRunningMgmtServer": {"severity": "critical", "for_seconds": 0.0},
    "CloudStackMshostSourceDown": {"severity": "critical", "for_seconds": 60.0},
    "CloudStackMgmtServerFlapping": {"severity": "warning", "for_seconds": 0.0},
}

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text):
    """Seconds of a Prometheus duration ("0s", "1m", "1m30s", "500ms"); None for None."""
    if text is None:
        return None
    text = str(text).strip()
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError("not a duration: %r" % text)
    return sum(float(n) * _UNITS[u] for n, u in parts)


def contract_alerts():
    return {k: dict(v) for k, v in _CONTRACT_COPY.items()}


def rule_groups(path=RULES_FILE):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)["groups"]


def rule_alerts(path=RULES_FILE):
    """{alertname: {"severity", "for_seconds", "expr", "labels", "annotations"}} of the
    alerting rules in `path`. Raises ValueError when an alert name appears twice."""
    alerts = {}
    for group in rule_groups(path):
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            name = rule["alert"]
            if name in alerts:
                raise ValueError("alert %s defined twice in %s" % (name, path))
            alerts[name] = {
                "severity": rule.get("labels", {}).get("severity"),
                "for_seconds": parse_duration(rule.get("for", "0s")),
                "expr": rule["expr"],
                "labels": rule.get("labels", {}),
                "annotations": rule.get("annotations", {}),
            }
    return alerts


def recording_rules(path=RULES_FILE):
    """{record name: expr} of the recording rules in `path`."""
    return {r["record"]: r["expr"] for g in rule_groups(path) for r in g["rules"] if "record" in r}


# The contract's metric names that the exporter exports (docs/http.md, "Metrics",
# without "Additions to the contract"). test_queries.py compares them with what a live
# exporter exposes, so a name goes here when the exporter exports it, not before.
_CONTRACT_METRICS_COPY = {
    "cloudstack_mshost_up", "cloudstack_mshost_poll_duration_seconds",
    "cloudstack_mshost_last_poll_success_timestamp_seconds",
    "cloudstack_mshost_db_now_timestamp_seconds", "cloudstack_mshost_info",
    "cloudstack_mshost_state", "cloudstack_mshost_heartbeat_timestamp_seconds",
    "cloudstack_mshost_heartbeat_age_seconds", "cloudstack_mshost_clock_offset_seconds",
    "cloudstack_mshost_heartbeat_silence_seconds", "cloudstack_mshost_probe_success",
    "cloudstack_mshost_probe_duration_seconds", "cloudstack_mshost_verdict",
    "cloudstack_mshost_peer_alerts", "cloudstack_mshost_restarts_total",
    "cloudstack_mshost_peer_state", "cloudstack_mshost_alert_firing",
    "cloudstack_mshost_running_nodes", "cloudstack_mshost_heartbeat_interval_seconds",
    "cloudstack_mshost_stale_after_seconds", "cloudstack_mshost_dead_after_seconds",
    "cloudstack_mshost_jvm_start_timestamp_seconds",
    "cloudstack_mshost_jvm_stop_timestamp_seconds",
    "cloudstack_mshost_system_boot_timestamp_seconds",
    "cloudstack_mshost_agents", "cloudstack_mshost_jobs_in_progress",
    "cloudstack_mshost_blast_radius_up",
    "mshost_exporter_build_info", "mshost_exporter_config_last_reload_successful",
    "mshost_exporter_config_last_reload_success_timestamp_seconds",
    "mshost_exporter_notifications_total", "mshost_exporter_notifications_dropped_total",
}


# The exporter's metrics beyond the contract (docs/http.md, "Additions to the
# contract").
_ADDITIONS_METRICS = {
    "cloudstack_mshost_probe_target_info", "cloudstack_mshost_polls_total",
    "cloudstack_mshost_poll_failures_total", "cloudstack_mshost_rows_skipped",
    "cloudstack_mshost_agents_unattached", "mshost_exporter_http_requests_total",
    "mshost_exporter_external_url_info",
}


def contract_metrics():
    return set(_CONTRACT_METRICS_COPY)


def addition_metrics():
    return set(_ADDITIONS_METRICS)
