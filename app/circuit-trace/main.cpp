// circuit-trace: the headless command line of Circuit Explorer. Every command prints one JSON document on
// stdout; on error it prints one line on stderr and exits with code 2.
// Output goes through stdio, never std::cout/std::cerr: an executable that names std::cerr gets a copy-relocated
// instance, and SentencePiece's trainer (dlopen'ed with RTLD_DEEPBIND in the plugin) then logs into libstdc++'s
// own, never-constructed std::cerr and crashes (train-demo).
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/attribution_example.h"
#include "ce/core/tokenizer/chat_format.h"
#include "ce/core/model/continuation.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/demo/corpus_generator.h"
#include "ce/demo/data_split.h"
#include "ce/demo/dataset_writer.h"
#include "ce/demo/demo_evaluator.h"
#include "ce/demo/demo_trainer.h"
#include "ce/core/circuits/edge_attribution.h"
#include "ce/core/base/error.h"
#include "ce/core/circuits/intervention.h"
#include "ce/core/exemplars/exemplar_builder.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/exemplars/layer_activations.h"
#include "ce/core/model/model.h"
#include "ce/core/base/resources.h"
#include "ce/core/circuits/specific_neurons.h"
#include "ce/demo/sva_vocabulary.h"
#include "ce/core/tokenizer/tokenizer.h"
#include "ce/demo/world.h"

using ce::core::Error;
using nlohmann::json;

namespace {

const char* kUsage =
    "usage: circuit-trace <command> [options]\n"
    "commands:\n"
    "  info      [--model DIR]\n"
    "  tokenize  [--model DIR | --tokenizer FILE] --text T [--no-bos] [--chat] [--system S]\n"
    "  logits    [--model DIR] (--text T | --ids 1,2,3) [--top K] [--all]\n"
    "  generate  [--model DIR] (--text T | --ids 1,2,3) --max-new-tokens N\n"
    "  train-demo --out DIR [--seed S] [--steps N] [--config small|tiny] [--datasets DIR] [--sva DIR]\n"
    "             [--world-seed S] [--no-eval]   (progress on stderr; writes MODEL_CARD.md unless --no-eval)\n"
    "  eval-demo  [--model DIR] [--sva DIR] [--datasets DIR] [--max N] [--markdown]\n"
    "  write-datasets --out DIR [--seed S]\n"
    "  attribute [--model DIR] (--data FILE [--limit N] | --text T [--answer A] [--contrast B] [--patch-text P]\n"
    "            [--chat])\n"
    "            [--method atp|ig|relp|exact] [--basis mlp_act|mlp_out|attn|resid] [--metric diff|logit|topk]\n"
    "            [--top N] [--rules all|none|norm,gate,half,attn|-half] [--ig-steps S] [--batch B]\n"
    "            [--top-candidates N (exact: patch only the top N AtP nodes)] [--progress]\n"
    "  evaluate  [--model DIR] --data TRAIN --test TEST [--limit N] [--test-limit N] [--method ...] [--basis ...]\n"
    "            [--ablation mean|zero] [--counts 1,10,100] [--csv FILE] [--progress]\n"
    "  edges     [--model DIR] --text T --answer A [--contrast B] [--patch-text P] [--chat] [--top-nodes K]\n"
    "            [--percent P]\n"
    "            [--curve (faithfulness of the circuit left at 1..100 % of the edges; needs --contrast)]\n"
    "  steer     [--model DIR] --text T --scale L/N=F [--scale L/N@POS=F ...] [--max-new-tokens N] [--top K]\n"
    "  steer-pairs [--model DIR] [--data PAIRED.jsonl [--limit N] | --text T --answer A --patch-text P --contrast B]\n"
    "              [--top K] [--suppress F] [--boost F] [--method M]\n"
    "  exemplars [--model DIR] --corpus FILE --out INDEX [--basis mlp_act|mlp_out] [--top K] [--context C]\n"
    "            [--max-tokens N] [--batch B] [--shard i/n]   (progress on stderr; Ctrl-C cancels)\n"
    "  exemplars-merge A B ... --out INDEX\n"
    "  write-exemplar-corpus --out FILE [--seed S]   (the held-out corpus of the demo world)\n"
    "  neuron    [--model DIR] [--index INDEX] --neuron L/N [--polarity +|-] [--top K] [--basis B]\n"
    "  activations [--model DIR] (--text T | --ids 1,2,3) [--basis mlp_act|mlp_out] --layer L [--index N]\n"
    "common options: --dtype f32|bf16, --threads N (0 = all cores), --chat, --system S\n"
    "--model defaults to the embedded demo model (resources/models/geo).\n";

// Parsed "--name value" and "--flag" options of one command; unknown options are errors so a typo never
// silently changes what runs.
class Args {
 public:
  Args(int argc, char** argv, int first, const std::set<std::string>& flags,
       const std::set<std::string>& valued) {
    for (int i = first; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) throw Error("unexpected argument '" + a + "'");
      std::string name = a.substr(2);
      if (flags.count(name)) {
        flags_.insert(name);
      } else if (valued.count(name)) {
        if (i + 1 >= argc) throw Error("option --" + name + " needs a value");
        values_[name] = argv[++i];
        all_[name].push_back(values_[name]);
      } else {
        throw Error("unknown option --" + name);
      }
    }
  }
  bool flag(const std::string& n) const { return flags_.count(n) > 0; }
  bool has(const std::string& n) const { return values_.count(n) > 0; }
  std::string get(const std::string& n) const {
    auto it = values_.find(n);
    if (it == values_.end()) throw Error("missing required option --" + n);
    return it->second;
  }
  std::string get(const std::string& n, const std::string& fallback) const {
    return has(n) ? values_.at(n) : fallback;
  }
  int get_int(const std::string& n, int fallback) const {
    if (!has(n)) return fallback;
    return parse_int(values_.at(n), "--" + n);
  }
  // Every value of a repeatable option, in command-line order.
  std::vector<std::string> get_all(const std::string& n) const {
    auto it = all_.find(n);
    return it == all_.end() ? std::vector<std::string>{} : it->second;
  }
  double get_double(const std::string& n, double fallback) const {
    if (!has(n)) return fallback;
    const std::string& s = values_.at(n);
    try {
      size_t used = 0;
      const double v = std::stod(s, &used);
      if (used != s.size()) throw std::invalid_argument(s);
      return v;
    } catch (const std::exception&) {
      throw Error("--" + n + ": '" + s + "' is not a number");
    }
  }
  static int parse_int(const std::string& s, const std::string& what) {
    try {
      size_t used = 0;
      long v = std::stol(s, &used);
      if (used != s.size() || v < -2147483647L || v > 2147483647L) throw std::invalid_argument(s);
      return static_cast<int>(v);
    } catch (const std::exception&) {
      throw Error(what + ": '" + s + "' is not an integer");
    }
  }

