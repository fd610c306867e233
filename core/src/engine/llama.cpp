#include "engine/llama.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "ce/core/base/error.h"
#include "io/llama_weight_spec.h"

namespace ce::core {

namespace F = torch::nn::functional;

const char* site_name(Site site) {
  switch (site) {
    case Site::ResidPre: return "resid_pre";
    case Site::Attn: return "attn";
    case Site::AttnOut: return "attn_out";
    case Site::MlpIn: return "mlp_in";
    case Site::MlpAct: return "mlp_act";
    case Site::MlpOut: return "mlp_out";
    case Site::ResidPost: return "resid_post";
  }
  return "?";
}

torch::ScalarType to_scalar_type(DType dtype) {
  switch (dtype) {
    case DType::F32: return torch::kFloat32;
    case DType::BF16: return torch::kBFloat16;
    case DType::F16: return torch::kFloat16;
  }
  return torch::kFloat32;
}

torch::Tensor view_entry(const TensorEntry& entry) {
  // from_blob never frees and never writes: the mapping is PROT_READ, and every op we run is out-of-place.
  return torch::from_blob(const_cast<void*>(entry.data), entry.shape,
                          torch::TensorOptions().dtype(to_scalar_type(entry.dtype)));
}

namespace {

// HF "rope_type": "llama3": long wavelengths are divided by `factor`, short ones kept, and the band
// between them interpolated smoothly (Llama 3.1 technical report, as implemented in transformers).
std::vector<double> llama3_scaled(const std::vector<double>& freqs, const RopeScaling& s) {
  const double old_len = static_cast<double>(s.original_max_position_embeddings);
  const double low_wavelen = old_len / s.low_freq_factor;
  const double high_wavelen = old_len / s.high_freq_factor;
  std::vector<double> out;
  out.reserve(freqs.size());
  for (double f : freqs) {
    const double wavelen = 2.0 * M_PI / f;
    if (wavelen < high_wavelen) {
      out.push_back(f);
    } else if (wavelen > low_wavelen) {
      out.push_back(f / s.factor);
    } else {
      const double smooth = (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
      out.push_back((1.0 - smooth) * f / s.factor + smooth * f);
    }
  }
  return out;
}

torch::Tensor rotate_half(const torch::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// bf16 -> float32 bits. Cloned for AVX2 (chosen at load time) and built at -O3 (core/CMakeLists.txt) so the
// loop is vectorised: at -O2 for generic x86-64 it stays scalar and costs a pass over every weight.
__attribute__((target_clones("avx2", "default"))) void widen_bf16(const uint16_t* src, uint32_t* dst,
                                                                   int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<uint32_t>(src[i]) << 16;
}

// y = x · Wᵀ for 16-bit weights. LibTorch 1.13's CPU bf16 matmul falls back to a scalar loop without
// AVX-512 (about 1.4 GFLOP/s on the AVX2 machines here), so row blocks of W are widened to float32 in a
// small per-thread buffer and multiplied by BLAS sgemm: the weights stay 16-bit in memory (mmap, no copy)
// and the arithmetic runs at float32 BLAS speed. Threads take whole blocks (widen + sgemm) so no thread
// waits for another between blocks.
class HalfLinear : public torch::autograd::Function<HalfLinear> {
 public:
  // x: [n, in] float32, w: [out, in] bf16/f16 -> [n, out] float32
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& w) {
    ctx->saved_data["w"] = w;
    const int64_t n = x.size(0), out = w.size(0), in = w.size(1);
    torch::Tensor y = torch::empty({n, out}, torch::kFloat32);         // [n, out]
    const int64_t rows = block_rows(in), blocks = (out + rows - 1) / rows;
    at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
      torch::Tensor buf = torch::empty({rows, in}, torch::kFloat32);    // [rows, in] this thread's block
      for (int64_t blk = b0; blk < b1; ++blk) {
        const int64_t r = blk * rows, len = std::min(rows, out - r);
        torch::Tensor b = widen(w, r, len, buf);                        // [len, in]
        torch::Tensor dst = y.narrow(1, r, len);                        // [n, len] strided
        at::mm_out(dst, x, b.t());
      }
    });
    return y;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const torch::Tensor w = ctx->saved_data["w"].toTensor();             // [out, in]
    const torch::Tensor gy = grads[0].contiguous();                      // [n, out]
    const int64_t out = w.size(0), in = w.size(1);
    const int64_t rows = block_rows(in), blocks = (out + rows - 1) / rows;
    // Each thread accumulates its blocks' share of the input gradient privately; summed at the end.
    std::vector<torch::Tensor> partial(static_cast<size_t>(at::get_num_threads()));
    at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
      torch::Tensor buf = torch::empty({rows, in}, torch::kFloat32);
      torch::Tensor gx = torch::zeros({gy.size(0), in}, torch::kFloat32);  // [n, in]
      for (int64_t blk = b0; blk < b1; ++blk) {
        const int64_t r = blk * rows, len = std::min(rows, out - r);
        gx.addmm_(gy.narrow(1, r, len), widen(w, r, len, buf));
      }
      torch::Tensor& slot = partial[static_cast<size_t>(at::get_thread_num())];
      slot = slot.defined() ? slot + gx : gx;
    });
    torch::Tensor gx;
    for (const auto& p : partial) {
      if (p.defined()) gx = gx.defined() ? gx + p : p;
    }
    return {gx, torch::Tensor()};
  }

 private:
  // About 1 MiB of float32 per block, but never under 64 rows: sgemm on thinner blocks loses a third of
  // its speed here (measured on [32, 14336] x [14336, 4096]: 55 GFLOP/s at 16 rows, 80 at 64).
  static int64_t block_rows(int64_t in) {
    return std::max<int64_t>(64, (int64_t{1} << 18) / std::max<int64_t>(in, 1));
  }
  // Rows [r, r + len) of w as float32 in buf. bf16 is the top half of a float32, so widening is a shift
  // that the compiler vectorises; f16 goes through LibTorch's conversion.
  static torch::Tensor widen(const torch::Tensor& w, int64_t r, int64_t len, torch::Tensor& buf) {
    torch::Tensor b = buf.narrow(0, 0, len);
    if (w.scalar_type() != torch::kBFloat16) {
      b.copy_(w.narrow(0, r, len));
      return b;
    }
    widen_bf16(reinterpret_cast<const uint16_t*>(w.data_ptr()) + r * w.size(1),
               reinterpret_cast<uint32_t*>(b.data_ptr<float>()), len * w.size(1));
    return b;
  }
};

