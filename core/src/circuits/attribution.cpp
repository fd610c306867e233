#include "ce/core/circuits/attribution.h"

#include <algorithm>

#include "circuits/attribution_util.h"
#include "circuits/basis_tap.h"
#include "ce/core/base/error.h"
#include "ce/core/model/model.h"
#include "ce/core/base/threading.h"

namespace ce::core {

namespace {

// One batch of equal-length examples as tensors.
struct Batch {
  torch::Tensor clean;     // [b, t] int64
  torch::Tensor patch;     // [b, t] int64, undefined when unpaired
  torch::Tensor answer;    // [b] int64
  torch::Tensor contrast;  // [b] int64
  int64_t b = 0, t = 0;
  int64_t prefix = 0;  // first positions every clean and patch row shares (shared_prefix); 0 when unpaired
};

// On the model's device: every tensor of the batch meets its activations or logits.
Batch make_batch(const std::vector<AttributionExample>& ex, const std::vector<size_t>& idx, torch::Device device) {
  Batch B;
  std::vector<const std::vector<int>*> clean, patch;
  std::vector<int64_t> ans, con;
  bool paired = true;
  for (size_t i : idx) {
    clean.push_back(&ex[i].clean);
    patch.push_back(&ex[i].patch);
    paired = paired && !ex[i].patch.empty();
    ans.push_back(ex[i].answer);
    con.push_back(ex[i].contrast);
  }
  B.clean = ids_tensor(clean, device);
  if (paired) {
    B.patch = ids_tensor(patch, device);
    std::vector<const std::vector<int>*> rows = clean;
    rows.insert(rows.end(), patch.begin(), patch.end());
    B.prefix = shared_prefix(rows);
  }
  B.answer = torch::tensor(ans, torch::kInt64).to(device);
  B.contrast = torch::tensor(con, torch::kInt64).to(device);
  B.b = B.clean.size(0);
  B.t = B.clean.size(1);
  return B;
}

class Attributor {
 public:
  Attributor(const Model& model, const std::vector<AttributionExample>& examples, const AttributionOptions& o,
             const JobControl& control, const ExampleSink* sink)
      : engine_(engine_of(model)), examples_(examples), o_(o), control_(control), sink_(sink),
        tap_(engine_, o.basis, o.dictionaries) {
    const ModelConfig& c = engine_.config();
    L_ = static_cast<int>(c.num_hidden_layers);
    W_ = tap_.width();
    for (const auto& e : examples) T_ = std::max<int64_t>(T_, static_cast<int64_t>(e.clean.size()));
    // Sums stay on the model's device (one copy to the host at the end).
    effect_ = torch::zeros({L_, T_, W_}, engine_.f32());      // [L, T, W] sums over examples
    activation_ = torch::zeros({L_, T_, W_}, engine_.f32());  // [L, T, W]
    if (o.method == Method::Exact) {
      evaluated_ = torch::zeros({L_, T_, W_}, engine_.f32().dtype(torch::kBool));
      for (const NodeRef& n : o.exact_nodes) {
        if (n.layer < 0 || n.layer >= L_ || n.pos < 0 || n.pos >= T_ || n.index < 0 || n.index >= W_) {
          throw Error("exact: node " + node_name(n.layer, n.index, n.pos) + " is outside the model or the prompts");
        }
      }
    }
  }

