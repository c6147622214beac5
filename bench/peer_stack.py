"""The stack a user would build instead of mshost_exporter, from Debian's packages:

- prometheus-sql-exporter (0.4.5) runs one query on cloud.mshost every 5 s: per
  current row msid, name, state and TIMESTAMPDIFF(SECOND, last_update,
  UTC_TIMESTAMP()), the heartbeat age in whole seconds;
- prometheus-blackbox-exporter (0.23) probes each node's cluster port over TCP;
- Prometheus (2.42) scrapes both every 5 s and evaluates, every 5 s,
      sql_mshost_heartbeat_age_seconds{state="Up"} > 10
        and on(msid) probe_success == 0          (for: 0s)
  the same two signals mshost_exporter combines (no heartbeat, nothing listening),
  and sends the alert to Alertmanager.

reset(round) restarts the SQL exporter and reloads Prometheus with a rule group and
a target label named after the round, which gives the query loop, the scrapes and the
rule evaluation new phases (Prometheus derives scrape and evaluation offsets from
hashes of the target labels and the group name). So each kill meets a new alignment
of the pipeline, and no single lucky or unlucky one decides the figures.

Everything listens on free loopback ports and is stopped by PID. Not thread-safe: one
thread drives a PeerStack.
"""
import os

import requests
import yaml

import benchlib
from lib import procs, prom_servers
from lib.ports import free_port

SQL_EXPORTER = "/usr/bin/prometheus-sql-exporter"
BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
ALERT = "PeerMgmtServerDown"
THRESHOLD_SECONDS = 10
INTERVAL = "5s"
USER = "peer"
PASSWORD = "peer-pw"

QUERY = """SELECT CAST(msid AS CHAR) AS msid, COALESCE(name, '') AS name,
       COALESCE(state, '<NULL>') AS state,
       CAST(TIMESTAMPDIFF(SECOND, last_update, UTC_TIMESTAMP()) AS DOUBLE) AS age
FROM mshost WHERE removed IS NULL"""

RULE_EXPR = ('sql_mshost_heartbeat_age_seconds{state="Up"} > %d '
             'and on(msid) probe_success == 0' % THRESHOLD_SECONDS)


def create_user(db):
    """The SQL exporter's own SELECT-only user, so its queries can be counted apart."""
    db.execute("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'" % (USER, PASSWORD))
    db.execute("GRANT SELECT ON cloud.mshost TO '%s'@'%%'" % USER)


def sql_exporter_config(db):
    return {"jobs": [{
        "name": "mshost",
        "interval": INTERVAL,
        "connections": ["mysql://%s:%s@tcp(%s:%d)/cloud" % (USER, PASSWORD, db.host,
                                                           db.port)],
        "queries": [{
            "name": "mshost_heartbeat_age_seconds",
            "help": "Seconds since the row's last heartbeat (whole seconds).",
            "labels": ["msid", "name", "state"],
            "values": ["age"],
            "query": QUERY,
        }],
    }]}


def scrape_configs(sql_address, blackbox_address, nodes, round_label=None):
    """Prometheus scrape configs for the SQL exporter and one blackbox probe per node
    ({"msid": ..., "port": ...}), every series labelled round=`round_label` if set."""
    extra = {"round": str(round_label)} if round_label is not None else {}
    return [
        {"job_name": "sql", "static_configs": [{"targets": [sql_address],
                                                 "labels": dict(extra)}]},
        {"job_name": "blackbox", "metrics_path": "/probe",
         "params": {"module": ["tcp_connect"]},
         "static_configs": [{"targets": ["127.0.0.1:%d" % node["port"]],
                             "labels": dict(extra, msid=node["msid"])} for node in nodes],
         "relabel_configs": [
             {"source_labels": ["__address__"], "target_label": "__param_target"},
             {"source_labels": ["__param_target"], "target_label": "instance"},
             {"target_label": "__address__", "replacement": blackbox_address},
         ]},
    ]


