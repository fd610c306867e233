#include "ce/core/prompt_sets/clustering.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "ce/core/base/error.h"
#include "io/loader_util.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/model/model.h"

namespace ce::core {

namespace {

// Beyond this the n x n distance matrix alone passes 1 GB.
constexpr size_t kMaxRows = 16000;

struct Merge {
  int a = 0, b = 0;  // a point of each merged cluster
  double distance = 0;
};

// Average-linkage merges by the nearest-neighbour chain (exact for average linkage, which is reducible), O(n^2)
// time and memory; returned in order of distance, ties in the order found.
std::vector<Merge> average_linkage(const std::vector<std::vector<float>>& rows) {
  const size_t n = rows.size();
  std::vector<std::vector<double>> unit(n);
  for (size_t i = 0; i < n; ++i) {
    double norm = 0;
    for (float v : rows[i]) norm += static_cast<double>(v) * v;
    norm = std::sqrt(norm);
    unit[i].resize(rows[i].size());
    for (size_t k = 0; k < rows[i].size(); ++k) unit[i][k] = norm > 0 ? rows[i][k] / norm : 0.0;
  }
  std::vector<float> d(n * n, 0.f);  // [n][n] cosine distance; slot i holds the cluster containing point i
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      double dot = 0;
      for (size_t k = 0; k < unit[i].size(); ++k) dot += unit[i][k] * unit[j][k];
      const bool zero = std::all_of(unit[i].begin(), unit[i].end(), [](double v) { return v == 0; }) ||
                        std::all_of(unit[j].begin(), unit[j].end(), [](double v) { return v == 0; });
      const float dist = zero ? 1.f : static_cast<float>(std::clamp(1.0 - dot, 0.0, 2.0));
      d[i * n + j] = d[j * n + i] = dist;
    }
  }
  std::vector<int> size(n, 1);
  std::vector<bool> active(n, true);
  std::vector<Merge> merges;
  std::vector<size_t> chain;
  size_t remaining = n;
  while (remaining > 1) {
    if (chain.empty()) chain.push_back(static_cast<size_t>(std::find(active.begin(), active.end(), true) - active.begin()));
    const size_t a = chain.back();
    const size_t prev = chain.size() >= 2 ? chain[chain.size() - 2] : n;
    // The nearest active cluster; on a tie the previous link wins, which is what makes the chain end.
    size_t best = prev;
    float best_d = prev < n ? d[a * n + prev] : INFINITY;
    for (size_t j = 0; j < n; ++j) {
      if (!active[j] || j == a) continue;
      if (d[a * n + j] < best_d) {
        best_d = d[a * n + j];
        best = j;
      }
    }
    if (best != prev) {
      chain.push_back(best);
      continue;
    }
    chain.pop_back();
    chain.pop_back();
    const size_t keep = std::min(a, best), drop = std::max(a, best);
    merges.push_back({static_cast<int>(keep), static_cast<int>(drop), best_d});
    // Lance-Williams for average linkage: the merged cluster's distance is the size-weighted mean.
    for (size_t k = 0; k < n; ++k) {
      if (!active[k] || k == keep || k == drop) continue;
      const double v = (size[keep] * static_cast<double>(d[keep * n + k]) + size[drop] * static_cast<double>(d[drop * n + k])) /
                       (size[keep] + size[drop]);
      d[keep * n + k] = d[k * n + keep] = static_cast<float>(v);
    }
    size[keep] += size[drop];
    active[drop] = false;
    --remaining;
  }
  std::stable_sort(merges.begin(), merges.end(), [](const Merge& x, const Merge& y) { return x.distance < y.distance; });
  return merges;
}

int find(std::vector<int>& parent, int x) {
  while (parent[static_cast<size_t>(x)] != x) x = parent[static_cast<size_t>(x)] = parent[static_cast<size_t>(parent[static_cast<size_t>(x)])];
  return x;
}

std::vector<std::vector<float>> profile_rows(const SetTrace& trace, const std::vector<int>& members, ClusterOn on) {
  auto unit = [](const std::vector<float>& v) {
    double norm = 0;
    for (float x : v) norm += static_cast<double>(x) * x;
    norm = std::sqrt(norm);
    std::vector<float> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) out[i] = norm > 0 ? static_cast<float>(v[i] / norm) : 0.f;
    return out;
  };
  std::vector<std::vector<float>> rows;
  for (int m : members) {
    const SetNeuron& n = trace.neurons[static_cast<size_t>(m)];
    if (on == ClusterOn::Attribution) {
      rows.push_back(n.profile);
    } else if (on == ClusterOn::Contribution) {
      rows.push_back(n.contribution);
    } else {
      std::vector<float> both = unit(n.profile), c = unit(n.contribution);
      both.insert(both.end(), c.begin(), c.end());
      rows.push_back(std::move(both));
    }
  }
  return rows;
}

