// Names of a module's table (drivers, probe kinds, TLS modes, alerts) joined for a
// message: "mysql, postgresql". Header-only, pure.
#pragma once

#include <string>

namespace msx {

// `name(entry)` of every entry of `table`, comma-separated.
template <typename Table, typename NameOf>
std::string JoinNames(const Table& table, NameOf name) {
  std::string out;
  for (const auto& entry : table) {
    if (!out.empty()) out += ", ";
    out += name(entry);
  }
  return out;
}

}  // namespace msx
