// The regex pre-tokenizer of byte-level BPE: Llama 3's and GPT-2's patterns and a PCRE2 matcher that
// several encoding threads may share. Private to ce_core.
#pragma once

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include <cstddef>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ce::core::bpe {

// Llama 3's regex pre-tokenizer pattern (Meta's tokenizer.py, also in HF's Llama 3 tokenizer.json).
extern const char* const kLlama3PreTokenizerRegex;
// GPT-2's pattern, used for tokenizer.json files whose ByteLevel pre-tokenizer has use_regex = true.
extern const char* const kGpt2PreTokenizerRegex;

// A compiled pre-tokenizer pattern; immutable after construction, so one may serve many threads.
class Regex {
 public:
  // Throws Error naming `name` (the tokenizer file) when the pattern does not compile.
  Regex(const std::string& pattern, const std::string& name);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Matches at or after `offset` in subject (valid UTF-8, already checked). Returns the match's
  // [begin, end) or nullopt for no match; a PCRE2 failure (resource limits) gives {SIZE_MAX, error}.
  std::optional<std::pair<size_t, size_t>> match(std::string_view subject, size_t offset,
                                                 pcre2_match_data* data) const;

 private:
  pcre2_code* code_ = nullptr;
  bool jit_ = false;
};

// PCRE2's per-match scratch; one per thread and regex, because match data cannot be shared.
struct MatchData {
  MatchData() : data(pcre2_match_data_create(8, nullptr)) {
    if (data == nullptr) throw std::bad_alloc();
  }
  ~MatchData() { pcre2_match_data_free(data); }
  MatchData(const MatchData&) = delete;
  MatchData& operator=(const MatchData&) = delete;
  pcre2_match_data* data;
};

}  // namespace ce::core::bpe
