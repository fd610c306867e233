// Attribution, ablation, edges and steering: RelP rules against hand-derived gradients on a two-dimensional
// model, IG and exact patching against each other, faithfulness identities, mean ablation against a direct
// mean, cancellation, and data-file errors.
#include <QtTest/QtTest>

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>

#include <cmath>
#include <fstream>
#include <random>

#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/circuits/edge_attribution.h"
#include "ce/core/base/error.h"
#include "ce/core/circuits/intervention.h"
#include "ce/core/base/job.h"
#include "worker_job.h"
#include "io/llama_weight_spec.h"
#include "ce/core/model/model.h"
#include "ce/core/base/resources.h"
#include "io/safetensors_writer.h"
#include "ce/core/circuits/specific_neurons.h"
#include "engine/llama.h"

using namespace ce::core;

namespace {

const char* kTexas = "Fact: the capital of the state containing Dallas is";
const char* kFresno = "Fact: the capital of the state containing Fresno is";

// A one-layer model with d = 2, one head of dimension 2, one MLP neuron and 3 tokens, small enough that its
// gradients can be written out by hand.
ModelConfig tiny_config(int64_t vocab = 3) {
  ModelConfig c;
  c.hidden_size = 2;
  c.intermediate_size = 1;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 1;
  c.num_key_value_heads = 1;
  c.head_dim = 2;
  c.vocab_size = vocab;
  c.rms_norm_eps = 1e-6;
  c.rope_theta = 10000.0;
  c.tie_word_embeddings = false;
  return c;
}

std::map<std::string, torch::Tensor> tiny_weights(const ModelConfig& c, uint64_t seed) {
  torch::manual_seed(seed);
  std::map<std::string, torch::Tensor> w;
  for (const auto& [name, shape] : llama_weight_shapes(c, true)) w[name] = torch::randn(shape, torch::kFloat64).to(torch::kFloat32);
  return w;
}

// d(w ⊙ x·s(x))/dx applied to an upstream gradient gy, s = rsqrt(mean(x²) + eps): the full Jacobian
// s·I − s³·x·xᵀ/d, or s·I when the scale is detached.
torch::Tensor norm_backward(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& gy, double eps,
                            bool detach) {
  const double d = static_cast<double>(x.size(0));
  torch::Tensor s = torch::rsqrt(x.pow(2).mean() + eps);
  torch::Tensor g = w * gy;
  torch::Tensor out = s * g;
  if (!detach) out = out - s.pow(3) * x * (x * g).sum() / d;
  return out;
}

// Gradient of m = logit0 - logit1 with respect to the token embedding, the engine's way.
torch::Tensor engine_grad(const LlamaModel& e, const torch::Tensor& ids, const GradRules& rules, int pos) {
  torch::Tensor emb;
  ForwardOptions o;
  o.rules = rules;
  o.logits = LogitsMode::Last;
  o.hook = [&](Site s, int l, const torch::Tensor& x) {
    if (s == Site::ResidPre && l == 0) {
      emb = x.detach().requires_grad_(true);
      return emb;
    }
    return x;
  };
  torch::Tensor logits = e.forward(ids, o).logits[0][0];
  torch::Tensor m = logits[0] - logits[1];
  return torch::autograd::grad({m}, {emb})[0][0][pos];  // [d]
}

// Writes a model folder with the demo model's tokenizer and random weights of `c` (vocab must be 2048).
void write_folder(const QString& dir, const ModelConfig& c, uint64_t seed) {
  SafetensorsWriter w;
  for (const auto& [name, t] : tiny_weights(c, seed)) {
    std::vector<int64_t> shape(t.sizes().begin(), t.sizes().end());
    w.add(name, DType::F32, shape, t.contiguous().data_ptr<float>());
  }
  w.write((dir + "/model.safetensors").toStdString());
  std::ofstream((dir + "/config.json").toStdString()) << c.to_json();
  const QString geo = QString::fromStdString(default_model_dir());
  QVERIFY(QFile::copy(geo + "/tokenizer.model", dir + "/tokenizer.model"));
  QVERIFY(QFile::copy(geo + "/tokenizer_config.json", dir + "/tokenizer_config.json"));
}

float max_abs(const std::vector<float>& a, const std::vector<float>& b) {
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}
float max_abs(const std::vector<float>& a) {
  float m = 0;
  for (float v : a) m = std::max(m, std::abs(v));
  return m;
}

void write_lines(const QString& path, const std::string& text) { std::ofstream(path.toStdString()) << text; }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

class TestAttribution : public QObject {
  Q_OBJECT
  std::unique_ptr<Model> geo_;
  AttributionExample texas_;

