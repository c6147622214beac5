"""The README's first command, `bash scripts/demo.sh`, run as a user would (with
--no-wait so it ends after the story): it tells the whole story in time and leaves
no process and no folder behind."""
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def processes_mentioning(text):
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                if text.encode() in f.read():
                    pids.append(int(entry))
        except OSError:
            pass
    return pids


def version_source(build_dir):
    """The generated version.cc: (mtime, text)."""
    path = os.path.join(build_dir, "exporter", "version.cc")
    with open(path) as f:
        return os.stat(path).st_mtime_ns, f.read()


@pytest.mark.parametrize("driver", ["mysql", "postgresql"])
def test_demo_tells_the_story_and_cleans_up(driver):
    env = dict(os.environ)
    env.setdefault("MSX_BUILD_DIR", os.path.join(REPO, "build"))
    # The demo configures and builds the folder the other suites start the exporter
    # from. Configuring the same commit again must leave version.cc alone: a new one
    # (a build date of the moment) relinked the binary under the suites running
    # beside this one, which then found no exporter to start.
    version_before = version_source(env["MSX_BUILD_DIR"])
    # Its own session, so a timeout can stop the whole demo (demo.py cleans up on
    # SIGTERM) and not just the shell. The timeout leaves room for a rebuild.
    demo = subprocess.Popen(["bash", "scripts/demo.sh", "--no-wait", "--driver", driver], cwd=REPO, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = demo.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        os.killpg(demo.pid, signal.SIGTERM)
        try:
            out, err = demo.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            out, err = demo.communicate()
        raise AssertionError("demo timed out:\n%s\n%s" % (out, err))
    assert demo.returncode == 0, "demo failed (%d):\n%s\n%s" % (demo.returncode, out, err)
    assert version_source(env["MSX_BUILD_DIR"]) == version_before
    # The story itself (after install and build) is under two minutes.
    story_seconds = float(re.findall(r"^\[[\d:]+ +\+([\d.]+)s\]", out, re.M)[-1])
    assert story_seconds < 120, out

    # The story, in order.
    story = [
        (r"MariaDB" if driver == "mysql" else r"PostgreSQL") + r" is up on 127\.0\.0\.1:\d+",
        r"Starting 3 simulated CloudStack management servers",
        r"Three healthy nodes",
        r"ms-1 .*verdict=ok", r"ms-2 .*verdict=ok", r"ms-3 .*verdict=ok",
        r"Killing ms-2 like kill -9",
        r"ms-2 +state=Up ",
        r"row still says Up",
        r"after the kill: ms-2 verdict=up_not_running",
        r"Alert raised by the exporter: cloudstack_mshost_alert_firing\{alertname="
        r"\"CloudStackMgmtServerUpNotRunning\"",
        r"Alertmanager has it .*CloudStackMgmtServerUpNotRunning severity=critical name=ms-2",
        r"`mshost_exporter check` exits 2",
        r"status page +http://127\.0\.0\.1:\d+/",
        r"metrics +http://127\.0\.0\.1:\d+/metrics",
        r"no process left",
    ]
    pos = 0
    for pattern in story:
        m = re.compile(pattern).search(out, pos)
        assert m, "missing (in order) %r in demo output:\n%s" % (pattern, out)
        pos = m.end()

    # Within seconds: dead_after is 5s and the exporter polls every second.
    seconds = float(re.search(r"([\d.]+)s after the kill: ms-2 verdict=up_not_running",
                              out).group(1))
    assert seconds < 5 + 1.5 + 1 + 2, out

    # Nothing left: no process mentions the demo's folder, and the folder is gone.
    workdir = re.search(r"files, logs +(\S+)", out).group(1)
    assert workdir.startswith("/") and "mshost-demo." in workdir
    assert processes_mentioning(workdir) == []
    assert not os.path.exists(workdir)


def test_ctrl_c_through_tee_stops_everything(tmp_path):
    """`bash scripts/demo.sh | tee demo.log`, then Ctrl-C: the terminal sends SIGINT to
    the whole foreground group, which ends tee too. The demo must still stop every
    process it started (MariaDB, simulator, exporter, Alertmanager) and end."""
    env = dict(os.environ)
    env.setdefault("MSX_BUILD_DIR", os.path.join(REPO, "build"))
    log = str(tmp_path / "demo.log")
    read_end, write_end = os.pipe()  # stdin like a terminal's: open, nothing typed

    def foreground_job():  # a shell in a script would hand the job an ignored SIGINT
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.setsid()

    demo = subprocess.Popen(["bash", "-c", "bash scripts/demo.sh | tee " + log], cwd=REPO,
                            env=env, stdin=read_end, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, preexec_fn=foreground_job)
    os.close(read_end)
    out, workdir, left = "", None, []
    try:
        deadline = time.monotonic() + 600  # room for a rebuild
        while time.monotonic() < deadline and demo.poll() is None:
            if os.path.exists(log) and "Everything keeps running" in open(log).read():
                break
            time.sleep(0.5)
        story = open(log).read()
        assert "Everything keeps running" in story, story
        workdir = re.search(r"files, logs +(\S+)", story).group(1)
        assert processes_mentioning(workdir)
        os.killpg(demo.pid, signal.SIGINT)
        out, _ = demo.communicate(timeout=90)
    finally:
        os.close(write_end)
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.communicate()
        # Whatever the demo left behind (in sessions of their own) is a failure; it
        # goes all the same, by PID, so that it cannot disturb later tests.
        left = processes_mentioning(workdir) if workdir else []
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        kept = bool(workdir) and os.path.exists(workdir)
        if kept:
            shutil.rmtree(workdir, ignore_errors=True)
    assert left == [], out
    assert "Traceback" not in out, out
    assert re.search(r"Stopped MariaDB, simulator, Alertmanager, mshost_exporter; "
                     r"no process left", out), out
    assert not kept
