"""The soak's churn schedule: a seeded, reproducible list of what to do to the
simulated cluster and its database, and when (seconds after the churn starts).

Each node walks a small state machine (running, killed, stopped, hung, ...) with a
random dwell time in every state; the next command is drawn from what the simulator
accepts in that state, so none is refused. Two kinds of global events interrupt it:
database outages (a restart or a SIGSTOP freeze of the server) and blackouts (every
node killed, then all started again). Around a global event no node command is
scheduled, so the exporter's recovery from it can be judged on its own. The same seed
and length give the same plan.
"""
import collections
import random

Action = collections.namedtuple("Action", "t kind node arg")  # node/arg may be None

# state -> [(command, weight, next state)]
TRANSITIONS = {
    "running": [("kill", 24, "killed"), ("hang", 14, "hung"), ("partition", 12, "partitioned"),
                ("isolate", 10, "isolated"), ("stop", 12, "stopped"),
                ("half-stop", 6, "half-stopped"), ("restart", 10, "running"),
                ("shutdown-stuck", 5, "killed"), ("clock", 7, "running")],
    "hung": [("resume", 50, "running"), ("kill", 30, "killed"), ("restart", 20, "running")],
    "partitioned": [("resume", 50, "running"), ("kill", 20, "killed"),
                    ("restart", 20, "running"), ("hang", 10, "hung")],
    "isolated": [("resume", 45, "running"), ("kill", 20, "killed"), ("stop", 15, "stopped"),
                 ("restart", 20, "running")],
    "half-stopped": [("kill", 60, "killed"), ("restart", 40, "running")],
    "killed": [("start", 80, "running"), ("restart", 20, "running")],
    "stopped": [("start", 80, "running"), ("restart", 20, "running")],
}
# Seconds a node stays in a state before its next command.
DWELL = {"running": (4, 20), "killed": (3, 25), "stopped": (3, 15), "hung": (3, 25),
         "partitioned": (3, 25), "isolated": (3, 25), "half-stopped": (4, 20)}
CLOCK_OFFSETS = ("-20s", "-8s", "0s", "10s")
ALIVE = ("running", "hung", "partitioned", "isolated", "half-stopped")

Global = collections.namedtuple("Global", "start length kind reserve_from reserve_to")


def plan(seed, duration, nodes, offsets=None, outages=True, blackouts=True,
         recovery=30.0):
    """The schedule for `duration` seconds of churn on `nodes` (names). offsets: each
    node's starting clock offset text ("-20s"). recovery: seconds kept free of node
    commands after a database outage ends (the exporter's reconnect backoff and
    post-outage correction). Returns [Action] in time order."""
    rng = random.Random(seed)
    offsets = dict(offsets or {})
    events = _globals(rng, duration, outages, blackouts, recovery)
    state = {n: "running" for n in nodes}
    next_t = {n: rng.uniform(2, 10) for n in nodes}
    actions = []
    gi = 0
    while True:
        node = min(nodes, key=lambda n: next_t[n])
        t = next_t[node]
        g = events[gi] if gi < len(events) else None
        if g is not None and g.reserve_from <= t:
            gi += 1
            if g.kind == "blackout":
                actions.append(Action(g.start, "blackout", None, g.length))
                for i, n in enumerate(x for x in nodes if state[x] in ALIVE):
                    actions.append(Action(g.start + 0.3 * i, "kill", n, None))
                for i, n in enumerate(nodes):
                    actions.append(Action(g.start + g.length + 0.3 * i, "start", n, None))
                    state[n] = "running"
            else:
                actions.append(Action(g.start, g.kind, None, g.length))
            for n in nodes:
                if next_t[n] < g.reserve_to:
                    next_t[n] = g.reserve_to + rng.uniform(0, 3)
            continue
        if t >= duration:
            break
        command, new_state = _choose(rng, state[node])
        arg = None
        if command == "clock":
            arg = rng.choice([o for o in CLOCK_OFFSETS if o != offsets.get(node, "0s")])
            offsets[node] = arg
        actions.append(Action(t, command, node, arg))
        state[node] = new_state
        next_t[node] = t + rng.uniform(*DWELL[new_state])
    return sorted(actions, key=lambda a: a.t)


def _choose(rng, state):
    choices = TRANSITIONS[state]
    pick = rng.uniform(0, sum(w for _, w, _ in choices))
    for command, weight, new_state in choices:
        pick -= weight
        if pick <= 0:
            return command, new_state
    return choices[-1][0], choices[-1][2]


def _globals(rng, duration, outages, blackouts, recovery):
    """Database outages about every 6 minutes and blackouts about every 10 (at least
    one of each when enabled and the run is 90 s or more), not overlapping."""
    out = []
    if duration < 90:
        return out
    kinds = []
    if outages:
        n = max(1, int(round(duration / 360.0)))
        first = rng.choice(("db-restart", "db-freeze"))
        other = "db-freeze" if first == "db-restart" else "db-restart"
        kinds += [first if i % 2 == 0 else other for i in range(n)]
    if blackouts:
        kinds += ["blackout"] * max(1, int(round(duration / 600.0)))
    rng.shuffle(kinds)
    slot = duration / max(1, len(kinds))
    for i, kind in enumerate(kinds):
        if kind == "blackout":
            length = rng.uniform(10, 16)
            after = 6.0
        else:
            length = rng.uniform(6, 12)
            after = length + recovery
        start = i * slot + rng.uniform(0.2, 0.5) * max(0.0, slot - length - after)
        start = max(start, 20.0)
        out.append(Global(start, length, kind, start - 3.0, start + length + after))
    return out
