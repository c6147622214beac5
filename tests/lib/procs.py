"""The built exporter as a child process, any other server as a Process, and small
stand-ins for what the exporter probes.

    exporter = start_exporter({"poll_interval": "500ms", "targets": [...]}, workdir)
    exporter.metrics()[("cloudstack_mshost_up", frozenset())]      # -> 1.0
    exporter.get("/probe", params={"target": "x"}).status_code     # -> 400
    exporter.write_config(changed); exporter.reload()                # SIGHUP
    exporter.stop()                                                  # by PID
    run_exporter(["check", "--config.file=" + path])                 # a subcommand

The binary is $MSX_BUILD_DIR/mshost_exporter (default <repo>/build). The config
dict is written as YAML into `workdir`; unless the caller chose an address, the
exporter listens on 127.0.0.1 port 0 and the port it got is read from its log, so
no two tests can race for a port. Its stderr (the log) goes to workdir/exporter.log
and is shown in every failure to start. Objects are not thread-safe; each belongs
to one fixture. Exporters still running when Python exits are killed.
"""
import atexit
import os
import re
import signal
import socket
import subprocess
import threading
import time

import requests
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = os.environ.get("MSX_BUILD_DIR", os.path.join(HERE, "..", "..", "build"))
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0

_live = []  # every Exporter started here, for the exit handler


def exporter_binary():
    path = os.path.join(BUILD_DIR, "mshost_exporter")
    if not os.access(path, os.X_OK):
        raise RuntimeError("%s not built: run cmake --build %s --target mshost_exporter"
                           % (path, BUILD_DIR))
    return path


def write_config(config, path):
    """Writes `config` (a dict, or YAML text as a str) to `path`; returns path."""
    with open(path, "w", encoding="utf-8") as f:
        if isinstance(config, str):
            f.write(config)
        else:
            yaml.safe_dump(config, f, sort_keys=False)
    return path


def run_exporter(args, timeout=60.0):
    """Runs the binary with `args` to the end (check, check-config, a bad start);
    returns subprocess.CompletedProcess with text stdout and stderr."""
    return subprocess.run([exporter_binary()] + list(args), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def start_exporter(config, workdir, args=(), wait_ready=True, timeout=START_TIMEOUT):
    """Writes `config` to workdir/mshost_exporter.yml and starts the exporter on it.
    With wait_ready, returns once /-/ready answers 200; raises RuntimeError with the
    log's tail if it exits or is not ready by `timeout` seconds."""
    os.makedirs(workdir, exist_ok=True)
    exporter = Exporter(config, workdir, args)
    try:
        exporter.wait_listening(timeout)
        if wait_ready:
            exporter.wait_ready(timeout)
    except BaseException:
        exporter.stop()
        raise
    return exporter


class Process:
    """A child process with its output in workdir/<name>.log, in a session of its
    own, stopped by PID (SIGTERM, then SIGKILL): a server the suites or bench/ start
    (Prometheus, Alertmanager, a peer exporter)."""

    def __init__(self, name, args, workdir, env=None):
        os.makedirs(workdir, exist_ok=True)
        self.name = name
        self.workdir = workdir
        self.log_path = os.path.join(workdir, name + ".log")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=workdir, env=env,
                                         start_new_session=True)
        self.pid = self.proc.pid

    def running(self):
        return self.proc.poll() is None

    def stop(self, timeout=10.0):
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"


