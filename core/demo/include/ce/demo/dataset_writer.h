// Evaluation and attribution datasets of the synthetic world: two-hop capital prompts and paired
// (clean/patch) prompts in the JSON-lines format of Marks et al. 2025.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ce/demo/data_split.h"
#include "ce/demo/sva_vocabulary.h"
#include "ce/demo/world.h"

namespace ce::core {

// One line of capitals.jsonl.
struct CapitalExample {
  std::string prompt;             // "Fact: the capital of the state containing Dallas is"
  std::string answer;             // " Austin"; the whole name for multi-word capitals (" Salt Lake City")
  std::string answer_first_word;  // " Salt": the single piece a top-1 check compares with
  std::string state;
  std::string capital;
  std::string city;
  bool held_out = false;  // the city's two-hop facts were kept out of training
};

// One line in the format of Marks et al.: the model should prefer clean_answer after clean_prefix and
// patch_answer after patch_prefix. Answers carry a leading space and are one word (one piece).
// Prefixes of a pair have the same number of words, hence of tokens under the demo tokenizer.
struct PairedExample {
  std::string clean_prefix;
  std::string patch_prefix;
  std::string clean_answer;
  std::string patch_answer;
  std::string case_label;  // JSON field "case": "capital", "singular", "plural_singular", ...
};

enum class DatasetSplit { kTrain, kTest };

struct DatasetOptions {
  uint64_t seed = kDefaultWorldSeed;
  size_t sva_train_examples = 1000;  // per task
  size_t sva_test_examples = 250;    // per task
};

// Builds the datasets deterministically from (world, vocabulary, split, options).
// SVA sets: the four cases of two-noun tasks (and the two of simple) appear equally often (up to one),
// in seeded order; verbs come from SvaVocabulary::agreement_verbs(). For nounpp and both relative-clause
// tasks the train split uses only noun combinations the corpus trains on and the test split only the
// test-only combinations of DataSplit, so test prefixes never occur in training text. simple has too few
// prefixes to split; its test set differs from train only by draw, and both rely on training sentences
// never ending at the verb.
// Thread rules: immutable after construction; const methods may run concurrently. Copies what it needs.
class DatasetWriter {
 public:
  DatasetWriter(const World& world, const SvaVocabulary& vocabulary, const DataSplit& split,
                const DatasetOptions& options = {});

  // One example per city, in world order, held-out cities included (flagged).
  std::vector<CapitalExample> capitals() const;
  // One pair per trained (not held-out) city, in world order: the patch prefix names a trained city of
  // another state with the same number of words; answers are the capitals' first words (all distinct).
  // case_label is "capital".
  std::vector<PairedExample> paired_capitals() const;
  // Examples of one task and split: clean/patch differ in the agreeing noun's number only (N for simple,
  // N1 for nounpp and rc, N2 for within_rc); case_label is "singular"/"plural" for simple and
  // "<N1 number>_<N2 number>" for the others, as upstream.
  std::vector<PairedExample> sva_pairs(SvaTask task, DatasetSplit split) const;

  // Writes, under `dir` (created if missing; existing files replaced):
  //   capitals.jsonl, capitals_paired.jsonl, sva/<stem>_train.json and sva/<stem>_test.json for the
  //   stems simple, nounpp, rc (across a relative clause) and within_rc.
  // Returns the written paths. Throws Error when a directory or file cannot be written.
  std::vector<std::string> write_all(const std::string& dir) const;

  // One JSON object without newline, fields in the order of the structs above, upstream's ", "/": "
  // separators ({"clean_prefix": "The uncle", ...}).
  static std::string to_json_line(const CapitalExample& example);
  static std::string to_json_line(const PairedExample& example);

 private:
  World world_;
  SvaVocabulary vocabulary_;
  DataSplit split_;
  DatasetOptions options_;
};

}  // namespace ce::core
