// Attribution graphs in circuit-tracer's JSON format: Cantor ids, export from edges, the file read back and
// hand-written circuit-tracer files, rejected files, influence, a neuron's direct logit effect and its feature file,
// and a graph of dictionary features with an error node.

#include <QtTest/QtTest>

#include <QTemporaryDir>
#include <cmath>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/exemplars/layer_activations.h"
#include "ce/core/graphs/attribution_graph.h"
#include "ce/core/graphs/cantor.h"
#include "ce/core/graphs/feature_file.h"
#include "ce/core/graphs/influence.h"
#include "ce/core/graphs/logit_effect.h"
#include "ce/core/model/model.h"
#include "engine/model_access.h"
#include "test_support.h"

using namespace ce::core;
using ce::test::error_of;

namespace {

const std::string kShipped = std::string(CE_SOURCE_DIR) + "/resources/exemplars/geo_mlp_act.cexi";

// Two neurons between the embeddings and the logit, on the 3-token prompt "<s> a b" of a 2-layer model:
// E@1 -> L0/N5@1 -> L1/N7@2 -> logit.
EdgeResult small_edges() {
  EdgeResult r;
  r.nodes.push_back({NodeRef{0, 1, 5}, -1.0f, 2.0f});
  r.nodes.push_back({NodeRef{1, 2, 7}, 0.5f, -0.5f});
  auto end = [](EdgeEnd::Kind kind, NodeRef n) {
    EdgeEnd e;
    e.kind = kind;
    e.node = n;
    return e;
  };
  r.edges.push_back({end(EdgeEnd::Kind::Embedding, NodeRef{0, 1, 0}), end(EdgeEnd::Kind::Neuron, NodeRef{0, 1, 5}),
                     0.5f, -0.5f});
  r.edges.push_back({end(EdgeEnd::Kind::Neuron, NodeRef{0, 1, 5}), end(EdgeEnd::Kind::Neuron, NodeRef{1, 2, 7}),
                     2.0f, 1.0f});
  r.edges.push_back({end(EdgeEnd::Kind::Neuron, NodeRef{1, 2, 7}), end(EdgeEnd::Kind::Logit, NodeRef{}), 0.3f, 0.8f});
  return r;
}

GraphExportOptions small_options() {
  GraphExportOptions o;
  o.scan = "geo";
  o.layers = 2;
  o.target_token = 99;
  o.target_text = " Austin";
  o.target_prob = 0.9984;
  o.generator_version = "test";
  o.pinned_ids = {"1_7_2", "E_40_1"};
  o.supernodes = {{"say Austin", {"0_5_1", "1_7_2"}}};
  o.clerps = {{"1_7_2", "Texas capital"}, {"0_5", "city"}};
  return o;
}

// A file as circuit-tracer writes it for a 26-layer transcoder scan: a feature, an MLP error node (its newer
// jsNodeId), two embeddings, the target logit at layer "27", and one feature type unknown here.
const char* kTracerFile =  // a plain literal: moc does not parse raw strings with quotes inside
    "{\n"
    "  \"metadata\": {\"slug\": \"dallas\", \"scan\": \"gemma-2-2b\", \"transcoder_list\": [],\n"
    "               \"prompt_tokens\": [\"<bos>\", \"Dallas\"], \"prompt\": \"Dallas\", \"node_threshold\": 0.8, \"schema_version\": 1},\n"
    "  \"qParams\": {\"pinnedIds\": [\"0_12_1\"], \"supernodes\": [[\"Texas\", \"0_12_1\", \"0_-1_1\"]], \"linkType\": \"both\",\n"
    "              \"clickedId\": \"\", \"sg_pos\": \"\"},\n"
    "  \"nodes\": [\n"
    "    {\"node_id\": \"0_12_1\", \"feature\": 90, \"layer\": \"0\", \"ctx_idx\": 1, \"feature_type\": \"cross layer transcoder\",\n"
    "     \"token_prob\": 0.0, \"is_target_logit\": false, \"run_idx\": 0, \"reverse_ctx_idx\": 0, \"jsNodeId\": \"0_12-0\",\n"
    "     \"clerp\": \"Texas\", \"influence\": 0.4, \"activation\": 3.5},\n"
    "    {\"node_id\": \"0_-1_1\", \"feature\": -1, \"layer\": \"0\", \"ctx_idx\": 1, \"feature_type\": \"mlp reconstruction error\",\n"
    "     \"jsNodeId\": \"0_-1-1\", \"influence\": 0.7, \"activation\": null},\n"
    "    {\"node_id\": \"E_651_0\", \"feature\": 0, \"layer\": \"E\", \"ctx_idx\": 0, \"feature_type\": \"embedding\",\n"
    "     \"jsNodeId\": \"E_651-0\", \"influence\": 0.9},\n"
    "    {\"node_id\": \"E_2_1\", \"feature\": 1, \"layer\": \"E\", \"ctx_idx\": 1, \"feature_type\": \"embedding\", \"influence\": 0.2},\n"
    "    {\"node_id\": \"3_8_1\", \"feature\": 38, \"layer\": \"3\", \"ctx_idx\": 1, \"feature_type\": \"lorsa\"},\n"
    "    {\"node_id\": \"27_9_1\", \"feature\": 9, \"layer\": \"27\", \"ctx_idx\": 1, \"feature_type\": \"logit\", \"token_prob\": 0.6,\n"
    "     \"is_target_logit\": true, \"jsNodeId\": \"L_9-1\", \"clerp\": \"Output \\\" Austin\\\" (p=0.600)\", \"influence\": null}\n"
    "  ],\n"
    "  \"links\": [\n"
    "    {\"source\": \"E_2_1\", \"target\": \"0_12_1\", \"weight\": 1.5},\n"
    "    {\"source\": \"0_12_1\", \"target\": \"27_9_1\", \"weight\": 2.0},\n"
    "    {\"source\": \"0_-1_1\", \"target\": \"27_9_1\", \"weight\": -0.25}\n"
    "  ]\n"
    "}";

// kTracerFile with its first `from` replaced by `to`.
std::string tracer_file_with(const std::string& from, const std::string& to) {
  std::string text = kTracerFile;
  text.replace(text.find(from), from.size(), to);
  return text;
}

}  // namespace