  AttributionResult run() {
    const auto batches = length_batches(examples_, o_.method == Method::IG ? std::max(1, o_.batch / std::max(1, o_.ig_steps)) : o_.batch);
    double m_sum = 0;
    for (size_t k = 0; k < batches.size(); ++k) {
      control_.check();
      const JobControl sub = control_.sub(static_cast<double>(k) / static_cast<double>(batches.size()),
                                          static_cast<double>(k + 1) / static_cast<double>(batches.size()));
      Batch B = make_batch(examples_, batches[k], engine_.device());
      rows_ = &batches[k];
      m_sum += run_batch(B, sub);
      if (sink_ != nullptr) hand_over(B.t);
      sub.report(1.0);
    }
    AttributionResult r;
    r.method = o_.method;
    r.basis = o_.basis;
    r.metric = o_.metric;
    r.examples = static_cast<int>(examples_.size());
    r.layers = L_;
    r.positions = static_cast<int>(T_);
    r.width = static_cast<int>(W_);
    r.m = m_sum / static_cast<double>(examples_.size());
    const double n = static_cast<double>(examples_.size());
    torch::Tensor e = (effect_ / n).to(torch::kCPU).contiguous();
    torch::Tensor a = (activation_ / n).to(torch::kCPU).contiguous();
    r.effect.assign(e.data_ptr<float>(), e.data_ptr<float>() + e.numel());
    r.activation.assign(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
    if (evaluated_.defined()) {
      torch::Tensor ev = evaluated_.to(torch::kCPU).contiguous();
      r.evaluated.assign(ev.data_ptr<bool>(), ev.data_ptr<bool>() + ev.numel());
    }
    return r;
  }

 private:
  // The first p positions that every clean and patch prompt of a batch share, run once.
  struct Prefix {
    int64_t p = 0;
    KvCache cache;                   // their keys and values: [1, kv, p, hd] per layer
    std::vector<torch::Tensor> act;  // L x [1, p, W]: their dense activations (error norms in the error column)
  };
  Prefix run_prefix(const Batch& B) const {
    torch::NoGradGuard no_grad;
    Prefix pre;
    pre.p = B.prefix;
    pre.act.resize(static_cast<size_t>(L_));
    ForwardOptions fo;
    fo.logits = LogitsMode::None;
    fo.cache = &pre.cache;
    fo.hook = cancellable(control_, tap_.edit([&](LayerNodes& n) {
      pre.act[static_cast<size_t>(n.layer)] = dense_act(n);  // [1, p, W]
    }));
    engine_.forward(B.clean.narrow(0, 0, 1).narrow(1, 0, pre.p), fo);
    return pre;
  }

  // The nodes of every layer (and optionally each layer's input) without gradients.
  struct Capture {
    std::vector<LayerNodes> nodes;         // L; act/error undefined at layers without nodes
    std::vector<torch::Tensor> resid_pre;  // L x [b, t, d]
    torch::Tensor logits;                  // [b, 1, vocab]
  };
  // With a prefix (ids then are its later positions only) the nodes cover those positions.
  // `record` (an empty cache) receives the run's keys and values.
  Capture capture(const torch::Tensor& ids, bool with_resid, const Prefix* prefix = nullptr,
                  KvCache* record = nullptr) const {
    torch::NoGradGuard no_grad;
    Capture c;
    c.nodes.resize(static_cast<size_t>(L_));
    if (with_resid) c.resid_pre.resize(static_cast<size_t>(L_));
    ForwardOptions fo;
    fo.logits = LogitsMode::Last;
    KvCache cache;
    if (prefix != nullptr) {
      cache = rows_cache(prefix->cache, prefix->p, ids.size(0));
      fo.cache = &cache;
    }
    if (record != nullptr) fo.cache = record;
    auto record_resid = [&](Site s, int l, const torch::Tensor& x) {
      if (with_resid && s == Site::ResidPre) c.resid_pre[static_cast<size_t>(l)] = x;
      return x;
    };
    fo.hook = cancellable(control_, tap_.edit([&](LayerNodes& n) { c.nodes[static_cast<size_t>(n.layer)] = n; },
                                              record_resid));
    c.logits = engine_.forward(ids, fo).logits;
    return c;
  }

  // A layer's activations as one dense [b, t, W] tensor: the features (or neurons), then the error's norm.
  torch::Tensor dense_act(const LayerNodes& n) const {
    return tap_.dense(n.act, n.error.defined() ? BasisTap::error_norm(n.error) : torch::Tensor());
  }

  // Per-node effects and activations of one layer as dense [b, t, W] tensors: grad · (base - clean) for the
  // features (or neurons) and, for the error node, summed over the error vector.
  std::pair<torch::Tensor, torch::Tensor> node_effects(const LayerNodes& clean, const LayerNodes& base,
                                                       const torch::Tensor& g_act, const torch::Tensor& g_err) const {
    torch::Tensor err_effect;
    if (tap_.has_error()) err_effect = (g_err * (base.error - clean.error)).sum(-1, /*keepdim=*/true);  // [b, t, 1]
    return {tap_.dense(g_act * (base.act - clean.act), err_effect), dense_act(clean)};
  }

  torch::Tensor topk_ids(const torch::Tensor& last_logits) const {  // [b, vocab] -> [b, 5]
    return std::get<1>(last_logits.detach().topk(std::min<int64_t>(5, last_logits.size(1)), 1));
  }

  void check_answers(const Batch& B) const {
    if (o_.metric != Metric::TopK && B.answer.min().item<int64_t>() < 0) {
      throw Error("an example has no answer token; give --answer or use --metric topk");
    }
  }

  // Adds a batch's effects ([b, t, W] per layer) and clean activations; returns the batch's metric sum.
  double run_batch(const Batch& B, const JobControl& sub) {
    check_answers(B);
    // Exact patching skips the shared positions' nodes itself (exact_batch).
    const bool from_prefix = o_.method != Method::Exact && B.patch.defined() && o_.shared_prefix && B.prefix > 0;
    Prefix pre;
    Capture base;
    if (from_prefix && B.b == 1) {
      // One prompt: its patch run over every position gives the prefix's keys, values and activations too
      // (the clean prompt's there): one pass over the weights fewer than a prefix run of its own.
      base = capture(B.patch, false, nullptr, &pre.cache);
      pre.p = B.prefix;
      pre.act.resize(static_cast<size_t>(L_));
      for (LayerNodes& n : base.nodes) {
        if (!n.act.defined()) continue;
        pre.act[static_cast<size_t>(n.layer)] = dense_act(n).narrow(1, 0, pre.p);  // [1, p, W]
        n.act = n.act.narrow(1, pre.p, B.t - pre.p);                                         // [1, t - p, F]
        if (n.error.defined()) n.error = n.error.narrow(1, pre.p, B.t - pre.p);
      }
    } else if (from_prefix) {
      pre = run_prefix(B);
      base = capture(B.patch.narrow(1, pre.p, B.t - pre.p), false, &pre);
    } else if (B.patch.defined()) {
      base = capture(B.patch, false);
    }
    const Prefix* prefix = pre.p > 0 ? &pre : nullptr;
    auto baseline = [&](const LayerNodes& clean) {
      if (B.patch.defined()) return base.nodes[static_cast<size_t>(clean.layer)];
      LayerNodes zero{clean.layer, torch::zeros_like(clean.act), torch::Tensor()};
      if (clean.error.defined()) zero.error = torch::zeros_like(clean.error);
      return zero;
    };
    switch (o_.method) {
      case Method::AtP:
      case Method::RelP: return gradient_batch(B, baseline, prefix);
      case Method::IG: return ig_batch(B, baseline, sub, prefix);
      case Method::Exact: return exact_batch(B, baseline, sub);
    }
    return 0;
  }

  // With a prefix only its later positions run (attending to its cached keys and values); the prefix's
  // effects are 0 and its activations the prefix run's.
  template <class BaseFn>
  double gradient_batch(const Batch& B, BaseFn baseline, const Prefix* prefix) {
    std::vector<LayerNodes> nodes(static_cast<size_t>(L_));  // act (and error) in the graph
    ForwardOptions fo;
    fo.logits = LogitsMode::Last;
    const int64_t p = prefix ? prefix->p : 0;
    KvCache cache;
    if (prefix) {
      cache = rows_cache(prefix->cache, p, B.b);
      fo.cache = &cache;
    }
    if (o_.method == Method::RelP) fo.rules = grad_rules(o_.rules);
    // The embeddings become the graph's leaf, so every later activation is differentiable without cutting
    // any path between layers.
    auto leaf = [](Site s, int l, const torch::Tensor& x) {
      return s == Site::ResidPre && l == 0 ? x.detach().requires_grad_(true) : x;
    };
    fo.hook = cancellable(control_,
                          tap_.gradient([&](LayerNodes& n) { nodes[static_cast<size_t>(n.layer)] = n; }, leaf));
    torch::Tensor logits = engine_.forward(B.clean.narrow(1, p, B.t - p), fo).logits.squeeze(1);  // [b, vocab]
    torch::Tensor m = metric_rows(logits, o_.metric, B.answer, B.contrast, topk_ids(logits));  // [b]
    std::vector<torch::Tensor> inputs;  // every node tensor, act then error, layer by layer
    for (const LayerNodes& n : nodes) {
      for (const torch::Tensor& t : {n.act, n.error})
        if (t.defined()) inputs.push_back(t);
    }
    std::vector<torch::Tensor> grads =
        torch::autograd::grad({m.sum()}, inputs, {}, /*retain_graph=*/false, /*create_graph=*/false,
                              /*allow_unused=*/true);
    control_.check();
    torch::NoGradGuard no_grad;
    size_t k = 0;
    auto next_grad = [&](const torch::Tensor& t) {
      if (!t.defined()) return torch::Tensor();
      const torch::Tensor& g = grads[k++];
      return g.defined() ? g : torch::zeros_like(t);
    };
    for (LayerNodes& n : nodes) {
      if (!n.act.defined()) continue;
      const torch::Tensor g_act = next_grad(n.act), g_err = next_grad(n.error);
      n.act = n.act.detach();
      if (n.error.defined()) n.error = n.error.detach();
      const auto [effect, act] = node_effects(n, baseline(n), g_act, g_err);  // [b, t - p, W] each
      accumulate(n.layer, B.t, effect, act, prefix);
    }
    batch_m_ = m.detach();
    return m.detach().sum().item<double>();
  }

  template <class BaseFn>
  double ig_batch(const Batch& B, BaseFn baseline, const JobControl& sub, const Prefix* prefix) {
    if (o_.ig_steps < 1 || o_.ig_steps > 1000) throw Error("ig steps must be in 1..1000");
    // With a prefix only its later positions tn run, from its cached keys and values.
    const int64_t p = prefix ? prefix->p : 0, tn = B.t - p;
    const torch::Tensor ids = B.clean.narrow(1, p, tn);  // [b, tn]
    const Capture clean = capture(ids, true, prefix);
    torch::Tensor clean_logits = clean.logits.squeeze(1);  // [b, vocab]
    torch::Tensor topk = topk_ids(clean_logits);           // [b, 5]
    batch_m_ = metric_rows(clean_logits, o_.metric, B.answer, B.contrast, topk);  // [b]
    const double m_clean = batch_m_.sum().item<double>();
    const int64_t S = o_.ig_steps;
    torch::Tensor alpha = torch::arange(S, engine_.f32()).div(static_cast<double>(S)).view({1, S, 1, 1});  // [1, S, 1, 1]
    auto rep = [S](const torch::Tensor& x) { return x.repeat_interleave(S, 0); };  // [b, ...] -> [b*S, ...]
    // [b, ...] clean and baseline -> [b*S, ...] points on the straight line between them, requiring grad.
    auto line = [&](const torch::Tensor& a, const torch::Tensor& base) {
      const torch::Tensor diff = base - a;
      std::vector<int64_t> shape = a.sizes().vec();
      shape[0] = B.b * S;
      return (a.unsqueeze(1) + alpha.to(a.scalar_type()) * diff.unsqueeze(1)).reshape(shape).requires_grad_(true);
    };
    for (int l = 0; l < L_; ++l) {
      control_.check();
      const LayerNodes& a = clean.nodes[static_cast<size_t>(l)];
      if (!a.act.defined()) continue;
      const LayerNodes base = baseline(a);
      const torch::Tensor interp = line(a.act, base.act);                                  // [b*S, tn, F]
      const torch::Tensor interp_err = a.error.defined() ? line(a.error, base.error) : torch::Tensor();  // [b*S, tn, d]
      ForwardOptions fo;
      fo.logits = LogitsMode::Last;
      fo.first_layer = l;
      fo.resid = rep(clean.resid_pre[static_cast<size_t>(l)]);        // [b*S, tn, d]
      KvCache cache;
      if (prefix) {
        cache = rows_cache(prefix->cache, p, B.b * S);
        fo.cache = &cache;
      }
      fo.hook = cancellable(control_, tap_.edit([&](LayerNodes& n) {
        if (n.layer != l) return;
        n.act = interp;
        if (interp_err.defined()) n.error = interp_err;
      }));
      torch::Tensor logits = engine_.forward(rep(ids), fo).logits.squeeze(1);  // [b*S, vocab]
      torch::Tensor m = metric_rows(logits, o_.metric, rep(B.answer), rep(B.contrast), rep(topk));  // [b*S]
      std::vector<torch::Tensor> inputs = {interp};
      if (interp_err.defined()) inputs.push_back(interp_err);
      const std::vector<torch::Tensor> g = torch::autograd::grad({m.sum()}, inputs, {}, false, false, true);
      torch::NoGradGuard no_grad;
      auto mean_over_steps = [&](const torch::Tensor& grad, const torch::Tensor& like) {  // -> [b, tn, ..]
        const torch::Tensor full = grad.defined() ? grad : torch::zeros_like(like);
        return full.view({B.b, S, tn, full.size(-1)}).mean(1);
      };
      const torch::Tensor g_err = interp_err.defined() ? mean_over_steps(g[1], interp_err) : torch::Tensor();
      const auto [effect, act] = node_effects(a, base, mean_over_steps(g[0], interp), g_err);
      accumulate(l, B.t, effect, act, prefix);
      sub.report(static_cast<double>(l + 1) / static_cast<double>(L_));
    }
    return m_clean;
  }

  template <class BaseFn>
  double exact_batch(const Batch& B, BaseFn baseline, const JobControl& sub) {
    torch::NoGradGuard no_grad;
    const torch::Device dev = engine_.device();
    const auto on_dev = [dev](const std::vector<int64_t>& v) { return torch::tensor(v, torch::kInt64).to(dev); };
    const Capture clean = capture(B.clean, true);
    torch::Tensor clean_logits = clean.logits.squeeze(1);  // [b, vocab]
    torch::Tensor topk = topk_ids(clean_logits);           // [b, 5]
    torch::Tensor m_clean = metric_rows(clean_logits, o_.metric, B.answer, B.contrast, topk);  // [b]
    // Node list for this length: the given nodes that exist at these positions, or all of them.
    std::vector<NodeRef> nodes;
    if (o_.exact_nodes.empty()) {
      const int64_t total = static_cast<int64_t>(L_) * B.t * W_;
      if (total > 4'000'000) {
        throw Error("exact patching of all " + std::to_string(total) +
                    " nodes would take too long; pass a node list (--top-candidates N)");
      }
      for (int l = 0; l < L_; ++l)
        for (int p = 0; p < B.t; ++p)
          for (int i = 0; i < W_ && tap_.has_layer(l); ++i) nodes.push_back({l, p, i});
    } else {
      for (const NodeRef& n : o_.exact_nodes)
        if (n.pos < B.t && tap_.has_layer(n.layer)) nodes.push_back(n);
    }
    // A node at a position every clean and patch prompt shares would be patched with its own value: its
    // effect is 0 without a forward (shared_prefix).
    if (B.patch.defined() && o_.shared_prefix && B.prefix > 0) {
      std::vector<int64_t> sl, sp, si;  // the skipped nodes' layer, position and index
      for (const NodeRef& n : nodes) {
        if (n.pos >= B.prefix) continue;
        sl.push_back(n.layer);
        sp.push_back(n.pos);
        si.push_back(n.index);
      }
      if (!sl.empty()) evaluated_.index_put_({on_dev(sl), on_dev(sp), on_dev(si)}, true);
      nodes.erase(std::remove_if(nodes.begin(), nodes.end(), [&](const NodeRef& n) { return n.pos < B.prefix; }),
                  nodes.end());
    }
    std::stable_sort(nodes.begin(), nodes.end(), [](const NodeRef& a, const NodeRef& b) { return a.layer < b.layer; });
    const int64_t chunk = std::max(1, o_.exact_batch);
    const double units = static_cast<double>(B.b) * static_cast<double>(nodes.size());
    double done = 0;
    for (int64_t e = 0; e < B.b; ++e) {
      for (size_t s = 0; s < nodes.size();) {
        control_.check();
        const int layer = nodes[s].layer;
        size_t end = s;
        while (end < nodes.size() && nodes[end].layer == layer && static_cast<int64_t>(end - s) < chunk) ++end;
        const int64_t n = static_cast<int64_t>(end - s);
        // Variant r patches node s + r: a feature or neuron (rows, pos, idx) or an error node (err_rows, err_pos).
        std::vector<int64_t> rows, pos, idx, err_rows, err_pos, all_pos(static_cast<size_t>(n)),
            all_idx(static_cast<size_t>(n));
        for (int64_t r = 0; r < n; ++r) {
          const NodeRef& node = nodes[s + static_cast<size_t>(r)];
          all_pos[static_cast<size_t>(r)] = node.pos;
          all_idx[static_cast<size_t>(r)] = node.index;
          if (!tap_.is_error(node.index)) {
            rows.push_back(r);
            pos.push_back(node.pos);
            idx.push_back(node.index);
          } else {
            err_rows.push_back(r);
            err_pos.push_back(node.pos);
          }
        }
        const torch::Tensor tr = on_dev(rows), tp = on_dev(pos), ti = on_dev(idx);  // [n_features] each
        const torch::Tensor er = on_dev(err_rows), ep = on_dev(err_pos);            // [n_errors] each
        const LayerNodes& clean_l = clean.nodes[static_cast<size_t>(layer)];
        const LayerNodes base_l = baseline(clean_l);
        const torch::Tensor values = base_l.act[e].index({tp, ti});                            // [n_features]
        const torch::Tensor err_values = err_rows.empty() ? torch::Tensor() : base_l.error[e].index({ep});  // [n_errors, d]
        ForwardOptions fo;
        fo.logits = LogitsMode::Last;
        fo.first_layer = layer;
        fo.resid = clean.resid_pre[static_cast<size_t>(layer)][e].unsqueeze(0).expand({n, B.t, -1});  // [n, t, d]
        fo.hook = cancellable(control_, tap_.edit([&](LayerNodes& nl) {
          if (nl.layer != layer) return;
          if (!rows.empty()) {
            nl.act = nl.act.clone();  // [n, t, F]
            nl.act.index_put_({tr, tp, ti}, values);
          }
          if (!err_rows.empty()) {
            nl.error = nl.error.clone();  // [n, t, d]
            nl.error.index_put_({er, ep}, err_values.to(nl.error.scalar_type()));
          }
        }));
        torch::Tensor ids = B.clean[e].unsqueeze(0).expand({n, B.t});                       // [n, t]
        torch::Tensor logits = engine_.forward(ids, fo).logits.squeeze(1);                   // [n, vocab]
        torch::Tensor m = metric_rows(logits, o_.metric, B.answer[e].expand({n}), B.contrast[e].expand({n}),
                                      topk[e].unsqueeze(0).expand({n, topk.size(1)}));       // [n]
        torch::Tensor delta = m - m_clean[e];                                                // [n]
        const torch::Tensor tl = torch::full({n}, layer, torch::dtype(torch::kInt64).device(dev));
        const torch::Tensor ap = on_dev(all_pos), ai = on_dev(all_idx);  // [n] each
        effect_.index_put_({tl, ap, ai}, delta, /*accumulate=*/true);
        evaluated_.index_put_({tl, ap, ai}, torch::ones({n}, torch::dtype(torch::kBool).device(dev)));
        done += static_cast<double>(n);
        sub.report(done / units);
        s = end;
      }
    }
    for (const LayerNodes& a : clean.nodes) {
      if (!a.act.defined()) continue;
      activation_[a.layer].narrow(0, 0, B.t).add_(dense_act(a).sum(0));
    }
    return m_clean.sum().item<double>();
  }

  // Adds a layer's effects and activations ([b, t, W]; with a prefix [b, t - p, W], its effects 0 and its
  // activations the prefix run's in front).
  void accumulate(int l, int64_t t, torch::Tensor effect, torch::Tensor act, const Prefix* prefix = nullptr) {
    if (prefix != nullptr) {
      const int64_t b = effect.size(0), p = prefix->p;
      effect = torch::cat({torch::zeros({b, p, W_}, effect.options()), effect}, 1);      // [b, t, W]
      act = torch::cat({prefix->act[static_cast<size_t>(l)].expand({b, p, W_}), act}, 1);  // [b, t, W]
    }
    effect_[l].narrow(0, 0, t).add_(effect.sum(0));   // [t, W]
    activation_[l].narrow(0, 0, t).add_(act.sum(0));  // [t, W]
    if (sink_ != nullptr) {
      rows_effect_.push_back(effect);  // [b, t, W]
      rows_act_.push_back(act);        // [b, t, W]
    }
  }

  // Gives each example of the batch just run its own [L, t, W] effects and activations (host copies: the
  // sink reads them through pointers).
  void hand_over(int64_t t) {
    torch::Tensor e = torch::stack(rows_effect_, 1).to(torch::kCPU).contiguous();  // [b, L, t, W]
    torch::Tensor a = torch::stack(rows_act_, 1).to(torch::kCPU).contiguous();     // [b, L, t, W]
    const torch::Tensor m = batch_m_.to(torch::kCPU);                              // [b]
    rows_effect_.clear();
    rows_act_.clear();
    const int64_t per_row = static_cast<int64_t>(L_) * t * W_;
    for (size_t r = 0; r < rows_->size(); ++r) {
      const int64_t off = static_cast<int64_t>(r) * per_row;
      (*sink_)((*rows_)[r], static_cast<int>(t), e.data_ptr<float>() + off, a.data_ptr<float>() + off,
               m[static_cast<int64_t>(r)].item<double>());
    }
  }

  const LlamaModel& engine_;
  const std::vector<AttributionExample>& examples_;
  const AttributionOptions& o_;
  const JobControl& control_;
  const ExampleSink* sink_ = nullptr;
  const std::vector<size_t>* rows_ = nullptr;     // the example indices of the batch being run
  std::vector<torch::Tensor> rows_effect_, rows_act_;  // sink only: L x [b, t, W] of that batch
  torch::Tensor batch_m_;                         // [b] that batch's clean metric
  BasisTap tap_;
  int L_ = 0;
  int64_t W_ = 0, T_ = 0;
  torch::Tensor effect_, activation_, evaluated_;
};

}  // namespace

namespace {

AttributionResult run_attribution(const Model& model, const std::vector<AttributionExample>& examples,
                                  const AttributionOptions& options, const JobControl& control,
                                  const ExampleSink* sink) {
  if (examples.empty()) throw Error("attribution needs at least one example");
  if (options.batch < 1) throw Error("batch must be >= 1");
  const int64_t vocab = model.config().vocab_size;
  for (const auto& e : examples) {
    if (e.clean.empty()) throw Error("an example has an empty prompt");
    if (!e.patch.empty() && e.patch.size() != e.clean.size()) {
      throw Error("an example's patch prompt differs in length from its clean prompt");
    }
    for (int id : {e.answer, e.contrast}) {
      if (id >= vocab) throw Error("answer token " + std::to_string(id) + " is outside the vocabulary");
    }
  }
  ensure_compute_threads();
  Attributor a(model, examples, options, control, sink);
  return a.run();
}

}  // namespace

AttributionResult attribute(const Model& model, const std::vector<AttributionExample>& examples,
                            const AttributionOptions& options, const JobControl& control) {
  return run_attribution(model, examples, options, control, nullptr);
}

AttributionResult attribute(const Model& model, const std::vector<AttributionExample>& examples,
                            const AttributionOptions& options, const JobControl& control, const ExampleSink& sink) {
  if (options.method == Method::Exact) throw Error("per-example effects need atp, ig or relp, not exact");
  return run_attribution(model, examples, options, control, sink ? &sink : nullptr);
}

}  // namespace ce::core
