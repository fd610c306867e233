// Edges between the top nodes of one prompt (RelP), from the embeddings to the neurons (or dictionary features)
// to the logit.
#pragma once

#include <string>
#include <vector>

#include "ce/core/circuits/attribution.h"

namespace ce::core {

// An endpoint: the token embedding at a position, an MLP neuron (or a feature or error node of the feature
// basis), or the metric ("logit").
struct EdgeEnd {
  enum class Kind { Embedding, Neuron, Logit } kind = Kind::Neuron;
  NodeRef node;  // Neuron: layer, pos, index; Embedding: pos only
  Basis basis = Basis::MlpAct;  // of a Neuron end: MlpAct, or Features for a feature or error node
  std::string name() const;  // "E@{pos}", "L{layer}/N{index}@{pos}" ("L{layer}/F{index}@{pos}" for a feature), "logit"
};

struct Edge {
  EdgeEnd src, dst;
  float weight = 0;  // (∂̃a_dst/∂a_src · a_src) / (a_dst + ε); ε = 1e-6 · mean|a_dst's layer at its position|
  float score = 0;   // weight · effect(dst); for edges into the logit: ∂̃m/∂a_src · a_src
};

struct EdgeOptions {
  int top_nodes = 30;  // K neurons by |RelP effect| (baseline zero, or the patch prompt when paired)
  // MlpAct (neurons) or Features with its dictionaries: the nodes between which edges are taken.
  Basis basis = Basis::MlpAct;
  std::shared_ptr<const DictionarySet> dictionaries;
  RelpRules rules;
  Metric metric = Metric::Diff;
};

struct EdgeResult {
  Basis basis = Basis::MlpAct;
  std::shared_ptr<const DictionarySet> dictionaries;  // Features only
  double m = 0;
  std::vector<NodeEffect> nodes;  // the top neurons, descending |effect|
  std::vector<Edge> edges;        // every ordered pair with dst in a later layer, plus embedding and logit edges
};

// RelP edges of `example` in the mlp_act basis, or between the features of a dictionary set. Between a source
// in layer i and a target in layer j > i every MLP (or splice) strictly between contributes its forward value
// but no gradient (each layer's nodes are cut from the graph's backward path), so a weight measures the direct
// path through the residual stream and attention. An error node is a source (its contribution is the
// gradient · the error vector) but never a target: it has no scalar value. One backward per target. Errors
// and thread rules as attribute(); Error for a basis other than mlp_act or sae.
EdgeResult compute_edges(const Model& model, const AttributionExample& example, const EdgeOptions& options,
                         const JobControl& control = {});

// Keeps the top `percent` (0..100] of edges by |score|, then drops every neuron that is left without both an
// incoming and an outgoing edge (repeatedly, with its edges). Embeddings and the logit always stay.
std::vector<Edge> prune_edges(const std::vector<Edge>& edges, double percent);

struct EdgeCurvePoint {
  double percent = 0;  // share of edges kept, by |score|
  int edges = 0;       // edges left after pruning
  int nodes = 0;       // neurons left
  double faithfulness = 0;
};

// The edge curve of one prompt: for each percentage, the neurons (features) that survive prune_edges() form the
// circuit, and every other node of every layer is ablated to its baseline (the patch prompt's activation when the
// example is paired, else zero); faithfulness = (m(C) - m(∅)) / (m(M) - m(∅)) with m = logit(answer) -
// logit(contrast). Throws Error when the example has no contrast answer; otherwise as attribute().
std::vector<EdgeCurvePoint> edge_curve(const Model& model, const AttributionExample& example, const EdgeResult& edges,
                                       const std::vector<double>& percents, const JobControl& control = {});

}  // namespace ce::core
