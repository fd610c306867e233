// Per-position activations of one layer in a neuron basis: what the exemplar index ranks, for one text.
#pragma once

#include <vector>

#include "ce/core/circuits/basis.h"

namespace ce::core {

class Model;

// Runs `ids` (one sequence, no padding) through the model without gradients and returns the activations of
// `layer` in `basis`: [tokens][neurons], or [tokens][1] holding only neuron `neuron` when neuron >= 0. Values
// are those the exemplar builder sees for the same window (up to float rounding of a different batch shape).
// Thread-safe like Model's const methods. Throws Error for empty ids, ids outside the vocabulary, or a
// layer/neuron out of range.
std::vector<std::vector<float>> layer_activations(const Model& model, const std::vector<int>& ids,
                                                  Basis basis, int layer, int neuron = -1);

}  // namespace ce::core
