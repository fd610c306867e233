#include "ce/core/exemplars/layer_activations.h"

#include "ce/core/base/error.h"
#include "ce/core/model/model.h"
#include "ce/core/base/threading.h"
#include "engine/llama.h"
#include "engine/model_access.h"

namespace ce::core {

std::vector<std::vector<float>> layer_activations(const Model& model, const std::vector<int>& ids,
                                                  Basis basis, int layer, int neuron) {
  const ModelConfig& config = model.config();
  if (ids.empty()) throw Error("no tokens to run (empty input)");
  if (layer < 0 || layer >= config.num_hidden_layers) {
    throw Error("layer " + std::to_string(layer) + " is out of range (the model has " +
                std::to_string(config.num_hidden_layers) + " layers)");
  }
  const int64_t width = basis_width(basis, config);
  if (neuron >= width) {
    throw Error("neuron " + std::to_string(neuron) + " is out of range (" + basis_name(basis) + " has " +
                std::to_string(width) + " per layer)");
  }
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  const Site site = site_of(basis);
  torch::Tensor captured;  // [1, t, width]
  ForwardOptions o;
  o.logits = LogitsMode::None;
  o.hook = [&](Site s, int l, const torch::Tensor& x) {
    if (s == site && l == layer) captured = x.detach().clone();
    return x;
  };
  std::vector<int64_t> v(ids.begin(), ids.end());
  // Layers after `layer` still run: the forward has no early exit, and this is one short sequence.
  engine_of(model).forward(torch::tensor(v, torch::kInt64).unsqueeze(0), o);
  torch::Tensor a = captured[0];  // [t, width]
  if (neuron >= 0) a = a.narrow(1, neuron, 1);  // [t, 1]
  a = a.to(torch::kCPU, torch::kFloat32).contiguous();  // read on the host
  std::vector<std::vector<float>> out(static_cast<size_t>(a.size(0)));
  const float* p = a.data_ptr<float>();
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].assign(p + i * static_cast<size_t>(a.size(1)), p + (i + 1) * static_cast<size_t>(a.size(1)));
  }
  return out;
}

}  // namespace ce::core