// Writes this step's keys and values ([b, kv, t, hd]) after the cached ones of `layer` and returns all of
// them ([b, kv, past + t, hd], views of the buffers). The buffers are over-allocated so that a decoding step
// copies only its own rows instead of the whole history.
std::pair<torch::Tensor, torch::Tensor> cache_append(KvCache& cache, size_t layer, const torch::Tensor& k,
                                                     const torch::Tensor& v) {
  const int64_t past = cache.length, t = k.size(2), need = past + t;
  torch::Tensor& kb = cache.k[layer];  // [b, kv, capacity, hd]
  torch::Tensor& vb = cache.v[layer];  // [b, kv, capacity, hd]
  if (kb.defined() && (kb.size(0) != k.size(0) || kb.size(1) != k.size(1) || kb.size(3) != k.size(3))) {
    throw Error("forward: the KV cache holds another shape of sequence");
  }
  if (!kb.defined() || kb.size(2) < need) {
    const int64_t old = kb.defined() ? kb.size(2) : 0;
    const int64_t capacity = std::max({need, cache.reserve, 2 * old});
    torch::Tensor nk = torch::empty({k.size(0), k.size(1), capacity, k.size(3)}, k.options());
    torch::Tensor nv = torch::empty({v.size(0), v.size(1), capacity, v.size(3)}, v.options());
    if (past > 0) {
      nk.narrow(2, 0, past).copy_(kb.narrow(2, 0, past));
      nv.narrow(2, 0, past).copy_(vb.narrow(2, 0, past));
    }
    kb = nk;
    vb = nv;
  }
  kb.narrow(2, past, t).copy_(k);
  vb.narrow(2, past, t).copy_(v);
  return {kb.narrow(2, 0, need), vb.narrow(2, 0, need)};
}

}  // namespace

