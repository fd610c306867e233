#include "ce/core/prompt_sets/sweep.h"

#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "circuits/attribution_util.h"
#include "circuits/basis_tap.h"
#include "ce/core/base/error.h"
#include "ce/core/base/threading.h"
#include "ce/core/model/model.h"

namespace ce::core {

namespace {

// (layer -> columns of the tap's nodes) of a neuron list, checked against the model (and its dictionaries).
std::map<int, std::vector<int64_t>> by_layer(const Model& model, const BasisTap& tap,
                                             const std::vector<std::pair<int, int>>& neurons) {
  const int64_t L = model.config().num_hidden_layers, W = tap.width();
  std::map<int, std::vector<int64_t>> out;
  for (const auto& [l, i] : neurons) {
    const std::string name = (tap.has_error() ? "feature " : "neuron ") + node_name(tap.basis(), l, i);
    if (l < 0 || l >= L || i < 0 || i >= W) {
      throw Error("sweep: " + name + " is outside the model (layers 0.." + std::to_string(L - 1) +
                  (tap.has_error() ? ", features 0.." : ", neurons 0..") + std::to_string(W - 1) + ")");
    }
    if (!tap.has_layer(l)) throw Error("sweep: " + name + ": the dictionaries have no layer " + std::to_string(l));
    out[l].push_back(i);
  }
  return out;
}

// One layer's columns of the group or of the ablated set, on the model's device once rather than at every hook
// call: the node columns below F, and whether the error node (index F) is among them.
struct Columns {
  torch::Tensor cols;  // [n] int64
  bool error = false;
};
std::map<int, Columns> columns_of(const std::map<int, std::vector<int64_t>>& layers, int64_t F,
                                  const torch::Device& device) {
  std::map<int, Columns> out;
  for (const auto& [l, all] : layers) {
    std::vector<int64_t> cols;
    for (int64_t i : all) {
      if (i < F) {
        cols.push_back(i);
      } else {
        out[l].error = true;
      }
    }
    out[l].cols = torch::tensor(cols, torch::kInt64).to(device);
  }
  return out;
}

}  // namespace

SweepResult sweep(const Model& model, const PromptSet& set, const std::vector<std::pair<int, int>>& neurons,
                  const SweepOptions& o, const JobControl& control) {
  if (set.prompts.empty()) throw Error("sweep: the prompt set has no prompts");
  if (neurons.empty()) throw Error("sweep: no neurons to steer");
  if (o.multipliers.empty()) throw Error("sweep: no multipliers");
  for (double m : o.multipliers) {
    if (!std::isfinite(m)) throw Error("sweep: multipliers must be finite numbers");
  }
  if (o.batch < 1) throw Error("sweep: batch must be >= 1");
  if (o.basis != Basis::MlpAct && o.basis != Basis::Features) {
    throw Error(std::string("sweep: steers mlp_act neurons or sae features, not ") + basis_name(o.basis));
  }
  const LlamaModel& engine = engine_of(model);
  const BasisTap tap(engine, o.basis, o.basis == Basis::Features ? o.dictionaries : nullptr);
  const auto group = by_layer(model, tap, neurons), ablate = by_layer(model, tap, o.ablate);
  const Tokenizer& tok = model.tokenizer();
  const bool bos = tok.default_add_bos();
  const size_t P = set.prompts.size();

  // Answer classes: per column the prompt's own value's first token, and the set of every value's first token.
  SweepResult r;
  r.multipliers = o.multipliers;
  r.prompts = static_cast<int>(P);
  std::vector<std::vector<int>> own;               // [column][prompt] token id
  std::vector<std::vector<int64_t>> any;           // [column] distinct token ids
  for (const std::string& c : o.columns) {
    const std::vector<std::string> values = label_values(set, c);
    std::vector<int> ids;
    std::set<int64_t> distinct;
    for (size_t i = 0; i < P; ++i) {
      ids.push_back(first_answer_token(tok, bos, set.prompts[i].prompt, values[i]));
      distinct.insert(ids.back());
    }
    own.push_back(std::move(ids));
    any.emplace_back(distinct.begin(), distinct.end());
    r.classes.push_back(c);
    r.classes.push_back("any " + c);
  }
  const size_t C = r.classes.size(), M = o.multipliers.size();
  r.probability.assign(C, std::vector<double>(M, 0.0));
  r.top1.assign(C, std::vector<double>(M, 0.0));

  std::vector<AttributionExample> rows(P);  // only the ids, to reuse the length batching
  for (size_t i = 0; i < P; ++i) {
    rows[i].clean = prompt_ids(tok, set.prompts[i].prompt, o.format);
    if (rows[i].clean.empty()) throw Error("sweep: prompt " + std::to_string(i + 1) + " is empty");
  }
  const auto batches = length_batches(rows, o.batch);
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  // Layers below the first edited one compute the same thing at every multiplier: run them once per batch.
  int first = group.begin()->first;
  if (!ablate.empty()) first = std::min(first, ablate.begin()->first);
  const std::map<int, Columns> group_idx = columns_of(group, tap.features(), engine.device()),
                              ablate_idx = columns_of(ablate, tap.features(), engine.device());
  double mult = 1;
  const HookFn edit = tap.edit([&](LayerNodes& n) {
    auto g = group_idx.find(n.layer);
    auto a = ablate_idx.find(n.layer);
    if (g == group_idx.end() && a == ablate_idx.end()) return;
    const torch::Tensor x = n.act;  // [b, t, F]
    torch::Tensor y = x.clone();
    if (a != ablate_idx.end()) {
      y.index_fill_(2, a->second.cols, 0.0);
      if (a->second.error) n.error = torch::zeros_like(n.error);
    }
    if (g != group_idx.end()) {
      y.index_copy_(2, g->second.cols, x.index_select(2, g->second.cols) * mult);
      if (g->second.error) n.error = n.error * mult;
    }
    n.act = y;
  });
  std::vector<torch::Tensor> any_t;  // [column] [n] int64 on the model's device
  for (const auto& a : any) any_t.push_back(torch::tensor(a, torch::kInt64).to(engine.device()));
  for (size_t bi = 0; bi < batches.size(); ++bi) {
    const std::vector<size_t>& idx = batches[bi];
    std::vector<const std::vector<int>*> ids;
    for (size_t i : idx) ids.push_back(&rows[i].clean);
    const torch::Tensor tokens = ids_tensor(ids, engine.device());  // [b, t]
    std::vector<torch::Tensor> own_t;  // [column] [b, 1] int64 on the model's device
    for (size_t c = 0; c < own.size(); ++c) {
      std::vector<int64_t> own_c;
      for (size_t i : idx) own_c.push_back(own[c][i]);
      own_t.push_back(torch::tensor(own_c, torch::kInt64).unsqueeze(1).to(engine.device()));
    }
    torch::Tensor resid;                           // [b, t, d] input of layer `first`
    ForwardOptions head;
    head.logits = LogitsMode::None;
    head.hook = cancellable(control, [&](Site s, int l, const torch::Tensor& x) {
      if (s == Site::ResidPre && l == first) resid = x;
      return x;
    });
    if (first > 0) engine.forward(tokens, head);
    for (size_t k = 0; k < M; ++k) {
      mult = o.multipliers[k];
      ForwardOptions fo;
      fo.logits = LogitsMode::Last;
      fo.hook = cancellable(control, edit);
      if (first > 0) {
        fo.first_layer = first;
        fo.resid = resid;
      }
      torch::Tensor probs = torch::softmax(engine.forward(tokens, fo).logits.squeeze(1), -1);  // [b, vocab]
      torch::Tensor top = probs.argmax(-1, true);                                              // [b, 1]
      // Four sums per column, copied to the host together (one sync per multiplier, not four per column).
      std::vector<torch::Tensor> sums;
      for (size_t c = 0; c < own.size(); ++c) {
        sums.push_back(probs.gather(1, own_t[c]).sum().to(torch::kFloat64));
        sums.push_back(probs.index_select(1, any_t[c]).sum().to(torch::kFloat64));
        sums.push_back(top.eq(own_t[c]).sum().to(torch::kFloat64));
        sums.push_back(top.eq(any_t[c].unsqueeze(0)).any(1).sum().to(torch::kFloat64));
      }
      if (!sums.empty()) {
        const torch::Tensor h = torch::stack(sums).to(torch::kCPU).contiguous();  // [4 * columns] float64
        const double* v = h.data_ptr<double>();
        for (size_t c = 0; c < own.size(); ++c) {
          r.probability[2 * c][k] += v[4 * c];
          r.probability[2 * c + 1][k] += v[4 * c + 1];
          r.top1[2 * c][k] += v[4 * c + 2];
          r.top1[2 * c + 1][k] += v[4 * c + 3];
        }
      }
      control.report(static_cast<double>(bi * M + k + 1) / static_cast<double>(batches.size() * M), "sweep");
    }
  }
  for (size_t c = 0; c < C; ++c) {
    for (size_t k = 0; k < M; ++k) {
      r.probability[c][k] /= static_cast<double>(P);
      r.top1[c][k] /= static_cast<double>(P);
    }
  }
  return r;
}

std::string sweep_csv(const SweepResult& r) {
  std::ostringstream out;
  out.precision(9);
  out << "multiplier";
  for (const std::string& c : r.classes) out << "," << c << " p";
  for (const std::string& c : r.classes) out << "," << c << " top1";
  out << ",prompts\n";
  for (size_t k = 0; k < r.multipliers.size(); ++k) {
    out << r.multipliers[k];
    for (const auto& v : r.probability) out << "," << v[k];
    for (const auto& v : r.top1) out << "," << v[k];
    out << "," << r.prompts << "\n";
  }
  return out.str();
}

SweepResult parse_sweep_csv(const std::string& text, const std::string& name) {
  auto cells = [](const std::string& line) {
    std::vector<std::string> out;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) out.push_back(cell);
    if (!line.empty() && line.back() == ',') out.emplace_back();
    return out;
  };
  std::stringstream in(text);
  std::string line;
  if (!std::getline(in, line)) throw Error(name + ": empty sweep CSV");
  const std::vector<std::string> head = cells(line);
  const auto ends = [](const std::string& s, const std::string& tail) {
    return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  const size_t C = head.size() >= 2 ? (head.size() - 2) / 2 : 0;
  bool ok = C > 0 && head.size() == 2 * C + 2 && head.front() == "multiplier" && head.back() == "prompts";
  SweepResult r;
  for (size_t c = 0; ok && c < C; ++c) {
    ok = ends(head[1 + c], " p") && head[1 + C + c] == head[1 + c].substr(0, head[1 + c].size() - 2) + " top1";
    if (ok) r.classes.push_back(head[1 + c].substr(0, head[1 + c].size() - 2));
  }
  if (!ok) throw Error(name + ": not a sweep CSV (expected multiplier,<class> p,...,<class> top1,...,prompts)");
  r.probability.assign(C, {});
  r.top1.assign(C, {});
  for (size_t row = 2; std::getline(in, line); ++row) {
    if (line.empty()) continue;
    const std::vector<std::string> v = cells(line);
    const std::string where = name + ":" + std::to_string(row);
    if (v.size() != head.size()) throw Error(where + ": " + std::to_string(v.size()) + " values, expected " + std::to_string(head.size()));
    std::vector<double> x;
    for (const std::string& cell : v) {
      size_t used = 0;
      double d = 0;
      try {
        d = std::stod(cell, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != cell.size() || !std::isfinite(d)) throw Error(where + ": '" + cell.substr(0, 40) + "' is not a number");
      x.push_back(d);
    }
    r.multipliers.push_back(x[0]);
    for (size_t c = 0; c < C; ++c) {
      r.probability[c].push_back(x[1 + c]);
      r.top1[c].push_back(x[1 + C + c]);
    }
    r.prompts = static_cast<int>(x.back());
  }
  if (r.multipliers.empty()) throw Error(name + ": the sweep CSV has no rows");
  return r;
}

}  // namespace ce::core
