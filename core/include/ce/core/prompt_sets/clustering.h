// Suggested neuron groups for a traced prompt set: agglomerative clustering (cosine distance, average linkage)
// of the kept neurons' profiles, and automatic group labels from the neurons' exemplars.
#pragma once

#include <string>
#include <vector>

#include "ce/core/prompt_sets/set_trace.h"

namespace ce::core {

class ExemplarIndex;
class Model;

// Average-linkage clustering of `rows` under cosine distance 1 - cos (a zero row is at distance 1 from every
// row). Cut at `groups` clusters when groups > 0, else at every merge of distance <= `distance`. Returns a
// cluster id per row: ids 0.. numbered by first appearance in row order, so the same input gives the same
// ids. Throws Error when rows differ in length, or when groups < 1 and distance is outside [0, 2].
std::vector<int> cluster_rows(const std::vector<std::vector<float>>& rows, int groups, double distance);

enum class ClusterOn { Attribution, Contribution, Both };
const char* cluster_on_name(ClusterOn on);      // "attr", "contrib", "both"
ClusterOn parse_cluster_on(const std::string& name);

struct NeuronGroup {
  std::string label;
  std::vector<int> members;  // indices into SetTrace::neurons, ascending
  int layer_lo = 0, layer_hi = 0;
};

// Groups of trace.neurons (Both: each neuron's attribution and contribution profiles, each scaled to unit
// length, joined). Groups are ordered by their first member; labels are "group N" until label_groups names them.
std::vector<NeuronGroup> cluster_neurons(const SetTrace& trace, ClusterOn on, int groups, double distance);

// Fills each group's layer span and label: the label value that carries most of the group's |attribution| when
// it stands out ("state=Texas 40%": at least a quarter of the mass and three times the value's share of prompts),
// the tokens that most set its members' strongest exemplars apart from the other kept neurons' (tf-idf, up to
// three positive, then "−" and up to three negative), and "L{lo}–L{hi}". Without an index the tokens are left
// out and the group's size is given. Throws Error for a damaged index. Thread-safe.
void label_groups(std::vector<NeuronGroup>& groups, const SetTrace& trace, const Model& model,
                  const ExemplarIndex* index);

// Splits `group` in two by the same clustering restricted to its members (the GUI's Split). Throws Error for
// a group of fewer than two members.
std::vector<NeuronGroup> split_group(const SetTrace& trace, const NeuronGroup& group, ClusterOn on);

}  // namespace ce::core
