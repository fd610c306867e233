#include "ce/core/prompt_sets/set_trace.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "circuits/attribution_util.h"
#include "circuits/basis_tap.h"
#include "ce/core/base/error.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "io/loader_util.h"
#include "ce/core/base/threading.h"
#include "ce/core/model/model.h"

namespace ce::core {

const char* set_baseline_name(SetBaseline baseline) { return baseline == SetBaseline::Zero ? "zero" : "patch"; }

SetBaseline parse_set_baseline(const std::string& name) {
  if (name == "zero") return SetBaseline::Zero;
  if (name == "patch") return SetBaseline::Patch;
  throw Error("unknown baseline '" + detail::printable(name, false, 60) + "' (expected zero or patch)");
}

int SetTrace::neuron_of(int layer, int index) const {
  auto it = std::lower_bound(neurons.begin(), neurons.end(), std::make_pair(layer, index),
                             [](const SetNeuron& n, const std::pair<int, int>& k) {
                               return std::make_pair(n.layer, n.index) < k;
                             });
  return it != neurons.end() && it->layer == layer && it->index == index ? static_cast<int>(it - neurons.begin()) : -1;
}

std::string SetTrace::name_of(size_t k) const {
  const SetNeuron& n = neurons.at(k);
  return node_name(options.basis, n.layer, n.index);
}

std::string SetTrace::display_name_of(size_t k) const {
  const SetNeuron& n = neurons.at(k);
  return display_name(options.basis, n.layer, n.index, error_index());
}

std::shared_ptr<const DictionarySet> check_traced_on(const SetTrace& trace, const Model& model,
                                                     const std::string& path) {
  const ModelInfo info = model.info();
  if (trace.options.basis != Basis::Features) {
    if (trace.layers != info.layers || trace.width != info.d_mlp) {
      throw Error(path + ": traced on a model of " + std::to_string(trace.layers) + " layers x " +
                  std::to_string(trace.width) + " MLP neurons, not this one's " + std::to_string(info.layers) +
                  " x " + std::to_string(info.d_mlp) + " (give the model it was traced on)");
    }
    return nullptr;
  }
  if (trace.layers != info.layers) {
    throw Error(path + ": traced on a model of " + std::to_string(trace.layers) + " layers, not this one's " +
                std::to_string(info.layers) + " (give the model it was traced on)");
  }
  // The folder as traced, else a set of the same name shipped beside this model (a trace moved with its model).
  std::string folder = trace.dictionaries;
  try {
    folder = DictionarySet::resolve(trace.dictionaries, model.dir());
  } catch (const Error&) {
    const std::string name = trace.dictionaries.substr(trace.dictionaries.find_last_of('/') + 1);
    try {
      folder = DictionarySet::resolve(name, model.dir());
    } catch (const Error&) {
      throw Error(path + ": traced with the features of " + trace.dictionaries +
                  ", which is not there (nor a set of that name beside the model)");
    }
  }
  std::shared_ptr<const DictionarySet> set = DictionarySet::load(folder, model.config());
  if (set->fingerprint() != trace.dictionaries_fingerprint || set->d_sae() + 1 != trace.width) {
    throw Error(path + ": traced with the features of " + trace.dictionaries + ", which " + folder +
                " no longer holds (its encoders or width differ): trace the set again");
  }
  return set;
}

namespace {

void check_options(const SetTraceOptions& o) {
  if (o.method == Method::Exact) throw Error("trace-set: use relp, atp or ig (exact patching of a whole set is too slow)");
  if (!(o.keep >= 0 && o.keep <= 1)) throw Error("trace-set: the keep fraction must be in [0, 1]");
  if (o.edge_targets < 0) throw Error("trace-set: edge targets must be >= 0");
  if (o.batch < 1) throw Error("trace-set: batch must be >= 1");
  if (o.basis != Basis::MlpAct && o.basis != Basis::Features) {
    throw Error(std::string("trace-set: traces the mlp_act or sae basis, not ") + basis_name(o.basis));
  }
  if (o.basis == Basis::Features && !o.dictionaries) throw Error("trace-set: the sae basis needs its dictionaries");
}

std::vector<AttributionExample> make_examples(const Tokenizer& tok, const PromptSet& set, const SetTraceOptions& o) {
  std::vector<AttributionExample> out;
  out.reserve(set.prompts.size());
  for (size_t i = 0; i < set.prompts.size(); ++i) {
    const LabelledPrompt& p = set.prompts[i];
    const std::string where = set.path + ": prompt " + std::to_string(i + 1);
    const bool needs_answer = o.target != Metric::TopK, needs_contrast = o.target == Metric::Diff;
    if (needs_answer && p.answer.empty()) {
      throw Error(where + " has no \"answer\", which the " + metric_name(o.target) + " target needs");
    }
    if (needs_contrast && p.contrast.empty()) throw Error(where + " has no \"contrast\", which the diff target needs");
    if (o.baseline == SetBaseline::Patch && p.patch_prompt.empty()) {
      throw Error(where + " has no \"patch_prompt\", which the patch baseline needs");
    }
    try {
      out.push_back(make_example(tok, p.prompt, needs_answer ? p.answer : "", needs_contrast ? p.contrast : "",
                                 o.baseline == SetBaseline::Patch ? p.patch_prompt : "", o.format));
    } catch (const Cancelled&) {
      throw;
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
  }
  return out;
}

// Pass 2 of the trace over one batch of equal-length prompts: per-position RelP effects and activations of the
// kept neurons, then edges between them with every layer's nodes cut from the backward path (as compute_edges).
// A feature basis' error nodes are sources only (their score is the gradient · the error vector): they have no
// scalar value to be a target.
class EdgePass {
 public:
  EdgePass(const Model& model, SetTrace& trace, const std::vector<int>& targets,
           std::map<std::pair<int, int>, std::vector<float>>& pair_scores)
      : model_(model),
        engine_(engine_of(model)),
        tap_(engine_, trace.options.basis, trace.options.dictionaries),
        trace_(trace),
        targets_(targets),
        pairs_(pair_scores) {}

  void run(const std::vector<AttributionExample>& all, const std::vector<size_t>& rows, const AttributionOptions& relp,
           const JobControl& control) {
    const int L = trace_.layers, W = trace_.width;
    std::vector<AttributionExample> batch;
    for (size_t r : rows) batch.push_back(all[r]);
    const int64_t b = static_cast<int64_t>(rows.size()), t = static_cast<int64_t>(batch.front().clean.size());
    effect_ = torch::zeros({b, L, t, W}, torch::kFloat32);  // [b, L, t, W] RelP effects, this batch
    attribute(model_, batch, relp, control.sub(0, 0.3),
              [&](size_t e, int positions, const float* effect, const float* activation, double) {
                effect_[static_cast<int64_t>(e)].copy_(torch::from_blob(const_cast<float*>(effect), {L, positions, W}));
                for (size_t k = 0; k < trace_.neurons.size(); ++k) {
                  SetNeuron& n = trace_.neurons[k];
                  std::vector<float>& row = n.activation[rows[e]];
                  row.resize(static_cast<size_t>(positions));
                  for (int p = 0; p < positions; ++p)
                    row[static_cast<size_t>(p)] = activation[(static_cast<size_t>(n.layer) * positions + p) * W + n.index];
                }
              });
    effect_ = effect_.to(engine_.device());  // filled from the sink's host rows; meets activations below
    forward_cut(batch, control);
    contributions(rows, control.sub(0.3, 0.5));
    edges(rows, control.sub(0.5, 1.0));
  }

 private:
  void forward_cut(const std::vector<AttributionExample>& batch, const JobControl& control) {
    const size_t L = static_cast<size_t>(trace_.layers);
    acts_.assign(L, {});
    leaves_.assign(L, {});
    error_leaves_.assign(L, {});
    ForwardOptions fo;
    fo.logits = LogitsMode::Last;
    fo.rules = grad_rules(trace_.options.rules);  // the rules the node effects were traced with
    auto embedding_leaf = [](Site s, int l, const torch::Tensor& x) {
      return s == Site::ResidPre && l == 0 ? x.detach().requires_grad_(true) : x;
    };
    fo.hook = cancellable(control, tap_.edit([&](LayerNodes& n) {
      const size_t l = static_cast<size_t>(n.layer);
      acts_[l] = n.act;
      leaves_[l] = n.act.detach().requires_grad_(true);
      n.act = leaves_[l];
      if (n.error.defined()) {
        error_leaves_[l] = n.error.detach().requires_grad_(true);
        n.error = error_leaves_[l];
      }
    }, embedding_leaf));
    std::vector<const std::vector<int>*> ids;
    for (const auto& e : batch) ids.push_back(&e.clean);
    engine_.forward(ids_tensor(ids, engine_.device()), fo);
    // A target neuron's edge weights divide by its activation: ε as compute_edges, per row and position.
    coef_.assign(L, {});
    for (size_t l = 0; l < L; ++l) {
      if (!acts_[l].defined()) continue;  // a layer without a dictionary
      torch::NoGradGuard no_grad;
      torch::Tensor a = acts_[l].detach();                 // [b, t, F]
      torch::Tensor eps = 1e-6 * a.abs().mean(-1, true);  // [b, t, 1]
      // [b, t, F] effect / (a + ε); a feature basis' error column is never a target
      coef_[l] = effect_.select(1, static_cast<int64_t>(l)).narrow(-1, 0, tap_.features()) / (a + eps);
    }
  }

  // sum_b sum_p coef * a over the target neurons `idx` of layer l (a scalar in the graph).
  torch::Tensor target_value(int l, const std::vector<int64_t>& idx) const {
    torch::Tensor i = torch::tensor(idx, torch::kInt64).to(engine_.device());
    const size_t ls = static_cast<size_t>(l);
    return (coef_[ls].index_select(2, i) * acts_[ls].index_select(2, i)).sum();
  }

  // Per row of the batch: sum over positions of grad * a for every kept source below `layer` (an error node:
  // grad · error vector). Returns [kept sources] x [b] as a [k, b] host tensor with the sources' kept indices.
  void source_scores(int layer, const torch::Tensor& value, std::vector<int>& srcs, torch::Tensor& scores) const {
    std::vector<torch::Tensor> inputs;
    std::vector<int> leaf_at(static_cast<size_t>(layer), -1), error_at(static_cast<size_t>(layer), -1);
    for (size_t l = 0; l < static_cast<size_t>(layer); ++l) {
      if (!leaves_[l].defined()) continue;
      leaf_at[l] = static_cast<int>(inputs.size());
      inputs.push_back(leaves_[l]);
      if (error_leaves_[l].defined()) {
        error_at[l] = static_cast<int>(inputs.size());
        inputs.push_back(error_leaves_[l]);
      }
    }
    std::vector<torch::Tensor> g;
    if (!inputs.empty()) {
      g = torch::autograd::grad({value}, inputs, {}, /*retain_graph=*/true, /*create_graph=*/false,
                                /*allow_unused=*/true);
    }
    torch::NoGradGuard no_grad;
    srcs.clear();
    std::vector<torch::Tensor> rows;
    for (int l = 0; l < layer; ++l) {
      const size_t ls = static_cast<size_t>(l);
      if (leaf_at[ls] < 0 || !g[static_cast<size_t>(leaf_at[ls])].defined()) continue;
      torch::Tensor ga = (g[static_cast<size_t>(leaf_at[ls])] * acts_[ls].detach()).sum(1);  // [b, F]
      if (error_at[ls] >= 0) {
        const torch::Tensor& ge = g[static_cast<size_t>(error_at[ls])];  // [b, t, d] float64
        torch::Tensor err = ge.defined() ? (ge * error_leaves_[ls].detach()).sum({1, 2}).to(ga.dtype())
                                         : torch::zeros({ga.size(0)}, ga.options());  // [b]
        ga = torch::cat({ga, err.unsqueeze(1)}, 1);                                   // [b, F + 1]
      }
      std::vector<int64_t> cols;
      for (size_t k = 0; k < trace_.neurons.size(); ++k) {
        if (trace_.neurons[k].layer != l) continue;
        cols.push_back(trace_.neurons[k].index);
        srcs.push_back(static_cast<int>(k));
      }
      if (!cols.empty()) {
        rows.push_back(ga.index_select(1, torch::tensor(cols, torch::kInt64).to(ga.device())).t());  // [k_l, b]
      }
    }
    // Read on the host by the callers: one copy of the whole.
    scores = rows.empty() ? torch::zeros({0}) : torch::cat(rows, 0).to(torch::kCPU).contiguous();  // [k, b]
  }

  void contributions(const std::vector<size_t>& rows, const JobControl& control) {
    for (int l = 1; l < trace_.layers; ++l) {
      control.check();
      std::vector<int64_t> idx;
      for (const SetNeuron& n : trace_.neurons)
        if (n.layer == l && !tap_.is_error(n.index)) idx.push_back(n.index);
      if (idx.empty()) continue;
      std::vector<int> srcs;
      torch::Tensor s;
      source_scores(l, target_value(l, idx), srcs, s);
      const float* v = s.data_ptr<float>();  // [k, b]
      for (size_t k = 0; k < srcs.size(); ++k) {
        SetNeuron& n = trace_.neurons[static_cast<size_t>(srcs[k])];
        for (size_t r = 0; r < rows.size(); ++r) n.contribution[rows[r]] += v[k * rows.size() + r];
      }
      control.report(static_cast<double>(l) / trace_.layers);
    }
  }

  void edges(const std::vector<size_t>& rows, const JobControl& control) {
    const size_t P = trace_.prompts.size();
    for (size_t k = 0; k < targets_.size(); ++k) {
      control.check();
      const SetNeuron& dst = trace_.neurons[static_cast<size_t>(targets_[k])];
      if (dst.layer == 0 || tap_.is_error(dst.index)) continue;
      std::vector<int> srcs;
      torch::Tensor s;
      source_scores(dst.layer, target_value(dst.layer, {dst.index}), srcs, s);
      const float* v = s.data_ptr<float>();  // [k, b]
      for (size_t j = 0; j < srcs.size(); ++j) {
        std::vector<float>& profile = pairs_[{srcs[j], targets_[k]}];
        profile.resize(P);
        for (size_t r = 0; r < rows.size(); ++r) profile[rows[r]] = v[j * rows.size() + r];
      }
      control.report(static_cast<double>(k + 1) / static_cast<double>(targets_.size()));
    }
  }

  const Model& model_;
  const LlamaModel& engine_;
  const BasisTap tap_;
  SetTrace& trace_;
  const std::vector<int>& targets_;
  std::map<std::pair<int, int>, std::vector<float>>& pairs_;
  torch::Tensor effect_;                             // [b, L, t, W]
  std::vector<torch::Tensor> acts_, leaves_, coef_;  // L x [b, t, F] (undefined at a layer without nodes)
  std::vector<torch::Tensor> error_leaves_;          // L x [b, t, d] float64, feature basis only
};

// Edges kept per target: the strongest sources by mean |score|, so that a file stays readable.
constexpr size_t kEdgesPerTarget = 24;

}  // namespace

SetTrace trace_set(const Model& model, const PromptSet& set, const SetTraceOptions& o, const JobControl& control) {
  check_options(o);
  if (set.prompts.empty()) throw Error("trace-set: the prompt set has no prompts");
  ensure_compute_threads();
  const std::vector<AttributionExample> examples = make_examples(model.tokenizer(), set, o);
  SetTrace trace;
  trace.options = o;
  trace.source = set.path;
  trace.columns = set.columns;
  trace.layers = static_cast<int>(model.config().num_hidden_layers);
  trace.width = static_cast<int>(o.basis == Basis::Features ? o.dictionaries->d_sae() + 1
                                                            : model.config().intermediate_size);
  if (o.dictionaries && o.basis == Basis::Features) {
    trace.dictionaries = o.dictionaries->path();
    trace.dictionaries_fingerprint = o.dictionaries->fingerprint();
  }
  const size_t P = examples.size(), N = static_cast<size_t>(trace.layers) * static_cast<size_t>(trace.width);
  for (size_t i = 0; i < P; ++i) trace.prompts.push_back({set.prompts[i], examples[i].clean, 0.0});

  // Pass 1: every prompt's effects, reduced at once to the per-neuron sums (profile) and peaks, so memory is
  // prompts x neurons, not prompts x positions x neurons.
  std::vector<float> profile(P * N), peak(P * N);  // [P][L*W]
  std::vector<bool> kept(N, false);
  AttributionOptions ao;
  ao.method = o.method;
  ao.basis = o.basis;
  ao.dictionaries = o.basis == Basis::Features ? o.dictionaries : nullptr;
  ao.metric = o.target;
  ao.rules = o.rules;
  ao.ig_steps = o.ig_steps;
  ao.batch = o.batch;
  const size_t W = static_cast<size_t>(trace.width);
  attribute(model, examples, ao, control.sub(0, 0.6),
            [&](size_t e, int positions, const float* effect, const float*, double m) {
              trace.prompts[e].m = m;
              const float bar = static_cast<float>(o.keep * std::abs(m));
              for (size_t l = 0; l < static_cast<size_t>(trace.layers); ++l) {
                for (size_t i = 0; i < W; ++i) {
                  float sum = 0, best = 0;
                  for (size_t p = 0; p < static_cast<size_t>(positions); ++p) {
                    const float v = effect[(l * static_cast<size_t>(positions) + p) * W + i];
                    sum += v;
                    if (std::abs(v) > std::abs(best)) best = v;
                  }
                  profile[e * N + l * W + i] = sum;
                  peak[e * N + l * W + i] = best;
                  if (best != 0 && std::abs(best) >= bar) kept[l * W + i] = true;
                }
              }
            });

  for (size_t d = 0; d < N; ++d) {
    if (!kept[d]) continue;
    SetNeuron n;
    n.layer = static_cast<int>(d / W);
    n.index = static_cast<int>(d % W);
    n.profile.resize(P);
    n.peak.resize(P);
    n.contribution.assign(P, 0.f);
    n.activation.resize(P);
    for (size_t e = 0; e < P; ++e) {
      n.profile[e] = profile[e * N + d];
      n.peak[e] = peak[e * N + d];
      n.total += std::abs(n.profile[e]);
    }
    trace.neurons.push_back(std::move(n));
  }

  // Pass 2: activations, contributions and edges of the kept neurons, batch by batch.
  std::vector<int> targets(trace.neurons.size());
  for (size_t k = 0; k < targets.size(); ++k) targets[k] = static_cast<int>(k);
  std::stable_sort(targets.begin(), targets.end(), [&trace](int a, int b) {
    return trace.neurons[static_cast<size_t>(a)].total > trace.neurons[static_cast<size_t>(b)].total;
  });
  targets.resize(std::min(targets.size(), static_cast<size_t>(o.edge_targets)));
  std::map<std::pair<int, int>, std::vector<float>> pairs;
  AttributionOptions relp = ao;
  relp.method = Method::RelP;
  const auto batches = length_batches(examples, o.batch);
  for (size_t k = 0; k < batches.size() && !trace.neurons.empty(); ++k) {
    const double from = 0.6 + 0.4 * static_cast<double>(k) / static_cast<double>(batches.size());
    const double to = 0.6 + 0.4 * static_cast<double>(k + 1) / static_cast<double>(batches.size());
    EdgePass(model, trace, targets, pairs).run(examples, batches[k], relp, control.sub(from, to));
  }
  std::map<int, std::vector<SetEdge>> by_target;
  for (auto& [key, prof] : pairs) {
    SetEdge e;
    e.src = key.first;
    e.dst = key.second;
    e.profile = std::move(prof);
    double sum = 0;
    for (float v : e.profile) sum += v;
    e.mean = sum / static_cast<double>(P);
    if (e.mean != 0) by_target[e.dst].push_back(std::move(e));
  }
  for (auto& [dst, list] : by_target) {
    std::stable_sort(list.begin(), list.end(),
                     [](const SetEdge& a, const SetEdge& b) { return std::abs(a.mean) > std::abs(b.mean); });
    if (list.size() > kEdgesPerTarget) list.resize(kEdgesPerTarget);
    for (SetEdge& e : list) trace.edges.push_back(std::move(e));
  }
  std::sort(trace.edges.begin(), trace.edges.end(),
            [](const SetEdge& a, const SetEdge& b) { return std::make_pair(a.src, a.dst) < std::make_pair(b.src, b.dst); });
  control.report(1.0);
  return trace;
}

}  // namespace ce::core
