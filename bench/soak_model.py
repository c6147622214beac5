"""The soak's judge: from the simulator's own log of what it did, which alerts the
exporter must raise, which it may raise, and whether the ones it raised fit.

Pure logic (no I/O, no clock), so tests/integration/test_soak.py feeds it made-up
logs. Times are Unix seconds, on the one host every process shares.

How an expectation is formed. The simulator's events give, per node and per moment,
the facts: does the row claim running (state not Down), does its port accept, do its
heartbeats reach the database, and since when have they not. The exporter sees those
facts late (up to one poll plus a margin, `Timing.lag`) and sees heartbeat silence
with some error (heartbeat interval, DATETIME truncation to the second, its clock
offset estimate). So for every sample time (every `Timing.step` seconds) the model
computes the SET of (claims running, verdict) pairs the exporter may hold, applying
docs/verdicts.md's table to every corner of that uncertainty. From the sets:

  - an alert is *possible* at t when its condition holds for at least one pair, and
    *certain* when it holds for all of them;
  - an alert that fired is *explained* when its condition was possible throughout
    its `for` before it fired; it must resolve within `Timing.bound` after its
    condition became impossible, and must not resolve while it is certain;
  - an alert is *required* when its condition was certain for longer than its `for`
    plus two polls; it must then fire within `for + Timing.bound` of the moment it
    became certain.

Database outages freeze node alerts (docs/alerting.md): the model freezes the sets
over the window the exporter could have been blind (measured from the scrapes when
possible), then applies the post-outage silence correction.
"""
import bisect
import collections
import statistics

UP_NOT_RUNNING = "CloudStackMgmtServerUpNotRunning"
HEARTBEAT_STALE = "CloudStackMgmtServerHeartbeatStale"
UNREACHABLE = "CloudStackMgmtServerUnreachable"
DOWN_BUT_RUNNING = "CloudStackMgmtServerDownButRunning"
NO_RUNNING = "CloudStackNoRunningMgmtServer"
SOURCE_DOWN = "CloudStackMshostSourceDown"
FLAPPING = "CloudStackMgmtServerFlapping"

# The verdict each per-node alert stands for (docs/verdicts.md).
VERDICT_ALERTS = {
    UP_NOT_RUNNING: "up_not_running",
    HEARTBEAT_STALE: "up_heartbeat_stale",
    UNREACHABLE: "up_unreachable",
    DOWN_BUT_RUNNING: "down_but_running",
}
NODE_ALERTS = tuple(VERDICT_ALERTS) + (FLAPPING,)
TARGET_ALERTS = (NO_RUNNING, SOURCE_DOWN)
ALL_ALERTS = NODE_ALERTS + TARGET_ALERTS

FLAPPING_WINDOW = 15 * 60.0
FLAPPING_MORE_THAN = 3

# The simulator's event for each command, and back.
EVENT_OF = {
    "kill": "killed", "stop": "stopped", "hang": "hung", "partition": "partitioned",
    "isolate": "isolated", "half-stop": "half-stopped", "resume": "resumed",
    "restart": "restarted", "start": "started", "shutdown-stuck": "shutdown-stuck",
    "clock": "clock",
}
VERB_OF = {event: verb for verb, event in EVENT_OF.items()}


class Timing:
    """The exporter's settings for the soak and the model's tolerances.

    poll, heartbeat (the simulator's interval), dead_after, stale_after, resend: as
    configured. fors: {alertname: for seconds}. margin: slack for scheduling delays on
    a loaded machine. bound: how long after its condition is certain (plus `for`) an
    alert may take to reach the recorder. silence_error: the exporter's error on
    heartbeat silence beyond one heartbeat interval (DATETIME truncation, the offset
    estimate). offset_correction: how far the offset estimate may sit below the
    smallest raw age (docs/verdicts.md), which silence may read higher, never lower.
    query_timeout: the exporter's, for when it notices a frozen database.
    """

    def __init__(self, poll=1.0, heartbeat=0.5, dead_after=4.0, stale_after=8.0,
                 fors=None, resend=5.0, margin=2.0, bound=10.0, step=0.1,
                 silence_error=1.5, query_timeout=2.0,
                 offset_correction=1.0):
        self.poll = poll
        self.heartbeat = heartbeat
        self.dead_after = dead_after
        self.stale_after = stale_after
        self.fors = dict(fors or {})
        for name in ALL_ALERTS:
            self.fors.setdefault(name, 0.0)
        self.resend = resend
        self.margin = margin
        self.bound = bound
        self.step = step
        self.silence_error = silence_error
        self.offset_correction = offset_correction
        self.query_timeout = query_timeout

    @property
    def lag(self):
        """How old the exporter's picture of a fact may be: one poll plus margin."""
        return self.poll + self.margin

    @property
    def settle(self):
        """After a restart, how long until the exporter has seen a heartbeat change
        (until then silence is the raw age, clock skew included)."""
        return 2 * self.poll + self.heartbeat + self.margin