class TestGraphs : public QObject {
  Q_OBJECT

  QTemporaryDir tmp_;
  std::unique_ptr<Model> geo_;

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = tmp_.filePath(QString::fromStdString(name)).toStdString();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    LoadOptions o;
    o.threads = 1;
    geo_ = Model::open(default_model_dir(), o);
  }

  // circuit-tracer's cantor_pairing(x, y) = (x + y)(x + y + 1) / 2 + y, called with x = layer, y = feature index.
  void cantor() {
    QCOMPARE(cantor_pair(0, 0), uint64_t{0});
    QCOMPARE(cantor_pair(1, 0), uint64_t{1});   // s = 1: 1·2/2 + 0
    QCOMPARE(cantor_pair(0, 1), uint64_t{2});   // s = 1: 1 + 1
    QCOMPARE(cantor_pair(2, 0), uint64_t{3});
    QCOMPARE(cantor_pair(3, 701), uint64_t{248861});  // s = 704: 704·705/2 = 248160, + 701
    for (uint64_t l = 0; l < 40; ++l) {
      for (uint64_t i = 0; i < 300; i += 7) {
        QCOMPARE(cantor_unpair(cantor_pair(l, i)), (std::pair<uint64_t, uint64_t>{l, i}));
      }
    }
    for (uint64_t z : {uint64_t{0}, uint64_t{1} << 40, UINT64_MAX - 1, UINT64_MAX}) {
      const auto [l, i] = cantor_unpair(z);
      QCOMPARE(cantor_pair(l, i), z);
    }
    const uint64_t big = uint64_t{1} << 33;  // s = 2^34: s(s+1)/2 ≈ 2^67
    QCOMPARE(error_of([&] { cantor_pair(big, big); }),
             std::string("Cantor pairing of (8589934592, 8589934592) exceeds 64 bits"));
    QCOMPARE(error_of([] { cantor_pair(UINT64_MAX, 1); }),
             std::string("Cantor pairing of (18446744073709551615, 1) exceeds 64 bits"));
  }

  // The hand-made 4-node graph: E → a (2), E → b (−1), a → b (3), a → logit (1), b → logit (−3), logit p = 0.5.
  // Rows of |A| normalised: a = [E 1]; b = [E 1/4, a 3/4]; logit = [a 1/4, b 3/4].
  // w·Â   = [E 0,    a 1/8,  b 3/8, logit 0]      (w = 0.5 at the logit)
  // w·Â²  = [E 7/32, a 9/32, b 0,   logit 0]      (a: 3/8·3/4; E: 1/8·1 + 3/8·1/4)
  // w·Â³  = [E 9/32, 0, 0, 0], w·Â⁴ = 0.
  // Influence: E = 16/32 = 0.5, a = 13/32, b = 12/32, logit = 0; total 41/32, so the cumulative scores are
  // E 16/41, a 29/41, b 41/41, logit 1 (the running sum stays at the total).
  void influenceByHand() {
    DenseGraph g;
    g.n = 4;  // 0 E, 1 a, 2 b, 3 logit; adjacency[target * 4 + source]
    g.adjacency.assign(16, 0.0);
    g.adjacency[1 * 4 + 0] = 2;
    g.adjacency[2 * 4 + 0] = -1;
    g.adjacency[2 * 4 + 1] = 3;
    g.adjacency[3 * 4 + 1] = 1;
    g.adjacency[3 * 4 + 2] = -3;
    const std::vector<double> inf = node_influence(g, {0, 0, 0, 0.5});
    QCOMPARE(inf.size(), size_t{4});
    QVERIFY(std::abs(inf[0] - 0.5) < 1e-12);
    QVERIFY(std::abs(inf[1] - 13.0 / 32) < 1e-12);
    QVERIFY(std::abs(inf[2] - 12.0 / 32) < 1e-12);
    QCOMPARE(inf[3], 0.0);
    const std::vector<double> cum = cumulative_influence(inf);
    QVERIFY(std::abs(cum[0] - 16.0 / 41) < 1e-12);
    QVERIFY(std::abs(cum[1] - 29.0 / 41) < 1e-12);
    QVERIFY(std::abs(cum[2] - 1.0) < 1e-12);
    QVERIFY(std::abs(cum[3] - 1.0) < 1e-12);
    // The same through a graph's links (set_graph_influence): logit weights from token_prob.
    AttributionGraph ag;
    for (const char* id : {"E", "a", "b", "L"}) {
      GraphNode n;
      n.node_id = id;
      n.feature_type = id[0] == 'E' ? "embedding" : id[0] == 'L' ? "logit" : "cross layer transcoder";
      ag.nodes.push_back(n);
    }
    ag.nodes[3].token_prob = 0.5;
    ag.links = {{"E", "a", 2}, {"E", "b", -1}, {"a", "b", 3}, {"a", "L", 1}, {"b", "L", -3}};
    set_graph_influence(ag);
    QVERIFY(std::abs(*ag.nodes[1].influence - 29.0 / 41) < 1e-12);
    QVERIFY(!ag.nodes[3].influence);
    // A cycle never reaches a zero term.
    DenseGraph cyc;
    cyc.n = 2;
    cyc.adjacency = {0, 1, 1, 0};
    QCOMPARE(error_of([&] { node_influence(cyc, {1, 0}); }),
             std::string("influence: the graph has a cycle (no convergence after 2 terms)"));
  }

  void exportFromEdges() {
    const AttributionGraph g =
        graph_from_edges(small_edges(), {1, 40, 41}, {"<s>", " a", " b"}, "a b", small_options());
    QCOMPARE(g.nodes.size(), size_t{6});  // 2 neurons, 3 embeddings, 1 logit
    const GraphNode& a = g.nodes[0];
    QCOMPARE(a.node_id, std::string("0_5_1"));
    QCOMPARE(a.feature, int64_t{20});  // (0 + 5)(6)/2 + 5
    QCOMPARE(a.layer, std::string("0"));
    QCOMPARE(a.js_node_id, std::string("0_5-0"));
    QCOMPARE(a.clerp, std::string("city"));  // by neuron, every position
    QCOMPARE(*a.activation, 2.0);
    QCOMPARE(g.nodes[1].feature, int64_t{43});  // (1 + 7)(9)/2 + 7
    QCOMPARE(g.nodes[1].clerp, std::string("Texas capital"));
    QCOMPARE(g.nodes[3].node_id, std::string("E_40_1"));
    QCOMPARE(g.nodes[3].layer, std::string("E"));
    const GraphNode& logit = g.nodes[5];
    QCOMPARE(logit.node_id, std::string("3_99_2"));
    QCOMPARE(logit.layer, std::string("3"));
    QCOMPARE(logit.clerp, std::string("Output \" Austin\" (p=0.998)"));
    QVERIFY(logit.is_target_logit);
    QVERIFY(!logit.influence);
    // Contributions: 0.5 × act(L0/N5) = 1; 2 × act(L1/N7) = −1; into the logit, the score 0.8.
    QCOMPARE(g.links.size(), size_t{3});
    QCOMPARE(g.links[0].source, std::string("E_40_1"));
    QCOMPARE(g.links[0].weight, 1.0);
    QCOMPARE(g.links[1].weight, -1.0);
    QCOMPARE(g.links[2].target, std::string("3_99_2"));
    QVERIFY(std::abs(g.links[2].weight - 0.8) < 1e-7);
    // One chain, equal influence p for E_40_1, both neurons: ranked in node order, 1/3, 2/3, 1.
    QVERIFY(std::abs(*g.nodes[0].influence - 1.0 / 3) < 1e-12);
    QVERIFY(std::abs(*g.nodes[1].influence - 2.0 / 3) < 1e-12);
    QVERIFY(std::abs(*g.nodes[3].influence - 1.0) < 1e-12);

    QCOMPARE(error_of([] { graph_from_edges(small_edges(), {1, 40}, {"<s>"}, "", small_options()); }),
             std::string("graph export: 2 token ids and 1 token texts (need the same, at least one)"));
    EdgeResult outside = small_edges();
    outside.nodes[1].node.pos = 3;
    QCOMPARE(error_of([&] { graph_from_edges(outside, {1, 40, 41}, {"a", "b", "c"}, "", small_options()); }),
             std::string("graph export: neuron L1/N7@3 lies outside the prompt or the model"));
  }

  // The same chain on transcoder features, with L0's error node (index d_sae) in place of the first feature: an
  // "mlp reconstruction error" node without activation whose id no feature can take, and its link.
  void exportFeatureGraph() {
    EdgeResult r = small_edges();
    r.basis = Basis::Features;
    r.dictionaries =
        DictionarySet::load(default_model_dir() + "/dictionaries/transcoder_4x", geo_->config());
    const int err = r.dictionaries->error_index();
    QCOMPARE(err, 1024);
    r.nodes[0].node.index = err;
    r.edges[0].dst.node.index = err;
    r.edges[1].src.node.index = err;
    const AttributionGraph g = graph_from_edges(r, {1, 40, 41}, {"<s>", " a", " b"}, "a b", small_options());
    QCOMPARE(g.metadata.transcoder_list, std::vector<std::string>{r.dictionaries->path()});
    const GraphNode& e = g.nodes[0];
    QCOMPARE(e.node_id, std::string("0_-1_1"));
    QCOMPARE(e.feature, int64_t{-1});
    QCOMPARE(e.feature_type, std::string("mlp reconstruction error"));
    QVERIFY(graph_node_kind(e.feature_type) == GraphNodeKind::Error);
    QCOMPARE(e.js_node_id, e.node_id);
    QVERIFY(!e.activation);
    QCOMPARE(g.nodes[1].node_id, std::string("1_7_2"));
    // The one id rule the explorer's pins and groups use too.
    QCOMPARE(graph_node_id(r.nodes[0].node, err), e.node_id);
    QCOMPARE(graph_node_id(r.nodes[1].node, err), g.nodes[1].node_id);
    QCOMPARE(graph_node_id(NodeRef{2, 4, 1024}, -1), std::string("2_1024_4"));  // no error node: an index as any
    QCOMPARE(g.nodes[1].feature_type, std::string("cross layer transcoder"));
    QCOMPARE(g.links[0].target, std::string("0_-1_1"));
    QCOMPARE(g.links[1].source, std::string("0_-1_1"));
    QCOMPARE(g.links[1].weight, -1.0);  // 2 × act(L1/F7) = 2 × −0.5
    const AttributionGraph back = read_graph_json(write("features.json", write_graph_json(g)));
    QCOMPARE(back.nodes[0].node_id, e.node_id);
    QCOMPARE(back.nodes[0].feature_type, e.feature_type);
    QCOMPARE(write_graph_json(back), write_graph_json(g));
  }

  void roundTrip() {
    const AttributionGraph g =
        graph_from_edges(small_edges(), {1, 40, 41}, {"<s>", " a", " b"}, "a b", small_options());
    const std::string path = write("round.json", write_graph_json(g));
    const AttributionGraph r = read_graph_json(path);
    QCOMPARE(r.metadata.slug, g.metadata.slug);
    QCOMPARE(r.metadata.scan, std::string("geo"));
    QCOMPARE(r.metadata.prompt_tokens, g.metadata.prompt_tokens);
    QCOMPARE(r.metadata.prompt, std::string("a b"));
    QCOMPARE(r.metadata.schema_version, 1);
    QCOMPARE(r.metadata.generator_name, std::string("circuit-explorer"));
    QCOMPARE(r.metadata.generator_version, std::string("test"));
    QCOMPARE(*r.metadata.node_threshold, 0.8);
    QCOMPARE(r.qparams.pinned_ids, g.qparams.pinned_ids);
    QCOMPARE(r.qparams.supernodes.size(), size_t{1});
    QCOMPARE(r.qparams.supernodes[0].label, std::string("say Austin"));
    QCOMPARE(r.qparams.supernodes[0].node_ids, g.qparams.supernodes[0].node_ids);
    QCOMPARE(r.qparams.link_type, std::string("both"));
    QCOMPARE(r.nodes.size(), g.nodes.size());
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const GraphNode &x = g.nodes[i], &y = r.nodes[i];
      QCOMPARE(y.node_id, x.node_id);
      QCOMPARE(y.feature, x.feature);
      QCOMPARE(y.layer, x.layer);
      QCOMPARE(y.ctx_idx, x.ctx_idx);
      QCOMPARE(y.feature_type, x.feature_type);
      QCOMPARE(y.js_node_id, x.js_node_id);
      QCOMPARE(y.clerp, x.clerp);
      QCOMPARE(y.influence, x.influence);  // doubles print round-trip exact
      QCOMPARE(y.activation, x.activation);
      QCOMPARE(y.token_prob, x.token_prob);
      QCOMPARE(y.is_target_logit, x.is_target_logit);
    }
    QCOMPARE(r.links.size(), g.links.size());
    for (size_t i = 0; i < g.links.size(); ++i) {
      QCOMPARE(r.links[i].source, g.links[i].source);
      QCOMPARE(r.links[i].target, g.links[i].target);
      QCOMPARE(r.links[i].weight, g.links[i].weight);
    }
    // Written again, byte for byte the same.
    QCOMPARE(write_graph_json(r), write_graph_json(g));
  }

  void circuitTracerFile() {
    const AttributionGraph g = read_graph_json(write("tracer.json", kTracerFile));
    QCOMPARE(g.nodes.size(), size_t{6});
    QCOMPARE(g.metadata.scan, std::string("gemma-2-2b"));
    QCOMPARE(graph_node_kind(g.nodes[0].feature_type), GraphNodeKind::Neuron);
    QCOMPARE(graph_node_kind(g.nodes[1].feature_type), GraphNodeKind::Error);
    QCOMPARE(g.nodes[1].feature, int64_t{-1});
    QCOMPARE(g.nodes[1].js_node_id, std::string("0_-1-1"));
    QVERIFY(!g.nodes[1].activation);
    QCOMPARE(graph_node_kind(g.nodes[2].feature_type), GraphNodeKind::Embedding);
    QCOMPARE(g.nodes[3].js_node_id, std::string("E_2_1"));  // absent: node_id, as circuit-tracer's model does
    QCOMPARE(graph_node_kind(g.nodes[4].feature_type), GraphNodeKind::Other);
    QCOMPARE(graph_node_kind(g.nodes[5].feature_type), GraphNodeKind::Logit);
    QCOMPARE(g.nodes[5].clerp, std::string("Output \" Austin\" (p=0.600)"));
    QCOMPARE(*g.nodes[0].influence, 0.4);
    QVERIFY(!g.nodes[5].influence);
    QCOMPARE(g.qparams.supernodes[0].node_ids, (std::vector<std::string>{"0_12_1", "0_-1_1"}));
    QCOMPARE(g.links[2].weight, -0.25);
  }

  void badFiles() {
    const std::string not_json = write("not.json", "nodes: []");
    QCOMPARE(error_of([&] { read_graph_json(not_json); }),
             not_json + ": not valid JSON (parse error at line 1, column 2: syntax error while parsing value - "
                        "invalid literal; last read: 'no')");
    const std::string v2_path = write("v2.json", tracer_file_with("\"schema_version\": 1", "\"schema_version\": 2"));
    QCOMPARE(error_of([&] { read_graph_json(v2_path); }),
             v2_path + ": metadata.schema_version: version 2 is not supported (only 1)");
    const std::string unknown_path =
        write("unknown.json", tracer_file_with("\"target\": \"27_9_1\", \"weight\": 2.0", "\"target\": \"0_9_9\", \"weight\": 2.0"));
    QCOMPARE(error_of([&] { read_graph_json(unknown_path); }),
             unknown_path + ": links[1].target: unknown node \"0_9_9\"");
    const std::string no_id_path = write("noid.json", tracer_file_with("\"node_id\": \"E_651_0\", ", ""));
    QCOMPARE(error_of([&] { read_graph_json(no_id_path); }), no_id_path + ": nodes[2]: missing \"node_id\"");
    const std::string dup_path = write("dup.json", tracer_file_with("\"node_id\": \"E_2_1\"", "\"node_id\": \"E_651_0\""));
    QCOMPARE(error_of([&] { read_graph_json(dup_path); }),
             dup_path + ": nodes[3].node_id: duplicate node \"E_651_0\"");
    const std::string bad_layer_path = write("layer.json", tracer_file_with("\"layer\": \"E\"", "\"layer\": null"));
    QCOMPARE(error_of([&] { read_graph_json(bad_layer_path); }),
             bad_layer_path + ": nodes[2].layer: expected a string, found null");
    QCOMPARE(error_of([&] { parse_graph_json("{\"metadata\": {}}", "g.json"); }),
             std::string("g.json: metadata: missing \"slug\""));
  }

  // Independent of neuron_logit_effect's torch path: the product summed in double, element by element.
  void logitEffect() {
    const int layer = 3, neuron = 701, k = 5;
    const LogitEffect e = neuron_logit_effect(*geo_, layer, neuron, k);
    QCOMPARE(e.top.size(), size_t{k});
    QCOMPARE(e.bottom.size(), size_t{k});
    const LlamaModel& engine = engine_of(*geo_);
    const torch::Tensor down = engine.layer(layer).w_down.to(torch::kFloat32).contiguous();  // [d, m]
    const torch::Tensor norm = engine.final_norm().to(torch::kFloat32).contiguous();         // [d]
    const torch::Tensor head = engine.lm_head().to(torch::kFloat32).contiguous();            // [vocab, d]
    const int64_t d = down.size(0), m = down.size(1), vocab = head.size(0);
    const float *pd = down.data_ptr<float>(), *pn = norm.data_ptr<float>(), *ph = head.data_ptr<float>();
    std::vector<std::pair<double, int>> values;
    for (int64_t v = 0; v < vocab; ++v) {
      double s = 0;
      for (int64_t i = 0; i < d; ++i) s += double(ph[v * d + i]) * pn[i] * pd[i * m + neuron];
      values.push_back({s, static_cast<int>(v)});
    }
    std::vector<std::pair<double, int>> desc = values, asc = values;
    std::stable_sort(desc.begin(), desc.end(), [](auto& a, auto& b) { return a.first > b.first; });
    std::stable_sort(asc.begin(), asc.end(), [](auto& a, auto& b) { return a.first < b.first; });
    for (int i = 0; i < k; ++i) {
      QCOMPARE(e.top[static_cast<size_t>(i)].id, desc[static_cast<size_t>(i)].second);
      QVERIFY(std::abs(e.top[static_cast<size_t>(i)].value - desc[static_cast<size_t>(i)].first) < 1e-4);
      QCOMPARE(e.top[static_cast<size_t>(i)].text, geo_->token_text(desc[static_cast<size_t>(i)].second));
      QCOMPARE(e.bottom[static_cast<size_t>(i)].id, asc[static_cast<size_t>(i)].second);
      QVERIFY(std::abs(e.bottom[static_cast<size_t>(i)].value - asc[static_cast<size_t>(i)].first) < 1e-4);
    }
    qInfo("L3/N701 promotes \"%s\" (%.3f), suppresses \"%s\" (%.3f)", e.top[0].text.c_str(), e.top[0].value,
          e.bottom[0].text.c_str(), e.bottom[0].value);
    QCOMPARE(error_of([&] { neuron_logit_effect(*geo_, 99, 0, 5); }),
             std::string("logit effect: layer 99 out of range (0..3)"));
    QCOMPARE(error_of([&] { neuron_logit_effect(*geo_, 0, -1, 5); }),
             "logit effect: neuron -1 out of range (0.." + std::to_string(m - 1) + ")");
  }

  void featureFile() {
    const auto index = ExemplarIndex::open(kShipped);
    const nlohmann::json j = nlohmann::json::parse(feature_json(*geo_, *index, 3, 701, {3, 4}));
    QCOMPARE(j["index"].get<uint64_t>(), cantor_pair(3, 701));
    QCOMPARE(j["examples_quantiles"].size(), size_t{2});
    QCOMPARE(j["examples_quantiles"][0]["quantile_name"].get<std::string>(), std::string("Top activations"));
    QCOMPARE(j["top_logits"].size(), size_t{4});
    QCOMPARE(j["top_logits"][0].get<std::string>(), neuron_logit_effect(*geo_, 3, 701, 1).top[0].text);
    const std::vector<Exemplar> best = index->exemplars(3, 701, Polarity::Positive, 3);
    const nlohmann::json& ex = j["examples_quantiles"][0]["examples"];
    QCOMPARE(ex.size(), best.size());
    for (size_t i = 0; i < best.size(); ++i) {
      QCOMPARE(ex[i]["tokens"].size(), best[i].tokens.size());
      QCOMPARE(ex[i]["tokens_acts_list"].size(), best[i].tokens.size());
      const int at = ex[i]["train_token_ind"].get<int>();
      QCOMPARE(at, best[i].position);
      QCOMPARE(ex[i]["tokens"][static_cast<size_t>(at)].get<std::string>(),
               geo_->token_text(best[i].tokens[static_cast<size_t>(at)]));
      // The recomputed activation at the peak is the one the index stored.
      QVERIFY(std::abs(ex[i]["tokens_acts_list"][static_cast<size_t>(at)].get<double>() - best[i].activation) < 1e-3);
      QCOMPARE(ex[i]["is_repeated_datapoint"].get<bool>(), false);
    }
    QVERIFY(std::abs(j["act_max"].get<double>() - best[0].activation) < 1e-3);
    QVERIFY(j["act_min"].get<double>() < 0);  // the bottom examples are negative
  }
};

QTEST_GUILESS_MAIN(TestGraphs)
#include "test_graphs.moc"
