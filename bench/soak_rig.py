"""The soak's instruments, each a daemon thread or a loopback HTTP server that only
records: the recorder standing in for an Alertmanager (every push the exporter makes),
the webhook receiving the real Alertmanager's notifications, a poller of the real
Alertmanager's active alerts, two Prometheus-style scrapers and the sampler of the
exporter's RSS, file descriptors and threads.

Every record carries Unix times. Each instrument guards its own lists with a lock
and is stopped with stop(); the lists are read after that.
"""
import os
import threading
import time

import requests

from lib.alert_sinks import Recorder, Webhook, parse_time  # noqa: F401  (the soak's sinks)

# What Prometheus 2.42 sends when it scrapes.
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,"
                     "application/openmetrics-text;version=0.0.1;q=0.75,"
                     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
SCRAPE_HEADERS = {"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip",
                  "User-Agent": "Prometheus/2.42.0", "X-Prometheus-Scrape-Timeout-Seconds": "5"}
SCRAPE_TIMEOUT = 10.0


class _Loop(threading.Thread):
    """Calls tick() every `period` seconds until stop()."""

    def __init__(self, name, period):
        super().__init__(name=name, daemon=True)
        self.period = period
        self._stop_event = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        next_at = time.monotonic()
        while not self._stop_event.is_set():
            try:
                self.tick()
            except Exception as e:  # an instrument must not die silently
                self.note_error(e)
            next_at += self.period
            self._stop_event.wait(max(0.0, next_at - time.monotonic()))
            next_at = max(next_at, time.monotonic() - self.period)

    def note_error(self, e):
        pass

    def stop(self):
        self._stop_event.set()
        self.join(timeout=SCRAPE_TIMEOUT + 5)


class Scraper(_Loop):
    """Scrapes like Prometheus every second: /metrics and /probe?target=..., with
    Prometheus's headers. keep_alive=True reuses one connection (Prometheus does);
    False opens a new one per request. Also reads /api/v1/status every 5th round.
    Records per request (path, status, seconds, gzip) and cloudstack_mshost_up from
    /metrics as (request start, answer time, value)."""

    def __init__(self, name, base_url, target, keep_alive, parse):
        super().__init__(name, 1.0)
        self.base_url = base_url
        self.target = target
        self.keep_alive = keep_alive
        self.parse = parse  # text -> samples dict (procs.parse_exposition)
        self.session = requests.Session() if keep_alive else None
        self.requests = 0
        self.gzip = 0
        self.failures = []  # (time, path, what)
        self.durations = []
        self.up = []  # (start, end, value)
        self.rounds = 0

    def _get(self, path, params=None, headers=SCRAPE_HEADERS):
        start = time.time()
        try:
            if self.session is not None:
                r = self.session.get(self.base_url + path, params=params, headers=headers,
                                     timeout=SCRAPE_TIMEOUT)
            else:
                r = requests.get(self.base_url + path, params=params,
                                 headers=dict(headers, Connection="close"),
                                 timeout=SCRAPE_TIMEOUT)
        except requests.RequestException as e:
            with self.lock:
                self.failures.append((start, path, type(e).__name__ + ": " + str(e)[:200]))
            return None, start
        end = time.time()
        with self.lock:
            self.requests += 1
            self.durations.append(end - start)
            if r.headers.get("Content-Encoding") == "gzip":
                self.gzip += 1
            if r.status_code != 200:
                self.failures.append((start, path, "HTTP %d" % r.status_code))
                return None, start
        return r, start

    def tick(self):
        self.rounds += 1
        r, start = self._get("/metrics")
        if r is not None:
            self._check_exposition(r, "/metrics", start, record_up=True)
        r, start = self._get("/probe", params={"target": self.target})
        if r is not None:
            self._check_exposition(r, "/probe", start, record_up=False)
        if self.rounds % 5 == 0:
            r, start = self._get("/api/v1/status", headers={"Accept": "application/json"})
            if r is not None:
                try:
                    r.json()
                except ValueError as e:
                    with self.lock:
                        self.failures.append((start, "/api/v1/status", "bad JSON: %s" % e))

    def _check_exposition(self, r, path, start, record_up):
        end = time.time()
        ctype = r.headers.get("Content-Type", "")
        problem = None
        samples = None
        if not ctype.startswith("text/plain"):
            problem = "Content-Type %r" % ctype
        else:
            try:
                samples = self.parse(r.text)
            except ValueError as e:
                problem = "unparsable: %s" % e
        if problem is None:
            up = samples.get(("cloudstack_mshost_up", frozenset()))
            if up is None:
                problem = "no cloudstack_mshost_up"
            elif record_up:
                with self.lock:
                    self.up.append((start, end, up))
        if problem:
            with self.lock:
                self.failures.append((start, path, problem))

    def note_error(self, e):
        with self.lock:
            self.failures.append((time.time(), "-", "scraper error: %r" % e))


