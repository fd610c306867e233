#include "ce/core/circuits/intervention.h"

#include <algorithm>
#include <regex>

#include "circuits/attribution_util.h"
#include "circuits/basis_tap.h"
#include "ce/core/dictionaries/dictionary_set.h"
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
  const DictionarySet* shared = nullptr;
  for (const Intervention& iv : ivs) {
    const std::string name = node_name(iv.basis, iv.layer, iv.index, iv.pos);
    if (iv.basis == Basis::Features) {
      if (!iv.dictionaries) throw Error("intervention " + name + ": a feature needs its dictionaries (sae:PATH)");
      if (shared != nullptr && shared != iv.dictionaries.get()) {
        throw Error("intervention " + name + ": every feature intervention must use the same dictionaries");
      }
      shared = iv.dictionaries.get();
    }
    const int64_t w = iv.basis == Basis::Features ? iv.dictionaries->d_sae() + 1 : basis_width(iv.basis, c);
    if (iv.layer < 0 || iv.layer >= c.num_hidden_layers) {
      throw Error("intervention " + name + ": layer out of range (0.." + std::to_string(c.num_hidden_layers - 1) + ")");
    }
    if (iv.basis == Basis::Features && iv.dictionaries->at(iv.layer) == nullptr) {
      throw Error("intervention " + name + ": " + iv.dictionaries->path() + " has no dictionary at layer " +
                  std::to_string(iv.layer));
    }
    if (iv.index < 0 || iv.index >= w) {
      throw Error("intervention " + name + ": index out of range for " + basis_name(iv.basis) + " (0.." +
                  std::to_string(w - 1) + ")");
    }
    if (iv.pos < -1) throw Error("intervention " + name + ": position must be >= 0");
    if (iv.basis == Basis::Features && iv.index == w - 1 && iv.value) {
      throw Error("intervention " + name + ": an error node can be scaled, not set to a value");
    }
    if (!std::isfinite(iv.factor)) throw Error("intervention " + name + ": factor must be finite");
  }
}

namespace {

// One intervention applied to `y` ([b, t, W], cloned by the caller), whose row i is position first + i.
void apply_one(const Intervention& iv, int64_t first, torch::Tensor& y) {
  const int64_t at = iv.pos - first;  // row of iv.pos in y
  torch::Tensor target = iv.pos < 0 ? y : y.select(1, at);  // [b, t, W] or [b, W]
  target = target.select(-1, iv.index);
  if (iv.value) {
    target.fill_(*iv.value);
  } else {
    target.mul_(iv.factor);
  }
}

// Whether iv edits `layer` and has its position among the rows first.. of a [b, t, ..] tensor: interventions
// at positions outside those rows are skipped; they apply when their position is computed.
bool applies(const Intervention& iv, int layer, int64_t first, int64_t rows) {
  const int64_t at = iv.pos - first;
  return iv.layer == layer && (iv.pos < 0 || (at >= 0 && at < rows));
}

// The neuron-basis interventions of `layer` at `site` applied to x ([b, t, W]), row i = position first + i.
torch::Tensor apply_interventions(const std::vector<Intervention>& ivs, Site s, int layer, int64_t first,
                                  const torch::Tensor& x) {
  torch::Tensor y;
  for (const Intervention& iv : ivs) {
    if (iv.basis == Basis::Features || site_of(iv.basis) != s || !applies(iv, layer, first, x.size(1))) continue;
    if (!y.defined()) y = x.clone();  // [b, t, W]
    apply_one(iv, first, y);
  }
  return y.defined() ? y : x;
}

// The whole edit of one forward: neuron-basis interventions at their sites, feature interventions through
// the splices of their (one) dictionary set, where index d_sae scales the error vector. `first` is read
// at every call (row 0 of the tensors the hook sees is that position).
class Editor {
 public:
  Editor(const Model& model, const std::vector<Intervention>& ivs) : ivs_(ivs) {
    for (const Intervention& iv : ivs) {
      if (iv.basis == Basis::Features && !tap_) {
        tap_ = std::make_unique<BasisTap>(engine_of(model), Basis::Features, iv.dictionaries);
      }
    }
    if (tap_) {
      features_ = tap_->edit([this](LayerNodes& n) {
        bool act_copied = false, error_copied = false;  // clone once per call, only what is edited
        for (const Intervention& iv : ivs_) {
          if (iv.basis != Basis::Features || !applies(iv, n.layer, first_, n.act.size(1))) continue;
          if (!tap_->is_error(iv.index)) {
            if (!act_copied) n.act = n.act.clone();  // [b, t, F]
            act_copied = true;
            apply_one(iv, first_, n.act);
            continue;
          }
          if (!error_copied) n.error = n.error.clone();  // [b, t, d]
          error_copied = true;
          torch::Tensor rows = iv.pos < 0 ? n.error : n.error.select(1, iv.pos - first_);  // [b, t, d] or [b, d]
          if (iv.value) {
            rows.fill_(*iv.value);
          } else {
            rows.mul_(iv.factor);
          }
        }
      });
    }
  }
  torch::Tensor operator()(Site s, int layer, int64_t first, const torch::Tensor& x) {
    first_ = first;
    const torch::Tensor y = apply_interventions(ivs_, s, layer, first, x);
    return features_ ? features_(s, layer, y) : y;
  }

 private:
  const std::vector<Intervention>& ivs_;
  std::unique_ptr<BasisTap> tap_;
  HookFn features_;
  int64_t first_ = 0;
};

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
  auto editor = std::make_shared<Editor>(model, ivs);
  if (!ivs.empty()) {
    edit = [editor](Site s, int layer, const torch::Tensor& x) { return (*editor)(s, layer, 0, x); };
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
  Editor editor(model, ivs);
  d.hook = [&ivs, &control, &editor](Site s, int layer, int64_t first, const torch::Tensor& x) {
    control.check();
    return ivs.empty() ? x : editor(s, layer, first, x);
  };
  d.stop_ids = model.config().eos_token_ids;
  d.stop_ids.push_back(model.tokenizer().eos_id());
  d.on_token = [&control, max_new_tokens](int n) { control.report(static_cast<double>(n) / max_new_tokens); };
  return greedy_decode(engine_of(model), ids, max_new_tokens, d);
}

}  // namespace ce::core
