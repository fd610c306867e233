// The byte-level spellings BPE token files use: GPT-2's bytes_to_unicode (tokenizer.json) and base64
// (tiktoken ranks). Private to ce_core.
#pragma once

#include <string>
#include <string_view>

namespace ce::core::bpe {

// Token bytes as their tokenizer.json vocabulary spelling: HF byte-level vocabularies write each byte as
// one printable code point (GPT-2's bytes_to_unicode table).
std::string bytes_to_unicode_string(std::string_view bytes);

// Inverse of bytes_to_unicode_string. A string with characters outside the table (e.g. an added token
// stored in the vocabulary) is taken as its raw UTF-8 bytes.
std::string unicode_string_to_bytes(std::string_view text);

// The 6-bit value of a base64 digit, -1 for any other character ('=' included).
int base64_value(char c);

// Standard base64 with optional '=' padding; false on any other character or a bad length.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace ce::core::bpe
