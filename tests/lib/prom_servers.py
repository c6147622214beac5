"""Real Prometheus and Alertmanager for tests: Debian's /usr/bin/prometheus and
/usr/bin/prometheus-alertmanager, each in its own folder on a free loopback port,
stopped by PID.

    am = start_alertmanager(workdir)
    prom = start_prometheus(workdir, ["127.0.0.1:9887"], alertmanager_url=am.url,
                            rule_files=["alerts/cloudstack-mshost.rules.yml"])
    wait_until(lambda: prom.value('cloudstack_mshost_up') == 1, 20, "exporter scraped")
    am.alerts(alertname="CloudStackMgmtServerUpNotRunning")
    prom.stop(); am.stop()

Alertmanager runs without clustering (no port 9094) and with API v2 only, as the
exporter speaks v2. The objects are not thread-safe; each belongs to one fixture.
"""
import os
import time

import requests
import yaml

from lib.ports import free_port
from lib.procs import Process

PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
START_TIMEOUT = 30.0


def wait_until(condition, timeout, message="condition", interval=0.2):
    """Calls condition() until it returns something truthy and returns that; raises
    AssertionError naming `message` (and the last exception, if any) after timeout
    seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            result = condition()
            if result:
                return result
        except (requests.RequestException, ValueError, KeyError) as e:
            last_error = e
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s%s" % (
                timeout, message, " (last error: %s)" % last_error if last_error else ""))
        time.sleep(interval)


class _Server(Process):
    """A Prometheus or Alertmanager on `port` of 127.0.0.1."""

    def __init__(self, name, args, workdir, port):
        super().__init__(name, args, workdir)
        self.port = port
        self.url = "http://127.0.0.1:%d" % port

    def wait_ready(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if requests.get(self.url + "/-/ready", timeout=1).status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.1)
        return False


def _start(cls, name, make_args, workdir, attempts=3):
    """Starts a server on a fresh free port; retries when another process took the
    port between free_port() and the bind."""
    os.makedirs(workdir, exist_ok=True)
    for attempt in range(attempts):
        port = free_port()
        server = cls(name, make_args(port), workdir, port)
        if server.wait_ready():
            return server
        server.stop()
        if attempt == attempts - 1 or "address already in use" not in server.log_tail():
            raise RuntimeError("%s did not become ready; log %s:\n%s"
                               % (name, server.log_path, server.log_tail()))
    raise AssertionError("unreachable")


class Prometheus(_Server):
    def query(self, expr, at=None):
        """An instant query: the `result` list of /api/v1/query (vector entries have
        "metric" and "value": [time, "text"])."""
        params = {"query": expr}
        if at is not None:
            params["time"] = at
        r = requests.get(self.url + "/api/v1/query", params=params, timeout=5)
        r.raise_for_status()
        body = r.json()
        if body.get("status") != "success":
            raise ValueError("query %r failed: %s" % (expr, body))
        return body["data"]["result"]

    def values(self, expr):
        """{frozenset(labels.items()): float} for an instant vector query."""
        return {frozenset(s["metric"].items()): float(s["value"][1]) for s in self.query(expr)}

    def value(self, expr):
        """The single value of a query returning one sample, None for no sample;
        ValueError when it returns several."""
        result = self.query(expr)
        if not result:
            return None
        if len(result) > 1:
            raise ValueError("query %r returned %d series" % (expr, len(result)))
        return float(result[0]["value"][1])

    def targets_up(self):
        """The active scrape targets whose last scrape succeeded."""
        r = requests.get(self.url + "/api/v1/targets", timeout=5)
        r.raise_for_status()
        return [t for t in r.json()["data"]["activeTargets"] if t.get("health") == "up"]

    def alerts(self):
        """Prometheus's own alerts (rule evaluation): /api/v1/alerts."""
        r = requests.get(self.url + "/api/v1/alerts", timeout=5)
        r.raise_for_status()
        return r.json()["data"]["alerts"]


class Alertmanager(_Server):
    def alerts(self, active_only=True, **labels):
        """Alerts from /api/v2/alerts whose labels include `labels` (e.g.
        alertname="CloudStackMgmtServerUpNotRunning", msid="...")."""
        params = {"active": "true"} if active_only else {}
        params["filter"] = ['%s="%s"' % (k, v) for k, v in labels.items()]
        r = requests.get(self.url + "/api/v2/alerts", params=params, timeout=5)
        r.raise_for_status()
        return r.json()

    def post_alerts(self, alerts):
        r = requests.post(self.url + "/api/v2/alerts", json=alerts, timeout=5)
        r.raise_for_status()


def start_prometheus(workdir, scrape_targets, scrape_interval="1s", rule_files=(),
                     alertmanager_url=None, job="mshost", extra_config=None,
                     metrics_path="/metrics"):
    """Starts Prometheus scraping `scrape_targets` ("host:port") every scrape_interval,
    evaluating rule_files at the same interval and, when alertmanager_url is given,
    sending alerts there. Returns a ready Prometheus."""
    workdir = os.path.abspath(workdir)
    config = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval,
                   "scrape_timeout": scrape_interval},
        "scrape_configs": [{"job_name": job, "metrics_path": metrics_path,
                            "static_configs": [{"targets": list(scrape_targets)}]}],
    }
    if rule_files:
        config["rule_files"] = [os.path.abspath(f) for f in rule_files]
    if alertmanager_url:
        host = alertmanager_url.split("://", 1)[-1].rstrip("/")
        config["alerting"] = {"alertmanagers": [{"api_version": "v2",
                                                 "static_configs": [{"targets": [host]}]}]}
    if extra_config:
        config.update(extra_config)
    os.makedirs(workdir, exist_ok=True)
    config_path = os.path.join(workdir, "prometheus.yml")
    with open(config_path, "w", encoding="utf-8") as f:
        yaml.safe_dump(config, f)

    def args(port):
        return [PROMETHEUS, "--config.file=" + config_path,
                "--storage.tsdb.path=" + os.path.join(workdir, "prometheus-data"),
                "--web.listen-address=127.0.0.1:%d" % port,
                "--web.enable-lifecycle", "--log.level=warn"]

    server = _start(Prometheus, "prometheus", args, workdir)
    server.config_path = config_path
    return server


DEFAULT_AM_CONFIG = {
    "route": {"receiver": "null", "group_wait": "0s", "group_interval": "1s",
              "repeat_interval": "1h"},
    "receivers": [{"name": "null"}],
}


def start_alertmanager(workdir, config=None):
    """Starts Alertmanager with `config` (a dict; default: one receiver that drops
    everything, so tests read alerts from the API). Returns a ready Alertmanager."""
    workdir = os.path.abspath(workdir)
    os.makedirs(workdir, exist_ok=True)
    config_path = os.path.join(workdir, "alertmanager.yml")
    with open(config_path, "w", encoding="utf-8") as f:
        yaml.safe_dump(config or DEFAULT_AM_CONFIG, f)

    def args(port):
        return [ALERTMANAGER, "--config.file=" + config_path,
                "--storage.path=" + os.path.join(workdir, "alertmanager-data"),
                "--web.listen-address=127.0.0.1:%d" % port,
                "--cluster.listen-address=", "--log.level=warn"]

    server = _start(Alertmanager, "alertmanager", args, workdir)
    server.config_path = config_path
    return server
