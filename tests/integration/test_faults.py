"""Faults (issue 8): the exporter binary against real servers that misbehave.

Each fault must give a clear log line once (not once per poll), a metric that shows
it, and recovery without a restart. The tests count log lines over at least
MIN_POLLS polls of the fault: exactly one line when the problem starts, one when it
ends. What test_source.py, test_exporter.py and test_alerting.py cover already
(outage metrics, frozen nodes, SIGTERM with a frozen server, reload, Alertmanager
down and back) is not repeated here.

Database tests run once per driver (conftest.py's `db`); the probe and Alertmanager
tests do not depend on the driver and run once. Polls are 300 ms apart and every
wait has a deadline, with bounds loose enough for an AddressSanitizer build on a
busy machine.
"""
import collections
import http.server
import json
import os
import re
import resource
import signal
import threading
import time

import pytest

from lib import procs
from lib.procs import select, value
from lib.prom_servers import wait_until

POLL_INTERVAL = 0.3
MIN_POLLS = 5  # polls a fault lasts before it is lifted
RECOVERY_TIMEOUT = 30  # the reconnect backoff reaches a few seconds during a fault
UNREACHABLE = "database unreachable"
REACHABLE = "database reachable again"


# --- the exporter's log (logfmt) ------------------------------------------------------

_PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_.]*)=("(?:[^"\\]|\\.)*"|\S*)')


def log_events(text):
    """Each logfmt line of `text` as a dict of its fields (msg, level, target, ...)."""
    events = []
    for line in text.splitlines():
        fields = {}
        for key, raw in _PAIR.findall(line):
            fields[key] = json.loads(raw) if raw.startswith('"') else raw
        if "msg" in fields:
            events.append(fields)
    return events


class LogMark:
    """The exporter's log from a point on: events(msg, **fields) lists the lines with
    that message and those fields logged since the mark was set."""

    def __init__(self, exporter):
        self.exporter = exporter
        self.offset = len(exporter.log())

    def events(self, msg, **fields):
        return [e for e in log_events(self.exporter.log()[self.offset:])
                if e["msg"] == msg and all(e.get(k) == str(v) for k, v in fields.items())]


# --- configuration and metrics ---------------------------------------------------------

def db_target(target_name, db, probe=None, **database):
    database = dict({"connect_timeout": "1s", "query_timeout": "2s"}, **database)
    return {
        "name": target_name,
        "database": db.config_yaml_database(**database),
        "probe": probe or {"kind": "none"},
    }


def config(*targets, **extra):
    return dict({"poll_interval": "%dms" % (POLL_INTERVAL * 1000), "targets": list(targets)},
                **extra)


def target_value(exporter, target, name, **labels):
    return value(exporter.probe(target), name, **labels)


def polls(exporter, target):
    return target_value(exporter, target, "cloudstack_mshost_polls_total") or 0


def wait_polls(exporter, target, count, timeout=30):
    """Returns once `count` more polls of `target` have finished."""
    goal = polls(exporter, target) + count
    wait_until(lambda: polls(exporter, target) >= goal, timeout,
               "%d polls of %s" % (count, target))


def wait_up(exporter, target, up, timeout=RECOVERY_TIMEOUT):
    try:
        wait_until(lambda: target_value(exporter, target, "cloudstack_mshost_up") == up,
                   timeout, "cloudstack_mshost_up %d on %s" % (up, target))
    except AssertionError as e:
        raise AssertionError("%s\n%s" % (e, exporter.log_tail()))


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


# --- database faults on a running exporter ------------------------------------------------

def hold_table_lock(db):
    """Another session's exclusive lock on mshost, as a long ALTER TABLE holds it;
    returns the connection that holds it (close it to release)."""
    conn = db.connect()
    if db.driver == "mysql":
        conn.cursor().execute("LOCK TABLES mshost WRITE")
    else:
        conn.autocommit = False
        conn.cursor().execute("LOCK TABLE mshost IN ACCESS EXCLUSIVE MODE")
    return conn


