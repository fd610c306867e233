// The rules that every caller (CLI, GUI, sessions, benchmarks) takes from one core function: node names, the
// faithfulness formula and circuit scores, the curve CSV, the train/test pairing of datasets and the search for
// a model's exemplar index.

#include <QtTest/QtTest>

#include <QTemporaryDir>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "ce/core/circuits/attribution_example.h"
#include "ce/core/circuits/basis.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/circuits/intervention.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/model/model.h"
#include "test_support.h"

using namespace ce::core;
using ce::test::error_of;
namespace fs = std::filesystem;

class TestRules : public QObject {
  Q_OBJECT

  std::unique_ptr<Model> geo_;
  QTemporaryDir tmp_;

  std::string datasets() const { return default_datasets_dir(); }

 private Q_SLOTS:
  void initTestCase() {
    LoadOptions o;
    o.threads = 1;
    geo_ = Model::open(default_model_dir(), o);
    QVERIFY(tmp_.isValid());
  }

  // What the CLI and the explorer show of an exception: an Error whole (its reasons may take lines), anything
  // else (LibTorch's c10::Error with its backtrace) to its first line.
  void userMessages() {
    QCOMPARE(ce::core::user_message(ce::core::Error("dir: no usable tokenizer:\n a\n b")),
             std::string("dir: no usable tokenizer:\n a\n b"));
    QCOMPARE(ce::core::user_message(std::runtime_error("shape mismatch\nException raised from x at y.cpp:1")),
             std::string("shape mismatch"));
    QCOMPARE(ce::core::user_message(std::runtime_error("")), std::string("unknown error"));
  }

  void nodeNames() {
    const NodeRef a = parse_node_name("L3/N701");
    QCOMPARE(a.layer, 3);
    QCOMPARE(a.index, 701);
    QCOMPARE(a.pos, -1);
    const NodeRef b = parse_node_name("L3/N701@9");
    QCOMPARE(b.pos, 9);
    QVERIFY(parse_node_name("3/701@0") == (NodeRef{3, 0, 701}));
    QVERIFY(parse_node_name("l0/n12") == (NodeRef{0, -1, 12}));
    // A feature reads the same way with F; node_name writes F for the feature basis only.
    QVERIFY(parse_node_name("L3/F412@5") == (NodeRef{3, 5, 412}));
    QCOMPARE(node_name(Basis::Features, 3, 412, 5), std::string("L3/F412@5"));
    QCOMPARE(node_name(Basis::MlpOut, 3, 12), std::string("L3/N12"));
    // Labels show a feature basis' error node as "error"; other indices, and other bases, as node_name.
    QCOMPARE(display_name(Basis::Features, 3, 1024, 1024), std::string("L3/error"));
    QCOMPARE(display_name(Basis::Features, 3, 1024, 1024, 7), std::string("L3/error@7"));
    QCOMPARE(display_name(Basis::Features, 3, 412, 1024, 7), std::string("L3/F412@7"));
    QCOMPARE(display_name(Basis::MlpAct, 3, 1024, 1024), std::string("L3/N1024"));
    QCOMPARE(display_name(Basis::Features, 3, 5, -1), std::string("L3/F5"));
    QCOMPARE(error_node_name(0, 11), std::string("L0/error@11"));
    // node_name and parse_node_name are inverses, with and without a position.
    for (const NodeRef& n : {NodeRef{0, -1, 0}, NodeRef{31, 127, 14335}, NodeRef{2, 0, 5}}) {
      QVERIFY(parse_node_name(node_name(n.layer, n.index, n.pos)) == n);
    }
    for (const char* bad : {"", "L3", "L3/", "L3/N", "L3/F", "L3/NF1", "L3/N701@", "L3/N701@x", "L3/N701 ", "3:701", "L-1/N2",
                            "L3/N-2", "L3/N701@-1", "LL3/N701", "L99999999999/N1"}) {
      const std::string e = error_of([&] { parse_node_name(bad); });
      QVERIFY2(e.rfind(std::string("bad node '") + bad + "' (expected LAYER/INDEX or LAYER/INDEX@POS", 0) == 0,
               e.c_str());
    }
    // A hostile 1000-character value is elided, not echoed whole.
    const std::string e = error_of([] { parse_node_name(std::string(1000, '7')); });
    QVERIFY2(e.size() < 200 && e.find("...'") != std::string::npos, e.c_str());
    // Interventions take their node through the same parser.
    const Intervention iv = Intervention::parse("L2/N117@5=-3");
    QCOMPARE(iv.layer, 2);
    QCOMPARE(iv.index, 117);
    QCOMPARE(iv.pos, 5);
    QCOMPARE(iv.factor, -3.0);
    QVERIFY(error_of([] { Intervention::parse("L2/N117@=1"); }).rfind("bad intervention 'L2/N117@=1'", 0) == 0);
  }

