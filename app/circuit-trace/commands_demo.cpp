// The demo world: training the embedded demo model, measuring it, and writing its datasets.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "ce/core/model/model.h"
#include "ce/demo/data_split.h"
#include "ce/demo/dataset_writer.h"
#include "ce/demo/demo_evaluator.h"
#include "ce/demo/demo_trainer.h"
#include "ce/demo/sva_vocabulary.h"
#include "ce/demo/world.h"
#include "cli_support.h"
#include "commands.h"

namespace ce::trace {

using ce::core::Error;

namespace {

json eval_json(const ce::core::DemoEvaluation& ev) { return json::parse(ce::core::demo_evaluation_json(ev)); }

Option world_seed_option() {
  return value("world-seed", "S", "seed of the world's split, corpus and datasets",
               std::to_string(ce::core::kDefaultWorldSeed));
}

Option sva_option() {
  return value("sva", "DIR", "also measure the shared SVA test files in DIR (Marks et al.'s *_test.json)");
}

void write_model_card(const std::string& path, const ce::core::DemoTrainResult& r,
                      const ce::core::DemoEvaluation& ev, const std::string& command_line) {
  std::string card =
      "# Geo demo model\n\n"
      "A small Llama trained by Circuit Explorer's own code (`circuit-trace train-demo`) on a "
      "synthetic world: the 50 US states with their capitals and four other cities each "
      "(city -> state, state -> capital and two-hop \"capital of the state containing\" facts; "
      "the two-hop facts of 20 % of the cities are held out of training), subject-verb agreement "
      "sentences of the four task types of Marks et al. 2025, and filler text.\n\n";
  card += ce::core::demo_recipe_markdown(r, command_line) + "\n" + ce::core::demo_evaluation_markdown(ev);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << card;
  f.close();
  if (!f) throw Error(path + ": cannot write");
}

void train_demo(const Args& a) {
  ce::core::DemoTrainOptions o;
  o.out_dir = a.get("out");
  o.datasets_dir = a.get_or("datasets", "");
  o.seed = a.get_u64("seed");
  o.world_seed = a.get_u64("world-seed");
  o.steps = a.get_int("steps");
  if (o.steps < 0) throw Error("--steps must be >= 0 (0 = the preset's default)");
  o.preset = a.get("config");
  o.threads = a.get_int("threads");
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
  const ce::core::DemoTrainResult r = [&] {
    const InterruptCancels interrupt;
    return ce::core::train_demo_model(o, interrupt.control());
  }();

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
    ce::core::LoadOptions lo;
    lo.threads = o.threads;
    const auto model = ce::core::Model::open(o.out_dir, lo);
    ce::core::DemoEvalOptions eo;
    eo.world_seed = o.world_seed;
    eo.shared_sva_dir = a.get_or("sva", "");
    const ce::core::DemoEvaluation ev = ce::core::evaluate_demo_model(*model, eo);
    const std::string card_path = (std::filesystem::path(o.out_dir) / "MODEL_CARD.md").string();
    write_model_card(card_path, r, ev, a.command_line());
    out["files"].push_back(card_path);
    out["evaluation"] = eval_json(ev);
  }
  print(out);
}

void eval_demo(const Args& a) {
  ce::core::LoadOptions lo;
  lo.threads = a.get_int("threads");
  if (lo.threads < 0) throw Error("--threads must be >= 0");
  lo.device = device_from(a);
  const std::string dir = a.has("model") ? a.get("model") : ce::core::default_model_dir();
  const auto model = ce::core::Model::open(dir, lo);
  ce::core::DemoEvalOptions eo;
  eo.shared_sva_dir = a.get_or("sva", "");
  eo.datasets_dir = a.get_or("datasets", "");
  eo.world_seed = a.get_u64("world-seed");
  const int max = a.get_int("max");
  if (max < 0) throw Error("--max must be >= 0 (0 = every item)");
  eo.max_per_set = static_cast<size_t>(max);
  const ce::core::DemoEvaluation ev = ce::core::evaluate_demo_model(*model, eo);
  json out = eval_json(ev);
  out["model"] = dir;
  if (a.flag("markdown")) out["markdown"] = ce::core::demo_evaluation_markdown(ev);
  print(out);
}

void write_datasets(const Args& a) {
  const auto& world = ce::core::World::united_states();
  const auto& vocabulary = ce::core::SvaVocabulary::standard();
  ce::core::DataSplitOptions so;
  so.seed = a.get_u64("seed");
  const ce::core::DataSplit split(world, vocabulary, so);
  ce::core::DatasetOptions dataset_options;
  dataset_options.seed = so.seed;
  const ce::core::DatasetWriter writer(world, vocabulary, split, dataset_options);
  print({{"files", writer.write_all(a.get("out"))}});
}

}  // namespace

std::vector<Command> demo_commands() {
  const ce::core::DemoTrainOptions train_defaults;
  return {
      {"train-demo",
       "train the demo model on the synthetic world (progress on stderr; writes MODEL_CARD.md)",
       {required("out", "DIR", "the model folder to write"),
        value("seed", "S", "seed of the initial weights and data order", std::to_string(train_defaults.seed)),
        world_seed_option(),
        value("steps", "N", "optimizer steps, 0 = the preset's default",
              std::to_string(train_defaults.steps)),
        value("config", "small|tiny", "the model size preset", train_defaults.preset),
        value("datasets", "DIR", "also write the world's datasets into DIR"), sva_option(),
        flag("no-eval", "skip the evaluation and the model card"), threads_option()},
       train_demo,
       ""},
      {"eval-demo",
       "the demo model's accuracies on every evaluation set",
       {value("model", "DIR", "model folder (default: the embedded demo model)"), sva_option(),
        value("datasets", "DIR", "read the datasets from DIR instead of generating them"),
        value("max", "N", "items per set, 0 = every item", "0"), world_seed_option(),
        flag("markdown", "add the accuracies as a Markdown table"), threads_option(), device_option()},
       eval_demo,
       ""},
      {"write-datasets",
       "write the capitals and SVA datasets of the demo world",
       {required("out", "DIR", "the folder to write"),
        value("seed", "S", "seed of the world's split", std::to_string(ce::core::kDefaultWorldSeed))},
       write_datasets,
       ""},
  };
}

}  // namespace ce::trace
