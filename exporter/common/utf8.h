// UTF-8 repair for text that comes from outside (database rows, client input): a
// label value or a log line must stay valid UTF-8 whatever bytes a row holds.
// Thread-safe (a pure function).
#pragma once

#include <string>
#include <string_view>

namespace msx {

// `text` with every invalid UTF-8 sequence (stray continuation bytes, truncated or
// overlong sequences, surrogates, code points above U+10FFFF) replaced by U+FFFD.
std::string SanitizeUtf8(std::string_view text);

}  // namespace msx
