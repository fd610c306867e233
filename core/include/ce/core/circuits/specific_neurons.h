// The neurons that set two prompts apart: the basis of the Texas-vs-California steering experiment, shared
// by `circuit-trace steer-pairs` and the explorer's Make Specific Groups.
#pragma once

#include <utility>
#include <vector>

#include "ce/core/circuits/attribution.h"

namespace ce::core {

struct SpecificNeurons {
  std::vector<std::pair<int, int>> mine;    // (layer, index) among a's top k but not b's, ascending
  std::vector<std::pair<int, int>> theirs;  // (layer, index) among b's top k but not a's, ascending
};

// Attributes `a` and `b` each alone (their patch prompts are ignored, so the two prompts may differ in
// length) with `options`, takes each one's top `top` nodes by |effect| as (layer, index) pairs, position
// dropped, and returns the two set differences. Progress: a in [0, 0.5], b in [0.5, 1]. Errors and thread
// rules as attribute(); throws Error for top < 1.
SpecificNeurons specific_neurons(const Model& model, const AttributionExample& a, const AttributionExample& b,
                                 int top, const AttributionOptions& options, const JobControl& control = {});

}  // namespace ce::core
