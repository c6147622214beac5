#!/usr/bin/env python3
"""The cost of reading what the nodes hold (agents and jobs, docs/databases.md "What a
node holds") on a big installation: 1,000,000 rows of async_job and 5,000 of host, on
MariaDB and on the PostgreSQL mirror. Prints the query plans (EXPLAIN) and the time
of one read through the exporter's own driver (tests/integration/source_dump --blast,
the same ReconnectingSource::ReadBlastRadius the poller calls), and with --write puts
them into BENCHMARKS.md under "Blast radius read". Not part of any test suite: run it
by hand after changing the queries.

    MSX_BUILD_DIR=build /usr/bin/python3 bench/blast_radius.py [--reads 200] [--write]

The data: 3 nodes; hosts mostly Up, some Disconnected and Alert, 200 with no node,
100 removed; jobs are what a table that keeps every job until job.expire.minutes
looks like: 999,880 completed (removed set when they completed, as
AsyncJobManagerImpl.completeAsyncJob does), 60 in progress, 40 of CloudStack's
per-thread pseudo jobs in progress, 20 failed by a restart (resetJobProcess leaves
removed NULL).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import benchlib  # noqa: F401  (puts tests/ on sys.path)
from lib import db_servers  # noqa: E402

JOBS = 1_000_000
HOSTS = 5_000
SECTION = "## Blast radius read"


def build_program(name):
    build_dir = os.environ.get("MSX_BUILD_DIR", os.path.join(benchlib.ROOT, "build"))
    path = os.path.join(build_dir, "tests", "integration", name)
    if not os.access(path, os.X_OK):
        sys.exit("%s not built: cmake --build %s --target %s" % (path, build_dir, name))
    return path


def load_mysql(db):
    # MariaDB's sequence engine makes the rows on the server: 1M inserts in seconds.
    db.execute(
        "INSERT INTO host (name, status, type, private_ip_address, data_center_id,"
        " version, dom0_memory, last_ping, mgmt_server_id, removed)"
        " SELECT CONCAT('kvm-', seq),"
        "  CASE WHEN seq %% 50 = 0 THEN 'Disconnected' WHEN seq %% 97 = 0 THEN 'Alert'"
        "   ELSE 'Up' END, 'Routing', '10.1.0.1', 1, '4.20.0.0', 0, 0,"
        "  CASE WHEN seq <= 200 THEN NULL ELSE 1 + seq %% 3 END,"
        "  CASE WHEN seq > %d THEN '2024-01-01 00:00:00' END"
        " FROM seq_1_to_%d" % (HOSTS, HOSTS + 100))
    db.execute(
        "INSERT INTO async_job (user_id, account_id, instance_type, instance_id, job_cmd,"
        " job_status, job_init_msid, job_executing_msid, job_complete_msid, created,"
        " last_updated, removed, related)"
        " SELECT 2, 2, IF(seq %% 1000 = 1, 'Thread', 'VirtualMachine'), seq,"
        "  'org.apache.cloudstack.api.command.user.vm.DeployVMCmd',"
        "  CASE WHEN seq > %d THEN 0 WHEN seq %% 50000 = 0 THEN 2 ELSE 1 END,"
        "  1 + seq %% 3, IF(seq > %d, 1 + seq %% 3, NULL), IF(seq > %d, NULL, 1 + seq %% 3),"
        "  UTC_TIMESTAMP() - INTERVAL (%d - seq) SECOND,"
        "  UTC_TIMESTAMP() - INTERVAL (%d - seq) SECOND,"
        "  IF(seq > %d OR seq %% 50000 = 0, NULL, UTC_TIMESTAMP() - INTERVAL (%d - seq) SECOND),"
        "  '' FROM seq_1_to_%d"
        % (JOBS - 60, JOBS - 60, JOBS - 60, JOBS, JOBS, JOBS - 60, JOBS, JOBS))
    # 40 pseudo jobs in progress: every 1000th row is 'Thread'; keep 40 of them open.
    db.execute("UPDATE async_job SET job_status = 0, removed = NULL, job_executing_msid = 1"
               " WHERE instance_type = 'Thread' AND id <= 40000")
    db.execute("ANALYZE TABLE host, async_job")


def load_postgresql(db):
    db.execute(
        "INSERT INTO host (name, status, type, private_ip_address, data_center_id,"
        " version, dom0_memory, last_ping, mgmt_server_id, removed)"
        " SELECT 'kvm-' || seq,"
        "  CASE WHEN seq %% 50 = 0 THEN 'Disconnected' WHEN seq %% 97 = 0 THEN 'Alert'"
        "   ELSE 'Up' END, 'Routing', '10.1.0.1', 1, '4.20.0.0', 0, 0,"
        "  CASE WHEN seq <= 200 THEN NULL ELSE 1 + seq %% 3 END,"
        "  CASE WHEN seq > %d THEN timestamp '2024-01-01' END"
        " FROM generate_series(1, %d) AS seq" % (HOSTS, HOSTS + 100))
    utc = "(now() AT TIME ZONE 'utc')"
    db.execute(
        "INSERT INTO async_job (user_id, account_id, instance_type, instance_id, job_cmd,"
        " job_status, job_init_msid, job_executing_msid, job_complete_msid, created,"
        " last_updated, removed, related)"
        " SELECT 2, 2, CASE WHEN seq % 1000 = 1 THEN 'Thread' ELSE 'VirtualMachine' END,"
        "  seq, 'org.apache.cloudstack.api.command.user.vm.DeployVMCmd',"
        "  CASE WHEN seq > {open} THEN 0 WHEN seq % 50000 = 0 THEN 2 ELSE 1 END,"
        "  1 + seq % 3, CASE WHEN seq > {open} THEN 1 + seq % 3 END,"
        "  CASE WHEN seq <= {open} THEN 1 + seq % 3 END,"
        "  {utc} - ({jobs} - seq) * interval '1 second',"
        "  {utc} - ({jobs} - seq) * interval '1 second',"
        "  CASE WHEN seq > {open} OR seq % 50000 = 0 THEN NULL"
        "   ELSE {utc} - ({jobs} - seq) * interval '1 second' END,"
        "  '' FROM generate_series(1, {jobs}) AS seq".format(open=JOBS - 60, jobs=JOBS,
                                                              utc=utc))
    db.execute("UPDATE async_job SET job_status = 0, removed = NULL, job_executing_msid = 1"
               " WHERE instance_type = 'Thread' AND id <= 40000")
    db.execute("ANALYZE host")
    db.execute("ANALYZE async_job")


def queries():
    """The statements the drivers run, from exporter/source/parse.h."""
    header = open(os.path.join(benchlib.ROOT, "exporter", "source", "parse.h")).read()
    found = {}
    for name in ("kAgentsQuery", "kJobsQuery"):
        body = re.search(r"%s\[\] =\s*(.*?);" % name, header, re.S).group(1)
        found[name] = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', body))
    return found["kAgentsQuery"], found["kJobsQuery"]


def explain(db, sql):
    if db.driver == "mysql":
        conn = db.connect()
        try:
            cur = conn.cursor()
            cur.execute("EXPLAIN " + sql)
            cols = [d[0] for d in cur.description]
            rows = cur.fetchall()
        finally:
            conn.close()
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for row in rows:
            lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
        return "\n".join(lines)
    rows = db.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) " + sql)
    return "```\n" + "\n".join(r[0] for r in rows) + "\n```"


def time_reads(db, reads):
    args = [build_program("source_dump"), "--driver", db.driver, "--user", db.exporter_user,
            "--password-file", db.password_file, "--name", db.name, "--host", db.host,
            "--port", str(db.port), "--blast", "--reads", str(reads), "--gap", "0"]
    out = subprocess.run(args, stdout=subprocess.PIPE, check=True, timeout=600).stdout
    lines = [json.loads(line) for line in out.decode().splitlines()]
    for line in lines:
        assert line["ok"] and line["blast"]["ok"], line
    last = lines[-1]["blast"]
    return [line["blast"]["elapsed"] * 1000 for line in lines[1:]], last


def measure(driver, reads, workdir):
    db = db_servers.start_database(driver, os.path.join(workdir, driver))
    try:
        (load_mysql if driver == "mysql" else load_postgresql)(db)
        version = db.execute("SELECT VERSION()")[0][0]
        agents_sql, jobs_sql = queries()
        plans = {"agents": explain(db, agents_sql), "jobs": explain(db, jobs_sql)}
        times, last = time_reads(db, reads)
        counts = {"agents": sum(g["count"] for g in last["agents"]),
                  "jobs": sum(g["count"] for g in last["jobs"])}
        return {"driver": driver, "version": version, "plans": plans,
                "ms": benchlib.summary(times), "counts": counts}
    finally:
        db.stop()
        db.cleanup()


def report(results, reads, load):
    agents_sql, jobs_sql = queries()
    out = [SECTION, "",
           "Generated by `bench/blast_radius.py` (not part of `bench/run`). One read = the "
           "two statements of `exporter/source/parse.h` through the exporter's driver "
           "(`source_dump --blast`), on %s rows of `async_job` and %s of `host` "
           "(docs/databases.md, \"What a node holds\"); %d reads after one to warm up, "
           "read every `blast_radius.interval` (30 s) by default. Load average at the start "
           "%.2f on %d cores shared with other work: the p95 and max follow it (an earlier "
           "run at load 7 measured a MariaDB p95 of 28.7 ms, p50 3.8 ms)." % (
               format(JOBS, ","), format(HOSTS + 100, ","), reads - 1, load,
               os.cpu_count()), "",
           "| database | p50 | p95 | max | agents counted | jobs in progress counted |",
           "|---|---|---|---|---|---|"]
    for r in results:
        out.append("| %s %s | %.2f ms | %.2f ms | %.2f ms | %d | %d |" % (
            r["driver"], r["version"], r["ms"]["median"], r["ms"]["p95"], r["ms"]["max"],
            r["counts"]["agents"], r["counts"]["jobs"]))
    out += ["", "```sql", agents_sql + ";", jobs_sql + ";", "```"]
    for r in results:
        out += ["", "EXPLAIN on %s, agents:" % r["driver"], "", r["plans"]["agents"], "",
                "EXPLAIN on %s, jobs:" % r["driver"], "", r["plans"]["jobs"]]
    return "\n".join(out) + "\n"


def write_section(text):
    path = os.path.join(benchlib.ROOT, "BENCHMARKS.md")
    current = open(path).read()
    start = current.find(SECTION)
    if start >= 0:
        end = current.find("\n## ", start + len(SECTION))
        current = current[:start] + (current[end + 1:] if end >= 0 else "")
    with open(path, "w") as f:
        f.write(current.rstrip("\n") + "\n\n" + text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=201)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="msx-blast-") as workdir:
        results = [measure(driver, args.reads, workdir) for driver in ("mysql", "postgresql")]
    text = report(results, args.reads, load)
    print(text)
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
