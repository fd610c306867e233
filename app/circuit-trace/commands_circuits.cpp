// Circuits: node attribution, circuit evaluation, edges between neurons, and steering by neurons.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/attribution_example.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/circuits/edge_attribution.h"
#include "ce/core/circuits/intervention.h"
#include "ce/core/circuits/specific_neurons.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/model/continuation.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/graphs/attribution_graph.h"
#include "ce/core/graphs/cantor.h"
#include "ce/core/graphs/feature_file.h"
#include "ce/core/graphs/model_graph.h"
#include "ce/core/model/model.h"
#include "ce/core/prompt_sets/hypothesis.h"
#include "ce/core/prompt_sets/set_trace.h"
#include "ce/core/tokenizer/tokenizer.h"
#include "cli_support.h"
#include "commands.h"

namespace ce::trace {

using ce::core::Error;

namespace {

// The examples of attribute and evaluate: a paired data file, or one typed prompt (load_examples reads them).
std::vector<Option> example_options(const std::string& data_placeholder, const std::string& data_help) {
  return {value("data", data_placeholder, data_help),
          value("limit", "N", "use the first N usable examples of --data, 0 = all", "0"),
          value("text", "T", "one typed prompt instead of --data"),
          value("answer", "A", "with --text: the answer token whose metric is traced"),
          value("contrast", "B", "with --text: the contrast token (metric diff = logit(A) - logit(B))"),
          value("patch-text", "P", "with --text: the baseline prompt (default: activations of 0)"),
          flag("chat", "wrap --text as a user message in the model's chat format")};
}

std::string rules_help() {
  return "RelP backward rules: all, none, or a comma list of norm, gate, half, attn, each may be prefixed by "
         "- "
         "to drop it from all (default all)";
}

std::vector<Option> attribution_option_list() {
  const ce::core::AttributionOptions d;
  return {
      value("method", "atp|ig|relp|exact", "attribution method", ce::core::method_name(d.method)),
      value("basis", "mlp_act|mlp_out|attn|resid|sae:PATH",
            "the nodes: MLP neurons, MLP output, attention, residual, or the features of the dictionaries in "
            "PATH (one dictionary folder or a folder of them; or NAME under the model's dictionaries/) with "
            "one error node per layer and position",
            ce::core::basis_name(d.basis)),
      value("metric", "diff|logit|topk", "the metric at the last position", ce::core::metric_name(d.metric)),
      value("rules", "RULES", rules_help() + "; relp only"),
      value("ig-steps", "S", "ig: interpolation steps, 1..1000", std::to_string(d.ig_steps)),
      value("batch", "B", "examples per forward pass", std::to_string(d.batch))};
}

struct LoadedData {
  std::vector<ce::core::AttributionExample> examples;
  json summary;
};

LoadedData load_examples(const Args& a, const ce::core::Model& model) {
  LoadedData d;
  const int limit = a.declares("limit") ? a.get_int("limit") : 0;
  if (limit < 0) throw Error("--limit must be >= 0");
  if (a.has("data")) {
    if (a.has("text")) throw Error("give either --data or --text, not both");
    if (a.flag("chat")) throw Error("--chat applies to --text only (data files hold plain prompts)");
    auto ds = ce::core::load_paired_dataset(a.get("data"), model.tokenizer(), static_cast<size_t>(limit));
    d.summary = {{"file", a.get("data")},
                 {"lines", ds.lines},
                 {"used", ds.examples.size()},
                 {"dropped_multi_token", ds.multi_token},
                 {"dropped_unequal_length", ds.unequal_length},
                 {"dropped_same_answer", ds.same_answer}};
    d.examples = std::move(ds.examples);
    return d;
  }
  const std::string text = a.get("text");
  const auto format = a.flag("chat") ? ce::core::PromptFormat::Chat : ce::core::PromptFormat::Plain;
  d.examples.push_back(ce::core::make_example(model.tokenizer(), text, a.get_or("answer", ""),
                                              a.get_or("contrast", ""), a.get_or("patch-text", ""), format));
  d.summary = {{"text", text},
               {"ids", d.examples[0].clean},
               {"pieces", pieces_json(model.tokenizer(), d.examples[0].clean)}};
  return d;
}

ce::core::AttributionOptions attribution_options(const Args& a, const ce::core::Model& model) {
  ce::core::AttributionOptions o;
  o.method = ce::core::parse_method(a.get("method"));
  const BasisArg basis = basis_arg(a, model);
  o.basis = basis.basis;
  o.dictionaries = basis.dictionaries;
  o.metric = ce::core::parse_metric(a.get("metric"));
  if (a.has("rules")) {
    if (o.method != ce::core::Method::RelP) throw Error("--rules applies to --method relp only");
    o.rules = ce::core::RelpRules::parse(a.get("rules"));
  }
  o.ig_steps = a.get_int("ig-steps");
  if (o.ig_steps < 1 || o.ig_steps > 1000) throw Error("--ig-steps must be in 1..1000");
  o.batch = a.get_int("batch");
  if (o.batch < 1) throw Error("--batch must be >= 1");
  return o;
}

// Adds what a feature basis was made of to a command's output (nothing for the other bases).
void add_dictionaries(json& out, const ce::core::AttributionOptions& o) {
  if (!o.dictionaries) return;
  out["dictionaries"] = {{"path", o.dictionaries->path()},
                         {"describe", o.dictionaries->describe()},
                         {"layers", o.dictionaries->layers()},
                         {"d_sae", o.dictionaries->d_sae()},
                         {"error_node_index", o.dictionaries->error_index()}};
}

// Exact patching needs a node list: all nodes, or the top N candidates of a first AtP pass.
void exact_candidates(const Args& a, const ce::core::Model& model,
                      const std::vector<ce::core::AttributionExample>& ex, ce::core::AttributionOptions& o,
                      const ce::core::JobControl& control) {
  if (o.method != ce::core::Method::Exact || !a.has("top-candidates")) return;
  const int n = a.get_int("top-candidates");
  if (n < 1) throw Error("--top-candidates must be >= 1");
  ce::core::AttributionOptions pre = o;
  pre.method = ce::core::Method::AtP;
  for (const auto& ne : ce::core::top_nodes(ce::core::attribute(model, ex, pre, control), n)) {
    o.exact_nodes.push_back(ne.node);
  }
}

void attribute(const Args& a) {
  auto model = open_model(a);
  const LoadedData d = load_examples(a, *model);
  ce::core::AttributionOptions o = attribution_options(a, *model);
  const int top = a.get_int("top");
  const InterruptCancels interrupt(a.flag("progress"));
  const auto t0 = std::chrono::steady_clock::now();
  exact_candidates(a, *model, d.examples, o, interrupt.control());
  const ce::core::AttributionResult r = ce::core::attribute(*model, d.examples, o, interrupt.control());
  const double secs = seconds_since(t0);
  json nodes = json::array();
  for (const auto& n : ce::core::top_nodes(r, top)) {
    nodes.push_back({{"layer", n.node.layer},
                     {"pos", n.node.pos},
                     {"index", n.node.index},
                     {"effect", n.effect},
                     {"activation", n.activation}});
  }
  json out = {{"method", ce::core::method_name(o.method)},
              {"basis", ce::core::basis_name(o.basis)},
              {"metric", ce::core::metric_name(o.metric)},
              {"examples", r.examples},
              {"m", r.m},
              {"data", d.summary},
              {"seconds", secs},
              {"nodes", nodes}};
  if (o.method == ce::core::Method::RelP) out["rules"] = o.rules.to_string();
  if (o.method == ce::core::Method::IG) out["ig_steps"] = o.ig_steps;
  add_dictionaries(out, o);
  print(out);
}

void evaluate(const Args& a) {
  auto model = open_model(a);
  const LoadedData train = load_examples(a, *model);
  const int test_limit = a.get_int("test-limit");
  if (test_limit < 0) throw Error("--test-limit must be >= 0");
  const auto test =
      ce::core::load_paired_dataset(a.get("test"), model->tokenizer(), static_cast<size_t>(test_limit));
  ce::core::AttributionOptions o = attribution_options(a, *model);
  if (o.method == ce::core::Method::Exact)
    throw Error("evaluate: use atp, ig or relp (exact is for validation)");
  const auto ablation = ce::core::parse_ablation(a.get("ablation"));
  const InterruptCancels interrupt(a.flag("progress"));
  const ce::core::JobControl& control = interrupt.control();
  const auto t0 = std::chrono::steady_clock::now();
  const ce::core::AttributionResult effects =
      ce::core::attribute(*model, train.examples, o, control.sub(0, 0.5));
  const double attribution_seconds = seconds_since(t0);
  const ce::core::CircuitEvaluator ev(*model, test.examples, o.basis, o.dictionaries, ablation,
                                      control.sub(0.5, 0.55));
  std::vector<int> counts;
  if (a.has("counts")) counts = parse_int_list(a.get("counts"), "--counts");
  const auto curve = ev.curve(effects, ce::core::default_thresholds(), counts, control.sub(0.55, 1));
  json points = json::array();
  for (const auto& p : curve.points) {
    json j = {{"nodes", p.nodes}, {"faithfulness", p.faithfulness}, {"completeness", p.completeness}};
    if (p.threshold >= 0) j["threshold"] = p.threshold;
    points.push_back(j);
  }
  const double total = seconds_since(t0);
  if (a.has("csv")) {
    const std::string path = a.get("csv");
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << ce::core::curves_csv({{o.method, o.basis, ablation, &curve, o.dictionaries ? o.dictionaries->name() : ""}});
    f.close();
    if (!f) throw Error(path + ": cannot write the CSV file");
  }
  json out = {{"method", ce::core::method_name(o.method)},
              {"basis", ce::core::basis_name(o.basis)},
              {"ablation", ce::core::ablation_name(ablation)},
              {"train", train.summary},
              {"test", {{"file", a.get("test")}, {"used", test.examples.size()}}},
              {"m_full", curve.m_full},
              {"m_empty", curve.m_empty},
              {"attribution_seconds", attribution_seconds},
              {"seconds", total},
              {"points", points}};
  add_dictionaries(out, o);
  print(out);
}

void write_graph_files(const Args& a, const ce::core::Model& model, const ce::core::AttributionExample& e,
                       ce::core::EdgeResult r, const std::vector<ce::core::Edge>& edges);

void edges(const Args& a) {
  auto model = open_model(a);
  const LoadedData d = load_examples(a, *model);
  ce::core::EdgeOptions o;
  const BasisArg basis = basis_arg(a, *model);
  o.basis = basis.basis;
  o.dictionaries = basis.dictionaries;
  if (o.dictionaries && a.has("feature-dir")) {
    throw Error("--feature-dir writes neuron feature files (mlp_act); a feature graph's exemplars are shown by "
                "`neuron --basis sae:...`");
  }
  o.top_nodes = a.get_int("top-nodes");
  if (a.has("rules")) o.rules = ce::core::RelpRules::parse(a.get("rules"));
  o.metric = ce::core::parse_metric(a.get("metric"));
  const InterruptCancels interrupt(a.flag("progress"));
  const auto t0 = std::chrono::steady_clock::now();
  const ce::core::EdgeResult r = ce::core::compute_edges(*model, d.examples.at(0), o, interrupt.control());
  std::vector<ce::core::Edge> edges = r.edges;
  if (a.has("percent")) edges = ce::core::prune_edges(edges, a.get_double("percent"));
  json nodes = json::array();
  for (const auto& n : r.nodes) {
    nodes.push_back({{"name", ce::core::node_name(o.basis, n.node.layer, n.node.index, n.node.pos)},
                     {"layer", n.node.layer},
                     {"pos", n.node.pos},
                     {"index", n.node.index},
                     {"effect", n.effect},
                     {"activation", n.activation}});
  }
  json ej = json::array();
  for (const auto& e : edges) {
    ej.push_back({{"src", e.src.name()}, {"dst", e.dst.name()}, {"weight", e.weight}, {"score", e.score}});
  }
  json out = {{"m", r.m},          {"rules", o.rules.to_string()},
              {"data", d.summary}, {"seconds", seconds_since(t0)},
              {"nodes", nodes},    {"edges", ej}, {"basis", ce::core::basis_name(o.basis)}};
  if (a.flag("curve")) {
    json curve = json::array();
    for (const auto& p :
         ce::core::edge_curve(*model, d.examples.at(0), r, {1, 2, 5, 10, 20, 50, 100}, interrupt.control())) {
      curve.push_back(
          {{"percent", p.percent}, {"edges", p.edges}, {"nodes", p.nodes}, {"faithfulness", p.faithfulness}});
    }
    out["curve"] = curve;
  }
  if (a.has("graph-json")) {
    write_graph_files(a, *model, d.examples.at(0), r, edges);
  } else if (a.has("feature-dir")) {
    throw Error("--feature-dir goes with --graph-json");
  }
  print(out);
}

// --graph-json: the edges as circuit-tracer's graph file, the answer (or, for topk, the top token) as its target
// logit; --feature-dir: one feature file per neuron of the graph, from the model's exemplar index.
void write_graph_files(const Args& a, const ce::core::Model& model, const ce::core::AttributionExample& e,
                       ce::core::EdgeResult r, const std::vector<ce::core::Edge>& edges) {
  r.edges = edges;
  ce::core::GraphExportOptions o;
  ce::core::set_model_graph_options(model, e, o);
  o.generator_version = CE_VERSION;
  const std::vector<std::string> texts = ce::core::prompt_token_texts(model, e);
  const std::string path = a.get("graph-json");
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << ce::core::write_graph_json(ce::core::graph_from_edges(r, e.clean, texts, a.get("text"), o));
  f.close();
  if (!f) throw Error(path + ": cannot write the graph file");
  if (!a.has("feature-dir")) return;
  const std::string dir = a.get("feature-dir");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(dir + ": cannot create the folder: " + ec.message());
  const auto index = ce::core::find_exemplar_index(model, ce::core::Basis::MlpAct);
  if (!index) throw Error("--feature-dir: the model has no exemplar index for mlp_act (build one with exemplars)");
  std::set<std::pair<int, int>> done;
  for (const auto& n : r.nodes) {
    if (!done.insert({n.node.layer, n.node.index}).second) continue;
    const std::string text = ce::core::feature_json(model, *index, n.node.layer, n.node.index);
    const std::string file = dir + "/" + std::to_string(ce::core::cantor_pair(n.node.layer, n.node.index)) + ".json";
    std::ofstream ff(file, std::ios::binary | std::ios::trunc);
    ff << text;
    ff.close();
    if (!ff) throw Error(file + ": cannot write the feature file");
  }
}

json top_json(const ce::core::Model& model, const std::vector<float>& logits, int k) {
  json top = json::array();
  for (const auto& t : model.top_k(logits, k)) {
    top.push_back({{"id", t.id}, {"text", t.text}, {"logit", t.logit}, {"prob", t.prob}});
  }
  return top;
}

void steer(const Args& a) {
  auto model = open_model(a);
  const std::vector<int> ids = prompt_ids(a, model->tokenizer(), model->tokenizer().default_add_bos());
  const BasisArg basis = basis_arg(a, *model);
  std::vector<ce::core::Intervention> ivs;
  for (const std::string& s : a.get_all("scale")) {
    ivs.push_back(ce::core::Intervention::parse(s, basis.basis));
    ivs.back().dictionaries = basis.dictionaries;
  }
  if (ivs.empty()) throw Error("give at least one --scale L/N=F");
  ce::core::validate_interventions(*model, ivs);
  const int n = a.get_int("max-new-tokens");
  if (n < 0 || n > 10000) throw Error("--max-new-tokens must be in 0..10000");
  const int k = a.get_int("top");
  const std::vector<float> before = model->next_logits(ids);
  const std::vector<float> after = ce::core::next_logits_with(*model, ids, ivs);
  const std::vector<int> gen_before = model->generate(ids, n);
  const std::vector<int> gen = ce::core::generate_with(*model, ids, n, ivs);
  print({{"ids", ids},
         {"interventions", a.get_all("scale")},
         {"before",
          {{"top", top_json(*model, before, k)},
           {"generated", ce::core::continuation_text(*model, gen_before)}}},
         {"after", {{"top", top_json(*model, after, k)}}},
         {"generated", ce::core::continuation_text(*model, gen)}});
}

// The Texas experiment over many state pairs: for each paired prompt (city A -> capital A, city B -> capital
// B) trace both prompts, take the neurons among A's top K but not B's ("A-specific") and the reverse, scale
// the A-specific ones by --suppress and the B-specific ones by --boost on prompt A (at every position), and
// count how often the top-1 answer flips to capital B.
void steer_pairs(const Args& a) {
  auto model = open_model(a);
  const std::string path = a.get_or("data", ce::core::default_datasets_dir() + "/capitals_paired.jsonl");
  const int limit = a.get_int("limit");
  if (limit < 0) throw Error("--limit must be >= 0");
  ce::core::PairedDataset data;
  if (a.has("text")) {
    // One pair typed in; unlike attribution, steering by neuron needs no equal lengths (Dallas vs Los
    // Angeles).
    ce::core::AttributionExample ex =
        ce::core::make_example(model->tokenizer(), a.get("text"), a.get("answer"), a.get("contrast"));
    ex.patch = model->encode(a.get("patch-text"));
    data.examples.push_back(ex);
  } else {
    data = ce::core::load_paired_dataset(path, model->tokenizer(), static_cast<size_t>(limit));
  }
  const int top = a.get_int("top");
  if (top < 1) throw Error("--top must be >= 1");
  const double suppress = a.get_double("suppress"), boost = a.get_double("boost");
  ce::core::AttributionOptions o;
  o.method = ce::core::parse_method(a.get("method"));
  if (o.method == ce::core::Method::Exact) throw Error("steer-pairs: use atp, ig or relp");
  // With a traced prompt set, each prompt's group is its label value's high-AUC neurons (hypothesis) instead
  // of the pair's own top-K difference.
  std::unique_ptr<ce::core::SetTrace> trace;
  const std::string column = a.get("column");
  const double auc = a.get_double("auc");
  if (!(auc >= 0.5 && auc <= 1)) throw Error("--auc must be in [0.5, 1]");
  std::map<std::string, std::vector<std::pair<int, int>>> groups;
  if (a.has("profiles")) trace = std::make_unique<ce::core::SetTrace>(ce::core::load_set_trace(a.get("profiles")));
  auto state_group = [&](const std::string& value) {
    auto it = groups.find(value);
    if (it == groups.end()) it = groups.emplace(value, ce::core::value_neurons(*trace, column, value, auc)).first;
    return it->second;
  };
  const InterruptCancels interrupt(a.flag("progress"));
  const ce::core::JobControl& control = interrupt.control();
  int flipped = 0, correct_before = 0;
  json examples = json::array();
  for (const auto& e : data.examples) {
    control.check();
    ce::core::AttributionExample other;  // prompt B, traced for its own answer against A's
    other.clean = e.patch;
    other.answer = e.contrast;
    other.contrast = e.answer;
    ce::core::SpecificNeurons sn;
    if (trace) {
      sn.mine = state_group(ce::core::label_of(*trace, e.clean, column));
      sn.theirs = state_group(ce::core::label_of(*trace, e.patch, column));
    } else {
      sn = ce::core::specific_neurons(*model, e, other, top, o, control);
    }
    std::vector<ce::core::Intervention> ivs;
    auto scale = [&ivs](const std::vector<std::pair<int, int>>& neurons, double factor) {
      for (const auto& [l, i] : neurons) {
        ce::core::Intervention iv;
        iv.layer = l;
        iv.index = i;
        iv.factor = factor;
        ivs.push_back(iv);
      }
    };
    scale(sn.mine, suppress);
    scale(sn.theirs, boost);
    const int a_only = static_cast<int>(sn.mine.size()), b_only = static_cast<int>(sn.theirs.size());
    const std::vector<float> before = model->next_logits(e.clean);
    const std::vector<float> after = ce::core::next_logits_with(*model, e.clean, ivs);
    const int top_before = model->top_k(before, 1)[0].id, top_after = model->top_k(after, 1)[0].id;
    const bool flip = top_after == e.contrast;
    flipped += flip;
    correct_before += top_before == e.answer;
    auto text = [&](const std::vector<int>& ids) {  // without the BOS, which decode would render as "<s>"
      const bool bos = !ids.empty() && ids[0] == model->tokenizer().bos_id();
      return model->tokenizer().decode(std::vector<int>(ids.begin() + (bos ? 1 : 0), ids.end()));
    };
    examples.push_back({{"prompt", text(e.clean)},
                        {"patch", text(e.patch)},
                        {"before", model->token_text(top_before)},
                        {"after", model->token_text(top_after)},
                        {"target", model->token_text(e.contrast)},
                        {"suppressed", a_only},
                        {"boosted", b_only},
                        {"flipped", flip}});
  }
  const size_t n = data.examples.size();
  print({{"data", a.has("text") ? std::string("--text") : path},
         {"pairs", n},
         {"method", ce::core::method_name(o.method)},
         {"top", top},
         {"groups", trace ? "hypothesis " + column + " auc >= " + a.get("auc") : std::string("pairwise top-K difference")},
         {"suppress", suppress},
         {"boost", boost},
         {"correct_before", correct_before},
         {"flipped", flipped},
         {"success_rate", n ? static_cast<double>(flipped) / static_cast<double>(n) : 0.0},
         {"examples", examples}});
}

}  // namespace

std::vector<Command> circuit_commands() {
  const ce::core::EdgeOptions edge_defaults;
  const std::string relp = ce::core::method_name(ce::core::AttributionOptions{}.method);
  return {
      {"attribute", "the effect of every node on the metric, by atp, ig, relp or exact patching",
       options(
           {example_options("FILE",
                            "paired JSON Lines (clean_prefix, patch_prefix, clean_answer, patch_answer)"),
            attribution_option_list(),
            {value("top", "N", "nodes to list by |effect|, 0 = every node", "50"),
             value("top-candidates", "N", "exact: patch only the top N nodes of an atp pass (default: all)"),
             progress_option()},
            model_options()}),
       attribute, ""},
      {"evaluate",
       "faithfulness and completeness of the circuits of the train file's effects, on the test file",
       options({example_options("TRAIN", "paired JSON Lines whose mean effects define the circuits"),
                {required("test", "TEST", "paired JSON Lines the circuits are evaluated on"),
                 value("test-limit", "N", "use the first N usable test examples, 0 = all", "0")},
                attribution_option_list(),
                {value("ablation", "mean|zero", "the value of a node outside the circuit",
                       ce::core::ablation_name(ce::core::Ablation::Mean)),
                 value("counts", "1,10,100", "also the circuits of the top n nodes for each n"),
                 value("csv", "FILE", "also write the curve as CSV"), progress_option()},
                model_options()}),
       evaluate, ""},
      {"edges", "RelP edges between the top neurons of one prompt, the embeddings and the logit",
       options({{required("text", "T", "the prompt"), value("answer", "A", "the answer token"),
                 value("contrast", "B", "the contrast token (needed by --curve)"),
                 value("patch-text", "P", "the baseline prompt (default: activations of 0)"),
                 flag("chat", "wrap --text as a user message in the model's chat format"),
                 value("top-nodes", "K", "neurons by |RelP effect|", std::to_string(edge_defaults.top_nodes)),
                 value("basis", "mlp_act|sae:PATH",
                       "the nodes: MLP neurons, or the features (and error nodes, as sources) of those dictionaries",
                       ce::core::basis_name(edge_defaults.basis)),
                 value("rules", "RULES", rules_help()),
                 value("metric", "diff|logit|topk", "the metric at the last position",
                       ce::core::metric_name(edge_defaults.metric)),
                 value("percent", "P", "keep the top P % of edges by |score| (default: every edge)"),
                 flag("curve", "add the faithfulness of the circuit left at 1..100 % of the edges"),
                 value("graph-json", "FILE", "also write the graph in circuit-tracer's format (Neuronpedia's viewer)"),
                 value("feature-dir", "DIR", "with --graph-json: one feature file per neuron from the exemplar index"),
                 progress_option()},
                model_options()}),
       edges, ""},
      {"steer", "next-token logits and continuation with neurons scaled",
       options({prompt_options(),
                {repeatable("scale", "L/N=F",
                            "multiply neuron N of layer L by F at every position (L/N@P=F: position P only)"),
                 value("basis", "mlp_act|mlp_out|attn|resid|sae:PATH",
                       "the nodes that --scale names (sae:PATH: features of those dictionaries; index d_sae "
                       "scales the error)",
                       "mlp_act"),
                 value("max-new-tokens", "N", "tokens to generate, 0..10000", "8"),
                 value("top", "K", "how many of the most likely tokens to list", "10")},
                model_options()}),
       steer, ""},
      {"steer-pairs",
       "the Texas experiment over state pairs: how often scaling specific neurons flips the answer",
       options({{value("data", "PAIRED", "paired JSON Lines (default: the shipped capitals_paired.jsonl)"),
                 value("limit", "N", "use the first N usable pairs, 0 = all", "0"),
                 value("text", "T", "one typed pair instead of --data: prompt A"),
                 value("answer", "A", "with --text: prompt A's answer"),
                 value("patch-text", "P", "with --text: prompt B"),
                 value("contrast", "B", "with --text: prompt B's answer"),
                 value("top", "K", "the top K neurons of each prompt", "20"),
                 value("suppress", "F", "factor of A's specific neurons", "0"),
                 value("boost", "F", "factor of B's specific neurons", "4"),
                 value("method", "atp|ig|relp", "attribution method", relp),
                 value("profiles", "PROFILES",
                       "instead of each pair's top-K difference, steer the groups of a trace-set file: the "
                       "neurons whose ROC-AUC for the prompt's --column value reaches --auc"),
                 value("column", "C", "with --profiles: the label column naming a prompt's group", "state"),
                 value("auc", "T", "with --profiles: the AUC a neuron needs to join its value's group", "0.8"),
                 progress_option()},
                model_options()}),
       steer_pairs, ""},
  };
}

}  // namespace ce::trace
