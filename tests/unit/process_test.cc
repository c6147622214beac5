#include "metrics/process.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "metrics/metrics.h"

namespace msx {
namespace {

// Fields 1-24 of a /proc/PID/stat line whose command name holds ") (" and spaces:
// utime 250 and stime 50 ticks, 12 threads, started 1000 ticks after boot, 200 MB
// virtual, 3000 pages resident.
const char kStat[] =
    "4242 (mshost_ex) (x y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 12 "
    "0 1000 200000000 3000 18446744073709551615\n";

const char kLimits[] =
    "Limit                     Soft Limit           Hard Limit           Units     \n"
    "Max cpu time              unlimited            unlimited            seconds   \n"
    "Max open files            20000                524288               files     \n";

const ProcUnits kUnits{100, 4096};

TEST(ProcessStatsTest, ParsesStatFromTheLastParenthesis) {
  ProcessStats stats;
  ASSERT_TRUE(ParseProcStat(kStat, 1700000000, kUnits, &stats));
  EXPECT_DOUBLE_EQ(stats.cpu_seconds_total, 3.0);
  EXPECT_DOUBLE_EQ(stats.threads, 12);
  EXPECT_DOUBLE_EQ(stats.start_time_seconds, 1700000010);
  EXPECT_DOUBLE_EQ(stats.virtual_memory_bytes, 200000000);
  EXPECT_DOUBLE_EQ(stats.resident_memory_bytes, 3000.0 * 4096);
}

TEST(ProcessStatsTest, RefusesWhatIsNotAStatLine) {
  ProcessStats stats;
  EXPECT_FALSE(ParseProcStat("", 0, kUnits, &stats));
  EXPECT_FALSE(ParseProcStat("4242 (x) S 1 2 3", 0, kUnits, &stats));
  EXPECT_FALSE(
      ParseProcStat("4242 x S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 "
                    "20 0 12 0 1000 200000000 3000",
                    0, kUnits, &stats));
  std::string bad = kStat;
  bad.replace(bad.find(" 250 "), 5, " two ");
  EXPECT_FALSE(ParseProcStat(bad, 0, kUnits, &stats));
}

TEST(ProcessStatsTest, ParsesTheSoftOpenFilesLimit) {
  EXPECT_EQ(ParseMaxOpenFiles(kLimits), 20000.0);
  EXPECT_EQ(ParseMaxOpenFiles("Max open files            unlimited            unlimited  "
                              "          files\n"),
            0.0);
  EXPECT_EQ(ParseMaxOpenFiles("Max cpu time unlimited unlimited seconds\n"),
            std::nullopt);
}

class FakeProc {
 public:
  FakeProc() {
    root_ = ::testing::TempDir() + "/fake_proc_XXXXXX";
    if (mkdtemp(root_.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << root_;
    mkdir((root_ + "/self").c_str(), 0700);
    mkdir((root_ + "/self/fd").c_str(), 0700);
  }
  void Write(const std::string& path, const std::string& text) {
    std::ofstream(root_ + "/" + path) << text;
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

TEST(ProcessStatsTest, ReadsAFakeProcFolder) {
  FakeProc proc;
  proc.Write("stat", "cpu  1 2 3\nbtime 1700000000\nprocesses 9\n");
  proc.Write("self/stat", kStat);
  proc.Write("self/limits", kLimits);
  // Five descriptors; the real /proc also lists the one that reads the folder.
  for (const char* fd : {"0", "1", "2", "3", "4", "5"})
    proc.Write(std::string("self/fd/") + fd, "");
  const StatusOr<ProcessStats> stats = ReadProcessStats(proc.root(), kUnits);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_DOUBLE_EQ(stats->open_fds, 5);
  EXPECT_DOUBLE_EQ(stats->max_fds, 20000);
  EXPECT_DOUBLE_EQ(stats->start_time_seconds, 1700000010);
  EXPECT_DOUBLE_EQ(stats->cpu_seconds_total, 3.0);
}

TEST(ProcessStatsTest, NamesTheFileThatIsMissingOrWrong) {
  FakeProc proc;
  const auto error = [&proc] {
    const StatusOr<ProcessStats> stats = ReadProcessStats(proc.root(), kUnits);
    EXPECT_FALSE(stats.ok());
    return stats.status().message();
  };
  EXPECT_EQ(error(), proc.root() + "/stat: No such file or directory");
  proc.Write("stat", "cpu 1 2 3\n");
  EXPECT_EQ(error(), proc.root() + "/stat: no btime line");
  proc.Write("stat", "btime 1700000000\n");
  proc.Write("self/stat", "garbage");
  EXPECT_EQ(error(), proc.root() + "/self/stat: not a process status line");
  proc.Write("self/stat", kStat);
  proc.Write("self/limits", "Limit Soft Hard\n");
  EXPECT_EQ(error(), proc.root() + "/self/limits: no \"Max open files\" line");
}

TEST(ProcessStatsTest, TheRealProcIsPlausible) {
  const ProcUnits units{static_cast<double>(sysconf(_SC_CLK_TCK)),
                        static_cast<double>(sysconf(_SC_PAGESIZE))};
  const StatusOr<ProcessStats> stats = ReadProcessStats("/proc", units);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_GE(stats->threads, 1);
  EXPECT_GE(stats->open_fds, 3);  // stdin, stdout, stderr at least
  EXPECT_GT(stats->resident_memory_bytes, 1 << 20);
  EXPECT_GE(stats->virtual_memory_bytes, stats->resident_memory_bytes);
  EXPECT_GT(stats->start_time_seconds, 1.5e9);
}

TEST(ProcessStatsTest, FamiliesUseClientGolangsNamesAndTypes) {
  ProcessStats stats;
  ASSERT_TRUE(ParseProcStat(kStat, 1700000000, kUnits, &stats));
  const std::string text = SerializeFamilies(ProcessFamilies(stats));
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 3\n",
        "# TYPE process_threads gauge\nprocess_threads 12\n",
        "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds "
        "1700000010\n",
        "# TYPE process_resident_memory_bytes gauge\n"
        "process_resident_memory_bytes 12288000\n",
        "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes "
        "200000000\n",
        "# TYPE process_open_fds gauge\n", "# TYPE process_max_fds gauge\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin\n" << text;
  }
}

}  // namespace
}  // namespace msx
