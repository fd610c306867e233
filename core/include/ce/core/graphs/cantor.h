// The Cantor pairing that circuit-tracer and Neuronpedia use to give every transcoder feature (here: every MLP
// neuron) one integer id across layers: a node's "feature" field in the graph JSON and its feature file's name.
#pragma once

#include <cstdint>
#include <utility>

namespace ce::core {

// cantor_pair(layer, index) = (layer + index)(layer + index + 1) / 2 + index, with the layer first as in
// circuit-tracer's Node.feature_node (circuit_tracer/frontend/graph_models.py): pair(0, 0) = 0,
// pair(1, 0) = 1, pair(0, 1) = 2, pair(3, 701) = 248,861. Throws Error("Cantor pairing of (<layer>, <index>)
// exceeds 64 bits") when the value does not fit in uint64. Pure; thread-safe.
uint64_t cantor_pair(uint64_t layer, uint64_t index);

// The inverse: {layer, index} with cantor_pair(layer, index) == feature. Defined for every uint64 (the pairing
// is a bijection onto the naturals), so it never throws. Pure; thread-safe.
std::pair<uint64_t, uint64_t> cantor_unpair(uint64_t feature);

}  // namespace ce::core
