"""Loopback HTTP servers that record alerts, for tests and bench/.

    recorder = Recorder()          # give recorder.url to the exporter as an Alertmanager
    ...
    recorder.alertnames()          # {"CloudStackMshostSourceDown"}: every alert ever pushed
    recorder.pushed(alertname="CloudStackMgmtServerUpNotRunning", msid="42")
    recorder.stop()

Recorder speaks Alertmanager's `POST /api/v2/alerts`, so every push the exporter's
built-in evaluator makes is on record, firing (endsAt in the future) or resolved
(endsAt at the moment it resolved): the complete record of what it paged.
Webhook is the receiver a real Alertmanager notifies. Each sink guards its list with
a lock; every record carries the Unix time it arrived.
"""
import datetime
import http.server
import json
import threading
import time


def parse_time(text):
    """RFC 3339 (Alertmanager's and the exporter's startsAt/endsAt) -> Unix seconds."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class _JsonSink:
    """A loopback HTTP server that records the JSON body of every POST to `path`."""

    def __init__(self, path_suffix):
        self.records = []  # (receive time, body)
        self.bad = []  # (time, path or error)
        self._lock = threading.Lock()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.time()
                if not self.path.split("?")[0].endswith(path_suffix):
                    with sink._lock:
                        sink.bad.append((now, "POST " + self.path))
                    self._answer(404)
                    return
                try:
                    data = json.loads(body)
                except ValueError as e:
                    with sink._lock:
                        sink.bad.append((now, "bad JSON: %s" % e))
                    self._answer(400)
                    return
                with sink._lock:
                    sink.records.append((now, data))
                self._answer(200)

            def _answer(self, status):
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def snapshot(self):
        with self._lock:
            return list(self.records)

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


class Recorder(_JsonSink):
    """Speaks Alertmanager's POST /api/v2/alerts: the exact record of every push."""

    def __init__(self):
        super().__init__("/api/v2/alerts")

    def pushed(self, **labels):
        """[(receive time, alert)] of every alert pushed so far whose labels include
        `labels`, in arrival order."""
        return [(t, a) for t, body in self.snapshot() for a in body
                if all(a["labels"].get(k) == v for k, v in labels.items())]

    def alertnames(self, **labels):
        """The names of the alerts ever pushed (firing or resolved) matching `labels`."""
        return {a["labels"]["alertname"] for _, a in self.pushed(**labels)}

    def firing(self, **labels):
        """The alerts whose latest push says firing (endsAt after it arrived), by their
        labels as a frozenset."""
        last = {}
        for t, a in self.pushed(**labels):
            last[frozenset(a["labels"].items())] = (t, a)
        return {k: a for k, (t, a) in last.items()
                if not a.get("endsAt") or parse_time(a["endsAt"]) > t}


class Webhook(_JsonSink):
    """The real Alertmanager's webhook receiver: what would have paged."""

    def __init__(self):
        super().__init__("/hook")
        self.url += "/hook"
