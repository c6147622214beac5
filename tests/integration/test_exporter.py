"""The exporter binary against a real database, once per driver (conftest.py's `db`).

The `world` fixture seeds one node for every verdict the contract names, plus two
nodes with skewed clocks, all on 127.0.0.1: a "listening" node points at a
TcpListener, a dead one at a port nothing listens on. A keeper thread writes fresh
heartbeats the way CloudStack does (database UTC now, optionally shifted by a node's
clock error), and a watcher thread records every verdict /metrics shows from the
exporter's start, so "never up_not_running" covers the first polls too.

Settings are short to keep the suite fast: poll 500ms, dead_after 2s, stale_after 4s.
The database runs in +05:30, so reading last_update in the session zone would be off
by 19800 s. Tests that break the database (outage, freeze) and the `check` tests that
empty the tables come last in the file; pytest runs them in file order per driver.
"""
import datetime
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from lib import procs  # noqa: E402
from lib.procs import select, value  # noqa: E402
from lib.prom_servers import wait_until  # noqa: E402

TARGET = "integ"
EXPOSITION = "text/plain; version=0.0.4; charset=utf-8"
# Beyond a signed bigint and a double's exact range: it must come out digit for digit.
MSID_BASE = 2**64 - 1000
BAD_CONFIG = os.path.join(HERE, "..", "testdata", "app", "bad.yml")


def exporter_config(db, **database_overrides):
    database = dict({"connect_timeout": "1s", "query_timeout": "1s"}, **database_overrides)
    return {
        "poll_interval": "500ms",
        "targets": [{
            "name": TARGET,
            "database": db.config_yaml_database(**database),
            "heartbeat": {"stale_after": "4s", "dead_after": "2s"},
            "probe": {"timeout": "300ms"},
        }],
    }


def utc_ago(seconds):
    return datetime.datetime.utcnow().replace(microsecond=0) - datetime.timedelta(
        seconds=seconds)


class HeartbeatKeeper:
    """Writes last_update = database UTC now + offset for chosen nodes, each at its
    own interval, on a thread; errors (database down) are ignored until it is back."""

    def __init__(self, db):
        self.db = db
        self._nodes = {}  # msid -> [offset_seconds, every_seconds, next_due]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def keep(self, msid, offset_seconds=0.0, every=0.25):
        self._write(msid, offset_seconds)
        with self._lock:
            self._nodes[msid] = [offset_seconds, every, time.monotonic() + every]

    def _write(self, msid, offset_seconds):
        self.db.execute("UPDATE mshost SET last_update = %s WHERE msid = %%s"
                        % self.db.utc_now_sql(offset_seconds), (str(msid),))

    def _run(self):
        while not self._stop.wait(0.05):
            now = time.monotonic()
            with self._lock:
                due = [(msid, n[0]) for msid, n in self._nodes.items() if n[2] <= now]
                for msid, _ in due:
                    self._nodes[msid][2] = now + self._nodes[msid][1]
            for msid, offset in due:
                try:
                    self._write(msid, offset)
                except Exception:  # the database is down on purpose; retry next time
                    pass

    def stop(self):
        self._stop.set()
        self._thread.join(5)


class VerdictWatcher:
    """Scrapes /metrics every 0.2 s on a thread and records each node's verdicts."""

    def __init__(self, exporter):
        self.exporter = exporter
        self.seen = {}  # msid -> set of verdicts ever shown
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.2):
            try:
                samples = self.exporter.metrics()
            except Exception:  # the exporter restarting or stopping; not ours to judge
                continue
            with self._lock:
                for labels, v in select(samples, "cloudstack_mshost_verdict").items():
                    labels = dict(labels)
                    if v == 1:
                        self.seen.setdefault(labels["msid"], set()).add(labels["verdict"])

    def verdicts(self, msid):
        with self._lock:
            return set(self.seen.get(str(msid), set()))

    def stop(self):
        self._stop.set()
        self._thread.join(5)