 private Q_SLOTS:
  void initTestCase() {
    geo_ = Model::open(default_model_dir());
    texas_ = make_example(geo_->tokenizer(), kTexas, " Austin", " Sacramento", kFresno);
  }

  // The MLP path (o_proj = 0, so attention adds nothing): each rule, alone and together, against the
  // gradient derived by hand.
  void relpMlpRulesMatchHandGradient() {
    const ModelConfig c = tiny_config();
    auto w = tiny_weights(c, 7);
    w["model.layers.0.self_attn.o_proj.weight"].zero_();
    const LlamaModel e(c, w);
    const torch::Tensor x = w["model.embed_tokens.weight"][2];  // token 2: [2]
    const double eps = c.rms_norm_eps;
    const torch::Tensor wp = w["model.layers.0.post_attention_layernorm.weight"];
    const torch::Tensor Wg = w["model.layers.0.mlp.gate_proj.weight"][0], Wu = w["model.layers.0.mlp.up_proj.weight"][0];
    const torch::Tensor Wd = w["model.layers.0.mlp.down_proj.weight"].select(1, 0);  // [2]
    const torch::Tensor wf = w["model.norm.weight"], lm = w["lm_head.weight"];
    const torch::Tensor cvec = lm[0] - lm[1];  // dm/dy
    // Forward by hand.
    const torch::Tensor h = wp * x * torch::rsqrt(x.pow(2).mean() + eps);
    const torch::Tensor g = (Wg * h).sum(), u = (Wu * h).sum();
    const torch::Tensor sg = torch::sigmoid(g);
    const torch::Tensor out = x + Wd * (g * sg * u);
    for (int mask = 0; mask < 8; ++mask) {
      GradRules r;
      r.rmsnorm_detach = mask & 1;
      r.silu_gate_detach = mask & 2;
      r.half_rule = mask & 4;
      const torch::Tensor g_out = norm_backward(out, wf, cvec, eps, r.rmsnorm_detach);
      const torch::Tensor g_n = (Wd * g_out).sum();
      const double half = r.half_rule ? 0.5 : 1.0;
      const torch::Tensor dact = r.silu_gate_detach ? sg : sg * (1 + g * (1 - sg));
      const torch::Tensor g_h = Wg * (g_n * u * dact * half) + Wu * (g_n * g * sg * half);
      const torch::Tensor expected = g_out + norm_backward(x, wp, g_h, eps, r.rmsnorm_detach);
      const torch::Tensor got = engine_grad(e, torch::tensor({int64_t{2}}).view({1, 1}), r, 0);
      QVERIFY2(torch::allclose(got, expected, 1e-4, 1e-5),
               qPrintable(QString("rules mask %1: got %2 %3, expected %4 %5").arg(mask)
                              .arg(got[0].item<double>()).arg(got[1].item<double>())
                              .arg(expected[0].item<double>()).arg(expected[1].item<double>())));
    }
    // The rules change gradients, so the comparison above could fail.
    const auto ids = torch::tensor({int64_t{2}}).view({1, 1});
    QVERIFY(!torch::allclose(engine_grad(e, ids, {}, 0), engine_grad(e, ids, GradRules::relp(), 0), 1e-3, 1e-4));
  }

