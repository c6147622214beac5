"""Runs promtool, amtool and docker-compose for the promside tests and names the tool's
output when it fails. Paths are relative to the repository root (alert_catalog.REPO)."""
import shutil
import subprocess

import pytest

from promside.alert_catalog import REPO

PROMTOOL = "/usr/bin/promtool"
AMTOOL = "/usr/bin/amtool"


def need(tool):
    """The tool's path; fails the test (not skips: scripts/install-deps.sh installs
    every one of them) when it is missing."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail("%s is not installed: run scripts/install-deps.sh" % tool)
    return path


def run(args, cwd=REPO, ok=True, timeout=120):
    """Runs args; with ok=True asserts exit code 0 and shows the output otherwise."""
    need(args[0])
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if ok:
        assert r.returncode == 0, "%s exited %d:\n%s\n%s" % (
            " ".join(args), r.returncode, r.stdout, r.stderr)
    return r