def seed_two_nodes_with_peers(db):
    for table in ("mshost_peer", "mshost_status", "mshost"):
        db.execute("DELETE FROM " + table)
    a = db.insert_mshost(101, name="ms-a", last_update=None)
    b = db.insert_mshost(102, name="ms-b", last_update=None)
    db.execute("INSERT INTO mshost_peer (owner_mshost, peer_mshost, peer_runid, peer_state)"
               " VALUES (%s, %s, 1, 'Up'), (%s, %s, 1, 'Up')", (a, b, b, a))


@pytest.fixture(scope="module")
def watched(db, tmp_path_factory):
    """One exporter per driver watching `db` as target "watched"."""
    if not db.running:
        db.start()
    seed_two_nodes_with_peers(db)
    exporter = procs.start_exporter(config(db_target("watched", db)),
                                    str(tmp_path_factory.mktemp("watched-" + db.driver)))
    wait_up(exporter, "watched", 1)
    yield exporter
    exporter.stop()


class Fault:
    """Starts and lifts one database fault; `error` is a word the error shows."""

    def __init__(self, db, kind):
        self.db = db
        self.kind = kind
        self._lock = None

    def start(self):
        if self.kind == "killed":
            self.db.kill()
        elif self.kind == "table_lock":
            self._lock = hold_table_lock(self.db)
        elif self.kind == "missing_table":
            self.db.execute("ALTER TABLE mshost RENAME TO mshost_away")

    def lift(self):
        if self.kind == "killed":
            self.db.start()
        elif self.kind == "table_lock":
            self._lock.close()
        elif self.kind == "missing_table":
            self.db.execute("ALTER TABLE mshost_away RENAME TO mshost")


@pytest.mark.parametrize("kind", ["killed", "table_lock", "missing_table"])
def test_database_fault_is_logged_once_and_recovers(db, watched, kind):
    ex = watched
    wait_up(ex, "watched", 1)
    mark = LogMark(ex)
    before = procs.parse_exposition(ex.scrape("/probe", {"target": "watched"}))
    failures_before = value(before, "cloudstack_mshost_poll_failures_total")
    last_success = value(before, "cloudstack_mshost_last_poll_success_timestamp_seconds")

    fault = Fault(db, kind)
    fault.start()
    try:
        wait_up(ex, "watched", 0, timeout=15)
        wait_until(lambda: target_value(ex, "watched", "cloudstack_mshost_poll_failures_total")
                   >= failures_before + MIN_POLLS, 30, "%d failed polls" % MIN_POLLS)
        during = ex.probe("watched")
        assert value(during, "cloudstack_mshost_up") == 0
        assert value(during, "cloudstack_mshost_last_poll_success_timestamp_seconds") \
            <= last_success + 2 * POLL_INTERVAL + 1
        # Frozen, not gone: the nodes stay as the last good read saw them.
        assert len(select(during, "cloudstack_mshost_info")) == 2
        lines = mark.events(UNREACHABLE, target="watched")
        assert len(lines) == 1, "one line per outage, not per poll: %r" % lines
        assert lines[0]["level"] == "warn"
        assert lines[0]["error"] and "reconnecting in" not in lines[0]["error"]
        if kind == "missing_table":
            assert "mshost" in lines[0]["error"], lines[0]
        if kind == "table_lock":  # the server's reason, not the client's "Lost connection"
            assert "statement" in lines[0]["error"], lines[0]
    finally:
        fault.lift()

    wait_up(ex, "watched", 1)
    wait_polls(ex, "watched", 2)
    assert len(mark.events(UNREACHABLE, target="watched")) == 1
    back = mark.events(REACHABLE, target="watched")
    assert len(back) == 1, back
    assert float(back[0]["down_seconds"]) > 0
    assert len(select(ex.probe("watched"), "cloudstack_mshost_info")) == 2


