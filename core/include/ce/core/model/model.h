// A loaded Llama-family model: weights, tokenizer and the plain (hook-free) inference calls.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ce/core/model/device.h"
#include "ce/core/model/dtype.h"
#include "ce/core/model/model_config.h"
#include "ce/core/tokenizer/tokenizer.h"

namespace ce::core {

class LlamaModel;  // the LibTorch engine; internal to core (core/src/llama.h)

// How bf16 weights multiply on the CPU. Widen: row blocks widened to float32 for sgemm, the exact products
// of the stored weights with float32 activations. Native: LibTorch's bf16 kernels, activations rounded to
// bf16 (logits move by ~1e-2 relative); several times faster where the CPU has AVX-512-BF16 or AMX, a
// scalar loop (~50x slower) where it has not. Auto: whichever a probe at load times faster (once per
// process). A GPU always multiplies bf16 natively.
enum class Bf16Matmul { Auto, Native, Widen };
// "auto", "native", "widen". Pure.
const char* bf16_matmul_name(Bf16Matmul m);
// Parses those names (case-insensitively); std::nullopt otherwise. Pure.
std::optional<Bf16Matmul> parse_bf16_matmul(const std::string& name);

struct LoadOptions {
  // Weight dtype in memory (f32 or bf16). Activations are float32 either way. Default: the stored dtype
  // for models of >= 1B parameters (used in place from the mapping on the CPU), f32 below, where precision
  // matters more than memory.
  std::optional<DType> dtype;
  // Tensor threads for this process (0 = all hardware threads).
  int threads = 0;
  // Where the weights go and everything runs; a GPU gets a copy of every weight in the compute dtype.
  // Model::open throws Error for a GPU this process cannot use (check_device).
  Device device;
  // Only used for bf16 weights on the CPU.
  Bf16Matmul bf16_matmul = Bf16Matmul::Auto;
};

struct ModelInfo {
  int64_t layers = 0, d_model = 0, d_mlp = 0, heads = 0, kv_heads = 0, vocab = 0, params = 0;
  DType dtype = DType::F32;     // weight dtype in memory (activations are float32)
  DType stored = DType::F32;    // dtype of the embedding as stored
  Device device;
  // How bf16 weights multiply on the CPU (Native or Widen, never Auto): the decision for bf16 weights on
  // the CPU, Widen for f32 weights, Native on a GPU.
  Bf16Matmul matmul = Bf16Matmul::Widen;
  // Why: "forced", "f32 weights", "GPU", or the probe's timings ("native 0.41 ms, widen 0.93 ms for ...").
  std::string matmul_reason;
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
  Device device_;
  Bf16Matmul matmul_ = Bf16Matmul::Widen;
  std::string matmul_reason_;
  std::unique_ptr<LlamaModel> engine_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

}  // namespace ce::core
