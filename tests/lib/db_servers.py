"""Private MariaDB and PostgreSQL servers for tests, each in its own folder on a free
loopback port, with CloudStack's schema and a least-privilege exporter user.

    db = start_database("mysql", workdir)            # or "postgresql"
    db.execute("INSERT INTO mshost (msid, name, service_ip, service_port) "
               "VALUES (%s, %s, %s, %s)", (1, "ms-1", "10.0.0.1", 9090))
    config["targets"][0]["database"] = db.config_yaml_database(query_timeout="2s")
    db.stop(); db.start(); db.kill(); db.start(); db.freeze(); db.thaw()
    db.stop()                                          # at the end

The server's time zone is not UTC on purpose ("+05:30" by default), so a test
that passes cannot be relying on the session zone. Servers are stopped by PID, never
system-wide; anything still running when the Python process exits is killed.

MariaDB: mariadb-install-db runs once per machine and MariaDB version into a template
folder (it is the slow part), and each server starts on a copy of it. PostgreSQL:
initdb and postgres from /usr/lib/postgresql/15/bin run as the user postgres when
the tests run as root; the data then lives in a folder of its own under the temp
dir (postgres cannot enter pytest's root-only folders), and `workdir` links to it.

Objects are not thread-safe; each belongs to one fixture.
"""
import atexit
import fcntl
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time

from lib.ports import free_port

HERE = os.path.dirname(os.path.abspath(__file__))
SQL_DIR = os.path.join(HERE, "..", "sql")
PG_BIN = "/usr/lib/postgresql/15/bin"
MARIADBD = "/usr/sbin/mariadbd"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0

# The exporter's password has a space, a quote and a backslash, so every layer that
# passes it on (password_file, libpq connection strings) is tested for quoting.
EXPORTER_USER = "exporter"
EXPORTER_PASSWORD = "exp 'pw\\1"
ADMIN_PASSWORD = "admin-pw"

# The least-privilege grant docs/databases.md recommends, per driver.
GRANTED_TABLES = ("mshost", "mshost_peer", "mshost_status")
# ... and for what the nodes hold, SELECT on the columns read, nothing more (MySQL
# and PostgreSQL both take column privileges).
GRANTED_COLUMNS = {
    "host": ("mgmt_server_id", "status", "removed"),
    "async_job": ("job_executing_msid", "job_init_msid", "job_status", "instance_type",
                  "removed"),
}


def column_grants(to):
    """The GRANT statements of GRANTED_COLUMNS for grantee `to`."""
    return ["GRANT SELECT (%s) ON %s TO %s" % (", ".join(columns), table, to)
            for table, columns in GRANTED_COLUMNS.items()]


def column_revokes(to):
    return ["REVOKE SELECT (%s) ON %s FROM %s" % (", ".join(columns), table, to)
            for table, columns in GRANTED_COLUMNS.items()]

_live = []  # every Database started by this process, for the exit handler


def start_database(driver, workdir, timezone="+05:30", tls=False):
    """Starts a fresh server for `driver` ("mysql" or "postgresql") in `workdir`
    (created if missing), creates database `cloud`, the schema from tests/sql/, an
    admin user and the SELECT-only exporter user, and returns a ready Database.
    `timezone` is the server's default zone: an offset "+HH:MM" (both drivers) or a
    zone name (postgresql only).

    tls=True: the server offers TLS with a certificate for IP 127.0.0.1 only, signed
    by the CA in db.tls_ca, and also listens on 127.0.0.2 (a name the certificate
    does not carry); the exporter user may then connect over TLS only. db.tls_wrong_ca
    is a CA that signed nothing here."""
    if driver == "mysql":
        db = _MariaDB(workdir, timezone, tls)
    elif driver == "postgresql":
        db = _Postgres(workdir, timezone, tls)
    else:
        raise ValueError("unknown driver %r (mysql or postgresql)" % driver)
    _live.append(db)
    try:
        db._init()
        db.start()
        db._bootstrap()
    except BaseException:
        db.kill()
        raise
    return db


