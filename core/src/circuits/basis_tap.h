// Where the nodes of a basis live in the forward pass, and how a method reads, replaces or differentiates
// them: the one place that knows a neuron basis is a site's activation while a feature basis is a dictionary's
// features plus its error. Attribution, evaluation and (later) edges and steering go through it. Internal to
// ce_core: includes torch.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>

#include "ce/core/circuits/basis.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "engine/llama.h"

namespace ce::core {

// One layer's nodes as a method sees them, on the model's device, float32 unless said otherwise.
struct LayerNodes {
  int layer = 0;
  torch::Tensor act;    // [b, t, F] the site's activation (neuron bases) or the features (feature basis)
  torch::Tensor error;  // [b, t, d] feature basis only: what the dictionary misses (float64 while untouched)
};
using NodeFn = std::function<void(LayerNodes& nodes)>;

class BasisTap {
 public:
  // dicts: required for Basis::Features (Error without), ignored otherwise. Throws Error when a dictionary
  // does not fit the engine's model. Both must outlive the tap and every hook it makes.
  BasisTap(const LlamaModel& engine, Basis basis, std::shared_ptr<const DictionarySet> dicts);

  Basis basis() const { return basis_; }
  int64_t features() const { return features_; }                  // F: coordinates of `act`
  int64_t width() const { return features_ + (has_error() ? 1 : 0); }  // W: nodes per layer and position
  bool has_error() const { return dicts_ != nullptr; }
  // Whether node `index` of a layer is the feature basis' error node (index F), which has no scalar value.
  bool is_error(int64_t index) const { return has_error() && index >= features_; }
  // Whether layer l has nodes (every layer for neuron bases; layers with a dictionary for features).
  bool has_layer(int layer) const;

  // A hook calling fn once per layer that has nodes, in forward order. fn may replace act and/or error (same
  // shapes; a replacement may require grad): the site then holds act (neuron bases) or decode(act) + error
  // (feature basis). Left as they were, the forward is untouched (bit for bit). `before` (optional) runs
  // first at every site, so it may make the embeddings a leaf before any node is computed from them.
  HookFn edit(NodeFn fn, HookFn before = {}) const;

  // A hook for one backward through every layer: fn receives tensors whose gradient is the metric's gradient
  // with respect to the nodes. For neuron bases act is the site's activation itself (in the graph); for the
  // feature basis act and error are leaves requiring grad, spliced in so that forward values and the gradient
  // reaching earlier layers stay those of the plain model (the decoder is linear, so a feature's gradient is
  // its decoder row times the site's gradient, and the error's is the site's).
  HookFn gradient(NodeFn fn, HookFn before = {}) const;

  // Per-node values of one layer, [b, t, F] and (feature basis) [b, t, 1] -> [b, t, W].
  torch::Tensor dense(const torch::Tensor& act_part, const torch::Tensor& error_part) const;
  // The error node's displayed activation: the error's norm, [b, t, d] -> [b, t, 1] float32.
  static torch::Tensor error_norm(const torch::Tensor& error);

 private:
  const LlamaModel& engine_;
  Basis basis_;
  std::shared_ptr<const DictionarySet> dicts_;
  int64_t features_ = 0;
};

}  // namespace ce::core
