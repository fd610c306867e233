// Accuracy of a model on the synthetic world of the demo model: one-hop and two-hop facts, subject-verb
// agreement. Uses only the public Model API (torch-free).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ce/demo/data_split.h"
#include "ce/core/model/model.h"

namespace ce::core {

struct Accuracy {
  int correct = 0;
  int total = 0;
  double rate() const { return total > 0 ? static_cast<double>(correct) / total : 0.0; }
};

// One evaluated set.
struct DemoEvalSet {
  std::string name;         // "city_state", "sva/simple", "shared/simple_test", ...
  std::string description;  // what is asked and how it is scored, one line
  Accuracy accuracy;
  std::vector<std::string> failures;  // the first few failed items, "prompt -> expected (got ...)"
};

struct DemoEvaluation {
  DemoEvalSet city_state;        // "Fact: the state containing Dallas is" -> " Texas" (every non-capital city)
  DemoEvalSet state_capital;     // "The capital of Texas is" -> " Austin" (50 states)
  DemoEvalSet two_hop_trained;   // "Fact: the capital of the state containing Dallas is" -> " Austin"
  DemoEvalSet two_hop_held_out;  // the same for cities whose two-hop facts were never trained
  std::vector<DemoEvalSet> sva_generated;  // sva/<stem> test split of DatasetWriter, stems in SvaTask order
  std::vector<DemoEvalSet> sva_shared;     // shared/<file> for simple_test, nounpp_test, within_rc_test
  double seconds = 0;
};

struct DemoEvalOptions {
  // Folder with Marks et al. SVA files (simple_test.json, nounpp_test.json, within_rc_test.json); files that
  // are missing are skipped. Empty: skip the shared sets.
  std::string shared_sva_dir;
  // Folder written by DatasetWriter::write_all (capitals.jsonl, sva/<stem>_test.json). Empty: generate the
  // same datasets in memory from world_seed.
  std::string datasets_dir;
  uint64_t world_seed = kDefaultWorldSeed;
  // Evaluate at most this many items per set, spread evenly over it (0 = all), for quick checks.
  size_t max_per_set = 0;
  size_t max_failures = 5;  // failures kept per set
};

// Scoring. Facts: top-1 with teacher forcing over the whole answer (prompt + answer tokenized together; every
// answer token must be the argmax after the tokens before it), so " New York" must give " New" then " York".
// SVA: logit(clean_answer) > logit(patch_answer) after clean_prefix, comparing the answers' first tokens.
// Prompts are encoded with the model's BOS rule. Throws Error when a datasets/shared file is unreadable or
// malformed. Thread rules: as the Model's const methods.
DemoEvaluation evaluate_demo_model(const Model& model, const DemoEvalOptions& options = {});

// A JSON object: {"city_state": {"correct": c, "total": t, "accuracy": a}, ..., "sva": {...}, "shared_sva": {...}}.
std::string demo_evaluation_json(const DemoEvaluation& evaluation);
// A Markdown section ("## Measured accuracy" with a table) for MODEL_CARD.md and the README.
std::string demo_evaluation_markdown(const DemoEvaluation& evaluation);

}  // namespace ce::core
