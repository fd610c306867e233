// Byte-pair merging of one pre-token, the step both tiktoken and HF tokenizers share (bpe_merges.h).
#include "tokenizer/bpe_merges.h"

#include <algorithm>
#include <climits>

namespace ce::core::bpe {

void BpeModel::index_regular_tokens(const std::vector<int>& regular_ids) {
  encoder.clear();
  encoder.reserve(regular_ids.size() * 2);
  for (int id : regular_ids) encoder.emplace(tokens[static_cast<size_t>(id)], id);
  byte_ids.fill(-1);
  for (int b = 0; b < 256; ++b) {
    const char byte = static_cast<char>(b);
    const auto found = encoder.find(std::string_view(&byte, 1));
    if (found != encoder.end()) byte_ids[static_cast<size_t>(b)] = found->second;
  }
}

std::optional<Merge> BpeModel::find_merge(std::string_view word, const Symbol& left,
                                          const Symbol& right) const {
  if (merge_by_token_rank) {
    const auto found = encoder.find(
        word.substr(static_cast<size_t>(left.start), static_cast<size_t>(right.end - left.start)));
    if (found == encoder.end()) return std::nullopt;
    return Merge{found->second, found->second};
  }
  if (left.id < 0 || right.id < 0) return std::nullopt;
  const auto found = merges.find(pair_key(left.id, right.id));
  if (found == merges.end()) return std::nullopt;
  return found->second;
}

void BpeModel::merge_parts(std::string_view word, int rank_limit, MergeScratch& scratch) const {
  const int n = static_cast<int>(word.size());
  auto& symbols = scratch.symbols;
  auto& heap = scratch.heap;
  symbols.resize(static_cast<size_t>(n));
  heap.clear();
  for (int i = 0; i < n; ++i) {
    symbols[static_cast<size_t>(i)] =
        Symbol{i, i + 1, i - 1, i + 1 < n ? i + 1 : -1, byte_ids[static_cast<unsigned char>(word[i])]};
  }
  auto push = [&](int left) {
    const Symbol& l = symbols[static_cast<size_t>(left)];
    if (l.next < 0) return;
    const Symbol& r = symbols[static_cast<size_t>(l.next)];
    const auto merge = find_merge(word, l, r);
    if (!merge || merge->rank >= rank_limit) return;
    heap.push_back(Candidate{merge->rank, left, r.end, merge->id});
    std::push_heap(heap.begin(), heap.end(), CandidateAfter());
  };
  for (int i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), CandidateAfter());
    const Candidate candidate = heap.back();
    heap.pop_back();
    Symbol& left = symbols[static_cast<size_t>(candidate.left)];
    // Stale unless both parts still have the extents they had when the entry was pushed; the start of a
    // part never moves, so equal extents mean equal bytes and so the same merge.
    if (left.end < 0 || left.next < 0) continue;
    Symbol& right = symbols[static_cast<size_t>(left.next)];
    if (right.end != candidate.right_end) continue;
    left.end = right.end;
    left.id = candidate.id;
    left.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = candidate.left;
    right.end = -1;
    if (left.prev >= 0) push(left.prev);
    push(candidate.left);
  }
}

void BpeModel::bpe(std::string_view word, std::vector<int>& out, MergeScratch& scratch) const {
  if (word.empty()) return;
  if (ignore_merges || word.size() == 1) {
    const auto found = encoder.find(word);
    if (found != encoder.end()) {
      out.push_back(found->second);
      return;
    }
  }
  merge_parts(word, INT_MAX, scratch);
  // A part without a token id can only come from a byte missing from the vocabulary; like HF without an
  // unk token, it is dropped (Llama-style byte-level vocabularies have all 256 bytes).
  for (int i = 0; i >= 0; i = scratch.symbols[static_cast<size_t>(i)].next) {
    const int id = scratch.symbols[static_cast<size_t>(i)].id;
    if (id >= 0) out.push_back(id);
  }
}

}  // namespace ce::core::bpe