class World:
    """Seeded nodes by role: name -> msid; and what runs them."""

    # name: (state, heartbeat, port, expected verdict). heartbeat: "fresh" (kept),
    # "old" (2 minutes ago), None (NULL), or a clock offset in seconds (kept).
    NODES = {
        "ok": ("Up", "fresh", "listen", "ok"),
        "not-running": ("Up", "old", "closed", "up_not_running"),
        "stale": ("Up", "old", "listen", "up_heartbeat_stale"),
        "unreachable": ("Up", "fresh", "closed", "up_unreachable"),
        "down-running": ("Down", "old", "listen", "down_but_running"),
        "down-dead": ("Down", "old", "closed", "ok"),
        "null-state": (None, "old", "closed", "up_not_running"),
        "null-heartbeat": ("Up", None, "closed", "up_not_running"),
        "behind": ("Up", -40.0, "listen", "ok"),
        "ahead": ("Up", 30.0, "listen", "ok"),
    }

    def __init__(self, db, workdir):
        self.db = db
        self.listener = procs.TcpListener()
        self.closed_port = procs.closed_port()
        self.keeper = HeartbeatKeeper(db)
        self.msids = {}
        for i, (name, (state, heartbeat, port, _)) in enumerate(self.NODES.items()):
            msid = MSID_BASE + i
            self.msids[name] = str(msid)
            db.insert_mshost(msid, name=name, state=state,
                             last_update=utc_ago(120) if heartbeat == "old" else None,
                             runid=1700000000000 + i,
                             service_port=self.listener.port if port == "listen"
                             else self.closed_port)
            if heartbeat == "fresh":
                self.keeper.keep(msid)
            elif isinstance(heartbeat, float):
                self.keeper.keep(msid, offset_seconds=heartbeat, every=1.0)
        self.exporter = procs.start_exporter(exporter_config(db), workdir)
        self.watcher = VerdictWatcher(self.exporter)

    def expected(self, name):
        return self.NODES[name][3]

    def verdict(self, samples, name):
        """The one verdict the state set marks 1 for node `name`."""
        marked = [dict(labels)["verdict"] for labels, v in
                  select(samples, "cloudstack_mshost_verdict", msid=self.msids[name]).items()
                  if v == 1]
        assert len(marked) == 1, "node %s: verdicts marked 1: %r" % (name, marked)
        return marked[0]

    def verdicts(self):
        samples = self.exporter.metrics()
        return {name: self.verdict(samples, name) for name in self.NODES}

    def close(self):
        self.watcher.stop()
        self.exporter.stop()
        self.keeper.stop()
        self.listener.close()


@pytest.fixture(scope="module")
def world(db, tmp_path_factory):
    if not db.running:
        db.start()
    db.execute("DELETE FROM mshost_peer")
    db.execute("DELETE FROM mshost")
    w = World(db, str(tmp_path_factory.mktemp("exporter-" + db.driver)))
    yield w
    w.close()


def wait_all_expected(world, timeout=15):
    def all_expected():
        got = world.verdicts()
        return got if all(got[n] == world.expected(n) for n in got) else None
    try:
        return wait_until(all_expected, timeout, "every node's expected verdict")
    except AssertionError as e:
        raise AssertionError("%s; last: %r\n%s" % (e, world.verdicts(),
                                                   world.exporter.log_tail()))


# --- a healthy run ------------------------------------------------------------------

def test_every_verdict_is_shown(world):
    wait_all_expected(world)
    samples = world.exporter.metrics()
    assert value(samples, "cloudstack_mshost_up") == 1
    assert value(samples, "cloudstack_mshost_state", msid=world.msids["null-state"],
                 state="<NULL>") == 1
    assert value(samples, "cloudstack_mshost_state", msid=world.msids["null-state"],
                 state="Up") == 0
    # NULL last_update: no heartbeat timestamp and no age, still judged.
    null_hb = world.msids["null-heartbeat"]
    assert not select(samples, "cloudstack_mshost_heartbeat_timestamp_seconds", msid=null_hb)
    assert not select(samples, "cloudstack_mshost_heartbeat_age_seconds", msid=null_hb)
    info = select(samples, "cloudstack_mshost_info", msid=world.msids["ok"])
    assert len(info) == 1 and dict(next(iter(info)))["name"] == "ok"


