// The capitals workflow on the feature basis (issue #17, item 5), on a tiny two-layer model with random
// transcoders: trace_set's node profiles and edges between features (error nodes as sources) equal
// attribute() and compute_edges() summed over positions, prompt by prompt; a sweep of features and an error
// node equals next_logits_with() steering them; a feature trace's file keeps its set and finds it again; bad
// options give their errors.
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cmath>
#include <map>

#include "ce/core/circuits/edge_attribution.h"
#include "ce/core/circuits/intervention.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/model/model.h"
#include "ce/core/prompt_sets/set_trace.h"
#include "ce/core/prompt_sets/sweep.h"
#include "ce/core/tokenizer/tokenizer.h"
#include "test_support.h"
#include "tiny_model.h"

using namespace ce::core;
using ce::test::error_of;

namespace {

constexpr int64_t kFeatures = 12;  // the error node is index 12

// Two prompts of one length (one batch of the trace) and a third of another.
PromptSet capitals() {
  PromptSet set;
  set.path = "tiny.jsonl";
  set.columns = {"capital"};
  set.prompts = {{"The capital of Texas is", " Austin", " the", "", {{"capital", "Austin"}}},
                 {"The capital of Ohio is", " the", " Austin", "", {{"capital", "Columbus"}}},
                 {"Dogs and cats: the capital of Texas is", " Austin", " the", "", {{"capital", "Austin"}}}};
  return set;
}

SetTraceOptions on_features(std::shared_ptr<const DictionarySet> set) {
  SetTraceOptions o;
  o.target = Metric::Diff;
  o.keep = 0;
  o.edge_targets = 1000;
  o.basis = Basis::Features;
  o.dictionaries = std::move(set);
  return o;
}

using Pair = std::pair<std::pair<int, int>, std::pair<int, int>>;  // ((src layer, index), (dst layer, index))

}  // namespace