std::vector<NeuronGroup> groups_of(const SetTrace& trace, const std::vector<int>& members, const std::vector<int>& ids) {
  std::vector<NeuronGroup> out;
  for (size_t i = 0; i < members.size(); ++i) {
    const size_t g = static_cast<size_t>(ids[i]);
    if (out.size() <= g) out.resize(g + 1);
    out[g].members.push_back(members[i]);
  }
  for (size_t g = 0; g < out.size(); ++g) {
    std::sort(out[g].members.begin(), out[g].members.end());
    out[g].label = "group " + std::to_string(g + 1);
    out[g].layer_lo = trace.neurons[static_cast<size_t>(out[g].members.front())].layer;
    out[g].layer_hi = trace.neurons[static_cast<size_t>(out[g].members.back())].layer;
  }
  return out;
}

}  // namespace

std::vector<int> cluster_rows(const std::vector<std::vector<float>>& rows, int groups, double distance) {
  if (groups < 1 && !(distance >= 0 && distance <= 2)) {
    throw Error("clustering: give a number of groups >= 1 or a distance in [0, 2]");
  }
  if (rows.size() > kMaxRows) {
    throw Error("clustering: " + std::to_string(rows.size()) + " neurons are too many (at most " +
                std::to_string(kMaxRows) + "; raise the keep fraction)");
  }
  for (const auto& r : rows) {
    if (r.size() != rows.front().size()) throw Error("clustering: the profiles differ in length");
  }
  const size_t n = rows.size();
  std::vector<int> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  if (n > 1) {
    const std::vector<Merge> merges = average_linkage(rows);
    const size_t apply = groups > 0 ? (static_cast<size_t>(groups) >= n ? 0 : n - static_cast<size_t>(groups))
                                    : static_cast<size_t>(std::count_if(merges.begin(), merges.end(), [distance](const Merge& m) {
                                        return m.distance <= distance;
                                      }));
    for (size_t k = 0; k < apply; ++k) {
      const int ra = find(parent, merges[k].a), rb = find(parent, merges[k].b);
      parent[static_cast<size_t>(std::max(ra, rb))] = std::min(ra, rb);
    }
  }
  std::vector<int> ids(n);
  std::map<int, int> number;
  for (size_t i = 0; i < n; ++i) {
    const int root = find(parent, static_cast<int>(i));
    auto it = number.emplace(root, static_cast<int>(number.size())).first;
    ids[i] = it->second;
  }
  return ids;
}

const char* cluster_on_name(ClusterOn on) {
  switch (on) {
    case ClusterOn::Attribution: return "attr";
    case ClusterOn::Contribution: return "contrib";
    case ClusterOn::Both: return "both";
  }
  return "?";
}

ClusterOn parse_cluster_on(const std::string& name) {
  for (ClusterOn on : {ClusterOn::Attribution, ClusterOn::Contribution, ClusterOn::Both}) {
    if (name == cluster_on_name(on)) return on;
  }
  throw Error("unknown profile kind '" + detail::printable(name, false, 60) + "' (expected attr, contrib or both)");
}

std::vector<NeuronGroup> cluster_neurons(const SetTrace& trace, ClusterOn on, int groups, double distance) {
  if (trace.neurons.empty()) throw Error("clustering: the trace kept no neurons (lower the keep fraction)");
  std::vector<int> all(trace.neurons.size());
  std::iota(all.begin(), all.end(), 0);
  return groups_of(trace, all, cluster_rows(profile_rows(trace, all, on), groups, distance));
}

std::vector<NeuronGroup> split_group(const SetTrace& trace, const NeuronGroup& group, ClusterOn on) {
  if (group.members.size() < 2) throw Error("a group of one neuron cannot be split");
  for (int m : group.members) {
    if (m < 0 || static_cast<size_t>(m) >= trace.neurons.size()) throw Error("the group names a neuron outside the trace");
  }
  return groups_of(trace, group.members, cluster_rows(profile_rows(trace, group.members, on), 2, -1));
}

