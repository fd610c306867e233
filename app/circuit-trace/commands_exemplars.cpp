// Neuron exemplars: building and merging exemplar indexes, reading a neuron's exemplars, recomputing
// activations, and the demo world's held-out corpus they are built from.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "ce/core/base/error.h"
#include "ce/core/circuits/basis.h"
#include "ce/core/exemplars/exemplar_builder.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/exemplars/layer_activations.h"
#include "ce/core/model/model.h"
#include "ce/core/tokenizer/tokenizer.h"
#include "ce/demo/corpus_generator.h"
#include "ce/demo/data_split.h"
#include "ce/demo/sva_vocabulary.h"
#include "ce/demo/world.h"
#include "cli_support.h"
#include "commands.h"
#include "shard_spec.h"

namespace ce::trace {

using ce::core::Error;

namespace {

Option basis_option() {
  return value("basis", "mlp_act|mlp_out|attn|resid|sae:PATH",
               "the basis whose coordinates are the neurons (sae:PATH: the features of those dictionaries)",
               "mlp_act");
}

int positive_int(const Args& a, const std::string& name) {
  const int v = a.get_int(name);
  if (v < 1) throw Error("--" + name + " must be >= 1");
  return v;
}

void exemplars(const Args& a) {
  // Before the model loads, so that a misconfigured array task fails in milliseconds, not after a load.
  const ShardSpec shard = a.has("shard")
                              ? parse_shard(a.get("shard"), [](const char* n) { return std::getenv(n); })
                              : ShardSpec{};
  if (shard.source != "option") {
    std::fprintf(stderr, "shard %d/%d from %s (%s)\n", shard.index, shard.count,
                 shard.source == "slurm" ? "a Slurm array job" : "a Kubernetes Indexed Job",
                 shard.detail.c_str());
  }
  auto model = open_model(a);
  ce::core::ExemplarBuildOptions o;
  o.corpus_path = a.get("corpus");
  o.out_path = a.get("out");
  const BasisArg basis = basis_arg(a, *model);
  o.basis = basis.basis;
  o.dictionaries = basis.dictionaries;
  o.top_k = positive_int(a, "top");
  o.context = positive_int(a, "context");
  o.batch = positive_int(a, "batch");
  o.max_tokens = a.get_u64("max-tokens");
  o.shard_index = shard.index;
  o.shard_count = shard.count;
  auto last = std::chrono::steady_clock::now();
  o.progress = [&](const ce::core::ExemplarBuildProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - last).count() < 2.0) return;
    last = now;
    std::fprintf(stderr, "[%3.0f%%] %llu tokens, %.0f tokens/s, eta %s\n", 100.0 * p.fraction,
                 static_cast<unsigned long long>(p.tokens), p.tokens_per_second,
                 format_seconds(p.eta_seconds).c_str());
  };
  const ce::core::ExemplarBuildResult r = [&] {
    const InterruptCancels interrupt;
    return ce::core::build_exemplar_index(*model, o, interrupt.control());
  }();
  print({{"out", o.out_path},
         {"basis", ce::core::basis_name(o.basis)},
         {"layers", r.info.layers},
         {"neurons", r.info.neurons},
         {"top_k", r.info.top_k},
         {"context", r.info.context},
         {"batch", r.info.batch},
         {"shard", std::to_string(o.shard_index) + "/" + std::to_string(o.shard_count)},
         {"shard_source", shard.source},
         {"documents", r.documents},
         {"windows", r.info.windows_seen},
         {"tokens", r.info.tokens_seen},
         {"padded_tokens", r.padded_tokens},
         {"windows_stored", r.info.window_count},
         {"bytes", r.info.file_bytes},
         {"seconds", r.seconds},
         {"tokens_per_second", r.tokens_per_second}});
}

void exemplars_merge(const Args& a) {
  const std::string out = a.get("out");
  const ce::core::ExemplarIndexInfo info = ce::core::merge_exemplar_indexes(a.operands(), out);
  print({{"out", out},
         {"inputs", a.operands()},
         {"shards", info.shards},
         {"shard_count", info.shard_count},
         {"windows", info.windows_seen},
         {"tokens", info.tokens_seen},
         {"windows_stored", info.window_count},
         {"bytes", info.file_bytes}});
}

void write_exemplar_corpus(const Args& a) {
  const auto& world = ce::core::World::united_states();
  const auto& vocabulary = ce::core::SvaVocabulary::standard();
  ce::core::DataSplitOptions so;
  so.seed = a.get_u64("seed");
  const ce::core::DataSplit split(world, vocabulary, so);
  ce::core::CorpusOptions co;
  co.seed = so.seed;
  const std::string out = a.get("out");
  const ce::core::CorpusStats st =
      ce::core::CorpusGenerator(world, vocabulary, split, co).write_exemplar_corpus(out);
  print({{"out", out}, {"documents", st.documents}, {"chars", st.chars}});
}

