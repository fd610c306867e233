#include "ce/core/circuits/circuit_evaluator.h"

#include <algorithm>

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "circuits/attribution_util.h"
#include "circuits/basis_tap.h"
#include "ce/core/base/error.h"
#include "io/loader_util.h"
#include "ce/core/model/model.h"
#include "ce/core/base/threading.h"

namespace ce::core {

const char* ablation_name(Ablation a) { return a == Ablation::Mean ? "mean" : "zero"; }

Ablation parse_ablation(const std::string& name) {
  if (name == "mean") return Ablation::Mean;
  if (name == "zero") return Ablation::Zero;
  throw Error("unknown ablation '" + detail::printable(name, false, 60) + "' (expected mean or zero)");
}

std::vector<double> default_thresholds() {
  std::vector<double> t = {0.0};
  for (int i = 0; i < 30; ++i) t.push_back(std::pow(10.0, -6.0 + 6.0 * i / 29.0));
  return t;
}

struct CircuitEvaluator::Impl {
  const LlamaModel& engine;
  std::vector<AttributionExample> test;
  Basis basis;
  BasisTap tap;
  int L = 0;
  int64_t T = 0, W = 0, F = 0;  // F: features (or neurons); W = F, plus the error node for features
  torch::Tensor values;  // [L, T, W] ablation values, on the model's device (error column: the mean's norm)
  torch::Tensor error_values;  // [L, T, d] float64: the errors' ablation values (feature basis only)
  std::vector<float> values_vec;
  std::vector<std::vector<size_t>> batches;
  double m_full = 0, m_empty = 0;

  Impl(const Model& model, const std::vector<AttributionExample>& t, Basis b,
       std::shared_ptr<const DictionarySet> dicts)
      : engine(engine_of(model)), test(t), basis(b), tap(engine, b, std::move(dicts)) {}

  // Positions every test prompt shares, and with mean ablation every patch prompt ("<s> The" in the SVA
  // sets): there each prompt's nodes are their mean, so no ablation changes anything. Their keys and values
  // ([1, kv, prefix, hd] per layer) are computed once, and every pass runs the later positions only. 0: none
  // (zero ablation, or prompts that differ at once).
  int64_t prefix = 0;
  KvCache prefix_cache;
  // Without such a prefix: the clean run's layer inputs per test batch ([batch][layer] -> [b, t, d]),
  // recorded by the m_full pass when they fit in kResumeBytes; a pass whose first ablated layer is f starts
  // there from them. Empty: every pass starts at layer 0.
  std::vector<std::vector<torch::Tensor>> clean_resid;
  static constexpr int64_t kResumeBytes = int64_t{1} << 30;
  // Rows x positions x width of one stacked forward: its activations stay at 4 MB of float32, where
  // stacking has paid off the per-operation cost and the allocator still reuses freed blocks (larger ones
  // are fresh mappings whose page faults cost more than stacking saves: README, Performance).
  static constexpr int64_t kStackElements = int64_t{1} << 20;
  // A forward computes only the neurons its masks keep when they are at most 1/kSubsetShare of a layer's:
  // above that the products saved are few next to gathering weights and masks (a cautious bound, not tuned).
  static constexpr int64_t kSubsetShare = 2;

  // The first layer at which `keep` ([L, T, W] bool, on the host) ablates a node of a layer that has nodes,
  // among the first t positions; L when it ablates none.
  int first_ablated(const torch::Tensor& keep, int64_t t) const {
    for (int l = 0; l < L; ++l) {
      if (tap.has_layer(l) && !keep[l].narrow(0, 0, t).all().item<bool>()) return l;
    }
    return L;
  }

