// Steering sweeps over a prompt set: scale a group of neurons by each of several multipliers at every position
// of every prompt, and measure the probability of each kind of answer (the prompt's own capital, any capital,
// its state, its city...).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ce/core/base/job.h"
#include "ce/core/circuits/basis.h"
#include "ce/core/prompt_sets/prompt_set.h"

namespace ce::core {

class DictionarySet;
class Model;

struct SweepOptions {
  std::vector<double> multipliers{-4, -2, -1, 0, 1, 2, 4};
  // Label columns naming answer classes; each gives two classes: "<column>" (the first token of " <the prompt's
  // own value>") and "any <column>" (the first tokens of every distinct value of the column in the set).
  std::vector<std::string> columns{"capital", "state", "city"};
  // Neurons set to zero at every multiplier besides the group's scaling: the kept neurons outside the group
  // (complement mode). Empty: none.
  std::vector<std::pair<int, int>> ablate;
  PromptFormat format = PromptFormat::Plain;
  int batch = 64;
  // The basis of the group and `ablate`: MlpAct (neurons), or Features with `dictionaries` (features; index
  // d_sae scales or ablates a layer's whole error vector).
  Basis basis = Basis::MlpAct;
  std::shared_ptr<const DictionarySet> dictionaries;
};

struct SweepResult {
  std::vector<double> multipliers;
  std::vector<std::string> classes;                // in order: per column "<column>", "any <column>"
  std::vector<std::vector<double>> probability;    // [class][multiplier] mean over prompts of P(class)
  std::vector<std::vector<double>> top1;           // [class][multiplier] share of prompts whose top-1 is of it
  int prompts = 0;
};

// Runs the sweep for `neurons` ((layer, index) of options.basis). Progress per multiplier; Cancelled when
// cancelled. Throws Error for an empty set or neuron list, a neuron outside the model (or a feature outside its
// set), a basis other than mlp_act or sae, a non-finite multiplier, or a column some prompt lacks. Thread rules
// as attribute().
SweepResult sweep(const Model& model, const PromptSet& set, const std::vector<std::pair<int, int>>& neurons,
                  const SweepOptions& options, const JobControl& control = {});

// The result as CSV: "multiplier,<class> p,...,<class> top1,...,prompts" one row per multiplier.
std::string sweep_csv(const SweepResult& result);
// The inverse of sweep_csv, for plotting a saved sweep. Throws Error "<name>: ..." for a header not made by
// sweep_csv, a row of the wrong length, or a value that is not a number.
SweepResult parse_sweep_csv(const std::string& text, const std::string& name);

}  // namespace ce::core
