#include "common/read_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace msx {

StatusOr<std::string> ReadFileAtMost(const std::string& path, size_t max_bytes) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return Status::Error(std::strerror(errno));
  std::string content;
  char buffer[4096];
  size_t n;
  Status status;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
    if (content.size() + n > max_bytes) {
      status = Status::Error("larger than " + std::to_string(max_bytes) + " bytes");
      break;
    }
    content.append(buffer, n);
  }
  if (status.ok() && std::ferror(file) != 0) {
    status = Status::Error(std::strerror(errno));  // e.g. "Is a directory"
  }
  std::fclose(file);
  if (!status.ok()) return status;
  return content;
}

}  // namespace msx
