// Torch helpers shared by the attribution, evaluation, edge and intervention code. Internal to ce_core.
#pragma once

#include <torch/torch.h>

#include <map>
#include <vector>

#include "ce/core/circuits/attribution.h"
#include "ce/core/base/job.h"
#include "engine/llama.h"
#include "engine/model_access.h"

namespace ce::core {

inline GradRules grad_rules(const RelpRules& r) {
  GradRules g;
  g.rmsnorm_detach = r.norm;
  g.silu_gate_detach = r.gate;
  g.half_rule = r.half;
  g.attn_probs_detach = r.attn;
  return g;
}

// rows of equal length -> [rows, tokens] int64 on `device` (filled on the host, then copied once)
inline torch::Tensor ids_tensor(const std::vector<const std::vector<int>*>& rows,
                                torch::Device device = torch::kCPU) {
  const int64_t b = static_cast<int64_t>(rows.size()), t = static_cast<int64_t>(rows.front()->size());
  torch::Tensor ids = torch::empty({b, t}, torch::kInt64);  // [b, t]
  auto acc = ids.accessor<int64_t, 2>();
  for (int64_t i = 0; i < b; ++i) {
    for (int64_t j = 0; j < t; ++j) acc[i][j] = (*rows[static_cast<size_t>(i)])[static_cast<size_t>(j)];
  }
  return ids.to(device);
}

// The number of first tokens all `rows` share, at most the shortest row's length - 1 (a forward from the
// shared positions' KV cache still runs the last position).
inline int64_t shared_prefix(const std::vector<const std::vector<int>*>& rows) {
  size_t shared = rows.front()->size() - 1;
  for (const std::vector<int>* r : rows) {
    size_t q = 0;
    while (q < shared && q + 1 < r->size() && (*r)[q] == (*rows.front())[q]) ++q;
    shared = q;
  }
  return static_cast<int64_t>(shared);
}

// A cache of `p` shared positions ([1, kv, >= p, hd] per layer) as the cache of `rows` sequences that start
// with them: views, no copy; the forward that appends to it allocates its own buffers.
inline KvCache rows_cache(const KvCache& shared, int64_t p, int64_t rows) {
  KvCache c;
  c.length = p;
  for (size_t l = 0; l < shared.k.size(); ++l) {
    c.k.push_back(shared.k[l].narrow(2, 0, p).expand({rows, -1, -1, -1}));  // [rows, kv, p, hd]
    c.v.push_back(shared.v[l].narrow(2, 0, p).expand({rows, -1, -1, -1}));  // [rows, kv, p, hd]
  }
  return c;
}

// Indices of `examples` grouped by clean length (ascending) and by whether they have a patch prompt (a batch
// shares one baseline kind), each group cut into chunks of at most `batch`.
inline std::vector<std::vector<size_t>> length_batches(const std::vector<AttributionExample>& examples,
                                                       int batch) {
  std::map<std::pair<size_t, bool>, std::vector<size_t>> by_len;
  for (size_t i = 0; i < examples.size(); ++i) by_len[{examples[i].clean.size(), examples[i].patch.empty()}].push_back(i);
  std::vector<std::vector<size_t>> out;
  const size_t step = static_cast<size_t>(std::max(1, batch));
  for (auto& [len, idx] : by_len) {
    for (size_t s = 0; s < idx.size(); s += step) {
      out.emplace_back(idx.begin() + static_cast<std::ptrdiff_t>(s),
                       idx.begin() + static_cast<std::ptrdiff_t>(std::min(idx.size(), s + step)));
    }
  }
  return out;
}

// Per-row metric from last-position logits [b, vocab] -> [b]. answer/contrast: [b] int64 (-1 = none);
// topk_ids: [b, 5] int64, used for Metric::TopK. All on the logits' device.
inline torch::Tensor metric_rows(const torch::Tensor& logits, Metric metric, const torch::Tensor& answer,
                                 const torch::Tensor& contrast, const torch::Tensor& topk_ids) {
  if (metric == Metric::TopK) return logits.gather(1, topk_ids).sum(1);               // [b]
  torch::Tensor a = logits.gather(1, answer.clamp_min(0).unsqueeze(1)).squeeze(1);     // [b]
  if (metric == Metric::Logit) return a;
  torch::Tensor c = logits.gather(1, contrast.clamp_min(0).unsqueeze(1)).squeeze(1);  // [b]
  return torch::where(contrast >= 0, a - c, a);
}

// A hook that checks for cancellation at every site (each site is a fraction of one layer's work) and
// then defers to `inner` (may be empty).
inline HookFn cancellable(const JobControl& control, HookFn inner) {
  return [&control, inner = std::move(inner)](Site s, int layer, const torch::Tensor& x) {
    control.check();
    return inner ? inner(s, layer, x) : x;
  };
}

}  // namespace ce::core
