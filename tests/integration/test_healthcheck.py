"""`mshost_exporter healthcheck` against a real running exporter (docs/operations.md,
"The healthcheck subcommand"): plain HTTP, HTTPS with basic auth, HTTPS requiring a
client certificate; settings from flags, from the configuration file and from the
environment (as a Docker HEALTHCHECK gets them); and its exit codes, 0 healthy and
1 for everything else: wrong password, missing credentials, a server presenting
another key than the web config's, a stopped exporter, an answer other than 200, a
bad flag.

The database is unreachable throughout: /-/healthy answers 200 while the process
runs, whatever the database does.
"""
import os
import subprocess

import pytest

from lib import pki as pki_lib  # noqa: E402
from lib import procs  # noqa: E402  (conftest.py put tests/ on sys.path)
from lib.prom_servers import wait_until  # noqa: E402

# The password of docs/http.md's example hash (as in test_security.py).
USER, PASSWORD = "prometheus", "carol123"
HASH = "$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu"
ENV_PREFIX = "MSHOST_EXPORTER_"


def offline_config(workdir, listen_address=None):
    password_file = os.path.join(workdir, "db.pass")
    with open(password_file, "w") as f:
        f.write("unused\n")
    config = {
        "poll_interval": "1s",
        "targets": [{
            "name": "hc",
            "database": {"driver": "mysql", "host": "127.0.0.1",
                         "port": procs.closed_port(), "user": "exporter",
                         "password_file": password_file, "connect_timeout": "1s"},
            "probe": {"kind": "none"},
        }],
    }
    if listen_address:
        config["web"] = {"listen_address": listen_address}
    return config


def healthcheck(*args, env=None):
    """Runs `mshost_exporter healthcheck ARGS` with only `env` of our variables set;
    returns (exit code, stdout + stderr)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    environ.update(env or {})
    run = subprocess.run([procs.exporter_binary(), "healthcheck"] + list(args),
                         capture_output=True, text=True, timeout=30, env=environ,
                         stdin=subprocess.DEVNULL)
    return run.returncode, run.stdout + run.stderr


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA; a server certificate for 127.0.0.1 and a second one with another key;
    a client certificate; one from another CA; the passwords in files."""
    path = pki_lib.make(str(tmp_path_factory.mktemp("pki")), "msx healthcheck",
                        ("ca", "rogue-ca"),
                        (("server", "server", "ca", "server"),
                         ("other", "other", "ca", "server"),
                         ("client", "client", "ca", "client"),
                         ("rogue", "rogue", "rogue-ca", "client")))
    with open(path("password"), "w") as f:
        f.write(PASSWORD + "\n")
    with open(path("wrong-password"), "w") as f:
        f.write("not-" + PASSWORD + "\n")
    return path


def web_config(pki, name, client_auth="NoClientCert", auth=True, cert="server"):
    text = ("tls_server_config:\n"
            "  cert_file: %s.pem\n  key_file: %s.key\n"
            "  client_auth_type: %s\n" % (cert, cert, client_auth))
    if client_auth != "NoClientCert":
        text += "  client_ca_file: ca.pem\n"
    if auth:
        text += "basic_auth_users:\n  %s: %s\n" % (USER, HASH)
    return procs.write_config(text, pki(name))


def start(workdir, args=()):
    os.makedirs(str(workdir), exist_ok=True)
    return procs.start_exporter(offline_config(str(workdir)), str(workdir), args=args,
                                wait_ready=False)


def test_plain_http_from_flag_and_from_config_file(tmp_path):
    ex = start(tmp_path / "ex")
    try:
        code, out = healthcheck("--web.listen-address=" + ex.address)
        assert (code, out) == (0, "healthy: http://%s/-/healthy answered 200\n" % ex.address)
        # No flag: the address is the configuration's web.listen_address, with the
        # wildcard host asked on loopback.
        config = procs.write_config(offline_config(str(tmp_path), ":%d" % ex.port),
                                    str(tmp_path / "listen.yml"))
        code, out = healthcheck("--config.file=" + config)
        assert code == 0, out
        assert "http://127.0.0.1:%d/-/healthy" % ex.port in out
        code, out = healthcheck(env={ENV_PREFIX + "CONFIG_FILE": config})
        assert code == 0, out
    finally:
        ex.stop()
    # The same command once the exporter is gone.
    code, out = healthcheck("--web.listen-address=" + ex.address)
    assert code == 1 and out.startswith("unhealthy: http://%s/-/healthy: " % ex.address), out


