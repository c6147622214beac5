"""The results of bench.py as tables (printed) and as BENCHMARKS.md: date, versions,
settings, machine, the tables, how to reproduce, and every target missed with the
profile that explains it."""
import os
import subprocess

import benchlib
import peer_stack

PACKAGES = ["prometheus-sql-exporter", "prometheus-blackbox-exporter", "prometheus",
            "prometheus-alertmanager", "mariadb-server", "wrk", "valgrind", "linux-perf",
            "libcivetweb1", "libmariadb3", "python3"]

MIB = 1024.0


def _fmt_s(value):
    return "-" if value is None else "%.2f s" % value


def targets(results):
    """[(measure, ours, peer, target, met)] — the headline table."""
    rows = []
    det = results["detection"]
    default = det["ours default"]["summary"]
    fast = det["ours fast"]["summary"]
    peer = det["peer stack"]["summary"]
    peer_median = peer["median"] if peer else None
    if default:
        faster = peer_median / default["median"] if peer_median else None
        rows.append(("Detection, defaults (poll 2 s, dead_after 5 s): median",
                     "%.2f s" % default["median"], _fmt_s(peer_median), "<= 6 s",
                     default["median"] <= 6.0))
        rows.append(("Detection, defaults: how many times faster than the peer",
                     "%.1fx" % faster if faster else "-", "1x", ">= 3x",
                     faster is not None and faster >= 3.0))
    if fast:
        rows.append(("Detection, fast (poll 500 ms, dead_after 3 s): median",
                     "%.2f s" % fast["median"], _fmt_s(peer_median), "<= 3.5 s",
                     fast["median"] <= 3.5))
    serving = results["serving"]
    ratio = serving["ours"]["rps"] / serving["peer"]["rps"]
    rows.append(("/metrics at 10 nodes: requests per second (wrk)",
                 "%.0f" % serving["ours"]["rps"], "%.0f" % serving["peer"]["rps"],
                 ">= 20x the peer (%.1fx)" % ratio, ratio >= 20))
    rows.append(("/metrics at 10 nodes: p99 latency",
                 "%.2f ms" % serving["ours"]["p99_ms"], "%.2f ms" % serving["peer"]["p99_ms"],
                 "< 1 ms", serving["ours"]["p99_ms"] < 1.0))
    rss = results["rss"]
    rows.append(("Peak RSS at 10 nodes", "%.1f MiB" % (rss["ours"] / MIB),
                 "%.1f MiB (sql %.1f + blackbox %.1f)" % (
                     rss["peer"] / MIB, rss["peer_sql"] / MIB, rss["peer_blackbox"] / MIB),
                 "< 8 MiB", rss["ours"] < 8 * MIB))
    load = results["db_load"]["per_user"]
    ours_load = load.get("exporter", {})
    reads = ours_load.get("mshost_reads", 0)
    rows.append(("Database: mshost reads per minute, 2 Prometheus scraping every 5 s",
                 "%.1f (poll 2 s)" % reads,
                 "%.1f (query every 5 s)" % load.get("peer", {}).get("mshost_reads", 0),
                 "one read per poll interval (30/min)", abs(reads - 30) <= 3))
    crowd = results["crowd"]
    rows.append(("A crowd: /metrics while 500 connections hold half a request",
                 "%.1f ms (%d held)" % (crowd["scrape_ms"], crowd["held"]), "-",
                 "200 within 1 s", crowd["scrape_ms"] < 1000))
    rows.append(("After the crowd: threads / descriptors / RSS back",
                 "%d / %d / %+.1f MiB" % (
                     crowd["after"]["threads"] - crowd["before"]["threads"],
                     crowd["after"]["fds"] - crowd["before"]["fds"],
                     (crowd["after"]["rss_kib"] - crowd["before"]["rss_kib"]) / 1024), "-",
                 "0 / 0 / < 1 MiB",
                 crowd["after"]["threads"] == crowd["before"]["threads"] and
                 crowd["after"]["fds"] <= crowd["before"]["fds"] and
                 crowd["after"]["rss_kib"] - crowd["before"]["rss_kib"] < 1024))
    sc = results["scale"]
    rows.append(("2,000 nodes (20 x 100): poll-and-probe cycle p95",
                 "%.0f ms" % sc["cycle"]["p95"], "-", "< 500 ms", sc["cycle"]["p95"] < 500))
    rows.append(("2,000 nodes: peak RSS", "%.1f MiB" % (sc["rss_kib"] / MIB), "-",
                 "< 16 MiB", sc["rss_kib"] < 16 * MIB))
    return rows


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def headline_table(results):
    rows = [(m, o, p, t, "met" if ok else "**missed**") for m, o, p, t, ok in
            targets(results)]
    return _table(["Measure", "mshost_exporter", "peer stack", "Target", ""], rows)


