"""The built exporter under attack and misuse, over real sockets (docs/security.md).

- HTTPS with a required client certificate and basic auth, driven by curl: the right
  certificate and password get 200, anything less gets nothing or 401.
- Database passwords (password_file, password_env, and the discouraged inline
  `password:`) never show in the log at debug level, in /metrics, /probe,
  /api/v1/status, the status page or /-/reload answers, whatever goes wrong: wrong
  password, bad configuration, database down.
- The HTTP limits: slow clients cannot hold the worker threads beyond the request
  timeout, idle keep-alive connections are closed, oversized or overfull requests
  are refused at once, and a crowd of connections costs a bounded number of file
  descriptors.

No test here waits a fixed time for something to happen: each waits for the event,
with deadlines generous enough for an AddressSanitizer build on a busy machine.
The limits below mirror HttpServerOptions' defaults (exporter/http/http.h).
"""
import os
import select
import selectors
import socket
import ssl
import subprocess
import threading
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))

from lib import pki as pki_lib  # noqa: E402
from lib import procs  # noqa: E402  (conftest.py put tests/ on sys.path)
from lib.procs import value  # noqa: E402
from lib.prom_servers import wait_until  # noqa: E402

THREADS = 640
CONNECTION_QUEUE = 16
REQUEST_TIMEOUT = 5.0
KEEP_ALIVE_TIMEOUT = 0.5
# Idle connections that must not delay a new client (docs/security.md, HTTP limits),
# and what serving them may leave in RSS once they are gone.
CROWD = 500
SLOW = 10  # clients that trickle a request byte by byte
CROWD_RSS_KIB = 8 * 1024
MAX_HEADERS = 63
MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024
# Added to every deadline: an ASan build is 2-3x slower and other suites may share
# the CPU. Timeouts that CivetWeb's own timers enforce get the smaller TIMER_SLACK.
SLACK = 10.0
TIMER_SLACK = 3.0

RELOADED = "mshost_exporter_config_last_reload_successful"
# The password of docs/http.md's example hash.
AUTH_USER, AUTH_PASSWORD = "prometheus", "carol123"
AUTH_HASH = "$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu"


def offline_config(workdir):
    """A configuration whose database refuses connections: the exporter still serves."""
    password_file = os.path.join(workdir, "db.pass")
    with open(password_file, "w") as f:
        f.write("unused\n")
    return {
        "poll_interval": "1s",
        "targets": [{
            "name": "sec",
            "database": {"driver": "mysql", "host": "127.0.0.1",
                         "port": procs.closed_port(), "user": "exporter",
                         "password_file": password_file, "connect_timeout": "1s"},
            "probe": {"kind": "none"},
        }],
    }


def curl(*args, timeout=30):
    """Runs curl; returns (exit code, HTTP status as text, "000" when there was none)."""
    run = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                          "--max-time", str(int(timeout))] + list(args),
                         capture_output=True, text=True, timeout=timeout + 10,
                         stdin=subprocess.DEVNULL)
    return run.returncode, run.stdout.strip()


def raw_request(port, data, timeout=REQUEST_TIMEOUT + SLACK):
    """Sends `data` on a new connection and reads until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def resting_fd_count(pid):
    """The fewest descriptors over a moment: one the exporter opens for a moment (its
    database retry, once a poll) must not raise the bar a crowd has to reach."""
    fewest = fd_count(pid)
    for _ in range(10):
        time.sleep(0.02)
        fewest = min(fewest, fd_count(pid))
    return fewest


def listen_backlog(port):
    """The backlog of the socket listening on 127.0.0.1:port: `ss` shows it as a
    listening socket's Send-Q."""
    out = subprocess.run(["ss", "-ltnH", "sport = :%d" % port], check=True,
                         capture_output=True, text=True).stdout.split()
    return int(out[2])