 private:
  std::set<std::string> flags_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_;
};

std::vector<int> parse_ids(const std::string& s) {
  std::vector<int> ids;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) ids.push_back(Args::parse_int(item, "--ids"));
  if (ids.empty()) throw Error("--ids: no ids given");
  return ids;
}

void print(const json& j) {
  // Pieces of byte-level vocabularies can be partial UTF-8; replace rather than fail.
  const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
}

std::unique_ptr<ce::core::Model> open_model(const Args& a) {
  ce::core::LoadOptions o;
  if (a.has("dtype")) {
    auto d = ce::core::parse_dtype(a.get("dtype"));
    if (!d || *d == ce::core::DType::F16) throw Error("--dtype must be f32 or bf16, not '" + a.get("dtype") + "'");
    o.dtype = d;
  }
  o.threads = a.get_int("threads", 0);
  if (o.threads < 0) throw Error("--threads must be >= 0");
  return ce::core::Model::open(a.has("model") ? a.get("model") : ce::core::default_model_dir(), o);
}

// Token ids of the prompt: --ids verbatim, or --text tokenized (optionally in the chat format).
std::vector<int> prompt_ids(const Args& a, const ce::core::Tokenizer& tok, bool add_bos) {
  if (a.has("ids")) {
    if (a.has("text")) throw Error("give either --text or --ids, not both");
    return parse_ids(a.get("ids"));
  }
  const std::string text = a.get("text");
  if (a.flag("chat")) return ce::core::format_chat_prompt(tok, text, a.get("system", ""));
  return tok.encode(text, add_bos);
}

json pieces_json(const ce::core::Tokenizer& tok, const std::vector<int>& ids) {
  json p = json::array();
  for (int id : ids) p.push_back(tok.piece(id));
  return p;
}

int cmd_info(const Args& a) {
  auto model = open_model(a);
  const ce::core::ModelInfo i = model->info();
  print({{"layers", i.layers}, {"d_model", i.d_model}, {"d_mlp", i.d_mlp}, {"heads", i.heads},
         {"kv_heads", i.kv_heads}, {"vocab", i.vocab}, {"params", i.params},
         {"dtype", ce::core::dtype_short_name(i.dtype)}});
  return 0;
}

int cmd_tokenize(const Args& a) {
  std::unique_ptr<ce::core::Model> model;
  std::unique_ptr<ce::core::Tokenizer> own;
  const ce::core::Tokenizer* tok = nullptr;
  if (a.has("tokenizer")) {
    if (a.has("model")) throw Error("give either --model or --tokenizer, not both");
    own = ce::core::Tokenizer::from_file(a.get("tokenizer"));
    tok = own.get();
  } else {
    own = ce::core::Tokenizer::from_model_dir(a.has("model") ? a.get("model") : ce::core::default_model_dir());
    tok = own.get();
  }
  const bool bos = a.flag("no-bos") ? false : tok->default_add_bos();
  const std::vector<int> ids = prompt_ids(a, *tok, bos);
  print({{"ids", ids}, {"pieces", pieces_json(*tok, ids)}});
  return 0;
}

int cmd_logits(const Args& a) {
  auto model = open_model(a);
  const std::vector<int> ids = prompt_ids(a, model->tokenizer(), model->tokenizer().default_add_bos());
  const std::vector<float> logits = model->next_logits(ids);
  const int k = a.get_int("top", 10);
  if (k < 0) throw Error("--top must be >= 0");
  json top = json::array();
  for (const auto& t : model->top_k(logits, k)) {
    top.push_back({{"id", t.id}, {"piece", t.piece}, {"text", t.text}, {"logit", t.logit}, {"prob", t.prob}});
  }
  json out = {{"ids", ids}, {"top", top}};
  if (a.flag("all")) out["logits"] = logits;
  print(out);
  return 0;
}

