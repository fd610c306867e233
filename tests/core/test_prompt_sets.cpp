// The capitals case-study workflow in core: a traced prompt set against single-prompt traces, edges against
// contributions, clustering and AUC against hand-made cases, sweeps against the intervention path, the
// profiles file round trip, cancellation and the errors of bad sets.
#include <QtTest/QtTest>

#include <QTemporaryDir>

#include <atomic>
#include <cmath>
#include <fstream>

#include "ce/core/base/error.h"
#include "ce/core/base/job.h"
#include "ce/core/base/resources.h"
#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/intervention.h"
#include "ce/core/model/model.h"
#include "ce/core/prompt_sets/clustering.h"
#include "ce/core/prompt_sets/hypothesis.h"
#include "ce/core/prompt_sets/prompt_set.h"
#include "ce/core/prompt_sets/set_trace.h"
#include "ce/core/prompt_sets/sweep.h"
#include "test_support.h"

using namespace ce::core;
using ce::test::error_of;

namespace {

std::string capitals() { return default_datasets_dir() + "/capitals.jsonl"; }

void write(const QString& path, const std::string& text) {
  std::ofstream f(path.toStdString(), std::ios::binary);
  f << text;
}

}  // namespace

class TestPromptSets : public QObject {
  Q_OBJECT
  std::unique_ptr<Model> model_;
  PromptSet set_;      // the first 8 capitals prompts
  SetTrace trace_;     // traced with the defaults but a higher keep (fewer neurons, every edge target)
  QTemporaryDir dir_;

 private Q_SLOTS:
  void initTestCase() {
    model_ = Model::open(default_model_dir());
    set_ = load_prompt_set(capitals(), 8);
    SetTraceOptions o;
    o.keep = 0.03;
    o.edge_targets = 1000;
    trace_ = trace_set(*model_, set_, o);
    QVERIFY(trace_.neurons.size() >= 4);
  }

  void loadsTheShippedSet() {
    const PromptSet all = load_prompt_set(capitals());
    QCOMPARE(all.prompts.size(), size_t{200});
    QCOMPARE(all.columns, (std::vector<std::string>{"answer_first_word", "capital", "city", "held_out", "state"}));
    QCOMPARE(all.prompts[0].labels.at("city"), std::string("Birmingham"));
    QCOMPARE(all.prompts[0].labels.at("held_out"), std::string("false"));
    QCOMPARE(all.prompts[0].answer, std::string(" Montgomery"));
  }

  // The profile is a sum over positions of each prompt's own trace, whatever batch the prompt ran in.
  void profileEqualsSinglePromptTraces() {
    AttributionOptions ao;  // RelP, topk, mlp_act: the trace's defaults
    ao.metric = Metric::TopK;
    for (size_t i : {size_t{0}, size_t{5}}) {
      const AttributionExample e = make_example(model_->tokenizer(), set_.prompts[i].prompt, "");
      const AttributionResult single = attribute(*model_, {e}, ao);
      QCOMPARE(trace_.prompts[i].ids, e.clean);
      QVERIFY(std::abs(trace_.prompts[i].m - single.m) < 1e-4 * std::abs(single.m));
      for (const SetNeuron& n : trace_.neurons) {
        double sum = 0;
        for (int p = 0; p < single.positions; ++p) sum += single.effect[single.offset(n.layer, p, n.index)];
        QVERIFY2(std::abs(n.profile[i] - sum) <= 1e-4 + 1e-4 * std::abs(sum), node_name(n.layer, n.index).c_str());
        QCOMPARE(n.activation[i].size(), e.clean.size());
        QVERIFY(std::abs(n.activation[i][2] - single.activation[single.offset(n.layer, 2, n.index)]) < 1e-5);
      }
    }
  }

