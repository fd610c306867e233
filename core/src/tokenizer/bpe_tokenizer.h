// Byte-level BPE tokenizer (Llama 3, GPT-2 style) from tiktoken ranks or an HF tokenizer.json.
// Private to ce_core (tests include it by relative path for the tiktoken -> tokenizer.json converter).
// The pieces live beside it by topic: utf8, byte_level (GPT-2 byte table, base64), pretokenizer (PCRE2),
// bpe_merges (the merge loop), tiktoken and tokenizer_json (the two file formats), bpe_tokenizer_impl.h.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ce/core/tokenizer/tokenizer.h"

namespace ce::core {

// The special tokens Meta's llama/tokenizer.py appends after the ranks, in id order:
// <|begin_of_text|>, <|end_of_text|>, <|reserved_special_token_0..3|>, <|start_header_id|>,
// <|end_header_id|>, <|reserved_special_token_4|>, <|eot_id|>, <|reserved_special_token_5..250|> (256).
std::vector<std::string> llama3_special_tokens();

// Whether `content` is meant as a tiktoken rank file: its first non-empty line is "<base64> <decimal rank>"
// (from_tiktoken then checks every line, naming the first bad one).
bool looks_like_tiktoken(const std::string& content);

class BpeTokenizer final : public Tokenizer {
 public:
  // Parses tiktoken ranks (Meta's Llama 3 tokenizer.model) and appends llama3_special_tokens() with ids
  // max_rank + 1 .. (128000.. for Llama 3). BOS = <|begin_of_text|>, EOS = <|end_of_text|>.
  // `name` (the file path) prefixes error messages. Throws Error on a malformed line (with its number).
  static std::unique_ptr<BpeTokenizer> from_tiktoken(const std::string& content, const std::string& name);
  // Parses an HF tokenizer.json whose model is byte-level BPE (vocab, merges as "a b" or [a, b],
  // ignore_merges, added_tokens, Split/ByteLevel pre-tokenizers). BOS/EOS default to <|begin_of_text|> /
  // <|end_of_text|> when present (-1 otherwise). Normalizers are ignored (Llama 3 has none), and so are
  // added tokens' lstrip/rstrip/single_word flags. Throws Error naming `name` for anything unsupported.
  static std::unique_ptr<BpeTokenizer> from_tokenizer_json(const std::string& content,
                                                           const std::string& name);

  ~BpeTokenizer() override;
  BpeTokenizer(const BpeTokenizer&) = delete;
  BpeTokenizer& operator=(const BpeTokenizer&) = delete;

  // Sets BOS/EOS by token string (an added token or a vocabulary entry); an empty string keeps the
  // current one. Not thread-safe: call only while setting up, before sharing the tokenizer.
  // Throws Error naming `source` when a string is not in the vocabulary.
  void set_bos_eos(const std::string& bos, const std::string& eos, const std::string& source);

  // Special added tokens are matched only with parse_special; non-special added tokens (HF "special":
  // false) always are, as HF does. Text between them is pre-tokenized by the regex, then BPE'd.
  // Invalid UTF-8: the regex runs only on valid UTF-8 runs; each maximal run of bytes that do not form a
  // valid character becomes a pre-token of its own (so it also ends the neighbouring regex matches).
  // decode(encode(x)) == x for every byte string x without added-token strings.
  std::vector<int> encode(const std::string& text, bool add_bos, bool parse_special = false) const override;
  // Raw bytes of the tokens (may be invalid UTF-8 when ids split a character); specials as their text.
  std::string decode(const std::vector<int>& ids) const override;
  std::string piece(int id) const override;
  int vocab_size() const override;
  int bos_id() const override;
  int eos_id() const override;
  std::optional<int> special_id(const std::string& text) const override;
  std::string kind() const override { return "bpe"; }

  struct Impl;

 private:
  explicit BpeTokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Converts a tiktoken rank file to an equivalent HF tokenizer.json (byte-level BPE, GPT-2
// bytes_to_unicode vocab, ignore_merges true, the 256 Llama 3 specials as added_tokens, Llama 3 Split
// pre-tokenizer). Merges: for each token, BPE over its bytes with only lower-ranked tokens; when that
// ends in two parts they become its merge, at the token's rank (tokens that BPE cannot reach get no
// merge: only ignore_merges produces them, exactly as tiktoken's whole-word lookup does).
// merges_as_pairs picks the newer [a, b] merge format instead of "a b". Throws Error on a bad file.
std::string tiktoken_to_tokenizer_json(const std::string& path, bool merges_as_pairs = false);

}  // namespace ce::core