namespace {

// The label value that carries the largest share of the group's |attribution|, when that share is at least a
// quarter and three times the value's share of the prompts ("state=Texas 40%"); "" otherwise.
std::string concentration(const NeuronGroup& g, const SetTrace& trace) {
  const size_t P = trace.prompts.size();
  std::vector<double> mass(P, 0.0);
  for (int m : g.members) {
    for (size_t i = 0; i < P; ++i) mass[i] += std::abs(trace.neurons[static_cast<size_t>(m)].profile[i]);
  }
  const double total = std::accumulate(mass.begin(), mass.end(), 0.0);
  if (total <= 0) return {};
  std::string best;
  double best_lift = 3;
  for (const std::string& column : trace.columns) {
    std::map<std::string, std::pair<double, int>> by_value;  // value -> (mass, prompts)
    for (size_t i = 0; i < P; ++i) {
      auto& v = by_value[trace.prompts[i].text.labels.at(column)];
      v.first += mass[i];
      ++v.second;
    }
    if (by_value.size() < 2) continue;
    for (const auto& [value, mp] : by_value) {
      const double share = mp.first / total, lift = share / (static_cast<double>(mp.second) / static_cast<double>(P));
      if (share >= 0.25 && lift > best_lift) {
        best_lift = lift;
        best = column + "=" + value + " " + std::to_string(static_cast<int>(std::lround(100 * share))) + "%";
      }
    }
  }
  return best;
}

}  // namespace

void label_groups(std::vector<NeuronGroup>& groups, const SetTrace& trace, const Model& model,
                  const ExemplarIndex* index) {
  constexpr int kPerNeuron = 5;  // exemplars per neuron and polarity that vote for the label
  // Votes of every kept neuron, so that a group is named by the tokens that set it apart (tf-idf), not by the
  // function words that top most neurons' exemplars.
  std::map<std::pair<int, int>, std::map<int, int>> votes;  // (neuron, polarity) -> token -> count
  std::map<int, int> all_votes[2];
  int all_neurons = 0;
  if (index != nullptr) {
    for (size_t k = 0; k < trace.neurons.size(); ++k) {
      for (Polarity pol : {Polarity::Positive, Polarity::Negative}) {
        const int p = static_cast<int>(pol);
        std::map<int, int>& v = votes[{static_cast<int>(k), p}];
        // An error node (index d_sae of a feature trace) has no exemplars: it votes for nothing.
        if (trace.neurons[k].index >= index->info().neurons) continue;
        for (const Exemplar& e : index->exemplars(trace.neurons[k].layer, trace.neurons[k].index, pol, kPerNeuron)) {
          ++v[e.tokens[static_cast<size_t>(e.position)]];
        }
        for (const auto& [token, n] : v) all_votes[p][token] += 1;  // neurons voting for the token
      }
      ++all_neurons;
    }
  }
  for (NeuronGroup& g : groups) {
    if (g.members.empty()) continue;
    g.layer_lo = g.layer_hi = trace.neurons[static_cast<size_t>(g.members.front())].layer;
    for (int m : g.members) {
      g.layer_lo = std::min(g.layer_lo, trace.neurons[static_cast<size_t>(m)].layer);
      g.layer_hi = std::max(g.layer_hi, trace.neurons[static_cast<size_t>(m)].layer);
    }
    const std::string span = g.layer_lo == g.layer_hi
                                 ? "L" + std::to_string(g.layer_lo)
                                 : "L" + std::to_string(g.layer_lo) + "\u2013L" + std::to_string(g.layer_hi);
    std::string label = concentration(g, trace);
    if (index == nullptr) {
      g.label = (label.empty() ? "" : label + " \u00b7 ") + span + " \u00b7 " + std::to_string(g.members.size()) +
                (trace.options.basis == Basis::Features ? (g.members.size() == 1 ? " feature" : " features")
                                                        : (g.members.size() == 1 ? " neuron" : " neurons"));
      continue;
    }
    auto top_tokens = [&](Polarity pol) {
      const int p = static_cast<int>(pol);
      std::map<int, int> count;  // token -> members voting for it
      for (int m : g.members) {
        for (const auto& [token, n] : votes[{m, p}]) count[token] += 1;
      }
      std::vector<std::pair<int, double>> order;  // (token, tf-idf)
      for (const auto& [token, n] : count) {
        order.push_back({token, n * std::log((1.0 + all_neurons) / (1.0 + all_votes[p][token]))});
      }
      std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
      std::string out;
      for (size_t k = 0; k < order.size() && k < 3; ++k) {
        std::string text = model.token_text(order[k].first);
        const size_t s = text.find_first_not_of(' ');
        text = s == std::string::npos ? "\u2423" : text.substr(s);  // a bare space shown as ␣
        out += (out.empty() ? "" : ", ") + text;
      }
      return out;
    };
    const std::string pos = top_tokens(Polarity::Positive), neg = top_tokens(Polarity::Negative);
    g.label = (label.empty() ? "" : label + " \u00b7 ") + pos + (neg.empty() ? "" : " / \u2212" + neg) + " \u00b7 " + span;
  }
}

}  // namespace ce::core