  // The attention path (down_proj = 0): with probabilities and norms detached, the gradient reaching the
  // first token from the last position's metric flows through its value vector only.
  void relpAttentionRuleMatchesHandGradient() {
    const ModelConfig c = tiny_config();
    auto w = tiny_weights(c, 11);
    w["model.layers.0.mlp.down_proj.weight"].zero_();
    const LlamaModel e(c, w);
    const double eps = c.rms_norm_eps;
    const torch::Tensor E = w["model.embed_tokens.weight"];
    const torch::Tensor x0 = E[1], x1 = E[2];
    const torch::Tensor win = w["model.layers.0.input_layernorm.weight"];
    const torch::Tensor Wq = w["model.layers.0.self_attn.q_proj.weight"], Wk = w["model.layers.0.self_attn.k_proj.weight"];
    const torch::Tensor Wv = w["model.layers.0.self_attn.v_proj.weight"], Wo = w["model.layers.0.self_attn.o_proj.weight"];
    auto norm = [&](const torch::Tensor& x) { return win * x * torch::rsqrt(x.pow(2).mean() + eps); };
    auto rot = [](const torch::Tensor& v, double angle) {  // RoPE of head_dim 2: inv_freq = 1
      return v * std::cos(angle) + torch::stack({-v[1], v[0]}) * std::sin(angle);
    };
    const torch::Tensor h0 = norm(x0), h1 = norm(x1);
    const torch::Tensor q1 = rot(Wq.matmul(h1), 1.0), k0 = rot(Wk.matmul(h0), 0.0), k1 = rot(Wk.matmul(h1), 1.0);
    const torch::Tensor p = torch::softmax(torch::stack({(q1 * k0).sum(), (q1 * k1).sum()}) / std::sqrt(2.0), 0);
    const torch::Tensor v0 = Wv.matmul(h0), v1 = Wv.matmul(h1);
    const torch::Tensor out1 = x1 + Wo.matmul(p[0] * v0 + p[1] * v1);
    const torch::Tensor cvec = w["lm_head.weight"][0] - w["lm_head.weight"][1];
    const torch::Tensor g_out = norm_backward(out1, w["model.norm.weight"], cvec, eps, true);
    const torch::Tensor g_v0 = p[0] * Wo.t().matmul(g_out);
    const torch::Tensor expected = norm_backward(x0, win, Wv.t().matmul(g_v0), eps, true);
    GradRules r;
    r.rmsnorm_detach = true;
    r.attn_probs_detach = true;
    const torch::Tensor ids = torch::tensor({int64_t{1}, int64_t{2}}).view({1, 2});
    const torch::Tensor got = engine_grad(e, ids, r, 0);
    QVERIFY2(torch::allclose(got, expected, 1e-4, 1e-5),
             qPrintable(QString("got %1 %2, expected %3 %4").arg(got[0].item<double>()).arg(got[1].item<double>())
                            .arg(expected[0].item<double>()).arg(expected[1].item<double>())));
    r.attn_probs_detach = false;  // the query/key path adds to it
    QVERIFY(!torch::allclose(engine_grad(e, ids, r, 0), expected, 1e-3, 1e-4));
  }

  void igWithOneStepEqualsAtp() {
    for (Basis b : {Basis::MlpAct, Basis::MlpOut, Basis::Attn, Basis::Resid}) {
      AttributionOptions o;
      o.basis = b;
      o.method = Method::AtP;
      const AttributionResult atp = attribute(*geo_, {texas_}, o);
      o.method = Method::IG;
      o.ig_steps = 1;
      const AttributionResult ig = attribute(*geo_, {texas_}, o);
      QVERIFY(max_abs(atp.effect) > 0.1f);
      QVERIFY2(max_abs(atp.effect, ig.effect) < 1e-4f * max_abs(atp.effect), basis_name(b));
      // The same clean metric, up to float rounding.
      QVERIFY(std::abs(atp.m - ig.m) < 1e-6 * std::abs(atp.m));
    }
  }