def test_missing_peer_table_leaves_out_peer_metrics_only(db, watched):
    ex = watched
    wait_up(ex, "watched", 1)
    assert select(ex.probe("watched"), "cloudstack_mshost_peer_state")
    mark = LogMark(ex)
    db.execute("ALTER TABLE mshost_peer RENAME TO mshost_peer_away")
    try:
        wait_until(lambda: not select(ex.probe("watched"), "cloudstack_mshost_peer_state"),
                   15, "peer metrics to go")
        wait_polls(ex, "watched", MIN_POLLS)
        samples = ex.probe("watched")
        assert value(samples, "cloudstack_mshost_up") == 1
        assert len(select(samples, "cloudstack_mshost_info")) == 2
        lines = mark.events("mshost_peer not readable, peer metrics left out",
                            target="watched")
        assert len(lines) == 1, lines
        assert "mshost_peer" in lines[0]["error"]
        assert not mark.events(UNREACHABLE)
    finally:
        db.execute("ALTER TABLE mshost_peer_away RENAME TO mshost_peer")
    wait_until(lambda: select(ex.probe("watched"), "cloudstack_mshost_peer_state"), 15,
               "peer metrics back")
    wait_polls(ex, "watched", 2)
    assert len(mark.events("mshost_peer readable again", target="watched")) == 1
    assert len(mark.events("mshost_peer not readable, peer metrics left out")) == 1


def create_login(db, user, password):
    """A second database user with the exporter's grants."""
    if db.driver == "mysql":
        db.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, password))
        for table in ("mshost", "mshost_peer"):
            db.execute("GRANT SELECT ON cloud.%s TO '%s'@'%%'" % (table, user))
    else:
        db.execute("CREATE ROLE %s LOGIN PASSWORD %%s" % user, (password,))
        db.execute("GRANT CONNECT ON DATABASE cloud TO %s" % user)
        db.execute("GRANT USAGE ON SCHEMA public TO %s" % user)
        db.execute("GRANT SELECT ON mshost, mshost_peer TO %s" % user)


def set_password(db, user, password):
    if db.driver == "mysql":
        db.execute("ALTER USER %s@'%%' IDENTIFIED BY %s", (user, password))
    else:
        db.execute("ALTER ROLE %s PASSWORD %%s" % user, (password,))


def test_wrong_password_and_database_name(db, tmp_path):
    """Three targets in one exporter: one healthy, one whose password the server
    does not accept (until the server's password is changed to it), one naming a
    database that does not exist (until a reload fixes the name)."""
    if not db.running:
        db.start()
    seed_two_nodes_with_peers(db)
    create_login(db, "faulty", "Right-Pw-1")
    wrong_password_file = str(tmp_path / "wrong.password")
    with open(wrong_password_file, "w") as f:
        f.write("Wr0ng-Pw-2\n")
    targets = [db_target("good", db),
               db_target("badpass", db, user="faulty", password_file=wrong_password_file),
               db_target("baddb", db, name="no_such_db")]
    ex = procs.start_exporter(config(*targets), str(tmp_path / "exporter"))
    try:
        mark = LogMark(ex)  # from the start: the first poll's line counts
        mark.offset = 0
        wait_polls(ex, "badpass", MIN_POLLS)
        wait_polls(ex, "baddb", MIN_POLLS)
        assert target_value(ex, "good", "cloudstack_mshost_up") == 1
        for target in ("badpass", "baddb"):
            samples = ex.probe(target)
            assert value(samples, "cloudstack_mshost_up") == 0
            assert value(samples, "cloudstack_mshost_poll_failures_total") >= MIN_POLLS
            assert value(samples, "cloudstack_mshost_last_poll_success_timestamp_seconds") == 0
        [badpass] = mark.events(UNREACHABLE, target="badpass")
        assert "Wr0ng" not in badpass["error"]
        assert ("Access denied" if db.driver == "mysql"
                else "password authentication failed") in badpass["error"], badpass
        [baddb] = mark.events(UNREACHABLE, target="baddb")
        assert "no_such_db" in baddb["error"], baddb
        assert not mark.events(UNREACHABLE, target="good")

        # The server now takes the password: the running exporter gets in by itself.
        set_password(db, "faulty", "Wr0ng-Pw-2")
        wait_up(ex, "badpass", 1)
        assert len(mark.events(REACHABLE, target="badpass")) == 1
        assert len(mark.events(UNREACHABLE, target="badpass")) == 1

        # The right name by reload (SIGHUP): no restart.
        targets[2] = db_target("baddb", db)
        ex.write_config(config(*targets))
        ex.reload()
        wait_up(ex, "baddb", 1)
        assert len(select(ex.probe("baddb"), "cloudstack_mshost_info")) == 2
        assert len(mark.events(UNREACHABLE, target="baddb")) == 1
        assert ex.running
    finally:
        ex.stop()


