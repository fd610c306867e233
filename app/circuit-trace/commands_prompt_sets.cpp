// Prompt sets, the capitals case study as commands: trace a whole labelled set into neuron profiles, cluster
// the kept neurons into suggested groups, score label hypotheses, and sweep a group's steering multiplier.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <memory>
#include <numeric>
#include <set>
#include <sstream>
#include <utility>

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/basis.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/model/model.h"
#include "ce/core/prompt_sets/clustering.h"
#include "ce/core/prompt_sets/hypothesis.h"
#include "ce/core/prompt_sets/prompt_set.h"
#include "ce/core/prompt_sets/set_trace.h"
#include "ce/core/prompt_sets/sweep.h"
#include "cli_support.h"
#include "commands.h"

namespace ce::trace {

using ce::core::Error;

namespace {

std::string shipped_capitals() { return ce::core::default_datasets_dir() + "/capitals.jsonl"; }

// Comma-separated items; an empty item is an error (a stray comma would otherwise drop a value silently).
std::vector<std::string> split_list(const std::string& text, const std::string& what) {
  std::vector<std::string> items;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) throw Error(what + ": empty item in '" + text + "'");
    items.push_back(item);
  }
  if (!text.empty() && text.back() == ',') throw Error(what + ": empty item in '" + text + "'");
  if (items.empty()) throw Error(what + ": give at least one value");
  return items;
}

std::vector<double> parse_double_list(const std::string& text, const std::string& what) {
  std::vector<double> values;
  for (const std::string& item : split_list(text, what)) {
    try {
      size_t used = 0;
      values.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw Error(what + ": '" + item + "' is not a number");
    }
  }
  return values;
}

// (layer, index) pairs in the given order, duplicates dropped: a neuron named twice is still scaled once.
std::vector<std::pair<int, int>> parse_neurons(const std::string& text) {
  std::vector<std::pair<int, int>> neurons;
  std::set<std::pair<int, int>> seen;
  for (const std::string& name : split_list(text, "--neurons")) {
    const ce::core::NodeRef n = ce::core::parse_node_name(name);
    // A sweep scales a neuron at every position, so a position would be silently ignored.
    if (n.pos >= 0) throw Error("--neurons: give L/N without a position, not '" + name + "'");
    if (seen.insert({n.layer, n.index}).second) neurons.emplace_back(n.layer, n.index);
  }
  return neurons;
}

int limit_of(const Args& a) {
  const int limit = a.get_int("limit");
  if (limit < 0) throw Error("--limit must be >= 0");
  return limit;
}

// A feature trace's set as the outputs name it (nothing for a neuron trace).
void add_dictionaries(json& out, const ce::core::SetTrace& trace) {
  if (trace.options.basis != ce::core::Basis::Features) return;
  out["basis"] = ce::core::basis_name(trace.options.basis);
  out["dictionaries"] = trace.dictionaries;
}