def proc_status(pid, field):
    """A number from /proc/PID/status: "Threads", "VmRSS" (KiB)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """An exporter on plain HTTP with an unreachable database, for the HTTP limits."""
    workdir = str(tmp_path_factory.mktemp("limits"))
    exporter = procs.start_exporter(offline_config(workdir), workdir)
    yield exporter
    exporter.stop()


def assert_still_serving(exporter):
    assert exporter.running, exporter.log_tail()
    res = exporter.get("/metrics", timeout=REQUEST_TIMEOUT + SLACK)
    assert res.status_code == 200


# --- HTTPS, client certificates, basic auth ---------------------------------------

@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """A CA with a server certificate for IP 127.0.0.1 and a client certificate, and
    another CA with a client certificate of its own (same subject)."""
    return pki_lib.make(str(tmp_path_factory.mktemp("tls")), "msx security",
                        ("ca", "other-ca"),
                        (("server", "server", "ca", "server"),
                         ("client", "prometheus", "ca", "client"),
                         ("rogue", "prometheus", "other-ca", "client")))


def test_https_with_client_certificate_and_basic_auth(certs, tmp_path):
    web = procs.write_config(
        "tls_server_config:\n"
        "  cert_file: server.pem\n  key_file: server.key\n"
        "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n"
        "basic_auth_users:\n  %s: %s\n" % (AUTH_USER, AUTH_HASH), certs("web.yml"))
    workdir = str(tmp_path)
    ex = procs.start_exporter(offline_config(workdir), workdir,
                              args=["--web.config.file=" + web], wait_ready=False)
    try:
        # The handshake has a deadline too: a client that connects and says nothing.
        silent = socket.create_connection(("127.0.0.1", ex.port))
        silent_since = time.monotonic()

        url = "https://127.0.0.1:%d" % ex.port
        trusted = ["--cacert", certs("ca.pem")]
        good_cert = ["--cert", certs("client.pem"), "--key", certs("client.key")]
        rogue_cert = ["--cert", certs("rogue.pem"), "--key", certs("rogue.key")]
        good_auth = ["-u", "%s:%s" % (AUTH_USER, AUTH_PASSWORD)]
        wrong_password = "Wr0ngBasicAuthCanary"

        wait_until(lambda: curl(*trusted, *good_cert, *good_auth, url + "/-/ready")
                   == (0, "200"), 30, "/-/ready over HTTPS")
        for path in ("/metrics", "/", "/api/v1/status", "/probe?target=sec"):
            assert curl(*trusted, *good_cert, *good_auth, url + path) == (0, "200"), path
        assert curl(*trusted, *good_cert, "-u", AUTH_USER + ":" + wrong_password,
                    url + "/metrics") == (0, "401")
        assert curl(*trusted, *good_cert, "-u", "nobody:" + AUTH_PASSWORD,
                    url + "/metrics") == (0, "401")
        assert curl(*trusted, *good_cert, url + "/metrics") == (0, "401")
        assert curl(*trusted, *good_cert, url + "/nothing") == (0, "401")  # before routing
        for tls_max in ("1.2", "1.3"):
            # No certificate, or one from another CA: no HTTP answer at all.
            for cert in ([], rogue_cert):
                code, status = curl("--tls-max", tls_max, *trusted, *cert, *good_auth,
                                    url + "/metrics")
                assert code != 0 and status == "000", (tls_max, cert, code, status)
        # Plain HTTP to the HTTPS port gets no HTTP answer either.
        code, status = curl(*good_auth, "http://127.0.0.1:%d/metrics" % ex.port)
        assert code != 0 and status == "000", (code, status)

        silent.settimeout(REQUEST_TIMEOUT + SLACK)
        assert silent.recv(1) == b""
        assert time.monotonic() - silent_since < REQUEST_TIMEOUT + TIMER_SLACK
        silent.close()

        assert curl(*trusted, *good_cert, *good_auth, url + "/metrics") == (0, "200")
        # The four refused handshakes (no certificate, a rogue one; TLS 1.2 and 1.3)
        # are counted; plain HTTP may or may not be (OpenSSL sends no alert for it).
        metrics = requests.get(url + "/metrics", verify=certs("ca.pem"),
                               cert=(certs("client.pem"), certs("client.key")),
                               auth=(AUTH_USER, AUTH_PASSWORD), timeout=10).text
        failures = value(procs.parse_exposition(metrics),
                         "mshost_exporter_tls_handshake_failures_total")
        assert 4 <= failures <= 5, failures
        log = ex.log()
        assert "certificate" in log  # the refused handshakes are logged...
        assert AUTH_PASSWORD not in log and wrong_password not in log  # ...passwords not
    finally:
        ex.stop()


# --- database credentials ----------------------------------------------------------

# Distinctive cores, searched for in everything the exporter says; the rest of each
# password tests quoting (space, quote, backslash).
GOOD_CORE, WRONG_CORE, INLINE_CORE = "GoodCanary7Q9x", "WrongCanary4X2z", "InlineCanary3K8w"
GOOD_PASSWORD = GOOD_CORE + " 'q\\z"
WRONG_PASSWORD = WRONG_CORE + "'\\"
LEAK_USER = "leaktest"


def create_leak_user(db):
    """A SELECT-only user like the suite's exporter user, with GOOD_PASSWORD."""
    if db.driver == "mysql":
        db.execute("CREATE USER '%s'@'%%%%' IDENTIFIED BY %%s" % LEAK_USER, (GOOD_PASSWORD,))
        for table in ("mshost", "mshost_peer", "mshost_status"):
            db.execute("GRANT SELECT ON cloud.%s TO '%s'@'%%'" % (table, LEAK_USER))
    else:
        db.execute("CREATE ROLE %s LOGIN PASSWORD %%s" % LEAK_USER, (GOOD_PASSWORD,))
        db.execute("GRANT CONNECT ON DATABASE cloud TO %s" % LEAK_USER)
        db.execute("GRANT USAGE ON SCHEMA public TO %s" % LEAK_USER)
        db.execute("GRANT SELECT ON mshost, mshost_peer, mshost_status TO %s" % LEAK_USER)