torch::Tensor linear_16bit(const torch::Tensor& x, const torch::Tensor& w, bool native) {
  if (native || !w.device().is_cpu()) return F::linear(x.to(w.scalar_type()), w).to(torch::kFloat32);
  std::vector<int64_t> shape = x.sizes().vec();                            // [..., in]
  torch::Tensor y = HalfLinear::apply(x.reshape({-1, w.size(1)}).contiguous(), w);  // [n, out]
  shape.back() = w.size(0);
  return y.view(shape);                                                    // [..., out]
}

// Activations are float32 throughout; weights are float32 or 16-bit.
torch::Tensor LlamaModel::dense(const torch::Tensor& x, const torch::Tensor& w) const {
  if (w.scalar_type() == torch::kFloat32) return F::linear(x, w);
  return linear_16bit(x, w, native_bf16_);
}

LlamaModel::LlamaModel(ModelConfig config, std::unique_ptr<WeightStore> store, const EngineOptions& options)
    : config_(std::move(config)), store_(std::move(store)), compute_(options.compute),
      native_bf16_(options.native_bf16 && options.compute == DType::BF16), device_(options.device) {
  validate_llama_weights(config_, *store_);
  init_from([this](const std::string& name) { return load(name); });
}

LlamaModel::LlamaModel(ModelConfig config, const std::map<std::string, torch::Tensor>& weights)
    : config_(std::move(config)) {
  const auto expected = llama_weight_shapes(config_, !config_.tie_word_embeddings);
  torch::ScalarType type = torch::kFloat32;
  for (const auto& [name, shape] : expected) {
    auto it = weights.find(name);
    if (it == weights.end()) throw Error("missing tensor " + name);
    if (it->second.sizes() != torch::IntArrayRef(shape)) throw Error(name + ": wrong shape");
    type = it->second.scalar_type();
  }
  compute_ = type == torch::kBFloat16 ? DType::BF16 : DType::F32;
  device_ = weights.begin()->second.device();
  init_from([&weights](const std::string& name) { return weights.at(name); });
}

const WeightStore& LlamaModel::store() const {
  if (!store_) throw Error("this model was built from tensors, not opened from a folder");
  return *store_;
}

void LlamaModel::init_from(const std::function<torch::Tensor(const std::string&)>& get) {
  embed_ = get("model.embed_tokens.weight");
  final_norm_ = get("model.norm.weight");
  lm_head_ = config_.tie_word_embeddings ? embed_ : get("lm_head.weight");
  layers_.reserve(static_cast<size_t>(config_.num_hidden_layers));
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    LayerWeights w;
    w.input_norm = get(p + "input_layernorm.weight");
    w.wq = get(p + "self_attn.q_proj.weight");
    w.wk = get(p + "self_attn.k_proj.weight");
    w.wv = get(p + "self_attn.v_proj.weight");
    w.wo = get(p + "self_attn.o_proj.weight");
    w.post_norm = get(p + "post_attention_layernorm.weight");
    w.w_gate = get(p + "mlp.gate_proj.weight");
    w.w_up = get(p + "mlp.up_proj.weight");
    w.w_down = get(p + "mlp.down_proj.weight");
    layers_.push_back(std::move(w));
  }
  const int64_t hd = config_.head_dim;
  std::vector<double> freqs;
  for (int64_t i = 0; i < hd; i += 2) {
    freqs.push_back(1.0 / std::pow(config_.rope_theta, static_cast<double>(i) / static_cast<double>(hd)));
  }
  if (config_.rope_scaling) freqs = llama3_scaled(freqs, *config_.rope_scaling);
  std::vector<float> f32(freqs.begin(), freqs.end());
  inv_freq_ = torch::tensor(f32, torch::kFloat32).to(device_);  // [hd/2]
}

