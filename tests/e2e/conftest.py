"""End-to-end test bed: a real database with CloudStack's schema, the simulator, the
exporter, a real Prometheus scraping it every second and a real Alertmanager it
pushes to, all on free loopback ports in temp folders, stopped by PID.

Fixtures:
  db       (module scope, parametrized over the driver): a database alone.
  stack    (module scope, parametrized over the driver): database, Alertmanager,
           exporter (short settings below), Prometheus. One per driver, shared by the
           scenarios of that driver.
  cluster  (function scope): empties the mshost tables and starts a fresh 3-node
           simulator with msids no earlier test used, so no series of an earlier
           scenario can be mistaken for this one's; plus a VerdictWatcher recording
           every verdict the exporter shows.
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

from bed import (DRIVERS, HEARTBEAT_INTERVAL, Stack, VerdictWatcher,  # noqa: E402
                 exporter_config, next_msid_base)
from lib import db_servers, procs, prom_servers, sim  # noqa: E402


@pytest.fixture(scope="module", params=DRIVERS)
def db(request, tmp_path_factory):
    """A database alone (CloudStack's schema, no other server), one per driver and
    module: for suites that start their own simulator and exporter per test."""
    database = db_servers.start_database(request.param,
                                         str(tmp_path_factory.mktemp("db-" + request.param)))
    try:
        yield database
    finally:
        database.stop()
        database.cleanup()


@pytest.fixture(scope="module", params=DRIVERS)
def stack(request, tmp_path_factory):
    driver = request.param
    workdir = str(tmp_path_factory.mktemp("e2e-" + driver))
    started = []
    try:
        db = db_servers.start_database(driver, os.path.join(workdir, "db"))
        started.append(db)
        am = prom_servers.start_alertmanager(os.path.join(workdir, "alertmanager"))
        started.append(am)
        exporter = procs.start_exporter(exporter_config(db, am.url),
                                        os.path.join(workdir, "exporter"))
        started.append(exporter)
        prom = prom_servers.start_prometheus(os.path.join(workdir, "prometheus"),
                                             [exporter.address], scrape_interval="1s")
        started.append(prom)
        yield Stack(driver, db, am, exporter, prom, workdir)
    finally:
        for server in reversed(started):
            server.stop()
        if started:
            started[0].cleanup()  # the database's folders outside workdir


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "clock_offsets(dict): per-node clock offsets for the cluster fixture, "
        "e.g. {'ms-2': '-40s'}")


@pytest.fixture
def cluster(request, stack, tmp_path):
    """A fresh 3-node simulator on this test's own msids, and a VerdictWatcher that
    has seen every node ok."""
    marker = request.node.get_closest_marker("clock_offsets")
    for table in ("mshost_peer", "mshost_status", "mshost", "host", "async_job"):  # children first
        stack.db.execute("DELETE FROM " + table)
    simulator = sim.start_simulator(
        stack.db, str(tmp_path / "sim"), nodes=3, heartbeat_interval=HEARTBEAT_INTERVAL,
        extra_args=["--msid-base", str(next_msid_base())],
        clock_offsets=marker.args[0] if marker else None)
    watcher = VerdictWatcher(stack.exporter)
    try:
        watcher.wait_all_ok([simulator.msid(n) for n in simulator.nodes])
        yield simulator, watcher
    finally:
        watcher.stop()
        simulator.stop()