def judge(claims, alive, silence, timing):
    """docs/verdicts.md's table, with the probe on."""
    if claims:
        if alive:
            return "up_heartbeat_stale" if silence > timing.stale_after else "ok"
        return "up_not_running" if silence > timing.dead_after else "up_unreachable"
    return "down_but_running" if alive else "ok"


# --------------------------------------------------------------------------- facts

Facts = collections.namedtuple("Facts", "claims listening heartbeating cut offset")


class NodeTimeline:
    """What one simulated node really did: piecewise-constant facts, heartbeat gaps
    and runid changes, built from the simulator's events in time order."""

    def __init__(self, name, msid, t_begin, offset=0.0):
        self.name = name
        self.msid = msid
        self.times = [t_begin]
        self.facts = [Facts(True, True, True, False, offset)]
        self.runid_changes = []  # restarts the exporter can count (after first sight)
        self.first_sights = [t_begin]  # runid changes and the exporter's first sight
        self.gaps = []  # [start, end or None]: heartbeats not reaching the row
        self.events = []  # (t, event name) that changed something

    @property
    def current(self):
        return self.facts[-1]

    def apply(self, event):
        """One simulator event for this node (or a peer_marked_down naming it)."""
        name, t = event["event"], event["t"]
        f = self.current
        if name in ("started", "restarted"):
            new = Facts(True, True, True, False, f.offset)
            self.runid_changes.append(t)
            self.first_sights.append(t)
        elif name == "killed" or name == "start_failed":
            new = f._replace(listening=False, heartbeating=False, cut=False)
        elif name == "stopped":
            new = Facts(f.claims and event.get("row_down") is False, False, False, False,
                        f.offset)
        elif name == "half-stopped":
            new = f._replace(claims=f.claims and event.get("row_down") is False,
                             heartbeating=False)
        elif name == "shutdown-stuck":
            new = f._replace(listening=False, heartbeating=False, cut=False)
        elif name == "hung":
            new = f._replace(listening=True, heartbeating=False)
        elif name == "partitioned":
            new = f._replace(listening=False, heartbeating=True)
        elif name == "isolated":
            new = f._replace(cut=True)
        elif name == "resumed":
            new = f._replace(listening=True, heartbeating=True, cut=False)
        elif name == "clock":
            new = f._replace(offset=float(event["clock_offset_s"]))
        elif name == "peer_marked_down":
            new = f._replace(claims=False)
        else:
            return
        self._change(t, new, name)

    def _change(self, t, new, name):
        before = self.current
        beat_before = before.heartbeating and not before.cut
        beat_after = new.heartbeating and not new.cut
        if beat_before and not beat_after:
            self.gaps.append([t, None])
        elif beat_after and not beat_before and self.gaps and self.gaps[-1][1] is None:
            self.gaps[-1][1] = t
        elif beat_after and name in ("started", "restarted") and self.gaps and \
                self.gaps[-1][1] is None:
            self.gaps[-1][1] = t
        self.times.append(t)
        self.facts.append(new)
        self.events.append((t, name))

    def facts_at(self, t):
        return self.facts[max(0, bisect.bisect_right(self.times, t) - 1)]

    def facts_in(self, lo, hi):
        """Every distinct fact tuple in force at some moment of [lo, hi]."""
        i = max(0, bisect.bisect_right(self.times, lo) - 1)
        j = bisect.bisect_right(self.times, hi)
        return set(self.facts[i:max(j, i + 1)])


