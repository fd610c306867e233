// Strict UTF-8 stepping for the byte-level BPE tokenizer: PCRE2 runs in UTF mode, so invalid bytes must be
// found (and kept out of the regexes) by the same rules PCRE2's own check uses. Private to ce_core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ce::core {

// Length of the valid UTF-8 character at p (n bytes available), or 0 if the bytes there are not one.
// Strict (no overlongs, surrogates or code points above U+10FFFF), the same rules as PCRE2's UTF check.
// Inline: the encoder calls it for every character of the text.
inline size_t utf8_char_length(const unsigned char* p, size_t n) {
  const unsigned c0 = p[0];
  if (c0 < 0x80) return 1;
  auto cont = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  if (c0 < 0xC2) return 0;
  if (c0 < 0xE0) return cont(1) ? 2 : 0;
  if (c0 < 0xF0) {
    if (!cont(1) || !cont(2)) return 0;
    if (c0 == 0xE0 && p[1] < 0xA0) return 0;
    if (c0 == 0xED && p[1] >= 0xA0) return 0;
    return 3;
  }
  if (c0 < 0xF5) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c0 == 0xF0 && p[1] < 0x90) return 0;
    if (c0 == 0xF4 && p[1] >= 0x90) return 0;
    return 4;
  }
  return 0;
}

inline size_t utf8_char_length(std::string_view text, size_t offset) {
  return utf8_char_length(reinterpret_cast<const unsigned char*>(text.data()) + offset, text.size() - offset);
}

void append_utf8(std::string& out, uint32_t cp);

// Decodes the valid character at `offset` (the caller checked its length).
uint32_t decode_utf8(std::string_view text, size_t offset, size_t length);

// Bytes as display text: valid UTF-8 kept, every other byte written as "\xNN".
std::string escape_invalid_utf8(std::string_view bytes);

}  // namespace ce::core