  // AtP, RelP and IG run the positions every clean and patch prompt of a batch shares once ("<s> The" of
  // the SVA prompts, "Fact: ... containing" of the Texas prompt): effects, activations and the metric,
  // summed and per example, equal those of every position run per row, and the prefix's effects are 0.
  void sharedPrefixEqualsFullRun() {
    std::vector<AttributionExample> ex =
        load_paired_dataset(default_datasets_dir() + "/sva/nounpp_train.json", geo_->tokenizer(), 24).examples;
    ex.push_back(texas_);
    QCOMPARE(ex.size(), size_t{25});
    for (Method m : {Method::AtP, Method::RelP, Method::IG}) {
      for (Basis b : {Basis::MlpAct, Basis::Attn, Basis::Resid}) {
        AttributionOptions o;
        o.method = m;
        o.basis = b;
        o.batch = 8;
        const size_t L = static_cast<size_t>(geo_->config().num_hidden_layers);
        const size_t w = static_cast<size_t>(b == Basis::MlpAct ? geo_->config().intermediate_size
                                                                : geo_->config().hidden_size);
        std::vector<std::vector<float>> rows[2];  // per example: its effects then its activations
        AttributionResult r[2];
        for (int full = 0; full < 2; ++full) {
          o.shared_prefix = full == 0;
          rows[full].assign(ex.size(), {});
          r[full] = attribute(*geo_, ex, o, JobControl(), [&](size_t i, int t, const float* e, const float* a, double) {
            const size_t n = static_cast<size_t>(t) * L * w;
            rows[full][i].assign(e, e + n);
            rows[full][i].insert(rows[full][i].end(), a, a + n);
          });
        }
        const QString what = QString("%1 %2").arg(method_name(m), basis_name(b));
        QVERIFY2(max_abs(r[1].effect) > 0.1f, qPrintable(what));
        QVERIFY2(max_abs(r[0].effect, r[1].effect) < 1e-5f * max_abs(r[1].effect), qPrintable(what));
        QVERIFY2(max_abs(r[0].activation, r[1].activation) < 1e-5f * max_abs(r[1].activation), qPrintable(what));
        QVERIFY2(std::abs(r[0].m - r[1].m) < 1e-6 * std::abs(r[1].m), qPrintable(what));
        for (size_t i = 0; i < ex.size(); ++i) {
          QCOMPARE(rows[0][i].size(), rows[1][i].size());
          QVERIFY2(max_abs(rows[0][i], rows[1][i]) < 1e-5f * max_abs(rows[1][i]), qPrintable(what));
        }
        // The Texas prompt's positions before the city ("<s>Fact: the capital of the state containing") are
        // its patch prompt's too: their effects are 0 at every layer.
        const std::vector<float>& texas = rows[0].back();
        const size_t t = texas_.clean.size();
        size_t p = 0;
        while (texas_.clean[p] == texas_.patch[p]) ++p;
        QVERIFY(p >= 8 && p < t);
        for (size_t l = 0; l < L; ++l) {
          for (size_t k = 0; k < p * w; ++k) QCOMPARE(texas[(l * t) * w + k], 0.0f);
        }
      }
    }
  }

  // Exact patching of a node at a position the Texas prompt shares with its patch prompt replaces the node
  // by its own value: effect 0 without a forward, and the same as running it.
  void exactSkipsSharedPositions() {
    size_t p = 0;
    while (texas_.clean[p] == texas_.patch[p]) ++p;
    const int last = static_cast<int>(texas_.clean.size()) - 1;
    AttributionOptions o;
    o.method = Method::Exact;
    o.exact_nodes = {{0, 1, 7}, {1, static_cast<int>(p) - 1, 5}, {1, static_cast<int>(p), 5}, {3, last, 420}, {2, last, 9}};
    AttributionResult r[2];
    for (int full = 0; full < 2; ++full) {
      o.shared_prefix = full == 0;
      r[full] = attribute(*geo_, {texas_}, o);
    }
    float largest = 0;
    for (const NodeRef& n : o.exact_nodes) {
      const size_t at = dense_offset(n, static_cast<size_t>(r[0].positions), static_cast<size_t>(r[0].width));
      QVERIFY(r[0].evaluated[at] && r[1].evaluated[at]);
      if (static_cast<size_t>(n.pos) < p) QCOMPARE(r[0].effect[at], 0.0f);
      largest = std::max(largest, std::abs(r[1].effect[at]));
      QVERIFY2(std::abs(r[0].effect[at] - r[1].effect[at]) < 1e-5f,
               qPrintable(QString("%1 against %2").arg(r[0].effect[at]).arg(r[1].effect[at])));
    }
    QVERIFY(largest > 0.01f);  // the nodes after the shared positions matter
    QCOMPARE(std::count(r[0].evaluated.begin(), r[0].evaluated.end(), true), 5);
  }

  void relpWithoutRulesEqualsAtp() {
    AttributionOptions o;
    o.method = Method::AtP;
    const AttributionResult atp = attribute(*geo_, {texas_}, o);
    o.method = Method::RelP;
    o.rules = RelpRules::parse("none");
    const AttributionResult plain = attribute(*geo_, {texas_}, o);
    QVERIFY(max_abs(atp.effect, plain.effect) < 1e-5f * max_abs(atp.effect));
    o.rules = RelpRules{};
    QVERIFY(max_abs(atp.effect, attribute(*geo_, {texas_}, o).effect) > 0.05f * max_abs(atp.effect));
  }

