"""The built-in evaluator and notifier against real servers, once per driver: a real
database with CloudStack's schema, the simulator, the exporter binary and real
Alertmanagers, each started privately on free loopback ports and stopped by PID.

The database (one per driver and module) comes from conftest.py. Each test gets its
own simulator, exporter, Alertmanager and webhook receiver, so no
alert of an earlier test can be mistaken for one of this test. The Alertmanagers send
every notification to the webhook receiver (group_wait 0s, send_resolved), which is
therefore the complete record of what paged: a test asserting "nothing but
SourceDown" reads it, and AM's own /api/v2/alerts for what is active now.

The exporter runs with the contract's default timing (poll 2s, dead_after 5s,
stale_after 10s; nodes heartbeat every 1.5s) so the detection bound checked here is
the one users get: dead_after + poll_interval + 1s.
"""
import http.server
import json
import os
import signal
import socket
import threading
import time
import warnings

import pytest
import requests
import yaml

from lib import procs, prom_servers, sim
from lib.ports import free_port
from lib.prom_servers import wait_until

POLL_INTERVAL = 2.0
DEAD_AFTER = 5.0
STALE_AFTER = 10.0
DETECTION_BOUND = DEAD_AFTER + POLL_INTERVAL + 1.0
RESEND_INTERVAL = 3.0
SOURCE_DOWN_FOR = 10.0  # shorter than the default 1m so a 30 s outage shows it
TARGET = "integ"
UP_NOT_RUNNING = "CloudStackMgmtServerUpNotRunning"
SOURCE_DOWN = "CloudStackMshostSourceDown"
WATCHDOG = "MshostExporterWatchdog"

_msid_bases = iter(range(0x3_0000_0000_00, 0x4_0000_0000_00, 0x100))


class Webhook:
    """An HTTP server standing in for Alertmanager's receivers: records every
    notification (Alertmanager's webhook JSON) it gets. Thread-safe."""

    def __init__(self):
        self.notifications = []
        self._lock = threading.Lock()
        webhook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with webhook._lock:
                    webhook.notifications.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def alerts(self, **labels):
        """(status, labels) of every alert in every notification so far whose labels
        include `labels`."""
        with self._lock:
            return [(a["status"], a["labels"]) for n in self.notifications for a in n["alerts"]
                    if all(a["labels"].get(k) == v for k, v in labels.items())]

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


def alertmanager_config(webhook):
    # The watchdog (always firing) goes to a receiver of its own, as in
    # alerts/alertmanager.example.yml: the webhook records only what would page.
    return {
        "route": {"receiver": "hook", "group_by": ["alertname", "target", "msid"],
                  "group_wait": "0s", "group_interval": "1s", "repeat_interval": "1h",
                  "routes": [{"receiver": "deadmansswitch",
                              "matchers": ['alertname="%s"' % WATCHDOG]}]},
        "receivers": [{"name": "hook", "webhook_configs": [
            {"url": webhook.url, "send_resolved": True}]},
                      {"name": "deadmansswitch"}],
    }


def paging(am):
    """The alerts active in Alertmanager but the watchdog."""
    return [a for a in am.alerts() if a["labels"]["alertname"] != WATCHDOG]


def fetch_link(exporter, url):
    """GETs a link the exporter put into an alert. Its default --web.external-url is
    http://<hostname>:<port>; the test's exporter listens on 127.0.0.1, so the link
    is checked to be that and fetched there."""
    prefix = "http://%s:%d" % (socket.gethostname(), exporter.port)
    assert url.startswith(prefix + "/"), (url, prefix)
    return requests.get(exporter.url + url[len(prefix):], timeout=5)


