// The Llama forward pass in LibTorch, with hook sites for reading and editing activations.
// Internal to ce_core: this header includes torch and must never reach ui/ or app/.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/base/error.h"
#include "ce/core/circuits/basis.h"
#include "ce/core/model/dtype.h"
#include "ce/core/model/model_config.h"
#include "io/weight_store.h"

namespace ce::core {

// Where a hook sees the activation of one layer. Widths: d = hidden_size, q = heads * head_dim,
// m = intermediate_size.
enum class Site {
  ResidPre,   // [batch, tokens, d]  input of the layer (layer 0: the token embeddings)
  Attn,       // [batch, tokens, q]  attention heads' output, the input of o_proj
  AttnOut,    // [batch, tokens, d]  output of o_proj
  MlpIn,      // [batch, tokens, d]  output of post_attention_layernorm (weight applied), the input of gate/up
  MlpAct,     // [batch, tokens, m]  act(gate(x)) * up(x), the input of down_proj: the "neurons"
  MlpOut,     // [batch, tokens, d]  output of down_proj
  ResidPost,  // [batch, tokens, d]  output of the layer
};
constexpr int kSiteCount = 7;
const char* site_name(Site site);

// Where the hook sees the activations a public Basis names: the one mapping from Basis to Site.
inline Site site_of(Basis basis) {
  switch (basis) {
    case Basis::MlpAct: return Site::MlpAct;
    case Basis::MlpOut: return Site::MlpOut;
    case Basis::Attn: return Site::Attn;
    case Basis::Resid: return Site::ResidPost;
    case Basis::Features: break;  // its site is each dictionary's own (circuits/basis_tap.h)
  }
  throw Error("the feature basis has no single site; its dictionaries name theirs");
}

// Backward rules of LRP / RelP (Jafari et al. 2025). Each leaves forward values unchanged and only
// changes what autograd propagates, so attribution code runs the same forward with different rules.
struct GradRules {
  bool rmsnorm_detach = false;     // treat rsqrt(mean(x^2) + eps) as a constant
  bool silu_gate_detach = false;   // SiLU(g) = g * sigmoid(g) with sigmoid(g) constant
  bool half_rule = false;          // gradient through act * up halved on both branches
  bool attn_probs_detach = false;  // attention probabilities constant: gradient flows through V only
  bool any() const { return rmsnorm_detach || silu_gate_detach || half_rule || attn_probs_detach; }
  static GradRules relp() { return {true, true, true, true}; }
};

// Called at every site of every layer in forward order. Returns the tensor that continues the forward:
// `x` itself to only read, or a replacement of the same shape (ablation, steering, interpolation). The
// result stays in the autograd graph, so a hook may also return x with requires_grad for attribution.
using HookFn = std::function<torch::Tensor(Site site, int layer, const torch::Tensor& x)>;

enum class LogitsMode { All, Last, None };

// Keys (after RoPE) and values of the positions already run, per layer, so that a decoding step runs only
// its new positions (llama2.c's key_cache / value_cache). Mutable state of one sequence in one call: never
// shared between threads or reused for another sequence. Forward only: no gradient flows through it.
struct KvCache {
  std::vector<torch::Tensor> k, v;  // per layer: [batch, kv_heads, capacity, head_dim] float32
  int64_t length = 0;               // positions held: the first `length` of each buffer's capacity
  // Capacity allocated on first use (e.g. prompt + new tokens), so that decoding never reallocates; a
  // longer sequence grows the buffers by doubling.
  int64_t reserve = 0;
};

// The MLP of a layer where most neurons hold fixed activations: a circuit pass ablates every neuron outside
// its circuit to a value that depends on the position only, so only the circuit's neurons need gate and up,
// and the others' share of the down projection is one product per position, not per row.
struct MlpSubset {
  torch::Tensor index;  // [s] int64 on the model's device: the neurons computed; undefined: the whole MLP
  torch::Tensor fixed;  // [tokens, m] float32: every other neuron's activation (columns at index are ignored)
};

struct ForwardOptions {
  HookFn hook;                   // optional
  GradRules rules;               // default: exact gradients
  torch::Tensor attention_mask;  // [batch, tokens] 1 = token, 0 = padding; undefined: no padding
  LogitsMode logits = LogitsMode::All;
  // With LogitsMode::Last: the last layer computes queries, attention output and MLP at the last position
  // only (keys and values at all), since nothing else of it reaches the logits. Its hooks after ResidPre
  // then see [batch, 1, ·]; final_resid is [batch, 1, d]. With a KV cache the layer's keys and values of
  // every new position are still appended.
  bool last_layer_last_position = false;
  // Resume from a cached layer input instead of the embeddings: run layers first_layer.. on `resid`
  // ([batch, tokens, d], float32). Used to recompute only what lies downstream of an edit.
  int first_layer = 0;
  torch::Tensor resid;
  // Incremental decoding: `ids` are the positions after the cache's `length` ones; they attend to the
  // cached keys and values and to each other, and their own are appended. Hooks and logits cover only the
  // new positions (row i is position length + i). Not with attention_mask. With first_layer > 0 the layers
  // below it neither read nor append (`resid` holds the new positions only), so such a cache serves that
  // one forward. The cache's length advances only when the whole forward succeeds, so a cancelled step
  // leaves it usable.
  KvCache* cache = nullptr;
  // Optional, per layer and its position count (t, or 1 in a last layer run at the last position): where it
  // returns a defined index, the layer computes only those neurons (its MlpAct hook then sees [b, tokens, s])
  // and adds the fixed activations' down projection. Forward only: nothing flows back to `fixed`.
  std::function<MlpSubset(int layer, int64_t tokens)> mlp_subset;
};

struct ForwardOutput {
  torch::Tensor logits;  // [batch, tokens, vocab] (or [batch, 1, vocab] for Last) float32; undefined for None
  torch::Tensor final_resid;  // [batch, tokens, d] float32: last layer's output before the final norm
};

// Weights of one decoder layer; matrices are [out, in] as in nn.Linear.
struct LayerWeights {
  torch::Tensor input_norm;  // [d]
  torch::Tensor wq;          // [heads*hd, d]
  torch::Tensor wk;          // [kv*hd, d]
  torch::Tensor wv;          // [kv*hd, d]
  torch::Tensor wo;          // [d, heads*hd]
  torch::Tensor post_norm;   // [d]
  torch::Tensor w_gate;      // [m, d]
  torch::Tensor w_up;        // [m, d]
  torch::Tensor w_down;      // [d, m]
};

// How a folder's weights are placed and multiplied.
struct EngineOptions {
  DType compute = DType::F32;  // weight dtype; activations are float32 whatever it is
  torch::Device device = torch::kCPU;
  // CPU only: multiply bf16 weights in bf16 (activations rounded to bf16, LibTorch's oneDNN kernels) instead
  // of widening blocks of them to float32 for sgemm (HalfLinear). Fast only where the CPU has AVX-512-BF16
  // or AMX, so Model::open decides by timing both (matmul_choice.h). On CUDA 16-bit weights always
  // multiply natively (cuBLAS).
  bool native_bf16 = false;
};

class LlamaModel {
 public:
  // Takes ownership of the store. On the CPU, weights stored in the compute dtype are used in place (mmap,
  // no copy) and others are converted once; on a GPU every weight is copied there once, in the compute
  // dtype. Throws Error on missing/unexpected/mis-shaped tensors.
  LlamaModel(ModelConfig config, std::unique_ptr<WeightStore> store, const EngineOptions& options);
  // Builds the model on tensors held by the caller, e.g. trainable parameters with requires_grad (the
  // demo-model trainer). Names and shapes as in llama_weight_shapes(config, !tied); all tensors must share
  // one floating dtype. Throws Error on a missing or mis-shaped tensor.
  LlamaModel(ModelConfig config, const std::map<std::string, torch::Tensor>& weights);