int cmd_generate(const Args& a) {
  auto model = open_model(a);
  const std::vector<int> ids = prompt_ids(a, model->tokenizer(), model->tokenizer().default_add_bos());
  const int n = Args::parse_int(a.get("max-new-tokens"), "--max-new-tokens");
  if (n < 0 || n > 100000) throw Error("--max-new-tokens must be in 0..100000");
  const std::vector<int> out = model->generate(ids, n);
  // llama2.c's decode: no leading space added, so the text matches its reference continuations.
  print({{"ids", out}, {"text", ce::core::continuation_text(*model, out, false)}});
  return 0;
}

uint64_t parse_seed(const Args& a, const std::string& name, uint64_t fallback) {
  if (!a.has(name)) return fallback;
  const std::string s = a.get(name);
  try {
    size_t used = 0;
    const unsigned long long v = std::stoull(s, &used);
    if (used != s.size() || s[0] == '-') throw std::invalid_argument(s);
    return static_cast<uint64_t>(v);
  } catch (const std::exception&) {
    throw Error("--" + name + ": '" + s + "' is not a non-negative integer");
  }
}

std::atomic<bool> g_cancel{false};
void on_interrupt(int) { g_cancel.store(true); }

std::string format_seconds(double s) {
  if (s < 0) return "?";
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  }
  return buf;
}

json eval_json(const ce::core::DemoEvaluation& ev) { return json::parse(ce::core::demo_evaluation_json(ev)); }

int cmd_train_demo(const Args& a, const std::string& command_line) {
  ce::core::DemoTrainOptions o;
  o.out_dir = a.get("out");
  o.datasets_dir = a.get("datasets", "");
  o.seed = parse_seed(a, "seed", 1);
  o.world_seed = parse_seed(a, "world-seed", ce::core::kDefaultWorldSeed);
  o.steps = a.get_int("steps", 0);
  if (o.steps < 0) throw Error("--steps must be >= 0 (0 = the preset's default)");
  o.preset = a.get("config", "small");
  o.threads = a.get_int("threads", 0);
  if (o.threads < 0) throw Error("--threads must be >= 0");
  ce::core::demo_recipe(o.preset);  // reject an unknown --config before any work
  std::string last_phase;
  auto last_print = std::chrono::steady_clock::now();
  o.progress = [&](const ce::core::DemoTrainProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    const bool due = std::chrono::duration<double>(now - last_print).count() >= 5.0;
    if (p.phase == last_phase && !due && p.step != p.steps) return;
    last_phase = p.phase;
    last_print = now;
    std::fprintf(stderr, "[%3.0f%%] %-9s %s", 100.0 * p.fraction, p.phase.c_str(), p.message.c_str());
    if (p.phase == "train") std::fprintf(stderr, "  eta %s", format_seconds(p.eta_seconds).c_str());
    std::fprintf(stderr, "\n");
  };
  ce::core::JobControl control;
  control.cancel = &g_cancel;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  const ce::core::DemoTrainResult r = ce::core::train_demo_model(o, control);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);

  json out = {{"out", o.out_dir},
              {"preset", r.recipe.preset},
              {"seed", r.seed},
              {"world_seed", r.world_seed},
              {"threads", r.threads},
              {"steps", static_cast<int>(r.losses.size())},
              {"batch_rows", r.recipe.batch_rows},
              {"seq_len", r.recipe.seq_len},
              {"parameters", r.parameters},
              {"vocab_size", r.vocab_size},
              {"corpus_documents", r.corpus_documents},
              {"corpus_tokens", r.corpus_tokens},
              {"tokens_trained", r.tokens_trained},
              {"epochs", r.epochs},
              {"initial_loss", r.initial_loss},
              {"final_loss", r.final_loss},
              {"seconds_per_step", r.seconds_per_step},
              {"train_seconds", r.train_seconds},
              {"total_seconds", r.total_seconds},
              {"files", r.files}};
  if (!a.flag("no-eval")) {
    std::fprintf(stderr, "evaluating %s\n", o.out_dir.c_str());
    const auto model = ce::core::Model::open(o.out_dir, ce::core::LoadOptions{std::nullopt, o.threads});
    ce::core::DemoEvalOptions eo;
    eo.world_seed = o.world_seed;
    eo.shared_sva_dir = a.get("sva", "");
    const ce::core::DemoEvaluation ev = ce::core::evaluate_demo_model(*model, eo);
    const std::string card_path = (std::filesystem::path(o.out_dir) / "MODEL_CARD.md").string();
    std::string card = "# Geo demo model\n\n"
                       "A small Llama trained by Circuit Explorer's own code (`circuit-trace train-demo`) on a "
                       "synthetic world: the 50 US states with their capitals and four other cities each "
                       "(city -> state, state -> capital and two-hop \"capital of the state containing\" facts; "
                       "the two-hop facts of 20 % of the cities are held out of training), subject-verb agreement "
                       "sentences of the four task types of Marks et al. 2025, and filler text.\n\n";
    card += ce::core::demo_recipe_markdown(r, command_line) + "\n" + ce::core::demo_evaluation_markdown(ev);
    std::ofstream f(card_path, std::ios::binary | std::ios::trunc);
    f << card;
    f.close();
    if (!f) throw Error(card_path + ": cannot write");
    out["files"].push_back(card_path);
    out["evaluation"] = eval_json(ev);
  }
  print(out);
  return 0;
}