class Gaps:
    """Heartbeat gaps [start, end or None], sorted and not overlapping: the true
    silence of a node at any time."""

    def __init__(self, gaps):
        merged = []
        for start, end in sorted((list(g) for g in gaps), key=lambda g: g[0]):
            if merged and (merged[-1][1] is None or start <= merged[-1][1]):
                if merged[-1][1] is not None:
                    merged[-1][1] = None if end is None else max(end, merged[-1][1])
                continue
            merged.append([start, end])
        self.gaps = merged
        self.starts = [g[0] for g in merged]

    def silence(self, t):
        """Time since the gap containing t began, else 0."""
        i = bisect.bisect_right(self.starts, t) - 1
        if i >= 0 and (self.gaps[i][1] is None or t < self.gaps[i][1]):
            return t - self.gaps[i][0]
        return 0.0

    def span(self, lo, hi):
        """(min, max) of the true silence over [lo, hi]."""
        values = [self.silence(lo), self.silence(hi)]
        boundary = False
        i = max(0, bisect.bisect_right(self.starts, lo) - 1)
        for start, end in self.gaps[i:bisect.bisect_right(self.starts, hi)]:
            if lo < start <= hi:
                boundary = True
            if end is not None and lo < end <= hi:
                boundary = True
                values.append(end - start)
        return (0.0 if boundary else min(values[:2])), max(values)


class Outage:
    """A database outage the soak caused. kind: "db-restart" or "db-freeze"; t0/t0_end:
    when the stop (freeze) was asked / done; t1/t1_end: when the start (thaw) was
    asked / the database answered. noticed=(lo, hi) and recovered=(lo, hi): when the
    exporter's snapshot turned up=0 and back to 1, from the scrapes (None: unknown)."""

    def __init__(self, kind, t0, t0_end, t1, t1_end, noticed=None, recovered=None):
        self.kind, self.t0, self.t0_end, self.t1, self.t1_end = kind, t0, t0_end, t1, t1_end
        self.noticed = noticed
        self.recovered = recovered

    def windows(self, timing):
        """(out_lo, out_hi, rec_lo, rec_hi): the exporter's blind window, bounded by
        theory and narrowed by what the scrapes saw."""
        reconnect = (self.t1_end - self.t0) + timing.poll + timing.margin  # doubling backoff
        blocked = 3 * timing.query_timeout if self.kind == "db-freeze" else 0.0
        out_lo, out_hi = self.t0, self.t0_end + timing.lag + blocked
        rec_lo, rec_hi = self.t1, self.t1_end + reconnect
        if self.noticed:
            out_lo, out_hi = max(out_lo, self.noticed[0]), min(out_hi, self.noticed[1])
            out_hi = max(out_hi, out_lo)
        if self.recovered:
            rec_lo, rec_hi = max(rec_lo, self.recovered[0]), min(rec_hi, self.recovered[1])
            rec_hi = max(rec_hi, rec_lo)
        return out_lo, out_hi, rec_lo, rec_hi

    def theory_violations(self, timing):
        """The exporter noticed the outage or its end later than it may."""
        out = []
        reconnect = (self.t1_end - self.t0) + timing.poll + timing.margin
        blocked = 3 * timing.query_timeout if self.kind == "db-freeze" else 0.0
        if self.noticed and self.noticed[0] > self.t0_end + timing.lag + blocked + timing.bound:
            out.append("%s at %s: the exporter reported up=0 only %.1fs after the database "
                       "was down" % (self.kind, clock(self.t0), self.noticed[0] - self.t0_end))
        if self.recovered and self.recovered[0] > self.t1_end + reconnect + timing.bound:
            out.append("%s at %s: the exporter reported up=1 only %.1fs after the database "
                       "was back" % (self.kind, clock(self.t0),
                                     self.recovered[0] - self.t1_end))
        return out


def clock(t):
    """HH:MM:SS.s in local time, for messages."""
    import time as _time
    return _time.strftime("%H:%M:%S", _time.localtime(t)) + (".%d" % int((t % 1) * 10))


# --------------------------------------------------------------------------- model


