// GPT-2's byte <-> code point table and base64, the two byte spellings of BPE token files (byte_level.h).
#include "tokenizer/byte_level.h"

#include <array>
#include <cstdint>
#include <unordered_map>

#include "tokenizer/utf8.h"

namespace ce::core::bpe {

namespace {

struct ByteUnicodeTable {
  std::array<uint32_t, 256> byte_to_cp{};
  std::unordered_map<uint32_t, unsigned char> cp_to_byte;

  ByteUnicodeTable() {
    std::array<bool, 256> printable{};
    for (int b = '!'; b <= '~'; ++b) printable[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) printable[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) printable[b] = true;
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      byte_to_cp[b] = printable[b] ? static_cast<uint32_t>(b) : next++;
      cp_to_byte.emplace(byte_to_cp[b], static_cast<unsigned char>(b));
    }
  }
};

const ByteUnicodeTable& byte_unicode() {
  static const ByteUnicodeTable table;
  return table;
}

}  // namespace

std::string bytes_to_unicode_string(std::string_view bytes) {
  const auto& table = byte_unicode();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) append_utf8(out, table.byte_to_cp[static_cast<unsigned char>(c)]);
  return out;
}

std::string unicode_string_to_bytes(std::string_view text) {
  const auto& table = byte_unicode();
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t length = utf8_char_length(text, i);
    if (length == 0) return std::string(text);
    const auto found = table.cp_to_byte.find(decode_utf8(text, i, length));
    if (found == table.cp_to_byte.end()) return std::string(text);
    out += static_cast<char>(found->second);
    i += length;
  }
  return out;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool base64_decode(std::string_view text, std::string& out) {
  out.clear();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = base64_value(c);
    if (value < 0) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return true;
}

}  // namespace ce::core::bpe