void trace_set_command(const Args& a) {
  ce::core::SetTraceOptions o;
  o.target = ce::core::parse_metric(a.get("target"));
  o.baseline = ce::core::parse_set_baseline(a.get("baseline"));
  o.method = ce::core::parse_method(a.get("method"));
  o.keep = a.get_double("keep");
  o.edge_targets = a.get_int("edge-targets");
  o.format = a.flag("chat") ? ce::core::PromptFormat::Chat : ce::core::PromptFormat::Plain;
  const int limit = limit_of(a);
  const std::string data = a.get_or("data", shipped_capitals()), out = a.get("out");
  auto model = open_model(a);
  const BasisArg basis = basis_arg(a, *model);
  o.basis = basis.basis;
  o.dictionaries = basis.dictionaries;
  ce::core::PromptSet set = ce::core::load_prompt_set(data, static_cast<size_t>(limit));
  if (a.has("answer-column")) {
    // The shipped capitals carry multi-token answers (" Little Rock") and their first words in a column.
    const std::vector<std::string> answers = ce::core::label_values(set, a.get("answer-column"));
    for (size_t i = 0; i < answers.size(); ++i) set.prompts[i].answer = answers[i];
  }
  const InterruptCancels interrupt(a.flag("progress"));
  const auto t0 = std::chrono::steady_clock::now();
  const ce::core::SetTrace trace = ce::core::trace_set(*model, set, o, interrupt.control());
  const double seconds = seconds_since(t0);
  ce::core::save_set_trace(trace, out);

  double mean_m = 0;
  for (const auto& p : trace.prompts) mean_m += p.m;
  if (!trace.prompts.empty()) mean_m /= static_cast<double>(trace.prompts.size());
  std::vector<size_t> order(trace.neurons.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return trace.neurons[x].total > trace.neurons[y].total; });
  json top = json::array();
  for (size_t i = 0; i < order.size() && i < 10; ++i) {
    const ce::core::SetNeuron& n = trace.neurons[order[i]];
    top.push_back({{"name", trace.name_of(order[i])}, {"layer", n.layer}, {"index", n.index}, {"total", n.total}});
  }
  json result = {{"data", data},
         {"out", out},
         {"prompts", trace.prompts.size()},
         {"columns", trace.columns},
         {"target", ce::core::metric_name(o.target)},
         {"baseline", ce::core::set_baseline_name(o.baseline)},
         {"method", ce::core::method_name(o.method)},
         {"keep", o.keep},
         {"neurons", trace.neurons.size()},
         {"edges", trace.edges.size()},
         {"mean_m", mean_m},
         {"seconds", seconds},
         {"top", top}};
  add_dictionaries(result, trace);
  print(result);
}

// --index, else the model's default index of the trace's basis (for features: of its set); null when it has
// none (labels then name layers and sizes only).
std::shared_ptr<const ce::core::ExemplarIndex> label_index(const Args& a, const ce::core::Model& model,
                                                           const ce::core::SetTrace& trace,
                                                           const ce::core::DictionarySet* dictionaries) {
  const ce::core::Basis basis = trace.options.basis;
  if (!a.has("index")) return ce::core::find_exemplar_index(model, basis, nullptr, dictionaries);
  std::shared_ptr<const ce::core::ExemplarIndex> index = ce::core::ExemplarIndex::open(a.get("index"));
  index->check_model(model);
  index->check_basis(basis);
  if (dictionaries) index->check_dictionaries(*dictionaries);
  return index;
}

// The cut of a clustering, --groups K or --distance D, as `cluster` and `sweep --group` both take it: checked
// before any file is read, so the message is about the options whatever the files hold.
struct Cut {
  int groups = 0;
  double distance = -1;
};
Cut cut_of(const Args& a) {
  if (a.has("groups") == a.has("distance")) throw Error("give exactly one of --groups K or --distance D");
  Cut c;
  if (a.has("groups")) {
    c.groups = a.get_int("groups");
    if (c.groups < 1) throw Error("--groups must be >= 1");
  } else {
    c.distance = a.get_double("distance");
    if (!(c.distance >= 0 && c.distance <= 2)) throw Error("--distance must be in [0, 2] (a cosine distance)");
  }
  return c;
}

void cluster_command(const Args& a) {
  const Cut cut = cut_of(a);
  const ce::core::ClusterOn on = ce::core::parse_cluster_on(a.get("on"));
  const std::string path = a.get("profiles");
  const ce::core::SetTrace trace = ce::core::load_set_trace(path);
  auto model = open_model(a);
  const auto dictionaries = ce::core::check_traced_on(trace, *model, path);
  const auto index = label_index(a, *model, trace, dictionaries.get());
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<ce::core::NeuronGroup> found = ce::core::cluster_neurons(trace, on, cut.groups, cut.distance);
  ce::core::label_groups(found, trace, *model, index.get());
  const double seconds = seconds_since(t0);
  json gj = json::array();
  for (const auto& g : found) {
    json names = json::array();
    for (int m : g.members) names.push_back(trace.name_of(static_cast<size_t>(m)));
    gj.push_back({{"label", g.label},
                  {"neurons", names},
                  {"layers", {g.layer_lo, g.layer_hi}},
                  {"size", g.members.size()}});
  }
  json result = {{"profiles", path},
                 {"on", ce::core::cluster_on_name(on)},
                 {"neurons", trace.neurons.size()},
                 {"index", index ? json(index->path()) : json(nullptr)},
                 {"seconds", seconds},
                 {"groups", gj}};
  add_dictionaries(result, trace);
  print(result);
}

