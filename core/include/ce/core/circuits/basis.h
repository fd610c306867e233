// Node bases of a circuit: which activation of each layer a node is a coordinate of.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "ce/core/model/model_config.h"

namespace ce::core {

// The paper's four bases and the features of sparse dictionaries. A node is (basis, layer, token position,
// index within the basis' width). The values are stored in exemplar index files (exemplars/exemplar_index.h):
// never renumber.
enum class Basis : uint32_t {
  MlpAct = 0,  // act(gate(x)) * up(x), the input of down_proj: the MLP neurons "L{layer}/N{index}"; width d_mlp
  MlpOut = 1,  // output of down_proj; width d_model
  Attn = 2,    // attention heads' output, the input of o_proj; width heads * head_dim
  Resid = 3,   // output of the layer (residual stream after the MLP); width d_model
  // Features of a DictionarySet (dictionaries/dictionary_set.h), which every user of this basis takes beside
  // it: at a layer with a dictionary, its site holds decode(f) + error; nodes are the d_sae features f and,
  // at index d_sae, one error node standing for the whole error vector. Width d_sae + 1; layers without a
  // dictionary have no nodes (their effects stay 0).
  Features = 4,
};

// "mlp_act", "mlp_out", "attn", "resid", "sae".
const char* basis_name(Basis basis);
// Inverse of basis_name (as files store it). Throws Error listing the valid names for anything else.
Basis parse_basis(const std::string& name);
// A basis argument as the CLI and sessions spell it: a basis name, or "sae:PATH" / "sae:NAME" for the features
// of the dictionaries at PATH (or shipped beside the model as NAME). Returns the basis and, for Features, the
// text after "sae:" (not yet resolved to a folder: DictionarySet::resolve). Throws Error as parse_basis, for
// "sae" without its dictionaries, and "basis 'sae:': name the dictionaries (sae:PATH or sae:NAME)".
std::pair<Basis, std::string> split_basis_spec(const std::string& spec);
// Number of nodes per layer and position. Throws Error for Features, whose width depends on its
// dictionaries (DictionarySet::d_sae() + 1).
int64_t basis_width(Basis basis, const ModelConfig& config);

// One node of a basis, with its token position counted from 0 (BOS included).
struct NodeRef {
  int layer = 0;
  int pos = 0;
  int index = 0;
  bool operator==(const NodeRef& o) const { return layer == o.layer && pos == o.pos && index == o.index; }
  bool operator<(const NodeRef& o) const {
    if (layer != o.layer) return layer < o.layer;
    if (pos != o.pos) return pos < o.pos;
    return index < o.index;
  }
};

// "L{layer}/N{index}" (neurons are named without position); "@{pos}" appended when pos >= 0.
std::string node_name(int layer, int index, int pos = -1);
// The same for a node of `basis`: a feature of Basis::Features is "L{layer}/F{index}" (its error node is index
// d_sae), every other basis' node "L{layer}/N{index}".
std::string node_name(Basis basis, int layer, int index, int pos = -1);

// The label of a layer's error node (a feature basis', or an imported graph's "mlp reconstruction error"):
// "L{layer}/error", "@{pos}" appended when pos >= 0. For labels and tooltips only; it does not parse back.
std::string error_node_name(int layer, int pos = -1);
// The name a node is shown by: node_name's, except error_node_name's for a feature basis' error node (index
// error_index: DictionarySet::error_index(); -1 where there is none), which is no feature. Files, sessions and
// steering keep node_name's "L3/F1024", which parses back.
std::string display_name(Basis basis, int layer, int index, int error_index, int pos = -1);

// Inverse of node_name, the one parser of node names for the CLI, the GUI and sessions: "L3/N701",
// "L3/N701@9", "L3/F412" (a feature: same fields), also without the letters ("3/701@9") and in lower case. pos is -1 without "@". Checks the form
// only (numbers >= 0), not a model's ranges. Throws Error quoting the text (elided past 60 characters) and
// the expected form.
NodeRef parse_node_name(const std::string& text);

}  // namespace ce::core
