"""Fixtures for the integration suites: tests/ on sys.path (for `lib`), one private
database per driver and module, and the path of the built test programs."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from lib import db_servers  # noqa: E402

DRIVERS = ["mysql", "postgresql"]
BUILD_DIR = os.environ.get("MSX_BUILD_DIR", os.path.join(HERE, "..", "..", "build"))


@pytest.fixture(scope="module", params=DRIVERS)
def db(request, tmp_path_factory):
    """A running database with CloudStack's schema; one per driver and module."""
    database = db_servers.start_database(
        request.param, str(tmp_path_factory.mktemp("db-" + request.param)))
    yield database
    database.stop()
    database.cleanup()


@pytest.fixture
def fresh_db(db):
    """`db`, running and with empty tables, whatever the previous test did to it."""
    if db.running:
        db.thaw()
    else:
        db.start()
    db.execute("DELETE FROM mshost_peer")
    db.execute("DELETE FROM mshost_status")  # refers to mshost.uuid
    db.execute("DELETE FROM mshost")
    db.execute("DELETE FROM host")
    db.execute("DELETE FROM async_job")
    return db


def build_program(name):
    """Path of a program built from tests/integration/; fails the test clearly when
    the build has not made it."""
    path = os.path.join(BUILD_DIR, "tests", "integration", name)
    if not os.access(path, os.X_OK):
        pytest.fail("%s not built: run cmake --build %s --target %s" % (path, BUILD_DIR, name))
    return path