def detection_table(results):
    rows = []
    for label, entry in results["detection"].items():
        s = entry["summary"]
        if s is None:
            rows.append((label, "%g s" % entry["threshold"], 0) + ("-",) * 7)
            continue
        rows.append((label, "%g s" % entry["threshold"], s["n"], "%.2f s" % s["min"],
                     "%.2f s" % s["median"], "%.2f s" % s["p95"], "%.2f s" % s["max"],
                     "%.2f s / %.2f s" % (s["beyond_median"], s["beyond_p95"]),
                     "%.2f s" % s["since_heartbeat_median"],
                     "-" if s["offset_median"] is None else "%.2f s" % s["offset_median"]))
    return _table(["Setup", "heartbeat threshold", "kills", "min", "median", "p95", "max",
                   "beyond the threshold: median / p95",
                   "kill after the last stored heartbeat: median",
                   "clock-offset estimate: median"], rows)


def other_table(results):
    serving, load, sc, costs = (results["serving"], results["db_load"]["per_user"],
                                results["scale"], results["costs"])
    rows = [
        ("/metrics body at 10 nodes", "%d bytes" % serving["ours_bytes"],
         "%d bytes" % serving["peer_bytes"]),
        ("/metrics p50 latency", "%.2f ms" % serving["ours"]["p50_ms"],
         "%.2f ms" % serving["peer"]["p50_ms"]),
        ("wrk errors (socket errors, non-2xx)", serving["ours"]["errors"],
         serving["peer"]["errors"]),
        ("/metrics with Accept-Encoding: gzip: requests per second / p99 / body",
         "%.0f / %.2f ms / %d bytes" % (serving["ours_gzip"]["rps"],
                                        serving["ours_gzip"]["p99_ms"],
                                        serving["ours_gzip_bytes"]), "-"),
        ("Memory at 10 nodes: RSS / PSS / anonymous",
         "%.1f / %.1f / %.1f MiB" % tuple(results["rss"]["ours_memory"][k] / MIB
                                          for k in ("rss", "pss", "anonymous")),
         "%.1f / %.1f / %.1f MiB" % tuple(
             sum(m[k] for m in results["rss"]["peer_memory"]) / MIB
             for k in ("rss", "pss", "anonymous"))),
        ("Peak RSS, fast settings (poll 500 ms)", "%.1f MiB" % (results["rss"]["ours_fast"]
                                                                / MIB), "-"),
    ]
    for user, label in (("exporter", "defaults"), ("msx_fast", "fast settings")):
        entry = load.get(user, {})
        rows.append(("Database, ours with %s: queries / mshost reads / connects per minute"
                     % label, "%.1f / %.1f / %.1f" % (entry.get("queries", 0),
                                                      entry.get("mshost_reads", 0),
                                                      entry.get("connects", 0)), "-"))
    peer = load.get("peer", {})
    rows.append(("Database, peer: queries / mshost reads / connects per minute", "-",
                 "%.1f / %.1f / %.1f" % (peer.get("queries", 0), peer.get("mshost_reads", 0),
                                         peer.get("connects", 0))))
    rows += [
        ("2,000 nodes: cycles sampled", sc["cycle"]["n"], "-"),
        ("2,000 nodes: cycle min / median / max", "%.0f / %.0f / %.0f ms" % (
            sc["cycle"]["min"], sc["cycle"]["median"], sc["cycle"]["max"]), "-"),
        ("2,000 nodes: /probe scrape (100 nodes) median / p95 / p99", "%.1f / %.1f / %.1f ms"
         % (sc["scrape"]["median"], sc["scrape"]["p95"], sc["scrape_p99_ms"]), "-"),
        ("2,000 nodes: CPU seconds per minute", "%.2f" % sc["cpu_per_minute"], "-"),
        ("2,000 nodes: nodes on the 20 /probe pages", sc["nodes_seen"], "-"),
    ]
    what = {"poll": "one poll (TargetPoller::PollOnce)",
            "render": "rendering a target's text (once per new snapshot)",
            "scrape": "one /metrics scrape between polls (text cached)"}
    for (phase, nodes), instructions in sorted(costs.items(), key=lambda kv: (
            kv[0][1], list(what).index(kv[0][0]))):
        rows.append(("Instructions for %s, %d nodes (callgrind)" % (what[phase], nodes),
                     "{:,.0f}".format(instructions), "-"))
    return _table(["Measure", "mshost_exporter", "peer stack"], rows)


