#include "ce/core/graphs/influence.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <unordered_map>

#include "ce/core/base/error.h"
#include "ce/core/graphs/attribution_graph.h"

namespace ce::core {

namespace {

void check_size(const DenseGraph& g) {
  if (g.n < 0 || g.adjacency.size() != static_cast<size_t>(g.n) * static_cast<size_t>(g.n)) {
    throw Error("influence: adjacency has " + std::to_string(g.adjacency.size()) + " entries, not " +
                std::to_string(g.n) + "^2");
  }
}

}  // namespace

std::vector<double> normalize_rows(const DenseGraph& graph) {
  check_size(graph);
  const size_t n = static_cast<size_t>(graph.n);
  std::vector<double> out(graph.adjacency.size());
  for (size_t r = 0; r < n; ++r) {
    double l1 = 0;
    for (size_t c = 0; c < n; ++c) l1 += std::abs(graph.adjacency[r * n + c]);
    l1 = std::max(l1, 1e-10);
    for (size_t c = 0; c < n; ++c) out[r * n + c] = std::abs(graph.adjacency[r * n + c]) / l1;
  }
  return out;
}

std::vector<double> node_influence(const DenseGraph& graph, const std::vector<double>& logit_weights) {
  const std::vector<double> a = normalize_rows(graph);
  const size_t n = static_cast<size_t>(graph.n);
  if (logit_weights.size() != n) {
    throw Error("influence: " + std::to_string(logit_weights.size()) + " logit weights for " + std::to_string(n) +
                " nodes");
  }
  // Row vector times Â, term by term (circuit-tracer's loop): cheaper than inverting I − Â, and exact zeros
  // propagate, so a DAG ends with an all-zero term after at most n products.
  auto times_a = [&](const std::vector<double>& v) {
    std::vector<double> out(n, 0.0);
    for (size_t r = 0; r < n; ++r) {
      if (v[r] == 0) continue;
      for (size_t c = 0; c < n; ++c) out[c] += v[r] * a[r * n + c];
    }
    return out;
  };
  std::vector<double> term = times_a(logit_weights);
  std::vector<double> total = term;
  for (size_t k = 0;; ++k) {
    if (std::all_of(term.begin(), term.end(), [](double x) { return x == 0; })) break;
    if (k > n) throw Error("influence: the graph has a cycle (no convergence after " + std::to_string(n) + " terms)");
    term = times_a(term);
    for (size_t i = 0; i < n; ++i) total[i] += term[i];
  }
  return total;
}

std::vector<double> cumulative_influence(const std::vector<double>& influence) {
  std::vector<size_t> order(influence.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return influence[x] > influence[y]; });
  const double sum = std::accumulate(influence.begin(), influence.end(), 0.0);
  std::vector<double> out(influence.size(), 0.0);
  if (sum == 0) return out;
  double running = 0;
  for (size_t i : order) {
    running += influence[i];
    out[i] = running / sum;
  }
  return out;
}

void set_graph_influence(AttributionGraph& graph) {
  const size_t n = graph.nodes.size();
  std::unordered_map<std::string, size_t> at;
  for (size_t i = 0; i < n; ++i) at.emplace(graph.nodes[i].node_id, i);
  DenseGraph dense;
  dense.n = static_cast<int>(n);
  dense.adjacency.assign(n * n, 0.0);
  for (const GraphLink& l : graph.links) {
    const auto s = at.find(l.source), t = at.find(l.target);
    if (s == at.end() || t == at.end()) {
      throw Error("influence: link " + l.source + " -> " + l.target + " names an unknown node");
    }
    dense.adjacency[t->second * n + s->second] += l.weight;
  }
  std::vector<double> w(n, 0.0);
  bool any_prob = false;
  for (size_t i = 0; i < n; ++i) {
    if (graph_node_kind(graph.nodes[i].feature_type) != GraphNodeKind::Logit) continue;
    w[i] = graph.nodes[i].token_prob;
    any_prob = any_prob || w[i] != 0;
  }
  if (!any_prob) {
    for (size_t i = 0; i < n; ++i) {
      if (graph_node_kind(graph.nodes[i].feature_type) == GraphNodeKind::Logit) w[i] = 1;
    }
  }
  const std::vector<double> cumulative = cumulative_influence(node_influence(dense, w));
  for (size_t i = 0; i < n; ++i) {
    GraphNode& node = graph.nodes[i];
    if (graph_node_kind(node.feature_type) == GraphNodeKind::Logit) {
      node.influence.reset();
    } else {
      node.influence = cumulative[i];
    }
  }
}

}  // namespace ce::core