int cmd_eval_demo(const Args& a) {
  ce::core::LoadOptions lo;
  lo.threads = a.get_int("threads", 0);
  if (lo.threads < 0) throw Error("--threads must be >= 0");
  const std::string dir = a.has("model") ? a.get("model") : ce::core::default_model_dir();
  const auto model = ce::core::Model::open(dir, lo);
  ce::core::DemoEvalOptions eo;
  eo.shared_sva_dir = a.get("sva", "");
  eo.datasets_dir = a.get("datasets", "");
  eo.world_seed = parse_seed(a, "world-seed", ce::core::kDefaultWorldSeed);
  const int max = a.get_int("max", 0);
  if (max < 0) throw Error("--max must be >= 0 (0 = every item)");
  eo.max_per_set = static_cast<size_t>(max);
  const ce::core::DemoEvaluation ev = ce::core::evaluate_demo_model(*model, eo);
  json out = eval_json(ev);
  out["model"] = dir;
  if (a.flag("markdown")) out["markdown"] = ce::core::demo_evaluation_markdown(ev);
  print(out);
  return 0;
}

int cmd_write_datasets(const Args& a) {
  const auto& world = ce::core::World::united_states();
  const auto& vocabulary = ce::core::SvaVocabulary::standard();
  ce::core::DataSplitOptions so;
  so.seed = parse_seed(a, "seed", ce::core::kDefaultWorldSeed);
  const ce::core::DataSplit split(world, vocabulary, so);
  ce::core::DatasetOptions dataset_options;
  dataset_options.seed = so.seed;
  const ce::core::DatasetWriter writer(world, vocabulary, split, dataset_options);
  print({{"files", writer.write_all(a.get("out"))}});
  return 0;
}

// ---- attribution, evaluation, edges, steering (#4) ----

// A JobControl wired to Ctrl-C and, with --progress, to a progress line on stderr.
ce::core::JobControl cli_control(const Args& a) {
  ce::core::JobControl c;
  c.cancel = &g_cancel;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  if (a.flag("progress")) {
    auto last = std::make_shared<std::chrono::steady_clock::time_point>();
    c.progress = [last](double f, const std::string& msg) {
      const auto now = std::chrono::steady_clock::now();
      if (f < 1.0 && now - *last < std::chrono::milliseconds(500)) return;
      *last = now;
      std::fprintf(stderr, "[%3.0f%%] %s\n", 100.0 * f, msg.c_str());
    };
  }
  return c;
}

struct LoadedData {
  std::vector<ce::core::AttributionExample> examples;
  json summary;
};

// --data FILE [--limit N] (key = "data"), or one typed prompt.
LoadedData load_examples(const Args& a, const ce::core::Model& model, const std::string& key = "data",
                         const std::string& limit_key = "limit") {
  LoadedData d;
  const int limit = a.get_int(limit_key, 0);
  if (limit < 0) throw Error("--" + limit_key + " must be >= 0");
  if (a.has(key)) {
    if (a.has("text")) throw Error("give either --" + key + " or --text, not both");
    if (a.flag("chat")) throw Error("--chat applies to --text only (data files hold plain prompts)");
    auto ds = ce::core::load_paired_dataset(a.get(key), model.tokenizer(), static_cast<size_t>(limit));
    d.summary = {{"file", a.get(key)}, {"lines", ds.lines}, {"used", ds.examples.size()},
                 {"dropped_multi_token", ds.multi_token}, {"dropped_unequal_length", ds.unequal_length},
                 {"dropped_same_answer", ds.same_answer}};
    d.examples = std::move(ds.examples);
    return d;
  }
  const std::string text = a.get("text");
  std::string answer = a.get("answer", "");
  std::string contrast = a.get("contrast", "");
  const auto format = a.flag("chat") ? ce::core::PromptFormat::Chat : ce::core::PromptFormat::Plain;
  d.examples.push_back(
      ce::core::make_example(model.tokenizer(), text, answer, contrast, a.get("patch-text", ""), format));
  d.summary = {{"text", text}, {"ids", d.examples[0].clean}, {"pieces", pieces_json(model.tokenizer(), d.examples[0].clean)}};
  return d;
}