class AlertmanagerPoller(_Loop):
    """Reads the real Alertmanager's active alerts every 2 s: (time, [(labels,
    startsAt)])."""

    def __init__(self, am_url):
        super().__init__("am-poller", 2.0)
        self.am_url = am_url
        self.polls = []
        self.failures = []

    def tick(self):
        t = time.time()
        try:
            r = requests.get(self.am_url + "/api/v2/alerts", params={"active": "true"},
                             timeout=5)
            r.raise_for_status()
            alerts = [(a["labels"], parse_time(a["startsAt"])) for a in r.json()]
        except (requests.RequestException, ValueError, KeyError) as e:
            with self.lock:
                self.failures.append((t, repr(e)))
            return
        with self.lock:
            self.polls.append((t, alerts))


class ResourceSampler(_Loop):
    """Every `period` seconds: (time, VmRSS KiB, open fds, threads, fd kinds) of a
    process, from /proc."""

    def __init__(self, pid, period=2.0):
        super().__init__("sampler", period)
        self.pid = pid
        self.samples = []
        self.kinds = []  # {kind: count} per sample, for diagnosis

    def tick(self):
        status = {}
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    key, _, value = line.partition(":")
                    status[key] = value.strip()
            fd_dir = "/proc/%d/fd" % self.pid
            kinds = {}
            for fd in os.listdir(fd_dir):
                try:
                    link = os.readlink(os.path.join(fd_dir, fd))
                except OSError:
                    continue
                kind = link.split(":", 1)[0] if ":" in link else (
                    "file" if link.startswith("/") else link)
                kinds[kind] = kinds.get(kind, 0) + 1
        except OSError:
            return  # the process ended
        sample = (time.time(), int(status["VmRSS"].split()[0]), sum(kinds.values()),
                  int(status["Threads"]))
        with self.lock:
            self.samples.append(sample)
            self.kinds.append(kinds)


def episodes_from_pushes(pushes, node_of_msid, Episode):
    """Turns the recorder's pushes into Episodes: one per (alertname, msid, startsAt);
    a push whose endsAt is not in the future resolves it."""
    episodes = {}
    for received, alerts in pushes:
        for a in alerts:
            labels = a.get("labels", {})
            name = labels.get("alertname")
            msid = labels.get("msid", "")
            start = parse_time(a["startsAt"])
            key = (name, msid, round(start, 3))
            e = episodes.get(key)
            if e is None:
                e = episodes[key] = Episode(name, node_of_msid.get(msid) if msid else None,
                                            msid, start)
                e.first_push = received
            e.pushes.append(received)
            ends = parse_time(a["endsAt"]) if a.get("endsAt") else None
            if ends is not None and ends <= received + 1.0:
                if e.end is None:
                    e.end = ends
                    e.first_resolved_push = received
    return sorted(episodes.values(), key=lambda e: e.start)
