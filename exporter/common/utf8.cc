#include "common/utf8.h"

#include <algorithm>

namespace msx {
namespace {

constexpr char kReplacementCharacter[] = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      out.push_back(static_cast<char>(lead));
      ++i;
      continue;
    }
    // The ranges of RFC 3629: the second byte's range excludes overlong forms,
    // surrogates (ED A0..BF) and code points above U+10FFFF.
    size_t length = 0;
    unsigned char second_min = 0x80, second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) second_min = 0xA0;
      if (lead == 0xED) second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) second_min = 0x90;
      if (lead == 0xF4) second_max = 0x8F;
    }
    size_t valid = length == 0 ? 0 : 1;
    while (valid > 0 && valid < length && i + valid < text.size()) {
      const unsigned char c = static_cast<unsigned char>(text[i + valid]);
      const unsigned char min = valid == 1 ? second_min : 0x80;
      const unsigned char max = valid == 1 ? second_max : 0xBF;
      if (c < min || c > max) break;
      ++valid;
    }
    if (length != 0 && valid == length) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      // One replacement per maximal invalid prefix (Unicode's recommended practice).
      out += kReplacementCharacter;
      i += std::max<size_t>(valid, 1);
    }
  }
  return out;
}

}  // namespace msx
