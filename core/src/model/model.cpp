#include "ce/core/model/model.h"

#include <algorithm>
#include <cmath>

#include "ce/core/base/error.h"
#include "ce/core/circuits/intervention.h"
#include "ce/core/base/threading.h"
#include "io/weight_store.h"
#include "engine/llama.h"
#include "engine/matmul_choice.h"
#include "io/loader_util.h"

namespace ce::core {

namespace {

torch::Tensor ids_tensor(const std::vector<int>& ids) {
  if (ids.empty()) throw Error("no tokens to run (empty input)");
  std::vector<int64_t> v(ids.begin(), ids.end());
  return torch::tensor(v, torch::kInt64).unsqueeze(0);  // [1, t]
}

// A host copy: results may live on a GPU.
std::vector<float> to_vector(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

const char* bf16_matmul_name(Bf16Matmul m) {
  switch (m) {
    case Bf16Matmul::Auto: return "auto";
    case Bf16Matmul::Native: return "native";
    case Bf16Matmul::Widen: return "widen";
  }
  return "?";
}

std::optional<Bf16Matmul> parse_bf16_matmul(const std::string& name) {
  const std::string lower = detail::ascii_lower(name);
  for (Bf16Matmul m : {Bf16Matmul::Auto, Bf16Matmul::Native, Bf16Matmul::Widen}) {
    if (lower == bf16_matmul_name(m)) return m;
  }
  return std::nullopt;
}

Model::~Model() = default;

std::unique_ptr<Model> Model::open(const std::string& dir, const LoadOptions& options) {
  set_compute_threads(options.threads);
  check_device(options.device);  // before any file is read: the cheap error first
  ModelConfig config = ModelConfig::from_dir(dir);
  std::unique_ptr<WeightStore> store = WeightStore::open_dir(dir);
  const TensorEntry* embed = store->find("model.embed_tokens.weight");
  const DType stored = embed ? embed->dtype : DType::F32;
  DType compute = DType::F32;
  if (options.dtype) {
    if (*options.dtype == DType::F16) throw Error("compute dtype f16 is not supported; use f32 or bf16");
    compute = *options.dtype;
  } else if (config.parameter_count() >= 1000000000LL) {
    compute = stored;  // 16-bit weights stay mapped in place; doubling them to f32 would not fit RAM
  }
  std::unique_ptr<Model> model(new Model());
  model->dir_ = dir;
  model->tokenizer_ = Tokenizer::from_model_dir(dir);
  EngineOptions engine;
  engine.compute = compute;
  engine.device = options.device.is_cuda() ? torch::Device(torch::kCUDA, static_cast<int8_t>(options.device.index))
                                           : torch::Device(torch::kCPU);
  model->matmul_ = Bf16Matmul::Widen;
  if (options.device.is_cuda()) {
    model->matmul_ = Bf16Matmul::Native;
    model->matmul_reason_ = "GPU";
  } else if (compute != DType::BF16) {
    model->matmul_reason_ = "f32 weights";
  } else if (options.bf16_matmul != Bf16Matmul::Auto) {
    model->matmul_ = options.bf16_matmul;
    model->matmul_reason_ = "forced";
  } else {
    const Bf16Timing& t = bf16_matmul_timing();
    model->matmul_ = t.native_faster() ? Bf16Matmul::Native : Bf16Matmul::Widen;
    model->matmul_reason_ = t.describe();
  }
  engine.native_bf16 = model->matmul_ == Bf16Matmul::Native;
  model->device_ = options.device;
  model->engine_ = std::make_unique<LlamaModel>(std::move(config), std::move(store), engine);
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
  i.device = device_;
  i.matmul = matmul_;
  i.matmul_reason = matmul_reason_;
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
  torch::Tensor logits = engine_->forward(ids_tensor(ids)).logits[0].to(torch::kCPU);  // [t, vocab] one copy
  std::vector<std::vector<float>> out;
  for (int64_t p = 0; p < logits.size(0); ++p) out.push_back(to_vector(logits[p]));
  return out;
}

std::vector<std::vector<std::vector<float>>> Model::residual_stream(const std::vector<int>& ids) const {
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  std::vector<std::vector<std::vector<float>>> out;
  auto push = [&out](const torch::Tensor& on_device) {  // [1, t, d]
    const torch::Tensor x = on_device.to(torch::kCPU);
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