def leak_config(db, **password):
    database = db.config_yaml_database(user=LEAK_USER, password_file=None,
                                       connect_timeout="1s", query_timeout="1s")
    database.update(password)
    return {
        "poll_interval": "500ms",
        "targets": [{"name": "sec", "database": database, "probe": {"kind": "none"}}],
    }


class Witness:
    """Everything the exporters said, to search for the passwords at the end."""

    def __init__(self, exporters):
        self.exporters = exporters
        self.texts = []

    def look(self):
        for ex in self.exporters:
            for path in ("/metrics", "/probe?target=sec", "/api/v1/status", "/"):
                res = ex.get(path)
                self.texts.append("%s %s: %s %s" % (ex, path, res.headers, res.text))

    def reload(self, ex):
        res = ex.post("/-/reload")
        self.texts.append("%s /-/reload: %s %s" % (ex, res.headers, res.text))
        return res

    def wait_up(self, want, what):
        for ex in self.exporters:
            wait_until(lambda: value(ex.metrics(), "cloudstack_mshost_up") == want,
                       30, "%s: %s" % (ex, what))
        self.look()


def test_database_passwords_never_leak(db, tmp_path, monkeypatch):
    create_leak_user(db)
    db.execute("DELETE FROM mshost")
    db.insert_mshost(7, name="leak-node", last_update=None)
    monkeypatch.setenv("MSX_LEAK_PASSWORD", GOOD_PASSWORD)
    monkeypatch.setenv("MSX_LEAK_WRONG", WRONG_PASSWORD)
    password_file = str(tmp_path / "db.pass")
    with open(password_file, "w") as f:
        f.write(GOOD_PASSWORD + "\n")
    good = {"file": leak_config(db, password_file=password_file),
            "env": leak_config(db, password_env="MSX_LEAK_PASSWORD")}
    exporters = {kind: procs.start_exporter(config, str(tmp_path / kind),
                                            args=["--log.level=debug"])
                 for kind, config in good.items()}
    witness = Witness(list(exporters.values()))
    try:
        witness.wait_up(1, "connected with the right password")

        # A bad configuration, by SIGHUP and by /-/reload: dead_after > stale_after,
        # and the password written inline.
        for kind, ex in exporters.items():
            bad = leak_config(db, password=GOOD_PASSWORD)
            bad["targets"][0]["heartbeat"] = {"stale_after": "1s", "dead_after": "3s"}
            ex.write_config(bad)
            ex.reload()
            wait_until(lambda: value(ex.metrics(), RELOADED) == 0, 30, "failed reload")
            res = witness.reload(ex)
            assert res.status_code == 500 and "dead_after" in res.text, res.text

        # The wrong password.
        with open(password_file, "w") as f:
            f.write(WRONG_PASSWORD + "\n")
        exporters["file"].write_config(good["file"])
        exporters["env"].write_config(leak_config(db, password_env="MSX_LEAK_WRONG"))
        for ex in exporters.values():
            assert witness.reload(ex).status_code == 200
        witness.wait_up(0, "refused with the wrong password")

        with open(password_file, "w") as f:
            f.write(GOOD_PASSWORD + "\n")
        exporters["env"].write_config(good["env"])
        for ex in exporters.values():
            assert witness.reload(ex).status_code == 200
        witness.wait_up(1, "connected again")

        # The database going away under an open connection.
        db.stop()
        witness.wait_up(0, "database down")
    finally:
        db.start()
        for ex in exporters.values():
            ex.stop()

    logs = {kind: ex.log() for kind, ex in exporters.items()}
    for kind, log in logs.items():
        # The errors were provoked: the log says so (without the passwords).
        assert "reload failed" in log and "dead_after" in log, log
        assert ("Access denied" in log or "password authentication failed" in log), log
        assert "password written in the config file" in log, log
    everything = "\n".join(list(logs.values()) + witness.texts)
    for secret in (GOOD_CORE, WRONG_CORE):
        assert secret not in everything, "%s leaked:\n%s" % (secret, "\n".join(
            line for line in everything.splitlines() if secret in line)[:3000])


