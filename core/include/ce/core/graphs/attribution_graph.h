// The attribution-graph JSON that circuit-tracer writes and Neuronpedia's graph viewer reads, as plain structs:
// built from this program's edges (graph_from_edges), written (write_graph_json) and read back, also from
// circuit-tracer's own files (read_graph_json). The field names and node id rules follow
// circuit_tracer/frontend/graph_models.py and circuit_tracer/utils/create_graph_files.py.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ce/core/circuits/edge_attribution.h"

namespace ce::core {

// The only schema_version written and accepted.
constexpr int kGraphSchemaVersion = 1;

// What a node is, from its feature_type. Neuron (also a dictionary feature), Error (a feature basis' error
// node), Embedding and Logit nodes are made here; Other comes from circuit-tracer files and is shown read-only.
enum class GraphNodeKind {
  Neuron,     // "cross layer transcoder" (a transcoder feature there, an MLP neuron here)
  Error,      // "mlp reconstruction error"
  Embedding,  // "embedding"
  Logit,      // "logit"
  Other,      // any other feature_type (kept as read)
};
GraphNodeKind graph_node_kind(const std::string& feature_type);

struct GraphNode {
  std::string node_id;       // neuron or feature "{layer}_{index}_{pos}", embedding "E_{token id}_{pos}",
                             // logit "{layers+1}_{token id}_{pos}", error "{layer}_-1_{pos}" as written here
                             // (circuit-tracer's "0_{layer}_{pos}" is read too)
  int64_t feature = 0;       // neuron: cantor_pair(layer, index); embedding: pos; logit: token id; error: -1
  std::string layer;         // "E", "0".."{layers-1}", "{layers+1}" for logits (a string in the format)
  int ctx_idx = 0;           // token position
  std::string feature_type;  // see GraphNodeKind
  std::string js_node_id;    // "jsNodeId": the viewer's id; defaults to node_id when a file omits it
  std::string clerp;         // the label
  std::optional<double> influence;   // cumulative influence (0..1, smaller = more influential); null for logits
  std::optional<double> activation;  // null for non-neuron nodes
  double token_prob = 0;             // logits: the token's probability
  bool is_target_logit = false;
  int run_idx = 0;
  int reverse_ctx_idx = 0;
};

struct GraphLink {
  std::string source, target;  // node_ids
  double weight = 0;           // the source's direct contribution to the target's value (signed)
};

struct GraphSupernode {
  std::string label;
  std::vector<std::string> node_ids;  // written as [label, id, id, ...]
};

struct GraphMetadata {
  std::string slug;
  std::string scan;                         // which model / transcoder set
  std::vector<std::string> transcoder_list;  // circuit-tracer writes it (empty for a preset scan)
  std::vector<std::string> prompt_tokens;    // each token's text
  std::string prompt;
  int schema_version = kGraphSchemaVersion;
  std::string generator_name, generator_version;  // metadata.info.generator {name, version}
  std::optional<double> node_threshold;
};

struct GraphQParams {
  std::vector<std::string> pinned_ids;  // "pinnedIds"
  std::vector<GraphSupernode> supernodes;
  std::string link_type = "both";       // "linkType"
  std::string clicked_id;               // "clickedId"
  std::string sg_pos;                   // subgraph positions, kept verbatim
};

struct AttributionGraph {
  GraphMetadata metadata;
  GraphQParams qparams;  // "qParams"
  std::vector<GraphNode> nodes;
  std::vector<GraphLink> links;
};

// What the caller knows that an EdgeResult does not: the prompt and its tokens, the target token the metric
// belongs to, the model's layer count and labels.
struct GraphExportOptions {
  std::string slug = "circuit-explorer";
  std::string scan;                  // e.g. the model folder's name
  int layers = 0;                    // the model's decoder layers (the logit node sits at layer "layers + 1")
  int target_token = -1;             // the answer's token id
  std::string target_text;           // its text, for the clerp: Output " Austin" (p=0.998)
  double target_prob = 0;            // its probability on the prompt
  std::optional<double> node_threshold = 0.8;
  std::string generator_version;     // the program's version
  std::vector<std::string> pinned_ids;
  std::vector<GraphSupernode> supernodes;
  // User labels by node_id ("3_701_10") or by neuron ("3_701", every position); node_id wins.
  std::vector<std::pair<std::string, std::string>> clerps;
};

// The node_id a graph file gives node `n` of the graph_from_edges writes: "{layer}_{index}_{pos}", and for a
// feature basis' error node (index error_index; -1 for a graph without one) "{layer}_-1_{pos}" (circuit-tracer
// writes "0_{layer}_{pos}", which is also layer 0's feature {layer}; index -1 is no feature's). Pure.
std::string graph_node_id(const NodeRef& n, int error_index);

// The graph of `edges` on the prompt `token_ids` (texts `token_texts`, same length): one node per neuron of
// edges.nodes (activation from it; for a feature graph each feature, and each error node as an "mlp
// reconstruction error" node without activation, the set's folder in metadata.transcoder_list), one embedding
// per prompt position, one target logit at the last position, and one link per edge. A link's weight is the
// source's contribution to the target: weight × activation of the target neuron (the RelP weight is that
// contribution divided by the activation, up to its ε) and, into
// the logit, the edge's score (∂̃m/∂a_src · a_src). Influence is then filled in as circuit-tracer does
// (set_graph_influence, influence.h). Throws Error when the token lists differ in length or are empty, when
// options.layers < 1 or target_token < 0, for a neuron outside the prompt or the model's layers, when an edge
// names a neuron or position the graph lacks, and when a Cantor id exceeds 63 bits (the format's int is signed).
// Pure; thread-safe.
AttributionGraph graph_from_edges(const EdgeResult& edges, const std::vector<int>& token_ids,
                                  const std::vector<std::string>& token_texts, const std::string& prompt,
                                  const GraphExportOptions& options);

// The graph as JSON text (UTF-8, 2-space indent), field names as circuit-tracer writes them. Strings that are
// not valid UTF-8 have their bad bytes replaced by U+FFFD. Pure; thread-safe; does not throw Error.
std::string write_graph_json(const AttributionGraph& graph);

// Reads a graph JSON file (at most 256 MiB) written here or by circuit-tracer / Neuronpedia. Every field is
// checked and a problem throws Error naming the file and the field: "<path>: nodes[3]: missing \"node_id\"",
// "<path>: links[7].target: unknown node \"3_9_2\"", "<path>: metadata.schema_version: version 2 is not
// supported (only 1)", duplicate node ids, and the file errors of read_file / parse_json. Optional fields
// circuit-tracer may omit (jsNodeId, clerp, influence, activation, token_prob, is_target_logit, run_idx,
// reverse_ctx_idx, qParams, metadata.info, node_threshold) take their defaults; unknown feature types are kept
// (GraphNodeKind::Other). Unknown members are ignored. Pinned ids and supernode members are not checked
// against the nodes (the viewer skips ids it lacks, and a hand-edited file may pin a pruned node); a caller
// that shows them looks each one up. Thread-safe.
AttributionGraph read_graph_json(const std::string& path);

// The same on text already in memory; `name` stands for the file in messages.
AttributionGraph parse_graph_json(const std::string& text, const std::string& name);

}  // namespace ce::core