class Model:
    """Possible and certain alert conditions over [t_begin, t_end].

    nodes: {name: NodeTimeline} (events applied); outages: [Outage];
    exporter_start: when the exporter first polled (its first sight of every node).
    """

    def __init__(self, timing, nodes, outages, t_begin, t_end):
        self.timing = timing
        self.nodes = nodes
        self.outages = sorted(outages, key=lambda o: o.t0)
        self.t_begin = t_begin
        self.t_end = t_end
        self.n = int((t_end - t_begin) / timing.step) + 1
        self.windows = [o.windows(timing) for o in self.outages]
        self.gaps = {name: Gaps(node.gaps) for name, node in nodes.items()}
        self.pairs = {name: self._node_pairs(node) for name, node in nodes.items()}
        self.possible = {}
        self.certain = {}
        self._conditions()

    def time(self, k):
        return self.t_begin + k * self.timing.step

    def index(self, t):
        return min(self.n - 1, max(0, int(round((t - self.t_begin) / self.timing.step))))

    # ---- per node

    def _extra_silence(self, node, t):
        """Clock skew the exporter may count as silence: until it has seen a heartbeat
        change after a first sight (restart, exporter start), silence is the raw age,
        which includes a clock running behind."""
        behind = max(0.0, -node.facts_at(t).offset)
        if behind == 0:
            return 0.0
        i = bisect.bisect_right(node.first_sights, t) - 1
        if i < 0:
            return 0.0
        sight = node.first_sights[i]
        if t - sight <= self.timing.settle:
            return behind
        # Heartbeats that stopped before the exporter saw a change leave the run
        # unsettled until they come back.
        gaps = self.gaps[node.name].gaps
        for start, end in gaps[max(0, bisect.bisect_left(self.gaps[node.name].starts, sight)):]:
            if start > sight + self.timing.settle:
                break
            if end is None or t <= end + self.timing.lag:
                return behind
        return 0.0

    def _pairs_at(self, node, t, gaps, correction=None):
        tm = self.timing
        lo_t, hi_t = t - tm.lag, t + 0.2
        facts = node.facts_in(lo_t, hi_t)
        claims = {f.claims for f in facts}
        alive = {f.listening for f in facts}
        s_min, s_max = gaps.span(lo_t, hi_t)
        lo = max(0.0, s_min - tm.silence_error)
        hi = (s_max + tm.heartbeat + tm.silence_error + tm.offset_correction
              + self._extra_silence(node, t))
        if correction:
            lo, hi = correction(lo, hi)
        silences = {lo, hi}
        for threshold in (tm.dead_after, tm.stale_after):
            if lo <= threshold < hi:
                silences.update((threshold, threshold + 1e-6))
        # (claims running, verdict, stale): "running" (docs/verdicts.md) is claims
        # running and not stale, which the verdict alone does not tell (a silent,
        # unreachable node is up_not_running before and after stale_after).
        return frozenset((c, judge(c, a, s, tm), s > tm.stale_after) for c in claims
                         for a in alive for s in silences)

    def _node_pairs(self, node):
        tm = self.timing
        gaps = self.gaps[node.name]
        raw = [self._pairs_at(node, self.time(k), gaps) for k in range(self.n)]
        out = list(raw)
        for outage, (out_lo, out_hi, rec_lo, rec_hi) in zip(self.outages, self.windows):
            frozen = frozenset().union(*raw[self.index(out_lo - tm.lag):self.index(out_hi) + 1])
            # Heartbeats could not reach the database during the outage.
            reconnect = tm.heartbeat + (3.5 if outage.kind == "db-freeze" else 1.0)
            post_gaps = Gaps(node.gaps + [[outage.t0, outage.t1_end + reconnect]])
            # What the exporter had seen before the outage, for the correction.
            s_min, s_max = gaps.span(out_lo - tm.lag, out_hi)
            b_lo = max(0.0, s_min - tm.silence_error)
            b_hi = s_max + tm.heartbeat + tm.silence_error + tm.offset_correction
            end = rec_hi + tm.stale_after + tm.lag
            for k in range(self.index(out_lo), self.index(end) + 1):
                t = self.time(k)
                if t < out_hi:
                    out[k] = raw[k] | frozen
                    continue
                if t < rec_lo:
                    out[k] = frozen
                    continue

                def correct(lo, hi, t=t):
                    # docs/alerting.md: for stale_after after the outage, silence counts
                    # what was seen before it plus the time since its end.
                    if rec_lo <= t <= rec_hi + tm.stale_after + tm.poll:
                        lo = min(lo, b_lo + max(0.0, t - rec_hi))
                    if rec_hi <= t <= rec_lo + tm.stale_after:
                        hi = min(hi, b_hi + (t - rec_lo) + tm.poll)
                    return lo, hi

                post = self._pairs_at(node, t, post_gaps, correct)
                out[k] = (post | frozen) if t < rec_hi else post
        return out

    # ---- conditions

    def _conditions(self):
        for name in self.nodes:
            pairs = self.pairs[name]
            for alert, verdict in VERDICT_ALERTS.items():
                self.possible[(alert, name)] = [any(v == verdict for _, v, _ in p)
                                                for p in pairs]
                self.certain[(alert, name)] = [all(v == verdict for _, v, _ in p)
                                               for p in pairs]
            self._flapping(name)
        # NoRunning: no node is running (claims running and not stale; a node that
        # heartbeats runs whether or not its port answers).
        not_running_possible = [True] * self.n
        not_running_certain = [True] * self.n
        for name in self.nodes:
            for k, p in enumerate(self.pairs[name]):
                runs = [c and not stale for c, _, stale in p]
                if all(runs):
                    not_running_possible[k] = False
                if any(runs):
                    not_running_certain[k] = False
        self.possible[(NO_RUNNING, None)] = not_running_possible
        self.certain[(NO_RUNNING, None)] = not_running_certain
        # SourceDown: the exporter's snapshot says up=0.
        possible = [False] * self.n
        certain = [False] * self.n
        for out_lo, out_hi, rec_lo, rec_hi in self.windows:
            for k in range(self.index(out_lo), self.index(rec_hi) + 1):
                possible[k] = True
            for k in range(self.index(out_hi), self.index(rec_lo) + 1):
                if out_hi <= self.time(k) <= rec_lo:
                    certain[k] = True
        self.possible[(SOURCE_DOWN, None)] = possible
        self.certain[(SOURCE_DOWN, None)] = certain

    def _flapping(self, name):
        tm = self.timing
        changes = self.nodes[name].runid_changes
        # Restarts closer than two polls may look like one to the exporter.
        merged = []
        for t in changes:
            if not merged or t - merged[-1] >= 2 * tm.poll + tm.margin:
                merged.append(t)
        possible, certain = [], []
        for k in range(self.n):
            t = self.time(k)
            hi = bisect.bisect_right(changes, t + 0.2) - bisect.bisect_left(
                changes, t - FLAPPING_WINDOW - tm.lag)
            lo = bisect.bisect_right(merged, t - tm.lag) - bisect.bisect_left(
                merged, t - FLAPPING_WINDOW + tm.lag)
            possible.append(hi > FLAPPING_MORE_THAN)
            certain.append(lo > FLAPPING_MORE_THAN)
        # Frozen with the other node alerts during outages.
        for out_lo, out_hi, rec_lo, rec_hi in self.windows:
            a, b = self.index(out_lo), self.index(rec_hi + tm.lag)
            was_possible, was_certain = possible[a], certain[a]
            for k in range(a, b + 1):
                possible[k] = possible[k] or was_possible
                certain[k] = certain[k] and was_certain
        self.possible[(FLAPPING, name)] = possible
        self.certain[(FLAPPING, name)] = certain

    def frozen_windows(self):
        """Where node alerts may neither fire nor resolve: the exporter was certainly
        blind (between noticing the outage and its end)."""
        return [(out_hi, rec_lo) for out_lo, out_hi, rec_lo, rec_hi in self.windows
                if rec_lo > out_hi]

    def describe(self, name, t):
        """The facts and possible verdicts of a node at t, for a violation message."""
        node = self.nodes[name]
        f = node.facts_at(t)
        verdicts = sorted({v for _, v, _ in self.pairs[name][self.index(t)]})
        last = [e for e in node.events if e[0] <= t]
        since = ("last event %s %.1fs before" % (last[-1][1], t - last[-1][0])) if last \
            else "no event yet"
        return ("%s: row %s, port %s, heartbeats %s; %s; possible verdicts %s"
                % (name, "claims running" if f.claims else "Down",
                   "open" if f.listening else "closed",
                   "on" if f.heartbeating and not f.cut else "off", since,
                   "/".join(verdicts)))

    # ---- required alerts

    def required(self):
        """[(alert, node or None, a, b, deadline)]: maximal certain runs long enough
        that the alert must fire, and by when."""
        tm = self.timing
        out = []
        for (alert, name), certain in self.certain.items():
            for a, b in _runs(certain):
                ta, tb = self.time(a), self.time(b)
                if tb - ta < tm.fors[alert] + 2 * tm.poll + 1.0:
                    continue
                deadline = min(ta + tm.fors[alert] + tm.bound, tb + 2.0)
                if alert != SOURCE_DOWN:
                    for out_lo, out_hi, rec_lo, rec_hi in self.windows:
                        if out_lo <= deadline and ta <= rec_hi:
                            deadline = max(deadline, rec_hi + tm.fors[alert] + tm.bound)
                if deadline > self.t_end:
                    continue
                out.append((alert, name, ta, tb, deadline))
        return sorted(out, key=lambda r: r[2])


