"""The status page (/) in a real browser: Debian's headless Chromium, driven over the
DevTools protocol, against the exporter watching the simulator on a private MariaDB.

The page has one renderer, its script: it draws the status JSON embedded in the page
at load, then each answer of /api/v1/status. One page load lives through a kill and a
rename: the page must redraw itself in place (same document, no reload) with the
killed node first as up_not_running, and nodes renamed to markup that tries to end
the embedded JSON's script element shown as text with no script run. The first paint
is checked with /api/v1/status blocked (so it can only come from the embedded JSON),
and with JavaScript off. Every cell the script draws is checked against a fake
exporter serving the real page shell with known JSON, at first paint and after an
update. /api/v1/status is validated against docs/status.schema.json.
"""
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import jsonschema
import pytest
import requests
import websocket

from lib import db_servers, procs, sim

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "..", "..", "docs")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Each tries to end the page's embedded JSON early and run or load something.
SCRIPT_NAME = "</script ><script>alert(1)</script>"
MARKUP_NAME = 'a & "b" <img src=x onerror=alert(2)>\u2028<!--'
INITIAL_STATUS = re.compile(
    r'(<script id="initial-status" type="application/json">)(.*?)(</script>)', re.S)
JS_OFF_TEXT = ("static: JavaScript is off, and this page draws itself with it; "
               "the same data is at api/v1/status")
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


# The page's own two script elements: the embedded JSON, then the renderer.
SCRIPTS = "Array.from(document.scripts).map(function (s) { return s.id + ':' + s.type; })"
PAGE_SCRIPTS = ["initial-status:application/json", ":"]


def header(tab):
    """The header line's parts: [id, class, text] of each span."""
    return tab.evaluate(
        "Array.from(document.querySelectorAll('#exporter span')).map(function (e) {"
        " return [e.id, e.className, e.textContent]; })")


def live_line(tab):
    """[class, text] of the line that says whether the page is live."""
    return tab.evaluate("(function (e) { return [e.className, e.textContent]; })"
                        "(document.getElementById('live'))")


def updates(tab):
    """How often the page redrew itself from /api/v1/status."""
    return int(tab.evaluate("document.body.getAttribute('data-updates')"))


def embedded_status(html):
    """The status JSON embedded in the page's HTML, parsed."""
    match = INITIAL_STATUS.search(html)
    assert match, "no embedded status JSON in the page"
    return json.loads(match.group(2))


