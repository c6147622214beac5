"""Scale: one exporter watching 20 targets of 100 nodes each (2,000 nodes).

Each target is a database of its own (scale01 ... scale20) on the benchmark's
MariaDB, with CloudStack's schema and 100 current rows. Half of each target's nodes
name a real loopback listener (a child process accepting and closing connections on
1,000 ports), the other half a port nothing listens on, so probes both connect and
get refused. A writer refreshes every row's heartbeat every 1.5 s, as live
management servers do.

Measured over a window: the poll-and-probe cycle of every target
(cloudstack_mshost_poll_duration_seconds, one sample per poll), the latency of
scraping each target's /probe (one request per target per poll interval, the
busiest a Prometheus server would scrape), the exporter's peak RSS and its CPU
seconds per minute.
"""
import multiprocessing
import os
import re
import selectors
import socket
import threading
import time

import requests

import benchlib
from lib import procs

TARGETS = 20
NODES_PER_TARGET = 100
USER = "scale"
PASSWORD = "scale-pw"
SCHEMA = os.path.join(benchlib.ROOT, "tests", "sql", "mysql_schema.sql")


def _serve_listeners(sockets, ready):
    """Child process: accept on every socket and close at once, until killed."""
    selector = selectors.DefaultSelector()
    for sock in sockets:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    ready.set()
    while True:
        for key, _ in selector.select():
            try:
                conn, _ = key.fileobj.accept()
                conn.close()
            except OSError:
                pass


class Listeners:
    """`count` loopback ports that accept TCP connections, served by a child
    process; stop() closes them all."""

    def __init__(self, count):
        self.sockets = []
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sock.listen(128)
            self.sockets.append(sock)
        self.ports = [s.getsockname()[1] for s in self.sockets]
        ready = multiprocessing.Event()
        self.process = multiprocessing.Process(target=_serve_listeners,
                                               args=(self.sockets, ready), daemon=True)
        self.process.start()
        if not ready.wait(30):
            raise RuntimeError("listener process did not start")

    def stop(self):
        self.process.kill()
        self.process.join()
        for sock in self.sockets:
            sock.close()


def create_targets(db, live_ports, dead_ports):
    """Creates the 20 databases, their rows and a SELECT-only user; returns the
    database names."""
    import pymysql
    from pymysql.constants import CLIENT
    with open(SCHEMA) as f:
        schema = f.read()
    conn = pymysql.connect(host=db.host, port=db.port, user=db.admin_user,
                           password=db.admin_password, autocommit=True,
                           client_flag=CLIENT.MULTI_STATEMENTS)
    names = []
    try:
        cur = conn.cursor()
        cur.execute("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'" % (USER, PASSWORD))
        for t in range(TARGETS):
            name = "scale%02d" % (t + 1)
            names.append(name)
            cur.execute("CREATE DATABASE %s" % name)
            cur.execute("USE %s" % name)
            cur.execute(schema)
            while cur.nextset():
                pass
            for table in ("mshost", "mshost_peer", "mshost_status"):
                cur.execute("GRANT SELECT ON %s.%s TO '%s'@'%%'" % (name, table, USER))
            rows = []
            for n in range(NODES_PER_TARGET):
                index = t * NODES_PER_TARGET + n
                ports = live_ports if n % 2 == 0 else dead_ports
                rows.append((0x20000000000 + index, 1700000000000 + index,
                             "%s-n%03d" % (name, n + 1), "scale-uuid-%d" % index,
                             ports[index // 2]))
            cur.executemany(
                "INSERT INTO mshost (msid, runid, name, uuid, state, version, service_ip,"
                " service_port, last_update, alert_count) VALUES (%s, %s, %s, %s, 'Up',"
                " '4.20.0.0', '127.0.0.1', %s, UTC_TIMESTAMP(), 0)", rows)
    finally:
        conn.close()
    return names


class HeartbeatWriter(threading.Thread):
    """Refreshes last_update of every row of every target every 1.5 s."""

    def __init__(self, db, names):
        super().__init__(name="heartbeats", daemon=True)
        self.db = db
        self.names = names
        self.stopping = threading.Event()

    def run(self):
        conn = self.db.connect()
        try:
            cur = conn.cursor()
            while not self.stopping.wait(1.5):
                for name in self.names:
                    cur.execute("UPDATE %s.mshost SET last_update = UTC_TIMESTAMP()" % name)
        finally:
            conn.close()

    def stop(self):
        self.stopping.set()
        self.join(10)


POLLS = re.compile(r"^cloudstack_mshost_polls_total (\S+)$", re.M)
DURATION = re.compile(r"^cloudstack_mshost_poll_duration_seconds (\S+)$", re.M)


def run(db, workdir, window_seconds, log=print):
    """Runs the scale benchmark against `db` (a running db_servers.Database) and
    returns its figures."""
    live = Listeners(TARGETS * NODES_PER_TARGET // 2)
    dead = procs.closed_ports(TARGETS * NODES_PER_TARGET // 2, hold=False)
    names = create_targets(db, live.ports, dead)
    password_file = os.path.join(workdir, "scale.password")
    os.makedirs(workdir, exist_ok=True)
    with open(password_file, "w") as f:
        f.write(PASSWORD + "\n")
    writer = HeartbeatWriter(db, names)
    writer.start()
    exporter = None
    try:
        config = {"targets": [{"name": name, "database": db.config_yaml_database(
            user=USER, password_file=password_file, name=name)} for name in names]}
        exporter = procs.start_exporter(config, os.path.join(workdir, "exporter"))
        time.sleep(6)  # a few polls: connections open, silence estimates settle
        session = requests.Session()
        durations = {}  # (target, poll number) -> seconds
        scrape_ms = []
        bodies = {}
        cpu_start, start = benchlib.cpu_seconds(exporter.pid), time.monotonic()
        next_round = start
        while time.monotonic() - start < window_seconds:
            for name in names:
                t0 = time.monotonic()
                body = session.get(exporter.url + "/probe", params={"target": name},
                                   timeout=10).text
                scrape_ms.append((time.monotonic() - t0) * 1000)
                bodies[name] = body
                polls, duration = POLLS.search(body), DURATION.search(body)
                if polls and duration:
                    durations[(name, polls.group(1))] = float(duration.group(1))
            next_round += 2.0  # the default poll interval
            time.sleep(max(0.0, next_round - time.monotonic()))
        elapsed = time.monotonic() - start
        cpu = benchlib.cpu_seconds(exporter.pid) - cpu_start
        nodes = sum(body.count("\ncloudstack_mshost_info{") for body in bodies.values())
        cycles = list(durations.values())
        result = {
            "targets": len(names),
            "nodes": NODES_PER_TARGET * len(names),
            "nodes_seen": nodes,
            "cycle": benchlib.summary([c * 1000 for c in cycles]),
            "scrape": benchlib.summary(scrape_ms),
            "scrape_p99_ms": benchlib.percentile(scrape_ms, 0.99),
            "rss_kib": benchlib.peak_rss_kib(exporter.pid),
            "cpu_per_minute": cpu * 60 / elapsed,
            "window_seconds": elapsed,
            "rss_profile": benchlib.rss_profile(exporter.pid),
        }
        log("  scale: %d cycles, p95 %.0f ms; %d scrapes, p99 %.1f ms; RSS %.1f MiB; "
            "%.2f CPU s/min" % (len(cycles), result["cycle"]["p95"], len(scrape_ms),
                                result["scrape_p99_ms"], result["rss_kib"] / 1024,
                                result["cpu_per_minute"]))
        return result
    finally:
        if exporter is not None:
            exporter.stop()
        writer.stop()
        live.stop()
