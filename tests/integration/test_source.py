"""MshostSource against real MariaDB and PostgreSQL servers, through source_dump.

Every test runs once per driver (the `db` fixture in conftest.py). The servers' time
zone is +05:30, so a reading that used the session zone instead of UTC would be
5.5 hours off and fail here.
"""
import datetime
import json
import os
import selectors
import subprocess
import time

import pytest

from conftest import build_program
from lib import db_servers

CONNECT_TIMEOUT = 2.0
QUERY_TIMEOUT = 2.0
MAX_MSID = 2**64 - 1


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def epoch(naive_utc):
    return naive_utc.replace(tzinfo=datetime.timezone.utc).timestamp()


def dump_args(db, password_file=None, password=None, **options):
    args = [build_program("source_dump"), "--driver", db.driver, "--user", db.exporter_user,
            "--name", db.name, "--connect-timeout", str(CONNECT_TIMEOUT),
            "--query-timeout", str(options.pop("query_timeout", QUERY_TIMEOUT))]
    if "socket" in options:
        # PostgreSQL's socket file is named after the port, so the port still counts.
        args += ["--socket", options.pop("socket"), "--port", str(db.port)]
    else:
        args += ["--host", db.host, "--port", str(db.port)]
    if password is not None:
        args += ["--password", password]
    else:
        args += ["--password-file", password_file or db.password_file]
    for key, value in options.items():
        args += ["--" + key.replace("_", "-")] + ([] if value is True else [str(value)])
    return args


def dump(db, **options):
    """One read; returns the SourceRead as a dict."""
    result = subprocess.run(dump_args(db, **options), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout.decode().splitlines()[-1])