def test_heartbeat_age_is_read_as_utc(world):
    wait_all_expected(world)
    samples = world.exporter.metrics()
    ok = world.msids["ok"]
    age = value(samples, "cloudstack_mshost_heartbeat_age_seconds", msid=ok)
    assert -0.5 <= age <= 2.0, "raw age %s of a node heartbeating every 0.25 s" % age
    timestamp = value(samples, "cloudstack_mshost_heartbeat_timestamp_seconds", msid=ok)
    assert abs(timestamp - time.time()) < 3.0
    db_now = value(samples, "cloudstack_mshost_db_now_timestamp_seconds")
    assert abs(db_now - time.time()) < 2.0


def test_skewed_node_clocks_are_ok_and_never_up_not_running(world):
    wait_all_expected(world)
    time.sleep(2)  # a few more polls under the watcher
    samples = world.exporter.metrics()
    for name, offset in (("behind", 40.0), ("ahead", -30.0)):
        msid = world.msids[name]
        assert world.verdict(samples, name) == "ok"
        assert "up_not_running" not in world.watcher.verdicts(msid), name
        estimate = value(samples, "cloudstack_mshost_clock_offset_seconds", msid=msid)
        assert estimate is not None and abs(estimate - offset) < 2.0, (name, estimate)
        silence = value(samples, "cloudstack_mshost_heartbeat_silence_seconds", msid=msid)
        assert silence < 2.0, (name, silence)


def fetch(exporter, path, encoding):
    """(Content-Encoding, body bytes as sent) of GET path with that Accept-Encoding."""
    res = requests.get(exporter.url + path, headers={"Accept-Encoding": encoding},
                       stream=True, timeout=10)
    assert res.status_code == 200
    return res.headers.get("Content-Encoding"), res.raw.read(decode_content=False)