def script_safe_json(value):
    """JSON as the exporter embeds it: no character that could end or open markup."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def open_first_paint(browser, url):
    """A tab showing `url` whose requests to /api/v1/status fail: what it shows came
    from the JSON embedded in the page."""
    tab = browser.new_tab()
    tab.call("Network.enable")
    tab.call("Network.setBlockedURLs", urls=["*/api/v1/status*"])
    tab.open(url)
    return tab


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
        assert tab.evaluate(SCRIPTS) == PAGE_SCRIPTS
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
        assert updates(tab) >= 1
        assert tab.evaluate("document.querySelector('meta[http-equiv]')") is None
        assert tab.evaluate("document.getElementById('live').textContent").startswith(
            "live:")

        top = nodes[0]
        assert cell(top, "name") == "ms-2"
        assert cell(top, "verdict") == "up_not_running"
        klass = next(c for c, _, _ in top["cells"] if c.startswith("verdict"))
        assert klass.split() == ["verdict", "v-up_not_running", "l-critical"]  # the colour
        assert cell(top, "state") == "Up"
        assert cell(top, "probe").startswith("failed")
        assert [row["verdict"] for row in nodes[1:]] == ["ok", "ok"]

        # Names from the database are text: no element came from them, no script ran.
        by_msid = {row["msid"]: row for row in nodes}
        assert cell(by_msid[marked], "name") == MARKUP_NAME
        for row in (by_msid[renamed], by_msid[marked]):
            assert row["cells"][0][2] == 0, row  # the name cell has no child element
        assert tab.evaluate(SCRIPTS) == PAGE_SCRIPTS
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

        # A fresh load, drawn from the JSON embedded in the page alone, shows what
        # the redraws from /api/v1/status show. Compared: everything but times and
        # ages, which move between the two.
        live = read_page(tab)
        fresh = open_first_paint(browser, exporter.url + "/")
        try:
            assert updates(fresh) == 0
            assert stable(read_page(fresh)) == stable(live)
        finally:
            fresh.close()
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


def test_first_paint_comes_from_the_embedded_json_and_needs_no_request(bed):
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
    # The HTML carries the data only as JSON, escaped, in the documented shape.
    status = embedded_status(res.text)
    validator = jsonschema.Draft202012Validator(schema())
    assert [e.message for e in validator.iter_errors(status)] == []
    names = [n["name"] for n in section_json(status, "e2e")["nodes"]]
    assert SCRIPT_NAME in names and MARKUP_NAME in names
    for raw in (SCRIPT_NAME, MARKUP_NAME, "<img", "\u2028", "<!--", "<td"):
        assert raw not in res.text, raw

    # Scripts on, /api/v1/status blocked: the rows are there, from the page alone.
    tab = open_first_paint(browser, exporter.url + "/")
    try:
        nodes = section(read_page(tab), "e2e")["nodes"]
        assert updates(tab) == 0
        assert nodes[0]["msid"] == killed
        assert cell(nodes[0], "verdict") == "up_not_running"
        assert SCRIPT_NAME in [cell(row, "name") for row in nodes]
        assert MARKUP_NAME in [cell(row, "name") for row in nodes]
        assert all(kids == 0 for row in nodes for _, _, kids in row["cells"])
        assert tab.evaluate(SCRIPTS) == PAGE_SCRIPTS
        assert tab.evaluate("document.querySelectorAll('img').length") == 0
        assert tab.evaluate("document.title") == PAGE_TITLE

        # The refresh did try, failed, said so, and left the drawing alone.
        def failure_reported():
            klass, text = live_line(tab)
            return klass == "bad" and text.startswith("update failed at ")
        wait_for(failure_reported, 10, "the blocked refresh to be reported")
        assert updates(tab) == 0
        assert section(read_page(tab), "e2e")["nodes"] == nodes
    finally:
        tab.close()

    # Scripts off: nothing can draw the data, and the page says where it is.
    tab = browser.new_tab()
    try:
        tab.call("Emulation.setScriptExecutionDisabled", value=True)
        tab.open(exporter.url + "/")
        assert read_page(tab) == []
        assert tab.evaluate("document.getElementById('live').textContent") == JS_OFF_TEXT
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


def test_schema_takes_every_documented_verdict_and_those_to_come():
    """The schema's verdict is open (docs/status-api.md: clients must accept verdicts
    they do not know), but still a verdict's shape: every verdict of docs/verdicts.md's
    "Order of decision" and a new one pass, a state, a label or nothing does not."""
    with open(os.path.join(DOCS, "verdicts.md"), encoding="utf-8") as f:
        text = f.read()
    table = text.split("## Order of decision", 1)[1].split("\n\n| verdict |", 1)[1]
    documented = re.findall(r"^\| `([a-z_]+)` \|", table.split("\n\n", 1)[0], re.M)
    assert "up_not_running" in documented and "ok" in documented, documented
    verdict = jsonschema.Draft202012Validator(schema()["$defs"]["verdict"])
    for good in documented + ["example_dead"]:
        assert verdict.is_valid(good), good
    for bad in ["", "Up", "up-not-running", "up_not_running ", 4, None]:
        assert not verdict.is_valid(bad), bad


# --- every cell, against known JSON -----------------------------------------------

NOW = 1700000000.0  # 2023-11-14 22:13:20 UTC
BREAKOUT_NAME = "</script><img src=x onerror=alert(1)>"
SEPARATOR_NAME = "line\u2028separator\u2029paragraph"
QUOTES_NAME = "a & \"b\" 'c' &lt; \\u003c"
NODE_COLUMNS = ["name", "msid", "state", "verdict", "heartbeat age", "silence",
                "stale / dead after", "heartbeat interval", "clock offset", "probe",
                "probed at", "version", "started (runid)", "JVM start / stop", "host boot",
                "restarts seen", "alert_count", "agents", "jobs in progress"]
ALERT_COLUMNS = ["alert", "severity", "node", "msid", "firing since", "for"]
PEER_COLUMNS = ["node", "msid", "sees peer", "peer msid", "as"]


def fake_node(msid, verdict, **fields):
    node = {"msid": str(msid), "name": "ms%d" % msid, "uuid": "uuid-%d" % msid,
            "version": "4.20.0.0", "state": "Up", "claims_running": True,
            "runid": "1699990000000", "service_ip": "10.0.0.%d" % msid,
            "service_port": 9090, "last_update": NOW - 2, "raw_age_seconds": 2.0,
            "silence_seconds": 2.0, "clock_offset_seconds": None,
            "probe": {"success": True, "duration_seconds": 0.0004, "error": "",
                      "address": "10.0.0.%d:9090" % msid, "loopback": False},
            "verdict": verdict, "heartbeat_interval_seconds": 1.5,
            "stale_after_seconds": 10.0, "dead_after_seconds": 5.0, "superseded_by": None,
            "jvm_start": None, "jvm_stop": None, "system_boot": None,
            "restarts": 0, "alert_count": 0, "agents": None, "agents_total": None,
            "jobs_in_progress": None}
    node.update(fields)
    return node


def fake_target(name, nodes=(), db=None, **fields):
    target = {"name": name, "default": False, "polled": True,
              "db": {"up": True, "ever_up": True, "last_error": "",
                     "up_since": NOW - 3600, "down_since": None, "now": NOW - 1},
              "last_poll": NOW - 1, "last_success": NOW - 1,
              "poll_duration_seconds": 0.012,
              "running_nodes": sum(1 for n in nodes
                                   if n["claims_running"] and n["verdict"] in ("ok", "up_unreachable")),
              "running_ok_nodes": sum(1 for n in nodes
                                      if n["claims_running"] and n["verdict"] == "ok"),
              "nodes": list(nodes), "alerts": [], "peers_available": False, "peers": [],
              "blast_radius": {"up": None, "error": "", "read_at": None,
                               "unattached_agents": {}}}
    target["db"].update(db or {})
    target.update(fields)
    return target


def fake_alert(msid, name, severity, active_since):
    return {"alertname": "CloudStackMgmtServerUpNotRunning", "severity": severity,
            "msid": msid, "name": name, "labels": {"msid": msid},
            "annotations": {"summary": "claims Up but is not running"},
            "active_since": active_since}


def fake_peer(owner, owner_name, peer, peer_name, state):
    return {"owner_msid": str(owner), "owner_name": owner_name, "peer_msid": str(peer),
            "peer_name": peer_name, "peer_runid": "7", "state": state}


# The first paint: every kind of line, cell and table; worst first; NULLs; markup.
FIRST = {
    "version": "0.1.0-first", "generated_at": NOW,
    "config": {"last_reload_successful": True, "last_reload_success": NOW - 60},
    "targets": [
        fake_target(
            "prod", default=True,
            nodes=[
                fake_node(1, "ok"),
                fake_node(7, "unknown", name="", version="", state="<NULL>",
                          runid="0", last_update=None, raw_age_seconds=None,
                          silence_seconds=None, probe=None),
                fake_node(42, "up_not_running", runid="1699999000123",
                          raw_age_seconds=125.5, silence_seconds=95.25,
                          clock_offset_seconds=30.25,
                          probe={"success": False, "duration_seconds": 0.0015,
                                 "error": "connection refused",
                                 "address": "127.0.0.1:8250", "loopback": True},
                          restarts=3, alert_count=2,
                          agents={"Up": 35, "Disconnected": 2, "<b>x</b>": 1},
                          agents_total=38, jobs_in_progress=4),
                fake_node(43, "ok", clock_offset_seconds=-0.3, agents={},
                          agents_total=0, jobs_in_progress=0),
                fake_node(50, "ok", name=BREAKOUT_NAME),
                fake_node(51, "ok", name=SEPARATOR_NAME, version="<!--"),
                fake_node(52, "ok", name=QUOTES_NAME, state='Up"><b>',
                          version="<img src=x onerror=alert(2)>"),
            ],
            alerts=[fake_alert("42", "ms42", "critical", NOW - 125),
                    fake_alert("", "</td><script>alert(3)</script>",
                               'critical" onclick="x', None)],
            peers_available=True,
            blast_radius={"up": True, "error": "", "read_at": NOW - 10,
                          "unattached_agents": {"Up": 1, "<i>Alert</i>": 2}},
            peers=[fake_peer(1, "ms1", 2, "<b>ms2</b>", "Down"),
                   fake_peer(2, "ms2", 1, "ms1", "Up")]),
        fake_target("order", nodes=[
            fake_node(1, "ok"), fake_node(2, "up_unreachable"),
            fake_node(3, "up_not_running"), fake_node(4, "ok"),
            fake_node(5, "down_but_running", state="Down", claims_running=False),
            fake_node(6, "up_heartbeat_stale"), fake_node(7, "unknown"),
            fake_node(8, "up_not_running")]),
        fake_target("down", nodes=[fake_node(1, "ok")], last_success=NOW - 91,
                    db={"up": False, "up_since": None, "down_since": NOW - 90,
                        "last_error": "Can't connect to server on '127.0.0.1' (111)"}),
        fake_target("never", last_success=None, poll_duration_seconds=0.002,
                    db={"up": False, "ever_up": False, "last_error": "connection refused",
                        "up_since": None, "now": None}),
        fake_target("pending", polled=False, last_poll=None, last_success=None,
                    poll_duration_seconds=0,
                    db={"up": False, "ever_up": False, "up_since": None, "now": None}),
        fake_target("<i>prod</i>", nodes=[fake_node(1, "up_not_running")]),
    ]}

# The update: new data in every part, a failed reload, targets gone, markup again.
SECOND = {
    "version": "0.1.0-second", "generated_at": NOW + 10,
    "config": {"last_reload_successful": False, "last_reload_success": NOW - 60},
    "targets": [
        fake_target(
            "prod", default=True, last_poll=NOW + 9, last_success=NOW + 9,
            nodes=[fake_node(1, "ok", name="</script><script>alert(5)</script>\u2028"),
                   fake_node(43, "up_heartbeat_stale", raw_age_seconds=4000.0,
                             silence_seconds=90061.0)],
            peers_available=True),
    ]}


def cells(*pairs):
    """Expected cells: [class, text, no child element]."""
    return [[klass, text, 0] for klass, text in pairs]


# The level class each verdict's cell carries (its colour; docs/status-api.md).
LEVEL_CLASS = {"up_not_running": "l-critical", "stop_unfinished": "l-warning",
               "up_heartbeat_stale": "l-warning", "up_unreachable": "l-warning",
               "down_but_running": "l-warning", "unknown": "l-unknown", "ok": "l-ok",
               "maintenance": "l-ok", "superseded": "l-ok"}


def verdict_class(verdict):
    return "verdict v-%s %s" % (verdict, LEVEL_CLASS[verdict])


def node_cells(msid, name, verdict, age="2.0s", silence="2.0s", offset="-",
               probe=("probe p-ok", "ok 0.4 ms"), address=None, state="Up",
               version="4.20.0.0", started="2023-11-14 19:26:40 UTC", restarts="0",
               alert_count="0", thresholds="10s / 5.0s", interval="1.5s",
               jvm="- / -", boot="-", agents="-", jobs="-"):
    return cells(("name", name), ("msid", str(msid)), ("state", state),
                 (verdict_class(verdict), verdict), ("age", age), ("silence", silence),
                 ("thresholds", thresholds), ("interval", interval),
                 ("offset", offset), probe,
                 ("address", address or "10.0.0.%d:9090" % msid), ("version", version),
                 ("started", started), ("jvm", jvm), ("boot", boot),
                 ("restarts", restarts), ("alert_count", alert_count),
                 ("agents", agents), ("jobs", jobs))


def rows_of(table):
    return [[row["class"], row["msid"], row["verdict"], row["cells"]] for row in table]


def node_row(msid, verdict, *args, **kwargs):
    return ["node", str(msid), verdict, node_cells(msid, *args, verdict=verdict, **kwargs)]


def headings(tab):
    """Per target section, its h2's text and the classes of the h2's children."""
    return tab.evaluate(
        "Array.from(document.querySelectorAll('section.target h2')).map(function (h) {"
        " return [h.textContent, Array.from(h.children).map(function (e) {"
        " return e.tagName + '.' + e.className; })]; })")


def check_first(tab):
    page = read_page(tab)
    assert [s["name"] for s in page] == ["prod", "order", "down", "never", "pending",
                                         "<i>prod</i>"]
    assert header(tab)[:3] == [
        ["version", "", "0.1.0-first"],
        ["reload", "", "configuration loaded 2023-11-14 22:12:20 UTC"],
        ["generated", "", "2023-11-14 22:13:20 UTC"]]
    assert headings(tab) == [
        ["prod (default target)", ["A.target-name", "SMALL.default"]],
        ["order", ["A.target-name"]], ["down", ["A.target-name"]],
        ["never", ["A.target-name"]], ["pending", ["A.target-name"]],
        ["<i>prod</i>", ["A.target-name"]]]
    # Each name links its target's /probe page; the header the other endpoints.
    assert tab.evaluate(
        "Array.from(document.querySelectorAll('section.target h2 a')).map(function (a) {"
        " return a.getAttribute('href'); })") == [
        "probe?target=prod", "probe?target=order", "probe?target=down",
        "probe?target=never", "probe?target=pending", "probe?target=%3Ci%3Eprod%3C%2Fi%3E"]
    assert tab.evaluate(
        "Array.from(document.querySelectorAll('#endpoints a')).map(function (a) {"
        " return a.getAttribute('href'); })") == [
        "metrics", "api/v1/status", "-/healthy", "-/ready"]

    prod = section(page, "prod")
    assert prod["structure"] == ["H2.", "P.db up", "P.poll", "P.blast bad", "TABLE.nodes",
                                 "H3.", "TABLE.alerts", "H3.", "TABLE.peers"]
    assert prod["headers"] == NODE_COLUMNS + ALERT_COLUMNS + PEER_COLUMNS
    assert prod["lines"] == [
        ["db up", "Database reachable since 2023-11-14 21:13:20 UTC (1h 00m)."],
        ["poll", "Last poll 2023-11-14 22:13:19 UTC (1.0s ago), took 0.012 s. "
                 "5 of 7 nodes are running (claim running and heartbeat)."],
        ["blast bad", "Agents and jobs read 2023-11-14 22:13:10 UTC (10s ago). Agents "
                      "attached to no current node: 2 <i>Alert</i>, 1 Up."]]
    assert rows_of(prod["nodes"]) == [
        node_row(42, "up_not_running", "ms42", age="2m 05s", silence="1m 35s",
                 offset="+30s",
                 probe=("probe p-failed", "failed 1.5 ms: connection refused"),
                 address="127.0.0.1:8250 (loopback)", started="2023-11-14 21:56:40 UTC",
                 restarts="3", alert_count="2",
                 agents="38 (1 <b>x</b>, 2 Disconnected, 35 Up)", jobs="4"),
        node_row(7, "unknown", "", age="never", silence="never", probe=("probe", "off"),
                 address="-", state="<NULL>", version="", started="-"),
        node_row(1, "ok", "ms1"),
        node_row(43, "ok", "ms43", offset="-0.3s", agents="0", jobs="0"),
        node_row(50, "ok", BREAKOUT_NAME),
        node_row(51, "ok", SEPARATOR_NAME, version="<!--"),
        node_row(52, "ok", QUOTES_NAME, state='Up"><b>',
                 version="<img src=x onerror=alert(2)>")]
    assert rows_of(prod["alerts"]) == [
        ["sev-critical", None, None, cells(
            ("alertname", "CloudStackMgmtServerUpNotRunning"), ("severity", "critical"),
            ("name", "ms42"), ("msid", "42"), ("since", "2023-11-14 22:11:15 UTC"),
            ("for", "2m 05s"))],
        # An unknown severity never becomes a class name of its own.
        ["sev-other", None, None, cells(
            ("alertname", "CloudStackMgmtServerUpNotRunning"),
            ("severity", 'critical" onclick="x'),
            ("name", "</td><script>alert(3)</script>"), ("msid", ""), ("since", "-"),
            ("for", "-"))]]
    assert rows_of(prod["peers"]) == [
        ["peer bad", None, None, cells(("name", "ms1"), ("msid", "1"),
                                       ("peer-name", "<b>ms2</b>"), ("peer-msid", "2"),
                                       ("state", "Down"))],
        ["peer", None, None, cells(("name", "ms2"), ("msid", "2"), ("peer-name", "ms1"),
                                   ("peer-msid", "1"), ("state", "Up"))]]

    order = section(page, "order")
    assert [(r["msid"], r["verdict"]) for r in order["nodes"]] == [
        ("3", "up_not_running"), ("8", "up_not_running"), ("6", "up_heartbeat_stale"),
        ("2", "up_unreachable"), ("5", "down_but_running"), ("7", "unknown"),
        ("1", "ok"), ("4", "ok")]
    for row in order["nodes"]:  # colour and word: the class colours, the text says
        assert row["cells"][3] == [verdict_class(row["verdict"]), row["verdict"], 0]
    assert order["structure"] == ["H2.", "P.db up", "P.poll", "TABLE.nodes", "H3.",
                                  "P.none", "H3.", "P.none"]
    assert order["lines"][1:] == [
        ["poll", "Last poll 2023-11-14 22:13:19 UTC (1.0s ago), took 0.012 s. "
                 "3 of 8 nodes are running (claim running and heartbeat)."],
        ["none", "No alert firing."], ["none", "Not available: mshost_peer was not read."]]

    assert section(page, "down")["lines"][:2] == [
        ["db down", "Database UNREACHABLE since 2023-11-14 22:11:50 UTC (1m 30s). "
                    "Error: Can't connect to server on '127.0.0.1' (111)"],
        ["poll", "Last poll 2023-11-14 22:13:19 UTC (1.0s ago), took 0.012 s. The nodes "
                 "below are frozen as of the last successful poll, 2023-11-14 22:11:49 "
                 "UTC (1m 31s ago). 1 of 1 nodes are running (claim running and heartbeat)."]]
    assert [r["msid"] for r in section(page, "down")["nodes"]] == ["1"]
    assert section(page, "never")["lines"][:2] == [
        ["db down", "Database UNREACHABLE. Error: connection refused"],
        ["poll bad", "Last poll 2023-11-14 22:13:19 UTC (1.0s ago), took 0.002 s. "
                     "Never read since the exporter started: no verdicts."]]
    assert section(page, "never")["nodes"] == []
    assert section(page, "pending")["lines"][:2] == [
        ["db pending", "Database not read yet: the first poll runs."],
        ["poll", "No poll finished yet."]]
    assert section(page, "<i>prod</i>")["lines"][1] == [
        "poll bad", "Last poll 2023-11-14 22:13:19 UTC (1.0s ago), took 0.012 s. "
                    "0 of 1 nodes are running (claim running and heartbeat)."]


def check_second(tab):
    page = read_page(tab)
    assert [s["name"] for s in page] == ["prod"]
    assert header(tab)[:3] == [
        ["version", "", "0.1.0-second"],
        ["reload", "bad", "last reload FAILED (see the log): running the configuration "
                          "loaded 2023-11-14 22:12:20 UTC"],
        ["generated", "", "2023-11-14 22:13:30 UTC"]]
    prod = section(page, "prod")
    assert prod["structure"] == ["H2.", "P.db up", "P.poll", "TABLE.nodes", "H3.",
                                 "P.none", "H3.", "P.none"]
    assert prod["lines"] == [
        ["db up", "Database reachable since 2023-11-14 21:13:20 UTC (1h 00m)."],
        ["poll", "Last poll 2023-11-14 22:13:29 UTC (1.0s ago), took 0.012 s. "
                 "1 of 2 nodes are running (claim running and heartbeat)."],
        ["none", "No alert firing."], ["none", "No peer rows."]]
    assert rows_of(prod["nodes"]) == [
        node_row(43, "up_heartbeat_stale", "ms43", age="1h 06m", silence="1d 1h"),
        node_row(1, "ok", "</script><script>alert(5)</script>\u2028")]


class FakeExporter:
    """Serves `page` at / and, at /api/v1/status, 503 until `status` is set, then it as
    JSON."""

    def __init__(self, page):
        fake = self
        self.page = page.encode("utf-8")
        self.status = None

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/":
                    self.answer(200, "text/html; charset=utf-8", fake.page)
                elif self.path == "/api/v1/status":
                    if fake.status is None:
                        self.answer(503, "text/plain", b"not yet\n")
                    else:
                        self.answer(200, "application/json",
                                    json.dumps(fake.status).encode("utf-8"))
                else:
                    self.answer(404, "text/plain", b"no\n")

            def answer(self, code, content_type, body):
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_every_cell_at_first_paint_and_after_an_update(bed):
    _, _, exporter, browser = bed
    validator = jsonschema.Draft202012Validator(schema())
    for status in (FIRST, SECOND):  # the fixtures are answers the exporter could give
        assert [e.message for e in validator.iter_errors(status)] == []
    # The exporter's own page, with its embedded JSON swapped for FIRST.
    shell = exporter.get("/").text
    assert INITIAL_STATUS.search(shell)
    page = INITIAL_STATUS.sub(lambda m: m.group(1) + script_safe_json(FIRST) + m.group(3),
                              shell, count=1)
    assert embedded_status(page) == FIRST
    fake = FakeExporter(page)
    tab = browser.new_tab()
    try:
        tab.call("Page.enable")
        tab.call("Network.enable")
        tab.call("Page.addScriptToEvaluateOnNewDocument",
                 source="window.__alerts = []; window.alert = function (m) {"
                        " window.__alerts.push(String(m)); };")
        tab.open(fake.url + "/")
        tab.evaluate("window.__marker = 'same document'")

        # First paint: /api/v1/status answers 503, so all of this came from the page.
        check_first(tab)
        assert updates(tab) == 0

        def failure_reported():
            klass, text = live_line(tab)
            return klass == "bad" and re.match(
                r"^update failed at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(HTTP 503\): "
                r"the data shown may be old$", text)
        wait_for(failure_reported, 10, "the failed refresh to be reported")
        check_first(tab)  # a failed refresh keeps what is shown

        fake.status = SECOND
        wait_for(lambda: updates(tab) >= 1, 10, "the page to redraw from the update")
        check_second(tab)
        assert tab.evaluate("window.__marker") == "same document"
        assert live_line(tab) == ["", "live: updates every 0.5s"]

        # Markup in the data stayed text: no element, no script, no dialog from it.
        assert tab.evaluate(SCRIPTS) == PAGE_SCRIPTS
        for tag in ("img", "b", "i"):
            assert tab.evaluate("document.querySelectorAll('%s').length" % tag) == 0, tag
        assert tab.evaluate("window.__alerts") == []
        assert "Page.javascriptDialogOpening" not in tab.event_names()
        urls = [e["params"]["request"]["url"] for e in tab.events
                if e.get("method") == "Network.requestWillBeSent"]
        assert urls and all(u.startswith(fake.url + "/") for u in urls), urls
    finally:
        tab.close()
        fake.stop()
