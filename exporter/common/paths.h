// ResolveNextToFile: a path written in a file (a certificate, a password file), taken
// relative to that file's folder, so a configuration means the same whatever the
// working directory. Pure and thread-safe.
#pragma once

#include <string>

namespace msx {

// `path` as written in `file`: returned as it is when empty, absolute, or when `file`
// has no folder part (both are then relative to the working directory); otherwise
// joined to the folder of `file` and lexically normalized, so messages show a plain
// path ("/etc/msx/conf.d/x.yml" and "../ca.pem" give "/etc/msx/ca.pem").
std::string ResolveNextToFile(const std::string& file, const std::string& path);

}  // namespace msx
