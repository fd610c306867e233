// Benchmark (not a test) of the capitals workflow on the demo model, against the budget on 2 cores:
// trace-set of the 200 capital prompts <= 10 s, clustering <= 10 s, a 7-point sweep over the 200 prompts
// <= 5 s. Each is printed with its ratio to the bound and to a baseline run in the same process: one batched
// RelP attribution of the same prompts (trace-set does two such passes plus edges) and one plain forward of
// them per multiplier (a sweep cannot do less).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "ce/core/circuits/attribution.h"
#include "ce/core/model/model.h"
#include "ce/core/prompt_sets/clustering.h"
#include "ce/core/prompt_sets/set_trace.h"
#include "ce/core/prompt_sets/sweep.h"

using namespace ce::core;
using Clock = std::chrono::steady_clock;

namespace {

template <class F>
double seconds(F f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void line(const char* what, double s, double bound, double baseline) {
  std::printf("%-34s %7.2f s   bound %5.1f s (x%.2f)   baseline %6.2f s (x%.1f)\n", what, s, bound, s / bound,
              baseline, s / baseline);
}

}  // namespace

int main() {
  try {
    auto model = Model::open(default_model_dir());
    const PromptSet set = load_prompt_set(default_datasets_dir() + "/capitals.jsonl");
    std::vector<AttributionExample> examples;
    for (const LabelledPrompt& p : set.prompts) examples.push_back(make_example(model->tokenizer(), p.prompt, ""));
    AttributionOptions ao;
    ao.metric = Metric::TopK;
    attribute(*model, examples, ao);  // warm-up
    const double relp = seconds([&] { attribute(*model, examples, ao); });
    SetTrace trace;
    const double trace_s = seconds([&] { trace = trace_set(*model, set, {}); });
    std::vector<NeuronGroup> groups;
    const double cluster_s = seconds([&] { groups = cluster_neurons(trace, ClusterOn::Both, 8, -1); });
    std::vector<std::pair<int, int>> group;  // the largest suggested group
    size_t largest = 0;
    for (size_t g = 0; g < groups.size(); ++g) {
      if (groups[g].members.size() > groups[largest].members.size()) largest = g;
    }
    for (int m : groups[largest].members) {
      group.push_back({trace.neurons[static_cast<size_t>(m)].layer, trace.neurons[static_cast<size_t>(m)].index});
    }
    SweepOptions so;
    const double forwards = seconds([&] {
      for (size_t k = 0; k < so.multipliers.size(); ++k)
        for (const AttributionExample& e : examples) model->next_logits(e.clean);
    });
    const double sweep_s = seconds([&] { sweep(*model, set, group, so); });
    std::printf("demo model, %zu prompts: %zu neurons kept, %zu edges, largest group %zu neurons\n", set.prompts.size(),
                trace.neurons.size(), trace.edges.size(), group.size());
    line("trace-set (RelP, topk, keep 0.005)", trace_s, 10, relp);
    line("cluster (both, 8 groups)", cluster_s, 10, relp);
    line("sweep (7 multipliers)", sweep_s, 5, forwards);
    return trace_s <= 10 && cluster_s <= 10 && sweep_s <= 5 ? 0 : 1;
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_prompt_sets: %s\n", e.what());
    return 1;
  }
}
