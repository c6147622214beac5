"""The status page (/) in a real browser: Debian's headless Chromium, driven over the
DevTools protocol, against the exporter watching the simulator on a private MariaDB.

One page load lives through a kill and a rename: the page must redraw itself in place
from /api/v1/status (same document, no reload) with the killed node first as
up_not_running, and a node renamed to `<script>alert(1)</script>` shown as text with
no script run. The page is also read with JavaScript off, compared with what its
script draws, and /api/v1/status is validated against docs/status.schema.json.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time

import jsonschema
import pytest
import requests
import websocket

from lib import db_servers, procs, sim

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "..", "..", "docs")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCRIPT_NAME = "<script>alert(1)</script>"
MARKUP_NAME = 'a & "b" <img src=x onerror=alert(2)>'
PAGE_TITLE = "mshost_exporter status"


def wait_for(check, timeout, what, period=0.1):
    """Calls check() until it returns something true; returns that."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(period)
    raise AssertionError("timed out after %.0fs waiting for %s; last: %r"
                         % (timeout, what, last))


# --- a headless Chromium and a tiny DevTools protocol client ------------------------

class Chromium:
    """Headless Chromium in its own session and profile folder, stopped by PID (and
    its process group, for the renderers it forks)."""

    def __init__(self, workdir):
        self.profile = os.path.join(workdir, "profile")
        os.makedirs(self.profile, exist_ok=True)
        self.log_path = os.path.join(workdir, "chromium.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--user-data-dir=" + self.profile, "--remote-debugging-address=127.0.0.1",
                 "--remote-debugging-port=0", "about:blank"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        # Chromium writes the port it bound into the profile folder.
        active = os.path.join(self.profile, "DevToolsActivePort")
        try:
            self.port = wait_for(lambda: self._read_port(active), 30,
                                 "Chromium's DevTools port")
        except AssertionError:
            self.stop()
            raise

    def _read_port(self, path):
        if self.proc.poll() is not None:
            raise RuntimeError("chromium exited (%s): %s" % (self.proc.returncode,
                                                             self.log_tail()))
        try:
            with open(path, encoding="utf-8") as f:
                first = f.readline().strip()
        except OSError:
            return None
        return int(first) if first.isdigit() else None

    def new_tab(self):
        target = requests.put("http://127.0.0.1:%d/json/new?about:blank" % self.port,
                              timeout=10).json()
        return DevTools(target["webSocketDebuggerUrl"])

    def log_tail(self, lines=20):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:  # renderers and zygotes it may have left in its session
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class DevTools:
    """One tab over the DevTools protocol: call() waits for its answer and keeps the
    events that arrive meanwhile in `events`."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=20, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        call_id = self.next_id
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, message["error"]))
                return message["result"]
            self.events.append(message)

    def evaluate(self, expression):
        """The value of a JavaScript expression (promises awaited)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError("%s: %s" % (expression, result["exceptionDetails"]))
        return result["result"].get("value")

    def open(self, url):
        self.call("Page.navigate", url=url)
        wait_for(lambda: self.evaluate("document.readyState") == "complete", 10,
                 "%s to load" % url)

    def event_names(self):
        return [e.get("method") for e in self.events]

    def close(self):
        self.ws.close()


# What the page shows, read from the DOM: per target section, its paragraphs and the
# rows of its tables, each cell as [class, text].
READ_PAGE = r"""(function (doc) {
  function rows(section, klass) {
    return Array.from(section.querySelectorAll("table." + klass + " tbody tr")).map(
      function (tr) {
        return {"class": tr.className, "msid": tr.getAttribute("data-msid"),
                "verdict": tr.getAttribute("data-verdict"),
                "cells": Array.from(tr.children).map(function (td) {
                  return [td.className, td.textContent, td.childElementCount]; })};
      });
  }
  return Array.from(doc.querySelectorAll("section.target")).map(function (s) {
    return {"name": s.getAttribute("data-target"),
            "structure": Array.from(s.children).map(function (e) {
              return e.tagName + "." + e.className; }),
            "headers": Array.from(s.querySelectorAll("th")).map(function (th) {
              return th.textContent; }),
            "lines": Array.from(s.querySelectorAll("p")).map(function (p) {
              return [p.className, p.textContent]; }),
            "nodes": rows(s, "nodes"), "alerts": rows(s, "alerts"),
            "peers": rows(s, "peers")};
  });
})"""


def read_page(tab, source="document"):
    return tab.evaluate(READ_PAGE + "(" + source + ")")


def cell(row, klass):
    """The text of the cell whose class starts with `klass`."""
    for cell_class, text, _ in row["cells"]:
        if cell_class.split()[0] == klass:
            return text
    raise KeyError(klass)


def section(page, name):
    return next(s for s in page if s["name"] == name)


# --- the test bed -----------------------------------------------------------------

@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("status-page"))
    stops = []
    try:
        db = db_servers.start_database("mysql", os.path.join(workdir, "db"))
        stops.append(db.stop)
        simulator = sim.start_simulator(db, os.path.join(workdir, "sim"), nodes=3,
                                        heartbeat_interval=0.5)
        stops.append(simulator.stop)
        exporter = procs.start_exporter({
            "poll_interval": "500ms",
            "targets": [
                {"name": "e2e",
                 "database": db.config_yaml_database(),
                 "heartbeat": {"dead_after": "2s", "stale_after": "4s"},
                 "probe": {"kind": "tcp", "timeout": "500ms"}},
                # Nothing listens there: the page must say so, and the JSON of a
                # target never read must still validate.
                {"name": "offline",
                 "database": db.config_yaml_database(port=procs.closed_port(),
                                                     connect_timeout="1s")},
            ]}, os.path.join(workdir, "exporter"))
        stops.append(exporter.stop)
        browser = Chromium(os.path.join(workdir, "chromium"))
        stops.append(browser.stop)
        yield db, simulator, exporter, browser
    finally:
        for stop in reversed(stops):
            stop()
        if stops:
            db.cleanup()