  // Marks et al.'s paired names (clean_prefix, patch_prefix, clean_answer, patch_answer) with the patch baseline
  // and the diff target: the profile is again the paired single-prompt trace summed over positions.
  void pairedSetWithPatchBaseline() {
    const PromptSet paired = load_prompt_set(default_datasets_dir() + "/capitals_paired.jsonl", 3);
    QCOMPARE(paired.columns, std::vector<std::string>{"case"});
    QCOMPARE(paired.prompts[0].contrast, std::string(" Carson"));
    SetTraceOptions o;
    o.target = Metric::Diff;
    o.baseline = SetBaseline::Patch;
    o.keep = 0.05;
    o.edge_targets = 0;
    const SetTrace t = trace_set(*model_, paired, o);
    QVERIFY(!t.neurons.empty());
    const LabelledPrompt& p = paired.prompts[2];
    const AttributionExample e = make_example(model_->tokenizer(), p.prompt, p.answer, p.contrast, p.patch_prompt);
    AttributionOptions ao;
    ao.metric = Metric::Diff;
    const AttributionResult single = attribute(*model_, {e}, ao);
    QVERIFY(std::abs(t.prompts[2].m - single.m) < 1e-4 * std::abs(single.m));
    for (const SetNeuron& n : t.neurons) {
      double sum = 0;
      for (int q = 0; q < single.positions; ++q) sum += single.effect[single.offset(n.layer, q, n.index)];
      QVERIFY2(std::abs(n.profile[2] - sum) <= 1e-4 + 1e-4 * std::abs(sum), node_name(n.layer, n.index).c_str());
    }
  }

  // Keep rule: a neuron is kept iff some prompt's peak |effect| reaches keep x |m|.
  void keptNeuronsPassTheKeepRule() {
    for (const SetNeuron& n : trace_.neurons) {
      bool passes = false;
      for (size_t i = 0; i < trace_.prompts.size(); ++i) passes |= std::abs(n.peak[i]) >= 0.03 * std::abs(trace_.prompts[i].m);
      QVERIFY(passes);
    }
    SetTraceOptions looser;
    looser.keep = 0.01;
    looser.edge_targets = 0;
    const SetTrace more = trace_set(*model_, set_, looser);
    QVERIFY(more.neurons.size() > trace_.neurons.size());
    QVERIFY(more.edges.empty());
    for (const SetNeuron& n : trace_.neurons) QVERIFY(more.neuron_of(n.layer, n.index) >= 0);
  }

  // With every kept neuron an edge target (and fewer sources than the per-target cap), a neuron's contribution
  // is the sum of its edges' scores.
  void contributionIsTheSumOfEdges() {
    QVERIFY(!trace_.edges.empty());
    std::vector<std::vector<double>> sum(trace_.neurons.size(), std::vector<double>(trace_.prompts.size(), 0.0));
    for (const SetEdge& e : trace_.edges) {
      QVERIFY(trace_.neurons[static_cast<size_t>(e.src)].layer < trace_.neurons[static_cast<size_t>(e.dst)].layer);
      for (size_t i = 0; i < trace_.prompts.size(); ++i) sum[static_cast<size_t>(e.src)][i] += e.profile[i];
    }
    int nonzero = 0;
    for (size_t k = 0; k < trace_.neurons.size(); ++k) {
      for (size_t i = 0; i < trace_.prompts.size(); ++i) {
        const double c = trace_.neurons[k].contribution[i];
        QVERIFY2(std::abs(c - sum[k][i]) <= 1e-3 * (1 + std::abs(c)), qPrintable(QString::number(k)));
        nonzero += c != 0;
      }
    }
    QVERIFY(nonzero > 0);
  }

  void profilesFileRoundTrip() {
    const QString path = dir_.filePath("profiles.json");
    save_set_trace(trace_, path.toStdString());
    const SetTrace back = load_set_trace(path.toStdString());
    QCOMPARE(back.neurons.size(), trace_.neurons.size());
    QCOMPARE(back.edges.size(), trace_.edges.size());
    QCOMPARE(back.columns, trace_.columns);
    QCOMPARE(back.prompts[3].text.labels, trace_.prompts[3].text.labels);
    QCOMPARE(back.options.keep, 0.03);
    for (size_t k = 0; k < back.neurons.size(); ++k) {
      QCOMPARE(back.neurons[k].profile, trace_.neurons[k].profile);  // floats written exactly
      QCOMPARE(back.neurons[k].activation, trace_.neurons[k].activation);
      QCOMPARE(back.neurons[k].contribution, trace_.neurons[k].contribution);
    }
    QCOMPARE(back.edges.back().profile, trace_.edges.back().profile);
  }

