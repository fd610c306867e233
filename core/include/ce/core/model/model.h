// A loaded Llama-family model: weights, tokenizer and the plain (hook-free) inference calls.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ce/core/model/dtype.h"
#include "ce/core/model/model_config.h"
#include "ce/core/tokenizer/tokenizer.h"

namespace ce::core {

class LlamaModel;  // the LibTorch engine; internal to core (core/src/llama.h)

struct LoadOptions {
  // Weight dtype in memory (f32 or bf16). Activations and arithmetic are float32 either way; 16-bit
  // weights are widened block by block inside each matmul. Default: the stored dtype for models of >= 1B
  // parameters (used in place from the mapping), f32 below, where precision matters more than memory.
  std::optional<DType> dtype;
  // Tensor threads for this process (0 = all hardware threads).
  int threads = 0;
};

struct ModelInfo {
  int64_t layers = 0, d_model = 0, d_mlp = 0, heads = 0, kv_heads = 0, vocab = 0, params = 0;
  DType dtype = DType::F32;     // weight dtype in memory (activations are float32)
  DType stored = DType::F32;    // dtype of the embedding as stored
};

struct TopToken {
  int id = 0;
  std::string piece;  // the tokenizer's piece ("▁Austin" for SentencePiece)
  std::string text;   // what the token adds to the text (" Austin"), see Model::token_text
  float logit = 0;
  float prob = 0;
};

// How a greedy continuation runs each new token. Cached: only the new position runs, against the keys and
// values kept from the earlier positions (a KV cache local to the call). Recompute: the whole sequence runs
// again per token; the reference the cache is tested and benchmarked against. Both give the same tokens.
enum class Decoding { Cached, Recompute };

// Thread rules: after open() a Model is immutable; every const method may run on any thread, also
// concurrently (each call sets that thread's tensor-thread count first).
class Model {
 public:
  // Opens a Hugging Face model folder (config.json, model.safetensors or sharded safetensors with
  // model.safetensors.index.json, tokenizer files). Weights are memory-mapped; tensors already in the
  // compute dtype are used in place. Throws Error naming the file (and tensor) on any problem.
  static std::unique_ptr<Model> open(const std::string& dir, const LoadOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& dir() const { return dir_; }
  const ModelConfig& config() const;
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  ModelInfo info() const;

  // Tokenizes with the model's default BOS rule (tokenizer_config.json add_bos_token).
  std::vector<int> encode(const std::string& text) const;

  // Logits of the next token after `ids` (full vocabulary, float32). Throws Error for empty input or ids
  // outside the vocabulary.
  std::vector<float> next_logits(const std::vector<int>& ids) const;
  // Logits at every position: [tokens][vocab].
  std::vector<std::vector<float>> all_logits(const std::vector<int>& ids) const;
  // Residual stream: index 0 = embeddings, index l = output of layer l: [layers + 1][tokens][d_model].
  std::vector<std::vector<std::vector<float>>> residual_stream(const std::vector<int>& ids) const;
  // The k largest logits (softmax over the full vocabulary), descending.
  std::vector<TopToken> top_k(const std::vector<float>& logits, int k) const;
  // The text one token contributes, for display: SentencePiece's word marker "▁" becomes a space (single-id
  // decode would drop a leading space); byte-level BPE pieces are already text. Throws Error out of range.
  std::string token_text(int id) const;
  // Greedy decoding: appends up to max_new_tokens argmax tokens, stopping after an EOS (included) or where
  // the context ends. Returns only the new ids. Throws Error for empty input or ids outside the vocabulary.
  std::vector<int> generate(const std::vector<int>& ids, int max_new_tokens,
                            Decoding decoding = Decoding::Cached) const;

 private:
  friend struct ModelAccess;  // core's internal access to the engine (core/src/engine/model_access.h)
  Model() = default;
  std::string dir_;
  std::unique_ptr<LlamaModel> engine_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

}  // namespace ce::core