def test_https_with_basic_auth(pki, tmp_path):
    web = web_config(pki, "web-auth.yml")
    ex = start(tmp_path, args=["--web.config.file=" + web])
    try:
        address = "--web.listen-address=" + ex.address
        good = [address, "--web.config.file=" + web, "--username=" + USER,
                "--password-file=" + pki("password")]
        wait_until(lambda: healthcheck(*good)[0] == 0, 30, "healthcheck over HTTPS")
        code, out = healthcheck(*good)
        assert out == "healthy: https://%s/-/healthy answered 200\n" % ex.address

        code, out = healthcheck(address, "--web.config.file=" + web, "--username=" + USER,
                                "--password-file=" + pki("wrong-password"))
        assert (code, out) == (1, "unhealthy: https://%s/-/healthy answered 401\n"
                               % ex.address)
        code, out = healthcheck(address, "--web.config.file=" + web)
        assert code == 1
        assert "has basic_auth_users: give --username and --password-file" in out
        # Without the web config the check speaks plain HTTP to a TLS port: no answer.
        code, out = healthcheck(address)
        assert code == 1 and out.startswith("unhealthy: http://"), out

        # A web config naming another key than the one the server presents: the
        # password is never sent to it.
        other = web_config(pki, "web-other.yml", cert="other")
        code, out = healthcheck(address, "--web.config.file=" + other,
                                "--username=" + USER, "--password-file=" + pki("password"))
        assert code == 1 and "pinned public key" in out, out
        assert PASSWORD not in out

        # Everything from the environment, as the Docker image's HEALTHCHECK has it.
        code, out = healthcheck(env={
            ENV_PREFIX + "WEB_LISTEN_ADDRESS": ex.address,
            ENV_PREFIX + "WEB_CONFIG_FILE": web,
            ENV_PREFIX + "HEALTHCHECK_USERNAME": USER,
            ENV_PREFIX + "HEALTHCHECK_PASSWORD_FILE": pki("password")})
        assert code == 0, out
        # A flag wins over the environment.
        code, out = healthcheck("--password-file=" + pki("wrong-password"), env={
            ENV_PREFIX + "WEB_LISTEN_ADDRESS": ex.address,
            ENV_PREFIX + "WEB_CONFIG_FILE": web,
            ENV_PREFIX + "HEALTHCHECK_USERNAME": USER,
            ENV_PREFIX + "HEALTHCHECK_PASSWORD_FILE": pki("password")})
        assert code == 1 and out.endswith("answered 401\n"), out
    finally:
        ex.stop()


def test_https_requiring_a_client_certificate(pki, tmp_path):
    web = web_config(pki, "web-mtls.yml", client_auth="RequireAndVerifyClientCert")
    ex = start(tmp_path, args=["--web.config.file=" + web])
    try:
        base = ["--web.listen-address=" + ex.address, "--web.config.file=" + web,
                "--username=" + USER, "--password-file=" + pki("password")]
        cert = ["--client-cert-file=" + pki("client.pem"),
                "--client-key-file=" + pki("client.key")]
        wait_until(lambda: healthcheck(*base, *cert)[0] == 0, 30, "healthcheck with mTLS")
        code, out = healthcheck(*base)
        assert code == 1 and "requires a client certificate" in out, out
        # A certificate the client CA did not sign: the handshake fails.
        code, out = healthcheck(*base, "--client-cert-file=" + pki("rogue.pem"),
                                "--client-key-file=" + pki("rogue.key"))
        assert code == 1 and out.startswith("unhealthy: https://"), out
    finally:
        ex.stop()


class Answering:
    """A plain HTTP server answering every GET with `status`."""

    def __init__(self, status):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_any_answer_but_200_is_unhealthy():
    server = Answering(503)
    try:
        code, out = healthcheck("--web.listen-address=127.0.0.1:%d" % server.port)
        assert (code, out) == (1, "unhealthy: http://127.0.0.1:%d/-/healthy answered 503\n"
                               % server.port)
    finally:
        server.close()


def test_unusable_settings_are_unhealthy_never_2(tmp_path):
    # Docker reserves exit code 2; a check that cannot run says why and exits 1.
    code, out = healthcheck("--no-such-flag")
    assert code == 1 and "no-such-flag" in out, out
    code, out = healthcheck("--timeout=soon")
    assert code == 1 and "not a duration" in out, out
    code, out = healthcheck("--config.file=" + str(tmp_path / "missing.yml"))
    assert code == 1 and out.startswith("unhealthy: ") and "missing.yml" in out, out
    code, out = healthcheck("--web.listen-address=127.0.0.1:1",
                            "--web.config.file=" + str(tmp_path / "missing-web.yml"))
    assert code == 1 and "missing-web.yml" in out, out