def _runs(flags):
    """Maximal runs of True as (first index, last index)."""
    out, start = [], None
    for k, flag in enumerate(flags):
        if flag and start is None:
            start = k
        elif not flag and start is not None:
            out.append((start, k - 1))
            start = None
    if start is not None:
        out.append((start, len(flags) - 1))
    return out


# --------------------------------------------------------------------------- episodes


class Episode:
    """One alert from fired to resolved, as the exporter pushed it: alertname, node
    (None for target alerts), start (startsAt), end (the resolved endsAt, or None),
    pushes (receive times of every push of it), first_resolved_push."""

    def __init__(self, alertname, node, msid, start):
        self.alertname = alertname
        self.node = node
        self.msid = msid
        self.start = start
        self.end = None
        self.pushes = []
        self.first_push = None
        self.first_resolved_push = None

    @property
    def key(self):
        return (self.alertname, self.node)

    def __repr__(self):
        return "%s%s fired %s%s" % (self.alertname, "[%s]" % self.node if self.node else "",
                                    clock(self.start),
                                    ", resolved %s" % clock(self.end) if self.end else "")


def check(model, episodes):
    """Every violation of the expectations, as readable lines, and per required
    instance (alert, node, cause time) the episode that answered it."""
    tm = model.timing
    violations = []
    by_key = collections.defaultdict(list)
    for e in episodes:
        by_key[e.key].append(e)
    for e in episodes:
        if e.key not in model.possible:
            violations.append("unexpected alert %r (no such node or alert)" % (e,))
            continue
        possible = model.possible[e.key]
        certain = model.certain[e.key]
        f = tm.fors[e.alertname]
        # Explained: possible throughout its `for` up to the moment it fired.
        b = model.index(e.start)
        a = min(b, model.index(e.start - f + tm.step))
        bad = [k for k in range(a, b + 1) if not possible[k]]
        if bad and e.start >= model.t_begin:
            t = model.time(bad[0])
            violations.append("spurious: %r; its condition was impossible at %s%s" % (
                e, clock(t), "; " + model.describe(e.node, t) if e.node else ""))
        # Resolved while certain.
        if e.end is not None and model.t_begin <= e.end <= model.t_end - tm.step:
            if certain[model.index(e.end + tm.step)] and certain[model.index(e.end - 0.5)]:
                violations.append("resolved while its condition certainly held: %r%s" % (
                    e, "; " + model.describe(e.node, e.end) if e.node else ""))
        # Still firing long after its condition became impossible.
        end = e.end if e.end is not None else model.t_end
        impossible_since = None
        for j in range(model.index(e.start), model.index(end) + 1):
            if possible[j]:
                impossible_since = None
                continue
            if impossible_since is None:
                impossible_since = model.time(j)
            if end - impossible_since > tm.bound and model.time(j) - impossible_since > tm.bound:
                violations.append("did not resolve: %r; its condition was impossible from "
                                  "%s on%s" % (e, clock(impossible_since), "; " + model.describe(
                                      e.node, impossible_since) if e.node else ""))
                break
        # Delivered and kept alive.
        if e.first_push is not None and e.first_push - e.start > tm.bound:
            violations.append("late push: %r first reached the recorder %.1fs after it "
                              "fired" % (e, e.first_push - e.start))
        firing_pushes = [p for p in e.pushes if e.end is None or p < e.end]
        for p, q in zip(firing_pushes, firing_pushes[1:]):
            if q - p > tm.resend + tm.bound:
                violations.append("resend gap: %r was not pushed for %.1fs (resend_interval "
                                  "%gs)" % (e, q - p, tm.resend))
                break
    for w_lo, w_hi in model.frozen_windows():
        for e in episodes:
            if e.alertname not in NODE_ALERTS:
                continue
            for what, t in (("fired", e.start), ("resolved", e.end)):
                if t is not None and w_lo + 0.5 < t < w_hi - 0.5:
                    violations.append("node alert %s during a database outage: %r" % (what, e))
    answered = []
    for alert, name, ta, tb, deadline in model.required():
        hit = [e for e in by_key.get((alert, name), [])
               if e.start <= deadline and (e.end is None or e.end > ta)]
        if not hit:
            violations.append("missed: %s%s was certain from %s to %s (%.1fs, for %gs) but did "
                              "not fire by %s%s" % (
                                  alert, "[%s]" % name if name else "", clock(ta), clock(tb),
                                  tb - ta, tm.fors[alert], clock(deadline),
                                  "; " + model.describe(name, ta) if name else ""))
        answered.append((alert, name, ta, tb, hit[0] if hit else None))
    return violations, answered