  // With a single node in the module (one neuron, one token), IG is a Riemann sum of the gradient along
  // the path from clean to zero, so it converges to exact patching as the steps grow; AtP (1 step) does not.
  void igConvergesToExactPatching() {
    QTemporaryDir dir;
    ModelConfig c = tiny_config(2048);
    c.hidden_size = 8;
    c.head_dim = 8;
    write_folder(dir.path(), c, 5);
    const auto m = Model::open(dir.path().toStdString());
    AttributionExample ex;
    ex.clean = {1};
    ex.answer = 10;
    ex.contrast = 20;
    AttributionOptions o;
    o.method = Method::Exact;
    const float exact = attribute(*m, {ex}, o).effect[0];
    o.method = Method::IG;
    std::vector<float> err;
    for (int steps : {1, 10, 100, 1000}) {
      o.ig_steps = steps;
      err.push_back(std::abs(attribute(*m, {ex}, o).effect[0] - exact));
    }
    QVERIFY2(std::abs(exact) > 1e-3f, qPrintable(QString::number(exact)));
    QVERIFY2(err[0] > 1e-3f * std::abs(exact), "AtP should not already be exact here");
    QVERIFY(err[1] < err[0] && err[2] < err[1]);
    QVERIFY2(err[3] < 2e-3f * std::abs(exact) + 1e-5f, qPrintable(QString("%1 vs exact %2").arg(err[3]).arg(exact)));
  }

  // Exact patching with a zero baseline equals zero-ablating the node with an intervention.
  void exactEqualsInterventionDelta() {
    AttributionExample ex = texas_;
    ex.patch.clear();
    AttributionOptions o;
    o.method = Method::Exact;
    const NodeRef node{2, 10, 636};
    o.exact_nodes = {node};
    const AttributionResult r = attribute(*geo_, {ex}, o);
    const std::vector<float> clean = geo_->next_logits(ex.clean);
    Intervention iv;
    iv.layer = node.layer;
    iv.pos = node.pos;
    iv.index = node.index;
    iv.factor = 0;
    const std::vector<float> ablated = next_logits_with(*geo_, ex.clean, {iv});
    const double expected = (ablated[static_cast<size_t>(ex.answer)] - ablated[static_cast<size_t>(ex.contrast)]) -
                            (clean[static_cast<size_t>(ex.answer)] - clean[static_cast<size_t>(ex.contrast)]);
    QVERIFY(std::abs(expected) > 0.01);
    QVERIFY2(std::abs(r.effect_at(node) - expected) < 1e-4, qPrintable(QString("%1 vs %2").arg(r.effect_at(node)).arg(expected)));
    const auto top = top_nodes(r, 10);
    QCOMPARE(top.size(), size_t{1});  // only evaluated nodes are listed
  }

  void faithfulnessIdentities() {
    const std::string dir = default_datasets_dir() + "/sva/";
    const auto train = load_paired_dataset(dir + "simple_train.json", geo_->tokenizer(), 16).examples;
    const auto test = load_paired_dataset(dir + "simple_test.json", geo_->tokenizer(), 16).examples;
    AttributionOptions o;
    o.method = Method::AtP;
    const AttributionResult eff = attribute(*geo_, train, o);
    const CircuitEvaluator ev(*geo_, test, Basis::MlpAct, Ablation::Mean);
    QVERIFY(std::abs(ev.m_full() - ev.m_empty()) > 0.5);
    const int all = eff.layers * eff.positions * eff.width;
    const CurveResult cr = ev.curve(eff, {}, {0, all, 20});
    QCOMPARE(cr.points.size(), size_t{3});
    QCOMPARE(cr.points[0].nodes, 0);
    QVERIFY(std::abs(cr.points[0].faithfulness) < 1e-9);   // empty circuit: m(∅)
    QVERIFY(std::abs(cr.points[0].completeness - 1) < 1e-9);  // complement of ∅ is the full model
    QCOMPARE(cr.points[1].nodes, all);
    QVERIFY(std::abs(cr.points[1].faithfulness - 1) < 1e-9);
    QVERIFY(std::abs(cr.points[1].completeness) < 1e-9);
    QCOMPARE(cr.points[2].nodes, 20);
    QVERIFY(cr.points[2].faithfulness > 0.2);  // 20 attributed neurons of 3072 already carry much of it
  }

