#include "ce/core/graphs/attribution_graph.h"

#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "base/json_input.h"
#include "ce/core/base/error.h"
#include "ce/core/base/files.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/graphs/cantor.h"
#include "ce/core/graphs/influence.h"
#include "io/loader_util.h"

namespace ce::core {

namespace {

constexpr uint64_t kMaxGraphBytes = 256ull << 20;  // circuit-tracer's largest graphs are tens of MB
constexpr const char* kNeuronType = "cross layer transcoder";

std::string neuron_id(int layer, int index, int pos) {
  return std::to_string(layer) + "_" + std::to_string(index) + "_" + std::to_string(pos);
}

std::string format_prob(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", p);
  return buf;
}

}  // namespace

std::string graph_node_id(const NodeRef& n, int error_index) {
  return neuron_id(n.layer, n.index == error_index ? -1 : n.index, n.pos);
}

GraphNodeKind graph_node_kind(const std::string& feature_type) {
  if (feature_type == kNeuronType) return GraphNodeKind::Neuron;
  if (feature_type == "mlp reconstruction error") return GraphNodeKind::Error;
  if (feature_type == "embedding") return GraphNodeKind::Embedding;
  if (feature_type == "logit") return GraphNodeKind::Logit;
  return GraphNodeKind::Other;
}

AttributionGraph graph_from_edges(const EdgeResult& edges, const std::vector<int>& token_ids,
                                  const std::vector<std::string>& token_texts, const std::string& prompt,
                                  const GraphExportOptions& options) {
  if (token_ids.empty() || token_ids.size() != token_texts.size()) {
    throw Error("graph export: " + std::to_string(token_ids.size()) + " token ids and " +
                std::to_string(token_texts.size()) + " token texts (need the same, at least one)");
  }
  if (options.layers < 1) throw Error("graph export: the model's layer count must be >= 1");
  if (options.target_token < 0) throw Error("graph export: no target token");
  const int positions = static_cast<int>(token_ids.size());

  AttributionGraph g;
  g.metadata.slug = options.slug;
  g.metadata.scan = options.scan;
  g.metadata.prompt_tokens = token_texts;
  g.metadata.prompt = prompt;
  // A feature graph: index d_sae is a layer's error node.
  const bool features = edges.basis == Basis::Features && edges.dictionaries;
  const int error_index = features ? edges.dictionaries->error_index() : -1;
  if (features) g.metadata.transcoder_list = {edges.dictionaries->path()};
  auto id_of_node = [error_index](const NodeRef& n) { return graph_node_id(n, error_index); };
  g.metadata.generator_name = "circuit-explorer";
  g.metadata.generator_version = options.generator_version;
  g.metadata.node_threshold = options.node_threshold;
  g.qparams.pinned_ids = options.pinned_ids;
  g.qparams.supernodes = options.supernodes;

  std::map<std::string, std::string> labels(options.clerps.begin(), options.clerps.end());
  auto label_of = [&](const std::string& id, const std::string& neuron) {
    auto it = labels.find(id);
    if (it == labels.end()) it = labels.find(neuron);
    return it == labels.end() ? std::string() : it->second;
  };

  std::map<NodeRef, double> activation;  // of each neuron node: the logit's contributions need none
  for (const NodeEffect& n : edges.nodes) {
    if (n.node.pos < 0 || n.node.pos >= positions || n.node.layer < 0 || n.node.layer >= options.layers ||
        n.node.index < 0) {
      throw Error("graph export: neuron " + node_name(n.node.layer, n.node.index, n.node.pos) +
                  " lies outside the prompt or the model");
    }
    if (!activation.emplace(n.node, n.activation).second) continue;
    GraphNode node;
    node.node_id = id_of_node(n.node);
    if (n.node.index == error_index) {
      node.feature = -1;
      node.layer = std::to_string(n.node.layer);
      node.ctx_idx = n.node.pos;
      node.feature_type = "mlp reconstruction error";
      node.js_node_id = node.node_id;  // circuit-tracer's "{layer}_{pos}-0" is also feature {pos}'s id
      node.clerp = label_of(node.node_id, node.node_id);
      g.nodes.push_back(std::move(node));
      continue;
    }
    const uint64_t feature = cantor_pair(static_cast<uint64_t>(n.node.layer), static_cast<uint64_t>(n.node.index));
    if (feature > static_cast<uint64_t>(INT64_MAX)) {  // only near INT_MAX for both: the format's int is signed
      throw Error("graph export: the feature id of " + node_name(n.node.layer, n.node.index, n.node.pos) +
                  " exceeds 63 bits");
    }
    node.feature = static_cast<int64_t>(feature);
    node.layer = std::to_string(n.node.layer);
    node.ctx_idx = n.node.pos;
    node.feature_type = kNeuronType;
    // circuit-tracer's feature jsNodeId: one per feature, not per position ("-0" is its reverse_ctx_idx).
    node.js_node_id = std::to_string(n.node.layer) + "_" + std::to_string(n.node.index) + "-0";
    node.clerp = label_of(node.node_id, std::to_string(n.node.layer) + "_" + std::to_string(n.node.index));
    node.activation = n.activation;
    g.nodes.push_back(std::move(node));
  }
  for (int p = 0; p < positions; ++p) {
    GraphNode node;
    const std::string tok = std::to_string(token_ids[static_cast<size_t>(p)]);
    node.node_id = "E_" + tok + "_" + std::to_string(p);
    node.feature = p;
    node.layer = "E";
    node.ctx_idx = p;
    node.feature_type = "embedding";
    node.js_node_id = "E_" + tok + "-" + std::to_string(p);
    node.clerp = label_of(node.node_id, node.node_id);
    g.nodes.push_back(std::move(node));
  }
  GraphNode logit;
  const std::string last = std::to_string(positions - 1), target = std::to_string(options.target_token);
  logit.layer = std::to_string(options.layers + 1);
  logit.node_id = logit.layer + "_" + target + "_" + last;
  logit.feature = options.target_token;
  logit.ctx_idx = positions - 1;
  logit.feature_type = "logit";
  logit.js_node_id = "L_" + target + "-" + last;
  logit.token_prob = options.target_prob;
  logit.is_target_logit = true;
  logit.clerp = "Output \"" + options.target_text + "\" (p=" + format_prob(options.target_prob) + ")";
  const std::string logit_id = logit.node_id;
  g.nodes.push_back(std::move(logit));

  auto id_of = [&](const EdgeEnd& e) {
    switch (e.kind) {
      case EdgeEnd::Kind::Logit: return logit_id;
      case EdgeEnd::Kind::Embedding:
        if (e.node.pos < 0 || e.node.pos >= positions) break;
        return "E_" + std::to_string(token_ids[static_cast<size_t>(e.node.pos)]) + "_" + std::to_string(e.node.pos);
      case EdgeEnd::Kind::Neuron:
        if (activation.count(e.node) == 0) break;
        return id_of_node(e.node);
    }
    throw Error("graph export: edge endpoint " + e.name() + " is not a node of the graph");
  };
  for (const Edge& e : edges.edges) {
    GraphLink link;
    link.source = id_of(e.src);
    link.target = id_of(e.dst);
    // The RelP weight is the contribution divided by the target's activation; circuit-tracer's adjacency holds
    // the contribution itself, in the target's units, which is what influence normalises row by row.
    link.weight = e.dst.kind == EdgeEnd::Kind::Neuron ? static_cast<double>(e.weight) * activation[e.dst.node]
                                                      : static_cast<double>(e.score);
    g.links.push_back(std::move(link));
  }
  set_graph_influence(g);
  return g;
}

std::string write_graph_json(const AttributionGraph& g) {
  using J = nlohmann::ordered_json;  // circuit-tracer's field order, for readers that diff files
  J meta = J::object();
  meta["slug"] = g.metadata.slug;
  meta["scan"] = g.metadata.scan;
  meta["transcoder_list"] = g.metadata.transcoder_list;
  meta["prompt_tokens"] = g.metadata.prompt_tokens;
  meta["prompt"] = g.metadata.prompt;
  meta["node_threshold"] = g.metadata.node_threshold ? J(*g.metadata.node_threshold) : J(nullptr);
  meta["schema_version"] = g.metadata.schema_version;
  meta["info"] = {{"generator", {{"name", g.metadata.generator_name}, {"version", g.metadata.generator_version}}}};

  J supernodes = J::array();
  for (const GraphSupernode& s : g.qparams.supernodes) {
    J row = J::array({s.label});
    for (const std::string& id : s.node_ids) row.push_back(id);
    supernodes.push_back(std::move(row));
  }
  J q = J::object();
  q["pinnedIds"] = g.qparams.pinned_ids;
  q["supernodes"] = std::move(supernodes);
  q["linkType"] = g.qparams.link_type;
  q["clickedId"] = g.qparams.clicked_id;
  q["sg_pos"] = g.qparams.sg_pos;

  J nodes = J::array();
  for (const GraphNode& n : g.nodes) {
    J o = J::object();
    o["node_id"] = n.node_id;
    o["feature"] = n.feature;
    o["layer"] = n.layer;
    o["ctx_idx"] = n.ctx_idx;
    o["feature_type"] = n.feature_type;
    o["token_prob"] = n.token_prob;
    o["is_target_logit"] = n.is_target_logit;
    o["run_idx"] = n.run_idx;
    o["reverse_ctx_idx"] = n.reverse_ctx_idx;
    o["jsNodeId"] = n.js_node_id;
    o["clerp"] = n.clerp;
    o["influence"] = n.influence ? J(*n.influence) : J(nullptr);
    o["activation"] = n.activation ? J(*n.activation) : J(nullptr);
    nodes.push_back(std::move(o));
  }
  J links = J::array();
  for (const GraphLink& l : g.links) links.push_back({{"source", l.source}, {"target", l.target}, {"weight", l.weight}});

  J root = J::object();
  root["metadata"] = std::move(meta);
  root["qParams"] = std::move(q);
  root["nodes"] = std::move(nodes);
  root["links"] = std::move(links);
  return root.dump(2, ' ', false, J::error_handler_t::replace) + "\n";
}

namespace {

// "null", "a string", "an object", ... for a value of the wrong kind.
std::string found_kind(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  const std::string kind = v.type_name();
  return (kind[0] == 'a' || kind[0] == 'o' ? "an " : "a ") + kind;
}

// The array `key` of `object`; `member` names it in messages ("g.json: nodes", "g.json: metadata.prompt_tokens").
const nlohmann::json& array_member(const nlohmann::json& object, const char* key, const std::string& where,
                                   const std::string& member) {
  const nlohmann::json& v = json_member(object, key, where);
  if (!v.is_array()) {
    throw Error(member + ": expected an array, found " + found_kind(v));
  }
  return v;
}

double json_number(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number()) {
    throw Error(where + ": expected a number, found " + found_kind(v));
  }
  return v.get<double>();
}

int json_int(const nlohmann::json& v, const std::string& where) {
  const long long x = json_integer(v, where);
  if (x < INT32_MIN || x > INT32_MAX) throw Error(where + ": " + std::to_string(x) + " is out of range");
  return static_cast<int>(x);
}

std::vector<std::string> string_list(const nlohmann::json& object, const char* key, const std::string& where,
                                     bool required) {
  std::vector<std::string> out;
  if (!required && !json_optional(object, key, where)) return out;
  const std::string w = where + "." + key;
  const nlohmann::json& a = array_member(object, key, where, w);
  for (size_t i = 0; i < a.size(); ++i) out.push_back(json_string(a[i], w + "[" + std::to_string(i) + "]"));
  return out;
}

GraphNode read_node(const nlohmann::json& j, const std::string& w) {
  GraphNode n;
  n.node_id = json_string(json_member(j, "node_id", w), w + ".node_id");
  n.feature = json_integer(json_member(j, "feature", w), w + ".feature");
  // The layer is a string in circuit-tracer's model; a number is taken too, as hand-made files write it.
  const nlohmann::json& layer = json_member(j, "layer", w);
  n.layer = layer.is_number_integer() ? std::to_string(json_integer(layer, w + ".layer"))
                                      : json_string(layer, w + ".layer");
  n.ctx_idx = json_int(json_member(j, "ctx_idx", w), w + ".ctx_idx");
  if (n.ctx_idx < 0) throw Error(w + ".ctx_idx: " + std::to_string(n.ctx_idx) + " is negative");
  n.feature_type = json_string(json_member(j, "feature_type", w), w + ".feature_type");
  n.js_node_id = json_string_or(j, "jsNodeId", n.node_id, w);
  n.clerp = json_string_or(j, "clerp", "", w);
  if (const nlohmann::json* v = json_optional(j, "influence", w)) n.influence = json_number(*v, w + ".influence");
  if (const nlohmann::json* v = json_optional(j, "activation", w)) n.activation = json_number(*v, w + ".activation");
  if (const nlohmann::json* v = json_optional(j, "token_prob", w)) n.token_prob = json_number(*v, w + ".token_prob");
  n.is_target_logit = json_bool_or(j, "is_target_logit", false, w);
  if (const nlohmann::json* v = json_optional(j, "run_idx", w)) n.run_idx = json_int(*v, w + ".run_idx");
  if (const nlohmann::json* v = json_optional(j, "reverse_ctx_idx", w)) {
    n.reverse_ctx_idx = json_int(*v, w + ".reverse_ctx_idx");
  }
  return n;
}

}  // namespace

