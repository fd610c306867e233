// The TopK trainer on tensors and the SAELens folder it writes (see sae_training_ops.h).
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "ce/core/base/error.h"
#include "dictionaries/sae_training_ops.h"
#include "io/safetensors_writer.h"

namespace ce::core {

namespace {

// Rows per chunk when evaluating: bounds the dense [rows, d_sae] feature matrix.
constexpr int64_t kEvalChunk = 4096;

// The scale that gives rows of `a` [n, d] a mean squared norm of d, so that Adam's step sizes (absolute,
// ~lr per step) mean the same for every site whatever its activations' magnitude.
double unit_scale(const torch::Tensor& a) {
  const double ms = a.pow(2).sum(1).mean().item<double>();
  return ms > 0 ? std::sqrt(static_cast<double>(a.size(1)) / ms) : 1.0;
}

void normalise_rows(torch::Tensor& w) {  // w: [d_sae, d]
  w.div_(w.norm(2, {1}, true).clamp_min(1e-12));
}

// The parameters trained in normalised units, written back in raw units: x_n = s_in x, y_n = s_out y, so
// W_enc' = s_in W_enc, W_dec' = W_dec / s_out, b_dec' = b_dec / s_out (an SAE has s_in = s_out, so b_pre'
// = b_dec' stays consistent).
TopKParams fold(const TopKParams& n, double s_in, double s_out) {
  TopKParams p;
  p.w_enc = (n.w_enc.detach() * s_in).contiguous();  // [d_in, d_sae]
  p.b_enc = n.b_enc.detach().clone();                 // [d_sae]
  p.w_dec = (n.w_dec.detach() / s_out).contiguous();  // [d_sae, d_out]
  p.b_dec = (n.b_dec.detach() / s_out).contiguous();  // [d_out]
  p.k = n.k;
  p.b_dec_to_input = n.b_dec_to_input;
  return p;
}

void add_f32(SafetensorsWriter& w, const std::string& name, const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  w.add(name, DType::F32, c.sizes().vec(), c.data_ptr<float>());
}

}  // namespace

torch::Tensor topk_encode(const TopKParams& p, const torch::Tensor& x) {
  const torch::Tensor xin = p.b_dec_to_input ? x - p.b_dec : x;            // [n, d_in]
  const torch::Tensor act = torch::relu(torch::matmul(xin, p.w_enc) + p.b_enc);  // [n, d_sae]
  auto [values, indices] = act.topk(p.k, -1);                              // [n, k] each
  return torch::zeros_like(act).scatter(-1, indices, values);              // [n, d_sae]
}

torch::Tensor topk_decode(const TopKParams& p, const torch::Tensor& f) {
  return torch::matmul(f, p.w_dec) + p.b_dec;  // [n, d_out]
}

double topk_fvu(const TopKParams& p, const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  const torch::Tensor y64 = y.to(torch::kFloat64);              // [n, d_out]
  const double total = (y64 - y64.mean(0)).pow(2).sum().item<double>();
  double residual = 0;
  for (int64_t i = 0; i < x.size(0); i += kEvalChunk) {
    const int64_t n = std::min(kEvalChunk, x.size(0) - i);
    const torch::Tensor yh = topk_decode(p, topk_encode(p, x.narrow(0, i, n)));  // [n, d_out]
    residual += (y64.narrow(0, i, n) - yh.to(torch::kFloat64)).pow(2).sum().item<double>();
  }
  return total > 0 ? residual / total : 0.0;
}

TopKTrainOutput train_topk(const torch::Tensor& x, const torch::Tensor& y, bool sae,
                           const SaeTrainingOptions& o, const JobControl& control) {
  const int64_t n = x.size(0), d_in = x.size(1), d_out = y.size(1);
  const int64_t d_sae = static_cast<int64_t>(o.expansion) * d_in;
  const double s_in = unit_scale(x), s_out = sae ? s_in : unit_scale(y);
  const torch::Tensor xn = x * s_in;                 // [n, d_in]
  const torch::Tensor yn = sae ? xn : y * s_out;     // [n, d_out]

  // Random numbers come from a CPU generator (the same draws for a seed on every device) and are copied to
  // the activations' device, where the parameters live and train.
  const torch::Device device = x.device();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  TopKParams p;
  p.k = o.k;
  p.b_dec_to_input = sae;
  {
    torch::NoGradGuard no_grad;
    // Unit-norm random decoder rows and the encoder as their transpose: every feature starts as a
    // direction it reads and writes alike, which Gao et al. found avoids most dead features.
    p.w_dec = torch::randn({d_sae, d_out}, gen, torch::kFloat32).to(device);  // [d_sae, d_out]
    normalise_rows(p.w_dec);
    p.w_enc = sae ? p.w_dec.t().contiguous()                                    // [d_in, d_sae]
                  : torch::randn({d_sae, d_in}, gen, torch::kFloat32).t().contiguous().to(device);
    if (!sae) p.w_enc.div_(p.w_enc.norm(2, {0}, true).clamp_min(1e-12));
    p.b_enc = torch::zeros({d_sae}, torch::dtype(torch::kFloat32).device(device));  // [d_sae]
    p.b_dec = yn.mean(0).contiguous();                 // [d_out]
  }
  TopKTrainOutput out;
  out.initial = fold(p, s_in, s_out);
  for (torch::Tensor* t : {&p.w_enc, &p.b_enc, &p.w_dec, &p.b_dec}) t->set_requires_grad(true);
  torch::optim::Adam adam({p.w_enc, p.b_enc, p.w_dec, p.b_dec},
                          torch::optim::AdamOptions(o.learning_rate));

  torch::Tensor order;  // [n] int64: this pass's shuffled rows
  int64_t cursor = n;
  for (int step = 0; step < o.steps; ++step) {
    control.check();
    if (cursor + o.batch > n) {
      order = torch::randperm(n, gen, torch::kInt64).to(device);
      cursor = 0;
    }
    const torch::Tensor rows = order.narrow(0, cursor, o.batch);  // [batch]
    cursor += o.batch;
    const torch::Tensor xb = xn.index_select(0, rows), yb = yn.index_select(0, rows);  // [batch, d]
    const torch::Tensor loss = (topk_decode(p, topk_encode(p, xb)) - yb).pow(2).mean();
    adam.zero_grad();
    loss.backward();
    adam.step();
    {
      torch::NoGradGuard no_grad;
      normalise_rows(p.w_dec);
    }
    if (step + 1 == o.steps) out.final_loss = loss.item<double>();
    if (step % 20 == 0 || step + 1 == o.steps) {
      control.report(static_cast<double>(step + 1) / o.steps,
                     "step " + std::to_string(step + 1) + "/" + std::to_string(o.steps) +
                         ", loss " + std::to_string(loss.item<double>()));
    }
  }
  out.trained = fold(p, s_in, s_out);
  return out;
}

void write_topk_folder(const TopKParams& p, const std::string& folder, const std::string& hook_in,
                       const std::string& hook_out, int layer, const std::string& extra_json) {
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw Error(folder + ": cannot create the folder (" + ec.message() + ")");
  const bool transcoder = !hook_out.empty();
  nlohmann::json cfg = {{"architecture", transcoder ? "transcoder" : "topk"},
                        {"activation_fn", "topk"},
                        {"k", p.k},
                        {"d_in", p.w_enc.size(0)},
                        {"d_sae", p.w_enc.size(1)},
                        {"hook_name", hook_in},
                        {"hook_layer", layer},
                        {"apply_b_dec_to_input", p.b_dec_to_input},
                        {"normalize_activations", "none"},
                        {"dtype", "float32"}};
  if (transcoder) {
    cfg["hook_name_out"] = hook_out;
    cfg["d_out"] = p.w_dec.size(1);
  }
  if (!extra_json.empty()) cfg.update(nlohmann::json::parse(extra_json));
  SafetensorsWriter w;
  add_f32(w, "W_enc", p.w_enc);
  add_f32(w, "b_enc", p.b_enc);
  add_f32(w, "W_dec", p.w_dec);
  add_f32(w, "b_dec", p.b_dec);
  const std::filesystem::path dir(folder);
  w.write((dir / "sae_weights.safetensors").string());
  const std::string cfg_path = (dir / "cfg.json").string();
  std::ofstream f(cfg_path, std::ios::binary | std::ios::trunc);
  f << cfg.dump(2) << "\n";
  if (!f.flush()) throw Error(cfg_path + ": write failed");
}

}  // namespace ce::core
