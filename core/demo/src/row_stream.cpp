// Document packing for the demo trainer (row_stream.h).
#include "row_stream.h"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "split_mix64.h"

namespace ce::core::training {

int64_t RowStream::next_batch(int64_t rows, int pad_input, std::vector<int64_t>& inputs,
                              std::vector<int64_t>& targets) {
  const size_t t = row_tokens_ - 1;
  inputs.assign(static_cast<size_t>(rows) * t, pad_input);
  targets.assign(static_cast<size_t>(rows) * t, kIgnoreTarget);
  int64_t predicted = 0;
  for (size_t r = 0; r < static_cast<size_t>(rows); ++r) {
    while (queue_.empty()) pack_epoch();
    const std::vector<int32_t>& row = queue_.front();
    for (size_t i = 0; i < t; ++i) {
      if (row[i] >= 0) inputs[r * t + i] = row[i];
      if (row[i] >= 0 && row[i + 1] >= 0) {
        targets[r * t + i] = row[i + 1];
        ++predicted;
      }
    }
    queue_.pop_front();
  }
  return predicted;
}

void RowStream::close(std::vector<int32_t>&& row) {
  row.resize(row_tokens_, -1);
  queue_.push_back(std::move(row));
}

void RowStream::pack_epoch() {
  std::vector<size_t> order(docs_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  SplitMix64 rng(SplitMix64::derive(seed_, kOrderStream + static_cast<uint64_t>(epoch_)));
  rng.shuffle(order);
  ++epoch_;
  std::vector<std::vector<int32_t>> open;
  auto add_open = [&](std::vector<int32_t>&& row) {
    if (row.size() == row_tokens_) return close(std::move(row));
    if (open.size() == kOpenRows) {
      size_t fullest = 0;
      for (size_t i = 1; i < open.size(); ++i) {
        if (open[i].size() > open[fullest].size()) fullest = i;
      }
      close(std::move(open[fullest]));
      open.erase(open.begin() + static_cast<std::ptrdiff_t>(fullest));
    }
    open.push_back(std::move(row));
  };
  for (size_t d : order) {
    const std::vector<int32_t>& doc = docs_[d];
    if (doc.size() > row_tokens_) {  // stream it over fresh rows; the tail stays open
      size_t pos = 0;
      std::vector<int32_t> row;
      while (pos < doc.size()) {
        const size_t take = std::min(row_tokens_ - row.size(), doc.size() - pos);
        row.insert(row.end(), doc.begin() + static_cast<std::ptrdiff_t>(pos),
                   doc.begin() + static_cast<std::ptrdiff_t>(pos + take));
        pos += take;
        if (row.size() == row_tokens_ && pos < doc.size()) {
          close(std::move(row));
          row = {doc[pos - 1]};
        }
      }
      add_open(std::move(row));
      continue;
    }
    bool placed = false;
    for (size_t i = 0; i < open.size() && !placed; ++i) {
      if (open[i].size() + doc.size() > row_tokens_) continue;
      open[i].insert(open[i].end(), doc.begin(), doc.end());
      if (open[i].size() == row_tokens_) {
        close(std::move(open[i]));
        open.erase(open.begin() + static_cast<std::ptrdiff_t>(i));
      }
      placed = true;
    }
    if (!placed) add_open(std::vector<int32_t>(doc.begin(), doc.end()));
  }
  for (std::vector<int32_t>& row : open) close(std::move(row));
}

}  // namespace ce::core::training
