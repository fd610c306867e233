// Mean-ablation values for a single traced prompt, taken from a dataset's patch prompts of the same length.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/base/job.h"
#include "ce/core/circuits/basis.h"
#include "ce/core/model/model.h"

namespace ce::core {

class DictionarySet;

struct PromptMeanAblation {
  // One value per node asked for, in their order; empty when no dataset has a fitting patch prompt.
  std::vector<float> values;
  // Where the values come from ("mean over the 135 patch prompts of capitals_paired.jsonl with this
  // prompt's length"), followed by the files passed over and why; or, without values, why none fits.
  std::string source;
};

// Each node's mean activation over the patch prompts of `dataset` (a paired JSON Lines file, may be empty)
// that have `length` tokens, so that positions line up with the prompt's: the mean ablation of
// CircuitEvaluator restricted to those prompts. Where none of them fits, the shipped
// datasets/capitals_paired.jsonl is tried next. A file that cannot be read or evaluated is passed over
// with its error in `source`; no dataset fitting is no error. Nodes' positions must be < `length`. For
// Basis::Features pass the dictionaries (an error node's value is the mean error's norm: show it, don't set it).
// Thread rules as CircuitEvaluator (any thread, the model shared read-only); throws Cancelled through
// `control`, nothing else.
PromptMeanAblation prompt_mean_ablation(const Model& model, size_t length, Basis basis,
                                        const std::string& dataset, const std::vector<NodeRef>& nodes,
                                        const JobControl& control = {},
                                        std::shared_ptr<const DictionarySet> dictionaries = {});

}  // namespace ce::core