def gunzip_one_member(body):
    """The text of a gzip body that is exactly one gzip stream (some clients read
    only the first member)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    text = inflater.decompress(body) + inflater.flush()
    assert inflater.eof and inflater.unused_data == b"", "not one whole gzip stream"
    return text


def promtool_check(text, what):
    check = subprocess.run(["promtool", "check", "metrics"], input=text,
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, "%s:\n%s%s" % (what, check.stdout, check.stderr)


def test_promtool_accepts_metrics_plain_and_gzip(world):
    wait_all_expected(world)
    for path in ("/metrics", "/probe?target=" + TARGET):
        encoding, plain = fetch(world.exporter, path, "identity")
        assert encoding is None
        encoding, gzipped = fetch(world.exporter, path, "gzip")
        assert encoding == "gzip"
        text = gunzip_one_member(gzipped).decode()
        promtool_check(plain.decode(), path)
        promtool_check(text, path + " (gzip)")
        assert len(gzipped) * 4 < len(plain), (len(gzipped), len(plain))


def test_gzip_is_the_plain_text_compressed(world):
    """A poll may come between the two requests: the gzip answer must equal a plain
    answer fetched right before or right after it."""
    path = "/probe?target=" + TARGET
    for _ in range(20):
        before = fetch(world.exporter, path, "identity")[1]
        text = gunzip_one_member(fetch(world.exporter, path, "gzip")[1])
        after = fetch(world.exporter, path, "identity")[1]
        if text in (before, after):
            return
    raise AssertionError("no gzip answer equal to a plain one in 20 tries")


def test_process_metrics_are_plausible(world):
    pid = world.exporter.pid
    samples = world.exporter.metrics()
    with open("/proc/%d/status" % pid) as f:
        status = dict(line.split(":", 1) for line in f)
    rss = value(samples, "process_resident_memory_bytes")
    assert 1 << 20 < rss < 4 * int(status["VmRSS"].split()[0]) * 1024
    assert value(samples, "process_virtual_memory_bytes") >= rss
    threads = value(samples, "process_threads")
    assert abs(threads - int(status["Threads"])) <= 2
    assert 3 <= value(samples, "process_open_fds") <= len(os.listdir("/proc/%d/fd" % pid)) + 5
    assert value(samples, "process_max_fds") >= 1024
    started = value(samples, "process_start_time_seconds")
    assert time.time() - 600 < started <= time.time() + 1
    assert 0 < value(samples, "process_cpu_seconds_total") < 600


def test_http_routes(world):
    ex = world.exporter
    res = ex.get("/metrics")
    assert res.status_code == 200 and res.headers["Content-Type"] == EXPOSITION
    res = ex.get("/probe", params={"target": TARGET})
    assert res.status_code == 200 and res.headers["Content-Type"] == EXPOSITION
    assert "mshost_exporter_build_info" not in res.text
    assert ex.get("/probe").status_code == 400
    assert ex.get("/probe", params={"target": "nope"}).status_code == 400
    assert ex.get("/probe", params={"target": TARGET.upper()}).status_code == 400
    assert ex.get("/metrics/x").status_code == 404
    assert ex.get("/nothing").status_code == 404
    assert ex.post("/metrics").status_code == 405
    assert ex.get("/-/reload").status_code == 405
    assert ex.get("/-/healthy").status_code == 200
    assert ex.get("/-/ready").status_code == 200
    page = ex.get("/")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    status = ex.get("/api/v1/status")
    assert status.headers["Content-Type"] == "application/json"
    nodes = {n["name"]: n for n in status.json()["targets"][0]["nodes"]}
    assert set(nodes) == set(World.NODES)
    assert nodes["behind"]["msid"] == world.msids["behind"]
    assert nodes["null-heartbeat"]["last_update"] is None


def test_reload_with_bad_file_keeps_serving(world):
    ex = world.exporter
    good = exporter_config(world.db)
    reloads = "mshost_exporter_config_last_reload_successful"
    try:
        ex.write_config("targets:\n  - name: integ\n    database:\n      driver: oracle\n")
        ex.reload()  # SIGHUP
        wait_until(lambda: value(ex.metrics(), reloads) == 0, 10, "failed reload metric")
        assert "targets[0].database.driver" in ex.log()
        samples = ex.metrics()
        assert value(samples, "cloudstack_mshost_up") == 1
        assert world.verdict(samples, "ok") == "ok"

        ex.write_config(good)
        res = ex.post("/-/reload")
        assert res.status_code == 200, res.text
        assert value(ex.metrics(), reloads) == 1

        # A target added by a reload starts polling by itself.
        two = exporter_config(world.db)
        two["targets"].append(dict(two["targets"][0], name="extra"))
        ex.write_config(two)
        assert ex.post("/-/reload").status_code == 200
        wait_until(lambda: value(ex.probe("extra"), "cloudstack_mshost_up") == 1, 10,
                   "the added target polled")

        ex.write_config("poll_interval: 500ms\ntargets:\n  - name: integ\n    heartbeat:\n"
                        "      stale_after: 1s\n      dead_after: 3s\n")
        res = ex.post("/-/reload")
        assert res.status_code == 500
        assert ex.config_path + ":6:" in res.text and "dead_after" in res.text, res.text
        assert value(ex.metrics(), reloads) == 0
        assert ex.get("/probe", params={"target": TARGET}).status_code == 200
    finally:
        ex.write_config(good)
        ex.post("/-/reload")
    assert value(ex.metrics(), reloads) == 1
    wait_all_expected(world)  # the unchanged target kept its poller


def test_check_judges_after_observing(world):
    wait_all_expected(world)
    run = procs.run_exporter(["check", "--config.file=" + world.exporter.config_path,
                              "--observe=2s"])
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("CRITICAL target=integ "), run.stdout
    by_name = {line.split(" name=")[1].split()[0]: line for line in lines if " name=" in line}
    assert set(by_name) == set(World.NODES), run.stdout
    for name in World.NODES:
        assert "verdict=%s " % world.expected(name) in by_name[name], by_name[name]
    assert by_name["not-running"].startswith("CRITICAL ")
    assert by_name["stale"].startswith("WARNING ")
    assert by_name["behind"].startswith("OK ")  # judged on progress, not raw age
    assert "msid=%s " % world.msids["ok"] in by_name["ok"]

    unknown = procs.run_exporter(["check", "--config.file=" + world.exporter.config_path,
                                  "--target=nope"])
    assert unknown.returncode == 3, unknown.stdout


# --- a broken database --------------------------------------------------------------

def node_series(samples):
    return {key: v for key, v in samples.items() if "msid" in dict(key[1])}


def test_database_outage_freezes_nodes_and_recovers(world):
    ex, db = world.exporter, world.db
    wait_all_expected(world)
    db.stop()
    try:
        wait_until(lambda: value(ex.metrics(), "cloudstack_mshost_up") == 0, 15,
                   "cloudstack_mshost_up 0")
        first = ex.get("/metrics")
        assert first.status_code == 200
        time.sleep(1.5)  # three polls, all failing
        second = ex.metrics()
        frozen = node_series(procs.parse_exposition(first.text))
        assert frozen and node_series(second) == frozen
        assert world.verdict(second, "ok") == "ok"
        assert ex.get("/-/ready").status_code == 200
        assert ex.get("/probe", params={"target": TARGET}).status_code == 200
    finally:
        db.start()
    wait_until(lambda: value(ex.metrics(), "cloudstack_mshost_up") == 1, 30,
               "the exporter reconnecting by itself")
    wait_all_expected(world, timeout=20)


def test_sigterm_stops_within_2s_even_with_a_hung_database(world, tmp_path):
    ex = procs.start_exporter(exporter_config(world.db, query_timeout="10s"), str(tmp_path))
    try:
        world.db.freeze()  # polls now hang in the database call
        time.sleep(1.5)
        start = time.monotonic()
        ex.signal(signal.SIGTERM)
        ex.proc.wait(5)
        assert time.monotonic() - start < 2.0, ex.log_tail()
        assert ex.proc.returncode == 0
    finally:
        world.db.thaw()
        ex.stop()


# --- check on a table of our own (empties the tables: keep last) --------------------

def test_check_exit_codes(world, db, tmp_path):
    world.close()  # its keeper and exporter would see the rows go away
    db.execute("DELETE FROM mshost")
    config = procs.write_config(exporter_config(db), str(tmp_path / "check.yml"))
    listener = procs.TcpListener()
    keeper = HeartbeatKeeper(db)
    try:
        db.insert_mshost(MSID_BASE + 100, name="only", service_port=listener.port)
        keeper.keep(MSID_BASE + 100)
        ok = procs.run_exporter(["check", "--config.file=" + config, "--observe=1s"])
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert ok.stdout.startswith("OK target=integ name=only msid=%d state=Up verdict=ok "
                                    % (MSID_BASE + 100)), ok.stdout

        db.insert_mshost(MSID_BASE + 101, name="far", service_port=procs.closed_port())
        keeper.keep(MSID_BASE + 101)
        warning = procs.run_exporter(["check", "--config.file=" + config, "--observe=1s"])
        assert warning.returncode == 1, warning.stdout + warning.stderr
        assert warning.stdout.startswith("WARNING target=integ name=far "), warning.stdout

        db.stop()
        unknown = procs.run_exporter(["check", "--config.file=" + config, "--observe=1s"])
        assert unknown.returncode == 3, unknown.stdout + unknown.stderr
        assert unknown.stdout.startswith("UNKNOWN target=integ database unreachable"), \
            unknown.stdout
    finally:
        keeper.stop()
        listener.close()
        db.start()


# --- no database needed -------------------------------------------------------------

def test_bad_config_at_start_exits_2_naming_file_line_and_key(tmp_path):
    run = procs.run_exporter(["--config.file=" + BAD_CONFIG,
                              "--web.listen-address=127.0.0.1:0"], timeout=10)
    assert run.returncode == 2
    assert BAD_CONFIG + ":5:15: targets[0].database.driver" in run.stderr, run.stderr
    assert "targets[0].heartbeat.dead_after" in run.stderr
    assert "listening" not in run.stderr  # nothing started


def test_check_config_exit_codes(tmp_path):
    good = procs.write_config({"targets": [{"name": "a"}]}, str(tmp_path / "good.yml"))
    run = procs.run_exporter(["check-config", "--config.file=" + good])
    assert (run.returncode, run.stdout) == (0, "config OK\n"), run.stderr
    run = procs.run_exporter(["check-config", "--config.file=" + BAD_CONFIG])
    assert run.returncode == 2
    assert "bad.yml:5:15: targets[0].database.driver" in run.stderr
    run = procs.run_exporter(["check", "--config.file=" + BAD_CONFIG])
    assert run.returncode == 3 and run.stdout.startswith("UNKNOWN bad configuration: ")


def test_cannot_listen_exits_1(tmp_path):
    taken = procs.TcpListener()
    try:
        config = procs.write_config({"targets": [{"name": "a"}]}, str(tmp_path / "c.yml"))
        run = procs.run_exporter(["--config.file=" + config,
                                  "--web.listen-address=127.0.0.1:%d" % taken.port],
                                 timeout=10)
        assert run.returncode == 1, run.stderr
        assert str(taken.port) in run.stderr, run.stderr
    finally:
        taken.close()


def offline_config(workdir):
    """A target whose database refuses connections: enough to serve HTTP. Its
    password is any variable that is set: no connection gets far enough to use it."""
    return {
        "poll_interval": "1s",
        "targets": [{
            "name": TARGET,
            "database": {"driver": "mysql", "host": "127.0.0.1",
                         "port": procs.closed_port(), "user": "exporter",
                         "password_env": "HOME", "connect_timeout": "1s"},
            "probe": {"kind": "none"},
        }],
    }


def test_telemetry_path_and_disabled_exporter_metrics(tmp_path):
    ex = procs.start_exporter(offline_config(str(tmp_path)), str(tmp_path), args=[
        "--web.telemetry-path=/x/metrics", "--web.disable-exporter-metrics"])
    try:
        assert ex.get("/metrics").status_code == 404
        text = ex.scrape("/x/metrics")
        assert "cloudstack_mshost_up 0" in text
        assert "process_" not in text and "mshost_exporter_" not in text
        assert "process_" not in ex.scrape("/probe?target=" + TARGET)
    finally:
        ex.stop()
    ex = procs.start_exporter(offline_config(str(tmp_path)), str(tmp_path),
                              args=["--web.telemetry-path=/x/metrics"])
    try:
        text = ex.scrape("/x/metrics")
        assert "process_threads " in text and "mshost_exporter_build_info" in text
    finally:
        ex.stop()


def test_bad_telemetry_path_is_refused(tmp_path):
    config = procs.write_config(offline_config(str(tmp_path)), str(tmp_path / "c.yml"))
    for path, why in (("metrics", "want an absolute path"),
                      ("/probe", "that path is another endpoint's")):
        run = procs.run_exporter(["--config.file=" + config,
                                  "--web.telemetry-path=" + path])
        assert run.returncode == 2, run.stderr
        assert run.stderr == 'mshost_exporter: --web.telemetry-path "%s": %s\n' % (
            path, why if path == "/probe" else why + " like /metrics"), run.stderr


def test_several_listen_addresses(tmp_path):
    ports = procs.closed_ports(2, hold=False)  # the exporter listens on them
    ex = procs.start_exporter(offline_config(str(tmp_path)), str(tmp_path), args=[
        "--web.listen-address=127.0.0.1:%d" % ports[0],
        "--web.listen-address=127.0.0.2:%d" % ports[1]])
    try:
        for host, port in (("127.0.0.1", ports[0]), ("127.0.0.2", ports[1])):
            res = requests.get("http://%s:%d/-/healthy" % (host, port), timeout=10)
            assert res.status_code == 200, (host, port)
        # Each address is its own socket: the first host does not answer on the
        # second's port.
        with pytest.raises(requests.ConnectionError):
            requests.get("http://127.0.0.1:%d/-/healthy" % ports[1], timeout=10)
    finally:
        ex.stop()


def test_ipv6_listen_address_is_refused_clearly(tmp_path):
    config = procs.write_config(offline_config(str(tmp_path)), str(tmp_path / "c.yml"))
    run = procs.run_exporter(["--config.file=" + config, "--web.listen-address=[::]:9887"])
    assert run.returncode == 1, run.stderr
    assert ('mshost_exporter: invalid listen address "[::]:9887": this CivetWeb is '
            "built without IPv6") in run.stderr, run.stderr


def start_socket_activated(tmp_path, listener, extra_env=None):
    """Starts the exporter as systemd would: the listening socket as descriptor 3,
    LISTEN_FDS=1 and LISTEN_PID set to the exporter's own PID (sh's $$, kept by
    exec)."""
    config = procs.write_config(offline_config(str(tmp_path)), str(tmp_path / "c.yml"))
    fd = listener.fileno()
    env = dict(os.environ, **(extra_env or {}))

    def as_descriptor_3():  # runs before the child closes all but pass_fds
        if fd != 3:
            os.dup2(fd, 3)
            os.close(fd)
    return subprocess.Popen(
        ["sh", "-c", 'LISTEN_PID=${PID_OVERRIDE:-$$} LISTEN_FDS=1 exec "$0" "$@"',
         procs.exporter_binary(), "--config.file=" + config, "--web.systemd-socket"],
        pass_fds=(fd, 3), preexec_fn=as_descriptor_3, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        text=True)


def test_systemd_socket_activation(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    proc = start_socket_activated(tmp_path, listener)
    listener.close()  # the exporter holds the only copy now
    try:
        # The first request may come before the exporter serves: it waits in the
        # socket's backlog, as it would under systemd.
        res = requests.get("http://127.0.0.1:%d/-/healthy" % port, timeout=10)
        assert res.status_code == 200
        assert "cloudstack_mshost_up 0" in requests.get(
            "http://127.0.0.1:%d/metrics" % port, timeout=10).text
        started = time.monotonic()
        proc.terminate()
        out = proc.communicate(timeout=10)[0]
        assert time.monotonic() - started < 3.0
        assert re.search(r'msg="listening" address="systemd socket 3" port=%d ' % port,
                         out), out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_systemd_socket_errors_are_clear(tmp_path):
    config = procs.write_config(offline_config(str(tmp_path)), str(tmp_path / "c.yml"))
    run = procs.run_exporter(["--config.file=" + config, "--web.systemd-socket"])
    assert run.returncode == 1
    assert "--web.systemd-socket: no sockets passed (LISTEN_PID and LISTEN_FDS are " \
        "not set" in run.stderr, run.stderr
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    proc = start_socket_activated(tmp_path, listener, {"PID_OVERRIDE": "1"})
    out = proc.communicate(timeout=30)[0]
    listener.close()
    assert proc.returncode == 1
    assert "--web.systemd-socket: LISTEN_PID is 1, not this process" in out, out
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    proc = start_socket_activated(tmp_path, udp)
    out = proc.communicate(timeout=30)[0]
    udp.close()
    assert proc.returncode == 1
    assert "descriptor 3 is not a listening IPv4 TCP socket" in out, out