def start_clustered_alertmanagers(workdir, webhook, count=2):
    """`count` Alertmanagers gossiping on loopback ports, each naming the others as
    peers, as docs/operations.md sets them up. peer-timeout is short so the one that
    would send second sees the first one's notification log entry within the test."""
    cluster_ports = [free_port() for _ in range(count)]
    servers = []
    for i in range(count):
        folder = os.path.join(workdir, "am%d" % i)
        os.makedirs(folder, exist_ok=True)
        config_path = os.path.join(folder, "alertmanager.yml")
        with open(config_path, "w", encoding="utf-8") as f:
            yaml.safe_dump(alertmanager_config(webhook), f)
        port = free_port()
        args = [prom_servers.ALERTMANAGER, "--config.file=" + config_path,
                "--storage.path=" + os.path.join(folder, "data"),
                "--web.listen-address=127.0.0.1:%d" % port,
                "--cluster.listen-address=127.0.0.1:%d" % cluster_ports[i],
                "--cluster.peer-timeout=2s", "--cluster.settle-timeout=3s",
                "--cluster.pushpull-interval=2s", "--log.level=warn"]
        args += ["--cluster.peer=127.0.0.1:%d" % p for j, p in enumerate(cluster_ports) if j != i]
        server = prom_servers.Alertmanager("alertmanager", args, folder, port)
        servers.append(server)
        if not server.wait_ready():
            for s in servers:
                s.stop()
            raise RuntimeError("clustered Alertmanager did not start:\n" + server.log_tail())
    wait_until(lambda: all(len(_am_status(s)["cluster"]["peers"]) == count for s in servers),
               20, "the Alertmanagers to see each other")
    return servers


def _am_status(am):
    return requests.get(am.url + "/api/v2/status", timeout=5).json()


def restart_alertmanager_on_same_port(am):
    """Starts Alertmanager again with the stopped one's arguments (same port)."""
    again = prom_servers.Alertmanager("alertmanager", am.proc.args, am.workdir, am.port)
    assert again.wait_ready(), again.log_tail()
    return again


def kill_hard(server):
    """SIGKILL by PID: a crash, not a clean stop."""
    os.kill(server.pid, signal.SIGKILL)
    server.proc.wait(timeout=10)


def exporter_config(db, alertmanager_urls, resend_interval=RESEND_INTERVAL):
    return {
        "poll_interval": "%gs" % POLL_INTERVAL,
        "targets": [{
            "name": TARGET,
            "database": db.config_yaml_database(),
            "heartbeat": {"dead_after": "%gs" % DEAD_AFTER, "stale_after": "%gs" % STALE_AFTER},
            "probe": {"kind": "tcp", "timeout": "1s"},
            "labels": {"cloudstack": "integ-eu"},
        }],
        "alerting": {
            "alertmanagers": list(alertmanager_urls),
            "resend_interval": "%gs" % resend_interval,
            "rules": {SOURCE_DOWN: {"for": "%gs" % SOURCE_DOWN_FOR}},
        },
    }


def metric(exporter, name, **labels):
    """The value of the one series of `name` with `labels` in a scrape, or None."""
    return procs.value(exporter.metrics(), name, **labels)


class Bed:
    """One test's servers. Stopped in reverse order of start."""

    def __init__(self, db, workdir):
        self.db = db
        self.workdir = workdir
        self._started = []

    def add(self, server):
        self._started.append(server)
        return server

    def stop(self):
        for server in reversed(self._started):
            try:
                server.stop()
            except Exception:  # every server gets its chance to stop
                pass


@pytest.fixture
def bed(db, tmp_path):
    """Empty tables, a webhook receiver, and a fresh 3-node simulator on msids no
    other test used. Tests add Alertmanagers and exporters themselves."""
    for table in ("mshost_peer", "mshost_status", "mshost"):  # children first
        db.execute("DELETE FROM " + table)
    b = Bed(db, str(tmp_path))
    try:
        b.webhook = b.add(Webhook())
        b.sim = b.add(sim.start_simulator(db, str(tmp_path / "sim"), nodes=3,
                                          extra_args=["--msid-base", str(next(_msid_bases))]))
        yield b
    finally:
        b.stop()


def start_single(b):
    """One Alertmanager and one exporter that pushes to it; returns once the exporter
    has judged every node ok."""
    b.am = b.add(prom_servers.start_alertmanager(os.path.join(b.workdir, "am"),
                                                 alertmanager_config(b.webhook)))
    b.exporter = b.add(procs.start_exporter(exporter_config(b.db, [b.am.url]),
                                            os.path.join(b.workdir, "exporter")))
    wait_all_ok(b.exporter, b.sim)