class Database:
    """A running (or stopped) test database. Attributes:
    driver, host ("127.0.0.1"), port, name ("cloud"), socket (mysql: the socket
    file; postgresql: its folder), admin_user, admin_password, exporter_user,
    exporter_password, password_file (the exporter's password, with a trailing
    newline as an editor leaves it), workdir, timezone, log_path, tls_ca and
    tls_wrong_ca (None without tls)."""

    driver = None

    def __init__(self, workdir, timezone, tls):
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.timezone = timezone
        self.host = "127.0.0.1"
        self.port = free_port()
        self.name = "cloud"
        self.exporter_user = EXPORTER_USER
        self.exporter_password = EXPORTER_PASSWORD
        self.admin_password = ADMIN_PASSWORD
        self.password_file = os.path.join(self.workdir, "exporter.password")
        with open(self.password_file, "w") as f:
            f.write(self.exporter_password + "\n")
        self.tls = tls
        self.tls_ca = self.tls_wrong_ca = None
        self.proc = None
        self._log = None
        self._bootstrapped = False

    # --- process control -------------------------------------------------------

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        """Starts the server (again) on the same data, port and socket; returns when
        it accepts connections, or raises RuntimeError with the log's tail."""
        if self.running:
            return
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self._server_args(), stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self._run_dir(), start_new_session=True,
                                     **self._run_as())
        self._wait_ready()

    def stop(self):
        """Graceful shutdown by PID; SIGKILL if it takes longer than 30 s."""
        if not self.running:
            return self._reap()
        self.thaw()  # a frozen server would not see the signal
        os.kill(self.proc.pid, self._stop_signal)
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def kill(self):
        """SIGKILL to the server and its children (PostgreSQL backends), as a crash
        or the OOM killer would."""
        if self.running:
            _signal_all(_process_tree(self.proc.pid), signal.SIGKILL)
        self._reap()

    def freeze(self):
        """SIGSTOP to the server and its children: it keeps its sockets open but
        answers nothing, like a paused VM. thaw() resumes it."""
        if self.running:
            os.kill(self.proc.pid, signal.SIGSTOP)  # first, so it forks no more
            _signal_all(_process_tree(self.proc.pid), signal.SIGSTOP)

    def thaw(self):
        if self.running:
            _signal_all(_process_tree(self.proc.pid), signal.SIGCONT)

    def _reap(self):
        if self.proc is not None:
            self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        last_error = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with code %s while starting\n%s" % (
                    self.driver, self.proc.returncode, self.log_tail()))
            try:
                self._probe_connect().close()
                return
            except Exception as e:  # the client libraries raise many kinds
                last_error = e
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("%s not ready on port %d after %.0fs (last error: %s)\n%s" % (
            self.driver, self.port, START_TIMEOUT, last_error, self.log_tail()))

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError as e:
            return "(no log: %s)" % e

    # --- SQL -------------------------------------------------------------------

    def connect(self, user=None, password=None, database=None):
        """A new DB-API connection over TCP in autocommit mode, as the admin unless
        told otherwise. The caller closes it."""
        raise NotImplementedError

    def execute(self, sql, params=()):
        """Runs one statement as the admin on database cloud (autocommit) and returns
        its rows as a list of tuples ([] for statements without rows). Placeholders
        are %s for both drivers."""
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute(sql, tuple(params) if params else None)
            rows = cur.fetchall() if cur.description else []
            cur.close()
            return [tuple(r) for r in rows]
        finally:
            conn.close()

    def insert_mshost(self, msid, name=None, state="Up", last_update=None, runid=1,
                      service_ip="127.0.0.1", service_port=9090, uuid=None,
                      version="4.20.0.0", removed=None, alert_count=0):
        """Inserts one mshost row and returns its id. last_update and removed take a
        naive datetime (UTC) or None; msid may be any int up to 2**64-1."""
        conn = self.connect()
        try:
            cur = conn.cursor()
            sql = ("INSERT INTO mshost (msid, runid, name, uuid, state, version, service_ip,"
                   " service_port, last_update, removed, alert_count)"
                   " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
            args = (str(msid), runid, name, uuid, state, version, service_ip, service_port,
                    last_update, removed, alert_count)
            if self.driver == "postgresql":
                cur.execute(sql + " RETURNING id", args)
                return cur.fetchone()[0]
            cur.execute(sql, args)
            return cur.lastrowid
        finally:
            conn.close()

    def insert_hosts(self, mgmt_server_id, status="Up", count=1, removed=None):
        """Inserts `count` agents (rows of host) connected to msid `mgmt_server_id`
        (None: NULL), with the columns CloudStack requires filled in."""
        conn = self.connect()
        try:
            cur = conn.cursor()
            for _ in range(count):
                cur.execute(
                    "INSERT INTO host (name, status, type, private_ip_address,"
                    " data_center_id, version, dom0_memory, last_ping, mgmt_server_id,"
                    " removed) VALUES ('kvm', %s, 'Routing', '10.1.0.1', 1, '4.20.0.0',"
                    " 0, 0, %s, %s)",
                    (status, None if mgmt_server_id is None else str(mgmt_server_id),
                     removed))
        finally:
            conn.close()

    def insert_jobs(self, executing_msid, init_msid=None, status=0, count=1,
                    instance_type="VirtualMachine", removed=None):
        """Inserts `count` rows of async_job; status is JobInfo.Status's ordinal
        (0 in progress)."""
        conn = self.connect()
        try:
            cur = conn.cursor()
            for _ in range(count):
                cur.execute(
                    "INSERT INTO async_job (user_id, account_id, instance_type, job_cmd,"
                    " job_status, job_init_msid, job_executing_msid, created, removed,"
                    " related) VALUES (2, 2, %s, 'org.apache.cloudstack.api.command.admin."
                    "vm.MigrateVMCmd', %s, %s, %s, '2024-01-01 00:00:00', %s, '')",
                    (instance_type, status, init_msid, executing_msid, removed))
        finally:
            conn.close()

    def utc_now_sql(self, offset_seconds=0.0):
        """An SQL expression for the database's clock in UTC plus offset_seconds, to
        write heartbeats the way CloudStack does."""
        raise NotImplementedError

    def connection_count(self, user):
        """How many server sessions `user` has open now."""
        raise NotImplementedError

    def config_yaml_database(self, **overrides):
        """The exporter config's `database:` section for the exporter user. Keyword
        arguments replace keys; a value of None removes the key, e.g.
        config_yaml_database(host=None, port=None, socket=db.socket)."""
        section = {
            "driver": self.driver,
            "host": self.host,
            "port": self.port,
            "user": self.exporter_user,
            "password_file": self.password_file,
            "name": self.name,
        }
        section.update(overrides)
        return {k: v for k, v in section.items() if v is not None}

    def __repr__(self):
        return "<%s %s:%d pid=%s>" % (self.driver, self.host, self.port, self.pid)

    # --- per driver --------------------------------------------------------------

    def _init(self):
        raise NotImplementedError

    def _make_certificates(self, folder):
        """CA, wrong CA and a server certificate for IP:127.0.0.1 in `folder`;
        returns the server's (cert, key) paths."""
        tls_dir = os.path.join(self.workdir, "tls")
        os.makedirs(tls_dir, exist_ok=True)
        self.tls_ca = os.path.join(tls_dir, "ca.pem")
        self.tls_wrong_ca = os.path.join(tls_dir, "wrong-ca.pem")
        cert, key = os.path.join(folder, "server.pem"), os.path.join(folder, "server.key")
        ext = os.path.join(tls_dir, "server.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for name in ("ca", "wrong-ca"):
            _openssl(["req", "-x509"] + ec + ["-keyout", os.path.join(tls_dir, name + ".key"),
                      "-out", os.path.join(tls_dir, name + ".pem"), "-days", "3650",
                      "-subj", "/CN=msx test " + name])
        csr = os.path.join(tls_dir, "server.csr")
        _openssl(["req", "-new"] + ec + ["-keyout", key, "-out", csr,
                                         "-subj", "/CN=msx test server"])
        _openssl(["x509", "-req", "-in", csr, "-CA", self.tls_ca, "-CAkey",
                  os.path.join(tls_dir, "ca.key"), "-CAcreateserial", "-out", cert,
                  "-days", "3650", "-extfile", ext])
        return cert, key

    def _bootstrap(self):
        raise NotImplementedError

    def _server_args(self):
        raise NotImplementedError

    def _probe_connect(self):
        return self.connect(database=self._probe_database())

    def _run_dir(self):
        return self.workdir

    def _run_as(self):
        return {}

    def cleanup(self):
        """Removes what lives outside workdir; the server must be stopped."""


class _MariaDB(Database):
    driver = "mysql"
    admin_user = "admin"
    _stop_signal = signal.SIGTERM

    def __init__(self, workdir, timezone, tls):
        if not re.fullmatch(r"[+-]\d\d:\d\d", timezone):
            raise ValueError("mysql needs a time zone offset like +05:30, not %r "
                             "(named zones need the server's zone tables)" % timezone)
        super().__init__(workdir, timezone, tls)
        self.datadir = os.path.join(self.workdir, "mariadb")
        self.socket = _short_path(os.path.join(self.workdir, "mysqld.sock"))
        self.log_path = os.path.join(self.workdir, "mariadb.log")

    def _init(self):
        shutil.copytree(_mariadb_template(), self.datadir, symlinks=True)
        if self.tls:
            self._tls_files = self._make_certificates(os.path.join(self.workdir, "tls"))

    def _server_args(self):
        # Fast but crash-safe for kill(): commits reach the OS at once (a killed
        # process loses nothing), the disk only when the OS gets to it.
        args = [MARIADBD, "--no-defaults", "--datadir=" + self.datadir,
                "--socket=" + self.socket, "--port=%d" % self.port,
                "--bind-address=" + ("127.0.0.1,127.0.0.2" if self.tls else "127.0.0.1"),
                "--skip-name-resolve",
                "--pid-file=" + os.path.join(self.workdir, "mariadb.pid"),
                "--log-error=" + self.log_path, "--default-time-zone=" + self.timezone,
                "--skip-log-bin", "--innodb-buffer-pool-size=16M",
                "--innodb-log-file-size=8M", "--innodb-flush-log-at-trx-commit=2",
                "--innodb-doublewrite=0", "--max-connections=200",
                "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci"]
        if os.geteuid() == 0:
            args.append("--user=root")
        if self.tls:
            cert, key = self._tls_files
            args += ["--ssl-ca=" + self.tls_ca, "--ssl-cert=" + cert, "--ssl-key=" + key]
        return args

    def _probe_database(self):
        return "cloud" if self._bootstrapped else None

    def _probe_connect(self):
        import pymysql
        if self._bootstrapped:
            return self.connect()
        # Before bootstrap only root exists, without a password, on the socket.
        return pymysql.connect(unix_socket=self.socket, user="root", connect_timeout=2,
                               autocommit=True)

    def _bootstrap(self):
        import pymysql
        from pymysql.constants import CLIENT
        with open(os.path.join(SQL_DIR, "mysql_schema.sql")) as f:
            schema = f.read()
        conn = pymysql.connect(unix_socket=self.socket, user="root", autocommit=True,
                               client_flag=CLIENT.MULTI_STATEMENTS)
        try:
            cur = conn.cursor()
            # Anonymous users would shadow 'exporter'@'%' for local connections.
            cur.execute("SELECT user, host FROM mysql.user WHERE user = ''")
            for user, host in cur.fetchall():
                cur.execute("DROP USER %s@%s", (user, host))
            cur.execute("CREATE DATABASE cloud")
            cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s",
                        (self.admin_user, self.admin_password))
            cur.execute("GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION")
            cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s" +
                        (" REQUIRE SSL" if self.tls else ""),
                        (self.exporter_user, self.exporter_password))
            cur.execute("USE cloud")
            cur.execute(schema)
            while cur.nextset():
                pass
            for table in GRANTED_TABLES:
                cur.execute("GRANT SELECT ON cloud.%s TO '%s'@'%%'" % (table, self.exporter_user))
            for grant in column_grants("'%s'@'%%'" % self.exporter_user):
                cur.execute(grant)
        finally:
            conn.close()
        self._bootstrapped = True

    def connect(self, user=None, password=None, database=None):
        import pymysql
        return pymysql.connect(host=self.host, port=self.port,
                               user=user or self.admin_user,
                               password=self.admin_password if password is None else password,
                               database=database or self.name, charset="utf8mb4",
                               autocommit=True, connect_timeout=5)

    def utc_now_sql(self, offset_seconds=0.0):
        micros = int(round(offset_seconds * 1e6))
        return "(UTC_TIMESTAMP(6) + INTERVAL %d MICROSECOND)" % micros

    def connection_count(self, user):
        return self.execute("SELECT COUNT(*) FROM information_schema.processlist "
                            "WHERE user = %s", (user,))[0][0]


