// Encode, decode and splicing of sparse dictionaries (formulas in ce/core/dictionaries/dictionary.h).
#include "ce/core/dictionaries/dictionary.h"

#include <utility>

#include "ce/core/base/error.h"
#include "dictionaries/dictionary_ops.h"

namespace ce::core {

namespace {

void check_last_dim(const torch::Tensor& t, int64_t width, const char* what, const char* name) {
  if (t.dim() < 1 || t.size(-1) != width) {
    throw Error(std::string("dictionary ") + what + ": the last dimension must be " + name + " = " +
                std::to_string(width) +
                (t.dim() < 1 ? std::string(", found a scalar") : ", found " + std::to_string(t.size(-1))));
  }
}

Site engine_site(DictionarySite site) {
  switch (site) {
    case DictionarySite::ResidPre:
      return Site::ResidPre;
    case DictionarySite::AttnOut:
      return Site::AttnOut;
    case DictionarySite::MlpIn:
      return Site::MlpIn;
    case DictionarySite::MlpOut:
      return Site::MlpOut;
    case DictionarySite::ResidPost:
      return Site::ResidPost;
  }
  return Site::ResidPost;
}

std::vector<float> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// Per hook: the transcoder's features between its two sites in one forward.
struct SpliceRun {
  torch::Tensor features;  // [b, t, d_sae] from the MLP's input, until the MLP's output
};

}  // namespace

const char* dictionary_site_name(DictionarySite site) {
  switch (site) {
    case DictionarySite::ResidPre:
      return "resid_pre";
    case DictionarySite::AttnOut:
      return "attn_out";
    case DictionarySite::MlpIn:
      return "mlp_in";
    case DictionarySite::MlpOut:
      return "mlp_out";
    case DictionarySite::ResidPost:
      return "resid_post";
  }
  return "?";
}

const char* dictionary_architecture_name(DictionaryArchitecture architecture) {
  switch (architecture) {
    case DictionaryArchitecture::Standard:
      return "standard";
    case DictionaryArchitecture::JumpRelu:
      return "jumprelu";
    case DictionaryArchitecture::TopK:
      return "topk";
  }
  return "?";
}

Dictionary::Dictionary(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Dictionary::Dictionary(Dictionary&&) noexcept = default;
Dictionary& Dictionary::operator=(Dictionary&&) noexcept = default;
Dictionary::~Dictionary() = default;

Dictionary Dictionary::load(const std::string& folder, const ModelConfig& config) {
  return Dictionary(load_dictionary_impl(folder, config));
}

const DictionaryInfo& Dictionary::info() const { return impl_->info; }

const Dictionary::Impl& Dictionary::Impl::on(torch::Device device) const {
  if (w_enc.device() == device) return *this;
  const std::lock_guard<std::mutex> lock(copies_mutex_);
  for (const auto& c : copies_) {
    if (c->w_enc.device() == device) return *c;
  }
  const auto moved = [device](const torch::Tensor& t) { return t.defined() ? t.to(device) : t; };
  auto c = std::make_unique<Impl>();
  c->info = info;
  c->w_enc = moved(w_enc);
  c->b_enc = moved(b_enc);
  c->b_pre = moved(b_pre);
  c->threshold = moved(threshold);
  c->rank_scale = moved(rank_scale);
  c->w_dec = moved(w_dec);
  c->b_dec = moved(b_dec);
  c->in_scale = in_scale;
  c->out_scale = out_scale;
  copies_.push_back(std::move(c));
  return *copies_.back();
}

std::vector<float> Dictionary::encode(const std::vector<float>& x) const {
  torch::NoGradGuard no_grad;
  const torch::Tensor t = torch::tensor(x, torch::kFloat32);  // [n]
  return to_vector(dictionary_encode(*this, t));
}

std::vector<float> Dictionary::decode(const std::vector<float>& f) const {
  torch::NoGradGuard no_grad;
  const torch::Tensor t = torch::tensor(f, torch::kFloat32);  // [n]
  return to_vector(dictionary_decode(*this, t));
}

torch::Tensor dictionary_encode(const Dictionary& dict, const torch::Tensor& x) {
  const Dictionary::Impl& d = dict.impl().on(x.device());
  check_last_dim(x, d.info.d_in, "input", "d_in");
  torch::Tensor xs = x.to(torch::kFloat32);  // [.., d_in]
  if (d.in_scale != 1.0) xs = xs * d.in_scale;
  if (d.b_pre.defined()) xs = xs - d.b_pre;
  const torch::Tensor pre = torch::matmul(xs, d.w_enc) + d.b_enc;  // [.., d_sae]
  const torch::Tensor act = torch::relu(pre);                      // [.., d_sae]
  switch (d.info.architecture) {
    case DictionaryArchitecture::Standard:
      return act;
    case DictionaryArchitecture::JumpRelu:
      return act * (pre > d.threshold).to(torch::kFloat32);
    case DictionaryArchitecture::TopK: {
      const torch::Tensor score = d.rank_scale.defined() ? act * d.rank_scale : act;  // [.., d_sae]
      const torch::Tensor top = std::get<1>(score.topk(d.info.k, -1));                // [.., k]
      const torch::Tensor keep = torch::zeros_like(act).scatter(-1, top, 1.0);        // [.., d_sae]
      return act * keep;
    }
  }
  return act;
}

torch::Tensor dictionary_decode(const Dictionary& dict, const torch::Tensor& f) {
  const Dictionary::Impl& d = dict.impl().on(f.device());
  check_last_dim(f, d.info.d_sae, "features", "d_sae");
  torch::Tensor y = torch::matmul(f.to(torch::kFloat32), d.w_dec) + d.b_dec;  // [.., d_out]
  return d.out_scale != 1.0 ? y / d.out_scale : y;
}

HookFn splice_hook(const Dictionary& dict, const LlamaModel& engine, SpliceOptions options, HookFn inner) {
  const DictionaryInfo& info = dict.info();
  const ModelConfig& c = engine.config();
  if (info.d_in != c.hidden_size || info.d_out != c.hidden_size || info.layer >= c.num_hidden_layers) {
    throw Error(info.folder + ": the dictionary does not fit this model (d_in " + std::to_string(info.d_in) +
                ", layer " + std::to_string(info.layer) + "; the model has hidden_size " +
                std::to_string(c.hidden_size) + " and " + std::to_string(c.num_hidden_layers) + " layers)");
  }
  // ln2.hook_normalized is the MLP's input before post_attention_layernorm's weight; the engine's MlpIn has
  // it applied, so the dictionary reads MlpIn / weight (and an SAE there writes its sum back times the
  // weight).
  torch::Tensor norm_weight;  // [d] float64
  if (info.site_in == DictionarySite::MlpIn) {
    norm_weight = engine.layer(info.layer).post_norm.to(torch::kFloat64);
    if ((norm_weight == 0).any().item<bool>()) {
      throw Error(info.folder + ": post_attention_layernorm of layer " + std::to_string(info.layer) +
                  " has a zero weight, so ln2.hook_normalized cannot be recovered from the MLP's input");
    }
  }
  const int layer = info.layer;
  const Site in_site = engine_site(info.site_in), out_site = engine_site(info.site_out);
  const bool transcoder = info.kind == DictionaryKind::Transcoder;
  auto run = std::make_shared<SpliceRun>();
  return [&dict, options = std::move(options), inner = std::move(inner), norm_weight, layer, in_site,
          out_site, transcoder, run](Site s, int l, const torch::Tensor& x) -> torch::Tensor {
    torch::Tensor y = x;
    if (l == layer && (s == in_site || s == out_site)) {
      // The error and the sum are taken in float64: x - recon is then exact, and recon + error gives x back
      // bit for bit in float32, so an untouched splice leaves the forward exactly as it was.
      // x: [b, t, d] float32; `target` is what the dictionary reads (SAE) or predicts (transcoder's output).
      torch::Tensor target = x.to(torch::kFloat64);  // [b, t, d]
      if (s == in_site && norm_weight.defined()) target = target / norm_weight;
      if (transcoder && s == in_site) {
        run->features = dictionary_encode(dict, target.to(torch::kFloat32));  // [b, t, d_sae]
      } else {
        SpliceState state;
        state.layer = layer;
        state.features = transcoder ? run->features : dictionary_encode(dict, target.to(torch::kFloat32));
        if (!state.features.defined()) {
          throw Error("transcoder splice: the MLP's output came before its input");
        }
        if (transcoder) run->features = torch::Tensor();
        const torch::Tensor features = state.features;
        torch::Tensor recon = dictionary_decode(dict, features);  // [b, t, d] float32
        state.error = options.keep_error ? target - recon.to(torch::kFloat64) : torch::zeros_like(target);
        if (options.on_splice) options.on_splice(state);
        if (!state.features.is_same(features)) recon = dictionary_decode(dict, state.features);
        torch::Tensor sum = recon.to(torch::kFloat64) + state.error.to(torch::kFloat64);  // [b, t, d]
        if (!transcoder && norm_weight.defined()) sum = sum * norm_weight;
        y = sum.to(x.scalar_type());
      }
    }
    return inner ? inner(s, l, y) : y;
  };
}

}  // namespace ce::core