def insert_many_nodes(db, count, port):
    """`count` current nodes, most of them Down and silent (decommissioned servers
    whose rows stay), all pointing at `port` on loopback."""
    rows = []
    for i in range(count):
        state, heartbeat = ("Up", db.utc_now_sql()) if i % 100 == 0 else (
            "Down", db.utc_now_sql(-3600))
        rows.append("(%d, %d, 'ms-%d', 'uuid-%d', '%s', '4.20.0.0', '127.0.0.1', %d, %s)"
                    % (1000000 + i, 1700000000000 + i, i, i, state, port, heartbeat))
    db.execute("INSERT INTO mshost (msid, runid, name, uuid, state, version, service_ip,"
               " service_port, last_update) VALUES " + ", ".join(rows))


def parse_some(text, prefixes):
    """parse_exposition of the lines that start with one of `prefixes` followed by
    "{", " " or ",": a scrape of thousands of nodes is too big to parse whole in a
    hurry."""
    starts = tuple(p + c for p in prefixes for c in "{ ,")
    return procs.parse_exposition("\n".join(
        line for line in text.splitlines() if line.startswith(starts)))


def built_with_sanitizer():
    """AddressSanitizer keeps freed memory in quarantine and maps shadow memory:
    resident size says nothing about the exporter's own use then."""
    with open(procs.exporter_binary(), "rb") as f:
        return b"__asan_init" in f.read()


