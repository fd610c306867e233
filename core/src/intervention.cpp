#include "ce/core/intervention.h"

#include <algorithm>
#include <regex>

#include "attribution_util.h"
#include "ce/core/error.h"
#include "ce/core/threading.h"

namespace ce::core {

Intervention Intervention::parse(const std::string& text, Basis basis) {
  static const std::regex form(R"(^L?(\d+)/N?(\d+)(?:@(\d+))?=([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)$)");
  std::smatch m;
  if (!std::regex_match(text, m, form)) {
    throw Error("bad intervention '" + text + "' (expected LAYER/INDEX=FACTOR or LAYER/INDEX@POS=FACTOR, e.g. 2/117=0)");
  }
  Intervention iv;
  iv.basis = basis;
  try {
    iv.layer = std::stoi(m[1]);
    iv.index = std::stoi(m[2]);
    iv.pos = m[3].matched ? std::stoi(m[3]) : -1;
    iv.factor = std::stod(m[4]);
  } catch (const std::exception&) {
    throw Error("bad intervention '" + text + "': number out of range");
  }
  return iv;
}

void validate_interventions(const Model& model, const std::vector<Intervention>& ivs) {
  const ModelConfig& c = model.config();
  for (const Intervention& iv : ivs) {
    const int64_t w = basis_width(iv.basis, c);
    const std::string name = node_name(iv.layer, iv.index, iv.pos);
    if (iv.layer < 0 || iv.layer >= c.num_hidden_layers) {
      throw Error("intervention " + name + ": layer out of range (0.." + std::to_string(c.num_hidden_layers - 1) + ")");
    }
    if (iv.index < 0 || iv.index >= w) {
      throw Error("intervention " + name + ": index out of range for " + basis_name(iv.basis) + " (0.." +
                  std::to_string(w - 1) + ")");
    }
    if (iv.pos < -1) throw Error("intervention " + name + ": position must be >= 0");
    if (!std::isfinite(iv.factor)) throw Error("intervention " + name + ": factor must be finite");
  }
}

namespace {

// Applies the interventions at their sites; positions beyond the sequence are skipped.
HookFn intervention_hook(const std::vector<Intervention>& ivs) {
  return [&ivs](Site s, int layer, const torch::Tensor& x) {
    torch::Tensor y;
    for (const Intervention& iv : ivs) {
      if (iv.layer != layer || site_of(iv.basis) != s) continue;
      if (iv.pos >= x.size(1)) continue;
      if (!y.defined()) y = x.clone();  // [b, t, W]
      torch::Tensor col = y.select(2, iv.index);  // [b, t]
      torch::Tensor target = iv.pos < 0 ? col : col.select(1, iv.pos);
      if (iv.value) {
        target.fill_(*iv.value);
      } else {
        target.mul_(iv.factor);
      }
    }
    return y.defined() ? y : x;
  };
}

torch::Tensor row(const std::vector<int>& ids) {
  std::vector<int64_t> v(ids.begin(), ids.end());
  return torch::tensor(v, torch::kInt64).view({1, -1});  // [1, t]
}

torch::Tensor last_logits(const Model& model, const std::vector<int>& ids, const std::vector<Intervention>& ivs,
                          const JobControl* control) {
  if (ids.empty()) throw Error("empty token sequence");
  ForwardOptions o;
  o.logits = LogitsMode::Last;
  if (!ivs.empty()) o.hook = intervention_hook(ivs);
  if (control) o.hook = cancellable(*control, o.hook);
  return model.engine().forward(row(ids), o).logits[0][0];  // [vocab]
}

}  // namespace

std::vector<float> next_logits_with(const Model& model, const std::vector<int>& ids,
                                    const std::vector<Intervention>& ivs) {
  validate_interventions(model, ivs);
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  torch::Tensor l = last_logits(model, ids, ivs, nullptr).contiguous();
  return std::vector<float>(l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
}

std::vector<int> generate_with(const Model& model, const std::vector<int>& ids, int max_new_tokens,
                               const std::vector<Intervention>& ivs, const JobControl* control) {
  validate_interventions(model, ivs);
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  std::vector<int> seq = ids;
  std::vector<int> out;
  const int eos = model.tokenizer().eos_id();
  const std::vector<int64_t>& eos_ids = model.config().eos_token_ids;
  for (int i = 0; i < max_new_tokens; ++i) {
    // Full recompute per step keeps interventions (which may target any position) exact and simple.
    const int next = static_cast<int>(last_logits(model, seq, ivs, control).argmax().item<int64_t>());
    seq.push_back(next);
    out.push_back(next);
    if (control) control->report(static_cast<double>(i + 1) / max_new_tokens);
    if (next == eos || std::find(eos_ids.begin(), eos_ids.end(), next) != eos_ids.end()) break;
  }
  return out;
}

}  // namespace ce::core
