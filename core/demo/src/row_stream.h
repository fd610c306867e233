// The demo trainer's data order: token documents packed into fixed-length training rows, reshuffled every
// epoch from the run's seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace ce::core::training {

// Sub-stream of DemoTrainOptions::seed for the document order (+ epoch). Fixed forever: changing it changes
// the shipped model. (The trainer's initial weights use stream 31.)
constexpr uint64_t kOrderStream = 32;

// Targets of padding positions: cross_entropy's ignore_index.
constexpr int64_t kIgnoreTarget = -100;

// Rows of `row_tokens` = seq_len + 1 token ids (-1 = padding) in a deterministic, reshuffled-per-epoch order.
// Documents (BOS doc EOS) are packed whole: each goes into the first of up to kOpenRows partly filled rows
// where it fits, else opens a row (closing the fullest, padded, when too many are open). So every document
// starts after a document boundary, as evaluation prompts do, and padding stays at a few per cent. Documents
// longer than a row are streamed across rows, each continuation row starting with the last token of the
// previous one so that no prediction is lost.
class RowStream {
 public:
  static constexpr size_t kOpenRows = 8;

  // Keeps a reference to `docs` (token ids of whole documents, BOS .. EOS); it must outlive the stream.
  RowStream(const std::vector<std::vector<int32_t>>& docs, int64_t row_tokens, uint64_t seed)
      : docs_(docs), row_tokens_(static_cast<size_t>(row_tokens)), seed_(seed) {}

  // Fills inputs/targets ([rows * seq_len] row-major) for the next `rows` rows; returns the number of
  // predicted (non-padding) targets. Padding inputs are `pad_input`, padding targets kIgnoreTarget.
  int64_t next_batch(int64_t rows, int pad_input, std::vector<int64_t>& inputs,
                     std::vector<int64_t>& targets);

 private:
  void close(std::vector<int32_t>&& row);
  void pack_epoch();

  const std::vector<std::vector<int32_t>>& docs_;
  size_t row_tokens_;
  uint64_t seed_;
  int epoch_ = 0;
  std::deque<std::vector<int32_t>> queue_;
};

}  // namespace ce::core::training