class Exporter:
    """A running exporter. Attributes: binary, workdir, config_path, log_path, proc,
    pid, port, address ("127.0.0.1:PORT") and url ("http://127.0.0.1:PORT") once
    listening."""

    def __init__(self, config, workdir, args=()):
        self.binary = exporter_binary()
        self.workdir = os.path.abspath(workdir)
        self.config_path = write_config(config, os.path.join(self.workdir,
                                                             "mshost_exporter.yml"))
        self.log_path = os.path.join(self.workdir, "exporter.log")
        args = list(args)
        chose_address = any(a.startswith("--web.listen-address") for a in args) or (
            isinstance(config, dict) and "listen_address" in (config.get("web") or {}))
        if not chose_address:
            args.append("--web.listen-address=127.0.0.1:0")
        self._log_offset = os.path.getsize(self.log_path) if os.path.exists(
            self.log_path) else 0
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "--config.file=" + self.config_path] + args,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.workdir, start_new_session=True)
        self.pid = self.proc.pid
        self.port = None
        self.address = self.url = None
        _live.append(self)

    # --- lifecycle -------------------------------------------------------------

    @property
    def running(self):
        return self.proc.poll() is None

    def wait_listening(self, timeout=START_TIMEOUT):
        """Reads the bound port from the log line `msg="listening" ... port=N`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(r'listening.*?\bport"?[=:]"?(\d+)', self._log_since_start())
            if match:
                self.port = int(match.group(1))
                self.address = "127.0.0.1:%d" % self.port
                self.url = "http://" + self.address
                return
            if not self.running:
                break
            time.sleep(0.05)
        raise RuntimeError("mshost_exporter %s (exit code %s)\n%s" % (
            "exited" if not self.running else "did not listen within %.0fs" % timeout,
            self.proc.poll(), self.log_tail()))

    def wait_ready(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline and self.running:
            try:
                status = requests.get(self.url + "/-/ready", timeout=2).status_code
                if status == 200:
                    return
            except requests.RequestException as e:
                status = repr(e)
            time.sleep(0.05)
        raise RuntimeError("mshost_exporter not ready within %.0fs (last answer: %s, exit "
                           "code %s)\n%s" % (timeout, status, self.proc.poll(),
                                             self.log_tail()))

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM by PID, SIGKILL after `timeout` seconds; returns the exit code."""
        if self.running:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in _live:
            _live.remove(self)
        return self.proc.returncode

    def signal(self, signum):
        self.proc.send_signal(signum)

    def reload(self):
        """SIGHUP: re-read the config file."""
        self.signal(signal.SIGHUP)

    def write_config(self, config):
        """Replaces the config file (a dict or YAML text); takes effect on reload."""
        write_config(config, self.config_path)

    def _log_since_start(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                f.seek(self._log_offset)
                return f.read()
        except OSError:
            return ""

    def log(self):
        """Everything this process has logged so far."""
        return self._log_since_start()

    def log_tail(self, lines=40):
        return "".join(self._log_since_start().splitlines(True)[-lines:])

    # --- HTTP ------------------------------------------------------------------

    def get(self, path, **kwargs):
        kwargs.setdefault("timeout", 5)
        return requests.get(self.url + path, **kwargs)

    def post(self, path, **kwargs):
        kwargs.setdefault("timeout", 10)
        return requests.post(self.url + path, **kwargs)

    def scrape(self, path="/metrics", params=None):
        """The exposition text of `path`; raises unless the answer is 200."""
        res = self.get(path, params=params)
        res.raise_for_status()
        return res.text

    def metrics(self, path="/metrics", params=None):
        """{(name, frozenset(labels.items())): value} of one scrape."""
        return parse_exposition(self.scrape(path, params))

    def probe(self, target):
        return self.metrics("/probe", {"target": target})

    def status(self):
        res = self.get("/api/v1/status")
        res.raise_for_status()
        return res.json()

    def __repr__(self):
        return "Exporter(pid=%s, url=%s)" % (self.pid, self.url)


# --- exposition text -------------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def parse_exposition(text):
    """Prometheus text format 0.0.4 -> {(name, frozenset(labels.items())): value}.
    Raises ValueError on a line it cannot read, so a broken scrape fails loudly."""
    samples = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if not match:
            raise ValueError("line %d: not a sample: %r" % (number, line))
        name, label_text, value = match.groups()
        labels = {}
        pos = 0
        label_text = label_text or ""
        while pos < len(label_text):
            label = _LABEL.match(label_text, pos)
            if not label:
                raise ValueError("line %d: bad labels: %r" % (number, line))
            labels[label.group(1)] = re.sub(r'\\[\\"n]', lambda m: _UNESCAPE[m.group(0)],
                                            label.group(2))
            pos = label.end()
        key = (name, frozenset(labels.items()))
        if key in samples:
            raise ValueError("line %d: duplicate series %r" % (number, line))
        samples[key] = float(value)
    return samples


def select(samples, name, **labels):
    """{frozenset(labels): value} of the series of `name` whose labels include
    `labels`."""
    return {series_labels: value for (series_name, series_labels), value in samples.items()
            if series_name == name and all(dict(series_labels).get(k) == v
                                           for k, v in labels.items())}


def value(samples, name, **labels):
    """The one value of `name` with `labels`; None when absent; raises when several
    series match."""
    found = select(samples, name, **labels)
    if len(found) > 1:
        raise ValueError("%d series of %s match %r" % (len(found), name, labels))
    return next(iter(found.values())) if found else None


# --- stand-ins for management servers -----------------------------------------------

class TcpListener:
    """A port that accepts TCP connections and closes them, as a management server's
    cluster port would answer a TCP probe. close() stops listening (the port then
    refuses, as after a crash).

    With hold=True it accepts and then says nothing, holding each connection open
    until close(): a hung process whose kernel still completes the handshake. A tcp
    probe calls that alive (correctly: a JVM paused by GC looks the same); an http
    probe waits for a reply that never comes."""

    def __init__(self, host="127.0.0.1", hold=False, port=0):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(64)
        self.host = host
        self.port = self._sock.getsockname()[1]
        self._hold = hold
        self._held = []
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed
            if not self._hold:
                conn.close()
                continue
            with self._lock:
                self._held.append(conn)

    def close(self):
        if self._closed:
            return
        self._closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(5)
        with self._lock:
            for conn in self._held:
                conn.close()
            self._held = []


class HttpListener:
    """A port that answers every request with `HTTP/1.0 200 OK`, as a management
    server's HTTP port would answer an http probe. close() stops it."""

    def __init__(self, host="127.0.0.1", port=0):
        import http.server

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


def is_asan_build():
    """Whether the exporter under test is built with AddressSanitizer."""
    with open(os.path.join(BUILD_DIR, "mshost_exporter"), "rb") as f:
        return b"__asan_init" in f.read()


# Sockets behind closed_ports(): bound, never listening, kept for the life of the
# test process.
_held_closed = []


def closed_ports(count, host="127.0.0.1", hold=True):
    """`count` distinct ports nothing listens on: probes and connections are refused.

    With hold (the default) each port stays bound, without listening, until the test
    process ends: a released port can be handed out again at once, as another test's
    server port or as the ephemeral port of a connection (the exporter's own probe,
    which then connects to itself), and a "dead" node would answer (seen with suites
    in parallel). hold=False releases them, for a caller that binds them itself.
    """
    held = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(s)
            s.bind((host, 0))
        return [s.getsockname()[1] for s in held]
    finally:
        if hold:
            _held_closed.extend(held)
        else:
            for s in held:
                s.close()


def closed_port(host="127.0.0.1", hold=True):
    """A port nothing listens on; see closed_ports."""
    return closed_ports(1, host, hold)[0]


@atexit.register
def _kill_leftovers():
    for exporter in list(_live):
        if exporter.running:
            exporter.proc.kill()
            exporter.proc.wait()
