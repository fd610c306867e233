// Sparse dictionaries (SAEs and transcoders) read from folders as they are published, so that their features
// can serve as a basis beside the MLP neurons (issue #17).
//
// Two layouts are read:
//   SAELens       cfg.json + sae_weights.safetensors: W_enc [d_in, d_sae], b_enc [d_sae],
//                 W_dec [d_sae, d_out], b_dec [d_out], threshold [d_sae] (JumpReLU). Architectures
//                 standard, jumprelu, topk (k at the top level or in activation_fn_kwargs), transcoder and
//                 jumprelu_transcoder (d_out, hook_name_out; transcoder with activation_fn "topk" is a TopK
//                 transcoder, as sae_training.h writes them). normalize_activations must be "none".
//   Llama Scope   hyperparams.json + sae_weights.safetensors, checkpoints/pruned.safetensors or
//                 checkpoints/final.safetensors (OpenMOSS lm_saes): encoder.weight [d_sae, d_in],
//                 encoder.bias, decoder.weight [d_out, d_sae], decoder.bias, optional log_jumprelu_threshold
//                 [d_sae]; act_fn relu / topk (top_k) / jumprelu (jump_relu_threshold); norm_activation
//                 dataset-wise (with dataset_average_activation_norm {in, out}), inference or none. As
//                 lm_saes does for inference, act_fn topk with jump_relu_threshold > 0 runs as JumpReLU.
//
// Meaning of encode and decode, with x the activation the dictionary reads ([.., d_in]):
//   x' = s_in * x - b_pre                 s_in = sqrt(d_model) / dataset norm "in" (Llama Scope dataset-wise;
//                                         else 1); b_pre = b_dec when the format applies it to the input
//   pre = x' W_enc + b_enc                [.., d_sae]
//   f = ReLU(pre)                         standard
//       ReLU(pre) * (pre > threshold)     JumpReLU
//       ReLU(pre) at the k largest ReLU(pre) * r (others 0)   TopK; r = decoder norms for Llama Scope SAEs
//                                         trained with sparsity_include_decoder_norm, else 1
//   decode(f) = (f W_dec + b_dec) / s_out s_out as s_in with the dataset norm "out"
// Feature activations are in the units the dictionary was trained in (normalised activations for Llama
// Scope). Llama Scope's scalar jump_relu_threshold is stated in lm_saes' inference units (dataset norm and
// decoder norms folded into the encoder), so it is converted per feature to these units at load.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/model/model_config.h"

namespace ce::core {

enum class DictionaryKind {
  Sae,         // reads and reconstructs one activation
  Transcoder,  // reads the MLP's input, predicts the MLP's output
};

enum class DictionaryArchitecture { Standard, JumpRelu, TopK };

enum class DictionaryFormat { SaeLens, LlamaScope };

// Where a dictionary reads or writes, as TransformerLens names the hooks (blocks.L.<hook>).
enum class DictionarySite {
  ResidPre,   // hook_resid_pre: the layer's input [.., d]
  AttnOut,    // hook_attn_out: attention's output (o_proj) [.., d]
  MlpIn,      // ln2.hook_normalized: the MLP's input RMS-normalised, before post_attention_layernorm's weight
  MlpOut,     // hook_mlp_out: the MLP's output (down_proj) [.., d]
  ResidPost,  // hook_resid_post: the layer's output [.., d]
};

// "resid_pre", "attn_out", "mlp_in", "mlp_out", "resid_post". Thread-safe.
const char* dictionary_site_name(DictionarySite site);
// "standard", "jumprelu", "topk". Thread-safe.
const char* dictionary_architecture_name(DictionaryArchitecture architecture);

struct DictionaryInfo {
  DictionaryKind kind = DictionaryKind::Sae;
  DictionaryArchitecture architecture = DictionaryArchitecture::Standard;
  DictionaryFormat format = DictionaryFormat::SaeLens;
  int64_t d_in = 0;   // width read (the model's hidden_size)
  int64_t d_out = 0;  // width written (hidden_size; equals d_in)
  int64_t d_sae = 0;  // number of features
  int64_t k = 0;      // TopK's k; 0 for the other architectures
  int layer = 0;      // the layer both sites belong to
  DictionarySite site_in = DictionarySite::ResidPost;
  DictionarySite site_out = DictionarySite::ResidPost;  // equals site_in for an SAE
  std::string hook_in, hook_out;  // as the config names them ("blocks.3.hook_resid_post")
  std::string folder;             // as passed to load
  std::string config_file;        // path of cfg.json or hyperparams.json
  std::string weights_file;       // path of the safetensors file read
};

// One loaded dictionary: its weights in float32, in memory (the file is closed after load). Immutable after
// load: every const method may run on several threads at once. Movable, not copyable.
class Dictionary {
 public:
  // Reads a dictionary folder for a model of `config`: cfg.json (SAELens) when present, else hyperparams.json
  // (Llama Scope). Every field and tensor is checked; Error names the file and the field or tensor, e.g.
  // "<folder>/cfg.json: d_in = 64, but the model's hidden_size is 32",
  // "<folder>/cfg.json: architecture \"gated\" is not supported (standard, jumprelu, topk, transcoder,
  // jumprelu_transcoder)", "<folder>/sae_weights.safetensors: missing tensor \"threshold\"",
  // "<folder>/sae_weights.safetensors: W_dec is [6, 3], expected [6, 4] (d_sae, d_out)",
  // "<folder>/cfg.json: hook_name \"blocks.7.hook_resid_post\": layer 7 is out of range (the model has 4
  // layers)", "<folder>: no cfg.json (SAELens) or hyperparams.json (Llama Scope)". Weights stored as F32,
  // BF16 or F16 are converted to float32; NaN or infinite values are refused. Thread-safe.
  static Dictionary load(const std::string& folder, const ModelConfig& config);

  Dictionary(Dictionary&&) noexcept;
  Dictionary& operator=(Dictionary&&) noexcept;
  ~Dictionary();
  Dictionary(const Dictionary&) = delete;
  Dictionary& operator=(const Dictionary&) = delete;

  const DictionaryInfo& info() const;

  // encode and decode (see the top of this file) of one activation vector, without torch: for callers outside
  // core and for checks. Throws Error unless x has d_in values (encode) or f has d_sae values (decode).
  std::vector<float> encode(const std::vector<float>& x) const;
  std::vector<float> decode(const std::vector<float>& f) const;

  struct Impl;  // the tensors; internal to core (core/src/dictionaries/dictionary_ops.h)
  const Impl& impl() const { return *impl_; }

 private:
  explicit Dictionary(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ce::core
