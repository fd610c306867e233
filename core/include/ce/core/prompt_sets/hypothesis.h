// Hypothesis scores for a traced prompt set: how well each kept neuron's activation separates the prompts with
// one label value (state = Texas) from the rest, as a ROC-AUC.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ce/core/prompt_sets/set_trace.h"

namespace ce::core {

// ROC-AUC of `scores` for `positive` (Mann-Whitney: the share of (positive, negative) pairs ranked correctly,
// ties count one half). Throws Error unless both classes are present and the sizes match.
double roc_auc(const std::vector<float>& scores, const std::vector<bool>& positive);

// Which activation of a prompt is a neuron's score.
struct ActivationPick {
  bool max = true;    // the maximum over the prompt's positions
  int position = -1;  // else this position: >= 0 from the start, < 0 from the end (-1 = the last token)
  static ActivationPick parse(const std::string& text);  // "max" or an integer; Error otherwise
  std::string to_string() const;
};

struct HypothesisScore {
  int neuron = 0;  // index into SetTrace::neurons
  double auc = 0.5;
};

// Every kept neuron's AUC for `column` == `value`, ordered by |auc - 0.5| descending (ties by neuron order).
// Throws Error for an unknown column, a value no prompt (or every prompt) has, or a position outside a prompt.
std::vector<HypothesisScore> hypothesis_scores(const SetTrace& trace, const std::string& column,
                                               const std::string& value, const ActivationPick& pick = {});

// The neurons whose AUC for `column` == `value` is >= `threshold` (more active on those prompts), as
// (layer, index) ascending: a value's group, the set-wide counterpart of specific_neurons(). Errors as
// hypothesis_scores.
std::vector<std::pair<int, int>> value_neurons(const SetTrace& trace, const std::string& column,
                                               const std::string& value, double threshold,
                                               const ActivationPick& pick = {});

// The `column` label of the traced prompt whose ids are `ids`. Throws Error when no traced prompt has them.
const std::string& label_of(const SetTrace& trace, const std::vector<int>& ids, const std::string& column);

}  // namespace ce::core