def test_thousands_of_rows(db, tmp_path):
    count = 5000
    if not db.running:
        db.start()
    for table in ("mshost_peer", "mshost_status", "mshost"):
        db.execute("DELETE FROM " + table)
    insert_many_nodes(db, count, procs.closed_port())
    # Under systemd's default open files limit (1024), fewer than the nodes: probes
    # must wait for descriptors rather than fail with "too many open files".
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, soft), hard))
    try:
        # Ready means polled once: the snapshot holds every row from here on.
        ex = procs.start_exporter(
            config(db_target("big", db, probe={"kind": "tcp", "timeout": "1s"})),
            str(tmp_path))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        time.sleep(3 * POLL_INTERVAL)  # a few polls in, with no scrape yet
        rss_polled = rss_bytes(ex.pid)
        start = time.monotonic()
        # A 5,000-node render takes seconds under a sanitizer: a long read timeout.
        res = ex.get("/metrics", timeout=60)
        assert res.status_code == 200
        text = res.text
        scrape_seconds = time.monotonic() - start
        samples = parse_some(text, ["cloudstack_mshost_up", "cloudstack_mshost_polls_total",
                                    "cloudstack_mshost_poll_duration_seconds",
                                    "cloudstack_mshost_info", "cloudstack_mshost_probe_success"])
        duration = value(samples, "cloudstack_mshost_poll_duration_seconds")
        rss_scraped = rss_bytes(ex.pid)
        print("%d rows: poll %.3fs, scrape %.3fs (%d bytes), RSS %d MB after polls, %d MB "
              "after a scrape" % (count, duration, scrape_seconds, len(text),
                                     rss_polled >> 20, rss_scraped >> 20))
        assert value(samples, "cloudstack_mshost_up") == 1
        # Polling goes on; with a sanitizer a 5,000-row poll takes well over a second,
        # so the sleep above may have seen only the first.
        def polls_so_far():
            page = ex.get("/probe", params={"target": "big"}, timeout=60).text
            found = parse_some(page, ["cloudstack_mshost_polls_total"])
            return value(found, "cloudstack_mshost_polls_total") or 0
        wait_until(lambda: polls_so_far() >= 2, 120, "a second poll of 5,000 rows")
        assert len(select(samples, "cloudstack_mshost_info")) == count
        verdicts = collections.Counter(
            re.search(r'verdict="(\w+)"', line).group(1) for line in text.splitlines()
            if line.startswith("cloudstack_mshost_verdict{") and line.endswith(" 1"))
        # The Down ones are ok, the Up ones unreachable (they heartbeat, nothing listens).
        assert verdicts == {"ok": count - count // 100, "up_unreachable": count // 100}, \
            verdicts
        assert len(select(samples, "cloudstack_mshost_probe_success")) == count
        assert sum(select(samples, "cloudstack_mshost_probe_success").values()) == 0
        assert duration < 3.0, "a poll of %d rows took %.1fs" % (count, duration)
        assert scrape_seconds < 15.0
        if not built_with_sanitizer():
            assert rss_polled < 100 << 20, "RSS %d MB" % (rss_polled >> 20)
            assert rss_scraped < 400 << 20, "RSS %d MB" % (rss_scraped >> 20)
        status = ex.get("/api/v1/status", timeout=60).json()  # slow with a sanitizer
        errors = {n["probe"]["error"] for n in status["targets"][0]["nodes"]}
        assert errors == {"connection refused"}, errors
        # Rows that say Down are expected not to answer: only the Up ones are news.
        failing = [e for e in log_events(ex.log()) if e["msg"] == "probe failing"]
        assert len(failing) == count // 100
        assert ex.get("/", timeout=60).status_code == 200
    finally:
        ex.stop()
        db.execute("DELETE FROM mshost")


def test_sigterm_while_a_poll_waits_on_a_table_lock(db, tmp_path):
    if not db.running:
        db.start()
    seed_two_nodes_with_peers(db)
    ex = procs.start_exporter(config(db_target("locked", db, query_timeout="20s")),
                              str(tmp_path))
    lock = None
    try:
        wait_up(ex, "locked", 1)
        lock = hold_table_lock(db)
        time.sleep(1.0)  # several polls' worth: one is now waiting for the lock
        start = time.monotonic()
        ex.signal(signal.SIGTERM)
        ex.proc.wait(10)
        elapsed = time.monotonic() - start
        assert elapsed < 2.0, "exit took %.1fs\n%s" % (elapsed, ex.log_tail())
        assert ex.proc.returncode == 0, ex.log_tail()
    finally:
        if lock is not None:
            lock.close()
        ex.stop()


# --- probes (the driver does not matter: MariaDB only) ---------------------------------------

class HeartbeatWriter:
    """Keeps every row's last_update fresh (database UTC now), on a thread."""

    def __init__(self, db, every=0.3):
        self._db = db
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._write()
        self._thread.start()

    def _write(self):
        self._db.execute("UPDATE mshost SET last_update = " + self._db.utc_now_sql())

    def _run(self, every):
        while not self._stop.wait(every):
            self._write()

    def stop(self):
        self._stop.set()
        self._thread.join(5)


def verdict_of(samples, msid):
    marked = [dict(labels)["verdict"] for labels, v in
              select(samples, "cloudstack_mshost_verdict", msid=str(msid)).items() if v == 1]
    assert len(marked) == 1, (msid, marked)
    return marked[0]


HANGING = range(10, 20)  # msids of the nodes that accept and never answer


@pytest.mark.parametrize("db", ["mysql"], indirect=True)  # probing is driver-blind
def test_probe_faults(db, tmp_path):
    for table in ("mshost_peer", "mshost_status", "mshost"):
        db.execute("DELETE FROM " + table)
    # The http probe goes to a fixed port (the API port's role: an http probe of the
    # cluster port, service_port, is refused by the configuration), so the nodes are
    # told apart by their loopback address: one port on several 127.0.0.x hosts.
    port = procs.closed_port(host="127.0.0.11", hold=False)  # the listeners take it
    good = procs.HttpListener(host="127.0.0.11", port=port)
    silent = procs.TcpListener(host="127.0.0.12", hold=True, port=port)
    db.insert_mshost(1, name="good", service_ip="127.0.0.11", service_port=port)
    db.insert_mshost(2, name="refuses", service_ip="127.0.0.13", service_port=port)
    db.insert_mshost(3, name="unresolvable", service_ip="no-such-host.invalid")
    for msid in HANGING:
        db.insert_mshost(msid, name="hangs-%d" % msid, service_ip="127.0.0.12",
                         service_port=port)
    writer = HeartbeatWriter(db)
    timeout = 1.0
    probe = {"port": str(port), "timeout": "%dms" % (timeout * 1000)}
    ex = procs.start_exporter(
        config(db_target("tcp", db, probe=dict(probe, kind="tcp")),
               db_target("http", db, probe=dict(probe, kind="http"))),
        str(tmp_path))
    mark = LogMark(ex)
    mark.offset = 0
    try:
        wait_polls(ex, "http", MIN_POLLS)
        wait_polls(ex, "tcp", MIN_POLLS)
        expected = {"tcp": "ok", "http": "up_unreachable"}  # for the hanging nodes
        for target in ("tcp", "http"):
            samples = ex.probe(target)
            assert verdict_of(samples, 1) == "ok"
            assert verdict_of(samples, 2) == "up_unreachable"
            assert verdict_of(samples, 3) == "up_unreachable"
            for msid in HANGING:
                assert verdict_of(samples, msid) == expected[target], (target, msid)
            # The good node's verdict is not held up by the ones that hang.
            assert value(samples, "cloudstack_mshost_probe_duration_seconds", msid="1") < 0.5

        # Ten nodes that never answer cost one timeout, not ten.
        samples = ex.probe("http")
        duration = value(samples, "cloudstack_mshost_poll_duration_seconds")
        print("http poll with %d hanging nodes: %.3fs" % (len(HANGING), duration))
        assert timeout * 0.9 <= duration <= timeout + 0.6, duration
        for msid in HANGING:
            probe = value(samples, "cloudstack_mshost_probe_duration_seconds", msid=str(msid))
            assert timeout * 0.9 <= probe <= timeout + 0.3, (msid, probe)
        assert target_value(ex, "tcp", "cloudstack_mshost_poll_duration_seconds") < 0.5

        # One line per node and problem, however many polls failed.
        for target in ("tcp", "http"):
            assert not mark.events("probe failing", target=target, msid=1)
            [refused] = mark.events("probe failing", target=target, msid=2)
            assert refused["error"] == "connection refused"
            [unresolvable] = mark.events("probe failing", target=target, msid=3)
            assert "no-such-host.invalid" in unresolvable["error"], unresolvable
        for msid in HANGING:
            assert not mark.events("probe failing", target="tcp", msid=msid)
            [hang] = mark.events("probe failing", target="http", msid=msid)
            assert hang["error"] == "timeout waiting for a reply", hang

        # The refusing node comes up: verdict ok, one line saying so.
        db.execute("UPDATE mshost SET service_ip = '127.0.0.11' WHERE msid = 2")
        for target in ("tcp", "http"):
            wait_until(lambda: verdict_of(ex.probe(target), 2) == "ok", 15,
                       "node 2 ok on " + target)
        wait_polls(ex, "http", 2)
        for target in ("tcp", "http"):
            assert len(mark.events("probe succeeding again", target=target, msid=2)) == 1
            assert len(mark.events("probe failing", target=target, msid=2)) == 1
    finally:
        ex.stop()
        writer.stop()
        good.close()
        silent.close()


# --- Alertmanager faults (no database needed) ---------------------------------------------

class FakeAlertmanager:
    """An HTTP server taking POST /api/v2/alerts: answers `status` after `delay`
    seconds and records each request body with its arrival time. Thread-safe."""

    def __init__(self, status=200, delay=0.0):
        self.requests = []  # (monotonic time, body)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with fake._lock:
                    fake.requests.append((time.monotonic(), body))
                if delay and fake._stopping.wait(delay):
                    return
                text = b"" if status == 200 else b"bad alerts: testing\n"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(text)))
                    self.end_headers()
                    self.wfile.write(text)
                except OSError:
                    pass  # the client gave up waiting: the point of a slow server

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    def bodies(self):
        with self._lock:
            return [body for _, body in self.requests]

    def stop(self):
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()


