#include "model/snapshot.h"

namespace msx {
namespace {

std::string Count(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string DescribeLoad(const NodeLoad& load) {
  return Count(load.agents_total, "agent", "agents") + " and " +
         Count(load.jobs_in_progress, "job in progress", "jobs in progress");
}

}  // namespace msx