def tables(results):
    return "\n\n".join([headline_table(results), detection_table(results),
                        other_table(results)])


def _block(lines):
    return ["", "  ```"] + ["  " + line for line in lines] + ["  ```"]


def _missed_section(results):
    missed = [row for row in targets(results) if not row[4]]
    if not missed:
        return ["Every target was met in this run."]
    lines = []
    explained = set()
    for measure, ours, peer, target, _ in missed:
        lines.append("- **%s**: %s (target %s)." % (measure, ours, target))
        if measure.startswith("/metrics") and "metrics" not in explained:
            explained.add("metrics")
            profile = results["serving"].get("profile")
            lines.append("  Load average just before wrk: %.2f (2 cores, shared with wrk and "
                         "everything else running)." % results["serving"]["load"])
            if profile:
                lines.append("  Where the exporter spent its CPU under wrk (perf, 5 s):")
                lines += _block(profile)
        elif measure.startswith("Peak RSS at 10"):
            lines.append("  Where the resident memory is (/proc/PID/smaps):")
            lines += _block(results["rss"]["ours_profile"])
        elif measure.startswith("2,000 nodes: peak RSS"):
            lines.append("  Where the resident memory is (/proc/PID/smaps):")
            lines += _block(results["scale"]["rss_profile"])
        elif measure.startswith("Detection") and "detection" not in explained:
            explained.add("detection")
            s = results["detection"]["ours default"]["summary"]
            lines.append(
                "  Latency = threshold - (kill after the last stored heartbeat) + beyond. "
                "Beyond the threshold the exporter adds %.2f s (median): its clock-offset "
                "estimate of the node (%.2f s median; silence is the raw age minus it) and "
                "the wait for the next poll. The estimate is the smallest raw age seen "
                "when a new heartbeat first shows, so it takes in the whole-second "
                "truncation of last_update and the poll phase, not only the node's clock."
                % (s["beyond_median"], s["offset_median"] or 0))
    return lines