  // Mean ablation values against a direct mean of the residual stream over the test patch prompts.
  void meanAblationValuesEqualDirectMean() {
    const std::string path = default_datasets_dir() + "/sva/nounpp_test.json";
    const auto test = load_paired_dataset(path, geo_->tokenizer(), 12).examples;
    const CircuitEvaluator ev(*geo_, test, Basis::Resid, Ablation::Mean);
    const int T = ev.positions(), W = ev.width();
    const size_t L = static_cast<size_t>(geo_->config().num_hidden_layers);
    std::vector<double> sum(L * static_cast<size_t>(T * W), 0.0);
    std::vector<int> count(static_cast<size_t>(T), 0);
    for (const auto& e : test) {
      const auto rs = geo_->residual_stream(e.patch);  // [layers + 1][t][d]
      for (size_t l = 0; l < L; ++l)
        for (size_t p = 0; p < e.patch.size(); ++p)
          for (int i = 0; i < W; ++i) sum[(l * static_cast<size_t>(T) + p) * static_cast<size_t>(W) + static_cast<size_t>(i)] += rs[l + 1][p][static_cast<size_t>(i)];
      for (size_t p = 0; p < e.patch.size(); ++p) ++count[p];
    }
    float worst = 0;
    for (size_t k = 0; k < sum.size(); ++k) {
      const int p = static_cast<int>((k / static_cast<size_t>(W)) % static_cast<size_t>(T));
      const double direct = count[static_cast<size_t>(p)] ? sum[k] / count[static_cast<size_t>(p)] : 0.0;
      worst = std::max(worst, static_cast<float>(std::abs(direct - ev.ablation_values()[k])));
    }
    QVERIFY2(worst < 1e-4f, qPrintable(QString::number(worst)));
  }

  void cancelledJobStopsWithinHalfASecond() {
    const auto data = load_paired_dataset(default_datasets_dir() + "/sva/within_rc_train.json", geo_->tokenizer());
    AttributionOptions o;
    o.method = Method::IG;
    std::atomic<double> last{0};
    Job<AttributionResult> job([&](const JobControl& c) { return attribute(*geo_, data.examples, o, c); },
                               [&](double f, const std::string&) { last = f; });
    QVERIFY(!job.wait_for(0.3));  // still running: the whole set takes many seconds
    QElapsedTimer t;
    t.start();
    job.cancel();
    QVERIFY(job.wait_for(0.5));
    const qint64 ms = t.elapsed();
    const auto r = job.result();
    QVERIFY(r.cancelled);
    QVERIFY(!r.ok());
    QVERIFY2(ms < 500, qPrintable(QString::number(ms)));
    qInfo("cancel honoured after %lld ms (progress was %.3f)", static_cast<long long>(ms), last.load());
  }

  void jobReturnsErrorsAsValues() {
    Job<AttributionResult> job([&](const JobControl& c) { return attribute(*geo_, {}, {}, c); });
    const auto r = job.result();
    QVERIFY(!r.ok());
    QVERIFY(!r.cancelled);
    QCOMPARE(QString::fromStdString(r.error), QString("attribution needs at least one example"));
  }

  void badDataFilesGiveClearErrors() {
    QTemporaryDir dir;
    const QString p = dir.path() + "/d.jsonl";
    const Tokenizer& tok = geo_->tokenizer();
    auto load = [&] { load_paired_dataset(p.toStdString(), tok); };
    write_lines(p, "");
    QVERIFY(QString::fromStdString(error_of(load)).endsWith("d.jsonl: the data file has no examples"));
    write_lines(p, R"({"clean_prefix": "The uncles", "patch_prefix": "The uncle", "clean_answer": " do"})" "\n");
    QVERIFY(QString::fromStdString(error_of(load)).endsWith("d.jsonl:1: missing field \"patch_answer\""));
    write_lines(p, "\n{not json\n");
    QVERIFY(QString::fromStdString(error_of(load)).endsWith("d.jsonl:2: not valid JSON (parse error at line 1, column 3: syntax error while parsing object key - invalid literal; last read: '{no'; expected string literal)"));
    write_lines(p, R"({"clean_prefix": "The uncles", "patch_prefix": "The uncle", "clean_answer": " do so", "patch_answer": " does"})" "\n");
    QVERIFY2(QString::fromStdString(error_of(load)).contains("no usable example among 1 (1 with a multi-token answer, 0 with"),
             error_of(load).c_str());
    write_lines(p, R"({"clean_prefix": "The uncles near the cars", "patch_prefix": "The uncle", "clean_answer": " do", "patch_answer": " does"})" "\n");
    QVERIFY(QString::fromStdString(error_of(load)).contains("1 with clean and patch prefixes of unequal token length"));
    QVERIFY(QString::fromStdString(error_of([&] { load_paired_dataset(dir.path().toStdString() + "/none.jsonl", tok); }))
                .endsWith("none.jsonl: cannot open the data file"));
    // Usable lines are kept and the rest counted.
    write_lines(p, R"({"clean_prefix": "The uncles", "patch_prefix": "The uncle", "clean_answer": " do", "patch_answer": " does", "case": "plural"})" "\n"
                   R"({"clean_prefix": "The uncles", "patch_prefix": "The uncle", "clean_answer": " do so", "patch_answer": " does"})" "\n");
    const auto d = load_paired_dataset(p.toStdString(), tok);
    QCOMPARE(d.examples.size(), size_t{1});
    QCOMPARE(d.multi_token, size_t{1});
    QCOMPARE(d.examples[0].label, std::string("plural"));
    QCOMPARE(d.examples[0].clean.size(), d.examples[0].patch.size());
    QVERIFY(QString::fromStdString(error_of([&] { make_example(tok, kTexas, " Austin Texas"); }))
                .startsWith("the answer ' Austin Texas' is 2 tokens"));
    QVERIFY(QString::fromStdString(error_of([&] { make_example(tok, kTexas, " Austin", "", "Fact: the capital"); }))
                .contains("they must be equally long"));
  }

