#include "metrics/process.h"

#include <dirent.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <utility>

#include "common/read_file.h"

namespace msx {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr size_t kMaxProcFileBytes = 64 * 1024;

MetricFamily Single(std::string name, std::string help, MetricType type, double value) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  ClientMetric metric;
  if (type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

// /proc/stat's "btime SECONDS" line.
std::optional<double> ParseBootTime(const std::string& stat) {
  std::istringstream lines(stat);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("btime ", 0) == 0) {
      char* end = nullptr;
      const double value = std::strtod(line.c_str() + 6, &end);
      if (end != line.c_str() + 6) return value;
    }
  }
  return std::nullopt;
}

}  // namespace

bool ParseProcStat(const std::string& stat, double boot_time_seconds,
                   const ProcUnits& units, ProcessStats* stats) {
  // "PID (COMM) STATE PPID ...": COMM may hold anything, so fields count from the
  // last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(stat.substr(close + 1));
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  for (std::string field; rest >> field;) fields.push_back(field);
  if (fields.size() < 22) return false;
  auto number = [&](int field_number, double* out) {
    const std::string& text = fields[static_cast<size_t>(field_number - 3)];
    char* end = nullptr;
    *out = std::strtod(text.c_str(), &end);
    return end != text.c_str() && *end == '\0';
  };
  double utime, stime, threads, start_ticks, vsize, rss_pages;
  if (!number(14, &utime) || !number(15, &stime) || !number(20, &threads) ||
      !number(22, &start_ticks) || !number(23, &vsize) || !number(24, &rss_pages)) {
    return false;
  }
  stats->cpu_seconds_total = (utime + stime) / units.ticks_per_second;
  stats->threads = threads;
  stats->start_time_seconds = boot_time_seconds + start_ticks / units.ticks_per_second;
  stats->virtual_memory_bytes = vsize;
  stats->resident_memory_bytes = rss_pages * units.page_bytes;
  return true;
}

std::optional<double> ParseMaxOpenFiles(const std::string& limits) {
  // "Max open files            1024                 524288               files"
  std::istringstream lines(limits);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream values(line.substr(std::strlen("Max open files")));
    std::string soft;
    if (!(values >> soft)) return std::nullopt;
    if (soft == "unlimited") return 0.0;
    char* end = nullptr;
    const double value = std::strtod(soft.c_str(), &end);
    if (end == soft.c_str() || *end != '\0') return std::nullopt;
    return value;
  }
  return std::nullopt;
}

StatusOr<ProcessStats> ReadProcessStats(const std::string& proc_root,
                                        const ProcUnits& units) {
  const std::string self = proc_root + "/self";
  std::string text;
  Status failed;
  auto read = [&](const std::string& path) {
    StatusOr<std::string> content = ReadFileAtMost(path, kMaxProcFileBytes);
    if (!content.ok()) {
      failed = content.status().Prefixed(path + ": ");
      return false;
    }
    text = std::move(content).value();
    return true;
  };

  if (!read(proc_root + "/stat")) return failed;
  const std::optional<double> boot = ParseBootTime(text);
  if (!boot) {
    return Status::Error(proc_root + "/stat: no btime line");
  }
  ProcessStats stats;
  if (!read(self + "/stat")) return failed;
  if (!ParseProcStat(text, *boot, units, &stats)) {
    return Status::Error(self + "/stat: not a process status line");
  }
  if (!read(self + "/limits")) return failed;
  const std::optional<double> max_fds = ParseMaxOpenFiles(text);
  if (!max_fds) {
    return Status::Error(self + "/limits: no \"Max open files\" line");
  }
  stats.max_fds = *max_fds;

  DIR* fds = opendir((self + "/fd").c_str());
  if (fds == nullptr) {
    return Status::Error(self + "/fd: " + std::strerror(errno));
  }
  int open = 0;
  while (const dirent* entry = readdir(fds)) {
    if (entry->d_name[0] != '.') ++open;
  }
  closedir(fds);
  // The descriptor that read the folder was open while it was read: not counted.
  stats.open_fds = open > 0 ? open - 1 : 0;
  return stats;
}

std::vector<MetricFamily> ProcessFamilies(const ProcessStats& stats) {
  std::vector<MetricFamily> families;
  families.push_back(Single("process_cpu_seconds_total",
                            "Total user and system CPU time spent in seconds.",
                            MetricType::Counter, stats.cpu_seconds_total));
  families.push_back(Single("process_max_fds", "Maximum number of open file descriptors.",
                            MetricType::Gauge, stats.max_fds));
  families.push_back(Single("process_open_fds", "Number of open file descriptors.",
                            MetricType::Gauge, stats.open_fds));
  families.push_back(Single("process_resident_memory_bytes",
                            "Resident memory size in bytes.", MetricType::Gauge,
                            stats.resident_memory_bytes));
  families.push_back(Single("process_start_time_seconds",
                            "Start time of the process since unix epoch in seconds.",
                            MetricType::Gauge, stats.start_time_seconds));
  families.push_back(Single("process_threads", "Number of OS threads in the process.",
                            MetricType::Gauge, stats.threads));
  families.push_back(Single("process_virtual_memory_bytes",
                            "Virtual memory size in bytes.", MetricType::Gauge,
                            stats.virtual_memory_bytes));
  return families;
}

}  // namespace msx
