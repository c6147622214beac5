"""Start and drive the CloudStack simulator (tests/sim/mssim.py) from tests.

    sim = start_simulator(db, workdir, nodes=3, heartbeat_interval=0.5,
                          clock_offsets={"ms-2": "-40s"})
    sim.nodes["ms-2"]["msid"]        # "1099511627778" (strings, as the exporter's labels)
    event = sim.act("kill", "ms-2")  # returns the simulator's "killed" event, once it took effect
    sim.stop()

The simulator is a child process reading commands on stdin and printing one JSON event
per line on stdout; a reader thread collects those events, so a test waits for the
event that says an action took effect instead of sleeping. One Simulator is driven by
one test thread; its event list is guarded by a condition variable.
"""
import json
import os
import signal
import subprocess
import threading
import time

SIM_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim", "mssim.py")
PYTHON = "/usr/bin/python3"

# The event each node command prints when it has taken effect (docs/simulator.md).
EVENT_OF = {
    "kill": "killed", "stop": "stopped", "hang": "hung", "partition": "partitioned",
    "isolate": "isolated", "half-stop": "half-stopped",
    "resume": "resumed", "restart": "restarted", "start": "started",
    "shutdown-stuck": "shutdown-stuck", "clock": "clock",
    "prepare-shutdown": "shutdown-prepared", "cancel-shutdown": "shutdown-cancelled",
    "trigger-shutdown": "shutdown-triggered", "maintenance": "maintenance-set",
    "cancel-maintenance": "maintenance-cancelled", "reidentify": "reidentified",
}


class SimulatorError(RuntimeError):
    pass


class Simulator:
    def __init__(self, proc, log_path):
        self.proc = proc
        self.pid = proc.pid
        self.log_path = log_path
        self.events = []
        self.nodes = {}  # name -> {"msid", "port", "api_port", "runid"}, kept current from events
        self.ready = None  # the "ready" event
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self._cond:
                node = event.get("node")
                if node and "runid" in event and event["event"] in ("started", "restarted",
                                                                     "reidentified"):
                    self.nodes[node] = {"msid": event["msid"], "port": event["port"],
                                        "api_port": event.get("api_port"),
                                        "runid": event["runid"]}
                self.events.append(event)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def mark(self):
        """An index into the event list: wait_event(since=mark) ignores older events."""
        with self._cond:
            return len(self.events)

    def events_after(self, since, timeout):
        """(index, events): the events at index >= since, waiting up to `timeout`
        seconds for one; index is where the next call should start. For a reader
        that follows everything the simulator says (the demo)."""
        with self._cond:
            if len(self.events) <= since:
                self._cond.wait(timeout)
            return len(self.events), self.events[since:]

    def wait_event(self, name, node=None, since=0, timeout=15.0):
        """The first event `name` (for `node`, if given) at index >= since. Raises
        SimulatorError on timeout, on the simulator's exit, or when the simulator
        reports an error for that node instead."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events[since:]:
                    if node is not None and event.get("node") != node:
                        continue
                    if event["event"] == name:
                        return event
                    if event["event"] == "error" and node is not None:
                        raise SimulatorError(event.get("message", "error"))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SimulatorError("no %r event%s within %.0fs; log: %s"
                                         % (name, " for " + node if node else "", timeout,
                                            self.tail_log()))
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise SimulatorError("simulator exited (%s) before %r; log: %s"
                                         % (self.proc.returncode, name, self.tail_log()))
                self._cond.wait(min(left, 0.5))

    def send(self, line):
        """Writes one command line to the simulator's stdin."""
        self.proc.stdin.write(line.rstrip("\n") + "\n")
        self.proc.stdin.flush()

    def act(self, verb, node, *args, timeout=15.0):
        """Runs `verb node [args...]` (an offset, or options such as "abort",
        "step=0.5s") and returns the event saying it took effect; raises
        SimulatorError if the simulator refused it."""
        since = self.mark()
        self.send(" ".join((verb, node) + tuple(a for a in args if a)))
        return self.wait_event(EVENT_OF[verb], node=node, since=since, timeout=timeout)

    def status(self):
        since = self.mark()
        self.send("status")
        return {n["node"]: n for n in self.wait_event("status", since=since)["nodes"]}

    def msid(self, node):
        return self.nodes[node]["msid"]

    def tail_log(self, lines=20):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:]).strip() or "(empty)"
        except OSError:
            return "(no log)"

    def stop(self, timeout=10.0):
        """quit, then SIGTERM, then SIGKILL, by PID. Idempotent."""
        if self.proc.poll() is None:
            try:
                self.send("quit")
            except (OSError, ValueError):
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    os.kill(self.pid, signal.SIGKILL)
                    self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except (OSError, ValueError):
                pass
        self._reader.join(timeout=2)


def start_simulator(db, workdir, nodes=3, heartbeat_interval=1.5, clock_offsets=None,
                    extra_args=(), timeout=30.0, cloudstack_version=None):
    """Starts mssim against `db` (a db_servers.Database; it writes as the admin user)
    and returns once every node is Up ("ready"). clock_offsets: {"ms-2": "-40s"};
    cloudstack_version: "4.18" ... "4.21" (mssim's default, 4.20.1, when None)."""
    os.makedirs(workdir, exist_ok=True)
    password_file = os.path.join(workdir, "mssim.pass")
    with open(password_file, "w", encoding="utf-8") as f:
        f.write(db.admin_password or "")
    os.chmod(password_file, 0o600)
    args = [PYTHON, SIM_SCRIPT, "--driver", db.driver, "--host", db.host,
            "--port", str(db.port), "--user", db.admin_user,
            "--password-file", password_file, "--database", db.name,
            "--nodes", str(nodes), "--heartbeat-interval", "%gs" % heartbeat_interval]
    if cloudstack_version:
        args += ["--cloudstack-version", cloudstack_version]
    for node, offset in (clock_offsets or {}).items():
        args.append("--clock-offset=%s=%s" % (node, offset))
    args.extend(extra_args)
    log_path = os.path.join(workdir, "mssim.log")
    log = open(log_path, "w", encoding="utf-8")
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                            text=True, bufsize=1)
    log.close()
    sim = Simulator(proc, log_path)
    try:
        sim.ready = sim.wait_event("ready", timeout=timeout)
    except Exception:
        sim.stop()
        raise
    return sim