def test_inline_password_is_warned_about_and_never_shown(tmp_path):
    config = offline_config(str(tmp_path))
    database = config["targets"][0]["database"]
    del database["password_file"]
    database["password"] = INLINE_CORE + " 'x\\"
    path = procs.write_config(config, str(tmp_path / "inline.yml"))
    check = procs.run_exporter(["check-config", "--config.file=" + path])
    assert check.returncode == 0, check.stderr
    assert "password written in the config file; prefer password_file or password_env" \
        in check.stderr
    ex = procs.start_exporter(config, str(tmp_path / "run"), args=["--log.level=debug"])
    try:
        seen = [ex.get(p).text for p in ("/metrics", "/api/v1/status", "/")]
        assert "password written in the config file" in ex.log()
    finally:
        ex.stop()
    for text in [check.stdout, check.stderr, ex.log()] + seen:
        assert INLINE_CORE not in text, text


# --- HTTP limits ---------------------------------------------------------------------

def test_slow_clients_are_cut_off_and_do_not_delay_a_scrape(plain):
    """SLOW clients trickle header bytes and one says nothing: each is cut off
    REQUEST_TIMEOUT after a thread takes it, and a scrape meanwhile is served at
    once (they hold threads, but not all of them)."""
    start = time.monotonic()
    closed_after = {}
    stop = threading.Event()

    def trickle(i):
        with socket.create_connection(("127.0.0.1", plain.port)) as s:
            s.settimeout(0.2)
            data = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: 1\r\n" * 1000
            for byte in data:
                try:
                    s.send(bytes([byte]))
                    if s.recv(4096) == b"":
                        break  # closed by the server
                except socket.timeout:
                    pass
                except OSError:
                    break  # reset by the server
                if stop.is_set():
                    return
            closed_after[i] = time.monotonic() - start

    def silent(i):
        with socket.create_connection(("127.0.0.1", plain.port)) as s:
            s.settimeout(3 * REQUEST_TIMEOUT + SLACK)
            try:
                s.recv(1)
            except OSError:
                pass
            closed_after[i] = time.monotonic() - start

    baseline = resting_fd_count(plain.pid)
    threads = [threading.Thread(target=trickle, args=(i,), daemon=True)
               for i in range(SLOW)]
    threads.append(threading.Thread(target=silent, args=("silent",), daemon=True))
    for t in threads:
        t.start()
    try:
        wait_until(lambda: fd_count(plain.pid) >= baseline + SLOW + 1, SLACK,
                   "the slow clients accepted", interval=0.02)
        asked = time.monotonic()
        res = plain.get("/metrics", timeout=REQUEST_TIMEOUT + SLACK)
        waited = time.monotonic() - asked
        assert res.status_code == 200
        assert waited < REQUEST_TIMEOUT - 1.0, waited
        for t in threads:
            t.join(3 * REQUEST_TIMEOUT + SLACK)
    finally:
        stop.set()
    assert len(closed_after) == SLOW + 1, closed_after
    assert all(REQUEST_TIMEOUT - 1.0 < t < REQUEST_TIMEOUT + TIMER_SLACK
               for t in closed_after.values()), closed_after
    assert_still_serving(plain)