NOTIFIER_TIMEOUT = 10.0  # AlertmanagerOptions::timeout_seconds, not configurable


def test_alertmanager_faults(tmp_path):
    """One exporter sending to four Alertmanagers: one fine, one answering 500, one
    answering 400, one slower than the notifier's timeout. Each gets its alerts
    independently; failures are counted and logged once per problem; polls never
    wait for any of them. The target's database is unreachable on purpose so
    CloudStackMshostSourceDown (for: 0s) fires at once and is re-sent every second."""
    ams = {"ok": FakeAlertmanager(200), "e500": FakeAlertmanager(500),
           "e400": FakeAlertmanager(400), "slow": FakeAlertmanager(200, delay=60)}
    gone = {"name": "gone", "database": {
        "driver": "mysql", "host": "127.0.0.1", "port": procs.closed_port(),
        "user": "exporter", "password": "x", "connect_timeout": "1s"}}
    ex = None
    try:
        ex = procs.start_exporter(config(gone, alerting={
            "alertmanagers": [am.url for am in ams.values()],
            "resend_interval": "1s",
            "rules": {"CloudStackMshostSourceDown": {"for": "0s"}}}), str(tmp_path))
        mark = LogMark(ex)
        mark.offset = 0
        polls_at_start = polls(ex, "gone")
        started = time.monotonic()

        def notifications(am, result):
            return value(ex.metrics(), "mshost_exporter_notifications_total",
                         alertmanager=ams[am].url, result=result) or 0

        wait_until(lambda: notifications("ok", "success") >= 3, 20, "alerts delivered")
        wait_until(lambda: notifications("e500", "error") >= 2, 20, "500s counted")
        wait_until(lambda: notifications("e400", "error") >= 3, 20, "400s counted")
        # The slow one: the first try times out after NOTIFIER_TIMEOUT and is logged.
        wait_until(lambda: mark.events("cannot send alerts to Alertmanager",
                                       alertmanager=ams["slow"].url),
                   NOTIFIER_TIMEOUT + 10, "the slow Alertmanager's timeout logged")
        elapsed = time.monotonic() - started
        made = polls(ex, "gone") - polls_at_start
        assert made >= 0.5 * elapsed / POLL_INTERVAL, \
            "%d polls in %.1fs: a slow Alertmanager held the poller up" % (made, elapsed)
        assert notifications("slow", "success") == 0
        assert notifications("ok", "error") == 0

        # 500: retried (the same body again); 400: never the same body twice.
        e500 = ams["e500"].bodies()
        assert any(a == b for a, b in zip(e500, e500[1:])), "no retry of a 500"
        e400 = ams["e400"].bodies()
        assert len(e400) >= 3 and all(a != b for a, b in zip(e400, e400[1:])), \
            "a 400 was retried"
        # Logged once per problem, whatever the number of attempts and batches.
        for name, error in (("e500", "HTTP 500"), ("e400", "HTTP 400"),
                            ("slow", "timed out")):
            lines = mark.events("cannot send alerts to Alertmanager",
                                alertmanager=ams[name].url)
            assert len(lines) == 1, (name, lines)
            assert error in lines[0]["error"], (name, lines[0])
        assert not mark.events("cannot send alerts to Alertmanager",
                               alertmanager=ams["ok"].url)

        # A hung request does not hold up the exit either.
        start = time.monotonic()
        assert ex.stop() == 0
        assert time.monotonic() - start < 2.0
    finally:
        if ex is not None:
            ex.stop()
        for am in ams.values():
            am.stop()
