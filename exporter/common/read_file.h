// ReadFileAtMost: a whole small file (configuration, web config, password) into memory,
// with a size cap so that a path like /dev/zero gives an error instead of a process
// that reads forever. Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <string>

#include "common/status.h"

namespace msx {

// The file's content, or why not ("No such file or directory", "Is a directory",
// "larger than 65536 bytes").
StatusOr<std::string> ReadFileAtMost(const std::string& path, size_t max_bytes);

}  // namespace msx