def test_idle_keep_alive_connection_is_closed(plain):
    request = b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", plain.port)) as s:
        s.settimeout(KEEP_ALIVE_TIMEOUT + SLACK)
        answers = b""
        for _ in range(2):  # kept alive between requests that follow each other
            s.sendall(request)
            while answers.count(b"Healthy.\n") < _ + 1:
                chunk = s.recv(4096)
                assert chunk, "closed after %d answers: %r" % (_, answers)
                answers += chunk
        idle_since = time.monotonic()
        assert s.recv(4096) == b""
        idle = time.monotonic() - idle_since
    assert KEEP_ALIVE_TIMEOUT * 0.5 < idle < KEEP_ALIVE_TIMEOUT + TIMER_SLACK, idle


def test_oversized_and_overfull_requests_are_refused(plain, tmp_path):
    url = plain.url
    # Request line and headers: over MAX_HEAD_BYTES is 400, and the connection closes.
    assert curl("-H", "X-Big: " + "a" * (MAX_HEAD_BYTES + 100), url + "/metrics") == \
        (0, "400")
    assert curl(url + "/" + "p" * (MAX_HEAD_BYTES + 100)) == (0, "400")
    assert raw_request(plain.port, b"GET /metrics HTTP/1.1\r\nX-Big: " +
                       b"a" * (MAX_HEAD_BYTES + 100) + b"\r\n\r\n").startswith(
                           b"HTTP/1.0 400 ")
    # Header count: curl sends Host, User-Agent and Accept itself.
    extra = lambda n: [a for i in range(n) for a in ("-H", "X-H%d: v" % i)]  # noqa: E731
    assert curl(*extra(MAX_HEADERS - 3), url + "/metrics") == (0, "200")
    assert curl(*extra(MAX_HEADERS - 2), url + "/metrics") == (0, "431")
    assert curl(*extra(500), url + "/metrics") == (0, "431")
    # Bodies over MAX_BODY_BYTES, announced or chunked, are refused without reading them.
    # The client gets the 413; closing with its body unread makes the kernel reset the
    # connection, which curl, still sending, may see after the answer (exit 56).
    big = tmp_path / "big"
    big.write_bytes(b"x" * (8 * 1024 * 1024))
    started = time.monotonic()
    for body_args in ([], ["-H", "Transfer-Encoding: chunked", "-H", "Expect:"]):
        code, status = curl("-X", "POST", *body_args, "--data-binary", "@%s" % big,
                            url + "/-/reload")
        assert status == "413" and code in (0, 56), (body_args, code, status)
    assert time.monotonic() - started < SLACK
    assert curl("-X", "POST", "--data-binary", "x" * MAX_BODY_BYTES,
                url + "/-/reload") == (0, "200")
    # Each refusal is counted by its code (the fixture is shared: at least these).
    samples = plain.metrics()
    for code, at_least in (("400", 3), ("431", 2), ("413", 2)):
        assert value(samples, "mshost_exporter_http_refused_total", code=code) >= \
            at_least, code
    assert_still_serving(plain)