  void parsersRejectBadInput() {
    QCOMPARE(RelpRules::parse("-half").to_string(), std::string("norm,gate,attn"));
    QCOMPARE(RelpRules::parse("none").to_string(), std::string("none"));
    QCOMPARE(RelpRules::parse("gate,attn").to_string(), std::string("gate,attn"));
    QVERIFY(QString::fromStdString(error_of([] { RelpRules::parse("norm,silly"); })).startsWith("unknown RelP rule 'silly'"));
    const Intervention iv = Intervention::parse("L2/N117@5=-3.5");
    QCOMPARE(iv.layer, 2);
    QCOMPARE(iv.index, 117);
    QCOMPARE(iv.pos, 5);
    QCOMPARE(iv.factor, -3.5);
    QCOMPARE(Intervention::parse("0/3=0").pos, -1);
    QVERIFY(QString::fromStdString(error_of([] { Intervention::parse("2:117=0"); })).startsWith("bad intervention '2:117=0'"));
    QVERIFY(QString::fromStdString(error_of([&] { validate_interventions(*geo_, {Intervention::parse("9/1=0")}); }))
                .contains("layer out of range (0..3)"));
    QVERIFY(QString::fromStdString(error_of([] { parse_basis("mlp"); })).contains("expected mlp_act, mlp_out, attn, resid or sae)"));
  }

  // Steering the top neurons against the answer changes the output; factor 1 changes nothing.
  void steeringChangesLogits() {
    const auto base = geo_->next_logits(texas_.clean);
    Intervention iv = Intervention::parse("2/636=1");
    QCOMPARE(next_logits_with(*geo_, texas_.clean, {iv}), base);
    iv.factor = -8;
    const auto steered = next_logits_with(*geo_, texas_.clean, {iv});
    QVERIFY(max_abs(base, steered) > 0.5f);
    QCOMPARE(generate_with(*geo_, texas_.clean, 3, {}), geo_->generate(texas_.clean, 3));
  }

  // Dallas vs Los Angeles (prompts of different lengths): 16 neurons of each top 20 are specific, and the
  // two groups share nothing.
  void specificNeuronsOfTwoPrompts() {
    const Tokenizer& tok = geo_->tokenizer();
    const auto la = make_example(tok, "Fact: the capital of the state containing Los Angeles is", " Sacramento", " Austin");
    QVERIFY(la.clean.size() != texas_.clean.size());
    AttributionOptions o;
    const SpecificNeurons sn = specific_neurons(*geo_, texas_, la, 20, o);
    QCOMPARE(sn.mine.size(), size_t{16});
    QCOMPARE(sn.theirs.size(), size_t{16});
    QVERIFY(std::is_sorted(sn.mine.begin(), sn.mine.end()));
    for (const auto& n : sn.mine) QVERIFY(std::find(sn.theirs.begin(), sn.theirs.end(), n) == sn.theirs.end());
    QCOMPARE(QString::fromStdString(error_of([&] { specific_neurons(*geo_, texas_, la, 0, o); })),
             QString("the number of top neurons must be >= 1"));
  }