void hypothesis_command(const Args& a) {
  const double threshold = a.get_double("threshold");
  if (!(threshold >= 0.5 && threshold <= 1)) throw Error("--threshold must be in [0.5, 1]");
  const ce::core::ActivationPick pick = ce::core::ActivationPick::parse(a.get("position"));
  const std::string path = a.get("profiles"), column = a.get("column"), value = a.get("value");
  const ce::core::SetTrace trace = ce::core::load_set_trace(path);
  const std::vector<ce::core::HypothesisScore> scores =
      ce::core::hypothesis_scores(trace, column, value, pick);
  size_t positives = 0;
  for (const auto& p : trace.prompts) {
    const auto it = p.text.labels.find(column);
    positives += it != p.text.labels.end() && it->second == value;
  }
  // With a margin: 1 - 0.8 is 0.19999999999999996, which would leave out an AUC of exactly 0.2.
  constexpr double kMargin = 1e-9;
  json listed = json::array();
  size_t high = 0, low = 0;
  for (const auto& s : scores) {
    const bool is_high = s.auc >= threshold - kMargin, is_low = s.auc <= 1 - threshold + kMargin;
    if (!is_high && !is_low) continue;
    high += is_high;
    low += is_low && !is_high;
    const ce::core::SetNeuron& n = trace.neurons.at(static_cast<size_t>(s.neuron));
    listed.push_back({{"name", trace.name_of(static_cast<size_t>(s.neuron))},
                      {"layer", n.layer},
                      {"index", n.index},
                      {"auc", s.auc}});
  }
  json result = {{"profiles", path},
         {"column", column},
         {"value", value},
         {"position", pick.to_string()},
         {"threshold", threshold},
         {"prompts", trace.prompts.size()},
         {"positives", positives},
         {"scored", scores.size()},
         {"high", high},
         {"low", low},
         {"neurons", listed}};
  add_dictionaries(result, trace);
  print(result);
}

// The neurons of --group N: the Nth group (from 1) that `cluster` lists for the same profiles and cut, which
// clustering reproduces exactly (same input, same groups).
std::vector<std::pair<int, int>> cluster_group(const Args& a, const ce::core::SetTrace& trace) {
  if (!a.has("profiles")) throw Error("--group needs --profiles PROFILES.json and --groups K or --distance D");
  const Cut cut = cut_of(a);
  const auto groups =
      ce::core::cluster_neurons(trace, ce::core::parse_cluster_on(a.get("on")), cut.groups, cut.distance);
  const int n = a.get_int("group");
  if (n < 1 || static_cast<size_t>(n) > groups.size()) {
    throw Error("--group " + std::to_string(n) + ": the cut has groups 1.." + std::to_string(groups.size()));
  }
  std::vector<std::pair<int, int>> neurons;
  for (int m : groups[static_cast<size_t>(n - 1)].members) {
    neurons.emplace_back(trace.neurons[static_cast<size_t>(m)].layer, trace.neurons[static_cast<size_t>(m)].index);
  }
  return neurons;
}

