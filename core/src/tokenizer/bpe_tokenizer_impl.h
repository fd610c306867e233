// BpeTokenizer's state, shared by the class (bpe_tokenizer.cpp) and the two file parsers that fill it
// (tiktoken.cpp, tokenizer_json.cpp). Private to ce_core.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/bpe_merges.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/pretokenizer.h"

namespace ce::core {

namespace bpe {

// Scratch memory of one encode() call: the merge loop's plus one PCRE2 match block per regex.
struct Workspace : MergeScratch {
  std::vector<MatchData> match_data;
};

}  // namespace bpe

// The vocabulary and merges (bpe::BpeModel), the added tokens that bypass BPE, and the pre-tokenizer.
struct BpeTokenizer::Impl : bpe::BpeModel {
  struct Added {
    std::string content;
    int id;
    bool special;
  };

  std::string name;
  std::vector<Added> added;                               // all added tokens
  std::array<std::vector<int>, 256> added_by_first_byte;  // indexes into `added`, longest first
  std::unordered_map<std::string, int> added_ids;         // added token text -> id
  std::vector<std::unique_ptr<bpe::Regex>> regexes;       // applied in sequence
  int bos = -1;
  int eos = -1;

  // Builds encoder/byte_ids/added_by_first_byte once tokens, present and added are final.
  void finish(const std::vector<int>& regular_ids);
  void check_id(int id) const;
  std::vector<int> encode(const std::string& text, bool add_bos, bool parse_special) const;
  std::optional<int> lookup(const std::string& text) const;

 private:
  void split(std::string_view piece, size_t level, std::vector<int>& out, bpe::Workspace& ws) const;
  void encode_text(std::string_view text, std::vector<int>& out, bpe::Workspace& ws) const;
};

namespace bpe {

// Meta's tiktoken rank file (tiktoken.cpp); throws Error naming `name` on a malformed line.
std::unique_ptr<BpeTokenizer::Impl> parse_tiktoken(const std::string& content, const std::string& name);
// An HF tokenizer.json of a byte-level BPE model (tokenizer_json.cpp); throws Error naming `name`.
std::unique_ptr<BpeTokenizer::Impl> parse_tokenizer_json(const std::string& content, const std::string& name);

}  // namespace bpe
}  // namespace ce::core
