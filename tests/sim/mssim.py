#!/usr/bin/python3
"""mssim: simulated CloudStack management servers, for the demo and end-to-end tests.

Each simulated node behaves toward the database and the network like CloudStack's
ClusterManagerImpl, as the release given by --cloudstack-version does
(docs/simulator.md; docs/verdicts.md, "What CloudStack writes"):
  - on start it inserts or updates its mshost row: state Up (Maintenance kept on
    4.21), a new runid (its start time in ms), service_ip 127.0.0.1, service_port =
    its own cluster port, a TLS server that requires a client certificate;
  - every --heartbeat-interval it runs
      UPDATE mshost SET last_update=<its UTC clock, whole seconds>, removed=NULL,
      alert_count=0 WHERE id=? AND runid=?
    and scans its peers: it writes its mshost_peer row about a peer when the peer
    joins or leaves and when the peer's status message arrives (every
    --stats-interval); a peer that left gets its alert_count raised once, and from
    4.20.1 a silent row that is exactly Up, and that no peer row shows Up, is set
    Down after --heartbeat-threshold (150 s by default).
  - what a node holds (when the schema has `host` and `async_job`): on its first
    start it gets --agents-per-node agents (rows of host, Up, mgmt_server_id = its
    msid); while it runs it keeps --jobs-per-node async jobs in progress, each
    finishing after --job-duration (removed set and job_executing_msid cleared, as
    AsyncJobManagerImpl.completeAsyncJob does). A node that dies leaves both behind:
    its agents stay attributed to it until a live peer sees it leave (after the
    heartbeat threshold, every version: ClusteredAgentManagerImpl.onManagementNodeLeft)
    and takes them over; its jobs stay in progress until it starts again and fails
    them (AsyncJobDaoImpl.resetJobProcess).

Commands (stdin, one per line; the --control unix socket; or --cmd at start):
  kill, stop [abort], hang, partition, isolate, half-stop, resume, restart, start,
  shutdown-stuck, prepare-shutdown, cancel-shutdown, trigger-shutdown [abort] [step=D],
  maintenance [hold] [step=D], cancel-maintenance, reidentify NODE; clock NODE OFFSET;
  status; help; quit.
Each action prints one JSON line on stdout once it has taken effect.

One thread per node owns that node's database connection, its listening sockets and
its state, so commands are handed to it through a queue; connections to its ports are
answered on threads of their own.
"""
import argparse
import datetime
import json
import os
import queue
import re
import select
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import uuid as uuidlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lib.ports import free_port  # noqa: E402

# CloudStack's defaults (ClusterManagerImpl): cluster.heartbeat.interval and
# cluster.heartbeat.threshold.
DEFAULT_HEARTBEAT_INTERVAL = 1.5
DEFAULT_HEARTBEAT_THRESHOLD = 150.0
# msids are derived from MAC addresses in CloudStack (ManagementServerNode), so they are
# large but at most 2^48-1: the base below is 2^40. The last node is moved above 2^63
# on purpose, beyond anything CloudStack writes, to exercise the whole unsigned 64-bit
# range of the column that the exporter must read.
DEFAULT_MSID_BASE = 0x1_0000_0000_00
HIGH_BIT = 1 << 63
DB_TIMEOUT_SECONDS = 3
# The cluster servlet's answer to a peer that passed the TLS handshake.
HTTP_REPLY = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
              b"Connection: close\r\n\r\nok\n")
# What /client/api answers a request without a signature (--api-port).
_API_BODY = (b'{"errorresponse":{"uuidList":[],"errorcode":401,"errortext":'
             b'"unable to verify user credentials and/or request signature"}}')
API_REPLY = (b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json;charset=utf-8\r\n"
             b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(_API_BODY)) + _API_BODY
# How long a connection to either port may take to say something.
CONN_TIMEOUT_SECONDS = 2.0
# A hung node keeps accepting (the kernel does it for a paused JVM) but never
# answers; its connections are dropped after this long so they do not pile up.
HANG_HOLD_SECONDS = 5.0
# management.server.stats.interval: how often a node sends its status to its peers,
# which then refresh their mshost_peer row about it.
DEFAULT_STATS_INTERVAL = 60.0
# reidentify: the k-th new identity of a node is its first msid + k * this (a new
# MAC); with the default base the others stay below 2^48, the last node above 2^63.
REIDENTIFY_STEP = 1 << 32


class Version:
    """What one CloudStack release writes to mshost (docs/verdicts.md, "What CloudStack
    writes"): the values of ManagementServerHost.State, the state prepareForShutdown
    writes (None: no such API), whether prepareForMaintenance exists and a stop or
    start keeps a node in Maintenance (4.21, ClusterManagerImpl.start()/stop()), and
    whether live peers set a silent Up row Down (4.20.1, apache/cloudstack PR #9885,
    ClusterManagerImpl.processInactiveNodes)."""

    def __init__(self, name, states, prepare_shutdown=None, maintenance=False,
                 peers_clear=False):
        self.name = name
        # "4.20.1" -> "4.20.1.0", as the version column of a release reads.
        self.column = ".".join((name.split(".") + ["0", "0"])[:4])
        self.states = states
        self.prepare_shutdown = prepare_shutdown
        self.maintenance = maintenance
        self.peers_clear = peers_clear


STATES_418 = ("Up", "Down")
STATES_419 = STATES_418 + ("PreparingToShutDown", "ReadyToShutDown", "ShuttingDown")
STATES_421 = ("Up", "Down", "PreparingForMaintenance", "Maintenance", "PreparingForShutDown",
              "ReadyToShutDown", "ShuttingDown")
MAINTENANCE_STATES = ("PreparingForMaintenance", "Maintenance")
VERSIONS = {v.name: v for v in (
    Version("4.18", STATES_418),
    Version("4.19", STATES_419, "PreparingToShutDown"),
    Version("4.20.0", STATES_419, "PreparingToShutDown"),
    Version("4.20.1", STATES_419, "PreparingToShutDown", peers_clear=True),
    Version("4.21", STATES_421, "PreparingForShutDown", maintenance=True, peers_clear=True),
)}
DEFAULT_VERSION = "4.20.1"

_out_lock = threading.Lock()


def emit(event, **fields):
    """Prints one event as a JSON line: the simulator's only output on stdout."""
    record = {"event": event}
    record.update(fields)
    record["t"] = round(time.time(), 3)
    line = json.dumps(record, sort_keys=False)
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def log(message):
    with _out_lock:
        sys.stderr.write("mssim: %s\n" % message)
        sys.stderr.flush()


_DURATION = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)(ms|s|m|h)?$")


def parse_duration(text):
    """'-40s', '1.5s', '500ms', '2m', '3' (seconds) -> float seconds."""
    m = _DURATION.match(text.strip())
    if not m:
        raise ValueError("bad duration %r (want e.g. -40s, 500ms, 2m)" % text)
    sign = -1.0 if m.group(1) == "-" else 1.0
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}[m.group(3)]
    return sign * float(m.group(2)) * scale


def utc_now_naive():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def whole_seconds(t):
    """CloudStack formats every DATETIME it writes without fractions
    (DateUtil.getDateDisplayString in ManagementServerHostDaoImpl), so its values are
    whole seconds, truncated. The simulator writes the same for both drivers (MariaDB
    would truncate a DATETIME anyway; the PostgreSQL mirror keeps microseconds)."""
    return t.replace(microsecond=0)


# --------------------------------------------------------------------------- ports


