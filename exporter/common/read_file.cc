#include "common/read_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace msx {

bool ReadFileAtMost(const std::string& path, size_t max_bytes, std::string* content,
                    std::string* error) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    *error = std::strerror(errno);
    return false;
  }
  content->clear();
  char buffer[4096];
  size_t n;
  bool too_big = false;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
    if (content->size() + n > max_bytes) {
      too_big = true;
      break;
    }
    content->append(buffer, n);
  }
  bool ok = !too_big;
  if (too_big) {
    *error = "larger than " + std::to_string(max_bytes) + " bytes";
  } else if (std::ferror(file) != 0) {
    *error = std::strerror(errno);  // e.g. "Is a directory"
    ok = false;
  }
  std::fclose(file);
  return ok;
}

}  // namespace msx
