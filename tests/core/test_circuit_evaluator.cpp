// The circuit evaluator's shortcuts against the plain definition of a circuit's metric. The evaluator stacks
// several masks into one forward, runs the positions all test prompts share (with mean ablation) once from a
// KV cache, starts a pass at its first ablated layer (without such a prefix), runs the last layer at the
// last position only and computes only the neurons a forward's masks keep when they are few. Here every
// metric is recomputed the slow way: each test prompt alone, all positions, every layer, its neurons outside
// the mask replaced by the evaluator's own ablation values.
#include <QtTest/QtTest>

#include <cmath>

#include "ce/core/base/resources.h"
#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/attribution_example.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/model/model.h"
#include "engine/llama.h"
#include "engine/model_access.h"
#include "test_support.h"

using namespace ce::core;

namespace {

torch::Tensor ids_of(const std::vector<int>& ids) {
  return torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kInt64).unsqueeze(0);  // [1, t]
}

}  // namespace

class TestCircuitEvaluator : public QObject {
  Q_OBJECT

  std::unique_ptr<Model> geo_;

  // m by definition: mean over `test` of logit(answer) - logit(contrast), each prompt alone, neurons where
  // keep (layout of AttributionResult) is false set to the evaluator's ablation values.
  double by_hand(const CircuitEvaluator& ev, const std::vector<AttributionExample>& test,
                 const std::vector<bool>& keep) const {
    const LlamaModel& e = engine_of(*geo_);
    const int64_t T = ev.positions(), W = ev.width();
    const int L = static_cast<int>(geo_->config().num_hidden_layers);
    const torch::Tensor values =
        torch::from_blob(const_cast<float*>(ev.ablation_values().data()), {L, T, W}, torch::kFloat32);  // [L, T, W]
    torch::Tensor k = torch::empty({L, T, W}, torch::kBool);  // [L, T, W]
    for (size_t i = 0; i < keep.size(); ++i) k.data_ptr<bool>()[i] = keep[i];
    double sum = 0;
    for (const AttributionExample& x : test) {
      const int64_t t = static_cast<int64_t>(x.clean.size());
      ForwardOptions fo;
      fo.logits = LogitsMode::Last;
      fo.hook = [&](Site s, int l, const torch::Tensor& act) {  // act [1, t, m]
        if (s != Site::MlpAct) return act;
        return torch::where(k[l].narrow(0, 0, t), act, values[l].narrow(0, 0, t));
      };
      const torch::Tensor logits = e.forward(ids_of(x.clean), fo).logits[0][0];  // [vocab]
      sum += (logits[x.answer] - logits[x.contrast]).item<double>();
    }
    return sum / static_cast<double>(test.size());
  }

  void compare(const CircuitEvaluator& ev, const std::vector<AttributionExample>& test,
               const std::vector<std::vector<bool>>& masks) const {
    const double scale = std::fabs(ev.m_full()) + std::fabs(ev.m_empty());
    for (size_t i = 0; i < masks.size(); ++i) {
      const double fast = ev.metric_with(masks[i]), slow = by_hand(ev, test, masks[i]);
      QVERIFY2(std::fabs(fast - slow) < 2e-6 * scale,
               qPrintable(QStringLiteral("mask %1: %2 against %3").arg(i).arg(fast).arg(slow)));
    }
  }

  // Masks of every kind: everything, nothing, every third node, its complement, one that ablates from
  // layer 2 on only (a pass that may start there), and a sparse one whose neurons differ by position. The
  // engine computes a subset of a layer's neurons (at most half of them kept at any position) for nothing
  // (empty subsets), third (a third), late (half, in layers 2 and 3) and sparse.
  std::vector<std::vector<bool>> masks(const CircuitEvaluator& ev) const {
    const size_t L = static_cast<size_t>(geo_->config().num_hidden_layers);
    const size_t per_layer = static_cast<size_t>(ev.positions()) * static_cast<size_t>(ev.width());
    const size_t n = L * per_layer;
    std::vector<bool> third(n), rest(n), late(n, true), sparse(n);
    for (size_t i = 0; i < n; ++i) third[i] = i % 3 == 0, rest[i] = !third[i], sparse[i] = i % 97 == 5;
    for (size_t i = 2 * per_layer; i < n; i += 2) late[i] = false;
    return {std::vector<bool>(n, true), std::vector<bool>(n, false), third, rest, late, sparse};
  }