  // Mean metric over the test set for each mask of `keeps` ([L, T, W] bool on the host, true = kept; an
  // undefined mask keeps everything). Within a test batch, masks are stacked along the batch (rows
  // mask-major): one forward serves several circuits. With a shared prefix it runs the positions after it
  // from prefix_cache; without one, masks are grouped by their first ablated layer and a forward starts
  // there from the clean run's input (the layers below are the clean run's: nothing of theirs is ablated).
  // `record` (the m_full pass) receives that input. Cancellation is checked at every hook; progress goes to
  // `control` per forward.
  std::vector<double> metrics(const std::vector<torch::Tensor>& keeps, const JobControl& control,
                              std::vector<std::vector<torch::Tensor>>* record = nullptr) const {
    torch::NoGradGuard no_grad;
    std::vector<double> sums(keeps.size(), 0.0);
    const int64_t width = std::max({W, engine.config().hidden_size, engine.config().intermediate_size});
    if (record != nullptr) record->assign(batches.size(), {});
    size_t done = 0;
    const size_t total = batches.size() * keeps.size();
    for (size_t bi = 0; bi < batches.size(); ++bi) {
      const auto& idx = batches[bi];
      std::vector<const std::vector<int>*> rows;
      std::vector<int64_t> ans, con;
      for (size_t i : idx) {
        rows.push_back(&test[i].clean);
        ans.push_back(test[i].answer);
        con.push_back(test[i].contrast);
      }
      const torch::Tensor ids = ids_tensor(rows, engine.device());  // [b, t]
      const int64_t b = ids.size(0), t = ids.size(1);
      const torch::Tensor a = torch::tensor(ans, torch::kInt64).to(engine.device());  // [b]
      const torch::Tensor c = torch::tensor(con, torch::kInt64).to(engine.device());  // [b]
      // Masks by first ablated layer (L: nothing ablated, the clean run); one group of ablating masks where
      // passes do not resume from a layer.
      const bool can_resume = record == nullptr && !clean_resid.empty() && !clean_resid[bi].empty();
      std::map<int, std::vector<size_t>> by_first;
      for (size_t k = 0; k < keeps.size(); ++k) {
        const int fl = keeps[k].defined() ? first_ablated(keeps[k], t) : L;
        by_first[can_resume || fl == L ? fl : 0].push_back(k);
      }
      const int64_t p = record == nullptr ? prefix : 0;  // positions taken from prefix_cache
      const size_t per_forward =
          static_cast<size_t>(std::max<int64_t>(1, kStackElements / std::max<int64_t>(1, b * t * width)));
      // Masks of similar size share forwards: a forward computes the neurons any of its masks keeps, so a
      // small circuit stacked with a complement would compute them all.
      std::vector<int64_t> kept_count(keeps.size(), std::numeric_limits<int64_t>::max());  // undefined: all
      for (size_t k = 0; k < keeps.size(); ++k) {
        if (keeps[k].defined()) kept_count[k] = keeps[k].narrow(1, 0, t).sum().item<int64_t>();
      }
      for (auto& entry : by_first) {
        std::stable_sort(entry.second.begin(), entry.second.end(),
                         [&](size_t x, size_t y) { return kept_count[x] < kept_count[y]; });
      }
      for (const auto& [first_layer, members] : by_first) {
        const int f = can_resume ? std::min(first_layer, L - 1) : 0;
        for (size_t s = 0, e = 0; s < members.size(); s = e) {
          control.check();
          // Empty circuits run apart, so that m(∅) in a curve is computed as m_empty was: faithfulness 0.
          e = std::min(members.size(), s + per_forward);
          if (kept_count[members[s]] == 0) {
            e = static_cast<size_t>(std::find_if(members.begin() + static_cast<std::ptrdiff_t>(s),
                                                 members.begin() + static_cast<std::ptrdiff_t>(e),
                                                 [&](size_t k) { return kept_count[k] != 0; }) - members.begin());
          }
          const std::vector<size_t> group(members.begin() + static_cast<std::ptrdiff_t>(s),
                                          members.begin() + static_cast<std::ptrdiff_t>(e));
          const int64_t K = static_cast<int64_t>(group.size());
          // [K, L, t, W] kept nodes of the stacked masks, on the model's device; undefined = all kept.
          torch::Tensor keep;
          if (first_layer < L) {
            std::vector<torch::Tensor> parts;
            for (size_t k : group) parts.push_back(keeps[k].narrow(1, 0, t));
            keep = torch::stack(parts).to(engine.device());
          }
          ForwardOptions fo;
          fo.logits = LogitsMode::Last;
          KvCache cache;  // the shared prefix's keys and values, one row per stacked prompt
          if (p > 0) {
            cache = rows_cache(prefix_cache, p, K * b);
            fo.cache = &cache;
          } else if (f > 0) {
            fo.first_layer = f;
            fo.resid = clean_resid[bi][static_cast<size_t>(f)].repeat({K, 1, 1});  // [K*b, t, d]
          }
          auto save_resid = [&](Site site, int layer, const torch::Tensor& x) {
            if (record != nullptr && site == Site::ResidPre) (*record)[bi].push_back(x);
            return x;
          };
          fo.last_layer_last_position = true;
          // Neurons that no stacked mask keeps at any of a layer's positions hold their ablation values in
          // every row: the engine computes only the others (a circuit's few, in faithfulness passes).
          std::vector<torch::Tensor> subset(static_cast<size_t>(L));  // per layer: [s] computed, or undefined
          if (keep.defined() && basis == Basis::MlpAct) {
            fo.mlp_subset = [&](int l, int64_t tn) {
              const torch::Tensor kept =
                  keep.select(1, l).narrow(1, t - tn, tn).any(0).any(0).nonzero().view({-1});  // [s]
              MlpSubset sub;
              if (kept.size(0) <= F / kSubsetShare) {
                sub.index = kept;
                sub.fixed = values[l].narrow(0, t - tn, tn);  // [tn, F]
              }
              subset[static_cast<size_t>(l)] = sub.index;
              return sub;
            };
          }
          fo.hook = cancellable(control, tap.edit([&](LayerNodes& n) {
            if (!keep.defined()) return;
            // The last tn of the t positions: those after the prefix, and in the last layer the last one.
            const int64_t tn = n.act.size(1), p0 = t - tn;
            const torch::Tensor k = keep.select(1, n.layer).narrow(1, p0, tn).unsqueeze(1);  // [K, 1, tn, W]
            const torch::Tensor& idx = subset[static_cast<size_t>(n.layer)];
            if (idx.defined()) {  // n.act holds the subset's neurons only
              const int64_t s = idx.size(0);
              n.act = torch::where(k.index_select(3, idx), n.act.view({K, b, tn, s}),
                                   values[n.layer].narrow(0, p0, tn).index_select(1, idx))
                          .view({K * b, tn, s});  // [K*b, tn, s]
              return;
            }
            const torch::Tensor act = n.act.view({K, b, tn, F});
            n.act = torch::where(k.narrow(3, 0, F), act, values[n.layer].narrow(0, p0, tn).narrow(1, 0, F))
                        .view({K * b, tn, F});  // [K*b, tn, F]
            if (n.error.defined()) {
              const torch::Tensor e = n.error.view({K, b, tn, -1});
              n.error = torch::where(k.narrow(3, F, 1), e, error_values[n.layer].narrow(0, p0, tn))
                            .view({K * b, tn, -1});  // [K*b, tn, d]
            }
          }, save_resid));
          const torch::Tensor run = p > 0 ? ids.narrow(1, p, t - p) : ids;       // [b, t - p]
          const torch::Tensor stacked = K == 1 ? run : run.repeat({K, 1});  // [K*b, t - p]
          const torch::Tensor logits = engine.forward(stacked, fo).logits.squeeze(1);  // [K*b, vocab]
          const torch::Tensor m = metric_rows(logits, Metric::Diff, a.repeat({K}), c.repeat({K}), torch::Tensor())
                                      .view({K, b}).sum(1).to(torch::kCPU, torch::kFloat64);  // [K]
          for (int64_t k = 0; k < K; ++k) sums[group[static_cast<size_t>(k)]] += m[k].item<double>();
          done += group.size();
          control.report(static_cast<double>(done) / static_cast<double>(total), "ablation passes");
        }
      }
    }
    for (double& v : sums) v /= static_cast<double>(test.size());
    return sums;
  }
};

CircuitEvaluator::CircuitEvaluator(const Model& model, const std::vector<AttributionExample>& test, Basis basis,
                                   Ablation ablation, const JobControl& control)
    : CircuitEvaluator(model, test, basis, nullptr, ablation, control) {}

CircuitEvaluator::CircuitEvaluator(const Model& model, const std::vector<AttributionExample>& test, Basis basis,
                                   std::shared_ptr<const DictionarySet> dictionaries, Ablation ablation,
                                   const JobControl& control)
    : impl_(std::make_unique<Impl>(model, test, basis, std::move(dictionaries))) {
  if (test.empty()) throw Error("the test set is empty");
  for (const auto& e : test) {
    if (e.answer < 0 || e.contrast < 0) throw Error("every test example needs an answer and a contrast answer");
    if (ablation == Ablation::Mean && e.patch.size() != e.clean.size()) {
      throw Error("mean ablation needs a patch prompt of the clean prompt's length in every test example");
    }
  }
  ensure_compute_threads();
  Impl& I = *impl_;
  const ModelConfig& c = model.config();
  I.L = static_cast<int>(c.num_hidden_layers);
  I.W = I.tap.width();
  I.F = I.tap.features();
  for (const auto& e : test) I.T = std::max<int64_t>(I.T, static_cast<int64_t>(e.clean.size()));
  I.batches = length_batches(test, 64);
  I.values = torch::zeros({I.L, I.T, I.W}, I.engine.f32());  // [L, T, W]
  if (I.tap.has_error()) {
    I.error_values = torch::zeros({I.L, I.T, c.hidden_size}, I.engine.f32().dtype(torch::kFloat64));  // [L, T, d]
  }
  if (ablation == Ablation::Mean) {
    torch::NoGradGuard no_grad;
    torch::Tensor count = torch::zeros({I.T}, I.engine.f32());  // examples covering each position
    for (size_t k = 0; k < I.batches.size(); ++k) {
      control.check();
      std::vector<const std::vector<int>*> rows;
      for (size_t i : I.batches[k]) rows.push_back(&test[i].patch);
      torch::Tensor ids = ids_tensor(rows, I.engine.device());  // [b, t]
      const int64_t t = ids.size(1);
      ForwardOptions fo;
      fo.logits = LogitsMode::None;
      fo.hook = cancellable(control, I.tap.edit([&](LayerNodes& n) {
        I.values[n.layer].narrow(0, 0, t).narrow(1, 0, I.F).add_(n.act.sum(0));
        if (n.error.defined()) I.error_values[n.layer].narrow(0, 0, t).add_(n.error.sum(0));
      }));
      I.engine.forward(ids, fo);
      count.narrow(0, 0, t).add_(static_cast<double>(ids.size(0)));
      control.report(0.5 * static_cast<double>(k + 1) / static_cast<double>(I.batches.size()), "ablation means");
    }
    I.values /= count.clamp_min(1).view({1, I.T, 1});
    if (I.tap.has_error()) {
      I.error_values /= count.clamp_min(1).to(torch::kFloat64).view({1, I.T, 1});
      I.values.narrow(2, I.F, 1).copy_(BasisTap::error_norm(I.error_values));
    }
  }
  I.values = I.values.contiguous();
  const torch::Tensor host = I.values.to(torch::kCPU);
  I.values_vec.assign(host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
  if (ablation == Ablation::Mean) {
    std::vector<const std::vector<int>*> rows;
    for (const auto& e : test) rows.insert(rows.end(), {&e.clean, &e.patch});
    I.prefix = shared_prefix(rows);
    const size_t shared = static_cast<size_t>(I.prefix);
    if (I.prefix > 0) {
      torch::NoGradGuard no_grad;
      const std::vector<int> head(test[0].clean.begin(), test[0].clean.begin() + static_cast<std::ptrdiff_t>(shared));
      ForwardOptions fo;
      fo.logits = LogitsMode::None;
      fo.cache = &I.prefix_cache;
      fo.hook = cancellable(control, HookFn());
      I.engine.forward(ids_tensor({&head}, I.engine.device()), fo);
    }
  }
  int64_t resid_bytes = 0;
  for (const auto& idx : I.batches) {
    resid_bytes += static_cast<int64_t>(idx.size()) * static_cast<int64_t>(test[idx[0]].clean.size()) *
                   c.hidden_size * I.L * 4;
  }
  const bool record = I.prefix == 0 && resid_bytes <= Impl::kResumeBytes;
  I.m_full = I.metrics({torch::Tensor()}, control, record ? &I.clean_resid : nullptr)[0];
  I.m_empty = I.metrics({torch::zeros({I.L, I.T, I.W}, torch::kBool)}, control)[0];
  control.report(1.0, "baselines");
}

CircuitEvaluator::~CircuitEvaluator() = default;

double CircuitEvaluator::m_full() const { return impl_->m_full; }
double CircuitEvaluator::m_empty() const { return impl_->m_empty; }
const std::vector<float>& CircuitEvaluator::ablation_values() const { return impl_->values_vec; }
int CircuitEvaluator::positions() const { return static_cast<int>(impl_->T); }
int CircuitEvaluator::width() const { return static_cast<int>(impl_->W); }

double normalized_metric(double m, double m_empty, double m_full) { return (m - m_empty) / (m_full - m_empty); }

std::string curves_csv(const std::vector<LabelledCurve>& curves) {
  std::string out = "method,basis,ablation,threshold,nodes,faithfulness,completeness,m_circuit,m_complement\n";
  char buf[512];
  for (const LabelledCurve& c : curves) {
    if (c.curve == nullptr) continue;
    std::string basis = basis_name(c.basis);
    if (c.basis == Basis::Features && !c.dictionaries.empty()) {
      basis += ":" + c.dictionaries;
      std::replace(basis.begin(), basis.end(), ',', '_');
    }
    if (basis.size() > 200) basis.resize(200);  // the row buffer's bound; a set's name is far shorter
    for (const CurvePoint& p : c.curve->points) {
      std::snprintf(buf, sizeof buf, "%s,%s,%s,%.8g,%d,%.8g,%.8g,%.8g,%.8g\n", method_name(c.method),
                    basis.c_str(), ablation_name(c.ablation), p.threshold, p.nodes, p.faithfulness,
                    p.completeness, p.m_circuit, p.m_complement);
      out += buf;
    }
  }
  return out;
}

std::vector<CurveRecord> parse_curves_csv(const std::string& text, const std::string& source) {
  static const char* kColumns[] = {"method",       "basis",        "ablation",  "threshold", "nodes",
                                   "faithfulness", "completeness", "m_circuit", "m_complement"};
  auto cells = [](const std::string& line) {
    std::vector<std::string> out(1);
    for (char c : line) {
      if (c == ',') {
        out.emplace_back();
      } else if (c != '\r') {
        out.back() += c;
      }
    }
    return out;
  };
  size_t at = 0;
  auto next_line = [&](std::string& line) {
    if (at >= text.size()) return false;
    const size_t end = std::min(text.find('\n', at), text.size());
    line = text.substr(at, end - at);
    at = end + 1;
    return true;
  };
  std::string line;
  if (!next_line(line) || cells(line) == std::vector<std::string>{""}) throw Error(source + ": empty file");
  const std::vector<std::string> head = cells(line);
  bool ok = head.size() == 7 || head.size() == 9;
  for (size_t i = 0; ok && i < head.size(); ++i) ok = head[i] == kColumns[i];
  if (!ok) {
    std::string shown = line.substr(0, 120);
    if (!shown.empty() && shown.back() == '\r') shown.pop_back();
    throw Error(source + ": line 1: the header is '" + shown +
                "', expected 'method,basis,ablation,threshold,nodes,faithfulness,completeness[,m_circuit,"
                "m_complement]' (the CSV of circuit-trace evaluate --csv or the explorer's Export Curves)");
  }
  std::vector<CurveRecord> out;
  for (size_t row = 2; next_line(line); ++row) {
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> v = cells(line);
    const std::string where = source + ": line " + std::to_string(row) + ": ";
    if (v.size() != head.size())
      throw Error(where + std::to_string(v.size()) + " values, expected " + std::to_string(head.size()));
    double x[9] = {};
    for (size_t i = 3; i < v.size(); ++i) {
      size_t used = 0;
      try {
        x[i] = std::stod(v[i], &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != v[i].size() || !std::isfinite(x[i]))
        throw Error(where + "'" + v[i].substr(0, 40) + "' is not a number");
    }
    CurveRecord key;
    try {
      key.method = parse_method(v[0]);
      const size_t colon = v[1].find(':');
      key.basis = parse_basis(v[1].substr(0, colon));
      if (colon != std::string::npos) {
        if (key.basis != Basis::Features) throw Error("basis '" + v[1].substr(0, 60) + "': only sae takes a name");
        key.dictionaries = v[1].substr(colon + 1);
      }
      key.ablation = parse_ablation(v[2]);
    } catch (const Error& e) {
      throw Error(where + e.what());
    }
    auto it = std::find_if(out.begin(), out.end(), [&](const CurveRecord& r) {
      return r.method == key.method && r.basis == key.basis && r.dictionaries == key.dictionaries &&
             r.ablation == key.ablation;
    });
    if (it == out.end()) it = out.insert(out.end(), key);
    CurvePoint p;
    p.threshold = x[3];
    p.nodes = static_cast<int>(x[4]);
    p.faithfulness = x[5];
    p.completeness = x[6];
    p.m_circuit = x[7];
    p.m_complement = x[8];
    it->curve.points.push_back(p);
  }
  if (out.empty()) throw Error(source + ": no curve points");
  return out;
}

namespace {
// A keep mask in AttributionResult's layout as a host tensor [L, T, W] bool; Error on a wrong size.
torch::Tensor mask_tensor(const std::vector<bool>& keep, int64_t L, int64_t T, int64_t W, const char* who) {
  if (keep.size() != static_cast<size_t>(L * T * W)) throw Error(std::string(who) + ": keep mask has the wrong size");
  torch::Tensor k = torch::empty({L, T, W}, torch::kBool);
  bool* p = k.data_ptr<bool>();
  for (size_t i = 0; i < keep.size(); ++i) p[i] = keep[i];
  return k;
}
}  // namespace

CurvePoint CircuitEvaluator::score(const std::vector<bool>& keep, const JobControl& control) const {
  const Impl& I = *impl_;
  const torch::Tensor k = mask_tensor(keep, I.L, I.T, I.W, "metric_with");
  const std::vector<double> m = I.metrics({k, k.logical_not()}, control);
  CurvePoint p;
  p.threshold = -1;
  p.nodes = static_cast<int>(std::count(keep.begin(), keep.end(), true));
  p.m_circuit = m[0];
  p.m_complement = m[1];
  p.faithfulness = normalized_metric(p.m_circuit, I.m_empty, I.m_full);
  p.completeness = normalized_metric(p.m_complement, I.m_empty, I.m_full);
  return p;
}

double CircuitEvaluator::metric_with(const std::vector<bool>& keep, const JobControl& control) const {
  const Impl& I = *impl_;
  return I.metrics({mask_tensor(keep, I.L, I.T, I.W, "metric_with")}, control)[0];
}

CurveResult CircuitEvaluator::curve(const AttributionResult& effects, const std::vector<double>& thresholds,
                                    const std::vector<int>& counts, const JobControl& control) const {
  const Impl& I = *impl_;
  if (effects.basis != I.basis) throw Error("the effects are of another basis than the evaluator's");
  if (effects.layers != I.L || effects.width != I.W) throw Error("the effects do not fit this model");
  CurveResult out;
  out.m_full = I.m_full;
  out.m_empty = I.m_empty;
  out.test_examples = static_cast<int>(I.test.size());
  // |effect| aligned with the test positions: [L, T, W]; test positions the effects lack score -1 (never kept).
  torch::Tensor mag = torch::full({I.L, I.T, I.W}, -1.0f);
  const int64_t P = std::min<int64_t>(I.T, effects.positions);
  torch::Tensor e = torch::from_blob(const_cast<float*>(effects.effect.data()),
                                     {effects.layers, effects.positions, effects.width}, torch::kFloat32);
  mag.narrow(1, 0, P).copy_(e.narrow(1, 0, P).abs());
  for (int l = 0; l < I.L; ++l) {
    if (!I.tap.has_layer(l)) mag[l].fill_(-1.0f);  // no nodes there (feature basis): never in a circuit
  }
  struct Spec {
    double threshold;
    torch::Tensor circuit;  // [L, T, W] bool
  };
  std::vector<Spec> specs;
  for (double t : thresholds) specs.push_back({t, mag > t});
  if (!counts.empty()) {
    torch::Tensor flat = mag.reshape({-1});
    torch::Tensor order = std::get<1>(flat.sort(0, /*descending=*/true));  // [L*T*W]
    for (int n : counts) {
      torch::Tensor c = torch::zeros({flat.numel()}, torch::kBool);
      const int64_t k = std::min<int64_t>(std::max(0, n), (flat >= 0).sum().item<int64_t>());
      if (k > 0) c.index_fill_(0, order.narrow(0, 0, k), true);
      specs.push_back({-1.0, c.view({I.L, I.T, I.W})});
    }
  }
  // Every circuit and complement in one call, so that passes share forwards (Impl::metrics).
  std::vector<torch::Tensor> keeps;
  for (const Spec& s : specs) {
    keeps.push_back(s.circuit);
    keeps.push_back(s.circuit.logical_not());
  }
  const std::vector<double> m = I.metrics(keeps, control);
  for (size_t i = 0; i < specs.size(); ++i) {
    CurvePoint p;
    p.threshold = specs[i].threshold;
    p.nodes = static_cast<int>(specs[i].circuit.sum().item<int64_t>());
    p.m_circuit = m[2 * i];
    p.m_complement = m[2 * i + 1];
    p.faithfulness = normalized_metric(p.m_circuit, I.m_empty, I.m_full);
    p.completeness = normalized_metric(p.m_complement, I.m_empty, I.m_full);
    out.points.push_back(p);
  }
  control.report(1.0, "curve");
  return out;
}

}  // namespace ce::core
