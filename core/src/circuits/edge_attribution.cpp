#include "ce/core/circuits/edge_attribution.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "circuits/attribution_util.h"
#include "circuits/basis_tap.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/base/error.h"
#include "ce/core/model/model.h"
#include "ce/core/base/threading.h"

namespace ce::core {

std::string EdgeEnd::name() const {
  switch (kind) {
    case Kind::Embedding: return "E@" + std::to_string(node.pos);
    case Kind::Logit: return "logit";
    case Kind::Neuron: break;
  }
  return node_name(basis, node.layer, node.index, node.pos);
}

EdgeResult compute_edges(const Model& model, const AttributionExample& example, const EdgeOptions& options,
                         const JobControl& control) {
  if (options.top_nodes < 1) throw Error("edges: --top-nodes must be >= 1");
  if (options.basis != Basis::MlpAct && options.basis != Basis::Features) {
    throw Error(std::string("edges are taken between MLP neurons (mlp_act) or dictionary features (sae), not ") +
                basis_name(options.basis));
  }
  ensure_compute_threads();
  AttributionOptions ao;
  ao.method = Method::RelP;
  ao.basis = options.basis;
  ao.dictionaries = options.dictionaries;
  ao.metric = options.metric;
  ao.rules = options.rules;
  const AttributionResult nodes = attribute(model, {example}, ao, control.sub(0, 0.2));
  EdgeResult out;
  out.basis = options.basis;
  out.dictionaries = options.dictionaries;
  out.m = nodes.m;
  out.nodes = top_nodes(nodes, options.top_nodes);

  // Forward with every layer's nodes cut from the backward path: leaves[l] (and error_leaves[l]) replace the
  // nodes of layer l downstream, so a gradient reaching them stops there, while acts[l] (the graph value) can
  // be a target.
  const LlamaModel& engine = engine_of(model);
  const BasisTap tap(engine, options.basis, options.dictionaries);
  const int L = static_cast<int>(engine.config().num_hidden_layers);
  std::vector<torch::Tensor> acts(static_cast<size_t>(L)), leaves(static_cast<size_t>(L));  // L x [1, t, F]
  std::vector<torch::Tensor> error_leaves(static_cast<size_t>(L));  // L x [1, t, d] float64
  torch::Tensor emb;                                                                          // [1, t, d]
  ForwardOptions fo;
  fo.logits = LogitsMode::Last;
  fo.rules = grad_rules(options.rules);
  auto embedding_leaf = [&](Site s, int l, const torch::Tensor& x) {
    if (s != Site::ResidPre || l != 0) return x;
    emb = x.detach().requires_grad_(true);
    return emb;
  };
  fo.hook = cancellable(control, tap.edit([&](LayerNodes& n) {
    const size_t l = static_cast<size_t>(n.layer);
    acts[l] = n.act;
    leaves[l] = n.act.detach().requires_grad_(true);
    n.act = leaves[l];
    if (n.error.defined()) {
      error_leaves[l] = n.error.detach().requires_grad_(true);
      n.error = error_leaves[l];
    }
  }, embedding_leaf));
  std::vector<int64_t> ids(example.clean.begin(), example.clean.end());
  torch::Tensor logits = engine.forward(torch::tensor(ids).view({1, -1}), fo).logits.squeeze(1);  // [1, vocab]
  torch::Tensor topk = std::get<1>(logits.detach().topk(std::min<int64_t>(5, logits.size(1)), 1));  // [1, 5]
  const torch::Tensor answer = torch::tensor({static_cast<int64_t>(example.answer)}).to(engine.device());
  const torch::Tensor contrast = torch::tensor({static_cast<int64_t>(example.contrast)}).to(engine.device());
  torch::Tensor m = metric_rows(logits, options.metric, answer, contrast, topk);  // [1]

  // One backward per target: the target itself (a neuron or the metric) against every earlier layer's leaf.
  struct Target {
    EdgeEnd end;
    torch::Tensor value;  // scalar in the graph
    float effect;
    int layer;            // sources must lie in layers < layer
  };
  std::vector<Target> targets;
  for (const NodeEffect& n : out.nodes) {
    if (tap.is_error(n.node.index)) continue;  // a source only
    EdgeEnd e;
    e.node = n.node;
    e.basis = options.basis;
    targets.push_back({e, acts[static_cast<size_t>(n.node.layer)][0][n.node.pos][n.node.index], n.effect, n.node.layer});
  }
  EdgeEnd logit_end;
  logit_end.kind = EdgeEnd::Kind::Logit;
  targets.push_back({logit_end, m[0], static_cast<float>(out.m), L});

  // The sources' activations, read to the host once (not one sync per edge).
  std::vector<double> source_act;
  {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> a;
    for (const NodeEffect& s : out.nodes) {
      const size_t l = static_cast<size_t>(s.node.layer);
      // An error node's "activation" is its vector, taken per source below.
      a.push_back(!tap.is_error(s.node.index) ? acts[l][0][s.node.pos][s.node.index].detach().to(torch::kFloat64)
                                              : torch::zeros({}, torch::kFloat64).to(engine.device()));
    }
    const torch::Tensor h = a.empty() ? torch::zeros({0}) : torch::stack(a).to(torch::kCPU);  // [nodes]
    for (int64_t i = 0; i < h.size(0); ++i) source_act.push_back(h[i].item<double>());
  }

  for (size_t k = 0; k < targets.size(); ++k) {
    control.check();
    const Target& t = targets[k];
    // emb, then per earlier layer with nodes: its leaf and (feature basis) its error leaf.
    std::vector<torch::Tensor> inputs = {emb};
    std::vector<int> leaf_at(static_cast<size_t>(L), -1), error_at(static_cast<size_t>(L), -1);
    for (int l = 0; l < t.layer; ++l) {
      if (!leaves[static_cast<size_t>(l)].defined()) continue;
      leaf_at[static_cast<size_t>(l)] = static_cast<int>(inputs.size());
      inputs.push_back(leaves[static_cast<size_t>(l)]);
      if (error_leaves[static_cast<size_t>(l)].defined()) {
        error_at[static_cast<size_t>(l)] = static_cast<int>(inputs.size());
        inputs.push_back(error_leaves[static_cast<size_t>(l)]);
      }
    }
    std::vector<torch::Tensor> g = torch::autograd::grad({t.value}, inputs, {}, /*retain_graph=*/true,
                                                         /*create_graph=*/false, /*allow_unused=*/true);
    torch::NoGradGuard no_grad;
    const double a_t = t.value.item<double>();
    double scale;  // ε of the weight's denominator
    if (t.end.kind == EdgeEnd::Kind::Logit) {
      scale = 1e-6 * std::abs(a_t);
    } else {
      scale = 1e-6 * acts[static_cast<size_t>(t.layer)][0][t.end.node.pos].abs().mean().item<double>();
    }
    const double denom = a_t + scale;
    auto add = [&](const EdgeEnd& src, double contribution) {
      if (contribution == 0) return;
      Edge e;
      e.src = src;
      e.dst = t.end;
      e.weight = static_cast<float>(contribution / denom);
      e.score = t.end.kind == EdgeEnd::Kind::Logit ? static_cast<float>(contribution)
                                                    : static_cast<float>(contribution / denom * t.effect);
      out.edges.push_back(e);
    };
    if (g[0].defined() && t.end.kind != EdgeEnd::Kind::Logit) {
      const torch::Tensor per_pos = (g[0] * emb.detach()).sum(-1)[0].to(torch::kCPU);  // [t]
      for (int64_t p = 0; p < per_pos.size(0); ++p) {
        EdgeEnd src;
        src.kind = EdgeEnd::Kind::Embedding;
        src.node.pos = static_cast<int>(p);
        add(src, per_pos[p].item<double>());
      }
    }
    // The sources' gradients gathered on the device and copied to the host in one go.
    std::vector<size_t> srcs;
    std::vector<torch::Tensor> grads;
    for (size_t j = 0; j < out.nodes.size(); ++j) {
      const NodeRef& n = out.nodes[j].node;
      if (n.layer >= t.layer || leaf_at[static_cast<size_t>(n.layer)] < 0) continue;
      const bool error = tap.is_error(n.index);
      const torch::Tensor& gs = g[static_cast<size_t>((error ? error_at : leaf_at)[static_cast<size_t>(n.layer)])];
      if (!gs.defined()) continue;
      srcs.push_back(j);
      // A feature: its gradient (times its activation below); an error node: gradient · error vector, whole.
      grads.push_back(error ? (gs[0][n.pos] * error_leaves[static_cast<size_t>(n.layer)][0][n.pos].detach()).sum().to(torch::kFloat64)
                            : gs[0][n.pos][n.index].to(torch::kFloat64));
    }
    const torch::Tensor gh = grads.empty() ? torch::Tensor() : torch::stack(grads).to(torch::kCPU);  // [srcs]
    for (size_t j = 0; j < srcs.size(); ++j) {
      EdgeEnd src;
      src.node = out.nodes[srcs[j]].node;
      src.basis = options.basis;
      const bool error = tap.is_error(src.node.index);
      add(src, gh[static_cast<int64_t>(j)].item<double>() * (error ? 1.0 : source_act[srcs[j]]));
    }
    control.report(0.2 + 0.8 * static_cast<double>(k + 1) / static_cast<double>(targets.size()));
  }
  return out;
}

std::vector<Edge> prune_edges(const std::vector<Edge>& edges, double percent) {
  if (!(percent > 0 && percent <= 100)) throw Error("edge percentage must be in (0, 100]");
  std::vector<Edge> kept = edges;
  std::stable_sort(kept.begin(), kept.end(),
                   [](const Edge& a, const Edge& b) { return std::abs(a.score) > std::abs(b.score); });
  kept.resize(static_cast<size_t>(std::ceil(static_cast<double>(kept.size()) * percent / 100.0)));
  for (bool changed = true; changed;) {
    changed = false;
    std::map<std::string, int> in, outd;
    for (const Edge& e : kept) {
      ++outd[e.src.name()];
      ++in[e.dst.name()];
    }
    std::vector<Edge> next;
    for (const Edge& e : kept) {
      auto alive = [&](const EdgeEnd& n) {
        return n.kind != EdgeEnd::Kind::Neuron || (in[n.name()] > 0 && outd[n.name()] > 0);
      };
      if (alive(e.src) && alive(e.dst)) {
        next.push_back(e);
      } else {
        changed = true;
      }
    }
    kept = std::move(next);
  }
  return kept;
}

std::vector<EdgeCurvePoint> edge_curve(const Model& model, const AttributionExample& example, const EdgeResult& r,
                                       const std::vector<double>& percents, const JobControl& control) {
  if (example.answer < 0 || example.contrast < 0) throw Error("the edge curve needs an answer and a contrast answer");
  // With one example, the "mean over the patch prompts" is the patch prompt's own activation.
  const CircuitEvaluator ev(model, {example}, r.basis, r.dictionaries,
                            example.patch.empty() ? Ablation::Zero : Ablation::Mean, control.sub(0, 0.1));
  const size_t L = static_cast<size_t>(model.config().num_hidden_layers);
  const size_t T = static_cast<size_t>(ev.positions()), W = static_cast<size_t>(ev.width());
  std::vector<EdgeCurvePoint> out;
  for (size_t k = 0; k < percents.size(); ++k) {
    const std::vector<Edge> kept = prune_edges(r.edges, percents[k]);
    std::vector<bool> keep(L * T * W, false);
    std::set<std::string> names;
    for (const Edge& e : kept) {
      for (const EdgeEnd* end : {&e.src, &e.dst}) {
        if (end->kind != EdgeEnd::Kind::Neuron) continue;
        names.insert(end->name());
        const NodeRef& n = end->node;
        keep[dense_offset(n, T, W)] = true;
      }
    }
    EdgeCurvePoint p;
    p.percent = percents[k];
    p.edges = static_cast<int>(kept.size());
    p.nodes = static_cast<int>(names.size());
    p.faithfulness = normalized_metric(ev.metric_with(keep, control), ev.m_empty(), ev.m_full());
    out.push_back(p);
    control.report(0.1 + 0.9 * static_cast<double>(k + 1) / static_cast<double>(percents.size()), "edge curve");
  }
  return out;
}

}  // namespace ce::core