ce::core::AttributionOptions attribution_options(const Args& a) {
  ce::core::AttributionOptions o;
  o.method = ce::core::parse_method(a.get("method", "relp"));
  o.basis = ce::core::parse_basis(a.get("basis", "mlp_act"));
  o.metric = ce::core::parse_metric(a.get("metric", "diff"));
  if (a.has("rules")) {
    if (o.method != ce::core::Method::RelP) throw Error("--rules applies to --method relp only");
    o.rules = ce::core::RelpRules::parse(a.get("rules"));
  }
  o.ig_steps = a.get_int("ig-steps", 10);
  if (o.ig_steps < 1 || o.ig_steps > 1000) throw Error("--ig-steps must be in 1..1000");
  o.batch = a.get_int("batch", 32);
  if (o.batch < 1) throw Error("--batch must be >= 1");
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Exact patching needs a node list: all nodes, or the top N candidates of a first AtP pass.
void exact_candidates(const Args& a, const ce::core::Model& model, const std::vector<ce::core::AttributionExample>& ex,
                      ce::core::AttributionOptions& o, const ce::core::JobControl& control) {
  if (o.method != ce::core::Method::Exact || !a.has("top-candidates")) return;
  const int n = a.get_int("top-candidates", 0);
  if (n < 1) throw Error("--top-candidates must be >= 1");
  ce::core::AttributionOptions pre = o;
  pre.method = ce::core::Method::AtP;
  for (const auto& ne : ce::core::top_nodes(ce::core::attribute(model, ex, pre, control), n)) o.exact_nodes.push_back(ne.node);
}

int cmd_attribute(const Args& a) {
  auto model = open_model(a);
  const LoadedData d = load_examples(a, *model);
  ce::core::AttributionOptions o = attribution_options(a);
  const int top = a.get_int("top", 50);
  const ce::core::JobControl control = cli_control(a);
  const auto t0 = std::chrono::steady_clock::now();
  exact_candidates(a, *model, d.examples, o, control);
  const ce::core::AttributionResult r = ce::core::attribute(*model, d.examples, o, control);
  const double secs = seconds_since(t0);
  json nodes = json::array();
  for (const auto& n : ce::core::top_nodes(r, top)) {
    nodes.push_back({{"layer", n.node.layer}, {"pos", n.node.pos}, {"index", n.node.index}, {"effect", n.effect},
                     {"activation", n.activation}});
  }
  json out = {{"method", ce::core::method_name(o.method)}, {"basis", ce::core::basis_name(o.basis)},
              {"metric", ce::core::metric_name(o.metric)}, {"examples", r.examples}, {"m", r.m},
              {"data", d.summary}, {"seconds", secs}, {"nodes", nodes}};
  if (o.method == ce::core::Method::RelP) out["rules"] = o.rules.to_string();
  if (o.method == ce::core::Method::IG) out["ig_steps"] = o.ig_steps;
  print(out);
  return 0;
}

// ---- Neuron exemplars (issue #5) ----

int positive_int(const Args& a, const std::string& name, int fallback) {
  const int v = a.get_int(name, fallback);
  if (v < 1) throw Error("--" + name + " must be >= 1");
  return v;
}

// "L/N" or "L3/N17" -> {layer, neuron}.
std::pair<int, int> parse_neuron(const std::string& s) {
  const auto slash = s.find('/');
  if (slash == std::string::npos) throw Error("--neuron: '" + s + "' is not LAYER/NEURON (e.g. 2/117 or L2/N117)");
  std::string l = s.substr(0, slash), n = s.substr(slash + 1);
  if (!l.empty() && (l[0] == 'L' || l[0] == 'l')) l = l.substr(1);
  if (!n.empty() && (n[0] == 'N' || n[0] == 'n')) n = n.substr(1);
  return {Args::parse_int(l, "--neuron layer"), Args::parse_int(n, "--neuron index")};
}

int cmd_exemplars(const Args& a) {
  auto model = open_model(a);
  ce::core::ExemplarBuildOptions o;
  o.corpus_path = a.get("corpus");
  o.out_path = a.get("out");
  o.basis = ce::core::parse_basis(a.get("basis", "mlp_act"));
  o.top_k = positive_int(a, "top", o.top_k);
  o.context = positive_int(a, "context", o.context);
  o.batch = positive_int(a, "batch", o.batch);
  o.max_tokens = parse_seed(a, "max-tokens", 0);
  if (a.has("shard")) {
    const std::string s = a.get("shard");
    const auto slash = s.find('/');
    if (slash == std::string::npos) throw Error("--shard: '" + s + "' is not i/n (e.g. 0/4)");
    o.shard_index = Args::parse_int(s.substr(0, slash), "--shard index");
    o.shard_count = Args::parse_int(s.substr(slash + 1), "--shard count");
    if (o.shard_count < 1 || o.shard_index < 0 || o.shard_index >= o.shard_count) {
      throw Error("--shard: '" + s + "' needs 0 <= i < n");
    }
  }
  auto last = std::chrono::steady_clock::now();
  o.progress = [&](const ce::core::ExemplarBuildProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - last).count() < 2.0) return;
    last = now;
    std::fprintf(stderr, "[%3.0f%%] %llu tokens, %.0f tokens/s, eta %s\n", 100.0 * p.fraction,
                 static_cast<unsigned long long>(p.tokens), p.tokens_per_second, format_seconds(p.eta_seconds).c_str());
  };
  ce::core::JobControl control;
  control.cancel = &g_cancel;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  const ce::core::ExemplarBuildResult r = ce::core::build_exemplar_index(*model, o, control);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  print({{"out", o.out_path}, {"basis", ce::core::basis_name(o.basis)}, {"layers", r.info.layers},
         {"neurons", r.info.neurons}, {"top_k", r.info.top_k}, {"context", r.info.context}, {"batch", r.info.batch},
         {"shard", std::to_string(o.shard_index) + "/" + std::to_string(o.shard_count)},
         {"documents", r.documents}, {"windows", r.info.windows_seen}, {"tokens", r.info.tokens_seen},
         {"padded_tokens", r.padded_tokens}, {"windows_stored", r.info.window_count}, {"bytes", r.info.file_bytes},
         {"seconds", r.seconds}, {"tokens_per_second", r.tokens_per_second}});
  return 0;
}

int cmd_exemplars_merge(int argc, char** argv) {
  std::vector<std::string> inputs;
  std::string out;
  for (int i = 2; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--out") {
      if (i + 1 >= argc) throw Error("option --out needs a value");
      out = argv[++i];
    } else if (s.rfind("--", 0) == 0) {
      throw Error("unknown option " + s);
    } else {
      inputs.push_back(s);
    }
  }
  if (out.empty()) throw Error("missing required option --out");
  const ce::core::ExemplarIndexInfo info = ce::core::merge_exemplar_indexes(inputs, out);
  print({{"out", out}, {"inputs", inputs}, {"shards", info.shards}, {"shard_count", info.shard_count},
         {"windows", info.windows_seen}, {"tokens", info.tokens_seen}, {"windows_stored", info.window_count},
         {"bytes", info.file_bytes}});
  return 0;
}

