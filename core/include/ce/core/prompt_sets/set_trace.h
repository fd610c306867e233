// Tracing a prompt set: every prompt attributed on its own, each neuron's effects collected across prompts
// into its attribution profile, the neurons that matter on any prompt kept, and RelP edges between them.
// "Neuron" here means a node of the trace's basis: an MLP neuron (mlp_act), or a feature or error node of a
// dictionary set (the feature basis, issue #17).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/circuits/attribution.h"
#include "ce/core/prompt_sets/prompt_set.h"

namespace ce::core {

enum class SetBaseline {
  Zero,   // gradient x activation (the paper's choice for case studies)
  Patch,  // each line's "patch_prompt" (same token length as its prompt)
};
const char* set_baseline_name(SetBaseline baseline);      // "zero", "patch"
SetBaseline parse_set_baseline(const std::string& name);  // Error for anything else

struct SetTraceOptions {
  Metric target = Metric::TopK;  // topk: the model's own top-5 logits; logit: logit(answer); diff: logit(answer) -
                                 // logit(contrast)
  SetBaseline baseline = SetBaseline::Zero;
  Method method = Method::RelP;  // atp, ig or relp (exact is refused: too slow for a set)
  RelpRules rules;
  int ig_steps = 10;
  double keep = 0.005;  // keep a neuron when max over positions of |effect| >= keep * |m| on some prompt
  PromptFormat format = PromptFormat::Plain;
  int edge_targets = 64;  // pairwise edges into this many kept neurons of largest total |profile| (0: none)
  int batch = 32;
  Basis basis = Basis::MlpAct;  // MlpAct, or Features with `dictionaries` (any other basis is refused)
  std::shared_ptr<const DictionarySet> dictionaries;
};

// One kept neuron (or feature; index d_sae is a layer's error node, whose activation is the error's norm and
// which is an edge source only). Vectors over prompts have the set's prompt order.
struct SetNeuron {
  int layer = 0, index = 0;
  std::vector<float> profile;       // [prompts] effect summed over positions (the attribution profile)
  std::vector<float> contribution;  // [prompts] sum of its edge scores into every later kept neuron (listed or not)
  std::vector<float> peak;          // [prompts] signed effect at the position of largest |effect|
  std::vector<std::vector<float>> activation;  // [prompts][that prompt's tokens] clean activation
  double total = 0;                 // sum over prompts of |profile|
};

// An edge between kept neurons, positions collapsed: per prompt the sum over source and target positions of the
// RelP edge score (compute_edges' score: weight x the target's effect).
struct SetEdge {
  int src = 0, dst = 0;          // indices into SetTrace::neurons, src's layer < dst's layer
  std::vector<float> profile;    // [prompts]
  double mean = 0;               // mean over prompts (signed)
};

struct SetPrompt {
  LabelledPrompt text;
  std::vector<int> ids;  // as traced (BOS, chat format)
  double m = 0;          // the target on the clean prompt
};

struct SetTrace {
  SetTraceOptions options;
  std::string source;       // the data file
  std::vector<std::string> columns;
  std::vector<SetPrompt> prompts;
  std::vector<SetNeuron> neurons;  // kept, by (layer, index)
  std::vector<SetEdge> edges;      // by (src, dst): into each edge target, its 24 sources of largest |mean|
  int layers = 0, width = 0;       // nodes per layer: the model's mlp_act width, or d_sae + 1 for features
  // Features only: the set's folder as traced (DictionarySet::path) and its fingerprint. A loaded trace keeps
  // these; options.dictionaries is null until check_traced_on opens the set again.
  std::string dictionaries;
  uint32_t dictionaries_fingerprint = 0;
  int neuron_of(int layer, int index) const;  // index into neurons, or -1
  // The name of kept neuron k: "L3/N701", or "L3/F412" for a feature (parses back; what files keep).
  std::string name_of(size_t k) const;
  // What labels show for it: name_of's, but "L3/error" for an error node (display_name).
  std::string display_name_of(size_t k) const;
  // Features: the error node's index (width - 1, the set's d_sae); -1 for neurons.
  int error_index() const { return options.basis == Basis::Features ? width - 1 : -1; }
};

// Traces `set` on `model`: per prompt one attribution (in options.basis) with `options`, batched by length.
// Progress: attributions in [0, 0.6], activations [0.6, 0.7], edges [0.7, 1]. Throws Error for an empty set,
// a prompt without the answer (or patch prompt, patch answer) its options need, an answer that is not one token,
// options out of range, a basis other than mlp_act or sae (or sae without dictionaries); Cancelled when
// cancelled. Thread rules as attribute().
SetTrace trace_set(const Model& model, const PromptSet& set, const SetTraceOptions& options,
                   const JobControl& control = {});

// Throws Error "<path>: traced on a model of L layers x W MLP neurons, not this one's ..." unless `trace` was made
// on a model of `model`'s shape: its neuron indices mean nothing on another model. For a feature trace, opens
// its dictionary set again (the folder it names, else the set of that name beside the model) and returns it,
// after checking that it is the set traced with (fingerprint and width): Error "<path>: traced with the
// features of <folder>, which ..." otherwise. Returns null for a neuron trace.
std::shared_ptr<const DictionarySet> check_traced_on(const SetTrace& trace, const Model& model,
                                                     const std::string& path);

// The profiles file (JSON): options, prompts (text, answer, labels, ids, m), neurons (layer, index, profile,
// contribution, peak, activation, total) and edges. save throws Error naming the file when it cannot be
// written; load validates every field (types, lengths against the prompt count, ranges) and throws
// Error "<path>: <field path>: ..." naming the first bad one.
void save_set_trace(const SetTrace& trace, const std::string& path);
SetTrace load_set_trace(const std::string& path);

}  // namespace ce::core