torch::Tensor LlamaModel::load(const std::string& name) {
  const TensorEntry& entry = store_->get(name);
  torch::Tensor t = view_entry(entry);
  // One copy straight into the compute dtype on the GPU: the host never holds a converted copy.
  if (!device_.is_cpu()) return t.to(device_, to_scalar_type(compute_));
  if (entry.dtype == compute_) return t;
  converted_bytes_ += static_cast<uint64_t>(t.numel()) * dtype_size(compute_);
  return t.to(to_scalar_type(compute_));
}

torch::ScalarType LlamaModel::scalar_type() const { return to_scalar_type(compute_); }

torch::Tensor LlamaModel::rms_norm(const torch::Tensor& x, const torch::Tensor& weight,
                                   const GradRules& rules) const {
  // As HF LlamaRMSNorm, statistics in float32 (activations here are float32 throughout).
  torch::Tensor xf = x.to(torch::kFloat32);                                                  // [..., d]
  torch::Tensor scale = torch::rsqrt(xf.pow(2).mean(-1, true) + config_.rms_norm_eps);  // [..., 1]
  if (rules.rmsnorm_detach) scale = scale.detach();
  return weight * (xf * scale).to(x.scalar_type());
}

std::pair<torch::Tensor, torch::Tensor> LlamaModel::rope_tables(const torch::Tensor& positions) const {
  torch::Tensor freqs = positions.to(torch::kFloat32).unsqueeze(-1) * inv_freq_;  // [b, t, hd/2]
  torch::Tensor emb = torch::cat({freqs, freqs}, -1);                               // [b, t, hd]
  return {emb.cos(), emb.sin()};
}

torch::Tensor LlamaModel::attention(const LayerWeights& w, int layer, const torch::Tensor& x,
                                    const torch::Tensor& cos, const torch::Tensor& sin,
                                    const torch::Tensor& mask, const ForwardOptions& o, bool q_last) const {
  const int64_t b = x.size(0), t = x.size(1);
  const int64_t h = config_.num_attention_heads, kv = config_.num_key_value_heads, hd = config_.head_dim;
  // Queries of the last tq positions only (tq = t unless the last layer is trimmed to the last position).
  const int64_t tq = q_last ? 1 : t;
  const torch::Tensor xq = x.narrow(1, t - tq, tq);                                 // [b, tq, d]
  torch::Tensor q = dense(xq, w.wq).view({b, tq, h, hd}).transpose(1, 2);  // [b, h, tq, hd]
  torch::Tensor k = dense(x, w.wk).view({b, t, kv, hd}).transpose(1, 2);   // [b, kv, t, hd]
  torch::Tensor v = dense(x, w.wv).view({b, t, kv, hd}).transpose(1, 2);   // [b, kv, t, hd]
  // Rotation in float32 as HF does (cos/sin are float32 there and q is upcast by the multiply).
  torch::Tensor c = cos.unsqueeze(1), s = sin.unsqueeze(1);                    // [b, 1, t, hd]
  torch::Tensor qf = q.to(torch::kFloat32), kf = k.to(torch::kFloat32);
  qf = qf * c.narrow(2, t - tq, tq) + rotate_half(qf) * s.narrow(2, t - tq, tq);
  kf = kf * c + rotate_half(kf) * s;
  // With a cache, keys and values cover every position so far: [b, kv, past + t, hd] from here on.
  if (o.cache) std::tie(kf, v) = cache_append(*o.cache, static_cast<size_t>(layer), kf, v);
  if (kv != h) {  // grouped-query attention: query head j reads kv head j / (h / kv)
    kf = kf.repeat_interleave(h / kv, 1);                                      // [b, h, T, hd]
    v = v.repeat_interleave(h / kv, 1);                                        // [b, h, T, hd]
  }
  // T = t without a cache, past + t with one.
  torch::Tensor scores = torch::matmul(qf, kf.transpose(-2, -1)) / std::sqrt(static_cast<double>(hd));
  scores = scores.masked_fill(mask.narrow(2, mask.size(2) - tq, tq), -std::numeric_limits<float>::infinity());  // [b, h, tq, T]
  torch::Tensor probs = torch::softmax(scores, -1).to(v.scalar_type());        // [b, h, tq, T]
  if (o.rules.attn_probs_detach) probs = probs.detach();
  torch::Tensor z = torch::matmul(probs, v).transpose(1, 2).reshape({b, tq, h * hd});  // [b, tq, h*hd]
  if (o.hook) z = o.hook(Site::Attn, layer, z);
  torch::Tensor out = dense(z, w.wo);                                      // [b, t, d]
  if (o.hook) out = o.hook(Site::AttnOut, layer, out);
  return out;
}