void sweep_command(const Args& a) {
  if (a.has("neurons") == a.has("group")) throw Error("give the group as --neurons L/N,... or as --group N");
  if (a.has("group") && !a.has("profiles")) {
    throw Error("--group needs --profiles PROFILES.json and --groups K or --distance D");
  }
  auto model = open_model(a);
  ce::core::SweepOptions o;
  // The basis: the profiles' when given (a group and its complement are nodes of the trace), else --basis.
  std::unique_ptr<ce::core::SetTrace> trace;
  if (a.has("profiles")) {
    trace = std::make_unique<ce::core::SetTrace>(ce::core::load_set_trace(a.get("profiles")));
    o.dictionaries = ce::core::check_traced_on(*trace, *model, a.get("profiles"));
    o.basis = trace->options.basis;
    if (a.has("basis") && ce::core::split_basis_spec(a.get("basis")).first != o.basis) {
      throw Error("--basis " + a.get("basis") + ": " + a.get("profiles") + " was traced in the " +
                  ce::core::basis_name(o.basis) + " basis, which the sweep takes");
    }
  } else {
    const BasisArg basis = basis_arg(a, *model);
    o.basis = basis.basis;
    o.dictionaries = basis.dictionaries;
  }
  const std::vector<std::pair<int, int>> neurons =
      a.has("neurons") ? parse_neurons(a.get("neurons")) : cluster_group(a, *trace);
  o.multipliers = parse_double_list(a.get("multipliers"), "--multipliers");
  o.columns = split_list(a.get("classes"), "--classes");
  o.format = a.flag("chat") ? ce::core::PromptFormat::Chat : ce::core::PromptFormat::Plain;
  const bool complement = a.flag("complement");
  if (complement && !a.has("profiles")) {
    throw Error(
        "--complement needs --profiles PROFILES.json (its kept neurons outside --neurons are ablated)");
  }
  if (!complement && a.has("profiles") && !a.has("group")) throw Error("--profiles applies to --complement and --group only");
  const int limit = limit_of(a);
  const std::string data = a.get_or("data", shipped_capitals());
  const ce::core::PromptSet set = ce::core::load_prompt_set(data, static_cast<size_t>(limit));
  if (complement) {
    const std::set<std::pair<int, int>> group(neurons.begin(), neurons.end());
    for (const auto& n : trace->neurons) {
      if (!group.count({n.layer, n.index})) o.ablate.emplace_back(n.layer, n.index);
    }
  }
  const InterruptCancels interrupt(a.flag("progress"));
  const auto t0 = std::chrono::steady_clock::now();
  const ce::core::SweepResult r = ce::core::sweep(*model, set, neurons, o, interrupt.control());
  const double seconds = seconds_since(t0);
  if (a.has("csv")) {
    const std::string path = a.get("csv");
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << ce::core::sweep_csv(r);
    f.close();
    if (!f) throw Error(path + ": cannot write the CSV file");
  }
  json names = json::array();
  for (const auto& [layer, index] : neurons) names.push_back(ce::core::node_name(o.basis, layer, index));
  json probability = json::object(), top1 = json::object();
  for (size_t c = 0; c < r.classes.size(); ++c) {
    probability[r.classes[c]] = r.probability.at(c);
    top1[r.classes[c]] = r.top1.at(c);
  }
  json result = {{"data", data},
                 {"prompts", r.prompts},
                 {"neurons", names},
                 {"complement", complement},
                 {"ablated", o.ablate.size()},
                 {"multipliers", r.multipliers},
                 {"class_names", r.classes},  // the objects below are keyed, and JSON objects have no order
                 {"classes", probability},
                 {"top1", top1},
                 {"seconds", seconds}};
  if (o.dictionaries) {
    result["basis"] = ce::core::basis_name(o.basis);
    result["dictionaries"] = o.dictionaries->path();
  }
  print(result);
}

}  // namespace