def break_cluster(db, simulator):
    """Kills ms-2 and gives ms-3 and ms-1 names full of markup; once per module (the
    second call finds it done)."""
    if simulator.status()["ms-2"]["mode"] != "dead":
        simulator.act("kill", "ms-2")
    db.execute("UPDATE mshost SET name=%s WHERE msid=%s", (SCRIPT_NAME, simulator.msid("ms-3")))
    db.execute("UPDATE mshost SET name=%s WHERE msid=%s", (MARKUP_NAME, simulator.msid("ms-1")))


def all_ok(exporter, count):
    nodes = section_json(exporter.status(), "e2e")["nodes"]
    return len(nodes) == count and all(n["verdict"] == "ok" for n in nodes)


def section_json(status, name):
    return next(t for t in status["targets"] if t["name"] == name)


def test_page_redraws_in_place_with_killed_node_first_and_names_as_text(bed):
    db, simulator, exporter, browser = bed
    wait_for(lambda: all_ok(exporter, 3), 15, "all three nodes ok")
    killed, renamed, marked = (simulator.msid(n) for n in ("ms-2", "ms-3", "ms-1"))

    tab = browser.new_tab()
    try:
        tab.call("Page.enable")
        tab.call("Network.enable")
        # Any alert() the page ran, injected or not, would land here.
        tab.call("Page.addScriptToEvaluateOnNewDocument",
                 source="window.__alerts = []; window.alert = function (m) {"
                        " window.__alerts.push(String(m)); };")
        tab.open(exporter.url + "/")
        first = read_page(tab)
        assert [row["verdict"] for row in section(first, "e2e")["nodes"]] == ["ok"] * 3
        tab.evaluate("window.__marker = 'same document'")

        break_cluster(db, simulator)

        def redrawn():
            nodes = section(read_page(tab), "e2e")["nodes"]
            names = {row["msid"]: cell(row, "name") for row in nodes}
            if (nodes[0]["msid"] == killed and nodes[0]["verdict"] == "up_not_running"
                    and names.get(renamed) == SCRIPT_NAME):
                return nodes
            return None
        nodes = wait_for(redrawn, 20, "the page to show ms-2 up_not_running first")

        # The same document, redrawn by its script: no reload, no navigation.
        assert tab.evaluate("window.__marker") == "same document"
        assert int(tab.evaluate("document.body.getAttribute('data-updates')")) >= 1
        assert tab.evaluate("document.querySelector('meta[http-equiv]')") is None
        assert tab.evaluate("document.getElementById('live').textContent").startswith(
            "live:")

        top = nodes[0]
        assert cell(top, "name") == "ms-2"
        assert cell(top, "verdict") == "up_not_running"
        verdict_class = next(c for c, _, _ in top["cells"] if c.startswith("verdict"))
        assert verdict_class.split() == ["verdict", "v-up_not_running"]  # the colour
        assert cell(top, "state") == "Up"
        assert cell(top, "probe").startswith("failed")
        assert [row["verdict"] for row in nodes[1:]] == ["ok", "ok"]

        # Names from the database are text: no element came from them, no script ran.
        by_msid = {row["msid"]: row for row in nodes}
        assert cell(by_msid[marked], "name") == MARKUP_NAME
        for row in (by_msid[renamed], by_msid[marked]):
            assert row["cells"][0][2] == 0, row  # the name cell has no child element
        assert tab.evaluate("document.querySelectorAll('script').length") == 1
        assert tab.evaluate("document.querySelectorAll('img').length") == 0
        assert tab.evaluate("window.__alerts") == []
        assert tab.evaluate("document.title") == PAGE_TITLE
        assert "Page.javascriptDialogOpening" not in tab.event_names()

        # Self-contained: every request the page made went to the exporter.
        urls = [e["params"]["request"]["url"] for e in tab.events
                if e.get("method") == "Network.requestWillBeSent"]
        assert urls and all(u.startswith(exporter.url + "/") for u in urls), urls
        assert exporter.url + "/api/v1/status" in urls

        # The built-in evaluator's alert for the killed node, with its age.
        def alert_shown():
            alerts = section(read_page(tab), "e2e")["alerts"]
            return [a for a in alerts if cell(a, "alertname") ==
                    "CloudStackMgmtServerUpNotRunning" and cell(a, "msid") == killed]
        alert = wait_for(alert_shown, 10, "CloudStackMgmtServerUpNotRunning on the page")[0]
        assert cell(alert, "name") == "ms-2"
        assert re.match(r"^\d+(\.\d)?s$", cell(alert, "for")), cell(alert, "for")

        page = read_page(tab)
        offline = section(page, "offline")
        assert offline["lines"][0][0] == "db down"
        assert offline["lines"][0][1].startswith("Database UNREACHABLE since ")
        assert offline["nodes"] == []
        peers = section(page, "e2e")["peers"]
        assert peers, "the simulator writes mshost_peer: the page shows how nodes see peers"

        # The script draws what the server draws. Compared: everything but times and
        # ages, which move between the two renderings.
        server = tab.evaluate(
            "fetch('/', {cache: 'no-store'}).then(r => r.text()).then(html => (%s)("
            "new DOMParser().parseFromString(html, 'text/html')))" % READ_PAGE)
        assert stable(server) == stable(read_page(tab))
    finally:
        tab.close()