  void profilesOfAnotherModelAreRefused() {
    check_traced_on(trace_, *model_, "p.json");  // the demo model's own trace
    SetTrace other = trace_;
    other.width = 512;
    QCOMPARE(error_of([&] { check_traced_on(other, *model_, "p.json"); }),
             std::string("p.json: traced on a model of 4 layers x 512 MLP neurons, not this one's 4 x 768 (give the "
                         "model it was traced on)"));
  }

  void badProfilesFilesNameTheField() {
    const QString path = dir_.filePath("bad.json");
    save_set_trace(trace_, path.toStdString());
    std::ifstream in(path.toStdString());
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto with = [&](const std::string& from, const std::string& to) {
      std::string t = text;
      const size_t at = t.find(from);
      if (at == std::string::npos) return std::string("pattern not found: ") + from;
      t.replace(at, from.size(), to);
      write(path, t);
      return error_of([&] { load_set_trace(path.toStdString()); });
    };
    const std::string p = path.toStdString();
    QCOMPARE(with("\"layer\":", "\"layer\":99,\"x\":"), p + ": neurons[0].layer: 99 is outside 0..3");
    QCOMPARE(with("\"target\":\"topk\"", "\"target\":\"best\""),
             p + ": options: unknown metric 'best' (expected diff, logit or topk)");
    QCOMPARE(with("\"version\":1", "\"version\":2"), p + ": profiles format version 2 is not supported (expected 1)");
    QCOMPARE(with("\"peak\":[", "\"peak\":[1,"), p + ": neurons[0].peak: expected 8 values, found 9");
    QCOMPARE(with("\"src\":", "\"src\":1e9,\"x\":"), p + ": edges[0].src: expected an integer, found a number");
    write(path, "{\"format\":1}");
    QVERIFY(error_of([&] { load_set_trace(p); }).find("not a prompt-set profiles file") != std::string::npos);
  }