class Tls:
    """The cluster port's TLS: a throwaway self-signed certificate (EC P-256, valid for
    127.0.0.1 and localhost), made at start with python3-cryptography in a temp
    folder removed at the end, and a server context that requires a client
    certificate signed by it, as CloudStack's cluster servlet requires one
    (needClientAuth). The same certificate and key serve as a client certificate for
    a test that wants to complete the handshake (the `ready` event names them)."""

    def __init__(self):
        try:
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import ec
            from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
        except ImportError:
            raise SystemExit("mssim: the cluster port speaks TLS and needs python3-cryptography "
                             "(scripts/install-deps.sh installs it)")
        import ipaddress
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mssim cluster")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(name).issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.SubjectAlternativeName([
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                      ExtendedKeyUsageOID.CLIENT_AUTH]),
                               critical=False)
                .sign(key, hashes.SHA256()))
        self.dir = tempfile.mkdtemp(prefix="mssim-tls-")
        self.cert_path = os.path.join(self.dir, "cluster.crt")
        self.key_path = os.path.join(self.dir, "cluster.key")
        with open(self.cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.cert_path, self.key_path)
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.context.load_verify_locations(cafile=self.cert_path)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


# A fatal TLS alert (unexpected_message) in a TLS 1.2 record: what a TLS server
# answers to bytes that are not a TLS record, such as a plain HTTP request.
TLS_ALERT = b"\x15\x03\x03\x00\x02\x02\x0a"


def serve_cluster_connection(conn, context):
    """One connection to the cluster port, on a thread of its own. A TCP probe
    connects and leaves; anything else must first pass a TLS handshake with a client
    certificate. Bytes that do not start a TLS handshake (a plain HTTP request) get a
    TLS alert record, never an HTTP answer. A peer with a certificate gets an HTTP
    answer over TLS."""
    try:
        conn.settimeout(CONN_TIMEOUT_SECONDS)
        first = conn.recv(1, socket.MSG_PEEK)
        if not first:
            return  # a TCP connect and close
        if first != b"\x16":  # not a TLS handshake record
            conn.sendall(TLS_ALERT)
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(4096):  # read the rest, so the close is not a reset
                pass
            return
        with context.wrap_socket(conn, server_side=True) as tls:
            if tls.recv(4096):
                tls.sendall(HTTP_REPLY)
    except (ssl.SSLError, OSError, ValueError):
        pass
    finally:
        conn.close()


def serve_api_connection(conn):
    """One connection to the API port (--api-port): any request gets the 401 that
    CloudStack's /client/api gives a request without a signature."""
    try:
        conn.settimeout(CONN_TIMEOUT_SECONDS)
        request = b""
        while b"\r\n\r\n" not in request and len(request) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        conn.sendall(API_REPLY)
    except OSError:
        pass
    finally:
        conn.close()


# --------------------------------------------------------------------------- database


class Db:
    """One connection as one node sees it: reconnects on the next call after a failure.

    Not thread-safe: each node thread owns its own Db.
    """

    def __init__(self, args):
        self.args = args
        self.conn = None
        # Set by `isolate`: the node's network path to the database is cut, so every
        # statement fails until `resume` or the process ends.
        self.cut = False

    def _connect(self):
        a = self.args
        if a.driver == "mysql":
            import pymysql
            from pymysql.constants import CLIENT
            # FOUND_ROWS: rowcount counts matched rows, so a heartbeat that writes the
            # same second twice still proves its row exists.
            return pymysql.connect(host=a.host, port=a.port, user=a.user, password=a.password,
                                   database=a.database, autocommit=True, charset="utf8mb4",
                                   connect_timeout=DB_TIMEOUT_SECONDS,
                                   read_timeout=DB_TIMEOUT_SECONDS,
                                   write_timeout=DB_TIMEOUT_SECONDS,
                                   client_flag=CLIENT.FOUND_ROWS)
        import psycopg2
        conn = psycopg2.connect(host=a.host, port=a.port, user=a.user, password=a.password,
                                dbname=a.database, connect_timeout=DB_TIMEOUT_SECONDS,
                                options="-c statement_timeout=%d" % (DB_TIMEOUT_SECONDS * 1000))
        conn.autocommit = True
        return conn

    def execute(self, sql, params=()):
        """Runs one statement; returns (rows, rowcount). Raises on failure after
        dropping the connection, so the next call reconnects."""
        if self.args.driver == "postgresql":
            sql = sql.replace("`", '"')
        try:
            if self.cut:
                raise ConnectionError("cut off from the database (isolate)")
            if self.conn is None:
                self.conn = self._connect()
            cur = self.conn.cursor()
            try:
                cur.execute(sql, params)
                rows = cur.fetchall() if cur.description else []
                return rows, cur.rowcount
            finally:
                cur.close()
        except Exception:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None

    def table_exists(self, table):
        if self.args.driver == "mysql":
            rows, _ = self.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema=DATABASE() "
                "AND table_name=%s", (table,))
        else:
            rows, _ = self.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema=current_schema() "
                "AND table_name=%s", (table,))
        return bool(rows)

    def upsert_mshost(self, msid, runid, name, uuid, version, port, last_update):
        """ClusterManagerImpl.start(): insert the row the first time (Up), otherwise
        update it in place with the new runid; Up, except that 4.21 keeps a node that
        was in Maintenance or PreparingForMaintenance in Maintenance. Returns (row id,
        the state written). A node owns its msid, so read-then-write is safe."""
        rows, _ = self.execute("SELECT id, state FROM mshost WHERE msid=%s", (msid,))
        if rows:
            row_id, old_state = int(rows[0][0]), rows[0][1]
            state = "Up"
            if self.args.cs.maintenance and old_state in MAINTENANCE_STATES:
                state = "Maintenance"
            self.execute("UPDATE mshost SET runid=%s, name=%s, version=%s, "
                         "service_ip='127.0.0.1', service_port=%s, last_update=%s, "
                         "removed=NULL, alert_count=0, state=%s WHERE id=%s",
                         (runid, name, version, port, last_update, state, row_id))
            return row_id, state
        self.execute("INSERT INTO mshost (msid, runid, name, uuid, state, version, service_ip, "
                     "service_port, last_update, removed, alert_count) "
                     "VALUES (%s, %s, %s, %s, 'Up', %s, '127.0.0.1', %s, %s, NULL, 0)",
                     (msid, runid, name, uuid, version, port, last_update))
        rows, _ = self.execute("SELECT id FROM mshost WHERE msid=%s", (msid,))
        return int(rows[0][0]), "Up"


def signed64(msid):
    """An msid as the signed bigint async_job keeps it in (a Java long)."""
    return msid - (1 << 64) if msid >= HIGH_BIT else msid


def create_schema_if_missing(args):
    """Runs the project's CloudStack DDL (tests/sql/<driver>_schema.sql) when mshost
    is missing, so the simulator also works against an empty database."""
    db = Db(args)
    try:
        if db.table_exists("mshost"):
            return
        path = args.schema or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", "sql",
            "%s_schema.sql" % args.driver)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise SystemExit("mssim: table mshost is missing and the schema file cannot be "
                             "read: %s" % e)
        for statement in split_sql(text):
            db.execute(statement)
        emit("schema_created", file=os.path.normpath(path))
    finally:
        db.close()