ForwardOutput LlamaModel::forward(const torch::Tensor& ids, const ForwardOptions& o) const {
  if (ids.dim() != 2) throw Error("forward: ids must be [batch, tokens]");
  const int64_t b = ids.size(0), t = ids.size(1);
  if (t == 0) throw Error("forward: empty token sequence");
  if (o.cache && o.attention_mask.defined()) throw Error("forward: a KV cache does not combine with attention_mask");
  if (o.last_layer_last_position && o.logits != LogitsMode::Last) {
    throw Error("forward: last_layer_last_position needs LogitsMode::Last");
  }
  const int64_t past = o.cache ? o.cache->length : 0;  // positions already in the cache
  check_context(config_, past + t);
  if (ids.numel() > 0) {
    const int64_t lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
    if (lo < 0 || hi >= config_.vocab_size) {
      throw Error("token id " + std::to_string(lo < 0 ? lo : hi) + " is outside the vocabulary (0.." +
                  std::to_string(config_.vocab_size - 1) + ")");
    }
  }
  const torch::Device dev = device_;
  torch::Tensor positions;  // [b, t]
  // mask[b, 1, q, k] is true where query q must not see key k.
  torch::Tensor causal = torch::ones({t, t}, torch::dtype(torch::kBool).device(dev)).triu(1);  // [t, t]
  torch::Tensor mask;
  if (o.attention_mask.defined()) {
    if (o.attention_mask.sizes() != ids.sizes()) throw Error("forward: attention_mask must match ids");
    torch::Tensor m = o.attention_mask.to(dev, torch::kInt64);                // [b, t]
    positions = (m.cumsum(1) - 1).clamp_min(0);                               // left padding shifts positions
    torch::Tensor pad_key = (m == 0).view({b, 1, 1, t});                      // [b, 1, 1, t]
    mask = causal.view({1, 1, t, t}) | pad_key;                               // [b, 1, t, t]
    // A padding query would see no key at all (softmax of -inf only = NaN): let it see itself.
    mask = mask & ~torch::eye(t, torch::dtype(torch::kBool).device(dev)).view({1, 1, t, t});
  } else if (o.cache) {
    positions = torch::arange(past, past + t, torch::dtype(torch::kInt64).device(dev)).unsqueeze(0).expand({b, t});
    // Query i is position past + i: it sees every cached key and the new ones up to itself.
    mask = torch::ones({t, past + t}, torch::dtype(torch::kBool).device(dev)).triu(past + 1).view({1, 1, t, past + t});
    if (o.cache->k.empty()) {
      o.cache->k.resize(static_cast<size_t>(config_.num_hidden_layers));
      o.cache->v.resize(static_cast<size_t>(config_.num_hidden_layers));
    }
    if (o.cache->k.size() != static_cast<size_t>(config_.num_hidden_layers)) {
      throw Error("forward: the KV cache belongs to another model");
    }
  } else {
    positions = torch::arange(t, torch::dtype(torch::kInt64).device(dev)).unsqueeze(0).expand({b, t});  // [b, t]
    mask = causal.view({1, 1, t, t});
  }
  auto [cos, sin] = rope_tables(positions);                                   // [b, t, hd] each

  torch::Tensor x;  // [b, t, d] the residual stream
  int first = o.first_layer;
  if (first < 0 || first > config_.num_hidden_layers) throw Error("forward: first_layer out of range");
  if (first > 0 || o.resid.defined()) {
    if (!o.resid.defined()) throw Error("forward: first_layer > 0 needs resid");
    x = o.resid.to(dev);
  } else {
    x = embed_.index_select(0, ids.reshape({-1}).to(dev)).to(torch::kFloat32).view({b, t, config_.hidden_size});
  }
  for (int l = first; l < static_cast<int>(config_.num_hidden_layers); ++l) {
    const LayerWeights& w = layers_[static_cast<size_t>(l)];
    if (o.hook) x = o.hook(Site::ResidPre, l, x);
    const bool trim = o.last_layer_last_position && l + 1 == static_cast<int>(config_.num_hidden_layers);
    torch::Tensor a = attention(w, l, rms_norm(x, w.input_norm, o.rules), cos, sin, mask, o, trim);
    x = (trim ? x.narrow(1, t - 1, 1) : x) + a;                                // [b, t|1, d]
    torch::Tensor hn = rms_norm(x, w.post_norm, o.rules);                     // [b, t, d]
    if (o.hook) hn = o.hook(Site::MlpIn, l, hn);
    const MlpSubset sub = o.mlp_subset ? o.mlp_subset(l, hn.size(1)) : MlpSubset{};
    torch::Tensor w_gate = w.w_gate, w_up = w.w_up, w_down = w.w_down, rest;
    if (sub.index.defined()) {
      const int64_t m = config_.intermediate_size;
      if (sub.index.dim() != 1 || sub.index.scalar_type() != torch::kInt64 ||
          !sub.fixed.defined() || sub.fixed.sizes() != torch::IntArrayRef({hn.size(1), m})) {
        throw Error("forward: an MLP subset needs an int64 index [s] and fixed activations [tokens, " +
                    std::to_string(m) + "]");
      }
      if (((sub.index < 0) | (sub.index >= m)).any().item<bool>()) {
        throw Error("forward: an MLP subset's index is outside the layer's " + std::to_string(m) + " neurons");
      }
      w_gate = w.w_gate.index_select(0, sub.index);                           // [s, d]
      w_up = w.w_up.index_select(0, sub.index);                               // [s, d]
      w_down = w.w_down.index_select(1, sub.index);                           // [d, s]
      rest = dense(sub.fixed.to(torch::kFloat32).index_fill(1, sub.index, 0.0), w.w_down);  // [tokens, d]
    }
    torch::Tensor n;  // [b, t, m|s]
    if (w_gate.size(0) > 0) {
      torch::Tensor g = dense(hn, w_gate);                                    // [b, t, m|s]
      torch::Tensor u = dense(hn, w_up);                                      // [b, t, m|s]
      torch::Tensor act = o.rules.silu_gate_detach ? g * torch::sigmoid(g).detach() : torch::silu(g);
      n = act * u;
      if (o.rules.half_rule) n = 0.5 * n + 0.5 * n.detach();
    } else {
      n = torch::zeros({hn.size(0), hn.size(1), 0}, hn.options());            // an empty subset
    }
    if (o.hook) n = o.hook(Site::MlpAct, l, n);
    torch::Tensor mo = n.size(2) > 0 ? dense(n, w_down) : torch::zeros_like(hn);  // [b, t, d]
    if (rest.defined()) mo = mo + rest;
    if (o.hook) mo = o.hook(Site::MlpOut, l, mo);
    x = x + mo;
    if (o.hook) x = o.hook(Site::ResidPost, l, x);
  }
  if (o.cache) o.cache->length = past + t;
  ForwardOutput out;
  out.final_resid = x;
  if (o.logits != LogitsMode::None) {
    torch::Tensor h = o.logits == LogitsMode::Last ? x.narrow(1, x.size(1) - 1, 1) : x;  // [b, t|1, d]
    out.logits = dense(rms_norm(h, final_norm_, o.rules), lm_head_);
  }
  return out;
}

}  // namespace ce::core
