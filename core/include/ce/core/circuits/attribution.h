// Node attribution: how much each node of a basis moves the metric when its clean activation is replaced
// by the baseline (the patch prompt's activation, or zero without one).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/circuits/attribution_example.h"
#include "ce/core/circuits/basis.h"
#include "ce/core/base/job.h"

namespace ce::core {

class Model;
class DictionarySet;

enum class Method {
  AtP,    // gradient(clean) · (a_base - a_clean): one forward and one backward
  IG,     // Integrated Gradients: mean gradient over a_clean + (k/steps)(a_base - a_clean), k = 0..steps-1
  RelP,   // AtP with the LRP backward rules of RelpRules
  Exact,  // m(node patched) - m(clean), one forward per node (batched): the ground truth for validation
};
const char* method_name(Method method);
Method parse_method(const std::string& name);  // "atp", "ig", "relp", "exact"; Error otherwise

// The metric at the last position.
enum class Metric {
  Diff,   // logit(answer) - logit(contrast); logit(answer) when the example has no contrast
  Logit,  // logit(answer)
  TopK,   // sum of the 5 largest logits of the clean run (their ids fixed from the clean run)
};
const char* metric_name(Metric metric);
Metric parse_metric(const std::string& name);  // "diff", "logit", "topk"; Error otherwise

// The backward rules of RelP (Jafari et al. 2025). Forward values never change.
struct RelpRules {
  bool norm = true;  // RMSNorm's rsqrt(mean(x^2)+eps) detached
  bool gate = true;  // SiLU(g) = g * sigmoid(g) with sigmoid(g) detached
  bool half = true;  // gradient halved through act * up
  bool attn = true;  // attention probabilities detached
  // Parses "all", "none" or a comma list of norm, gate, half, attn, each optionally prefixed by "-" to
  // remove it from "all" (e.g. "-half" = the paper's "no half rule" ablation). Throws Error on other words.
  static RelpRules parse(const std::string& text);
  std::string to_string() const;  // canonical comma list, "none" when empty
};

struct AttributionOptions {
  Method method = Method::RelP;
  Basis basis = Basis::MlpAct;
  // Basis::Features only (required there): the dictionaries whose features are the nodes. Effects of a
  // feature are taken through its decoder; the error node's with respect to the whole error vector.
  std::shared_ptr<const DictionarySet> dictionaries;
  Metric metric = Metric::Diff;
  RelpRules rules;            // RelP only
  int ig_steps = 10;          // IG only; 1 step equals AtP
  int batch = 32;             // examples per forward pass (IG multiplies it by ig_steps)
  // Exact only: nodes to patch (empty = every node of the basis at every position). Patched in batches of
  // exact_batch variants per forward, each resumed from the cached input of the node's layer.
  std::vector<NodeRef> exact_nodes;
  int exact_batch = 256;
  // With patch prompts: the first positions that every clean and patch prompt of a batch share ("Fact: the
  // capital of the state containing" before the city) have effects of exactly 0 (patch equals clean there).
  // AtP, RelP and IG run them once, into a KV cache, and the batch only the later ones, whose effects are
  // unchanged (the prefix lies upstream of them only); exact patching marks them evaluated without a forward.
  // false runs every position per row, the reference the tests compare against.
  bool shared_prefix = true;
};

// Offset of node `n` in a dense [layers][positions][width] array: AttributionResult's effects, a circuit's
// keep mask and the ablation values of CircuitEvaluator.
inline size_t dense_offset(const NodeRef& n, size_t positions, size_t width) {
  return (static_cast<size_t>(n.layer) * positions + static_cast<size_t>(n.pos)) * width +
         static_cast<size_t>(n.index);
}

// Dataset effects: mean over examples of the signed effect, as a dense [layers][positions][width] array.
// Examples shorter than `positions` contribute 0 at the positions they lack (paired data of one template
// has one length, so no position is diluted there).
struct AttributionResult {
  Method method = Method::RelP;
  Basis basis = Basis::MlpAct;
  Metric metric = Metric::Diff;
  int examples = 0;
  int layers = 0, positions = 0, width = 0;
  double m = 0;                     // mean metric on the clean prompts
  std::vector<float> effect;        // [layers * positions * width]
  // [layers * positions * width] mean clean activation; for an error node, the mean norm of the error
  std::vector<float> activation;
  std::vector<bool> evaluated;      // Exact only: which nodes were patched (others have effect 0)

  size_t offset(int layer, int pos, int index) const {
    return dense_offset(NodeRef{layer, pos, index}, static_cast<size_t>(positions), static_cast<size_t>(width));
  }
  float effect_at(const NodeRef& n) const { return effect[offset(n.layer, n.pos, n.index)]; }
};

struct NodeEffect {
  NodeRef node;
  float effect = 0;
  float activation = 0;
};

// The n nodes of largest |effect| (all when n <= 0), descending; ties by node order. For Exact results
// only evaluated nodes are listed.
std::vector<NodeEffect> top_nodes(const AttributionResult& result, int n);

// Runs the attribution over `examples` (grouped by length into batches). Reports progress and honours
// cancellation through `control` (throws Cancelled). Throws Error for an empty example list, ids outside
// the vocabulary, an example without the answer its metric needs, or options out of range.
// Thread rules: any thread; the Model is shared read-only, so several attributions may run at once.
AttributionResult attribute(const Model& model, const std::vector<AttributionExample>& examples,
                            const AttributionOptions& options, const JobControl& control = {});

// One example's own effects, handed over while attribute() runs: `effect` and `activation` are dense
// [layers][positions][width] arrays (positions = the example's clean length), valid during the call only;
// `m` is the example's clean metric. Called on the computing thread, once per example, in batch order.
using ExampleSink = std::function<void(size_t example, int positions, const float* effect, const float* activation,
                                       double m)>;
// attribute() that also hands every example's effects to `sink` (AtP, IG and RelP; Error for Exact).
AttributionResult attribute(const Model& model, const std::vector<AttributionExample>& examples,
                            const AttributionOptions& options, const JobControl& control, const ExampleSink& sink);

}  // namespace ce::core
