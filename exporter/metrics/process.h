// The process_* metrics every Prometheus exporter has (client_golang's process
// collector): CPU time, memory, descriptors, threads and start time, read from
// /proc/self on every scrape. prometheus-cpp has no such collector.
//
// Parsing is separate from reading: ParseProcStat and ParseMaxOpenFiles are pure
// and tested on plain text; ReadProcessStats reads a /proc-like folder, which tests
// fake. Thread-safe (no shared state).
#pragma once

#include <prometheus/metric_family.h>

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace msx {

struct ProcessStats {
  double cpu_seconds_total = 0;  // user + system
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;             // the soft limit; 0 when unlimited or unknown
  double start_time_seconds = 0;  // Unix time
  double threads = 0;
};

// What the kernel reports in units of its own: clock ticks per second and page size.
struct ProcUnits {
  double ticks_per_second = 100;
  double page_bytes = 4096;
};

// Fills CPU time, memory, threads and (with `boot_time_seconds`, /proc/stat's btime)
// the start time from the text of /proc/PID/stat. False when the text is not such a
// line (the command name, in parentheses, may hold spaces and parentheses).
bool ParseProcStat(const std::string& stat, double boot_time_seconds,
                   const ProcUnits& units, ProcessStats* stats);

// The soft "Max open files" of /proc/PID/limits; nullopt when absent, 0 when
// "unlimited".
std::optional<double> ParseMaxOpenFiles(const std::string& limits);

// Reads `proc_root`/self/{stat,limits,fd/} and `proc_root`/stat. A failure names the
// file and the reason.
StatusOr<ProcessStats> ReadProcessStats(const std::string& proc_root,
                                        const ProcUnits& units);

// The process_* families (client_golang's names, types and help).
std::vector<prometheus::MetricFamily> ProcessFamilies(const ProcessStats& stats);

}  // namespace msx