class PeerStack:
    """The peer stack watching `db`'s cloud.mshost, for `nodes` (the simulator's
    {"msid", "port"} per node), alerting to `alertmanager_url`."""

    def __init__(self, db, nodes, alertmanager_url, workdir):
        self.db = db
        self.nodes = nodes
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.sql_config = os.path.join(self.workdir, "sql_exporter.yml")
        with open(self.sql_config, "w") as f:
            yaml.safe_dump(sql_exporter_config(db), f, sort_keys=False)
        blackbox_config = os.path.join(self.workdir, "blackbox.yml")
        with open(blackbox_config, "w") as f:
            yaml.safe_dump({"modules": {"tcp_connect": {"prober": "tcp",
                                                        "timeout": "1s"}}}, f)
        self.rules_path = os.path.join(self.workdir, "peer.rules.yml")
        self.round = 0
        self._write_rules()
        self.sql = None
        self.sql_port = free_port()
        self._start_sql_exporter()
        self.blackbox_port = free_port()
        self.blackbox = procs.Process(
            "blackbox_exporter",
            [BLACKBOX, "--config.file=" + blackbox_config,
             "--web.listen-address=127.0.0.1:%d" % self.blackbox_port, "--log.level=warn"],
            self.workdir)
        _wait_started(self.blackbox, lambda: requests.get(self.blackbox_url + "/metrics",
                                                          timeout=1).ok,
                      "the blackbox exporter to start")
        self.prometheus = prom_servers.start_prometheus(
            os.path.join(self.workdir, "prometheus"), [], scrape_interval=INTERVAL,
            rule_files=[self.rules_path], alertmanager_url=alertmanager_url,
            extra_config={"scrape_configs": self._scrape_configs()})

    @property
    def sql_url(self):
        return "http://127.0.0.1:%d" % self.sql_port

    @property
    def blackbox_url(self):
        return "http://127.0.0.1:%d" % self.blackbox_port

    def _start_sql_exporter(self):
        self.sql = procs.Process(
            "sql_exporter", [SQL_EXPORTER, "-config.file=" + self.sql_config,
                             "-web.listen-address=127.0.0.1:%d" % self.sql_port],
            self.workdir, env=dict(os.environ, LOGLEVEL="warn"))
        _wait_started(self.sql, lambda: "sql_mshost_heartbeat_age_seconds" in requests.get(
            self.sql_url + "/metrics", timeout=1).text,
                      "prometheus-sql-exporter to export the query")

    def _scrape_configs(self):
        return scrape_configs("127.0.0.1:%d" % self.sql_port,
                              "127.0.0.1:%d" % self.blackbox_port, self.nodes, self.round)

    def _write_rules(self):
        rules = {"groups": [{"name": "peer-round-%d" % self.round, "interval": INTERVAL,
                             "rules": [{"alert": ALERT, "expr": RULE_EXPR, "for": "0s",
                                        "labels": {"severity": "critical"}}]}]}
        with open(self.rules_path, "w") as f:
            yaml.safe_dump(rules, f, sort_keys=False)

    def reset(self, round_label, msid):
        """New phases for the next kill: restart the SQL exporter, reload Prometheus
        with rule group and target labels of this round. Returns once Prometheus
        has this round's heartbeat age and probe of node `msid`, both healthy."""
        self.round = round_label
        self.sql.stop()
        self._start_sql_exporter()
        self._write_rules()
        with open(self.prometheus.config_path) as f:
            config = yaml.safe_load(f)
        config["scrape_configs"] = self._scrape_configs()
        with open(self.prometheus.config_path, "w") as f:
            yaml.safe_dump(config, f)
        requests.post(self.prometheus.url + "/-/reload", timeout=10).raise_for_status()
        healthy = ('sql_mshost_heartbeat_age_seconds{round="%s",msid="%s"} <= %d and '
                   'on(msid) probe_success{round="%s"} == 1'
                   % (self.round, msid, THRESHOLD_SECONDS, self.round))
        prom_servers.wait_until(lambda: self.prometheus.query(healthy), 60,
                                "peer stack round %s to see node %s healthy"
                                % (self.round, msid), interval=0.25)

    def alert_labels(self, msid):
        """The Alertmanager filter for this round's alert about node `msid`."""
        return {"alertname": ALERT, "msid": msid, "round": str(self.round)}

    def peak_rss_kib(self):
        """The SQL exporter's and the blackbox exporter's peak RSS, added up."""
        return benchlib.peak_rss_kib(self.sql.pid) + benchlib.peak_rss_kib(self.blackbox.pid)

    def stop(self):
        for part in (self.prometheus, self.sql, self.blackbox):
            if part is not None:
                part.stop()


def _wait_started(process, condition, what):
    """Waits up to 30 s for condition(); fails with the process's log tail."""
    try:
        prom_servers.wait_until(condition, 30, what, interval=0.05)
    except AssertionError as e:
        raise RuntimeError("%s\n%s" % (e, process.log_tail()))