def test_a_crowd_of_connections_costs_bounded_descriptors(plain):
    baseline = fd_count(plain.pid)
    bound = baseline + THREADS + CONNECTION_QUEUE + 8
    peak = baseline

    # 500 requests at once: all answered.
    sel = selectors.DefaultSelector()
    answers = {}
    request = b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    for i in range(500):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", plain.port))
        sel.register(s, selectors.EVENT_WRITE, [i, b""])
    deadline = time.monotonic() + 30 + SLACK
    while sel.get_map() and time.monotonic() < deadline:
        for key, events in sel.select(0.1):
            s, (i, got) = key.fileobj, key.data
            try:
                if events & selectors.EVENT_WRITE:
                    s.sendall(request)
                    sel.modify(s, selectors.EVENT_READ, key.data)
                    continue
                chunk = s.recv(65536)
            except OSError as e:
                chunk, got = b"", got + repr(e).encode()
            if chunk:
                key.data[1] = got + chunk
                continue
            answers[i] = got.split(b"\r\n", 1)[0]
            sel.unregister(s)
            s.close()
        peak = max(peak, fd_count(plain.pid))
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    statuses = set(answers.values())
    assert len(answers) == 500 and statuses == {b"HTTP/1.1 200 OK"}, (len(answers),
                                                                       statuses)

    # More connections than threads that say nothing: the exporter holds only a
    # thread's and the queue's worth; the kernel's listen backlog holds the rest.
    crowd = []
    try:
        # In batches the listen backlog holds, so that no SYN is dropped and
        # retried seconds later, after the first ones have been cut off.
        for _ in range((THREADS + CONNECTION_QUEUE + 100) // 100):
            batch = []
            for _ in range(100):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", plain.port))
                batch.append(s)
            crowd += batch
            pending = list(batch)
            deadline = time.monotonic() + SLACK
            while pending and time.monotonic() < deadline:
                _, writable, _ = select.select([], pending, [], 0.1)
                pending = [s for s in pending if s not in writable]
        wait_until(lambda: fd_count(plain.pid) >= baseline + THREADS, 10 + SLACK,
                   "the crowd taking every thread")
        for _ in range(10):
            peak = max(peak, fd_count(plain.pid))
            time.sleep(0.05)
    finally:
        for s in crowd:
            s.close()
    assert peak <= bound, "%d descriptors open, baseline %d" % (peak, baseline)
    assert_still_serving(plain)
    wait_until(lambda: fd_count(plain.pid) <= baseline + 2, 10 + SLACK,
               "the crowd's descriptors closed")


def test_a_crowd_of_idle_connections_does_not_delay_a_scrape(plain):
    """CROWD connections send half a request and wait. Each must hold nothing a new
    client needs: a scrape during the crowd answers 200 at once (the goal is 1 s; the
    bound here is REQUEST_TIMEOUT - 1 so that a loaded machine does not fail it,
    while a server whose threads the crowd holds cannot answer before the first of
    them is cut off, REQUEST_TIMEOUT later). After the crowd goes, descriptors and
    threads are back where they were and RSS within CROWD_RSS_KIB of it."""
    # The kernel completes every handshake of the crowd at once: a dropped SYN is
    # retried 1, 3, 7 s later, after the first of the crowd has been cut off.
    assert listen_backlog(plain.port) >= CROWD
    baseline_fds = resting_fd_count(plain.pid)
    baseline_threads = proc_status(plain.pid, "Threads")
    assert plain.get("/metrics").status_code == 200  # the scrape's own pages touched
    baseline_rss = proc_status(plain.pid, "VmRSS")
    half = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Half: "
    crowd = []
    try:
        for _ in range(CROWD):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", plain.port))
            crowd.append(s)
        sent = set()

        def send_halves():
            for s in crowd:
                if s.fileno() in sent:
                    continue
                try:
                    s.send(half)
                    sent.add(s.fileno())
                except (BlockingIOError, OSError):
                    pass  # not connected yet
            return len(sent) == CROWD
        wait_until(send_halves, SLACK, "the crowd connected", interval=0.02)
        # The exporter has taken every one of them (none waits in the kernel ahead
        # of the next client).
        wait_until(lambda: fd_count(plain.pid) >= baseline_fds + CROWD, SLACK,
                   "the exporter holding the %d idle connections" % CROWD,
                   interval=0.02)
        asked = time.monotonic()
        res = plain.get("/metrics", timeout=REQUEST_TIMEOUT + SLACK)
        waited = time.monotonic() - asked
        assert res.status_code == 200
        assert "mshost_exporter_build_info" in res.text
        assert waited < REQUEST_TIMEOUT - 1.0, \
            "a scrape behind %d idle connections took %.2f s" % (CROWD, waited)
        # Still held: the scrape was served beside the crowd, not after it left.
        assert fd_count(plain.pid) >= baseline_fds + CROWD
        assert proc_status(plain.pid, "Threads") == baseline_threads
    finally:
        for s in crowd:
            s.close()
    wait_until(lambda: fd_count(plain.pid) <= baseline_fds, 10 + SLACK,
               "the crowd's descriptors closed")
    assert proc_status(plain.pid, "Threads") == baseline_threads
    rss = proc_status(plain.pid, "VmRSS")
    # ASan keeps an allocator cache per thread, and the crowd reached CROWD workers
    # (docs/soak.md): allowed once per connection there, not in the plain build.
    allowed = CROWD_RSS_KIB + (64 * CROWD if procs.is_asan_build() else 0)
    assert rss <= baseline_rss + allowed, (baseline_rss, rss)
    assert_still_serving(plain)


def test_web_config_changes_apply_without_restart(certs, tmp_path):
    """A rotated certificate (new files under the same names) is served from the next
    handshake, a new user logs in, and a broken file keeps the last good
    configuration, says so in the log and in a metric."""
    d = str(tmp_path)
    path = lambda name: os.path.join(d, name)  # noqa: E731
    pki_lib.issue(path, "next", "rotated", certs("ca.pem"), certs("ca.key"),
                  certs("server.ext"))
    for name in ("server.pem", "server.key"):
        with open(certs(name), "rb") as src, open(path("live-" + name), "wb") as dst:
            dst.write(src.read())
    web_text = ("tls_server_config:\n  cert_file: live-server.pem\n"
                "  key_file: live-server.key\nbasic_auth_users:\n  %s\n")
    web = procs.write_config(web_text % ("%s: %s" % (AUTH_USER, AUTH_HASH)),
                             path("web.yml"))
    ex = procs.start_exporter(offline_config(d), d, args=["--web.config.file=" + web],
                              wait_ready=False)
    url = "https://127.0.0.1:%d" % ex.port

    def served_certificate():
        return ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", ex.port)))

    def der(name):
        with open(name) as f:
            return ssl.PEM_cert_to_DER_cert(f.read())

    def get(user, password, path="/-/healthy"):
        return requests.get(url + path, auth=(user, password), verify=certs("ca.pem"),
                            timeout=10)

    def reload_ok():
        text = get(AUTH_USER, AUTH_PASSWORD, "/metrics").text
        return value(procs.parse_exposition(text),
                     "mshost_exporter_web_config_last_reload_successful")

    try:
        assert served_certificate() == der(certs("server.pem"))
        assert get(AUTH_USER, AUTH_PASSWORD).status_code == 200
        assert get("alice", AUTH_PASSWORD).status_code == 401
        assert reload_ok() == 1

        # Rotation as certbot does it: new files renamed over the old names.
        for src, dst in (("next.key", "live-server.key"), ("next.pem", "live-server.pem")):
            os.replace(path(src), path(dst))
        assert served_certificate() == der(path("live-server.pem"))
        assert get(AUTH_USER, AUTH_PASSWORD).status_code == 200

        # A new user, and the same file rewritten in place.
        procs.write_config(web_text % ("%s: %s\n  alice: %s" % (
            AUTH_USER, AUTH_HASH, AUTH_HASH)), web)
        assert get("alice", AUTH_PASSWORD).status_code == 200
        assert reload_ok() == 1

        # Broken: the last good configuration stays (alice still logs in).
        procs.write_config("tls_server_config: [\n", web)
        assert get("alice", AUTH_PASSWORD).status_code == 200
        assert reload_ok() == 0
        assert served_certificate() == der(path("live-server.pem"))
        assert "cannot reload the web config; keeping the last good one" in ex.log()
        assert ex.log().count("cannot reload the web config") == 1  # once per change

        # Fixed, without alice.
        procs.write_config(web_text % ("%s: %s" % (AUTH_USER, AUTH_HASH)), web)
        assert get("alice", AUTH_PASSWORD).status_code == 401
        assert reload_ok() == 1
    finally:
        ex.stop()