def markdown(results, build_dir):
    settings = results["settings"]
    revision = subprocess.run(["git", "-C", benchlib.ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", benchlib.ROOT, "status", "--porcelain",
                            "--untracked-files=no"], capture_output=True, text=True).stdout
    version = subprocess.run([os.path.join(build_dir, "mshost_exporter"), "--version"],
                             capture_output=True, text=True).stdout.strip().splitlines()
    changed = [line[3:] for line in dirty.splitlines() if line[3:].startswith("exporter/")]
    versions = benchlib.package_versions(PACKAGES)
    errors = [(label, e) for label, entry in results["detection"].items()
              for e in entry["errors"]]
    lines = [
        "# Benchmarks: mshost_exporter against the stack users would otherwise build",
        "",
        "Generated by `bench/run`%s on %s (UTC), in %.0f s of measuring. Every figure "
        "below comes from this one run on this one machine; docs/benchmarks.md says "
        "how each is measured and what the profiles led to."
        % (" --quick" if settings.quick else "",
           results["started"].strftime("%Y-%m-%d %H:%M"), results["measuring_seconds"]),
        "",
        "- mshost_exporter: %s, commit %s%s, Release build (`%s`)"
        % (version[0].replace("mshost_exporter, ", "") if version else "?", revision,
           " plus uncommitted changes to " + ", ".join(changed) if changed else "",
           os.path.relpath(build_dir, benchlib.ROOT)),
        "- Machine: %s; load average %.2f at the start (other work may share it)"
        % (benchlib.machine(), results["load_before"][0]),
        "- Debian packages: " + ", ".join("%s %s" % kv for kv in versions.items()),
        "",
        "## Results",
        "",
        headline_table(results),
        "",
        "### Detection latency: kill -9 until the alert is in Alertmanager",
        "",
        detection_table(results),
        "",
        "\"Beyond the threshold\": alert listed minus (the node's last stored heartbeat + "
        "the setup's threshold), i.e. what the pipeline adds after the moment its "
        "heartbeat test turns true.",
        "",
        "### Details",
        "",
        other_table(results),
        "",
        "## Targets missed",
        "",
    ]
    lines += _missed_section(results)
    if errors:
        lines += ["", "Kills without a result:"] + ["- %s: %s" % e for e in errors]
    lines += [
        "",
        "## Settings",
        "",
        "- Cluster: MariaDB %s with CloudStack's schema, %d simulated management servers "
        "(tests/sim/mssim.py, heartbeat every 1.5 s), one Alertmanager for every setup."
        % (versions["mariadb-server"], 10),
        "- mshost_exporter, defaults: poll_interval 2s, dead_after 5s, stale_after 10s, tcp "
        "probe (timeout 1s), alerting straight to Alertmanager.",
        "- mshost_exporter, fast: poll_interval 500ms, dead_after 3s, otherwise the same.",
        "- Peer stack: prometheus-sql-exporter running `TIMESTAMPDIFF(SECOND, last_update, "
        "UTC_TIMESTAMP())` on cloud.mshost every 5 s; prometheus-blackbox-exporter tcp "
        "probes of each node's port; Prometheus scrape and evaluation interval 5 s, rule "
        "`%s`, `for: 0s`. Before each of its kills its exporter is restarted and its rules "
        "and targets reloaded under new names (new phases)." % peer_stack.RULE_EXPR,
        "- Kills: each setup kills a node of its own, at least %d times, all three chains "
        "at once; ours keep going until the peer's chain ends. A kill lands at a random "
        "phase of the heartbeat and poll cycles." % settings.min_kills,
        "- wrk: 2 threads, 32 connections, %d s, loopback, GET /metrics."
        % settings.wrk_seconds,
        "- Peak RSS: VmHWM after detection and wrk (so under load).",
        "- Database load: MariaDB's general query log for %d s while two Prometheus "
        "servers scrape every exporter every 5 s." % settings.db_window,
        "- 2,000 nodes: 20 targets (databases) x 100 rows, half on loopback listeners, "
        "half on refusing ports; heartbeats refreshed every 1.5 s; every /probe page "
        "scraped once per 2 s poll interval for %d s (that serving is in the CPU figure)."
        % settings.scale_window,
        "- Cost per poll: bench/poll_cost under `valgrind --tool=callgrind`, counting only "
        "the measured loop (after 25 warm-up polls), fakes for the database and prober; "
        "a scrape is what the app does between polls (exporter families plus the target "
        "text from ExpositionCache).",
        "",
        "## How to reproduce",
        "",
        "```sh",
        "bench/run            # installs what is missing, builds build-bench/ (Release), "
        "measures, writes BENCHMARKS.md",
        "bench/run --quick    # a 2.5-minute smoke run; the report goes to "
        "build-bench/BENCHMARKS.quick.md",
        "```",
        "",
        "It needs root for the Debian packages only if some are missing "
        "(scripts/install-deps.sh --bench), starts every server as a private process on "
        "free loopback ports and stops them by PID.",
        "",
    ]
    return "\n".join(lines)