  void edgesPointForwardAndPrune() {
    EdgeOptions o;
    o.top_nodes = 8;
    const EdgeResult r = compute_edges(*geo_, texas_, o);
    QCOMPARE(r.nodes.size(), size_t{8});
    int into_logit = 0;
    for (const Edge& e : r.edges) {
      if (e.dst.kind == EdgeEnd::Kind::Logit) ++into_logit;
      if (e.src.kind == EdgeEnd::Kind::Neuron && e.dst.kind == EdgeEnd::Kind::Neuron) {
        QVERIFY(e.src.node.layer < e.dst.node.layer);
        QVERIFY(e.src.node.pos <= e.dst.node.pos);  // causal attention
      }
      QVERIFY(std::isfinite(e.weight) && std::isfinite(e.score));
    }
    QVERIFY(into_logit > 0);
    // Edge curve: more edges keep more neurons and more of the metric; a prompt without contrast is refused.
    const auto curve = edge_curve(*geo_, texas_, r, {5, 50, 100});
    QCOMPARE(curve.size(), size_t{3});
    QVERIFY(curve[0].nodes <= curve[1].nodes && curve[1].nodes <= curve[2].nodes && curve[2].nodes <= 8);
    QVERIFY(curve[2].edges > curve[0].edges);
    QVERIFY2(curve[2].faithfulness > curve[0].faithfulness, qPrintable(QString("%1 vs %2").arg(curve[2].faithfulness).arg(curve[0].faithfulness)));
    AttributionExample no_contrast = texas_;
    no_contrast.contrast = -1;
    QCOMPARE(QString::fromStdString(error_of([&] { edge_curve(*geo_, no_contrast, r, {50}); })),
             QString("the edge curve needs an answer and a contrast answer"));
    // Pruning keeps a neuron only with an incoming and an outgoing edge.
    auto neuron = [](int l, int i) {
      EdgeEnd n;
      n.node = {l, 0, i};
      return n;
    };
    EdgeEnd emb, logit;
    emb.kind = EdgeEnd::Kind::Embedding;
    logit.kind = EdgeEnd::Kind::Logit;
    const std::vector<Edge> hand = {{emb, neuron(0, 1), 1, 5}, {neuron(0, 1), logit, 1, 4}, {emb, neuron(0, 2), 1, 3},
                                    {neuron(0, 3), logit, 1, 0.1f}};
    const auto kept = prune_edges(hand, 75);  // drops the weakest edge; neuron 2 has no way out, neuron 3 none in
    QCOMPARE(kept.size(), size_t{2});
    QCOMPARE(kept[0].dst.name(), std::string("L0/N1@0"));
    QCOMPARE(kept[1].src.name(), std::string("L0/N1@0"));
  }

  // One context rule for every forward: a prompt past max_position_embeddings (128 for the demo model) is
  // refused with both numbers; a continuation stops where the context ends.
  void promptsBeyondTheContextAreRefused() {
    QCOMPARE(geo_->config().max_position_embeddings, int64_t{128});
    std::string text = kTexas;
    while (geo_->encode(text).size() <= 128) text += " and so on";
    const AttributionExample longer = make_example(geo_->tokenizer(), text, " Austin");
    const std::string expected = "the prompt is " + std::to_string(longer.clean.size()) +
                                 " tokens; this model's context is 128 (max_position_embeddings)";
    QCOMPARE(error_of([&] { attribute(*geo_, {longer}, AttributionOptions{}); }), expected);
    QCOMPARE(error_of([&] { geo_->next_logits(longer.clean); }), expected);
    const std::vector<int> full(longer.clean.begin(), longer.clean.begin() + 128);
    QCOMPARE(geo_->next_logits(full).size(), size_t{2048});
    // 126 prompt tokens: forwards of 126, 127 and 128 tokens give 3 new ones; a fourth would need 129.
    QCOMPARE(geo_->generate(std::vector<int>(full.begin(), full.end() - 2), 8).size(), size_t{3});
    ModelConfig open_ended = geo_->config();
    open_ended.max_position_embeddings = 0;
    QVERIFY(fits_context(open_ended, 1 << 20));
    check_context(open_ended, 1 << 20);
  }
};

QTEST_GUILESS_MAIN(TestAttribution)
#include "test_attribution.moc"