// The index given by --index, else the one find_exemplar_index finds for the model and basis.
std::shared_ptr<const ce::core::ExemplarIndex> neuron_index(const Args& a, const ce::core::Model& model,
                                                            const BasisArg& basis) {
  if (a.has("index")) {
    auto index = ce::core::ExemplarIndex::open(a.get("index"));
    index->check_model(model);
    if (a.has("basis")) index->check_basis(basis.basis);
    if (basis.dictionaries) index->check_dictionaries(*basis.dictionaries);
    return index;
  }
  std::vector<std::string> rejected;
  auto index = ce::core::find_exemplar_index(model, basis.basis, &rejected, basis.dictionaries.get());
  if (index) return index;
  std::string why =
      "no exemplar index for this model's " + std::string(ce::core::basis_name(basis.basis)) +
      (basis.dictionaries ? " features of " + basis.dictionaries->path() + " in the set's folder, the model's folder"
                          : std::string(" in its folder")) +
      " or the shipped resources (build one with circuit-trace exemplars, or pass --index)";
  for (size_t i = 0; i < rejected.size(); ++i) why += (i == 0 ? ": " : "; ") + rejected[i];
  throw Error(why);
}

void neuron(const Args& a) {
  auto model = open_model(a);
  const BasisArg basis = basis_arg(a, *model);
  const auto index = neuron_index(a, *model, basis);
  const ce::core::NodeRef node = ce::core::parse_node_name(a.get("neuron"));
  if (basis.dictionaries && node.index == basis.dictionaries->error_index()) {
    throw Error("--neuron " + a.get("neuron") + " is the error node of " + basis.dictionaries->name() +
                ": it stands for what the dictionary misses and has no exemplars");
  }
  // An index stores a neuron's exemplars over every position, so a position would be silently ignored.
  if (node.pos >= 0) throw Error("--neuron: give L/N without a position, not '" + a.get("neuron") + "'");
  const std::string pol = a.get("polarity");
  if (pol != "+" && pol != "-") throw Error("--polarity must be + or -, not '" + pol + "'");
  const int k = a.get_int("top");
  if (k < 0) throw Error("--top must be >= 0 (0 = every stored exemplar)");
  json ex = json::array();
  const auto polarity = pol == "+" ? ce::core::Polarity::Positive : ce::core::Polarity::Negative;
  for (const ce::core::Exemplar& e : ce::core::distinct_exemplars(*index, node.layer, node.index, polarity, k)) {
    json tokens = json::array();
    for (int id : e.tokens) tokens.push_back(model->token_text(id));
    ex.push_back({{"activation", e.activation},
                  {"tokens", tokens},
                  {"ids", e.tokens},
                  {"max_pos", e.position},
                  {"window", e.window}});
  }
  print({{"neuron", ce::core::node_name(node.layer, node.index)},
         {"basis", ce::core::basis_name(index->info().basis)},
         {"polarity", pol},
         {"exemplars", ex}});
}

void activations(const Args& a) {
  auto model = open_model(a);
  const std::vector<int> ids = prompt_ids(a, model->tokenizer(), model->tokenizer().default_add_bos());
  const ce::core::Basis basis = ce::core::parse_basis(a.get("basis"));
  const int layer = a.get_int("layer");
  const int neuron = a.has("index") ? a.get_int("index") : -1;
  if (a.has("index") && neuron < 0) throw Error("--index must be >= 0");
  json out = {{"ids", ids},
              {"pieces", pieces_json(model->tokenizer(), ids)},
              {"values", ce::core::layer_activations(*model, ids, basis, layer, neuron)}};
  print(out);
}

}  // namespace

std::vector<Command> exemplar_commands() {
  const ce::core::ExemplarBuildOptions d;
  return {
      {"exemplars", "build an exemplar index: each neuron's top windows of a corpus (progress on stderr)",
       options({{required("corpus", "FILE", "the corpus: .txt (one document a line) or .jsonl"),
                 required("out", "INDEX", "the index file to write"), basis_option(),
                 value("top", "K", "exemplars kept per neuron and polarity", std::to_string(d.top_k)),
                 value("context", "C", "tokens per window", std::to_string(d.context)),
                 value("max-tokens", "N", "stop after N corpus tokens, 0 = the whole corpus",
                       std::to_string(d.max_tokens)),
                 value("batch", "B", "windows per forward pass", std::to_string(d.batch)),
                 value("shard", "i/n|auto|auto/N",
                       "build shard i of n (merge the shards with exemplars-merge); auto: i and n from a Slurm "
                       "array job, or i from a Kubernetes Indexed Job and n from auto/N")},
                model_options()}),
       exemplars, ""},
      {"exemplars-merge",
       "merge the shards of one exemplar build into one index",
       {required("out", "INDEX", "the index file to write")},
       exemplars_merge,
       "SHARD..."},
      {"write-exemplar-corpus",
       "write the held-out exemplar corpus of the demo world",
       {required("out", "FILE", "the corpus file to write"),
        value("seed", "S", "seed of the world's split", std::to_string(ce::core::kDefaultWorldSeed))},
       write_exemplar_corpus,
       ""},
      {"neuron", "a neuron's exemplars from an exemplar index",
       options(
           {{required("neuron", "L/N", "the neuron: layer and index, e.g. 2/117 or L2/N117"),
             value("index", "INDEX", "the exemplar index (default: the one found for the model and basis)"),
             value("polarity", "+|-", "the largest (+) or the smallest (-) activations", "+"),
             value("top", "K", "exemplars to list, 0 = every stored one", "0"), basis_option()},
            model_options()}),
       neuron, ""},
      {"activations", "one layer's activations at every position of a prompt",
       options({prompt_options(),
                {required("layer", "L", "the layer"), basis_option(),
                 value("index", "N", "only neuron N (default: every neuron of the layer)")},
                model_options()}),
       activations, ""},
  };
}

}  // namespace ce::trace