  // A curve's points (several masks stacked in one forward) against the definition.
  void compare_curve(const CircuitEvaluator& ev, const std::vector<AttributionExample>& test) const {
    AttributionOptions o;
    const AttributionResult effects = attribute(*geo_, test, o);
    const CurveResult c = ev.curve(effects, {0.0, 0.01, 0.1, 0.3});
    QCOMPARE(c.points.size(), size_t{4});
    const double scale = std::fabs(ev.m_full()) + std::fabs(ev.m_empty());
    for (const CurvePoint& p : c.points) {
      std::vector<bool> keep(effects.effect.size()), ablate(effects.effect.size());
      for (size_t i = 0; i < keep.size(); ++i) {
        keep[i] = std::fabs(effects.effect[i]) > p.threshold;
        ablate[i] = !keep[i];
      }
      QCOMPARE(p.nodes, static_cast<int>(std::count(keep.begin(), keep.end(), true)));
      const QByteArray at = QByteArray::number(p.threshold);
      QVERIFY2(std::fabs(p.m_circuit - by_hand(ev, test, keep)) < 2e-6 * scale, at.constData());
      QVERIFY2(std::fabs(p.m_complement - by_hand(ev, test, ablate)) < 2e-6 * scale, at.constData());
    }
  }

 private Q_SLOTS:
  void initTestCase() {
    LoadOptions o;
    o.threads = 1;
    geo_ = Model::open(default_model_dir(), o);
  }

  // The engine's trimmed last layer and a prefix from a KV cache give the full forward's last logits.
  void trimmedForwardMatchesFull() {
    const LlamaModel& e = engine_of(*geo_);
    const std::vector<int> ids = geo_->tokenizer().encode("Fact: the capital of the state containing Dallas is", true);
    const int64_t t = static_cast<int64_t>(ids.size()), p = 4;
    ForwardOptions full;
    full.logits = LogitsMode::Last;
    const torch::Tensor want = e.forward(ids_of(ids), full).logits;  // [1, 1, vocab]
    ForwardOptions trimmed = full;
    trimmed.last_layer_last_position = true;
    QVERIFY((e.forward(ids_of(ids), trimmed).logits - want).abs().max().item<float>() < 1e-5f);
    KvCache cache;
    ForwardOptions head;
    head.logits = LogitsMode::None;
    head.cache = &cache;
    e.forward(ids_of(ids).narrow(1, 0, p), head);
    trimmed.cache = &cache;
    QVERIFY((e.forward(ids_of(ids).narrow(1, p, t - p), trimmed).logits - want).abs().max().item<float>() < 1e-5f);
    ForwardOptions all_logits;
    all_logits.last_layer_last_position = true;
    QVERIFY(ce::test::error_of([&] { e.forward(ids_of(ids), all_logits); }).find("LogitsMode::Last") !=
            std::string::npos);
  }

  // Mean ablation on SVA prompts that share "<s> The": the prefix is run once, the rest stacked.
  void meanAblationSharedPrefix() {
    const auto test = load_paired_dataset(default_datasets_dir() + "/sva/nounpp_test.json", geo_->tokenizer(), 12).examples;
    QCOMPARE(test.size(), size_t{12});
    const CircuitEvaluator ev(*geo_, test, Basis::MlpAct, Ablation::Mean);
    compare(ev, test, masks(ev));
    const std::vector<bool> third = masks(ev)[2];
    const CurvePoint p = ev.score(third);
    QVERIFY(std::fabs(p.m_circuit - by_hand(ev, test, third)) < 2e-6 * (std::fabs(ev.m_full()) + std::fabs(ev.m_empty())));
    compare_curve(ev, test);
  }

