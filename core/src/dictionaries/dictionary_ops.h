// The tensors of a sparse dictionary, its encode and decode on tensors, and splicing it into the forward.
// Internal to ce_core: this header includes torch.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ce/core/dictionaries/dictionary.h"
#include "engine/llama.h"

namespace ce::core {

// Every tensor float32 and contiguous; shapes checked by the loader. Formulas in dictionary.h.
struct Dictionary::Impl {
  DictionaryInfo info;
  torch::Tensor w_enc;       // [d_in, d_sae]
  torch::Tensor b_enc;       // [d_sae]
  torch::Tensor b_pre;       // [d_in] subtracted from the scaled input before encoding; undefined: none
  torch::Tensor threshold;   // [d_sae] JumpReLU only
  torch::Tensor rank_scale;  // [d_sae] TopK ranks ReLU(pre) * rank_scale; undefined: ranks ReLU(pre)
  torch::Tensor w_dec;       // [d_sae, d_out]
  torch::Tensor b_dec;       // [d_out]
  double in_scale = 1.0;     // s_in
  double out_scale = 1.0;    // s_out

  // These tensors on `device`: this Impl where they live (the loader's CPU), else a copy made on the first
  // call and kept, so that a dictionary spliced into a GPU model is uploaded once, not at every forward.
  // Thread-safe; the reference lives as long as this Impl.
  const Impl& on(torch::Device device) const;

 private:
  mutable std::mutex copies_mutex_;
  mutable std::vector<std::unique_ptr<Impl>> copies_;  // one per other device, never dropped
};

// Reads and checks a dictionary folder (Dictionary::load's rules and errors).
std::unique_ptr<Dictionary::Impl> load_dictionary_impl(const std::string& folder, const ModelConfig& config);

// Feature activations of x: [.., d_in] -> [.., d_sae] float32, on x's device. Differentiable almost
// everywhere (TopK and JumpReLU select with masks computed from the values). Throws Error when the last
// dimension is not d_in.
torch::Tensor dictionary_encode(const Dictionary& dict, const torch::Tensor& x);
// Reconstruction of features f: [.., d_sae] -> [.., d_out] float32 on f's device, b_dec and s_out included.
// Throws Error when the last dimension is not d_sae.
torch::Tensor dictionary_decode(const Dictionary& dict, const torch::Tensor& f);

// What one splice computed at one forward call. Both tensors may be replaced by the callback: the site's
// activation becomes decode(features) + error, so a later feature basis can make them leaves that require
// grad (nodes: each feature per position, one error node per layer and position), scale a feature (steering)
// or zero the error (the dictionary alone).
struct SpliceState {
  int layer = 0;
  torch::Tensor features;  // [batch, tokens, d_sae]
  // [batch, tokens, d] float64: the target minus decode(features) (in float64 so that the sum restores the
  // target exactly); zeros without keep_error. A replacement may be float32.
  torch::Tensor error;
};

struct SpliceOptions {
  // Keep the error term: with it the forward's values are unchanged (bit for bit while on_splice leaves the
  // values of features and error as they are); without it the site holds the reconstruction alone.
  bool keep_error = true;
  // Called once per forward at the dictionary's output site, after encoding, before the sum re-enters the
  // forward; may replace state.features and state.error (same shapes). Optional.
  std::function<void(SpliceState& state)> on_splice;
};

// A hook that splices `dict` into the forward of `engine`: at the dictionary's layer, an SAE replaces its
// site's x by decode(encode(x)) + error, error = x - decode(encode(x)); a transcoder reads the MLP's input
// (divided by post_attention_layernorm's weight when it reads ln2.hook_normalized) and replaces the MLP's
// output y by decode(encode(mlp_in)) + error, error = y - decode(encode(mlp_in)). Then `inner` (optional)
// runs on what the splice returned, at every site. The dictionary and the engine must outlive the hook.
// A transcoder's hook keeps state between the two sites of one forward: use one hook for one forward at a
// time (copies share the state). Throws Error when the dictionary does not fit the engine's model (widths,
// layer) or when it reads ln2.hook_normalized and that layer's post_attention_layernorm weight has a zero.
HookFn splice_hook(const Dictionary& dict, const LlamaModel& engine, SpliceOptions options = {},
                   HookFn inner = {});

}  // namespace ce::core