int cmd_write_exemplar_corpus(const Args& a) {
  const auto& world = ce::core::World::united_states();
  const auto& vocabulary = ce::core::SvaVocabulary::standard();
  ce::core::DataSplitOptions so;
  so.seed = parse_seed(a, "seed", ce::core::kDefaultWorldSeed);
  const ce::core::DataSplit split(world, vocabulary, so);
  ce::core::CorpusOptions co;
  co.seed = so.seed;
  const std::string out = a.get("out");
  const ce::core::CorpusStats st = ce::core::CorpusGenerator(world, vocabulary, split, co).write_exemplar_corpus(out);
  print({{"out", out}, {"documents", st.documents}, {"chars", st.chars}});
  return 0;
}

int cmd_neuron(const Args& a) {
  auto model = open_model(a);
  const ce::core::Basis basis = ce::core::parse_basis(a.get("basis", "mlp_act"));
  std::shared_ptr<const ce::core::ExemplarIndex> index;
  if (a.has("index")) {
    index = ce::core::ExemplarIndex::open(a.get("index"));
    index->check_model(*model);
    if (a.has("basis")) index->check_basis(basis);
  } else {
    std::vector<std::string> rejected;
    index = ce::core::find_exemplar_index(*model, basis, &rejected);
    if (!index) {
      std::string why = "no exemplar index for this model's " + std::string(ce::core::basis_name(basis)) +
                        " in its folder or the shipped resources (build one with circuit-trace exemplars, or pass --index)";
      for (size_t i = 0; i < rejected.size(); ++i) why += (i == 0 ? ": " : "; ") + rejected[i];
      throw Error(why);
    }
  }
  const auto [layer, neuron] = parse_neuron(a.get("neuron"));
  const std::string pol = a.get("polarity", "+");
  if (pol != "+" && pol != "-") throw Error("--polarity must be + or -, not '" + pol + "'");
  const int k = a.get_int("top", 0);
  if (k < 0) throw Error("--top must be >= 0 (0 = every stored exemplar)");
  json ex = json::array();
  for (const ce::core::Exemplar& e : index->exemplars(
           layer, neuron, pol == "+" ? ce::core::Polarity::Positive : ce::core::Polarity::Negative, k)) {
    json tokens = json::array();
    for (int id : e.tokens) tokens.push_back(model->token_text(id));
    ex.push_back({{"activation", e.activation}, {"tokens", tokens}, {"ids", e.tokens}, {"max_pos", e.position},
                  {"window", e.window}});
  }
  print({{"neuron", "L" + std::to_string(layer) + "/N" + std::to_string(neuron)},
         {"basis", ce::core::basis_name(index->info().basis)}, {"polarity", pol}, {"exemplars", ex}});
  return 0;
}

int cmd_activations(const Args& a) {
  auto model = open_model(a);
  const std::vector<int> ids = prompt_ids(a, model->tokenizer(), model->tokenizer().default_add_bos());
  const ce::core::Basis basis = ce::core::parse_basis(a.get("basis", "mlp_act"));
  const int layer = Args::parse_int(a.get("layer"), "--layer");
  const int neuron = a.get_int("index", -1);
  if (a.has("index") && neuron < 0) throw Error("--index must be >= 0");
  json out = {{"ids", ids}, {"pieces", pieces_json(model->tokenizer(), ids)},
              {"values", ce::core::layer_activations(*model, ids, basis, layer, neuron)}};
  print(out);
  return 0;
}

std::vector<int> parse_int_list(const std::string& s, const std::string& what) {
  std::vector<int> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(Args::parse_int(item, what));
  return v;
}

int cmd_evaluate(const Args& a) {
  auto model = open_model(a);
  const LoadedData train = load_examples(a, *model, "data", "limit");
  if (!a.has("test")) throw Error("missing required option --test");
  const int test_limit = a.get_int("test-limit", 0);
  if (test_limit < 0) throw Error("--test-limit must be >= 0");
  const auto test = ce::core::load_paired_dataset(a.get("test"), model->tokenizer(), static_cast<size_t>(test_limit));
  ce::core::AttributionOptions o = attribution_options(a);
  if (o.method == ce::core::Method::Exact) throw Error("evaluate: use atp, ig or relp (exact is for validation)");
  const auto ablation = ce::core::parse_ablation(a.get("ablation", "mean"));
  const ce::core::JobControl control = cli_control(a);
  const auto t0 = std::chrono::steady_clock::now();
  const ce::core::AttributionResult effects = ce::core::attribute(*model, train.examples, o, control.sub(0, 0.5));
  const double attribution_seconds = seconds_since(t0);
  const ce::core::CircuitEvaluator ev(*model, test.examples, o.basis, ablation, control.sub(0.5, 0.55));
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
    f << ce::core::curves_csv({{o.method, o.basis, ablation, &curve}});
    f.close();
    if (!f) throw Error(path + ": cannot write the CSV file");
  }
  print({{"method", ce::core::method_name(o.method)}, {"basis", ce::core::basis_name(o.basis)},
         {"ablation", ce::core::ablation_name(ablation)}, {"train", train.summary},
         {"test", {{"file", a.get("test")}, {"used", test.examples.size()}}}, {"m_full", curve.m_full},
         {"m_empty", curve.m_empty}, {"attribution_seconds", attribution_seconds}, {"seconds", total},
         {"points", points}});
  return 0;
}

