// ReadFileAtMost: a whole small file (configuration, web config, password) into memory,
// with a size cap so that a path like /dev/zero gives an error instead of a process
// that reads forever. Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <string>

namespace msx {

// On success fills *content and returns true; otherwise sets *error to the reason
// ("No such file or directory", "Is a directory", "larger than 65536 bytes").
bool ReadFileAtMost(const std::string& path, size_t max_bytes, std::string* content,
                    std::string* error);

}  // namespace msx