def wait_all_ok(exporter, simulator, timeout=20):
    msids = [simulator.msid(n) for n in simulator.nodes]
    wait_until(lambda: all(metric(exporter, "cloudstack_mshost_verdict", msid=m,
                                  verdict="ok") == 1 for m in msids),
               timeout, "every node ok")


def node_alerts(am, msid, alertname=UP_NOT_RUNNING):
    return am.alerts(alertname=alertname, msid=msid)


def test_kill_pages_within_the_bound_and_resolves_after_restart(bed):
    start_single(bed)
    msid = bed.sim.msid("ms-2")
    t0 = time.monotonic()
    bed.sim.act("kill", "ms-2")
    alerts = wait_until(lambda: node_alerts(bed.am, msid), DETECTION_BOUND + 5,
                        UP_NOT_RUNNING + " in Alertmanager", interval=0.05)
    latency = time.monotonic() - t0
    print("kill -> alert in Alertmanager: %.2fs (bound %.1fs)" % (latency, DETECTION_BOUND))
    assert latency <= DETECTION_BOUND

    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["labels"] == {"alertname": UP_NOT_RUNNING, "severity": "critical",
                               "target": TARGET, "msid": msid, "name": "ms-2",
                               "cloudstack": "integ-eu"}
    annotations = alert["annotations"]
    assert "ms-2" in annotations["summary"]
    assert "says Up" in annotations["description"]
    assert "probe" in annotations["description"]
    # The runbook link works, and shows this alert's runbook, as served by the
    # exporter that raised it; the source link is the exporter's status page.
    runbook = fetch_link(bed.exporter, annotations["runbook_url"])
    assert annotations["runbook_url"].endswith("/runbooks/" + UP_NOT_RUNNING)
    assert runbook.status_code == 200 and "<h1>%s</h1>" % UP_NOT_RUNNING in runbook.text
    status_page = fetch_link(bed.exporter, alert["generatorURL"])
    assert status_page.status_code == 200 and "text/html" in status_page.headers["Content-Type"]
    assert metric(bed.exporter, "cloudstack_mshost_alert_firing", alertname=UP_NOT_RUNNING,
                  msid=msid) == 1
    assert metric(bed.exporter, "mshost_exporter_notifications_total",
                  alertmanager=bed.am.url, result="success") >= 1

    bed.sim.act("restart", "ms-2")
    wait_until(lambda: not node_alerts(bed.am, msid), 3 * POLL_INTERVAL + 2,
               "the alert to resolve in Alertmanager")
    wait_until(lambda: ("resolved", alert["labels"]) in bed.webhook.alerts(msid=msid), 10,
               "the resolved notification")
    # Nothing else paged: the other nodes stayed ok and the cluster kept running.
    assert {a[1]["alertname"] for a in bed.webhook.alerts()} == {UP_NOT_RUNNING}


def test_watchdog_is_always_firing_with_working_links(bed):
    # The dead-man's switch: active in Alertmanager while the exporter runs, through a
    # database outage too, and gone (expired) after the exporter stops.
    start_single(bed)
    watchdog = wait_until(lambda: bed.am.alerts(alertname=WATCHDOG), 10, "the watchdog")
    assert watchdog[0]["labels"] == {"alertname": WATCHDOG, "severity": "none",
                                     "target": TARGET, "cloudstack": "integ-eu"}
    runbook = fetch_link(bed.exporter, watchdog[0]["annotations"]["runbook_url"])
    assert runbook.status_code == 200 and "<h1>%s</h1>" % WATCHDOG in runbook.text
    assert fetch_link(bed.exporter, watchdog[0]["generatorURL"]).status_code == 200
    bed.db.stop()
    try:
        time.sleep(2 * RESEND_INTERVAL)
        assert bed.am.alerts(alertname=WATCHDOG), "still firing while the database is away"
    finally:
        bed.db.start()
    bed.exporter.stop()
    wait_until(lambda: not bed.am.alerts(alertname=WATCHDOG), 4 * RESEND_INTERVAL + 10,
               "the watchdog to expire once the exporter is gone")
    # Nothing of it reached the receiver that pages.
    assert bed.webhook.alerts(alertname=WATCHDOG) == []