int cmd_edges(const Args& a) {
  auto model = open_model(a);
  const LoadedData d = load_examples(a, *model);
  ce::core::EdgeOptions o;
  o.top_nodes = a.get_int("top-nodes", 30);
  if (a.has("rules")) o.rules = ce::core::RelpRules::parse(a.get("rules"));
  o.metric = ce::core::parse_metric(a.get("metric", "diff"));
  const ce::core::JobControl control = cli_control(a);
  const auto t0 = std::chrono::steady_clock::now();
  const ce::core::EdgeResult r = ce::core::compute_edges(*model, d.examples.at(0), o, control);
  std::vector<ce::core::Edge> edges = r.edges;
  if (a.has("percent")) edges = ce::core::prune_edges(edges, a.get_double("percent", 100));
  json nodes = json::array();
  for (const auto& n : r.nodes) {
    nodes.push_back({{"name", ce::core::node_name(n.node.layer, n.node.index, n.node.pos)}, {"layer", n.node.layer},
                     {"pos", n.node.pos}, {"index", n.node.index}, {"effect", n.effect}, {"activation", n.activation}});
  }
  json ej = json::array();
  for (const auto& e : edges) {
    ej.push_back({{"src", e.src.name()}, {"dst", e.dst.name()}, {"weight", e.weight}, {"score", e.score}});
  }
  json out = {{"m", r.m}, {"rules", o.rules.to_string()}, {"data", d.summary}, {"seconds", seconds_since(t0)},
              {"nodes", nodes}, {"edges", ej}};
  if (a.flag("curve")) {
    json curve = json::array();
    for (const auto& p : ce::core::edge_curve(*model, d.examples.at(0), r, {1, 2, 5, 10, 20, 50, 100}, control)) {
      curve.push_back({{"percent", p.percent}, {"edges", p.edges}, {"nodes", p.nodes}, {"faithfulness", p.faithfulness}});
    }
    out["curve"] = curve;
  }
  print(out);
  return 0;
}

json top_json(const ce::core::Model& model, const std::vector<float>& logits, int k) {
  json top = json::array();
  for (const auto& t : model.top_k(logits, k)) {
    top.push_back({{"id", t.id}, {"text", t.text}, {"logit", t.logit}, {"prob", t.prob}});
  }
  return top;
}

int cmd_steer(const Args& a) {
  auto model = open_model(a);
  const std::vector<int> ids = prompt_ids(a, model->tokenizer(), model->tokenizer().default_add_bos());
  const auto basis = ce::core::parse_basis(a.get("basis", "mlp_act"));
  std::vector<ce::core::Intervention> ivs;
  for (const std::string& s : a.get_all("scale")) ivs.push_back(ce::core::Intervention::parse(s, basis));
  if (ivs.empty()) throw Error("give at least one --scale L/N=F");
  ce::core::validate_interventions(*model, ivs);
  const int n = a.get_int("max-new-tokens", 8);
  if (n < 0 || n > 10000) throw Error("--max-new-tokens must be in 0..10000");
  const int k = a.get_int("top", 10);
  const std::vector<float> before = model->next_logits(ids);
  const std::vector<float> after = ce::core::next_logits_with(*model, ids, ivs);
  const std::vector<int> gen_before = model->generate(ids, n);
  const std::vector<int> gen = ce::core::generate_with(*model, ids, n, ivs);
  print({{"ids", ids},
         {"interventions", a.get_all("scale")},
         {"before", {{"top", top_json(*model, before, k)}, {"generated", ce::core::continuation_text(*model, gen_before)}}},
         {"after", {{"top", top_json(*model, after, k)}}},
         {"generated", ce::core::continuation_text(*model, gen)}});
  return 0;
}

// The Texas experiment over many state pairs: for each paired prompt (city A -> capital A, city B -> capital B)
// trace both prompts, take the neurons among A's top K but not B's ("A-specific") and the reverse, scale the
// A-specific ones by --suppress and the B-specific ones by --boost on prompt A (at every position), and count
// how often the top-1 answer flips to capital B.
int cmd_steer_pairs(const Args& a) {
  auto model = open_model(a);
  const std::string path = a.get("data", ce::core::default_datasets_dir() + "/capitals_paired.jsonl");
  const int limit = a.get_int("limit", 0);
  if (limit < 0) throw Error("--limit must be >= 0");
  ce::core::PairedDataset data;
  if (a.has("text")) {
    // One pair typed in; unlike attribution, steering by neuron needs no equal lengths (Dallas vs Los Angeles).
    ce::core::AttributionExample ex = ce::core::make_example(model->tokenizer(), a.get("text"), a.get("answer"), a.get("contrast"));
    ex.patch = model->encode(a.get("patch-text"));
    data.examples.push_back(ex);
  } else {
    data = ce::core::load_paired_dataset(path, model->tokenizer(), static_cast<size_t>(limit));
  }
  const int top = a.get_int("top", 20);
  if (top < 1) throw Error("--top must be >= 1");
  const double suppress = a.get_double("suppress", 0.0), boost = a.get_double("boost", 4.0);
  ce::core::AttributionOptions o;
  o.method = ce::core::parse_method(a.get("method", "relp"));
  if (o.method == ce::core::Method::Exact) throw Error("steer-pairs: use atp, ig or relp");
  const ce::core::JobControl control = cli_control(a);
  int flipped = 0, correct_before = 0;
  json examples = json::array();
  for (const auto& e : data.examples) {
    control.check();
    ce::core::AttributionExample other;  // prompt B, traced for its own answer against A's
    other.clean = e.patch;
    other.answer = e.contrast;
    other.contrast = e.answer;
    const ce::core::SpecificNeurons sn = ce::core::specific_neurons(*model, e, other, top, o, control);
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
    const std::vector<float> before = model->next_logits(e.clean), after = ce::core::next_logits_with(*model, e.clean, ivs);
    const int top_before = model->top_k(before, 1)[0].id, top_after = model->top_k(after, 1)[0].id;
    const bool flip = top_after == e.contrast;
    flipped += flip;
    correct_before += top_before == e.answer;
    auto text = [&](const std::vector<int>& ids) {  // without the BOS, which decode would render as "<s>"
      const bool bos = !ids.empty() && ids[0] == model->tokenizer().bos_id();
      return model->tokenizer().decode(std::vector<int>(ids.begin() + (bos ? 1 : 0), ids.end()));
    };
    examples.push_back({{"prompt", text(e.clean)}, {"patch", text(e.patch)},
                        {"before", model->token_text(top_before)}, {"after", model->token_text(top_after)},
                        {"target", model->token_text(e.contrast)}, {"suppressed", a_only}, {"boosted", b_only},
                        {"flipped", flip}});
  }
  const size_t n = data.examples.size();
  print({{"data", a.has("text") ? std::string("--text") : path}, {"pairs", n}, {"method", ce::core::method_name(o.method)}, {"top", top},
         {"suppress", suppress}, {"boost", boost}, {"correct_before", correct_before}, {"flipped", flipped},
         {"success_rate", n ? static_cast<double>(flipped) / static_cast<double>(n) : 0.0}, {"examples", examples}});
  return 0;
}

