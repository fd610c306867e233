#include "io/llama_weight_spec.h"

#include <set>

#include "ce/core/base/error.h"
#include "io/loader_util.h"

namespace ce::core {

namespace {

using detail::shape_string;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<std::pair<std::string, std::vector<int64_t>>> llama_weight_shapes(const ModelConfig& config,
                                                                              bool include_lm_head) {
  const int64_t d = config.hidden_size;
  const int64_t q = config.num_attention_heads * config.head_dim;
  const int64_t kv = config.num_key_value_heads * config.head_dim;
  const int64_t mlp = config.intermediate_size;
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  out.reserve(static_cast<std::size_t>(9 * config.num_hidden_layers + 3));
  out.push_back({"model.embed_tokens.weight", {config.vocab_size, d}});
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    out.push_back({p + "input_layernorm.weight", {d}});
    out.push_back({p + "self_attn.q_proj.weight", {q, d}});
    out.push_back({p + "self_attn.k_proj.weight", {kv, d}});
    out.push_back({p + "self_attn.v_proj.weight", {kv, d}});
    out.push_back({p + "self_attn.o_proj.weight", {d, q}});
    out.push_back({p + "post_attention_layernorm.weight", {d}});
    out.push_back({p + "mlp.gate_proj.weight", {mlp, d}});
    out.push_back({p + "mlp.up_proj.weight", {mlp, d}});
    out.push_back({p + "mlp.down_proj.weight", {d, mlp}});
  }
  out.push_back({"model.norm.weight", {d}});
  if (include_lm_head) out.push_back({"lm_head.weight", {config.vocab_size, d}});
  return out;
}

void validate_llama_weights(const ModelConfig& config, const WeightStore& weights) {
  // With tied embeddings transformers ignores a stored lm_head.weight; we still check its shape so a
  // mismatched file is not silently accepted.
  const auto expected = llama_weight_shapes(config, true);
  std::set<std::string> known;
  for (const auto& [name, shape] : expected) {
    known.insert(name);
    const TensorEntry* entry = weights.find(name);
    if (entry == nullptr) {
      if (name == "lm_head.weight" && config.tie_word_embeddings) continue;
      throw Error(weights.dir() + ": missing tensor " + name + " (expected shape " + shape_string(shape) +
                  ")");
    }
    if (entry->shape != shape) {
      throw Error(entry->file + ": " + name + ": shape " + shape_string(entry->shape) + " expected " +
                  shape_string(shape));
    }
  }
  for (const std::string& name : weights.names()) {
    if (known.count(name) != 0 || ends_with(name, "rotary_emb.inv_freq")) continue;
    throw Error(weights.get(name).file + ": " + detail::printable(name) +
                ": unexpected tensor (not part of LlamaForCausalLM with this config.json)");
  }
}

}  // namespace ce::core
