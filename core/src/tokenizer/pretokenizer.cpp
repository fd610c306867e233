// PCRE2 compilation and matching for the byte-level BPE pre-tokenizer (pretokenizer.h).
#include "tokenizer/pretokenizer.h"

#include <cstdint>

#include "ce/core/base/error.h"

namespace ce::core::bpe {

const char* const kLlama3PreTokenizerRegex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*)"
    R"(|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kGpt2PreTokenizerRegex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  if (pcre2_get_error_message(code, buffer, sizeof(buffer)) < 0) return "PCRE2 error " + std::to_string(code);
  return std::string(reinterpret_cast<const char*>(buffer));
}

}  // namespace

Regex::Regex(const std::string& pattern, const std::string& name) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.c_str()), pattern.size(), PCRE2_UTF | PCRE2_UCP,
                        &error_code, &error_offset, nullptr);
  if (code_ == nullptr) {
    throw Error(name + ": pre-tokenizer regex does not compile (at offset " + std::to_string(error_offset) +
                "): " + pcre2_message(error_code));
  }
  // JIT is a speed-up only; without it the interpreter gives the same matches.
  jit_ = pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() { pcre2_code_free(code_); }

std::optional<std::pair<size_t, size_t>> Regex::match(std::string_view subject, size_t offset,
                                                      pcre2_match_data* data) const {
  const auto* bytes = reinterpret_cast<PCRE2_SPTR>(subject.data());
  int rc = pcre2_match(code_, bytes, subject.size(), offset, PCRE2_NO_UTF_CHECK, data, nullptr);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT && jit_) {
    // The JIT's small default stack can overflow on huge whitespace runs; the interpreter uses the heap.
    rc = pcre2_match(code_, bytes, subject.size(), offset, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, data, nullptr);
  }
  if (rc == PCRE2_ERROR_NOMATCH) return std::nullopt;
  if (rc < 0) return std::make_pair(SIZE_MAX, static_cast<size_t>(-rc));
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
  return std::make_pair(static_cast<size_t>(ovector[0]), static_cast<size_t>(ovector[1]));
}

}  // namespace ce::core::bpe