class Session:
    """A long-running source_dump: one read per call, on the same MshostSource, so
    the connection, its loss and the reconnect backoff carry over between reads."""

    def __init__(self, db, **options):
        self.proc = subprocess.Popen(dump_args(db, **options) + ["--interactive"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.proc.stdout, selectors.EVENT_READ)

    def read(self, timeout=30):
        self.proc.stdin.write(b"\n")
        self.proc.stdin.flush()
        assert self.selector.select(timeout), "source_dump gave no answer in %ds" % timeout
        line = self.proc.stdout.readline()
        assert line, "source_dump exited with %s" % self.proc.poll()
        return json.loads(line)

    def read_until_ok(self, timeout, gap=0.5):
        deadline = time.monotonic() + timeout
        reads = []
        while time.monotonic() < deadline:
            reads.append(self.read())
            if reads[-1]["ok"]:
                return reads
            time.sleep(gap)
        pytest.fail("no successful read within %ss; last errors: %s" % (
            timeout, [r["error"] for r in reads[-3:]]))

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(10)


@pytest.fixture
def session_factory():
    sessions = []

    def make(db, **options):
        sessions.append(Session(db, **options))
        return sessions[-1]
    yield make
    for s in sessions:
        s.close()


def msids(read):
    return sorted(row["msid"] for row in read["rows"])


def row_by_msid(read, msid):
    return next(row for row in read["rows"] if row["msid"] == str(msid))


def test_server_zone_is_not_utc(fresh_db):
    # The premise of the clock tests below: the database's local time is UTC+05:30.
    if fresh_db.driver == "mysql":
        sql = "SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW())"
    else:
        sql = "SELECT EXTRACT(EPOCH FROM now()::timestamp - (now() AT TIME ZONE 'utc')) / 60"
    assert round(float(fresh_db.execute(sql)[0][0])) == 330


def test_heartbeat_age_is_measured_in_utc(fresh_db):
    written = utc_now().replace(microsecond=0) - datetime.timedelta(seconds=10)
    fresh_db.insert_mshost(1, name="ms-1", last_update=written)
    read = dump(fresh_db)
    assert read["ok"], read["error"]
    assert abs(read["db_now"] - time.time()) < 2
    row = row_by_msid(read, 1)
    assert row["last_update"] == epoch(written)
    assert abs(read["db_now"] - row["last_update"] - 10) < 2


def test_heartbeat_written_by_the_database_clock(fresh_db):
    # CloudStack writes UTC; a heartbeat set from the database's UTC clock is fresh.
    fresh_db.insert_mshost(2, name="ms-2")
    fresh_db.execute("UPDATE mshost SET last_update = %s" % fresh_db.utc_now_sql(-3))
    read = dump(fresh_db)
    assert abs(read["db_now"] - row_by_msid(read, 2)["last_update"] - 3) < 1.5


def test_every_column(fresh_db):
    last = datetime.datetime(2024, 2, 29, 23, 59, 58)
    row_id = fresh_db.insert_mshost(345049103441, name="ms-a", uuid="uuid-a", state="Up",
                                    version="4.20.1.0", service_ip="10.1.2.3",
                                    service_port=9090, runid=1709251198000,
                                    last_update=last, alert_count=2)
    read = dump(fresh_db)
    assert read["row_errors"] == []
    assert read["rows"] == [{
        "id": row_id, "msid": "345049103441", "runid": 1709251198000, "name": "ms-a",
        "uuid": "uuid-a", "state": "Up", "version": "4.20.1.0",
        "service_ip": "10.1.2.3",  # char(40) comes back without its padding
        "service_port": 9090, "last_update": epoch(last), "alert_count": 2,
        "jvm_start": None, "jvm_stop": None, "system_boot": None}]  # no mshost_status


def test_unsigned_msid_range(fresh_db):
    fresh_db.insert_mshost(MAX_MSID, name="max")
    fresh_db.insert_mshost(2**63, name="past-signed")
    fresh_db.insert_mshost(0, name="zero")
    read = dump(fresh_db)
    assert read["row_errors"] == []
    assert msids(read) == sorted([str(MAX_MSID), str(2**63), "0"])


def test_null_and_unknown_values(fresh_db):
    fresh_db.insert_mshost(10, name=None, state=None, last_update=None, version=None)
    fresh_db.insert_mshost(11, name="ms-11", state="PreparingForMaintenance")
    fresh_db.insert_mshost(12, name="ms-12", state="SomethingNew")
    read = dump(fresh_db)
    assert read["ok"] and read["row_errors"] == []
    null_row = row_by_msid(read, 10)
    assert null_row["name"] is None and null_row["state"] is None
    assert null_row["last_update"] is None and null_row["version"] is None
    assert row_by_msid(read, 11)["state"] == "PreparingForMaintenance"
    assert row_by_msid(read, 12)["state"] == "SomethingNew"


@pytest.mark.parametrize("name", [
    "nœud-ü ☃",
    "it's \"quoted\"",
    "back\\slash\\",
    "two\nlines\ttab",
    "'; DROP TABLE mshost; --",
])
def test_text_round_trips(fresh_db, name):
    fresh_db.insert_mshost(20, name=name, version=name)
    read = dump(fresh_db)
    assert row_by_msid(read, 20)["name"] == name
    assert row_by_msid(read, 20)["version"] == name


def test_removed_rows_are_not_nodes(fresh_db):
    fresh_db.insert_mshost(30, name="current")
    fresh_db.insert_mshost(31, name="history", removed=utc_now())
    assert msids(dump(fresh_db)) == ["30"]


def test_unreadable_timestamp_skips_only_that_row(fresh_db):
    fresh_db.insert_mshost(40, name="good", last_update=utc_now())
    bad_id = fresh_db.insert_mshost(41, name="bad")
    # Values the schema accepts but that are no point in time: MySQL's zero date
    # (allowed without NO_ZERO_DATE) and PostgreSQL's infinity.
    bad = "'0000-00-00 00:00:00'" if fresh_db.driver == "mysql" else "'infinity'"
    fresh_db.execute("UPDATE mshost SET last_update = %s WHERE id = %d" % (bad, bad_id))
    read = dump(fresh_db)
    assert read["ok"]
    assert msids(read) == ["40"]
    assert len(read["row_errors"]) == 1
    assert read["row_errors"][0].startswith("mshost id=%d: last_update: not a datetime" % bad_id)


def test_peers(fresh_db):
    a = fresh_db.insert_mshost(50, name="a")
    b = fresh_db.insert_mshost(51, name="b")
    seen = utc_now().replace(microsecond=0)
    fresh_db.execute("INSERT INTO mshost_peer (owner_mshost, peer_mshost, peer_runid, "
                     "peer_state, last_update) VALUES (%s, %s, %s, %s, %s)",
                     (a, b, 7, "Up", seen))
    read = dump(fresh_db)
    assert read["peers_available"] and read["peers_error"] == ""
    assert read["peers"] == [{"owner_id": a, "peer_id": b, "peer_runid": 7,
                              "peer_state": "Up", "last_update": epoch(seen)}]


def test_missing_peer_table_is_not_an_error(fresh_db):
    fresh_db.insert_mshost(60, name="a")
    fresh_db.execute("ALTER TABLE mshost_peer RENAME TO mshost_peer_away")
    try:
        reads = [dump(fresh_db) for _ in range(2)]
    finally:
        fresh_db.execute("ALTER TABLE mshost_peer_away RENAME TO mshost_peer")
    for read in reads:
        assert read["ok"], read["error"]
        assert msids(read) == ["60"]
        assert not read["peers_available"]
        assert "mshost_peer" in read["peers_error"]
    assert dump(fresh_db)["peers_available"]


def test_peer_table_without_grant_is_not_an_error(fresh_db):
    # An older install may grant the exporter mshost only.
    user = fresh_db.exporter_user
    to = "'%s'@'%%'" % user if fresh_db.driver == "mysql" else user
    fresh_db.insert_mshost(61, name="a")
    fresh_db.execute("REVOKE SELECT ON mshost_peer FROM %s" % to)
    try:
        read = dump(fresh_db)
    finally:
        fresh_db.execute("GRANT SELECT ON mshost_peer TO %s" % to)
    assert read["ok"], read["error"]
    assert msids(read) == ["61"]
    assert not read["peers_available"]
    assert "mshost_peer" in read["peers_error"]


def insert_status(db, uuid, start=None, stop=None, boot=None, removed=None):
    """An mshost_status row for the node whose mshost.uuid is `uuid`, as CloudStack's
    StatsCollector writes it (times: naive datetimes in UTC, or None)."""
    db.execute("INSERT INTO mshost_status (ms_id, last_jvm_start, last_jvm_stop, "
               "last_system_boot, os_distribution, java_name, java_version, updated, "
               "created, removed) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
               (uuid, start, stop, boot, "Ubuntu 22.04.4 LTS", "Eclipse Adoptium",
                "17.0.10+7", utc_now(), utc_now(), removed))


def status_of(row):
    return row["jvm_start"], row["jvm_stop"], row["system_boot"]


def test_status_times_are_read_as_utc(fresh_db):
    # The servers run at +05:30: values read in the session zone would be 5.5 h off.
    start = datetime.datetime(2024, 2, 29, 23, 59, 58)
    stop = datetime.datetime(2024, 2, 29, 23, 50, 1)
    boot = datetime.datetime(2024, 1, 15, 6, 30, 0)
    fresh_db.insert_mshost(200, name="all", uuid="uuid-all")
    fresh_db.insert_mshost(201, name="nulls", uuid="uuid-nulls")
    fresh_db.insert_mshost(202, name="no-row", uuid="uuid-no-row")
    fresh_db.insert_mshost(203, name="no-uuid", uuid=None)
    insert_status(fresh_db, "uuid-all", start, stop, boot)
    insert_status(fresh_db, "uuid-nulls")
    read = dump(fresh_db)
    assert read["ok"], read["error"]
    assert read["status_available"] and read["status_error"] == ""
    assert read["row_errors"] == []
    assert status_of(row_by_msid(read, 200)) == (epoch(start), epoch(stop), epoch(boot))
    for msid in (201, 202, 203):
        assert status_of(row_by_msid(read, msid)) == (None, None, None)


def test_status_written_by_the_database_clock(fresh_db):
    # CloudStack formats these times in GMT; set from the database's UTC clock, a JVM
    # that started 30 s ago reads as 30 s before db_now.
    fresh_db.insert_mshost(210, name="a", uuid="uuid-a")
    insert_status(fresh_db, "uuid-a")
    fresh_db.execute("UPDATE mshost_status SET last_jvm_start = %s" %
                     fresh_db.utc_now_sql(-30))
    read = dump(fresh_db)
    assert abs(read["db_now"] - row_by_msid(read, 210)["jvm_start"] - 30) < 1.5


def test_removed_status_row_is_not_read(fresh_db):
    fresh_db.insert_mshost(220, name="a", uuid="uuid-a")
    insert_status(fresh_db, "uuid-a", start=datetime.datetime(2024, 1, 1),
                  removed=utc_now())
    read = dump(fresh_db)
    assert read["ok"] and read["status_available"]
    assert status_of(row_by_msid(read, 220)) == (None, None, None)


def test_unreadable_status_time_skips_only_that_status(fresh_db):
    fresh_db.insert_mshost(230, name="good", uuid="uuid-good")
    bad_id = fresh_db.insert_mshost(231, name="bad", uuid="uuid-bad")
    start = datetime.datetime(2024, 3, 1, 12, 0, 0)
    insert_status(fresh_db, "uuid-good", start=start)
    insert_status(fresh_db, "uuid-bad", start=start)
    bad = "'0000-00-00 00:00:00'" if fresh_db.driver == "mysql" else "'infinity'"
    fresh_db.execute("UPDATE mshost_status SET last_system_boot = %s WHERE ms_id = "
                     "'uuid-bad'" % bad)
    read = dump(fresh_db)
    assert read["ok"], read["error"]
    assert msids(read) == ["230", "231"]  # the node stays; only its status goes
    assert row_by_msid(read, 230)["jvm_start"] == epoch(start)
    assert status_of(row_by_msid(read, 231)) == (None, None, None)
    assert len(read["row_errors"]) == 1
    assert read["row_errors"][0].startswith(
        "mshost_status of mshost id=%d: last_system_boot: not a datetime" % bad_id)


def rename_table(db, old, new):
    db.execute("ALTER TABLE %s RENAME TO %s" % (old, new))


def test_missing_status_table_is_not_an_error(fresh_db):
    # CloudStack before 4.17 has no mshost_status.
    fresh_db.insert_mshost(240, name="a", uuid="uuid-a")
    rename_table(fresh_db, "mshost_status", "mshost_status_away")
    try:
        reads = [dump(fresh_db) for _ in range(2)]
    finally:
        rename_table(fresh_db, "mshost_status_away", "mshost_status")
    for read in reads:
        assert read["ok"], read["error"]
        assert msids(read) == ["240"]
        assert read["peers_available"]  # the rest of the read is whole
        assert not read["status_available"]
        assert "mshost_status" in read["status_error"]
        assert status_of(read["rows"][0]) == (None, None, None)
        assert read["row_errors"] == []
    assert dump(fresh_db)["status_available"]


def grant_target(db):
    return "'%s'@'%%'" % db.exporter_user if db.driver == "mysql" else db.exporter_user


def test_status_table_without_grant_is_not_an_error(fresh_db):
    # A grant written for an exporter before 4.17, or one that left mshost_status out.
    to = grant_target(fresh_db)
    fresh_db.insert_mshost(250, name="a", uuid="uuid-a")
    insert_status(fresh_db, "uuid-a", start=datetime.datetime(2024, 1, 1))
    fresh_db.execute("REVOKE SELECT ON mshost_status FROM %s" % to)
    try:
        read = dump(fresh_db)
    finally:
        fresh_db.execute("GRANT SELECT ON mshost_status TO %s" % to)
    assert read["ok"], read["error"]
    assert msids(read) == ["250"]
    assert read["peers_available"]
    assert not read["status_available"]
    assert "mshost_status" in read["status_error"]
    if fresh_db.driver == "mysql":
        assert "(1142)" in read["status_error"], read["status_error"]
    assert status_of(read["rows"][0]) == (None, None, None)


def test_status_with_a_grant_on_some_columns_only(fresh_db):
    # MySQL refuses the statement per column (1143); PostgreSQL's table privilege
    # check says no.
    to = grant_target(fresh_db)
    fresh_db.insert_mshost(255, name="a", uuid="uuid-a")
    insert_status(fresh_db, "uuid-a", start=datetime.datetime(2024, 1, 1))
    fresh_db.execute("REVOKE SELECT ON mshost_status FROM %s" % to)
    fresh_db.execute("GRANT SELECT (ms_id) ON mshost_status TO %s" % to)
    try:
        read = dump(fresh_db)
    finally:
        fresh_db.execute("REVOKE SELECT (ms_id) ON mshost_status FROM %s" % to)
        fresh_db.execute("GRANT SELECT ON mshost_status TO %s" % to)
    assert read["ok"], read["error"]
    assert msids(read) == ["255"]
    assert not read["status_available"]
    if fresh_db.driver == "mysql":
        assert "(1143)" in read["status_error"], read["status_error"]
    assert row_by_msid(read, 255)["jvm_start"] is None


@pytest.mark.parametrize("status_readable", [True, False])
def test_status_when_peers_are_not_readable(fresh_db, status_readable):
    # MySQL stops a multi-statement at the refused mshost_peer statement, before
    # mshost_status: the status is then read on its own.
    to = grant_target(fresh_db)
    fresh_db.insert_mshost(260, name="a", uuid="uuid-a")
    start = datetime.datetime(2024, 1, 1, 8, 0, 0)
    insert_status(fresh_db, "uuid-a", start=start)
    fresh_db.execute("REVOKE SELECT ON mshost_peer FROM %s" % to)
    if not status_readable:
        fresh_db.execute("REVOKE SELECT ON mshost_status FROM %s" % to)
    try:
        read = dump(fresh_db)
    finally:
        fresh_db.execute("GRANT SELECT ON mshost_peer TO %s" % to)
        fresh_db.execute("GRANT SELECT ON mshost_status TO %s" % to)
    assert read["ok"], read["error"]
    assert msids(read) == ["260"]
    assert not read["peers_available"] and "mshost_peer" in read["peers_error"]
    assert read["status_available"] == status_readable
    if status_readable:
        assert read["status_error"] == ""
        assert row_by_msid(read, 260)["jvm_start"] == epoch(start)
    else:
        assert "mshost_status" in read["status_error"]
        assert row_by_msid(read, 260)["jvm_start"] is None


def test_connects_through_the_socket(fresh_db):
    fresh_db.insert_mshost(70, name="a")
    read = dump(fresh_db, socket=fresh_db.socket)
    assert read["ok"], read["error"]
    assert msids(read) == ["70"]


def test_wrong_password_is_a_clear_error(fresh_db):
    read = dump(fresh_db, password="Wr0ngSecret")
    assert not read["ok"]
    assert "\n" not in read["error"]
    assert "Wr0ngSecret" not in read["error"]
    expected = "Access denied" if fresh_db.driver == "mysql" else "password authentication failed"
    assert expected in read["error"]


def test_tls_preferred_falls_back_and_required_refuses(fresh_db):
    # The test servers have no TLS: "preferred" connects in the clear, "required"
    # must not.
    assert dump(fresh_db, tls_mode="preferred")["ok"]
    assert dump(fresh_db, tls_mode="disabled")["ok"]
    read = dump(fresh_db, tls_mode="required")
    assert not read["ok"]
    assert "SSL" in read["error"] or "TLS" in read["error"], read["error"]


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_outage_fails_clearly_then_recovers(fresh_db, session_factory, how):
    fresh_db.insert_mshost(80, name="a")
    session = session_factory(fresh_db)
    assert session.read()["ok"]

    getattr(fresh_db, how)()
    failed = [session.read() for _ in range(3)]
    for read in failed:
        assert not read["ok"]
        assert read["error"] and "\n" not in read["error"]
        assert read["elapsed"] < CONNECT_TIMEOUT + 1
    # The first failure names the problem; reads during the backoff say so.
    assert "reconnecting in" not in failed[0]["error"]
    assert any(r["error"].startswith("reconnecting in ") for r in failed[1:])

    fresh_db.start()
    reads = session.read_until_ok(timeout=20)
    assert msids(reads[-1]) == ["80"]


def hold_table_lock(db):
    """Another session's exclusive lock on mshost, as a long ALTER TABLE would hold;
    returns the connection holding it."""
    conn = db.connect()
    if db.driver == "mysql":
        conn.cursor().execute("LOCK TABLES mshost WRITE")
    else:
        conn.autocommit = False
        conn.cursor().execute("LOCK TABLE mshost IN ACCESS EXCLUSIVE MODE")
    return conn


def test_table_lock_times_out_without_piling_up_queries(fresh_db, session_factory):
    fresh_db.insert_mshost(90, name="a")
    session = session_factory(fresh_db)
    assert session.read()["ok"]
    user = fresh_db.exporter_user
    lock = hold_table_lock(fresh_db)
    counts = []
    try:
        for _ in range(4):
            read = session.read()
            assert not read["ok"]
            assert read["elapsed"] < QUERY_TIMEOUT + 1, read
            counts.append(fresh_db.connection_count(user))
            time.sleep(0.6)  # past the first backoff step: the next read reconnects
    finally:
        lock.close()
    assert max(counts) <= 2, counts  # the new session, and at most one dying
    reads = session.read_until_ok(timeout=10)
    assert msids(reads[-1]) == ["90"]
    assert fresh_db.connection_count(user) == 1


def test_frozen_server_cannot_hang_a_read(fresh_db, session_factory):
    fresh_db.insert_mshost(95, name="a")
    session = session_factory(fresh_db)
    assert session.read()["ok"]
    fresh_db.freeze()
    try:
        read = session.read()
        assert not read["ok"]
        assert read["elapsed"] < QUERY_TIMEOUT + 1, read
        time.sleep(0.6)
        read = session.read()  # a new connection to a server that does not answer
        assert not read["ok"]
        assert read["elapsed"] < CONNECT_TIMEOUT + QUERY_TIMEOUT + 1, read
    finally:
        fresh_db.thaw()
    reads = session.read_until_ok(timeout=15)
    assert msids(reads[-1]) == ["95"]


@pytest.fixture(scope="module", params=["mysql", "postgresql"])
def tls_db(request, tmp_path_factory):
    """A server that offers TLS with a certificate for IP 127.0.0.1 and lets the
    exporter user in over TLS only."""
    database = db_servers.start_database(
        request.param, str(tmp_path_factory.mktemp("tls-" + request.param)), tls=True)
    database.insert_mshost(100, name="a")
    yield database
    database.stop()
    database.cleanup()


@pytest.mark.parametrize("mode, ca, host, works", [
    ("disabled", None, "127.0.0.1", False),  # the server refuses plain text
    ("preferred", None, "127.0.0.1", True),
    ("required", None, "127.0.0.1", True),
    ("required", "wrong", "127.0.0.1", True),  # required does not verify
    ("verify_ca", "right", "127.0.0.1", True),
    ("verify_ca", "wrong", "127.0.0.1", False),
    ("verify_ca", "right", "127.0.0.2", True),  # the name is not checked
    ("verify_full", "right", "127.0.0.1", True),
    ("verify_full", "wrong", "127.0.0.1", False),
    ("verify_full", "right", "127.0.0.2", False),  # not a name of the certificate
])
def test_tls_modes(tls_db, mode, ca, host, works):
    options = {"tls_mode": mode}
    if ca:
        options["tls_ca"] = tls_db.tls_ca if ca == "right" else tls_db.tls_wrong_ca
    args = dump_args(tls_db, **options)
    args[args.index("--host") + 1] = host
    result = subprocess.run(args, stdout=subprocess.PIPE, timeout=60)
    read = json.loads(result.stdout.decode().splitlines()[-1])
    assert read["ok"] == works, read["error"]
    if works:
        assert msids(read) == ["100"]
    else:
        assert read["error"].startswith("connect to %s:%d: " % (host, tls_db.port))


# --- what the nodes hold: host and async_job (docs/databases.md) --------------------

def blast(db):
    read = dump(db, blast=True)
    assert read["ok"], read["error"]
    return read["blast"]


def agents_of(blast_read):
    return sorted((g["msid"] or "", g["status"], g["count"]) for g in blast_read["agents"])


def jobs_of(blast_read):
    return sorted((g["msid"] or "", g["count"]) for g in blast_read["jobs"])


def test_agents_and_jobs_per_node(fresh_db):
    fresh_db.insert_mshost(1, name="ms-1")
    fresh_db.insert_mshost(2, name="ms-2")
    fresh_db.insert_hosts(1, "Up", count=3)
    fresh_db.insert_hosts(1, "Disconnected")
    fresh_db.insert_hosts(2, "Up", count=2)
    fresh_db.insert_hosts(MAX_MSID, "Alert")  # an msid no node has
    fresh_db.insert_hosts(None, "Up")
    fresh_db.insert_hosts(1, "Up", removed=datetime.datetime(2024, 1, 1))  # not an agent
    fresh_db.insert_jobs(1, count=4)                          # executing on 1
    fresh_db.insert_jobs(None, init_msid=2, count=2)          # started by 2, nobody runs it yet
    fresh_db.insert_jobs(2, init_msid=1)                      # started by 1, runs on 2
    fresh_db.insert_jobs(1, instance_type="Thread", count=5)  # CloudStack's pseudo jobs
    fresh_db.insert_jobs(1, instance_type=None)               # a job about no instance
    fresh_db.insert_jobs(None, init_msid=1, status=1, removed=datetime.datetime(2024, 1, 1))
    fresh_db.insert_jobs(1, status=2)  # failed by resetJobProcess: removed stays NULL
    read = blast(fresh_db)
    assert read["ok"], read["error"]
    assert agents_of(read) == sorted([
        ("1", "Up", 3), ("1", "Disconnected", 1), ("2", "Up", 2),
        (str(MAX_MSID), "Alert", 1), ("", "Up", 1)])
    assert jobs_of(read) == [("1", 5), ("2", 3)]
    assert read["row_errors"] == []


def test_blast_radius_without_grants_leaves_the_rest_alone(fresh_db):
    to = grant_target(fresh_db)
    fresh_db.insert_mshost(1, name="ms-1")
    fresh_db.insert_hosts(1, "Up")
    for revoke in db_servers.column_revokes(to):
        fresh_db.execute(revoke)
    try:
        reads = [dump(fresh_db, blast=True, reads=2, gap=0.1)]
    finally:
        for grant in db_servers.column_grants(to):
            fresh_db.execute(grant)
    read = reads[0]
    assert read["ok"], read["error"]
    assert msids(read) == ["1"]
    assert read["peers_available"] and read["status_available"]
    b = read["blast"]
    assert not b["ok"]
    assert b["unavailable"], b["error"]
    assert "host" in b["error"]
    if fresh_db.driver == "mysql":
        assert "(1142)" in b["error"], b["error"]
    else:
        assert "permission denied" in b["error"], b["error"]
    assert blast(fresh_db)["ok"]


def test_blast_radius_with_a_column_missing_from_the_grant(fresh_db):
    # A grant that forgot instance_type: refused per column (MySQL 1143).
    to = grant_target(fresh_db)
    fresh_db.execute("REVOKE SELECT (instance_type) ON async_job FROM %s" % to)
    try:
        read = dump(fresh_db, blast=True)
    finally:
        fresh_db.execute("GRANT SELECT (instance_type) ON async_job TO %s" % to)
    assert read["ok"], read["error"]
    assert read["blast"]["unavailable"], read["blast"]["error"]
    if fresh_db.driver == "mysql":
        assert "(1143)" in read["blast"]["error"], read["blast"]["error"]


def test_blast_radius_without_the_tables(fresh_db):
    rename_table(fresh_db, "async_job", "async_job_away")
    try:
        read = dump(fresh_db, blast=True)
    finally:
        rename_table(fresh_db, "async_job_away", "async_job")
    assert read["ok"], read["error"]
    assert read["blast"]["unavailable"], read["blast"]["error"]
    assert "async_job" in read["blast"]["error"]