TIME_DEPENDENT = {"age", "silence", "offset", "probe", "since", "for"}


def stable(page):
    """A page reading without what changes from one poll to the next."""
    out = []
    for s in page:
        out.append({
            "name": s["name"], "structure": s["structure"], "headers": s["headers"],
            "line_classes": [klass for klass, _ in s["lines"]],
            "tables": [[row["class"], row["msid"], row["verdict"],
                        [(klass, None if klass.split()[0] in TIME_DEPENDENT else text, kids)
                         for klass, text, kids in row["cells"]]]
                       for table in ("nodes", "alerts", "peers") for row in s[table]]})
    return out


def test_page_without_javascript_shows_the_same(bed):
    db, simulator, exporter, browser = bed
    killed = simulator.msid("ms-2")
    break_cluster(db, simulator)

    def broken():
        nodes = {n["msid"]: n for n in section_json(exporter.status(), "e2e")["nodes"]}
        return (nodes.get(killed, {}).get("verdict") == "up_not_running"
                and SCRIPT_NAME in [n["name"] for n in nodes.values()])
    wait_for(broken, 20, "ms-2 up_not_running and ms-3 renamed")

    res = exporter.get("/")
    assert res.status_code == 200
    assert res.headers["Content-Type"] == "text/html; charset=utf-8"

    tab = browser.new_tab()
    try:
        tab.call("Emulation.setScriptExecutionDisabled", value=True)
        tab.open(exporter.url + "/")
        nodes = section(read_page(tab), "e2e")["nodes"]
        assert nodes[0]["msid"] == killed
        assert cell(nodes[0], "verdict") == "up_not_running"
        assert SCRIPT_NAME in [cell(row, "name") for row in nodes]
        assert tab.evaluate("document.getElementById('live').textContent") == \
            "static: reload the page to update"
        assert tab.evaluate("document.title") == PAGE_TITLE
    finally:
        tab.close()


def schema():
    with open(os.path.join(DOCS, "status.schema.json"), encoding="utf-8") as f:
        return json.load(f)


def test_status_json_validates_against_the_documented_schema(bed):
    db, simulator, exporter, browser = bed
    res = exporter.get("/api/v1/status")
    assert res.status_code == 200
    assert res.headers["Content-Type"] == "application/json"
    status = res.json()
    validator = jsonschema.Draft202012Validator(schema())
    errors = ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
              for e in validator.iter_errors(status)]
    assert errors == []
    # A target never read and one with live nodes are both in it.
    assert section_json(status, "offline")["db"]["ever_up"] is False
    assert len(section_json(status, "e2e")["nodes"]) == 3


def test_documented_example_validates():
    with open(os.path.join(DOCS, "status-api.md"), encoding="utf-8") as f:
        text = f.read()
    examples = re.findall(r"```json\n(.*?)```", text, re.S)
    assert examples, "docs/status-api.md has no ```json example"
    jsonschema.Draft202012Validator.check_schema(schema())
    validator = jsonschema.Draft202012Validator(schema())
    for example in examples:
        errors = [e.message for e in validator.iter_errors(json.loads(example))]
        assert errors == []
