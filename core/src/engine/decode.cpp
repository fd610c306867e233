#include "engine/decode.h"

#include <algorithm>
#include <limits>

#include "ce/core/base/error.h"

namespace ce::core {

namespace {

torch::Tensor row(const std::vector<int>& ids, size_t from) {
  std::vector<int64_t> v(ids.begin() + static_cast<std::ptrdiff_t>(from), ids.end());
  return torch::tensor(v, torch::kInt64).view({1, -1});  // [1, t]
}

}  // namespace

std::vector<int> greedy_decode(const LlamaModel& engine, const std::vector<int>& prompt, int max_new_tokens,
                               const DecodeOptions& d) {
  if (prompt.empty()) throw Error("empty token sequence");
  const ModelConfig& config = engine.config();
  const bool cached = d.decoding == Decoding::Cached;
  KvCache cache;
  if (cached) {
    // Room for the whole continuation up front; the context caps it (a continuation stops there).
    const int64_t context = config.max_position_embeddings > 0 ? config.max_position_embeddings
                                                               : std::numeric_limits<int64_t>::max();
    cache.reserve = std::min(static_cast<int64_t>(prompt.size()) + std::max(max_new_tokens, 0), context);
  }
  std::vector<int> seq = prompt;
  std::vector<int> out;
  for (int i = 0; i < max_new_tokens; ++i) {
    // A continuation stops where the context ends; only a prompt already past it is an error (the forward's).
    if (i > 0 && !fits_context(config, static_cast<int64_t>(seq.size()))) break;
    // The cache holds every position but the newest token's, which this step runs (the whole prompt first).
    const int64_t first = cached ? cache.length : 0;
    ForwardOptions o;
    o.logits = LogitsMode::Last;
    o.cache = cached ? &cache : nullptr;
    if (d.hook) {
      o.hook = [&d, first](Site s, int layer, const torch::Tensor& x) { return d.hook(s, layer, first, x); };
    }
    const torch::Tensor logits = engine.forward(row(seq, static_cast<size_t>(first)), o).logits[0][0];  // [vocab]
    const int next = static_cast<int>(logits.argmax().item<int64_t>());
    seq.push_back(next);
    out.push_back(next);
    if (d.on_token) d.on_token(i + 1);
    if (std::find(d.stop_ids.begin(), d.stop_ids.end(), next) != d.stop_ids.end()) break;
  }
  return out;
}

}  // namespace ce::core