// First line only: LibTorch errors carry multi-line backtraces.
std::string first_line(const std::string& s) {
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(kUsage, stderr);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  const std::set<std::string> common_valued = {"model", "dtype", "threads"};
  auto with = [&](std::set<std::string> extra) {
    extra.insert(common_valued.begin(), common_valued.end());
    return extra;
  };
  try {
    if (cmd == "info") return cmd_info(Args(argc, argv, 2, {}, with({})));
    if (cmd == "tokenize") {
      return cmd_tokenize(Args(argc, argv, 2, {"no-bos", "chat"}, with({"tokenizer", "text", "system"})));
    }
    if (cmd == "logits") return cmd_logits(Args(argc, argv, 2, {"all", "chat"}, with({"text", "ids", "top", "system"})));
    if (cmd == "generate") {
      return cmd_generate(Args(argc, argv, 2, {"chat"}, with({"text", "ids", "max-new-tokens", "system"})));
    }
    if (cmd == "train-demo") {
      std::string command_line = "circuit-trace";
      for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
      return cmd_train_demo(Args(argc, argv, 2, {"no-eval"},
                                 {"out", "seed", "world-seed", "steps", "config", "datasets", "sva", "threads"}),
                            command_line);
    }
    if (cmd == "eval-demo") {
      return cmd_eval_demo(Args(argc, argv, 2, {"markdown"}, {"model", "sva", "datasets", "max", "world-seed", "threads"}));
    }
    const std::set<std::string> attr_valued = {"data", "limit", "text", "answer", "contrast", "patch-text", "method",
                                               "basis", "metric", "rules", "ig-steps", "batch"};
    if (cmd == "attribute") {
      auto v = with(attr_valued);
      v.insert({"top", "top-candidates"});
      return cmd_attribute(Args(argc, argv, 2, {"progress", "chat"}, v));
    }
    if (cmd == "evaluate") {
      auto v = with(attr_valued);
      v.insert({"test", "test-limit", "ablation", "csv", "counts"});
      return cmd_evaluate(Args(argc, argv, 2, {"progress", "chat"}, v));
    }
    if (cmd == "edges") {
      return cmd_edges(Args(argc, argv, 2, {"progress", "curve", "chat"},
                            with({"text", "answer", "contrast", "patch-text", "top-nodes", "rules", "metric", "percent"})));
    }
    if (cmd == "steer") {
      return cmd_steer(Args(argc, argv, 2, {"chat"}, with({"text", "ids", "scale", "basis", "max-new-tokens", "top", "system"})));
    }
    if (cmd == "steer-pairs") {
      return cmd_steer_pairs(Args(argc, argv, 2, {"progress"}, with({"data", "limit", "top", "suppress", "boost", "method", "text", "answer", "contrast", "patch-text"})));
    }
    if (cmd == "write-datasets") return cmd_write_datasets(Args(argc, argv, 2, {}, {"out", "seed"}));
    if (cmd == "exemplars") {
      return cmd_exemplars(Args(argc, argv, 2, {}, with({"corpus", "out", "basis", "top", "context", "max-tokens",
                                                        "batch", "shard"})));
    }
    if (cmd == "exemplars-merge") return cmd_exemplars_merge(argc, argv);
    if (cmd == "write-exemplar-corpus") return cmd_write_exemplar_corpus(Args(argc, argv, 2, {}, {"out", "seed"}));
    if (cmd == "neuron") return cmd_neuron(Args(argc, argv, 2, {}, with({"index", "neuron", "polarity", "top", "basis"})));
    if (cmd == "activations") {
      return cmd_activations(Args(argc, argv, 2, {"chat"}, with({"text", "ids", "basis", "layer", "index", "system"})));
    }
    std::fprintf(stderr, "circuit-trace: unknown command '%s'\n%s", cmd.c_str(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "circuit-trace: error: %s\n", first_line(e.what()).c_str());
    return 2;
  }
}
