// Checks shared by the fuzz targets (tests/fuzz/fuzz_*.cc).
//
// A fuzz target reports a broken promise by aborting: libFuzzer then saves the input
// as a crash reproducer, and the replay runner (replay_main.cc) fails its ctest. So
// every check here prints what was wrong, then calls abort(). Header-only, no state,
// usable from clang (libFuzzer) and gcc (replay) builds alike.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace msx {
namespace fuzz {

[[noreturn]] inline void Fail(const char* condition, const std::string& detail,
                              const char* file, int line) {
  std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", file, line, condition,
               detail.c_str());
  std::abort();
}

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or
// code points above U+10FFFF). Written independently of the exporter's SanitizeUtf8,
// so a mistake there cannot hide itself here.
inline bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    uint32_t code_point;
    size_t length;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      code_point = c & 0x1F;
      length = 2;
    } else if ((c & 0xF0) == 0xE0) {
      code_point = c & 0x0F;
      length = 3;
    } else if ((c & 0xF8) == 0xF0) {
      code_point = c & 0x07;
      length = 4;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinForLength[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

}  // namespace fuzz
}  // namespace msx

// Aborts with `detail` (a std::string) when `condition` is false.
#define FUZZ_CHECK(condition, detail)                              \
  do {                                                             \
    if (!(condition)) {                                            \
      ::msx::fuzz::Fail(#condition, (detail), __FILE__, __LINE__); \
    }                                                              \
  } while (0)
