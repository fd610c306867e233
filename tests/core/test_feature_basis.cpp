// The feature basis (issue #17): attribution on SAE and transcoder features equals attribution taken through
// the decoder by hand on a tiny two-layer model (AtP, RelP, IG with one step), exact patching of a feature or
// an error node equals the forward patched by hand, the evaluator keeps the plain model's metric with every
// node kept and reaches the by-hand m(∅), steering, edges and exemplars equal their by-hand values, and bad
// sets and basis names give their errors.
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "ce/core/base/resources.h"
#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/circuits/edge_attribution.h"
#include "ce/core/circuits/intervention.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/exemplars/exemplar_builder.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/model/model.h"
#include "dictionaries/dictionary_ops.h"
#include "dictionary_files.h"
#include "engine/model_access.h"
#include "io/llama_weight_spec.h"
#include "test_support.h"
#include "tiny_model.h"

using namespace ce::core;
using ce::test::error_of;
using ce::test::ids_of;
using ce::test::tiny_config;
using ce::test::write_model;

namespace {

constexpr int64_t kFeatures = 12;

double rel_diff(const torch::Tensor& got, const torch::Tensor& want) {
  return (got - want).abs().max().item<double>() / std::max(1e-12, want.abs().max().item<double>());
}

// Attribution options on a set's features.
AttributionOptions on_features(Method method, std::shared_ptr<const DictionarySet> set) {
  AttributionOptions o;
  o.method = method;
  o.basis = Basis::Features;
  o.dictionaries = std::move(set);
  return o;
}

// AttributionResult's [L, T, W] as a tensor.
torch::Tensor effects(const AttributionResult& r) {
  return torch::tensor(r.effect).view({r.layers, r.positions, r.width});
}

}  // namespace