def split_sql(text):
    """Splits a DDL file into statements: drops -- comments, splits at ';'. The
    schema files hold plain DDL (no procedures), so this is enough."""
    lines = [re.sub(r"--.*$", "", line) for line in text.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


# --------------------------------------------------------------------------- nodes


class Node(threading.Thread):
    """One simulated management server.

    process_alive: the JVM runs at all. heartbeating / listening: the two signals a
    command can cut independently (hang cuts the first, partition the second).
    All of it is owned by this thread; other threads only call submit() and
    snapshot().
    """

    def __init__(self, args, name, msid):
        super().__init__(name=name, daemon=True)
        self.args = args
        self.cs = args.cs
        self.node_name = name
        self.msid = msid
        self.first_msid = msid
        self.identities = 0  # how many times reidentify gave it a new msid
        self.uuid = str(uuidlib.uuid5(uuidlib.NAMESPACE_OID, "mssim-%d" % msid))
        self.clock_offset = args.offsets.get(name, args.default_offset)
        self.db = Db(args)
        self.commands = queue.Queue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self.row_id = None
        self.runid = 0
        self.state = None  # the row's state as this node last wrote it
        self.process_alive = False
        self.heartbeating = False
        self.listening = False
        self.starting = False  # --listen-delay: the row says Up, the ports are not open yet
        self.listener = None
        self.placeholders = {}  # port -> its placeholder while nothing listens (_hold)
        self.port = self._reserve_port()
        # --api-port: the API/UI port (http.port 8080 in CloudStack), kept open and
        # closed with the cluster port.
        self.api_listener = None
        self.api_port = self._reserve_port() if args.api_port else None
        self.held = []  # (conn, drop_at) accepted while hung
        self.next_heartbeat = None
        self.next_status = None
        # Steps of an operator command still to come (trigger-shutdown, maintenance):
        # [(monotonic time, verb, function)], in time order.
        self.pending = []
        self.heartbeats = 0  # heartbeats written since the simulator started
        self.db_failing = False
        self.last_heartbeat = None
        # ClusterManagerImpl._activePeers: {row id: (runid, msid)} of the peers this
        # node has seen alive since it started.
        self.active_peers = {}
        self._lock = threading.Lock()  # guards the fields snapshot() reads

    # ---- called from other threads

    def submit(self, verb, arg=None):
        self.commands.put((verb, arg))
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def snapshot(self):
        with self._lock:
            if not self.process_alive:
                mode = "dead"
            elif self.starting:
                mode = "starting"
            elif self.heartbeating and self.listening:
                mode = "running"
            elif self.listening:
                mode = "hung"
            elif self.heartbeating:
                mode = "partitioned"
            else:
                mode = "dead"
            if mode == "running" and self.db.cut:
                mode = "isolated"
            return {"node": self.node_name, "msid": str(self.msid), "id": self.row_id,
                    "runid": str(self.runid), "port": self.port, "api_port": self.api_port,
                    "mode": mode,
                    "state": self.state,
                    "process_alive": self.process_alive, "heartbeating": self.heartbeating,
                    "listening": self.listening, "clock_offset_s": self.clock_offset,
                    "db_ok": not self.db_failing, "db_isolated": self.db.cut,
                    "heartbeats": self.heartbeats}

    # ---- node thread

    def _reserve_port(self):
        # The port is chosen once and kept across restarts, as cluster.servlet.port is.
        # Below the ephemeral range (lib/ports.py): otherwise a probe of a stopped node
        # could be given that very port as its local one and connect to itself.
        port = free_port()
        self.placeholders[port] = self._hold(port)
        return port

    @staticmethod
    def _hold(port):
        """A socket bound to port that does not listen: connections are refused, as to
        a stopped node, and lib/ports.free_port (which binds without SO_REUSEADDR) in
        another test cannot pick the port and start its own server on it, which the
        exporter would then probe as this node, alive (with suites in parallel).
        SO_REUSEADDR lets it bind over the connections a listener left in TIME_WAIT.
        None if the port is taken after all: the node then runs without the guard."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            s.close()
            log("cannot hold port %d while nothing listens: %s" % (port, e))
            return None
        return s

    def node_clock(self, precise=False):
        """The node's own UTC wall clock, skewed by its offset, as CloudStack's
        DateUtil.currentGMTTime() would read on a host with a wrong clock: in whole
        seconds, as it is written to the database, unless `precise`."""
        t = utc_now_naive() + datetime.timedelta(seconds=self.clock_offset)
        return t if precise else whole_seconds(t)

    def _set(self, **fields):
        with self._lock:
            for k, v in fields.items():
                setattr(self, k, v)

    def _fields(self, **extra):
        f = {"node": self.node_name, "msid": str(self.msid)}
        f.update(extra)
        return f

    def _ports(self):
        """The ports an event about a starting node names."""
        ports = {"port": self.port}
        if self.api_port is not None:
            ports["api_port"] = self.api_port
        return ports

    @staticmethod
    def _listen(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(64)
        s.setblocking(False)
        return s

    def _open_listener(self):
        self.listener = self._listen_instead_of_placeholder(self.port)
        if self.api_port is not None:
            self.api_listener = self._listen_instead_of_placeholder(self.api_port)
        self._set(listening=True)

    def _listen_instead_of_placeholder(self, port):
        placeholder = self.placeholders.pop(port, None)
        if placeholder is not None:
            placeholder.close()
        return self._listen(port)

    def _close_listener(self):
        for s in (self.listener, self.api_listener):
            if s is not None:
                port = s.getsockname()[1]
                s.close()
                self.placeholders[port] = self._hold(port)
        self.listener = self.api_listener = None
        for conn, _ in self.held:
            conn.close()
        self.held = []
        self._set(listening=False)

    def _db_call(self, what, fn):
        """Runs fn() against the database; reports the first failure of an outage and
        the recovery, once each, instead of one line per heartbeat."""
        try:
            result = fn()
        except Exception as e:  # any driver error: the next heartbeat retries
            if not self.db_failing:
                self._set(db_failing=True)
                emit("db_error", **self._fields(during=what, error=str(e).splitlines()[0]
                                                 if str(e) else type(e).__name__))
            return None, False
        if self.db_failing:
            self._set(db_failing=False)
            emit("db_ok", **self._fields(during=what))
        return result, True

    def _boot(self, listen=True):
        """ClusterManagerImpl.start(): new runid, row Up (or kept in Maintenance on
        4.21), its own mshost_peer rows cleared, heartbeats on, and (with `listen`)
        the listener open. Returns False when the database could not be written (the
        node stays dead, as a management server that cannot reach its database does
        not start)."""
        precise = self.node_clock(precise=True)
        now = whole_seconds(precise)
        runid = max(int(precise.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000),
                    self.runid + 1)

        def write():
            row_id, state = self.db.upsert_mshost(self.msid, runid, self.node_name, self.uuid,
                                                  self.args.version, self.port, now)
            # _mshostPeerDao.clearPeerInfo(_mshostId): a new run starts with no view
            # of its peers.
            self.db.execute("DELETE FROM mshost_peer WHERE owner_mshost=%s", (row_id,))
            return row_id, state

        result, ok = self._db_call("start", write)
        if not ok:
            return False
        row_id, state = result
        self._db_call("start", lambda: self._write_status(start=now))
        if self.args.has_blast_tables:
            self._db_call("start", lambda: self._claim_on_start(now))
        if listen:
            self._open_listener()
        self._set(row_id=row_id, runid=runid, state=state, process_alive=True,
                  heartbeating=True, last_heartbeat=now)
        self.active_peers = {}
        self.next_heartbeat = time.monotonic() + self.args.heartbeat_interval
        self.next_status = time.monotonic() + self.args.stats_interval
        return True

    def _start_again(self, announce):
        """A start after the first (start, restart, reidentify): _boot, then
        announce() once the ports are open. With --listen-delay they open that long
        after the row says Up with the new runid, heartbeats going on meanwhile: in
        CloudStack the cluster servlet starts after ClusterManagerImpl.start() has
        written the row."""
        delay = self.args.listen_delay
        if not self._boot(listen=delay <= 0):
            emit("start_failed", **self._fields())
            return
        if delay <= 0:
            announce()
            return

        def open_ports():
            self._open_listener()
            self._set(starting=False)
            announce()

        self._set(starting=True)
        self.pending = [(time.monotonic() + delay, "start", open_ports)]

    def _write_status(self, start=None, stop=None):
        # mshost_status (CloudStack 4.17+) records JVM start and stop per node uuid.
        if not self.args.has_status_table:
            return
        rows, _ = self.db.execute("SELECT ms_id FROM mshost_status WHERE ms_id=%s", (self.uuid,))
        now = whole_seconds(utc_now_naive())
        if start is not None:
            if rows:
                self.db.execute("UPDATE mshost_status SET last_jvm_start=%s, updated=%s "
                                "WHERE ms_id=%s", (start, now, self.uuid))
            else:
                self.db.execute(
                    "INSERT INTO mshost_status (ms_id, last_jvm_start, os_distribution, "
                    "java_name, java_version, updated, created) VALUES "
                    "(%s, %s, 'Debian GNU/Linux 12', 'OpenJDK 64-Bit Server VM', '17-sim', %s, %s)",
                    (self.uuid, start, now, now))
        elif stop is not None and rows:
            self.db.execute("UPDATE mshost_status SET last_jvm_stop=%s, updated=%s "
                            "WHERE ms_id=%s", (stop, now, self.uuid))

    def _claim_on_start(self, now):
        """What a start does to agents and jobs: the jobs a previous run left in
        progress are failed (AsyncJobDaoImpl.resetJobProcess), and on the very first
        start the node's own agents appear, connected to it. Agents a peer took over
        stay with that peer (CloudStack rebalances only on request)."""
        _, failed = self.db.execute(
            "UPDATE async_job SET job_status=2, job_result_code=530, last_updated=%s "
            "WHERE job_status=0 AND (job_executing_msid=%s OR "
            "(job_executing_msid IS NULL AND job_init_msid=%s))",
            (now, signed64(self.msid), signed64(self.msid)))
        if failed:
            emit("jobs_reset", **self._fields(jobs=failed))
        for i in range(1, self.args.agents_per_node + 1):
            name = "kvm-%s-%d" % (self.node_name, i)
            rows, _ = self.db.execute("SELECT id FROM host WHERE name=%s", (name,))
            if rows:
                continue
            self.db.execute(
                "INSERT INTO host (name, status, type, private_ip_address, data_center_id, "
                "version, dom0_memory, last_ping, mgmt_server_id, created) VALUES "
                "(%s, 'Up', 'Routing', '10.1.0.1', 1, %s, 0, 0, %s, %s)",
                (name, self.args.version, self.msid, now))

    def _run_jobs(self):
        """Jobs come and go while the node runs: those older than --job-duration
        complete, new ones keep --jobs-per-node in progress."""
        now = self.node_clock()
        cut = now - datetime.timedelta(seconds=self.args.job_duration)
        me = signed64(self.msid)
        self.db.execute(
            "UPDATE async_job SET job_status=1, job_complete_msid=%s, "
            "job_executing_msid=NULL, last_updated=%s, removed=%s "
            "WHERE job_executing_msid=%s AND job_status=0 AND created <= %s",
            (me, now, now, me, cut))
        rows, _ = self.db.execute(
            "SELECT COUNT(*) FROM async_job WHERE job_executing_msid=%s AND job_status=0 "
            "AND removed IS NULL", (me,))
        for _ in range(self.args.jobs_per_node - int(rows[0][0])):
            self.db.execute(
                "INSERT INTO async_job (user_id, account_id, instance_type, job_cmd, "
                "job_status, job_init_msid, job_executing_msid, created, last_updated, "
                "related) VALUES (2, 2, 'VirtualMachine', "
                "'org.apache.cloudstack.api.command.user.vm.DeployVMCmd', 0, %s, %s, %s, "
                "%s, '')", (me, me, now, now))

    def _die(self):
        """The process ends without touching the database (kill -9). A cut database
        path belongs to the process: the next one connects afresh."""
        self._close_listener()
        self._set(process_alive=False, heartbeating=False, starting=False)
        self.pending = []
        self.db.close()
        self.db.cut = False

    def _write_stop(self):
        """ClusterManagerImpl.stop(): last_jvm_stop, then the row's state (by id and
        runid) with a fresh last_update: Down, except that 4.21 keeps a node in
        Maintenance or PreparingForMaintenance in Maintenance. Returns that state."""
        now = self.node_clock()
        state = "Down"
        if self.cs.maintenance:
            rows, _ = self.db.execute("SELECT state FROM mshost WHERE id=%s", (self.row_id,))
            if rows and rows[0][0] in MAINTENANCE_STATES:
                state = "Maintenance"
        self._write_status(stop=now)
        self.db.execute("UPDATE mshost SET state=%s, last_update=%s WHERE id=%s AND runid=%s",
                        (state, now, self.row_id, self.runid))
        self._set(state=state)
        return state

    def _heartbeat(self):
        now = self.node_clock()

        def write():
            _, count = self.db.execute(
                "UPDATE mshost SET last_update=%s, removed=NULL, alert_count=0 "
                "WHERE id=%s AND runid=%s", (now, self.row_id, self.runid))
            return count

        count, ok = self._db_call("heartbeat", write)
        if not ok:
            return
        with self._lock:
            self.last_heartbeat = now
            self.heartbeats += 1
        if count == 0:
            # CloudStack treats a lost row or a changed runid as its session being
            # invalidated; the simulator reports it and keeps trying.
            emit("heartbeat_missed_row", **self._fields(runid=self.runid))
        # The same timer task scans the peers (ClusterManagerImpl.peerScan).
        self._db_call("peers", lambda: self._peer_scan(now))
        if self.args.has_blast_tables:
            self._db_call("jobs", self._run_jobs)

    def _write_peer(self, peer_id, peer_runid, state, now):
        """ManagementServerHostPeerDao.updatePeerInfo: this node's one row about a peer
        (unique on owner and peer from 4.20.1; the simulator keeps one row per pair
        for every version)."""
        existing, _ = self.db.execute(
            "SELECT id FROM mshost_peer WHERE owner_mshost=%s AND peer_mshost=%s",
            (self.row_id, peer_id))
        if existing:
            self.db.execute(
                "UPDATE mshost_peer SET peer_runid=%s, peer_state=%s, last_update=%s "
                "WHERE id=%s", (peer_runid, state, now, existing[0][0]))
        else:
            self.db.execute(
                "INSERT INTO mshost_peer (owner_mshost, peer_mshost, peer_runid, peer_state, "
                "last_update) VALUES (%s, %s, %s, %s, %s)",
                (self.row_id, peer_id, peer_runid, state, now))

    def _peer_seen_up(self, peer_id, cut, owner=None):
        """ManagementServerHostPeerDao.isPeerUpState: does a mshost_peer row (this
        node's own, with `owner`; anybody's, without) show the peer Up since `cut`?"""
        sql = ("SELECT 1 FROM mshost_peer WHERE peer_mshost=%s AND peer_state='Up' "
               "AND last_update > %s")
        params = [peer_id, cut]
        if owner is not None:
            sql += " AND owner_mshost=%s"
            params.append(owner)
        rows, _ = self.db.execute(sql, tuple(params))
        return bool(rows)

    def _peer_scan(self, now):
        """ClusterManagerImpl.peerScan, on every heartbeat. A peer is active while its
        last_update is newer than --heartbeat-threshold (on this node's clock).
          - a peer seen active and now inactive has left, unless this node's own
            mshost_peer row shows it Up within the threshold: the row is set Down and
            the peer's alert_count raised once (ClusterAlertAdapter, "Management server
            node ... is down"); its mshost.state is not touched;
          - a peer that joined (or restarted: a new runid) gets a row Up;
          - from 4.20.1 only (processInactiveNodes): an inactive row whose state is
            exactly Up, and that no mshost_peer row shows Up within the threshold, is
            set Down. Any other state is left alone."""
        rows, _ = self.db.execute(
            "SELECT id, msid, runid, state, last_update FROM mshost WHERE removed IS NULL")
        cut = now - datetime.timedelta(seconds=self.args.heartbeat_threshold)
        active, inactive = {}, []
        for peer_id, peer_msid, peer_runid, peer_state, last_update in rows:
            peer_id = int(peer_id)
            if peer_id == self.row_id or last_update is None:
                continue
            if last_update > cut:
                active[peer_id] = (int(peer_runid), str(peer_msid))
            else:
                inactive.append((peer_id, str(peer_msid), peer_state))
        for peer_id, (peer_runid, peer_msid) in list(self.active_peers.items()):
            if peer_id in active or self._peer_seen_up(peer_id, cut, owner=self.row_id):
                continue
            del self.active_peers[peer_id]
            self._write_peer(peer_id, peer_runid, "Down", now)
            _, raised = self.db.execute(
                "UPDATE mshost SET alert_count=alert_count+1 WHERE id=%s AND alert_count=0",
                (peer_id,))
            emit("peer_left", **self._fields(peer_msid=peer_msid, alert_raised=bool(raised)))
            if self.args.has_blast_tables:
                # The agents of the node that left reconnect to a live one: this one.
                _, moved = self.db.execute(
                    "UPDATE host SET mgmt_server_id=%s, status='Up' "
                    "WHERE mgmt_server_id=%s AND removed IS NULL", (self.msid, peer_msid))
                if moved:
                    emit("agents_taken_over", **self._fields(from_msid=peer_msid,
                                                             agents=moved))
        for peer_id, (peer_runid, peer_msid) in active.items():
            if self.active_peers.get(peer_id, (None,))[0] != peer_runid:
                self.active_peers[peer_id] = (peer_runid, peer_msid)
                self._write_peer(peer_id, peer_runid, "Up", now)
        if not self.cs.peers_clear:
            return
        for peer_id, peer_msid, peer_state in inactive:
            if peer_state != "Up" or self._peer_seen_up(peer_id, cut):
                continue
            _, count = self.db.execute(
                "UPDATE mshost SET state='Down' WHERE id=%s AND state='Up' AND last_update <= %s",
                (peer_id, cut))
            if count:
                emit("peer_marked_down", **self._fields(peer_msid=peer_msid))

    def _send_status(self):
        """Every --stats-interval (management.server.stats.interval) a running node
        sends its status to the peers its database shows active
        (ClusterManagerImpl.publishStatus); each receiver refreshes its mshost_peer row
        about the sender (see "status_from"). A node cut off from the database sends
        nothing."""
        cut = self.node_clock() - datetime.timedelta(seconds=self.args.heartbeat_threshold)
        rows, _ = self.db.execute(
            "SELECT id FROM mshost WHERE removed IS NULL AND last_update > %s", (cut,))
        ids = {int(r[0]) for r in rows} - {self.row_id}
        for node in self.args.node_list:
            if node is not self and node.row_id in ids:
                node.submit("status_from", (self.row_id, self.runid))

    def _accept(self, listener):
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # BlockingIOError: nothing more to accept
                return
            if not self.heartbeating:
                # Hung: the connection is accepted (by the kernel, for a paused JVM)
                # and left unanswered.
                self.held.append((conn, time.monotonic() + HANG_HOLD_SECONDS))
                continue
            # Answered on a thread of its own, so a slow client cannot delay a
            # heartbeat.
            if listener is self.listener:
                target, args = serve_cluster_connection, (conn, self.args.tls.context)
            else:
                target, args = serve_api_connection, (conn,)
            threading.Thread(target=target, args=args, daemon=True).start()

    def run(self):
        if self._boot():
            emit("started", **self._fields(runid=str(self.runid), clock_offset_s=self.clock_offset,
                                           state=self.state, **self._ports()))
        else:
            emit("start_failed", **self._fields())
        self.args.booted.release()
        while True:
            timeout = 1.0
            now = time.monotonic()
            if self.heartbeating and self.next_heartbeat is not None:
                timeout = min(timeout, max(0.0, self.next_heartbeat - now))
                timeout = min(timeout, max(0.0, self.next_status - now))
            if self.held:
                timeout = min(timeout, 0.5)
            if self.pending:
                timeout = min(timeout, max(0.0, self.pending[0][0] - now))
            watch = [self._wake_r] + [s for s in (self.listener, self.api_listener)
                                      if s is not None]
            readable, _, _ = select.select(watch, [], [], timeout)
            if self._wake_r in readable:
                try:
                    while self._wake_r.recv(4096):
                        pass
                except (BlockingIOError, OSError):
                    pass
            for listener in (self.listener, self.api_listener):
                if listener is not None and listener in readable:
                    self._accept(listener)
            self._drop_held()
            while True:
                try:
                    verb, arg = self.commands.get_nowait()
                except queue.Empty:
                    break
                if verb == "quit":
                    self._die()
                    return
                self._command(verb, arg)
            while self.pending and time.monotonic() >= self.pending[0][0]:
                _, _, step = self.pending.pop(0)
                step()
            if self.heartbeating and time.monotonic() >= self.next_heartbeat:
                self._heartbeat()
                late = time.monotonic() - self.next_heartbeat
                if late > max(1.0, self.args.heartbeat_interval):
                    # A loaded machine can hold the node (or its database) for seconds:
                    # the exporter then rightly sees it stale, and a test's failure
                    # message should say so rather than blame the exporter.
                    emit("heartbeat_late", **self._fields(late_s=round(late, 2)))
                # Scheduled from the previous slot, so a slow database does not drift
                # the rate; but never more than one catch-up beat.
                self.next_heartbeat = max(self.next_heartbeat + self.args.heartbeat_interval,
                                          time.monotonic())
            if self.heartbeating and time.monotonic() >= self.next_status:
                self._db_call("status", self._send_status)
                self.next_status = max(self.next_status + self.args.stats_interval,
                                       time.monotonic())

    def _drop_held(self):
        if not self.held:
            return
        now = time.monotonic()
        keep = []
        for conn, drop_at in self.held:
            if now >= drop_at:
                conn.close()
            else:
                keep.append((conn, drop_at))
        self.held = keep

    def _refuse(self, verb, why):
        emit("error", **self._fields(command=verb, message="%s %s: %s" % (verb, self.node_name, why)))

    def _command(self, verb, arg):
        alive = self.process_alive
        if verb == "status_from":
            # A peer's status message: a running node (not a hung one) refreshes its
            # row about the sender.
            if alive and self.heartbeating and self.row_id is not None:
                sender_id, sender_runid = arg
                self._db_call("peers", lambda: self._write_peer(sender_id, sender_runid, "Up",
                                                                self.node_clock()))
            return
        if self.starting and verb in ("hang", "partition", "isolate", "half-stop", "resume",
                                      "shutdown-stuck"):
            return self._refuse(verb, "starting: its ports are not open yet")
        if verb == "kill":
            if not alive:
                return self._refuse(verb, "not running")
            self._die()
            emit("killed", **self._fields(runid=str(self.runid)))
        elif verb == "stop" and arg.get("abort"):
            if not alive:
                return self._refuse(verb, "not running")
            # apache/cloudstack#9722: the stop sequence aborts before
            # ClusterManagerImpl.stop() runs (an exception in another bean's stop()),
            # yet the process exits: nothing is written, the row keeps its state.
            self._die()
            emit("stopped", **self._fields(runid=str(self.runid), state=self.state,
                                           row_down=False, aborted=True))
        elif verb == "stop":
            if not alive:
                return self._refuse(verb, "not running")
            # ClusterManagerImpl.stop(): the row is set Down (or kept in Maintenance on
            # 4.21), then the servlet closes.
            self._set(heartbeating=False)
            state, ok = self._db_call("stop", self._write_stop)
            self._die()
            if ok and state == "Down":
                emit("stopped", **self._fields(runid=str(self.runid), state=state))
            elif ok:
                emit("stopped", **self._fields(runid=str(self.runid), state=state,
                                               row_down=False))
            else:
                # Like the bug of apache/cloudstack#9722: the process ended but the row
                # was never set Down.
                emit("stopped", **self._fields(runid=str(self.runid), row_down=False))
        elif verb == "hang":
            if not alive:
                return self._refuse(verb, "not running")
            if self.listener is None:
                self._open_listener()
            self._set(heartbeating=False)
            emit("hung", **self._fields(runid=str(self.runid)))
        elif verb == "isolate":
            if not alive:
                return self._refuse(verb, "not running")
            # The process runs and answers on its port, but its statements fail: the
            # heartbeats stop reaching the row (reported once as db_error).
            with self._lock:
                self.db.cut = True
            self.db.close()
            emit("isolated", **self._fields(runid=str(self.runid)))
        elif verb == "half-stop":
            if not alive:
                return self._refuse(verb, "not running")
            # A shutdown whose ClusterManagerImpl.stop() ran (row Down, or Maintenance
            # kept on 4.21) and then hung: the process never exits, so its port keeps
            # accepting (unanswered) while heartbeats have stopped.
            self._set(heartbeating=False)
            state, ok = self._db_call("stop", self._write_stop)
            if ok and state == "Down":
                emit("half-stopped", **self._fields(runid=str(self.runid), state=state))
            elif ok:
                emit("half-stopped", **self._fields(runid=str(self.runid), state=state,
                                                    row_down=False))
            else:
                emit("half-stopped", **self._fields(runid=str(self.runid), row_down=False))
        elif verb == "partition":
            if not alive:
                return self._refuse(verb, "not running")
            self._close_listener()
            if not self.heartbeating:
                self._set(heartbeating=True)
                self.next_heartbeat = time.monotonic()
            emit("partitioned", **self._fields(runid=str(self.runid)))
        elif verb == "resume":
            if not alive:
                return self._refuse(verb, "not running")
            if self.listener is None:
                self._open_listener()
            for conn, _ in self.held:
                conn.close()
            self.held = []
            was_cut = self.db.cut
            with self._lock:
                self.db.cut = False
            if not self.heartbeating or was_cut:
                self._set(heartbeating=True)
                self._heartbeat()
                self.next_heartbeat = time.monotonic() + self.args.heartbeat_interval
            emit("resumed", **self._fields(runid=str(self.runid)))
        elif verb in ("restart", "start"):
            if verb == "start" and alive:
                return self._refuse(verb, "already running")
            old_runid = self.runid
            if alive:
                self._die()
            if verb == "restart":
                self._start_again(lambda: emit("restarted", **self._fields(
                    runid=str(self.runid), old_runid=str(old_runid), state=self.state,
                    **self._ports())))
            else:
                self._start_again(lambda: emit("started", **self._fields(
                    runid=str(self.runid), clock_offset_s=self.clock_offset,
                    state=self.state, **self._ports())))
        elif verb == "shutdown-stuck":
            if not alive:
                return self._refuse(verb, "not running")
            if self.cs.prepare_shutdown is None:
                return self._refuse(verb, "CloudStack %s has no shutdown API (4.19 and later)"
                                    % self.cs.name)
            # 4.19+: the node announces PreparingToShutDown (PreparingForShutDown on
            # 4.21), then dies before it gets any further.
            self._set(heartbeating=False)
            state = self.cs.prepare_shutdown
            self._db_call("shutdown", lambda: self.db.execute(
                "UPDATE mshost SET state=%s WHERE id=%s AND runid=%s",
                (state, self.row_id, self.runid)))
            self._set(state=state)
            self._die()
            emit("shutdown-stuck", **self._fields(runid=str(self.runid), state=state))
        elif verb == "clock":
            self._set(clock_offset=arg)
            emit("clock", **self._fields(clock_offset_s=arg))
        elif verb == "reidentify":
            if alive:
                return self._refuse(verb, "running: stop it (its old row stays Down) or "
                                    "kill it (its old row stays Up) first")
            # The host's MAC changed (apache/cloudstack #8174, #8516): it starts under a
            # new msid, so CloudStack inserts a new row with the same name and the same
            # service_ip:service_port; the old row stays as it was left.
            old_msid = self.msid
            with self._lock:
                self.identities += 1
                self.msid = self.first_msid + self.identities * REIDENTIFY_STEP
                self.row_id = None
            self.uuid = str(uuidlib.uuid5(uuidlib.NAMESPACE_OID, "mssim-%d" % self.msid))
            self._start_again(lambda: emit("reidentified", **self._fields(
                old_msid=str(old_msid), runid=str(self.runid), state=self.state,
                **self._ports())))
        else:
            self._operator(verb, arg)

    # ---- the operator's APIs

    def _row_state(self):
        rows, _ = self.db.execute("SELECT state FROM mshost WHERE id=%s", (self.row_id,))
        return rows[0][0] if rows else None

    def _write_state(self, state):
        """ManagementServerHostDao.updateState: the state with a fresh last_update."""
        self.db.execute("UPDATE mshost SET state=%s, last_update=%s WHERE id=%s AND runid=%s",
                        (state, self.node_clock(), self.row_id, self.runid))
        self._set(state=state)

    def _step_to(self, state, announce=False):
        """Writes one state of an operator command (a database failure is reported
        once as db_error); an intermediate one is announced with a `state` event."""
        _, ok = self._db_call("state", lambda: self._write_state(state))
        if announce:
            emit("state", **self._fields(state=state, row_written=ok))
        return ok

    def _operator(self, verb, arg):
        """prepare-shutdown, cancel-shutdown, trigger-shutdown, maintenance,
        cancel-maintenance: refused unless the release has the API, the process runs
        and answers (not hung), no other such command is under way (cancel-maintenance
        may interrupt maintenance), and the row is in a state the API accepts."""
        cs = self.cs
        shutdown_verbs = ("prepare-shutdown", "cancel-shutdown", "trigger-shutdown")
        if verb in shutdown_verbs and cs.prepare_shutdown is None:
            return self._refuse(verb, "CloudStack %s has no shutdown API (4.19 and later)"
                                % cs.name)
        if verb in ("maintenance", "cancel-maintenance") and not cs.maintenance:
            return self._refuse(verb, "CloudStack %s has no maintenance API (4.21 and later)"
                                % cs.name)
        if not self.process_alive:
            return self._refuse(verb, "not running")
        if not self.heartbeating:
            return self._refuse(verb, "hung: its API does not answer")
        if self.pending and not (verb == "cancel-maintenance"
                                 and self.pending[0][1] == "maintenance"):
            return self._refuse(verb, "%s is under way" % self.pending[0][1])
        state, ok = self._db_call(verb, self._row_state)
        if not ok:
            return self._refuse(verb, "the database cannot be reached")
        accepted = {
            "prepare-shutdown": ("Up",),
            "cancel-shutdown": (cs.prepare_shutdown, "ReadyToShutDown"),
            "trigger-shutdown": ("Up", cs.prepare_shutdown, "ReadyToShutDown"),
            "maintenance": ("Up",),
            "cancel-maintenance": MAINTENANCE_STATES,
        }[verb]
        if state not in accepted:
            return self._refuse(verb, "the row is %s, not %s" % (state, " or ".join(accepted)))
        step = arg.get("step", self.args.transition_time)
        runid = str(self.runid)
        unwritten = "the row could not be written"
        if verb == "prepare-shutdown":
            # Running, finishing its jobs, taking no new ones. The simulator has no
            # jobs to drain: the state stays until trigger-shutdown or cancel-shutdown.
            if not self._step_to(cs.prepare_shutdown):
                return self._refuse(verb, unwritten)
            emit("shutdown-prepared", **self._fields(runid=runid, state=self.state))
        elif verb in ("cancel-shutdown", "cancel-maintenance"):
            self.pending = []
            if not self._step_to("Up"):
                return self._refuse(verb, unwritten)
            emit("shutdown-cancelled" if verb == "cancel-shutdown"
                 else "maintenance-cancelled", **self._fields(runid=runid, state="Up"))
        elif verb == "maintenance":
            # PreparingForMaintenance while its agents move to other nodes, then
            # Maintenance (with `hold`: the agents never all leave).
            hold = arg.get("hold")
            if not self._step_to("PreparingForMaintenance", announce=not hold):
                return self._refuse(verb, unwritten)
            if hold:
                emit("maintenance-set", **self._fields(runid=runid, state=self.state))
                return

            def done():
                self._step_to("Maintenance")
                emit("maintenance-set", **self._fields(runid=runid, state=self.state))

            self.pending = [(time.monotonic() + step, verb, done)]
        elif verb == "trigger-shutdown":
            self._trigger_shutdown(step, arg.get("abort"))

    def _trigger_shutdown(self, step, abort):
        """ReadyToShutDown, `step` later ShuttingDown (the stop sequence starts),
        `step` later the process exits. ClusterManagerImpl.stop() then writes Down,
        unless `abort` names the state the stop aborted in (apache/cloudstack#9722):
        the process is gone and the row keeps that state. Heartbeats go on until the
        process ends."""
        runid = str(self.runid)

        def finish():
            if abort:
                self._die()
                emit("shutdown-triggered", **self._fields(
                    runid=runid, state=self.state, row_down=False, aborted=True))
                return
            self._set(heartbeating=False)
            state, ok = self._db_call("stop", self._write_stop)
            self._die()
            emit("shutdown-triggered", **self._fields(
                runid=runid, state=state if ok else self.state,
                row_down=bool(ok and state == "Down"), aborted=False))

        def shutting_down():
            self._step_to("ShuttingDown", announce=True)
            self.pending = [(time.monotonic() + step, "trigger-shutdown", finish)]

        if not self._step_to("ReadyToShutDown", announce=True):
            return self._refuse("trigger-shutdown", "the row could not be written")
        then = finish if abort == "ReadyToShutDown" else shutting_down
        self.pending = [(time.monotonic() + step, "trigger-shutdown", then)]


# --------------------------------------------------------------------------- control

# verb -> the options it takes after NODE (`key` or `key=value`); clock takes OFFSET.
NODE_VERBS = {
    "kill": (), "stop": ("abort",), "hang": (), "partition": (), "isolate": (),
    "half-stop": (), "resume": (), "restart": (), "start": (), "shutdown-stuck": (),
    "clock": None,
    # The operator's APIs (4.19+: prepareForShutdown, cancelShutdown, triggerShutdown;
    # 4.21: prepareForMaintenance, cancelMaintenance).
    "prepare-shutdown": (), "cancel-shutdown": (), "trigger-shutdown": ("abort", "step"),
    "maintenance": ("hold", "step"), "cancel-maintenance": (),
    # The host starts again under a new msid (its MAC changed).
    "reidentify": (),
}
ABORT_STATES = ("ShuttingDown", "ReadyToShutDown")
USAGE = ("commands: kill|hang|partition|isolate|half-stop|resume|restart|start|"
         "shutdown-stuck NODE, stop NODE [abort], clock NODE OFFSET, "
         "prepare-shutdown|cancel-shutdown NODE, "
         "trigger-shutdown NODE [abort[=ShuttingDown|ReadyToShutDown]] [step=D], "
         "maintenance NODE [hold] [step=D], cancel-maintenance NODE, reidentify NODE, "
         "status, quit")


def parse_options(verb, words):
    """`key` / `key=value` words after NODE -> {key: value}; raises ValueError."""
    allowed = NODE_VERBS[verb]
    options = {}
    for word in words:
        key, eq, value = word.partition("=")
        if key not in allowed:
            raise ValueError("%s takes no option %r (%s)" % (
                verb, word, ", ".join(allowed) if allowed else "no options"))
        if key == "step":
            if not eq:
                raise ValueError("step needs a duration, e.g. step=2s")
            options["step"] = parse_duration(value)
            if options["step"] < 0:
                raise ValueError("step must not be negative")
        elif key == "abort":
            if eq and verb != "trigger-shutdown":
                raise ValueError("%s: abort takes no value" % verb)
            if eq and value not in ABORT_STATES:
                raise ValueError("abort=%s: the stop aborts in %s" % (value, " or ".join(
                    ABORT_STATES)))
            options["abort"] = value if eq else (
                ABORT_STATES[0] if verb == "trigger-shutdown" else True)
        elif eq:
            raise ValueError("%s takes no value" % key)
        else:
            options[key] = True
    return options


class Simulator:
    def __init__(self, args):
        self.args = args
        self.nodes = {}
        for i in range(1, args.nodes + 1):
            msid = args.msid_base + i
            if i == args.nodes and args.nodes > 1:
                msid += HIGH_BIT
            name = "ms-%d" % i
            self.nodes[name] = Node(args, name, msid)
        # Who receives a node's status messages (Node._send_status).
        args.node_list = list(self.nodes.values())
        self.done = threading.Event()
        self._status_db = Db(args)  # for `status`, from any command thread
        self._status_lock = threading.Lock()

    def status(self):
        """`status`: every node's snapshot, with its row's state as the database has
        it now (peers may have changed it), and the rows no node drives any more
        (left by reidentify). One JSON event on stdout, and a table on stderr for a
        human at a terminal."""
        nodes = [n.snapshot() for n in self.nodes.values()]
        others = []
        with self._status_lock:
            try:
                rows, _ = self._status_db.execute(
                    "SELECT msid, name, state FROM mshost WHERE removed IS NULL ORDER BY id")
            except Exception as e:
                rows = None
                log("status: cannot read mshost: %s" % (str(e).splitlines() or [""])[0])
        if rows is not None:
            states = {str(msid): (name, state) for msid, name, state in rows}
            mine = {n["msid"] for n in nodes}
            for n in nodes:
                n["state"] = states.get(n["msid"], (None, n["state"]))[1]
            others = [{"msid": msid, "name": name, "state": state}
                      for msid, (name, state) in states.items() if msid not in mine]
        emit("status", nodes=nodes, other_rows=others)
        log(status_table(self.args, nodes, others))

    def run_command(self, line):
        """Parses and dispatches one command line. Returns an error text or None."""
        words = line.split()
        if not words or words[0].startswith("#"):
            return None
        verb = words[0].lower()
        if verb == "quit" or verb == "exit":
            self.done.set()
            return None
        if verb == "status":
            self.status()
            return None
        if verb == "help":
            emit("help", message=USAGE)
            return None
        if verb not in NODE_VERBS:
            return "unknown command %r; %s" % (words[0], USAGE)
        if verb == "clock" and len(words) != 3 or verb != "clock" and len(words) < 2:
            return "%s needs %s; %s" % (verb, "NODE OFFSET" if verb == "clock" else "NODE", USAGE)
        node = self.resolve(words[1])
        if node is None:
            return "unknown node %r (nodes: %s)" % (words[1], ", ".join(self.nodes))
        try:
            if verb == "clock":
                arg = parse_duration(words[2])
            else:
                arg = parse_options(verb, words[2:])
        except ValueError as e:
            return str(e)
        node.submit(verb, arg)
        return None

    def resolve(self, word):
        if word in self.nodes:
            return self.nodes[word]
        for n in self.nodes.values():  # also by msid, as the exporter's labels show it
            if str(n.msid) == word:
                return n
        return None

    def command_or_report(self, line):
        err = self.run_command(line)
        if err:
            emit("error", message=err, command=line.strip())
        return err

    def read_stdin(self):
        for line in sys.stdin:
            self.command_or_report(line)
            if self.done.is_set():
                return
        # End of input: quit, unless a control socket is there to take commands.
        if not self.args.control:
            self.done.set()

    def serve_control(self, path):
        if os.path.exists(path):
            os.unlink(path)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(8)

        def handle(conn):
            with conn, conn.makefile("rw", encoding="utf-8") as f:
                for line in f:
                    err = self.command_or_report(line)
                    f.write(("error: %s\n" % err) if err else "ok\n")
                    f.flush()

        def loop():
            while not self.done.is_set():
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                threading.Thread(target=handle, args=(conn,), daemon=True).start()

        threading.Thread(target=loop, daemon=True).start()
        return server

    def main(self):
        self.args.tls = Tls()
        try:
            self._run()
        finally:
            self._status_db.close()
            self.args.tls.cleanup()

    def _run(self):
        create_schema_if_missing(self.args)
        probe = Db(self.args)
        self.args.has_status_table = probe.table_exists("mshost_status")
        self.args.has_blast_tables = (probe.table_exists("host") and
                                      probe.table_exists("async_job"))
        probe.close()
        self.args.booted = threading.Semaphore(0)
        for node in self.nodes.values():
            node.start()
        for _ in self.nodes:
            self.args.booted.acquire()
        alive = [n.snapshot() for n in self.nodes.values()]
        emit("ready", nodes=[{k: s[k] for k in ("node", "msid", "runid", "port", "api_port")}
                             for s in alive],
             heartbeat_interval_s=self.args.heartbeat_interval,
             cloudstack_version=self.args.cs.name, version=self.args.version,
             states=list(self.args.cs.states),
             tls_cert=self.args.tls.cert_path, tls_key=self.args.tls.key_path)
        server = self.serve_control(self.args.control) if self.args.control else None
        for line in self.args.cmd:
            self.command_or_report(line)
        threading.Thread(target=self.read_stdin, daemon=True).start()
        try:
            self.done.wait()
        finally:
            for node in self.nodes.values():
                node.submit("quit")
            for node in self.nodes.values():
                node.join(timeout=5)
            if server is not None:
                server.close()
                try:
                    os.unlink(self.args.control)
                except OSError:
                    pass
            emit("quit")


def status_table(args, nodes, others):
    """The `status` answer as text: one line per node, then the rows no node drives."""
    lines = ["status (CloudStack %s, heartbeat every %gs):" % (args.cs.name,
                                                               args.heartbeat_interval)]
    fmt = "  %-6s %-20s %-23s %-11s %-6s %-6s %-8s %s"
    lines.append(fmt % ("node", "msid", "row state", "mode", "port", "api", "clock", "database"))
    for n in nodes:
        lines.append(fmt % (
            n["node"], n["msid"], n["state"] if n["state"] is not None else "-", n["mode"],
            n["port"], n["api_port"] or "-", "%+gs" % n["clock_offset_s"],
            "cut off" if n["db_isolated"] else ("ok" if n["db_ok"] else "failing")))
    for o in others:
        lines.append("  %-6s %-20s %-23s (an earlier identity: no process writes it)"
                     % (o["name"] or "-", o["msid"], o["state"]))
    return "\n".join(lines)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Simulated CloudStack management servers writing cloud.mshost.",
        epilog=USAGE)
    p.add_argument("--driver", choices=("mysql", "postgresql"), default="mysql")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=None,
                   help="default 3306 (mysql) or 5432 (postgresql)")
    p.add_argument("--user", default="root")
    p.add_argument("--password", default=None)
    p.add_argument("--password-file", default=None)
    p.add_argument("--database", default="cloud")
    p.add_argument("--schema", default=None,
                   help="DDL run when mshost is missing (default tests/sql/<driver>_schema.sql)")
    p.add_argument("--nodes", type=int, default=3)
    p.add_argument("--msid-base", type=lambda s: int(s, 0), default=DEFAULT_MSID_BASE)
    p.add_argument("--cloudstack-version", choices=sorted(VERSIONS), default=DEFAULT_VERSION,
                   help="the CloudStack release to play: its states, what a stop and a "
                   "start write, what peers do to a silent row (default %s)" % DEFAULT_VERSION)
    p.add_argument("--version", default=None,
                   help="the version column (default: the release's, e.g. 4.20.1.0)")
    p.add_argument("--heartbeat-interval", type=parse_duration, default=DEFAULT_HEARTBEAT_INTERVAL,
                   help="seconds or a duration (default 1.5s)")
    p.add_argument("--heartbeat-threshold", type=parse_duration,
                   default=DEFAULT_HEARTBEAT_THRESHOLD,
                   help="cluster.heartbeat.threshold: silence after which live peers take a "
                   "node for gone (default 150s)")
    p.add_argument("--stats-interval", type=parse_duration, default=DEFAULT_STATS_INTERVAL,
                   help="management.server.stats.interval: how often a node's status "
                   "refreshes its peers' mshost_peer rows about it (default 60s)")
    p.add_argument("--clock-offset", action="append", default=[], metavar="[NODE=]OFFSET",
                   help="clock skew, e.g. ms-2=-40s (one node) or -40s (every node)")
    p.add_argument("--transition-time", type=parse_duration, default=1.0, metavar="D",
                   help="how long each intermediate state of trigger-shutdown and "
                   "maintenance lasts, unless the command says step=D (default 1s)")
    p.add_argument("--listen-delay", type=parse_duration, default=0.0, metavar="D",
                   help="after a start, restart or reidentify, open the node's ports D "
                   "after its row says Up with the new runid (heartbeats begin at once), "
                   "as CloudStack's cluster servlet starts after the row is written "
                   "(default 0)")
    p.add_argument("--api-port", action="store_true",
                   help="give every node an API port too (CloudStack's http.port 8080): "
                   "it answers any HTTP request with 401, like /client/api unsigned")
    p.add_argument("--control", default=None, metavar="PATH",
                   help="unix socket taking the same commands as stdin, one per line")
    p.add_argument("--agents-per-node", type=int, default=4, metavar="N",
                   help="agents (rows of host) each node holds from its first start")
    p.add_argument("--jobs-per-node", type=int, default=2, metavar="N",
                   help="async jobs each running node keeps in progress")
    p.add_argument("--job-duration", type=parse_duration, default=20.0, metavar="D",
                   help="how long a job runs before it completes (default 20s)")
    p.add_argument("--cmd", action="append", default=[], metavar="COMMAND",
                   help="a command to run once all nodes are up, e.g. 'hang ms-3'")
    args = p.parse_args(argv)
    if args.nodes < 1:
        p.error("--nodes must be at least 1")
    if args.heartbeat_interval <= 0:
        p.error("--heartbeat-interval must be positive")
    if args.stats_interval <= 0:
        p.error("--stats-interval must be positive")
    if args.listen_delay < 0:
        p.error("--listen-delay must not be negative")
    if args.transition_time < 0:
        p.error("--transition-time must not be negative")
    args.cs = VERSIONS[args.cloudstack_version]
    if args.version is None:
        args.version = args.cs.column
    if args.port is None:
        args.port = 3306 if args.driver == "mysql" else 5432
    if args.password is None and args.password_file:
        with open(args.password_file, encoding="utf-8") as f:
            args.password = f.read().rstrip("\r\n")
    if args.password is None:
        args.password = ""
    args.offsets = {}
    args.default_offset = 0.0
    names = {"ms-%d" % i for i in range(1, args.nodes + 1)}
    for spec in args.clock_offset:
        node, _, value = spec.rpartition("=")
        try:
            seconds = parse_duration(value)
        except ValueError as e:
            p.error("--clock-offset %s: %s" % (spec, e))
        if not node:
            args.default_offset = seconds
        elif node not in names:
            p.error("--clock-offset %s: unknown node %s (nodes: ms-1..ms-%d)"
                    % (spec, node, args.nodes))
        else:
            args.offsets[node] = seconds
    if args.agents_per_node < 0 or args.jobs_per_node < 0:
        p.error("--agents-per-node and --jobs-per-node must not be negative")
    args.has_status_table = False
    args.has_blast_tables = False
    return args


def main(argv):
    args = parse_args(argv)
    sim = Simulator(args)
    # SIGTERM and SIGINT end the simulator like quit: every node dies as with kill -9.
    signal.signal(signal.SIGTERM, lambda *_: sim.done.set())
    signal.signal(signal.SIGINT, lambda *_: sim.done.set())
    try:
        sim.main()
    except SystemExit:
        raise
    except Exception as e:
        log("fatal: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