# --------------------------------------------------------------------------- resources


def flatness(samples, t_begin, t_end, warmup, rss_slack_fraction, rss_slack_kib, fd_slack,
             thread_slack):
    """samples: [(t, rss_kib, fds, threads)]. After `warmup` seconds, compares the
    first quarter of the rest (baseline) with the last quarter (final) by medians.
    Returns (report dict, violations)."""
    rest = [s for s in samples if t_begin + warmup <= s[0] <= t_end]
    violations = []
    if len(rest) < 8:
        return {"samples": len(rest)}, ["resources: only %d samples after warm-up" % len(rest)]
    q = max(2, len(rest) // 4)
    first, last = rest[:q], rest[-q:]

    def med(rows, i):
        return statistics.median(r[i] for r in rows)

    report = {
        "samples": len(samples), "after_warmup": len(rest),
        "rss_first_kib": med(first, 1), "rss_last_kib": med(last, 1),
        "rss_max_kib": max(s[1] for s in samples),
        "fds_first": med(first, 2), "fds_last": med(last, 2),
        "fds_max": max(s[2] for s in samples),
        "threads_first": med(first, 3), "threads_last": med(last, 3),
        "threads_max": max(s[3] for s in samples),
        "rss_start_kib": samples[0][1], "fds_start": samples[0][2],
    }
    span_min = (last[-1][0] - first[0][0]) / 60.0 or 1.0
    report["rss_slope_kib_per_min"] = _slope([(s[0] / 60.0, s[1]) for s in rest])
    allowed = report["rss_first_kib"] * rss_slack_fraction + rss_slack_kib
    if report["rss_last_kib"] - report["rss_first_kib"] > allowed:
        violations.append("RSS grew from %.1f MiB to %.1f MiB after warm-up (allowed +%.1f MiB; "
                          "%.0f KiB/min over %.1f min)" % (
                              report["rss_first_kib"] / 1024, report["rss_last_kib"] / 1024,
                              allowed / 1024, report["rss_slope_kib_per_min"], span_min))
    if report["fds_last"] - report["fds_first"] > fd_slack:
        violations.append("open file descriptors grew from %g to %g after warm-up (allowed +%d)"
                          % (report["fds_first"], report["fds_last"], fd_slack))
    if report["threads_last"] - report["threads_first"] > thread_slack:
        violations.append("threads grew from %g to %g after warm-up (allowed +%d)"
                          % (report["threads_first"], report["threads_last"], thread_slack))
    return report, violations


def _slope(points):
    """Least-squares slope of (x, y) points."""
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    den = sum((p[0] - mx) ** 2 for p in points)
    return sum((p[0] - mx) * (p[1] - my) for p in points) / den if den else 0.0