class _Postgres(Database):
    driver = "postgresql"
    admin_user = "postgres"
    _stop_signal = signal.SIGINT  # "fast" shutdown: ends sessions, no waiting

    def __init__(self, workdir, timezone, tls):
        super().__init__(workdir, timezone, tls)
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            # postgres cannot enter pytest's root-only folders: the server lives in a
            # folder of its own, linked from workdir for whoever debugs a failure.
            self.rundir = tempfile.mkdtemp(prefix="msx-pg-")
            pw = pwd.getpwnam("postgres")
            os.chown(self.rundir, pw.pw_uid, pw.pw_gid)
            link = os.path.join(self.workdir, "postgresql")
            if not os.path.lexists(link):
                os.symlink(self.rundir, link)
        else:
            self.rundir = os.path.join(self.workdir, "postgresql")
            os.makedirs(self.rundir, exist_ok=True)
        self.datadir = os.path.join(self.rundir, "data")
        self.socket = self.rundir
        self.log_path = os.path.join(self.rundir, "postgresql.log")

    def _run_dir(self):
        return self.rundir

    def _run_as(self):
        if not self._as_postgres:
            return {}
        return {"user": "postgres", "group": "postgres", "extra_groups": []}

    def _init(self):
        pwfile = os.path.join(self.rundir, "admin.password")
        self._write_owned(pwfile, self.admin_password + "\n")
        result = subprocess.run(
            [os.path.join(PG_BIN, "initdb"), "-D", self.datadir, "-U", self.admin_user,
             "--auth=scram-sha-256", "--pwfile=" + pwfile, "--encoding=UTF8",
             "--locale=C.UTF-8", "--no-sync"],
            cwd=self.rundir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, **self._run_as())
        os.unlink(pwfile)
        if result.returncode != 0:
            raise RuntimeError("initdb failed:\n" + result.stdout.decode(errors="replace"))
        hba = ["local all all scram-sha-256"]
        if self.tls:
            hba.append("hostnossl all %s 0.0.0.0/0 reject" % self.exporter_user)
        hba.append("host all all 127.0.0.0/8 scram-sha-256")
        self._write_owned(os.path.join(self.datadir, "pg_hba.conf"), "\n".join(hba) + "\n")
        if self.tls:
            cert, key = self._make_certificates(self.rundir)
            os.chmod(key, 0o600)
            self._chown(cert)
            self._chown(key)
            self._tls_files = cert, key

    def _chown(self, path):
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _write_owned(self, path, text):
        with open(path, "w") as f:
            f.write(text)
        self._chown(path)

    def _server_args(self):
        # fsync off but synchronous_commit on: a kill() loses no commit, only an OS
        # crash would.
        settings = {
            "listen_addresses": "127.0.0.1,127.0.0.2" if self.tls else "127.0.0.1",
            "unix_socket_directories": self.rundir,
            "TimeZone": _posix_zone(self.timezone),
            "log_timezone": "UTC",
            "fsync": "off",
            "full_page_writes": "off",
            "shared_buffers": "16MB",
            "max_connections": "100",
            "logging_collector": "off",
        }
        if self.tls:
            cert, key = self._tls_files
            settings.update(ssl="on", ssl_cert_file=cert, ssl_key_file=key)
        args = [os.path.join(PG_BIN, "postgres"), "-D", self.datadir, "-p", str(self.port)]
        for key, value in settings.items():
            args += ["-c", "%s=%s" % (key, value)]
        return args

    def _probe_database(self):
        return "cloud" if self._bootstrapped else "postgres"

    def _bootstrap(self):
        with open(os.path.join(SQL_DIR, "postgresql_schema.sql")) as f:
            schema = f.read()
        conn = self.connect(database="postgres")
        try:
            conn.cursor().execute("CREATE DATABASE cloud")
        finally:
            conn.close()
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute(schema)
            cur.execute("CREATE ROLE %s LOGIN PASSWORD %%s" % self.exporter_user,
                        (self.exporter_password,))
            cur.execute("GRANT CONNECT ON DATABASE cloud TO %s" % self.exporter_user)
            cur.execute("GRANT USAGE ON SCHEMA public TO %s" % self.exporter_user)
            cur.execute("GRANT SELECT ON %s TO %s" % (", ".join(GRANTED_TABLES),
                                                       self.exporter_user))
            for grant in column_grants(self.exporter_user):
                cur.execute(grant)
        finally:
            conn.close()
        self._bootstrapped = True

    def connect(self, user=None, password=None, database=None):
        import psycopg2
        conn = psycopg2.connect(host=self.host, port=self.port, user=user or self.admin_user,
                                password=self.admin_password if password is None else password,
                                dbname=database or self.name, connect_timeout=5)
        conn.autocommit = True
        return conn

    def utc_now_sql(self, offset_seconds=0.0):
        return "(now() AT TIME ZONE 'utc' + interval '%f seconds')" % offset_seconds

    def connection_count(self, user):
        return self.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE usename = %s",
                            (user,))[0][0]

    def cleanup(self):
        if self._as_postgres:
            shutil.rmtree(self.rundir, ignore_errors=True)


