#include "ce/core/model/model.h"

#include <algorithm>
#include <cmath>

#include "ce/core/base/error.h"
#include "ce/core/circuits/intervention.h"
#include "ce/core/base/threading.h"
#include "io/weight_store.h"
#include "engine/llama.h"

namespace ce::core {

namespace {

torch::Tensor ids_tensor(const std::vector<int>& ids) {
  if (ids.empty()) throw Error("no tokens to run (empty input)");
  std::vector<int64_t> v(ids.begin(), ids.end());
  return torch::tensor(v, torch::kInt64).unsqueeze(0);  // [1, t]
}

std::vector<float> to_vector(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

Model::~Model() = default;

std::unique_ptr<Model> Model::open(const std::string& dir, const LoadOptions& options) {
  set_compute_threads(options.threads);
  ModelConfig config = ModelConfig::from_dir(dir);
  std::unique_ptr<WeightStore> store = WeightStore::open_dir(dir);
  const TensorEntry* embed = store->find("model.embed_tokens.weight");
  const DType stored = embed ? embed->dtype : DType::F32;
  DType compute = DType::F32;
  if (options.dtype) {
    if (*options.dtype == DType::F16) throw Error("compute dtype f16 is not supported on CPU; use f32 or bf16");
    compute = *options.dtype;
  } else if (config.parameter_count() >= 1000000000LL) {
    compute = stored;  // 16-bit weights stay mapped in place; doubling them to f32 would not fit RAM
  }
  std::unique_ptr<Model> model(new Model());
  model->dir_ = dir;
  model->tokenizer_ = Tokenizer::from_model_dir(dir);
  model->engine_ = std::make_unique<LlamaModel>(std::move(config), std::move(store), compute);
  return model;
}

const ModelConfig& Model::config() const { return engine_->config(); }

ModelInfo Model::info() const {
  const ModelConfig& c = config();
  ModelInfo i;
  i.layers = c.num_hidden_layers;
  i.d_model = c.hidden_size;
  i.d_mlp = c.intermediate_size;
  i.heads = c.num_attention_heads;
  i.kv_heads = c.num_key_value_heads;
  i.vocab = c.vocab_size;
  i.params = c.parameter_count();
  i.dtype = engine_->compute_dtype();
  const TensorEntry* embed = engine_->store().find("model.embed_tokens.weight");
  i.stored = embed ? embed->dtype : DType::F32;
  return i;
}

std::vector<int> Model::encode(const std::string& text) const {
  return tokenizer_->encode(text, tokenizer_->default_add_bos());
}

std::vector<float> Model::next_logits(const std::vector<int>& ids) const {
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  ForwardOptions o;
  o.logits = LogitsMode::Last;
  return to_vector(engine_->forward(ids_tensor(ids), o).logits[0][0]);  // [vocab]
}

std::vector<std::vector<float>> Model::all_logits(const std::vector<int>& ids) const {
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  torch::Tensor logits = engine_->forward(ids_tensor(ids)).logits[0];  // [t, vocab]
  std::vector<std::vector<float>> out;
  for (int64_t p = 0; p < logits.size(0); ++p) out.push_back(to_vector(logits[p]));
  return out;
}

std::vector<std::vector<std::vector<float>>> Model::residual_stream(const std::vector<int>& ids) const {
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  std::vector<std::vector<std::vector<float>>> out;
  auto push = [&out](const torch::Tensor& x) {  // x: [1, t, d]
    std::vector<std::vector<float>> rows;
    for (int64_t p = 0; p < x.size(1); ++p) rows.push_back(to_vector(x[0][p]));
    out.push_back(std::move(rows));
  };
  ForwardOptions o;
  o.logits = LogitsMode::None;
  o.hook = [&](Site site, int layer, const torch::Tensor& x) {
    if (site == Site::ResidPre && layer == 0) push(x);
    if (site == Site::ResidPost) push(x);
    return x;
  };
  engine_->forward(ids_tensor(ids), o);
  return out;
}

std::vector<TopToken> Model::top_k(const std::vector<float>& logits, int k) const {
  if (logits.empty()) return {};
  k = std::clamp(k, 0, static_cast<int>(logits.size()));
  const float max = *std::max_element(logits.begin(), logits.end());
  double z = 0;
  for (float v : logits) z += std::exp(static_cast<double>(v - max));
  std::vector<int> order(logits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
    return logits[static_cast<size_t>(a)] > logits[static_cast<size_t>(b)] ||
           (logits[static_cast<size_t>(a)] == logits[static_cast<size_t>(b)] && a < b);
  });
  std::vector<TopToken> out;
  for (int i = 0; i < k; ++i) {
    const int id = order[static_cast<size_t>(i)];
    const float l = logits[static_cast<size_t>(id)];
    out.push_back({id, tokenizer_->piece(id), token_text(id), l,
                   static_cast<float>(std::exp(static_cast<double>(l - max)) / z)});
  }
  return out;
}

std::string Model::token_text(int id) const {
  std::string piece = tokenizer_->piece(id);
  if (tokenizer_->kind() != "sentencepiece") return piece;
  static const std::string kMarker = "\xE2\x96\x81";  // U+2581, SentencePiece's word boundary
  for (size_t at = piece.find(kMarker); at != std::string::npos; at = piece.find(kMarker, at + 1)) {
    piece.replace(at, kMarker.size(), " ");
  }
  return piece;
}

std::vector<int> Model::generate(const std::vector<int>& ids, int max_new_tokens, Decoding decoding) const {
  return generate_with(*this, ids, max_new_tokens, {}, {}, decoding);
}

}  // namespace ce::core