class TestFeatureBasis : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::unique_ptr<Model> model_;
  AttributionExample ex_;
  std::string sae_set_, transcoders_;

  // The site's value at `layer` in the plain model, and the metric's gradient there (rules as given).
  std::pair<torch::Tensor, torch::Tensor> site_and_grad(Site site, int layer, const std::vector<int>& ids,
                                                        const GradRules& rules) const {
    const LlamaModel& e = engine_of(*model_);
    torch::Tensor x;
    ForwardOptions o;
    o.rules = rules;
    o.logits = LogitsMode::Last;
    o.hook = [&](Site s, int l, const torch::Tensor& v) {
      if (s == Site::ResidPre && l == 0) return v.detach().requires_grad_(true);
      if (s == site && l == layer) x = v;
      return v;
    };
    const torch::Tensor logits = e.forward(ids_of(ids), o).logits[0][0];  // [vocab]
    const torch::Tensor m = logits[ex_.answer] - logits[ex_.contrast];
    const torch::Tensor g = torch::autograd::grad({m}, {x})[0];  // [1, t, d]
    return {x.detach()[0], g[0]};                                 // [t, d] each
  }

  // Expected [t, F + 1] effects of the SAE at `layer` (mlp_out): decoder rows times the site's gradient times
  // (f_patch - f_clean), and the error node's gradient · (e_patch - e_clean).
  torch::Tensor by_hand(const Dictionary& d, int layer, const GradRules& rules) const {
    const auto [x, g] = site_and_grad(Site::MlpOut, layer, ex_.clean, rules);
    const torch::Tensor xp = site_and_grad(Site::MlpOut, layer, ex_.patch, rules).first;  // [t, d]
    const torch::Tensor f = dictionary_encode(d, x), fp = dictionary_encode(d, xp);        // [t, F]
    const torch::Tensor err = x - dictionary_decode(d, f), errp = xp - dictionary_decode(d, fp);  // [t, d]
    const torch::Tensor g_f = torch::matmul(g, d.impl().w_dec.t());                        // [t, F]
    return torch::cat({g_f * (fp - f), (g * (errp - err)).sum(-1, true)}, -1);              // [t, F + 1]
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    const QString dir = tmp_.path() + "/model";
    QVERIFY(QDir().mkpath(dir));
    write_model(dir, tiny_config(), 3);
    model_ = Model::open(dir.toStdString());
    ex_.clean = {1, 200, 300, 400, 500};
    ex_.patch = {1, 200, 301, 410, 500};
    ex_.answer = 10;
    ex_.contrast = 20;
    const std::string root = tmp_.path().toStdString();
    sae_set_ = root + "/saes";
    ce::test::random_saelens(sae_set_ + "/l0", 8, kFeatures, "blocks.0.hook_mlp_out", "standard", "", 11);
    ce::test::random_saelens(sae_set_ + "/l1", 8, kFeatures, "blocks.1.hook_mlp_out", "topk", R"(, "k": 5)", 12);
    transcoders_ = root + "/transcoders";
    for (int l : {0, 1}) {
      ce::test::random_saelens(transcoders_ + "/l" + std::to_string(l), 8, kFeatures,
                               "blocks." + std::to_string(l) + ".ln2.hook_normalized", "transcoder",
                               R"(, "d_out": 8, "hook_name_out": "blocks.)" + std::to_string(l) + R"(.hook_mlp_out")",
                               20 + l);
    }
  }

  void setLoads() {
    const auto set = DictionarySet::load(sae_set_, model_->config());
    QCOMPARE(set->layers(), (std::vector<int>{0, 1}));
    QCOMPARE(set->d_sae(), kFeatures);
    QCOMPARE(set->describe(), std::string("sae mlp_out L0-1"));
    QCOMPARE(DictionarySet::load(transcoders_, model_->config())->describe(), std::string("transcoder L0-1"));
    const auto one = DictionarySet::load(sae_set_ + "/l1", model_->config());
    QCOMPARE(one->layers(), (std::vector<int>{1}));
    QVERIFY(one->at(0) == nullptr);
  }

  // AtP and RelP on the feature basis against the decoder by hand, at both layers; IG with one step is AtP.
  void gradientMethodsEqualDecoderByHand() {
    const auto set = DictionarySet::load(sae_set_, model_->config());
    AttributionOptions o = on_features(Method::RelP, set);
    for (Method method : {Method::AtP, Method::RelP}) {
      o.method = method;
      const AttributionResult r = attribute(*model_, {ex_}, o);
      QCOMPARE(r.width, static_cast<int>(kFeatures + 1));
      const GradRules rules = method == Method::RelP ? GradRules::relp() : GradRules{};
      for (int l : {0, 1}) {
        const torch::Tensor want = by_hand(*set->at(l), l, rules);  // [t, F + 1]
        const torch::Tensor got = effects(r)[l];
        QVERIFY(want.abs().max().item<float>() > 1e-3f);
        QVERIFY(want.select(1, kFeatures).abs().max().item<float>() > 1e-4f);  // the error node matters too
        QVERIFY2(rel_diff(got, want) < 1e-4,
                 qPrintable(QString("%1 layer %2: %3").arg(method_name(method)).arg(l).arg(rel_diff(got, want))));
      }
      // The metric is the plain model's: the splices change no value.
      const std::vector<float> logits = model_->next_logits(ex_.clean);
      QVERIFY(std::abs(r.m - (logits[10] - logits[20])) < 1e-5);
    }
    o.method = Method::AtP;
    const torch::Tensor atp = effects(attribute(*model_, {ex_}, o));
    o.method = Method::IG;
    o.ig_steps = 1;
    QVERIFY(rel_diff(effects(attribute(*model_, {ex_}, o)), atp) < 1e-5);
  }

  // Transcoder features: the decoder writes the MLP's output, so the gradient there goes through W_dec.
  void transcoderEqualsDecoderByHand() {
    const auto set = DictionarySet::load(transcoders_, model_->config());
    AttributionOptions o = on_features(Method::AtP, set);
    const AttributionResult r = attribute(*model_, {ex_}, o);
    const LlamaModel& e = engine_of(*model_);
    for (int l : {0, 1}) {
      const Dictionary& d = *set->at(l);
      const auto [y, g] = site_and_grad(Site::MlpOut, l, ex_.clean, {});
      const torch::Tensor yp = site_and_grad(Site::MlpOut, l, ex_.patch, {}).first;
      const torch::Tensor w = e.layer(l).post_norm;  // the transcoder reads MlpIn / w
      const torch::Tensor in = site_and_grad(Site::MlpIn, l, ex_.clean, {}).first / w;
      const torch::Tensor inp = site_and_grad(Site::MlpIn, l, ex_.patch, {}).first / w;
      const torch::Tensor f = dictionary_encode(d, in), fp = dictionary_encode(d, inp);  // [t, F]
      const torch::Tensor err = y - dictionary_decode(d, f), errp = yp - dictionary_decode(d, fp);
      const torch::Tensor want =
          torch::cat({torch::matmul(g, d.impl().w_dec.t()) * (fp - f), (g * (errp - err)).sum(-1, true)}, -1);
      QVERIFY(want.abs().max().item<float>() > 1e-3f);
      QVERIFY2(rel_diff(effects(r)[l], want) < 1e-4, qPrintable(QString::number(rel_diff(effects(r)[l], want))));
    }
  }

  // Exact patching of a feature and of an error node equals the forward with that one value patched by hand
  // (through splice_hook's own state).
  void exactEqualsPatchByHand() {
    const auto set = DictionarySet::load(sae_set_, model_->config());
    AttributionOptions o = on_features(Method::Exact, set);
    const NodeRef feature{1, 3, 0}, error{0, 2, static_cast<int>(kFeatures)};
    // the feature with the largest AtP effect, so that the check is not of a zero
    AttributionOptions atp = o;
    atp.method = Method::AtP;
    const torch::Tensor at = effects(attribute(*model_, {ex_}, atp)).narrow(2, 0, kFeatures);  // [L, t, F]
    const int64_t best = at.abs().argmax().item<int64_t>();
    const NodeRef top{static_cast<int>(best / (5 * kFeatures)), static_cast<int>(best / kFeatures % 5),
                      static_cast<int>(best % kFeatures)};
    o.exact_nodes = {top, error, feature};
    const AttributionResult r = attribute(*model_, {ex_}, o);
    const LlamaModel& e = engine_of(*model_);
    auto metric = [&](const std::vector<int>& ids, HookFn hook) {
      ForwardOptions fo;
      fo.logits = LogitsMode::Last;
      fo.hook = std::move(hook);
      const torch::Tensor l = e.forward(ids_of(ids), fo).logits[0][0];
      return (l[ex_.answer] - l[ex_.contrast]).item<double>();
    };
    // The patch prompt's features and errors at every layer.
    std::map<int, SpliceState> patched;
    HookFn record;
    for (int l : {0, 1}) {
      SpliceOptions so;
      so.on_splice = [&patched](SpliceState& s) { patched[s.layer] = s; };
      record = splice_hook(*set->at(l), e, so, record);
    }
    metric(ex_.patch, record);
    const double clean = metric(ex_.clean, {});
    for (const NodeRef& n : o.exact_nodes) {
      SpliceOptions so;
      so.on_splice = [&](SpliceState& s) {
        if (n.index < kFeatures) {
          s.features = s.features.clone();
          s.features[0][n.pos][n.index] = patched[n.layer].features[0][n.pos][n.index];
        } else {
          s.error = s.error.clone();
          s.error[0][n.pos] = patched[n.layer].error[0][n.pos];
        }
      };
      const double want = metric(ex_.clean, splice_hook(*set->at(n.layer), e, so)) - clean;
      QVERIFY2(std::abs(r.effect_at(n) - want) < 1e-5 + 1e-4 * std::abs(want),
               qPrintable(QString("%1: %2 vs %3").arg(QString::fromStdString(node_name(n.layer, n.index, n.pos)))
                              .arg(r.effect_at(n)).arg(want)));
    }
    QVERIFY2(std::abs(r.effect_at(top)) > 1e-3f, qPrintable(QString::number(r.effect_at(top))));
    QVERIFY(std::abs(r.effect_at(error)) > 1e-5f);
  }

  // Every node kept: the plain model's metric. No node kept: every feature at its mean over the patch prompts
  // and every error at its mean error, computed here by hand.
  void evaluatorMatchesByHand() {
    const auto set = DictionarySet::load(sae_set_, model_->config());
    const std::vector<AttributionExample> test = {ex_, AttributionExample{{1, 7, 8, 9, 500}, {1, 7, 9, 9, 501}, 10, 20, ""}};
    const CircuitEvaluator ev(*model_, test, Basis::Features, set, Ablation::Mean);
    QCOMPARE(ev.width(), static_cast<int>(kFeatures + 1));
    const LlamaModel& e = engine_of(*model_);
    auto metric = [&](const std::vector<int>& ids, HookFn hook) {
      ForwardOptions fo;
      fo.logits = LogitsMode::Last;
      fo.hook = std::move(hook);
      const torch::Tensor l = e.forward(ids_of(ids), fo).logits[0][0];
      return (l[10] - l[20]).item<double>();
    };
    const double full = (metric(test[0].clean, {}) + metric(test[1].clean, {})) / 2;
    QVERIFY(std::abs(ev.m_full() - full) < 1e-5);
    const std::vector<bool> all(2 * 5 * (kFeatures + 1), true);
    QVERIFY(std::abs(ev.metric_with(all) - full) < 1e-5);
    // Means over the two patch prompts, by hand.
    std::map<int, torch::Tensor> mean_f, mean_e;  // [t, F], [t, d]
    for (const auto& t : test) {
      HookFn record;
      for (int l : {0, 1}) {
        SpliceOptions so;
        so.on_splice = [&mean_f, &mean_e](SpliceState& s) {
          const torch::Tensor f = s.features[0] / 2, err = s.error[0] / 2;
          mean_f[s.layer] = mean_f.count(s.layer) ? mean_f[s.layer] + f : f;
          mean_e[s.layer] = mean_e.count(s.layer) ? mean_e[s.layer] + err : err;
        };
        record = splice_hook(*set->at(l), e, so, record);
      }
      metric(t.patch, record);
    }
    HookFn ablate;
    for (int l : {0, 1}) {
      SpliceOptions so;
      so.on_splice = [&](SpliceState& s) {
        s.features = mean_f[s.layer].unsqueeze(0);
        s.error = mean_e[s.layer].unsqueeze(0);
      };
      ablate = splice_hook(*set->at(l), e, so, ablate);
    }
    const double empty = (metric(test[0].clean, ablate) + metric(test[1].clean, ablate)) / 2;
    QVERIFY(std::abs(empty - full) > 1e-3);
    QVERIFY2(std::abs(ev.m_empty() - empty) < 1e-4, qPrintable(QString("%1 vs %2").arg(ev.m_empty()).arg(empty)));
    // The error node's ablation value shown is the mean error's norm.
    const float shown = ev.ablation_values()[static_cast<size_t>((1 * 5 + 2) * (kFeatures + 1) + kFeatures)];
    QVERIFY(std::abs(shown - mean_e[1][2].norm().item<float>()) < 1e-5f);
    // A curve on feature effects runs and ends at faithfulness 1 when every node is in.
    AttributionOptions o = on_features(Method::RelP, set);
    const CurveResult c = ev.curve(attribute(*model_, test, o), {0.0}, {1000});
    QCOMPARE(c.points.size(), size_t{2});
    QVERIFY(std::abs(c.points[1].faithfulness - 1.0) < 1e-4);
    QCOMPARE(c.points[1].nodes, static_cast<int>(2 * 5 * (kFeatures + 1)));
  }

  // Steering a feature (and the error node) equals the forward with the spliced value scaled by hand; the
  // cached continuation equals the recomputed one.
  void steeringEqualsScaleByHand() {
    const auto set = DictionarySet::load(transcoders_, model_->config());
    const LlamaModel& e = engine_of(*model_);
    // The most active feature of layer 1 at position 3.
    torch::Tensor f1;
    SpliceOptions read;
    read.on_splice = [&f1](SpliceState& s) { f1 = s.features[0]; };
    ForwardOptions plain;
    plain.hook = splice_hook(*set->at(1), e, read);
    e.forward(ids_of(ex_.clean), plain);
    const int top = static_cast<int>(f1[3].argmax().item<int64_t>());
    QVERIFY(f1[3][top].item<float>() > 0);
    Intervention feature;
    feature.basis = Basis::Features;
    feature.dictionaries = set;
    feature.layer = 1;
    feature.index = top;
    feature.pos = 3;
    feature.factor = -4;
    Intervention error = feature;
    error.layer = 0;
    error.index = static_cast<int>(kFeatures);
    error.pos = -1;
    error.factor = 0.5;
    const std::vector<float> got = next_logits_with(*model_, ex_.clean, {feature, error});
    HookFn hand;
    for (int l : {0, 1}) {
      SpliceOptions so;
      so.on_splice = [&](SpliceState& s) {
        if (s.layer == 1) {
          s.features = s.features.clone();
          s.features[0][3][top] *= -4;
        } else {
          s.error = s.error * 0.5;
        }
      };
      hand = splice_hook(*set->at(l), e, so, hand);
    }
    ForwardOptions fo;
    fo.hook = hand;
    fo.logits = LogitsMode::Last;
    const torch::Tensor want = e.forward(ids_of(ex_.clean), fo).logits[0][0];  // [vocab]
    const torch::Tensor g = torch::tensor(got);
    QVERIFY(rel_diff(g, want) < 1e-5);
    QVERIFY((g - torch::tensor(model_->next_logits(ex_.clean))).abs().max().item<float>() > 1e-3f);
    feature.pos = -1;
    QCOMPARE(generate_with(*model_, ex_.clean, 6, {feature, error}, {}, Decoding::Cached),
             generate_with(*model_, ex_.clean, 6, {feature, error}, {}, Decoding::Recompute));
    // A layer without a dictionary, an index past the error node, a missing set.
    const auto one = DictionarySet::load(sae_set_ + "/l1", model_->config());
    Intervention bad = feature;
    bad.dictionaries = one;
    bad.layer = 0;
    QCOMPARE(error_of([&] { next_logits_with(*model_, ex_.clean, {bad}); }),
             "intervention L0/F" + std::to_string(top) + ": " + sae_set_ + "/l1 has no dictionary at layer 0");
    bad.layer = 1;
    bad.index = static_cast<int>(kFeatures) + 1;
    QCOMPARE(error_of([&] { next_logits_with(*model_, ex_.clean, {bad}); }),
             std::string("intervention L1/F13: index out of range for sae (0..12)"));
    bad.dictionaries = nullptr;
    QCOMPARE(error_of([&] { next_logits_with(*model_, ex_.clean, {bad}); }),
             std::string("intervention L1/F13: a feature needs its dictionaries (sae:PATH)"));
    QCOMPARE(error_of([&] { next_logits_with(*model_, ex_.clean, {feature, Intervention{feature.basis, 1, 0, -1, 0,
                                                                                        std::nullopt, one}}); }),
             std::string("intervention L1/F0: every feature intervention must use the same dictionaries"));
  }

  // RelP edges between transcoder features: a layer-0 → layer-1 edge's weight equals the gradient of the target
  // feature with respect to the source feature (the source's splice cut from the backward path) times the
  // source's value, over the target's value, computed here through the splices; error nodes are never targets.
  void featureEdgesEqualByHand() {
    const auto set = DictionarySet::load(transcoders_, model_->config());
    EdgeOptions eo;
    eo.basis = Basis::Features;
    eo.dictionaries = set;
    eo.top_nodes = 20;
    const EdgeResult r = compute_edges(*model_, ex_, eo);
    const Edge* pick = nullptr;
    for (const Edge& e : r.edges) {
      QVERIFY(!(e.dst.kind == EdgeEnd::Kind::Neuron && e.dst.node.index >= kFeatures));
      if (e.src.kind == EdgeEnd::Kind::Neuron && e.dst.kind == EdgeEnd::Kind::Neuron && e.src.node.layer == 0 &&
          e.dst.node.layer == 1 && e.src.node.index < kFeatures && (!pick || std::abs(e.weight) > std::abs(pick->weight)))
        pick = &e;
    }
    QVERIFY2(pick, "no layer-0 feature -> layer-1 feature edge among the top 20 nodes");
    const NodeRef s = pick->src.node, d = pick->dst.node;
    const LlamaModel& e = engine_of(*model_);
    torch::Tensor f0_leaf, f0, f1;  // [1, t, F] each
    HookFn hook;
    for (int l : {0, 1}) {
      SpliceOptions so;
      so.on_splice = [&](SpliceState& st) {
        if (st.layer == 0) {
          f0 = st.features.detach();
          f0_leaf = f0.clone().requires_grad_(true);
          st.features = f0_leaf;
          st.error = st.error.detach();
        } else {
          f1 = st.features;
        }
      };
      hook = splice_hook(*set->at(l), e, so, hook);
    }
    ForwardOptions fo;
    fo.hook = hook;
    fo.rules = GradRules::relp();
    fo.logits = LogitsMode::Last;
    e.forward(ids_of(ex_.clean), fo);
    const torch::Tensor target = f1[0][d.pos][d.index];
    const double contribution =
        torch::autograd::grad({target}, {f0_leaf})[0][0][s.pos][s.index].item<double>() * f0[0][s.pos][s.index].item<double>();
    const double eps = 1e-6 * f1.detach()[0][d.pos].abs().mean().item<double>();
    const double want = contribution / (target.item<double>() + eps);
    QVERIFY(std::abs(want) > 1e-4);
    QVERIFY2(std::abs(pick->weight - want) < 1e-4 * std::abs(want) + 1e-6,
             qPrintable(QString("%1 -> %2: %3 vs %4").arg(QString::fromStdString(pick->src.name()))
                            .arg(QString::fromStdString(pick->dst.name())).arg(pick->weight).arg(want)));
  }

  // An exemplar index of features: each feature's best exemplar is its largest value over every corpus token
  // (brute force through the splice, window by window as the builder cuts them), and the index is tied to its set.
  void featureExemplars() {
    const auto set = DictionarySet::load(sae_set_, model_->config());
    const std::string corpus = tmp_.path().toStdString() + "/corpus.txt";
    const std::vector<std::string> docs = {"The capital of Texas is Austin, and the capital of France is Paris.",
                                           "Dogs run in the park while the cats sleep.",
                                           "Seven plus five is twelve; nine minus two is seven."};
    std::string text;
    for (const auto& d : docs) text += d + "\n";
    ce::test::write_text(corpus, text);
    ExemplarBuildOptions o;
    o.corpus_path = corpus;
    o.out_path = sae_set_ + "/features.cexi";
    o.basis = Basis::Features;
    o.dictionaries = set;
    o.top_k = 3;
    o.context = 8;
    build_exemplar_index(*model_, o);
    const auto index = ExemplarIndex::open(o.out_path);
    QVERIFY(index->info().basis == Basis::Features);
    QCOMPARE(index->info().neurons, static_cast<int>(kFeatures));
    QCOMPARE(index->info().dictionaries_hash, set->fingerprint());
    // Brute force: every window alone, features read at both layers' splices, BOS positions skipped.
    const LlamaModel& e = engine_of(*model_);
    torch::Tensor best = torch::full({2, kFeatures}, -1e30);  // [L, F]
    for (const auto& d : docs) {
      const std::vector<int> ids = model_->encode(d);
      for (size_t at = 0; at < ids.size(); at += 8) {
        const std::vector<int> window(ids.begin() + static_cast<std::ptrdiff_t>(at),
                                      ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + 8)));
        HookFn record;
        for (int l : {0, 1}) {
          SpliceOptions so;
          so.on_splice = [&](SpliceState& s) {
            for (size_t p = 0; p < window.size(); ++p) {
              if (window[p] == model_->tokenizer().bos_id()) continue;
              best[s.layer] = torch::maximum(best[s.layer], s.features[0][static_cast<int64_t>(p)]);
            }
          };
          record = splice_hook(*set->at(l), e, so, record);
        }
        ForwardOptions fo;
        fo.hook = record;
        fo.logits = LogitsMode::None;
        e.forward(ids_of(window), fo);
      }
    }
    for (int l : {0, 1}) {
      for (int f = 0; f < kFeatures; ++f) {
        const auto top = index->exemplars(l, f, Polarity::Positive, 1);
        QCOMPARE(top.size(), size_t{1});
        // Batched with padding in the builder, one window at a time here: equal up to float rounding.
        const float want = best[l][f].item<float>();
        QVERIFY2(std::abs(top[0].activation - want) <= 1e-5f * std::max(1.0f, std::abs(want)),
                 qPrintable(QString("L%1/F%2: %3 vs %4").arg(l).arg(f).arg(top[0].activation).arg(best[l][f].item<float>())));
      }
    }
    // Found beside its set; refused for another set.
    const auto found = find_exemplar_index(*model_, Basis::Features, nullptr, set.get());
    QVERIFY(found && found->path() == o.out_path);
    const auto other = DictionarySet::load(transcoders_, model_->config());
    const std::string refused = error_of([&] { index->check_dictionaries(*other); });
    QVERIFY2(refused.rfind(o.out_path + ": built for other dictionaries (d_sae 12, fingerprint ", 0) == 0, refused.c_str());
    QVERIFY(find_exemplar_index(*model_, Basis::Features, nullptr, other.get()) == nullptr);
    std::filesystem::remove(o.out_path);  // the set folder is shared with the other cases
  }

  // Curves of two feature sets and the neurons stay apart in one CSV and come back with their names.
  void curvesCsvNamesTheSet() {
    CurveResult c;
    c.points.push_back(CurvePoint{0.0, 3, 0.5, 0.25, 1.0, 2.0});
    const std::string csv = curves_csv({{Method::RelP, Basis::Features, Ablation::Mean, &c, "sae_mlp_out_4x"},
                                        {Method::RelP, Basis::Features, Ablation::Mean, &c, "odd,name"},
                                        {Method::RelP, Basis::MlpAct, Ablation::Mean, &c, ""}});
    QVERIFY(csv.find("\nrelp,sae:sae_mlp_out_4x,mean,0,3,") != std::string::npos);
    const auto back = parse_curves_csv(csv, "t.csv");
    QCOMPARE(back.size(), size_t{3});
    QCOMPARE(back[0].dictionaries, std::string("sae_mlp_out_4x"));
    QCOMPARE(back[1].dictionaries, std::string("odd_name"));
    QVERIFY(back[2].basis == Basis::MlpAct && back[2].dictionaries.empty());
    const std::string bad = "method,basis,ablation,threshold,nodes,faithfulness,completeness\nrelp,mlp_act:x,mean,0,1,1,1\n";
    QCOMPARE(error_of([&] { parse_curves_csv(bad, "b.csv"); }),
             std::string("b.csv: line 2: basis 'mlp_act:x': only sae takes a name"));
    QCOMPARE(DictionarySet::load(sae_set_ + "/", model_->config())->name(), std::string("saes"));
  }

  void errors() {
    const ModelConfig& c = model_->config();
    AttributionOptions o;
    o.basis = Basis::Features;
    QCOMPARE(error_of([&] { attribute(*model_, {ex_}, o); }),
             std::string("the feature basis needs its dictionaries (sae:PATH)"));
    QCOMPARE(error_of([&] { split_basis_spec("sae"); }),
             std::string("basis 'sae' needs its dictionaries: sae:PATH (a dictionary folder or a folder of them) "
                         "or sae:NAME (shipped beside the model)"));
    QCOMPARE(error_of([&] { split_basis_spec("sae:"); }),
             std::string("basis 'sae:': name the dictionaries (sae:PATH or sae:NAME)"));
    QCOMPARE(split_basis_spec("sae:x/y").second, std::string("x/y"));
    QVERIFY(split_basis_spec("mlp_out").first == Basis::MlpOut);
    QCOMPARE(error_of([&] { split_basis_spec("neurons"); }),
             std::string("unknown basis 'neurons' (expected mlp_act, mlp_out, attn, resid or sae)"));
    const std::string root = tmp_.path().toStdString();
    QCOMPARE(error_of([&] { DictionarySet::load(root + "/nothing", c); }), root + "/nothing: not a folder");
    QVERIFY(QDir().mkpath(tmp_.path() + "/empty/sub"));
    QCOMPARE(error_of([&] { DictionarySet::load(root + "/empty", c); }),
             root + "/empty: no dictionary folders in it (each needs cfg.json or hyperparams.json)");
    const std::string twice = root + "/twice";
    ce::test::random_saelens(twice + "/a", 8, kFeatures, "blocks.1.hook_mlp_out", "standard", "", 1);
    ce::test::random_saelens(twice + "/b", 8, kFeatures, "blocks.1.hook_resid_post", "standard", "", 2);
    QCOMPARE(error_of([&] { DictionarySet::load(twice, c); }),
             twice + ": two dictionaries for layer 1 (" + twice + "/a and " + twice + "/b)");
    const std::string widths = root + "/widths";
    ce::test::random_saelens(widths + "/a", 8, kFeatures, "blocks.0.hook_mlp_out", "standard", "", 1);
    ce::test::random_saelens(widths + "/b", 8, 2 * kFeatures, "blocks.1.hook_mlp_out", "standard", "", 2);
    QCOMPARE(error_of([&] { DictionarySet::load(widths, c); }),
             widths + ": d_sae differs between dictionaries (12 in " + widths + "/a, 24 in " + widths +
                 "/b); a basis needs one width");
    const std::string wide = root + "/wide";
    ce::test::random_saelens(wide, 16, kFeatures, "blocks.0.hook_mlp_out", "standard", "", 1);
    QCOMPARE(error_of([&] { DictionarySet::load(wide, c); }),
             wide + "/cfg.json: d_in = 16, but the model's hidden_size is 8");
    QCOMPARE(error_of([&] { DictionarySet::resolve("no-such", root + "/model"); }),
             "dictionaries 'no-such': no such folder, and " + root + "/model/dictionaries/no-such does not exist");
    QCOMPARE(DictionarySet::resolve(sae_set_, root + "/model"), sae_set_);
  }
};

QTEST_GUILESS_MAIN(TestFeatureBasis)
#include "test_feature_basis.moc"