AttributionGraph parse_graph_json(const std::string& text, const std::string& name) {
  const nlohmann::json root = parse_json(text, name);
  AttributionGraph g;
  const std::string mw = name + ": metadata";
  const nlohmann::json& meta = json_member(root, "metadata", name);
  // The version first: a file of another schema is refused for that, whatever else it holds.
  if (const nlohmann::json* v = json_optional(meta, "schema_version", mw)) {
    const long long version = json_integer(*v, mw + ".schema_version");
    if (version != kGraphSchemaVersion) {
      throw Error(mw + ".schema_version: version " + std::to_string(version) + " is not supported (only " +
                  std::to_string(kGraphSchemaVersion) + ")");
    }
  }
  GraphMetadata& m = g.metadata;
  m.slug = json_string(json_member(meta, "slug", mw), mw + ".slug");
  m.scan = json_string_or(meta, "scan", "", mw);
  m.transcoder_list = string_list(meta, "transcoder_list", mw, false);
  m.prompt_tokens = string_list(meta, "prompt_tokens", mw, true);
  m.prompt = json_string(json_member(meta, "prompt", mw), mw + ".prompt");
  if (const nlohmann::json* v = json_optional(meta, "node_threshold", mw)) {
    m.node_threshold = json_number(*v, mw + ".node_threshold");
  }
  if (const nlohmann::json* info = json_optional(meta, "info", mw)) {
    if (const nlohmann::json* gen = json_optional(*info, "generator", mw + ".info")) {
      m.generator_name = json_string_or(*gen, "name", "", mw + ".info.generator");
      m.generator_version = json_string_or(*gen, "version", "", mw + ".info.generator");
    }
  }

  if (const nlohmann::json* q = json_optional(root, "qParams", name)) {
    const std::string qw = name + ": qParams";
    g.qparams.pinned_ids = string_list(*q, "pinnedIds", qw, false);
    if (json_optional(*q, "supernodes", qw)) {
      const std::string sw = qw + ".supernodes";
      const nlohmann::json& rows = array_member(*q, "supernodes", qw, sw);
      for (size_t i = 0; i < rows.size(); ++i) {
        const std::string rw = sw + "[" + std::to_string(i) + "]";
        if (!rows[i].is_array() || rows[i].empty()) {
          throw Error(rw + ": expected [label, node id, ...], found " + detail::json_excerpt(rows[i]));
        }
        GraphSupernode s;
        s.label = json_string(rows[i][0], rw + "[0]");
        for (size_t k = 1; k < rows[i].size(); ++k) {
          s.node_ids.push_back(json_string(rows[i][k], rw + "[" + std::to_string(k) + "]"));
        }
        g.qparams.supernodes.push_back(std::move(s));
      }
    }
    g.qparams.link_type = json_string_or(*q, "linkType", "both", qw);
    g.qparams.clicked_id = json_string_or(*q, "clickedId", "", qw);
    g.qparams.sg_pos = json_string_or(*q, "sg_pos", "", qw);
  }

  const std::string nw = name + ": nodes", lw = name + ": links";
  const nlohmann::json& nodes = array_member(root, "nodes", name, nw);
  std::unordered_set<std::string> ids;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const std::string w = nw + "[" + std::to_string(i) + "]";
    GraphNode n = read_node(nodes[i], w);
    if (!ids.insert(n.node_id).second) {
      throw Error(w + ".node_id: duplicate node \"" + detail::printable(n.node_id) + "\"");
    }
    g.nodes.push_back(std::move(n));
  }
  const nlohmann::json& links = array_member(root, "links", name, lw);
  for (size_t i = 0; i < links.size(); ++i) {
    const std::string w = lw + "[" + std::to_string(i) + "]";
    GraphLink l;
    l.source = json_string(json_member(links[i], "source", w), w + ".source");
    l.target = json_string(json_member(links[i], "target", w), w + ".target");
    l.weight = json_number(json_member(links[i], "weight", w), w + ".weight");
    for (const auto& [end, field] : {std::pair{&l.source, ".source"}, std::pair{&l.target, ".target"}}) {
      if (ids.count(*end) == 0) throw Error(w + field + ": unknown node \"" + detail::printable(*end) + "\"");
    }
    g.links.push_back(std::move(l));
  }
  return g;
}

AttributionGraph read_graph_json(const std::string& path) {
  return parse_graph_json(read_file(path, kMaxGraphBytes, "a graph file"), path);
}

}  // namespace ce::core