  void faithfulnessFormula() {
    QCOMPARE(normalized_metric(3.0, 1.0, 5.0), 0.5);
    QCOMPARE(normalized_metric(1.0, 1.0, 5.0), 0.0);
    QCOMPARE(normalized_metric(5.0, 1.0, 5.0), 1.0);
    QCOMPARE(normalized_metric(-3.0, 1.0, 5.0), -1.0);
  }

  void circuitScore() {
    // The Texas prompt zero-ablated: the full circuit scores 1 / 0, the empty one 0 / 1, and a partial circuit
    // is the formula applied to metric_with of the circuit and of its complement.
    const AttributionExample ex = make_example(geo_->tokenizer(), "Fact: the capital of the state containing Dallas is",
                                               " Austin", " Sacramento");
    const CircuitEvaluator ev(*geo_, {ex}, Basis::MlpAct, Ablation::Zero);
    const size_t n = static_cast<size_t>(geo_->config().num_hidden_layers) * static_cast<size_t>(ev.positions()) *
                     static_cast<size_t>(ev.width());
    const CurvePoint all = ev.score(std::vector<bool>(n, true));
    QCOMPARE(all.nodes, static_cast<int>(n));
    QVERIFY(std::fabs(all.faithfulness - 1) < 1e-6 && std::fabs(all.completeness) < 1e-6);
    const CurvePoint none = ev.score(std::vector<bool>(n, false));
    QVERIFY(std::fabs(none.faithfulness) < 1e-6 && std::fabs(none.completeness - 1) < 1e-6);
    std::vector<bool> keep(n, false), rest(n, true);
    for (size_t i = 0; i < n; i += 3) keep[i] = true, rest[i] = false;
    const CurvePoint part = ev.score(keep);
    QCOMPARE(part.threshold, -1.0);
    // score runs both masks in one stacked forward, metric_with each alone: equal up to float32 rounding.
    const double scale = std::fabs(ev.m_full()) + std::fabs(ev.m_empty());
    QVERIFY2(std::fabs(part.m_circuit - ev.metric_with(keep)) < 1e-6 * scale,
             qPrintable(QString::number(part.m_circuit - ev.metric_with(keep))));
    QVERIFY2(std::fabs(part.m_complement - ev.metric_with(rest)) < 1e-6 * scale,
             qPrintable(QString::number(part.m_complement - ev.metric_with(rest))));
    QVERIFY(std::fabs(part.faithfulness - (part.m_circuit - ev.m_empty()) / (ev.m_full() - ev.m_empty())) < 1e-9);
    QVERIFY(std::fabs(part.completeness - (part.m_complement - ev.m_empty()) / (ev.m_full() - ev.m_empty())) < 1e-9);
    QVERIFY(error_of([&] { ev.score({true}); }).find("wrong size") != std::string::npos);
  }

  void curveCsv() {
    CurveResult a, b;
    a.points.push_back({0.001, 5, 0.5, 0.25, 1.5, 0.75});
    a.points.push_back({0, 900, 1, 0, 3, 1});
    b.points.push_back({-1, 60, 0.97712345678, 0.115, 2.9, 1.3});
    const std::string csv = curves_csv({{Method::RelP, Basis::MlpAct, Ablation::Mean, &a, ""},
                                        {Method::AtP, Basis::Resid, Ablation::Zero, &b, ""}});
    QCOMPARE(QString::fromStdString(csv),
             QStringLiteral("method,basis,ablation,threshold,nodes,faithfulness,completeness,m_circuit,m_complement\n"
                            "relp,mlp_act,mean,0.001,5,0.5,0.25,1.5,0.75\n"
                            "relp,mlp_act,mean,0,900,1,0,3,1\n"
                            "atp,resid,zero,-1,60,0.97712346,0.115,2.9,1.3\n"));
  }

