// The architecture of a Llama-family model, read from a Hugging Face config.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ce/core/model/dtype.h"

namespace ce::core {

// rope_scaling {"rope_type": "llama3", ...} of Llama 3.1 / 3.2 checkpoints.
struct RopeScaling {
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct ModelConfig {
  int64_t hidden_size = 0;        // d_model
  int64_t intermediate_size = 0;  // d_mlp: number of MLP neurons per layer
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // grouped-query attention; equals heads when absent
  int64_t head_dim = 0;             // hidden_size / heads when absent
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;  // 0 when absent
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  std::optional<RopeScaling> rope_scaling;  // nullopt: plain RoPE
  bool tie_word_embeddings = false;
  std::vector<int64_t> bos_token_ids;  // usually one
  std::vector<int64_t> eos_token_ids;  // Llama 3 instruct lists several
  std::optional<DType> torch_dtype;    // as declared ("torch_dtype", or "dtype" in newer transformers);
                                       // the stored dtype is read from the weights

  // Parameter count implied by the shapes (embeddings and lm_head counted once when tied).
  int64_t parameter_count() const;

  // Parses and validates config.json text. `source` names the file in error messages.
  // Throws Error for a non-Llama architecture, missing/ill-typed fields, non-positive or absurd sizes
  // (e.g. 10^9 layers), inconsistent head counts, or an unsupported rope_scaling type.
  // Every message starts with "<source>: ", e.g.
  // "/x/config.json: num_hidden_layers = 1000000000 is out of range (1..1024)".
  // Required: hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, vocab_size; the
  // other fields take transformers' defaults. Also rejected: hidden_act other than "silu", attention_bias
  // or mlp_bias true, token ids outside the vocabulary, more than 1e12 parameters.
  // rope_scaling {"rope_type": "default"} means plain RoPE (nullopt). Thread-safe (no shared state).
  static ModelConfig from_json(const std::string& json_text, const std::string& source);
  // Reads DIR/config.json; throws Error naming the file when it is missing or invalid.
  static ModelConfig from_dir(const std::string& dir);
  // Serialises back to a config.json that from_json accepts (used when writing model folders).
  std::string to_json() const;
};

// The one context rule of every forward (CLI, explorer, evaluator): a sequence longer than the model's
// max_position_embeddings is refused rather than run on positions the model never saw (RoPE would run, and
// answer nonsense without a word). Throws Error("the prompt is 503 tokens; this model's context is 128
// (max_position_embeddings)"); no limit when the config has none (0). Thread-safe.
void check_context(const ModelConfig& config, int64_t tokens);
// Whether `tokens` fit the context (always when the config has no limit).
bool fits_context(const ModelConfig& config, int64_t tokens);

}  // namespace ce::core