def _posix_zone(zone):
    """"+05:30" → "<+0530>-05:30": PostgreSQL reads bare offsets with the POSIX sign
    (positive = west of Greenwich), the opposite of ISO 8601."""
    m = re.fullmatch(r"([+-])(\d\d):(\d\d)", zone)
    if not m:
        return zone
    sign, hours, minutes = m.groups()
    return "<%s%s%s>%s%s:%s" % (sign, hours, minutes, "-" if sign == "+" else "+",
                                hours, minutes)


def _process_tree(pid):
    """`pid` and all its descendants, from /proc. PostgreSQL's backends call setsid(),
    so the server's process group does not reach them."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def _signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _openssl(args):
    result = subprocess.run(["openssl"] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise RuntimeError("openssl %s failed:\n%s" % (args[0], result.stdout.decode()))


def _short_path(path):
    """`path`, or one in a fresh short folder when it is too long for a Unix socket
    (108 bytes, and pytest's folders are deep)."""
    if len(path) < 100:
        return path
    return os.path.join(tempfile.mkdtemp(prefix="msx-sock-"), os.path.basename(path))


def _mariadb_template():
    """A pristine data folder from mariadb-install-db, made once per machine, user and
    MariaDB version (it takes seconds; copying it takes milliseconds). Concurrent test
    processes wait for each other on a lock file."""
    version = subprocess.run([MARIADBD, "--version"], stdout=subprocess.PIPE,
                             check=True).stdout.decode()
    version = re.search(r"Ver\s+(\S+)", version).group(1)
    template = os.path.join(tempfile.gettempdir(),
                            "msx-mariadb-template-%d-%s" % (os.geteuid(), version))
    with open(template + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isdir(template):
            staging = template + ".tmp-%d" % os.getpid()
            shutil.rmtree(staging, ignore_errors=True)
            args = ["mariadb-install-db", "--no-defaults", "--datadir=" + staging,
                    "--auth-root-authentication-method=normal", "--skip-test-db",
                    "--skip-name-resolve", "--innodb-log-file-size=8M"]
            if os.geteuid() == 0:
                args.append("--user=root")
            result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
            if result.returncode != 0:
                raise RuntimeError("mariadb-install-db failed:\n" +
                                   result.stdout.decode(errors="replace")[-3000:])
            os.rename(staging, template)
    return template


@atexit.register
def _kill_leftovers():
    for db in _live:
        try:
            db.kill()
        finally:
            if hasattr(db, "cleanup"):
                db.cleanup()
