// The tensors a Hugging Face LlamaForCausalLM checkpoint must contain, and a check of a WeightStore
// against them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ce/core/model/model_config.h"
#include "io/weight_store.h"

namespace ce::core {

// Expected HF tensor names and shapes for `config`, in checkpoint order: model.embed_tokens.weight, then
// per layer input_layernorm, self_attn.{q,k,v,o}_proj, post_attention_layernorm, mlp.{gate,up,down}_proj,
// then model.norm.weight and, when `include_lm_head`, lm_head.weight [vocab, d]. Shapes are PyTorch
// Linear layout [out_features, in_features]. Pure function; never throws for a config that from_json
// accepted.
std::vector<std::pair<std::string, std::vector<int64_t>>> llama_weight_shapes(const ModelConfig& config,
                                                                              bool include_lm_head);

// Checks that `weights` holds exactly the tensors of llama_weight_shapes(config, !tied) with those shapes.
// lm_head.weight is required when embeddings are untied and allowed (shape-checked) when tied; buffers named
// "*rotary_emb.inv_freq" that old exports carry are ignored. Dtypes may differ between tensors.
// Throws Error on the first problem, naming the file and tensor where there is one:
//   "<file>: <tensor>: shape [172, 64] expected [172, 63]", "<file>: <tensor>: unexpected tensor ...",
//   "<dir>: missing tensor <name> (expected shape [...])".
// Reads only the headers already parsed by the store; safe to call concurrently on the same store.
void validate_llama_weights(const ModelConfig& config, const WeightStore& weights);

}  // namespace ce::core