  void trainTestPairing() {
    QCOMPARE(paired_test_file("/d/sva/simple_train.json"), std::string("/d/sva/simple_test.json"));
    QCOMPARE(paired_test_file("x_train.jsonl"), std::string("x_test.jsonl"));
    QCOMPARE(paired_test_file("capitals_paired.jsonl"), std::string());
    QCOMPARE(paired_test_file("simple_train.json.bak"), std::string());
    QCOMPARE(paired_test_file("_train.json"), std::string());
    // A paired file: the first n of each file.
    const std::string train = datasets() + "/sva/simple_train.json";
    const TrainTest sva = load_train_test(train, geo_->tokenizer(), 3);
    QCOMPARE(sva.train.size(), size_t{3});
    QCOMPARE(sva.test.size(), size_t{3});
    const auto test = load_paired_dataset(datasets() + "/sva/simple_test.json", geo_->tokenizer(), 3).examples;
    QVERIFY(sva.test[2].clean == test[2].clean && sva.test[2].answer == test[2].answer);
    QVERIFY(sva.train[0].clean != sva.test[0].clean);
    // One file: its first 2n examples in halves, train first.
    const std::string capitals = datasets() + "/capitals_paired.jsonl";
    const TrainTest halves = load_train_test(capitals, geo_->tokenizer(), 4);
    const auto all = load_paired_dataset(capitals, geo_->tokenizer(), 8).examples;
    QCOMPARE(halves.train.size(), size_t{4});
    QCOMPARE(halves.test.size(), size_t{4});
    QVERIFY(halves.train[0].clean == all[0].clean && halves.test[0].clean == all[4].clean);
    // A missing test file is reported by name.
    const std::string lone = tmp_.filePath(QStringLiteral("lone_train.json")).toStdString();
    fs::copy_file(train, lone);
    QVERIFY(error_of([&] { load_train_test(lone, geo_->tokenizer(), 3); }).find("lone_test.json") != std::string::npos);
  }

  void defaultExemplarIndex() {
    const std::string shipped = resources_dir() + "/exemplars/geo_mlp_act.cexi";
    const auto found = find_exemplar_index(*geo_, Basis::MlpAct);
    QVERIFY(found);
    QCOMPARE(fs::path(found->path()).filename().string(), std::string("geo_mlp_act.cexi"));
    // Another basis: none, and the shipped index is named with the reason.
    std::vector<std::string> rejected;
    QVERIFY(!find_exemplar_index(*geo_, Basis::MlpOut, &rejected));
    QCOMPARE(rejected.size(), size_t{1});
    QVERIFY2(rejected[0] == shipped + ": built for basis mlp_act, not mlp_out", rejected[0].c_str());
    // The model's own folder comes first: a copy of the model with an index of its own finds that one.
    const std::string copy = tmp_.filePath(QStringLiteral("geo")).toStdString();
    fs::create_directories(copy);
    for (const auto& f : fs::directory_iterator(default_model_dir()))
      if (f.is_regular_file()) fs::copy_file(f.path(), copy + "/" + f.path().filename().string());
    fs::copy_file(shipped, copy + "/a_own.cexi");
    {
      LoadOptions o;
      o.threads = 1;
      const auto same = Model::open(copy, o);
      const auto own = find_exemplar_index(*same, Basis::MlpAct);
      QVERIFY(own);
      QCOMPARE(own->path(), copy + "/a_own.cexi");
    }
    // A different model: every candidate is passed over as built for another model.
    std::ifstream in(copy + "/config.json");
    std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t at = config.find("\"rope_theta\": 10000.0");
    QVERIFY(at != std::string::npos);
    config.replace(at, 21, "\"rope_theta\": 20000.0");
    std::ofstream(copy + "/config.json", std::ios::trunc) << config;
    LoadOptions o;
    o.threads = 1;
    const auto other = Model::open(copy, o);
    rejected.clear();
    QVERIFY(!find_exemplar_index(*other, Basis::MlpAct, &rejected));
    QCOMPARE(rejected.size(), size_t{2});
    for (const std::string& r : rejected) QVERIFY2(r.find(": built for another model") != std::string::npos, r.c_str());
  }
};

QTEST_GUILESS_MAIN(TestRules)
#include "test_rules.moc"