  // The engine's MLP subset: the named neurons computed, the others fixed per position, gives what a hook
  // that fixes the others gives; a malformed subset is refused.
  void mlpSubsetMatchesHook() {
    const LlamaModel& e = engine_of(*geo_);
    const std::vector<int> ids = geo_->tokenizer().encode("Fact: the capital of the state containing Dallas is", true);
    const int64_t t = static_cast<int64_t>(ids.size()), m = geo_->config().intermediate_size;
    torch::manual_seed(3);
    const torch::Tensor fixed = torch::randn({t, m});                      // [t, m]
    const torch::Tensor index = torch::arange(0, m, 7, torch::kInt64);     // [s]
    torch::Tensor in_subset = torch::zeros({m}, torch::kBool);
    in_subset.index_fill_(0, index, true);
    ForwardOptions by_hook;
    by_hook.logits = LogitsMode::Last;
    by_hook.hook = [&](Site s, int l, const torch::Tensor& act) {  // act [1, t, m]
      if (s != Site::MlpAct || l == 0) return act;
      return torch::where(in_subset, act, fixed);
    };
    const torch::Tensor want = e.forward(ids_of(ids), by_hook).logits;  // [1, 1, vocab]
    ForwardOptions subset;
    subset.logits = LogitsMode::Last;
    int64_t seen = -1;
    subset.mlp_subset = [&](int l, int64_t tokens) {
      MlpSubset sub;
      if (l > 0) sub = {index, fixed.narrow(0, t - tokens, tokens)};
      return sub;
    };
    subset.hook = [&](Site s, int l, const torch::Tensor& act) {
      if (s == Site::MlpAct && l == 1) seen = act.size(2);
      return act;
    };
    const torch::Tensor got = e.forward(ids_of(ids), subset).logits;
    QCOMPARE(seen, index.size(0));
    const float error = (got - want).abs().max().item<float>();
    QVERIFY2(error < 1e-4f, qPrintable(QString::number(error)));
    const torch::Tensor plain = e.forward(ids_of(ids), ForwardOptions{}).logits.narrow(1, t - 1, 1);  // [1, 1, vocab]
    QVERIFY((got - plain).abs().max().item<float>() > 1e-2f);  // the fixed activations did change the output
    subset.hook = {};
    subset.mlp_subset = [&](int, int64_t tokens) { return MlpSubset{index, fixed.narrow(0, 0, tokens - 1)}; };
    QCOMPARE(ce::test::error_of([&] { e.forward(ids_of(ids), subset); }),
             std::string("forward: an MLP subset needs an int64 index [s] and fixed activations [tokens, 768]"));
    subset.mlp_subset = [&](int, int64_t tokens) { return MlpSubset{index + 6, fixed.narrow(0, 0, tokens)}; };
    QCOMPARE(ce::test::error_of([&] { e.forward(ids_of(ids), subset); }),
             std::string("forward: an MLP subset's index is outside the layer's 768 neurons"));
  }

  // One clean/patch pair that shares all but its last two tokens (Dallas / Fresno): a long cached prefix.
  void meanAblationLongPrefix() {
    const std::vector<AttributionExample> test = {
        make_example(geo_->tokenizer(), "Fact: the capital of the state containing Dallas is", " Austin", " Sacramento",
                     "Fact: the capital of the state containing Fresno is")};
    const CircuitEvaluator ev(*geo_, test, Basis::MlpAct, Ablation::Mean);
    compare(ev, test, masks(ev));
  }

  // Zero ablation has no shared prefix (0 is no prompt's activation): passes start at their first ablated
  // layer from the clean run's input there, and the curve's thresholds agree with metric_with.
  void zeroAblationResumes() {
    const auto test = load_paired_dataset(default_datasets_dir() + "/sva/simple_test.json", geo_->tokenizer(), 10).examples;
    const CircuitEvaluator ev(*geo_, test, Basis::MlpAct, Ablation::Zero);
    compare(ev, test, masks(ev));
    compare_curve(ev, test);
  }
};

QTEST_GUILESS_MAIN(TestCircuitEvaluator)
#include "test_circuit_evaluator.moc"