def test_clean_stop_start_and_restart_raise_nothing(bed):
    start_single(bed)
    bed.sim.act("stop", "ms-1")
    bed.sim.act("restart", "ms-3")
    # Long enough for a silent node to be called dead, and a stale one stale.
    time.sleep(STALE_AFTER + 2 * POLL_INTERVAL)
    bed.sim.act("start", "ms-1")
    time.sleep(DEAD_AFTER + 2 * POLL_INTERVAL)
    assert bed.webhook.alerts() == []
    assert paging(bed.am) == []
    assert metric(bed.exporter, "cloudstack_mshost_state", msid=bed.sim.msid("ms-1"),
                  state="Up") == 1


def test_database_outage_raises_only_source_down(bed):
    start_single(bed)
    seen = set()
    bed.db.stop()
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 30:
            active = {a["labels"]["alertname"] for a in paging(bed.am)}
            assert active <= {SOURCE_DOWN}, "during the outage: %s" % active
            seen |= active
            time.sleep(0.5)
    finally:
        bed.db.start()
    assert seen == {SOURCE_DOWN}, "SourceDown (for %gs) fires during a 30 s outage" % (
        SOURCE_DOWN_FOR)
    source_down = bed.am.alerts(alertname=SOURCE_DOWN)
    assert source_down and source_down[0]["labels"] == {
        "alertname": SOURCE_DOWN, "severity": "critical", "target": TARGET,
        "cloudstack": "integ-eu"}

    wait_until(lambda: not bed.am.alerts(alertname=SOURCE_DOWN), 30,
               "SourceDown to resolve once the database answers")
    # The nodes' heartbeats are as old as the outage until each writes its next one;
    # that must not page (stale, not running, "no running management server").
    time.sleep(STALE_AFTER + 2 * POLL_INTERVAL)
    assert paging(bed.am) == []
    assert {a[1]["alertname"] for a in bed.webhook.alerts()} == {SOURCE_DOWN}
    wait_all_ok(bed.exporter, bed.sim)


def test_alertmanager_down_then_back_gets_the_alert(bed):
    start_single(bed)
    msid = bed.sim.msid("ms-2")
    bed.am.stop()
    bed.sim.act("kill", "ms-2")
    # The exporter keeps polling and serving, and counts the failed deliveries.
    wait_until(lambda: metric(bed.exporter, "cloudstack_mshost_verdict", msid=msid,
                              verdict="up_not_running") == 1,
               DETECTION_BOUND + 2, "up_not_running while Alertmanager is down")
    wait_until(lambda: (metric(bed.exporter, "mshost_exporter_notifications_total",
                               alertmanager=bed.am.url, result="error") or 0) >= 1,
               15, "a counted delivery error")

    bed.am = bed.add(restart_alertmanager_on_same_port(bed.am))
    # Delivered at the next resend at the latest.
    alerts = wait_until(lambda: node_alerts(bed.am, msid), RESEND_INTERVAL + 5,
                        UP_NOT_RUNNING + " once Alertmanager is back")
    assert len(alerts) == 1
    assert metric(bed.exporter, "mshost_exporter_notifications_total",
                  alertmanager=bed.am.url, result="success") >= 1