std::vector<Command> prompt_set_commands() {
  const ce::core::SetTraceOptions t;
  const ce::core::SweepOptions s;
  std::string multipliers, columns;
  for (double m : s.multipliers) {
    std::ostringstream os;
    os << m;
    multipliers += (multipliers.empty() ? "" : ",") + os.str();
  }
  for (const auto& c : s.columns) columns += (columns.empty() ? "" : ",") + c;
  std::ostringstream keep;
  keep << t.keep;
  const Option data = value("data", "FILE",
                            "JSON Lines of prompts with an answer and label columns (default: the shipped "
                            "capitals.jsonl)");
  const Option limit = value("limit", "N", "use the first N prompts of --data, 0 = all", "0");
  const Option chat = flag("chat", "wrap each prompt as a user message in the model's chat format");
  return {
      {"trace-set", "attribution profiles of every neuron over a prompt set; keeps the neurons that matter",
       options({{data, limit,
                 value("target", "topk|logit|diff",
                       "per prompt: the sum of its top-5 logits, logit(answer), or logit(answer) - "
                       "logit(contrast)",
                       ce::core::metric_name(t.target)),
                 value("answer-column", "C",
                       "take each prompt's answer from label column C (e.g. answer_first_word) instead of "
                       "\"answer\""),
                 value("baseline", "zero|patch", "activations of 0, or each line's patch_prompt",
                       ce::core::set_baseline_name(t.baseline)),
                 value("method", "atp|ig|relp", "attribution method", ce::core::method_name(t.method)),
                 value("keep", "F", "keep a neuron whose |effect| reaches F x |target| on some prompt",
                       keep.str()),
                 value("edge-targets", "K", "edges into the K kept neurons of largest total, 0 = no edges",
                       std::to_string(t.edge_targets)),
                 value("basis", "mlp_act|sae:PATH",
                       "trace MLP neurons, or the features (and error nodes) of a dictionary set: a folder, "
                       "or NAME for <model>/dictionaries/NAME",
                       ce::core::basis_name(t.basis)),
                 chat, required("out", "PROFILES", "the profiles file to write (JSON)"), progress_option()},
                model_options()}),
       trace_set_command, ""},
      {"cluster", "suggested neuron groups of a profiles file, labelled from their exemplars",
       options({{required("profiles", "PROFILES", "a file written by trace-set"),
                 value("groups", "K", "cut into K groups (or --distance)"),
                 value("distance", "D", "cut where groups are further apart than cosine distance D, 0..2"),
                 value("on", "attr|contrib|both",
                       "cluster attribution profiles, contribution profiles through edges, or both", "attr"),
                 value("index", "INDEX", "exemplar index for the labels (default: the model's own, if any)")},
                model_options()}),
       cluster_command, ""},
      {"hypothesis", "how well each kept neuron's activation singles out the prompts of one label value",
       options({{required("profiles", "PROFILES", "a file written by trace-set"),
                 required("column", "C", "a label column of the traced prompts"),
                 required("value", "V", "the value whose prompts are the positives"),
                 value("position", "max|N",
                       "a prompt's activation: its maximum over positions, or position N (negative: from "
                       "the end)",
                       "max"),
                 value("threshold", "T", "list the neurons with ROC-AUC >= T or <= 1 - T, 0.5..1", "0.8")}}),
       hypothesis_command, ""},
      {"sweep", "answer-class probabilities over a prompt set as a group of neurons is scaled",
       options(
           {{data, limit, value("neurons", "L/N,L/N", "the group, scaled at every position (or --group)"),
             value("group", "N", "instead of --neurons: group N (from 1) of cluster's cut of --profiles"),
             value("groups", "K", "with --group: the cut into K groups, as given to cluster"),
             value("distance", "D", "with --group: the cut at distance D, as given to cluster"),
             value("on", "attr|contrib|both", "with --group: the profiles clustered, as given to cluster", "attr"),
             value("multipliers", "M,M", "the factors", multipliers),
             value("classes", "C,C",
                   "label columns naming answer classes: each prompt's own value and any value", columns),
             flag("complement", "also ablate every kept neuron of --profiles outside the group"),
             value("profiles", "PROFILES", "with --complement or --group: the trace-set file (its basis is the sweep's)"),
             value("basis", "mlp_act|sae:PATH",
                   "the basis of --neurons without --profiles: MLP neurons, or a dictionary set's features "
                   "(L3/F412; index d_sae scales the error)",
                   ce::core::basis_name(s.basis)),
             value("csv", "FILE", "also write the result as CSV"), chat, progress_option()},
            model_options()}),
       sweep_command, ""},
  };
}

}  // namespace ce::trace