  // ids: [batch, tokens] int64 on any device (moved to the model's). Every output is on device(); so are
  // the tensors hooks see, and hooks must return tensors there. Thread-safe (no mutable state); gradients
  // flow to whatever the hook marks as requiring grad (weights never require grad).
  ForwardOutput forward(const torch::Tensor& ids, const ForwardOptions& options = {}) const;

  const ModelConfig& config() const { return config_; }
  DType compute_dtype() const { return compute_; }
  // Where weights live and forward runs; tensors a caller makes for forward or hooks go here.
  torch::Device device() const { return device_; }
  // float32 tensors on device(): the options every activation-shaped tensor a caller builds should use.
  torch::TensorOptions f32() const { return torch::TensorOptions().dtype(torch::kFloat32).device(device()); }
  bool native_bf16() const { return native_bf16_; }
  torch::ScalarType scalar_type() const;
  // The mapped files; only for models opened from a folder (throws Error otherwise).
  const WeightStore& store() const;
  const LayerWeights& layer(int i) const { return layers_[static_cast<size_t>(i)]; }
  const torch::Tensor& embedding() const { return embed_; }  // [vocab, d]
  const torch::Tensor& final_norm() const { return final_norm_; }  // [d]
  const torch::Tensor& lm_head() const { return lm_head_; }  // [vocab, d]
  // Bytes of weights held in memory beyond the mapping (conversions), for memory estimates.
  uint64_t converted_bytes() const { return converted_bytes_; }

  // The building blocks, exposed so attribution code can rebuild parts of the graph.
  torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, const GradRules& rules) const;
  // cos/sin tables for positions [batch, tokens] -> [batch, tokens, head_dim] float32.
  std::pair<torch::Tensor, torch::Tensor> rope_tables(const torch::Tensor& positions) const;
  torch::Tensor inv_freq() const { return inv_freq_; }  // [head_dim/2] float32

 private:
  torch::Tensor load(const std::string& name);
  void init_from(const std::function<torch::Tensor(const std::string&)>& get);
  torch::Tensor dense(const torch::Tensor& x, const torch::Tensor& w) const;
  torch::Tensor attention(const LayerWeights& w, int layer, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin, const torch::Tensor& mask, const ForwardOptions& o,
                          bool q_last = false) const;  // q_last: the last position's query only

  ModelConfig config_;
  std::unique_ptr<WeightStore> store_;
  DType compute_;
  bool native_bf16_ = false;
  torch::Device device_ = torch::kCPU;
  torch::Tensor embed_;       // [vocab, d]
  torch::Tensor final_norm_;  // [d]
  torch::Tensor lm_head_;     // [vocab, d]
  torch::Tensor inv_freq_;    // [head_dim/2]
  std::vector<LayerWeights> layers_;
  uint64_t converted_bytes_ = 0;
};

// Helpers shared by core translation units.
torch::ScalarType to_scalar_type(DType dtype);
// y = x · wᵀ for 16-bit weights w [out, in] and float32 x [..., in] -> float32 [..., out]. native: in the
// weights' type (x rounded to it; LibTorch's kernels: oneDNN on the CPU, cuBLAS on a GPU); otherwise, on the
// CPU only, row blocks of w widened to float32 for sgemm (exact products of the stored weights). A GPU
// tensor always multiplies natively. Autograd flows to x.
torch::Tensor linear_16bit(const torch::Tensor& x, const torch::Tensor& w, bool native);
// Wraps stored bytes without copying (the tensor must only be read; it aliases the mapping).
torch::Tensor view_entry(const TensorEntry& entry);

}  // namespace ce::core
