// An automatic label for a neuron from its exemplars, for the graph when the user has given none: the tokens
// its strongest exemplars peak on, both polarities ("+ Austin, Texas / − the").
#pragma once

#include <string>
#include <vector>

#include "ce/core/exemplars/exemplar_index.h"

namespace ce::core {

class Model;

struct MaxTokenCount {
  int id = 0;
  std::string text;  // Model::token_text(id)
  int count = 0;     // how many of the exemplars peak on it
};

// The tokens the best `k` exemplars of one polarity of neuron `neuron` of layer `layer` peak on (the token at
// each exemplar's position), by count descending, ties by first appearance among the exemplars (so the
// strongest exemplar's token wins a tie). k = 0 means all stored. Errors as ExemplarIndex::exemplars; throws
// Error for a token id the model lacks (an index of another model: check_model first). Thread-safe.
std::vector<MaxTokenCount> max_token_counts(const Model& model, const ExemplarIndex& index, int layer, int neuron,
                                            Polarity polarity, int k);

// "+ A, B / − C, D": the `tokens` most frequent max tokens of the best `k` exemplars of each polarity, each
// token's text trimmed of surrounding spaces (an all-space token shown as "␣"); a polarity without exemplars
// is left out, and a neuron with none at all gives "". Errors as max_token_counts. Thread-safe.
std::string exemplar_label(const Model& model, const ExemplarIndex& index, int layer, int neuron, int k = 20,
                           int tokens = 2);

}  // namespace ce::core
