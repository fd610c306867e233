// Strict UTF-8 length, encode and decode for the byte-level BPE tokenizer (see utf8.h).
#include "tokenizer/utf8.h"

namespace ce::core {

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

uint32_t decode_utf8(std::string_view text, size_t offset, size_t length) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data()) + offset;
  switch (length) {
    case 1:
      return p[0];
    case 2:
      return (uint32_t{p[0]} & 0x1F) << 6 | (p[1] & 0x3F);
    case 3:
      return (uint32_t{p[0]} & 0x0F) << 12 | (uint32_t{p[1]} & 0x3F) << 6 | (p[2] & 0x3F);
    default:
      return (uint32_t{p[0]} & 0x07) << 18 | (uint32_t{p[1]} & 0x3F) << 12 | (uint32_t{p[2]} & 0x3F) << 6 |
             (p[3] & 0x3F);
  }
}

std::string escape_invalid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    const size_t length = utf8_char_length(bytes, i);
    if (length > 0) {
      out.append(bytes.data() + i, length);
      i += length;
    } else {
      static const char kHex[] = "0123456789ABCDEF";
      const auto byte = static_cast<unsigned char>(bytes[i]);
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
      ++i;
    }
  }
  return out;
}

}  // namespace ce::core
