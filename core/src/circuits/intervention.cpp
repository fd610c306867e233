#include "ce/core/circuits/intervention.h"

#include <algorithm>
#include <regex>

#include "circuits/attribution_util.h"
#include "ce/core/base/error.h"
#include "ce/core/base/threading.h"
#include "engine/decode.h"

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

// The interventions of `layer` at `site` applied to x ([b, t, W]), whose row i is position first + i.
// Interventions at positions outside those rows are skipped: they apply when their position is computed.
torch::Tensor apply_interventions(const std::vector<Intervention>& ivs, Site s, int layer, int64_t first,
                                  const torch::Tensor& x) {
  torch::Tensor y;
  for (const Intervention& iv : ivs) {
    if (iv.layer != layer || site_of(iv.basis) != s) continue;
    const int64_t at = iv.pos - first;  // row of iv.pos in x
    if (iv.pos >= 0 && (at < 0 || at >= x.size(1))) continue;
    if (!y.defined()) y = x.clone();  // [b, t, W]
    torch::Tensor col = y.select(2, iv.index);  // [b, t]
    torch::Tensor target = iv.pos < 0 ? col : col.select(1, at);
    if (iv.value) {
      target.fill_(*iv.value);
    } else {
      target.mul_(iv.factor);
    }
  }
  return y.defined() ? y : x;
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
  HookFn edit;
  if (!ivs.empty()) {
    edit = [&ivs](Site s, int layer, const torch::Tensor& x) { return apply_interventions(ivs, s, layer, 0, x); };
  }
  o.hook = cancellable(control, edit);
  return engine_of(model).forward(row(ids), o).logits[0][0];  // [vocab]
}

}  // namespace

std::vector<float> next_logits_with(const Model& model, const std::vector<int>& ids,
                                    const std::vector<Intervention>& ivs) {
  validate_interventions(model, ivs);
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  torch::Tensor l = last_logits(model, ids, ivs, JobControl{}).to(torch::kCPU).contiguous();
  return std::vector<float>(l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
}

std::vector<int> generate_with(const Model& model, const std::vector<int>& ids, int max_new_tokens,
                               const std::vector<Intervention>& ivs, const JobControl& control, Decoding decoding) {
  validate_interventions(model, ivs);
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  DecodeOptions d;
  d.decoding = decoding;
  d.hook = [&ivs, &control](Site s, int layer, int64_t first, const torch::Tensor& x) {
    control.check();
    return ivs.empty() ? x : apply_interventions(ivs, s, layer, first, x);
  };
  d.stop_ids = model.config().eos_token_ids;
  d.stop_ids.push_back(model.tokenizer().eos_id());
  d.on_token = [&control, max_new_tokens](int n) { control.report(static_cast<double>(n) / max_new_tokens); };
  return greedy_decode(engine_of(model), ids, max_new_tokens, d);
}

}  // namespace ce::core