def test_basic_auth_from_the_url(bed):
    """Credentials in the URL's userinfo reach an Alertmanager that requires them, and
    stay out of the metrics."""
    with warnings.catch_warnings():  # deprecated, but Debian 12's Python has it
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # libxcrypt's bcrypt, for Alertmanager's basic_auth_users
    password = "s3cr@t:pw"
    folder = os.path.join(bed.workdir, "am-auth")
    os.makedirs(folder)
    web_config = os.path.join(folder, "web.yml")
    with open(web_config, "w", encoding="utf-8") as f:
        yaml.safe_dump({"basic_auth_users": {
            "pager": crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))}}, f)
    config_path = os.path.join(folder, "alertmanager.yml")
    with open(config_path, "w", encoding="utf-8") as f:
        yaml.safe_dump(alertmanager_config(bed.webhook), f)
    port = free_port()
    am = bed.add(prom_servers.Alertmanager("alertmanager", [
        prom_servers.ALERTMANAGER, "--config.file=" + config_path,
        "--web.config.file=" + web_config, "--storage.path=" + os.path.join(folder, "data"),
        "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address=",
        "--log.level=warn"], folder, port))
    auth = ("pager", password)
    wait_until(lambda: requests.get(am.url + "/-/ready", auth=auth, timeout=1).ok, 30,
               "Alertmanager with basic auth")
    assert requests.get(am.url + "/api/v2/alerts", timeout=5).status_code == 401

    encoded = password.replace("@", "%40").replace(":", "%3A")
    url = "http://pager:%s@127.0.0.1:%d" % (encoded, port)
    exporter = bed.add(procs.start_exporter(exporter_config(bed.db, [url]),
                                            os.path.join(bed.workdir, "exporter")))
    wait_all_ok(exporter, bed.sim)
    msid = bed.sim.msid("ms-3")
    bed.sim.act("kill", "ms-3")
    wait_until(lambda: requests.get(am.url + "/api/v2/alerts", auth=auth, timeout=5,
                                    params={"filter": 'msid="%s"' % msid}).json(),
               DETECTION_BOUND + 2, "the alert behind basic auth")
    assert metric(exporter, "mshost_exporter_notifications_total", alertmanager=am.url,
                  result="success") >= 1
    exposed = requests.get("http://%s/metrics" % exporter.address, timeout=5).text
    assert password not in exposed and encoded not in exposed


def test_ha_one_exporter_and_one_alertmanager_lost(bed):
    am1, am2 = [bed.add(am) for am in
                start_clustered_alertmanagers(os.path.join(bed.workdir, "ams"), bed.webhook)]
    config = exporter_config(bed.db, [am1.url, am2.url], resend_interval=2)
    ex1 = bed.add(procs.start_exporter(config, os.path.join(bed.workdir, "ex1")))
    ex2 = bed.add(procs.start_exporter(config, os.path.join(bed.workdir, "ex2")))
    wait_all_ok(ex1, bed.sim)
    wait_all_ok(ex2, bed.sim)

    # Both replicas send; each Alertmanager holds one alert; one page goes out.
    first = bed.sim.msid("ms-1")
    bed.sim.act("kill", "ms-1")
    for am in (am1, am2):
        wait_until(lambda: node_alerts(am, first), DETECTION_BOUND + 2,
                   "the alert in " + am.url)
    time.sleep(4)  # more than peer-timeout: the second Alertmanager has decided
    for am in (am1, am2):
        assert len(node_alerts(am, first)) == 1
    firing = [a for a in bed.webhook.alerts(msid=first) if a[0] == "firing"]
    assert len(firing) == 1, bed.webhook.alerts(msid=first)

    # One exporter and one Alertmanager crash.
    kill_hard(ex1)
    kill_hard(am1)
    second = bed.sim.msid("ms-2")
    bed.sim.act("kill", "ms-2")
    alerts = wait_until(lambda: node_alerts(am2, second), DETECTION_BOUND + 2,
                        "the alert in the surviving Alertmanager")
    assert len(alerts) == 1
    assert alerts[0]["labels"]["name"] == "ms-2"
    # The surviving replica keeps the first alert alive past its endsAt (4 x 2 s).
    time.sleep(10)
    assert len(node_alerts(am2, first)) == 1
    assert len(node_alerts(am2, second)) == 1
    wait_until(lambda: [a for a in bed.webhook.alerts(msid=second) if a[0] == "firing"],
               10, "the page for ms-2")
    assert len([a for a in bed.webhook.alerts(msid=second) if a[0] == "firing"]) == 1
