#include "ce/core/graphs/logit_effect.h"

#include <string>

#include "ce/core/base/error.h"
#include "ce/core/base/threading.h"
#include "engine/model_access.h"

namespace ce::core {

LogitEffect neuron_logit_effect(const Model& model, int layer, int neuron, int k) {
  const LlamaModel& engine = engine_of(model);
  const int layers = static_cast<int>(engine.config().num_hidden_layers);
  if (layer < 0 || layer >= layers) {
    throw Error("logit effect: layer " + std::to_string(layer) + " out of range (0.." + std::to_string(layers - 1) + ")");
  }
  const torch::Tensor& w_down = engine.layer(layer).w_down;  // [d, m]
  if (neuron < 0 || neuron >= w_down.size(1)) {
    throw Error("logit effect: neuron " + std::to_string(neuron) + " out of range (0.." +
                std::to_string(w_down.size(1) - 1) + ")");
  }
  if (k < 1) throw Error("logit effect: k must be >= 1");
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  // Weights may be bf16 mapped in place; the product is small (one column), so widen just what is read.
  const torch::Tensor column = w_down.select(1, neuron).to(torch::kFloat32);        // [d]
  const torch::Tensor dir = column * engine.final_norm().to(torch::kFloat32);       // [d]
  const torch::Tensor& head = engine.lm_head();                                      // [vocab, d]
  const int64_t vocab = head.size(0);
  // Row blocks: a 16-bit unembedding of 128k × 4096 would take 2 GB widened whole.
  constexpr int64_t kBlock = 4096;
  torch::Tensor values = torch::empty({vocab}, engine.f32());  // [vocab]
  for (int64_t start = 0; start < vocab; start += kBlock) {
    const int64_t len = std::min(kBlock, vocab - start);
    values.narrow(0, start, len).copy_(torch::mv(head.narrow(0, start, len).to(torch::kFloat32), dir));
  }
  // Sorted and read on the host: one copy, and the same tie order whatever the device.
  values = values.to(torch::kCPU);
  const int64_t n = std::min<int64_t>(k, vocab);
  // Stable sort so that ties come out by lower id, the same on every run.
  const torch::Tensor order = std::get<1>(values.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));  // [vocab]
  const float* v = values.data_ptr<float>();
  const torch::Tensor asc = std::get<1>(values.sort(/*stable=*/true, 0, /*descending=*/false));  // [vocab]
  const int64_t* top = order.data_ptr<int64_t>();
  const int64_t* bottom = asc.data_ptr<int64_t>();
  LogitEffect out;
  for (int64_t i = 0; i < n; ++i) {
    out.top.push_back({static_cast<int>(top[i]), model.token_text(static_cast<int>(top[i])), v[top[i]]});
    out.bottom.push_back({static_cast<int>(bottom[i]), model.token_text(static_cast<int>(bottom[i])), v[bottom[i]]});
  }
  return out;
}

}  // namespace ce::core
