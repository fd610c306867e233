// The BPE merge loop over one pre-token and the token tables it reads, shared by the encoder and the
// tiktoken -> tokenizer.json converter (which replays it to recover each token's merge). Private to ce_core.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ce::core::bpe {

struct Merge {
  int rank;
  int id;
};

inline uint64_t pair_key(int left, int right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// One part of a word during BPE: the bytes [start, end) of the word; dead parts have end = -1.
struct Symbol {
  int start;
  int end;
  int prev;
  int next;
  int id;
};

struct Candidate {
  int rank;
  int left;       // index (= start byte) of the left symbol
  int right_end;  // end of the right symbol when pushed: detects stale entries
  int id;         // token made by the merge
};

// Min-heap order: lowest rank first, then leftmost, as both tiktoken and HF merge.
struct CandidateAfter {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
  }
};

// Scratch memory of one merge run, kept by the caller so that const methods share nothing mutable
// between threads and a long text reuses one allocation.
struct MergeScratch {
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;
};

// The vocabulary and merge rules of a byte-level BPE model, and BPE itself.
struct BpeModel {
  // true: a pair merges when the concatenated bytes are a token, rank = its id (tiktoken).
  // false: a pair merges when it is in the HF merge list, rank = list position.
  bool merge_by_token_rank = true;
  bool ignore_merges = true;                          // a whole pre-token that is a token is emitted as is
  std::vector<std::string> tokens;                    // id -> bytes (added tokens: their text)
  std::vector<uint8_t> present;                       // id has a token (vocabularies may have holes)
  std::unordered_map<std::string_view, int> encoder;  // regular token bytes -> id (views into tokens)
  std::unordered_map<uint64_t, Merge> merges;         // HF: (left id, right id) -> merge
  std::array<int, 256> byte_ids{};                    // id of each single-byte token or -1

  // Builds encoder and byte_ids once tokens and present are final.
  void index_regular_tokens(const std::vector<int>& regular_ids);

  std::optional<Merge> find_merge(std::string_view word, const Symbol& left, const Symbol& right) const;

  // Runs BPE merges over `word` (non-empty) using only merges of rank < rank_limit. Leaves the parts in
  // scratch.symbols as a list starting at index 0. O(n log n) with lazy deletion of stale heap entries.
  void merge_parts(std::string_view word, int rank_limit, MergeScratch& scratch) const;

  // Appends the token ids of one pre-token.
  void bpe(std::string_view word, std::vector<int>& out, MergeScratch& scratch) const;
};

}  // namespace ce::core::bpe
