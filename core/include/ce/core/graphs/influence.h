// Node influence on the output as circuit-tracer computes it (circuit_tracer/graph.py: normalize_matrix,
// compute_influence, prune_graph), on a dense matrix in plain C++: the graphs shown here have a few hundred
// nodes, where an n² matrix and a few vector-matrix products cost microseconds.
#pragma once

#include <vector>

namespace ce::core {

struct AttributionGraph;

// A dense n × n matrix, row-major; adjacency[target * n + source] is the direct effect of source on target
// (circuit-tracer's orientation: rows are targets, columns sources).
struct DenseGraph {
  int n = 0;
  std::vector<double> adjacency;  // n * n
};

// |A| with every row divided by its L1 norm (clamped below at 1e-10, so an all-zero row stays zero), as
// circuit-tracer's normalize_matrix. Throws Error when adjacency.size() != n * n. Pure; thread-safe.
std::vector<double> normalize_rows(const DenseGraph& graph);

// The influence of every node on the weighted outputs: w·Â + w·Â² + ... = w·((I − Â)⁻¹ − I) with Â the
// row-normalised |adjacency| and w the logit weights (circuit-tracer: each logit node's probability, 0
// elsewhere). Summed term by term until a term is exactly zero, which a graph without cycles reaches within n
// terms. Throws Error("influence: the graph has a cycle (no convergence after <n> terms)") otherwise, and
// Error when logit_weights.size() != n. Pure; thread-safe.
std::vector<double> node_influence(const DenseGraph& graph, const std::vector<double>& logit_weights);

// circuit-tracer's cumulative score, what a graph file's "influence" holds: nodes sorted by influence
// descending, each gets the running sum of influences up to and including itself divided by the total. The most
// influential node gets the smallest value; node_threshold = 0.8 keeps the nodes at or below about 0.8. Ties
// keep node order. All zeros when the total is zero. Pure; thread-safe.
std::vector<double> cumulative_influence(const std::vector<double>& influence);

// Fills graph.nodes[i].influence from its links: the dense graph of the links (weights summed per node
// pair), logit weights = each logit node's token_prob (1 when every logit node has probability 0, so a graph
// still ranks), and cumulative_influence of node_influence. Logit nodes get none (null), as circuit-tracer
// writes them. Throws Error as node_influence, and Error for a link to an unknown node. Thread rules: mutates
// `graph` only.
void set_graph_influence(AttributionGraph& graph);

}  // namespace ce::core