  void clusteringFindsTheKnownPartition() {
    // Three directions, each with small perturbations, listed interleaved.
    const std::vector<std::vector<float>> rows = {{1, 0.1f, 0}, {0, 1, 0.1f}, {0.1f, 0, 1}, {2, 0, 0.1f},
                                                  {0, 3, 0},    {0, 0.2f, 2}, {1, 0.05f, 0.05f}, {0.1f, 1, 0}};
    QCOMPARE(cluster_rows(rows, 3, -1), (std::vector<int>{0, 1, 2, 0, 1, 2, 0, 1}));
    QCOMPARE(cluster_rows(rows, 1, -1), (std::vector<int>(8, 0)));
    QCOMPARE(cluster_rows(rows, 8, -1), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
    // A cut at distance: within-direction distances are below 0.03, between directions near 1.
    QCOMPARE(cluster_rows(rows, 0, 0.1), (std::vector<int>{0, 1, 2, 0, 1, 2, 0, 1}));
    // Average linkage, by hand: points at angles 0, 10, 80 and 90 degrees; {0,10} and {80,90} merge at
    // 1 - cos 10°; the last merge joins them at the mean of the four cross distances.
    auto at = [](double deg) {
      const double r = deg * M_PI / 180;
      return std::vector<float>{static_cast<float>(std::cos(r)), static_cast<float>(std::sin(r))};
    };
    const std::vector<std::vector<float>> fan = {at(0), at(80), at(10), at(90)};
    QCOMPARE(cluster_rows(fan, 2, -1), (std::vector<int>{0, 1, 0, 1}));
    const double cross = (4 - std::cos(80 * M_PI / 180) - std::cos(90 * M_PI / 180) - std::cos(70 * M_PI / 180) -
                          std::cos(80 * M_PI / 180)) / 4;
    QCOMPARE(cluster_rows(fan, 0, cross - 1e-4), (std::vector<int>{0, 1, 0, 1}));
    QCOMPARE(cluster_rows(fan, 0, cross + 1e-4), (std::vector<int>{0, 0, 0, 0}));
    QVERIFY(error_of([] { cluster_rows({{1, 2}, {1}}, 2, -1); }).find("differ in length") != std::string::npos);
    QVERIFY(error_of([&] { cluster_rows(rows, 0, 3); }).find("distance in [0, 2]") != std::string::npos);
  }

  void clusterNeuronsIsDeterministicAndPartitions() {
    for (ClusterOn on : {ClusterOn::Attribution, ClusterOn::Contribution, ClusterOn::Both}) {
      const auto a = cluster_neurons(trace_, on, 3, -1), b = cluster_neurons(trace_, on, 3, -1);
      QCOMPARE(a.size(), size_t{3});
      std::vector<int> seen;
      for (size_t g = 0; g < a.size(); ++g) {
        QCOMPARE(a[g].members, b[g].members);
        seen.insert(seen.end(), a[g].members.begin(), a[g].members.end());
      }
      std::sort(seen.begin(), seen.end());
      QCOMPARE(seen.size(), trace_.neurons.size());
      QVERIFY(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
    }
    auto groups = cluster_neurons(trace_, ClusterOn::Attribution, 2, -1);
    label_groups(groups, trace_, *model_, nullptr);
    QVERIFY(groups[0].label.find(" neurons") != std::string::npos);
    const NeuronGroup big = groups[0].members.size() >= 2 ? groups[0] : groups[1];
    const auto halves = split_group(trace_, big, ClusterOn::Attribution);
    QCOMPARE(halves.size(), size_t{2});
    QCOMPARE(halves[0].members.size() + halves[1].members.size(), big.members.size());
  }

  // A group whose attribution sits on the Texas prompts is named after them; one spread evenly is not.
  void labelsNameAConcentratedValue() {
    SetTrace t;
    t.columns = {"state"};
    for (const char* state : {"Texas", "Texas", "Ohio", "Utah", "Iowa", "Maine", "Idaho", "Ohio"}) {
      SetPrompt p;
      p.text.labels["state"] = state;
      t.prompts.push_back(p);
    }
    SetNeuron texas, spread;
    texas.layer = 1;
    texas.profile = {3, 1, 0, 0, 0, 0, 0, 0};
    spread.layer = 2;
    spread.profile = {1, 1, 1, 1, 1, 1, 1, 1};
    t.neurons = {texas, texas, spread};
    std::vector<NeuronGroup> groups(2);
    groups[0].members = {0, 1};
    groups[1].members = {2};
    label_groups(groups, t, *model_, nullptr);
    QCOMPARE(QString::fromStdString(groups[0].label), QString::fromUtf8("state=Texas 100% \u00b7 L1 \u00b7 2 neurons"));
    QCOMPARE(QString::fromStdString(groups[1].label), QString::fromUtf8("L2 \u00b7 1 neuron"));
    t.neurons[0].profile = {3, 1, 1, 0, 0, 0, 0, 0};  // 80% on Texas, lift 3.2
    t.neurons[1] = t.neurons[0];
    label_groups(groups, t, *model_, nullptr);
    QCOMPARE(QString::fromStdString(groups[0].label), QString::fromUtf8("state=Texas 80% \u00b7 L1 \u00b7 2 neurons"));
  }

  void aucEqualsTheHandValue() {
    // Pairs (positive, negative): 0.35 beats 0.1 but not 0.4; 0.8 beats both: 3 of 4.
    QCOMPARE(roc_auc({0.1f, 0.4f, 0.35f, 0.8f}, {false, false, true, true}), 0.75);
    // A tie counts one half: (1 vs 1) = 0.5, (2 vs 1) = 1.
    QCOMPARE(roc_auc({1, 1, 2}, {true, false, true}), 0.75);
    QCOMPARE(roc_auc({3, 1, 2}, {true, false, false}), 1.0);
    QCOMPARE(roc_auc({3, 1, 2}, {false, true, true}), 0.0);
    QVERIFY(error_of([] { roc_auc({1, 2}, {true, true}); }).find("both positive and negative") != std::string::npos);
  }

  void hypothesisScoresOnTheTrace() {
    // The first 8 prompts: Alabama x4, Alaska x4 (capitals.jsonl is sorted by state).
    const auto scores = hypothesis_scores(trace_, "state", "Alabama");
    QCOMPARE(scores.size(), trace_.neurons.size());
    // Recompute the first neuron's AUC from its stored last-token activations, by hand.
    const auto last = hypothesis_scores(trace_, "state", "Alabama", ActivationPick::parse("-1"));
    const SetNeuron& n = trace_.neurons[static_cast<size_t>(last[0].neuron)];
    int wins = 0, pairs = 0;
    for (size_t i = 0; i < trace_.prompts.size(); ++i) {
      for (size_t j = 0; j < trace_.prompts.size(); ++j) {
        const bool pi = trace_.prompts[i].text.labels.at("state") == "Alabama";
        const bool pj = trace_.prompts[j].text.labels.at("state") == "Alabama";
        if (!pi || pj) continue;
        ++pairs;
        wins += n.activation[i].back() > n.activation[j].back() ? 2 : n.activation[i].back() == n.activation[j].back();
      }
    }
    QCOMPARE(pairs, 4 * 4);
    QCOMPARE(last[0].auc, wins / 2.0 / pairs);
    QVERIFY(std::abs(scores[0].auc - 0.5) >= std::abs(scores.back().auc - 0.5));
    QCOMPARE(error_of([&] { hypothesis_scores(trace_, "country", "US"); }),
             std::string("no label column 'country' (columns: answer_first_word, capital, city, held_out, state)"));
    QCOMPARE(error_of([&] { hypothesis_scores(trace_, "state", "Texas"); }), std::string("no prompt has state = 'Texas'"));
    QVERIFY(error_of([&] { hypothesis_scores(trace_, "state", "Alabama", ActivationPick::parse("40")); })
                .find("is outside prompt 1") != std::string::npos);
    QVERIFY(error_of([] { ActivationPick::parse("last"); }).find("neither max nor an integer") != std::string::npos);
  }

  void valueGroupsAndLabelsOfPrompts() {
    const auto scores = hypothesis_scores(trace_, "state", "Alaska");
    std::vector<std::pair<int, int>> expected;
    for (const HypothesisScore& h : scores) {
      if (h.auc >= 0.8) expected.push_back({trace_.neurons[static_cast<size_t>(h.neuron)].layer, trace_.neurons[static_cast<size_t>(h.neuron)].index});
    }
    std::sort(expected.begin(), expected.end());
    QVERIFY(!expected.empty());
    QCOMPARE(value_neurons(trace_, "state", "Alaska", 0.8), expected);
    QCOMPARE(label_of(trace_, trace_.prompts[5].ids, "city"), set_.prompts[5].labels.at("city"));
    QCOMPARE(error_of([&] { label_of(trace_, {1, 2, 3}, "city"); }),
             "a prompt of the pairs is not among the traced prompts (" + capitals() + ")");
  }

  // Multiplier 1 is the plain model; multiplier 0 is zero-ablation through the intervention path.
  void sweepMatchesTheInterventionPath() {
    const std::vector<std::pair<int, int>> group = {{trace_.neurons[0].layer, trace_.neurons[0].index},
                                                    {trace_.neurons[1].layer, trace_.neurons[1].index}};
    SweepOptions so;
    so.multipliers = {1, 0, -2};
    so.columns = {"capital", "state"};
    const SweepResult r = sweep(*model_, set_, group, so);
    QCOMPARE(r.classes, (std::vector<std::string>{"capital", "any capital", "state", "any state"}));
    for (size_t k = 0; k < 3; ++k) {
      std::vector<Intervention> ivs;
      for (const auto& [l, i] : group) {
        Intervention iv;
        iv.layer = l;
        iv.index = i;
        iv.factor = so.multipliers[k];
        ivs.push_back(iv);
      }
      double p_capital = 0, top1_capital = 0;
      for (const LabelledPrompt& p : set_.prompts) {
        const std::vector<int> ids = model_->encode(p.prompt);
        const std::vector<float> logits = k == 0 ? model_->next_logits(ids) : next_logits_with(*model_, ids, ivs);
        const int answer = first_answer_token(model_->tokenizer(), true, p.prompt, p.labels.at("capital"));
        const auto top = model_->top_k(logits, static_cast<int>(logits.size()));
        for (const TopToken& t : top) {
          if (t.id == answer) p_capital += t.prob;
        }
        top1_capital += top[0].id == answer;
      }
      QVERIFY2(std::abs(r.probability[0][k] - p_capital / 8) < 1e-5, qPrintable(QString::number(k)));
      QCOMPARE(r.top1[0][k], top1_capital / 8);
      QVERIFY(r.probability[1][k] >= r.probability[0][k]);
    }
    const std::string csv = sweep_csv(r);
    QVERIFY(csv.rfind("multiplier,capital p,any capital p,state p,any state p,capital top1,", 0) == 0);
    QCOMPARE(std::count(csv.begin(), csv.end(), '\n'), 4L);
    const SweepResult back = parse_sweep_csv(csv, "s.csv");
    QCOMPARE(back.classes, r.classes);
    QCOMPARE(back.multipliers, r.multipliers);
    QCOMPARE(back.prompts, 8);
    for (size_t c = 0; c < r.classes.size(); ++c) {
      for (size_t k = 0; k < 3; ++k) {
        QVERIFY(std::abs(back.probability[c][k] - r.probability[c][k]) < 1e-8);
        QCOMPARE(back.top1[c][k], r.top1[c][k]);
      }
    }
    QCOMPARE(error_of([] { parse_sweep_csv("a,b\n", "s.csv"); }),
             std::string("s.csv: not a sweep CSV (expected multiplier,<class> p,...,<class> top1,...,prompts)"));
    QCOMPARE(error_of([] { parse_sweep_csv("multiplier,x p,x top1,prompts\n1,0.5,x,8\n", "s.csv"); }),
             std::string("s.csv:2: 'x' is not a number"));
  }

  void sweepComplementAblatesTheRest() {
    std::vector<std::pair<int, int>> group = {{trace_.neurons[0].layer, trace_.neurons[0].index}}, rest;
    for (size_t k = 1; k < trace_.neurons.size(); ++k) rest.push_back({trace_.neurons[k].layer, trace_.neurons[k].index});
    SweepOptions so;
    so.multipliers = {1};
    so.columns = {"capital"};
    so.ablate = rest;
    const SweepResult complement = sweep(*model_, set_, group, so);
    so.ablate.clear();
    so.multipliers = {0};
    const SweepResult ablated = sweep(*model_, set_, rest, so);  // the same edit stated the other way round
    QVERIFY(std::abs(complement.probability[0][0] - ablated.probability[0][0]) < 1e-6);
  }

  void cancelIsHonoured() {
    std::atomic<bool> cancel{true};
    JobControl c;
    c.cancel = &cancel;
    QVERIFY_THROWS_EXCEPTION(Cancelled, trace_set(*model_, set_, {}, c));
    QVERIFY_THROWS_EXCEPTION(Cancelled, sweep(*model_, set_, {{0, 1}}, {}, c));
  }

  void badSetsGiveClearErrors() {
    const QString path = dir_.filePath("set.jsonl");
    const std::string p = path.toStdString();
    write(path, "\n\n");
    QCOMPARE(error_of([&] { load_prompt_set(p); }), p + ": the prompt set has no prompts");
    write(path, "{\"answer\": \" Austin\"}\n");
    QCOMPARE(error_of([&] { load_prompt_set(p); }), p + ":1: missing \"prompt\"");
    write(path, "{\"prompt\": \"a\", \"state\": [1]}\n");
    QCOMPARE(error_of([&] { load_prompt_set(p); }), p + ":1: label \"state\" must be a string, number or boolean");
    write(path, "{\"prompt\": \"Fact: the capital of the state containing Dallas is\", \"answer\": \" Austin Texas\", \"state\": \"Texas\"}\n");
    const PromptSet s = load_prompt_set(p);
    SetTraceOptions o;
    o.target = Metric::Logit;
    QVERIFY(error_of([&] { trace_set(*model_, s, o); }).rfind(p + ": prompt 1: the answer ' Austin Texas' is 2 tokens", 0) == 0);
    o.target = Metric::Diff;
    QCOMPARE(error_of([&] { trace_set(*model_, s, o); }), p + ": prompt 1 has no \"contrast\", which the diff target needs");
    o.target = Metric::TopK;
    o.baseline = SetBaseline::Patch;
    QCOMPARE(error_of([&] { trace_set(*model_, s, o); }), p + ": prompt 1 has no \"patch_prompt\", which the patch baseline needs");
    SweepOptions so;
    so.columns = {"city"};
    QCOMPARE(error_of([&] { sweep(*model_, s, {{0, 1}}, so); }), p + ": no label column 'city' (columns: state)");
    so.columns = {"state"};
    QVERIFY(error_of([&] { sweep(*model_, s, {{4, 1}}, so); }).find("neuron L4/N1 is outside the model") != std::string::npos);
  }
};

QTEST_GUILESS_MAIN(TestPromptSets)
#include "test_prompt_sets.moc"
