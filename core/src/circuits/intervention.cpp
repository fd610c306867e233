#include "ce/core/circuits/intervention.h"

#include <algorithm>
#include <regex>

#include "circuits/attribution_util.h"
#include "ce/core/base/error.h"
#include "ce/core/base/threading.h"

namespace ce::core {

Intervention Intervention::parse(const std::string& text, Basis basis) {
  static const std::regex number(R"(^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$)");
  const std::string shown = text.size() <= 60 ? text : text.substr(0, 57) + "...";
  const auto bad = [&](const std::string& why) {
    return Error("bad intervention '" + shown + "'" + why);
  };
  const size_t eq = text.find('=');
  if (eq == std::string::npos || !std::regex_match(text.substr(eq + 1), number)) {
    throw bad(" (expected LAYER/INDEX=FACTOR or LAYER/INDEX@POS=FACTOR, e.g. 2/117=0)");
  }
  Intervention iv;
  iv.basis = basis;
  try {
    const NodeRef node = parse_node_name(text.substr(0, eq));
    iv.layer = node.layer;
    iv.index = node.index;
    iv.pos = node.pos;
  } catch (const Error&) {
    throw bad(" (expected LAYER/INDEX=FACTOR or LAYER/INDEX@POS=FACTOR, e.g. 2/117=0)");
  }
  try {
    iv.factor = std::stod(text.substr(eq + 1));
  } catch (const std::exception&) {
    throw bad(": number out of range");
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
                          const JobControl& control) {
  if (ids.empty()) throw Error("empty token sequence");
  ForwardOptions o;
  o.logits = LogitsMode::Last;
  if (!ivs.empty()) o.hook = intervention_hook(ivs);
  o.hook = cancellable(control, o.hook);
  return engine_of(model).forward(row(ids), o).logits[0][0];  // [vocab]
}

}  // namespace

std::vector<float> next_logits_with(const Model& model, const std::vector<int>& ids,
                                    const std::vector<Intervention>& ivs) {
  validate_interventions(model, ivs);
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  torch::Tensor l = last_logits(model, ids, ivs, JobControl{}).contiguous();
  return std::vector<float>(l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
}

std::vector<int> generate_with(const Model& model, const std::vector<int>& ids, int max_new_tokens,
                               const std::vector<Intervention>& ivs, const JobControl& control) {
  validate_interventions(model, ivs);
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  std::vector<int> seq = ids;
  std::vector<int> out;
  const int eos = model.tokenizer().eos_id();
  const std::vector<int64_t>& eos_ids = model.config().eos_token_ids;
  for (int i = 0; i < max_new_tokens; ++i) {
    // A continuation stops where the context ends; only a prompt already past it is an error (the forward's).
    if (i > 0 && !fits_context(model.config(), static_cast<int64_t>(seq.size()))) break;
    // Full recompute per step keeps interventions (which may target any position) exact and simple.
    const int next = static_cast<int>(last_logits(model, seq, ivs, control).argmax().item<int64_t>());
    seq.push_back(next);
    out.push_back(next);
    control.report(static_cast<double>(i + 1) / max_new_tokens);
    if (next == eos || std::find(eos_ids.begin(), eos_ids.end(), next) != eos_ids.end()) break;
  }
  return out;
}

}  // namespace ce::core
