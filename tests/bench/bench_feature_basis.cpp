// Benchmark (not a test): the cost of the feature basis over the neuron basis on the demo model, for each
// dictionary set shipped beside it (resources/models/geo/dictionaries/, packaging/train-demo-dictionaries.sh):
//   - RelP on the Texas prompt (paired with Fresno), median of --runs;
//   - one SVA curve as `circuit-trace evaluate` makes it: RelP effects on the train split, the evaluator's
//     ablation means and baselines, and the faithfulness curve at the paper's 31 thresholds, on the test split.
// Prints seconds and the ratio features / neurons measured in the same run.
// Usage: bench_feature_basis [--runs N] [--set simple|nounpp|rc|within_rc] [--train N] [--test N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "bench_timing.h"
#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/model/model.h"

using namespace ce::core;
using ce::bench::Clock;
using ce::bench::median_seconds;
using ce::bench::seconds_since;

namespace {

struct Contender {
  std::string name;
  AttributionOptions options;
};

}  // namespace

int main(int argc, char** argv) {
  int runs = 20, train_n = 100, test_n = 100;
  std::string set = "simple";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--runs") runs = std::atoi(argv[i + 1]);
    else if (k == "--set") set = argv[i + 1];
    else if (k == "--train") train_n = std::atoi(argv[i + 1]);
    else if (k == "--test") test_n = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    auto model = Model::open(default_model_dir());
    std::vector<Contender> bases;
    AttributionOptions neurons;
    neurons.method = Method::RelP;
    bases.push_back({"mlp_act (neurons)", neurons});
    for (const char* name :
         {"sae_mlp_out_4x", "sae_resid_4x", "transcoder_4x", "sae_mlp_out_8x", "sae_resid_8x", "transcoder_8x"}) {
      AttributionOptions o = neurons;
      o.basis = Basis::Features;
      o.dictionaries = DictionarySet::load(DictionarySet::resolve(name, model->dir()), model->config());
      bases.push_back({std::string("sae:") + name, o});
    }
    const AttributionExample texas =
        make_example(model->tokenizer(), "Fact: the capital of the state containing Dallas is", " Austin",
                     " Sacramento", "Fact: the capital of the state containing Fresno is");
    std::printf("demo model, RelP on the Texas prompt (%zu tokens), median of %d:\n", texas.clean.size(), runs);
    double base = 0;
    for (const Contender& b : bases) {
      const double t = median_seconds(2, runs, [&] { attribute(*model, {texas}, b.options); });
      if (base == 0) base = t;
      std::printf("  %-22s %8.2f ms   %.2f x neurons\n", b.name.c_str(), t * 1e3, t / base);
    }
    const std::string dir = default_datasets_dir() + "/sva/";
    const auto train = load_paired_dataset(dir + set + "_train.json", model->tokenizer(), train_n).examples;
    const auto test = load_paired_dataset(dir + set + "_test.json", model->tokenizer(), test_n).examples;
    std::printf("SVA curve (%s: %zu train, %zu test; RelP effects, mean ablation, 31 thresholds):\n", set.c_str(),
                train.size(), test.size());
    base = 0;
    for (const Contender& b : bases) {
      const auto t0 = Clock::now();
      const AttributionResult eff = attribute(*model, train, b.options);
      const double t_attr = seconds_since(t0);
      const CircuitEvaluator ev(*model, test, b.options.basis, b.options.dictionaries, Ablation::Mean);
      const CurveResult c = ev.curve(eff, default_thresholds());
      const double t = seconds_since(t0);
      if (base == 0) base = t;
      int at90 = -1;
      for (const CurvePoint& p : c.points) {
        if (p.faithfulness >= 0.9 && (at90 < 0 || p.nodes < at90)) at90 = p.nodes;
      }
      std::printf("  %-22s %7.2f s (attribution %.2f s)   %.2f x neurons   smallest threshold circuit at "
                  "faithfulness >= 0.9: %d nodes\n",
                  b.name.c_str(), t, t_attr, t / base, at90);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_feature_basis: %s\n", e.what());
    return 1;
  }
  return 0;
}