class TestFeatureSets : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::unique_ptr<Model> model_;
  std::string transcoders_;
  std::shared_ptr<const DictionarySet> set_;

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    const QString dir = tmp_.path() + "/model";
    QVERIFY(QDir().mkpath(dir));
    ce::test::write_model(dir, ce::test::tiny_config(), 3);
    model_ = Model::open(dir.toStdString());
    transcoders_ = tmp_.path().toStdString() + "/transcoders";
    for (int l : {0, 1}) {
      ce::test::random_saelens(transcoders_ + "/l" + std::to_string(l), 8, kFeatures,
                               "blocks." + std::to_string(l) + ".ln2.hook_normalized", "transcoder",
                               R"(, "d_out": 8, "hook_name_out": "blocks.)" + std::to_string(l) + R"(.hook_mlp_out")",
                               20 + l);
    }
    set_ = DictionarySet::load(transcoders_, model_->config());
  }

  // Per prompt, a kept feature's profile is its RelP effects summed over positions, and a set edge is the sum
  // over source and target positions of compute_edges' scores (the same weight · effect), error nodes as sources.
  void traceEqualsEdgesPerPrompt() {
    const PromptSet set = capitals();
    const SetTrace t = trace_set(*model_, set, on_features(set_));
    QCOMPARE(t.width, static_cast<int>(kFeatures + 1));
    QCOMPARE(t.dictionaries, set_->path());
    QCOMPARE(t.dictionaries_fingerprint, set_->fingerprint());
    QVERIFY(!t.neurons.empty());
    QVERIFY(!t.edges.empty());
    EdgeOptions eo;
    eo.top_nodes = 10000;  // every node of the prompt
    eo.basis = Basis::Features;
    eo.dictionaries = set_;
    eo.metric = Metric::Diff;
    int error_sources = 0, checked = 0;
    for (size_t e = 0; e < set.prompts.size(); ++e) {
      const LabelledPrompt& p = set.prompts[e];
      const AttributionExample ex = make_example(model_->tokenizer(), p.prompt, p.answer, p.contrast);
      const EdgeResult r = compute_edges(*model_, ex, eo);
      QVERIFY(std::abs(t.prompts[e].m - r.m) < 1e-4 * std::abs(r.m));
      std::map<std::pair<int, int>, double> profile;
      for (const NodeEffect& n : r.nodes) profile[{n.node.layer, n.node.index}] += n.effect;
      std::map<Pair, double> want;
      double largest = 0;
      for (const Edge& g : r.edges) {
        if (g.src.kind != EdgeEnd::Kind::Neuron || g.dst.kind != EdgeEnd::Kind::Neuron) continue;
        want[{{g.src.node.layer, g.src.node.index}, {g.dst.node.layer, g.dst.node.index}}] += g.score;
        largest = std::max(largest, static_cast<double>(std::abs(g.score)));
      }
      for (const SetNeuron& n : t.neurons) {
        const double w = profile[{n.layer, n.index}];
        QVERIFY2(std::abs(n.profile[e] - w) <= 1e-4 * std::abs(w) + 1e-6,
                 qPrintable(QString("prompt %1 %2: %3 vs %4").arg(e).arg(n.layer).arg(n.profile[e]).arg(w)));
        QCOMPARE(n.activation[e].size(), t.prompts[e].ids.size());
        if (n.index == kFeatures) QVERIFY(n.activation[e].back() > 0);  // the error's norm
      }
      for (const SetEdge& g : t.edges) {
        const SetNeuron &s = t.neurons[static_cast<size_t>(g.src)], &d = t.neurons[static_cast<size_t>(g.dst)];
        QVERIFY(d.index < kFeatures);  // an error node is never a target
        error_sources += s.index == kFeatures;
        const double w = want[{{s.layer, s.index}, {d.layer, d.index}}];
        QVERIFY2(std::abs(g.profile[e] - w) <= 1e-4 * largest + 1e-7,
                 qPrintable(QString("prompt %1 %2 -> %3: %4 vs %5").arg(e)
                                .arg(QString::fromStdString(t.name_of(static_cast<size_t>(g.src))))
                                .arg(QString::fromStdString(t.name_of(static_cast<size_t>(g.dst))))
                                .arg(g.profile[e]).arg(w)));
        checked += w != 0;
      }
    }
    QVERIFY(error_sources > 0);
    QVERIFY(checked > 10);
    QCOMPARE(t.name_of(0).substr(0, 4), std::string("L0/F"));
    // Files keep an error node's F name (it parses back); labels call it "error".
    QCOMPARE(t.error_index(), static_cast<int>(kFeatures));
    int errors = 0;
    for (size_t k = 0; k < t.neurons.size(); ++k) {
      const SetNeuron& n = t.neurons[k];
      const std::string f = "L" + std::to_string(n.layer) + "/F" + std::to_string(n.index);
      QCOMPARE(t.name_of(k), f);
      QCOMPARE(t.display_name_of(k), n.index == kFeatures ? "L" + std::to_string(n.layer) + "/error" : f);
      errors += n.index == kFeatures;
    }
    QVERIFY(errors > 0);
  }

  // Sweeping a feature and an error node at each multiplier equals steering them with next_logits_with; the
  // ablated complement is steered to 0 alongside.
  void sweepEqualsSteering() {
    PromptSet set = capitals();
    set.prompts.resize(1);
    const std::vector<int> ids = make_example(model_->tokenizer(), set.prompts[0].prompt, "").clean;
    const int own = first_answer_token(model_->tokenizer(), model_->tokenizer().default_add_bos(),
                                       set.prompts[0].prompt, "Austin");
    SweepOptions o;
    o.multipliers = {-2, 0, 1, 3};
    o.columns = {"capital"};
    o.basis = Basis::Features;
    o.dictionaries = set_;
    o.ablate = {{0, 3}};
    const SweepResult r = sweep(*model_, set, {{1, 5}, {0, static_cast<int>(kFeatures)}}, o);
    for (size_t k = 0; k < o.multipliers.size(); ++k) {
      std::vector<Intervention> ivs;
      for (auto [l, i, f] : {std::tuple<int, int, double>{1, 5, o.multipliers[k]},
                             {0, static_cast<int>(kFeatures), o.multipliers[k]}, {0, 3, 0.0}}) {
        Intervention iv;
        iv.basis = Basis::Features;
        iv.dictionaries = set_;
        iv.layer = l;
        iv.index = i;
        iv.factor = f;
        ivs.push_back(iv);
      }
      const std::vector<float> logits = next_logits_with(*model_, ids, ivs);
      const double want = torch::softmax(torch::tensor(logits), 0)[own].item<double>();
      QVERIFY2(std::abs(r.probability[0][k] - want) < 1e-5 * want,
               qPrintable(QString("x%1: %2 vs %3").arg(o.multipliers[k]).arg(r.probability[0][k]).arg(want)));
    }
    // The steering changes something (the random model gives " Austin" about 1/2048).
    QVERIFY2(std::abs(r.probability[0][0] - r.probability[0][2]) > 0.05 * r.probability[0][2],
             qPrintable(QString("%1 vs %2").arg(r.probability[0][0]).arg(r.probability[0][2])));
    o.ablate.clear();
    QCOMPARE(error_of([&] { sweep(*model_, set, {{1, static_cast<int>(kFeatures) + 1}}, o); }),
             std::string("sweep: feature L1/F13 is outside the model (layers 0..1, features 0..12)"));
    o.dictionaries = DictionarySet::load(transcoders_ + "/l1", model_->config());
    QCOMPARE(error_of([&] { sweep(*model_, set, {{0, 2}}, o); }),
             std::string("sweep: feature L0/F2: the dictionaries have no layer 0"));
    o.basis = Basis::Resid;
    QCOMPARE(error_of([&] { sweep(*model_, set, {{0, 2}}, o); }),
             std::string("sweep: steers mlp_act neurons or sae features, not resid"));
  }

  // The file keeps the basis and the set; check_traced_on opens that set again and refuses another one.
  void fileKeepsTheSet() {
    PromptSet set = capitals();
    set.prompts.resize(2);
    SetTraceOptions o = on_features(set_);
    o.edge_targets = 4;
    const SetTrace t = trace_set(*model_, set, o);
    const std::string path = tmp_.path().toStdString() + "/features.json";
    save_set_trace(t, path);
    const SetTrace back = load_set_trace(path);
    QCOMPARE(back.options.basis, Basis::Features);
    QCOMPARE(back.dictionaries, set_->path());
    QCOMPARE(back.dictionaries_fingerprint, set_->fingerprint());
    QCOMPARE(back.neurons.size(), t.neurons.size());
    QCOMPARE(back.name_of(0), t.name_of(0));
    const auto reopened = check_traced_on(back, *model_, path);
    QVERIFY(reopened);
    QCOMPARE(reopened->fingerprint(), set_->fingerprint());

    SetTrace other = back;
    other.dictionaries_fingerprint ^= 1;
    QCOMPARE(error_of([&] { check_traced_on(other, *model_, "f.json"); }),
             "f.json: traced with the features of " + set_->path() + ", which " + set_->path() +
                 " no longer holds (its encoders or width differ): trace the set again");
    other.dictionaries = tmp_.path().toStdString() + "/gone";
    QCOMPARE(error_of([&] { check_traced_on(other, *model_, "f.json"); }),
             "f.json: traced with the features of " + other.dictionaries +
                 ", which is not there (nor a set of that name beside the model)");

    // A neuron trace names no set; files written before the feature basis (no "basis") are neuron traces.
    SetTraceOptions n = o;
    n.basis = Basis::MlpAct;
    n.dictionaries = nullptr;
    const SetTrace neurons = trace_set(*model_, set, n);
    QVERIFY(neurons.dictionaries.empty());
    QCOMPARE(neurons.name_of(0).substr(0, 4), std::string("L0/N"));
    save_set_trace(neurons, path);
    QVERIFY(!check_traced_on(load_set_trace(path), *model_, path));
    QFile f(QString::fromStdString(path));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QByteArray text = f.readAll();
    f.close();
    QVERIFY(text.contains(",\"basis\":\"mlp_act\""));
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(QByteArray(text).replace(",\"basis\":\"mlp_act\"", ""));
    f.close();
    QCOMPARE(load_set_trace(path).options.basis, Basis::MlpAct);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(QByteArray(text).replace("\"basis\":\"mlp_act\"", "\"basis\":\"resid\""));
    f.close();
    QCOMPARE(error_of([&] { load_set_trace(path); }), path + ": options.basis: a trace is of mlp_act or sae, not resid");
  }

  void errors() {
    SetTraceOptions o = on_features(nullptr);
    QCOMPARE(error_of([&] { trace_set(*model_, capitals(), o); }),
             std::string("trace-set: the sae basis needs its dictionaries"));
    o.basis = Basis::MlpOut;
    QCOMPARE(error_of([&] { trace_set(*model_, capitals(), o); }),
             std::string("trace-set: traces the mlp_act or sae basis, not mlp_out"));
  }
};

QTEST_GUILESS_MAIN(TestFeatureSets)
#include "test_feature_sets.moc"
