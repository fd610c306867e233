// Which per-layer activations a "neuron" of an exemplar index or an activations query refers to.
#pragma once

#include <cstdint>
#include <string>

#include "ce/core/model_config.h"

namespace ce::core {

// Values are stored in exemplar index files: never renumber.
enum class ActivationBasis : uint32_t {
  MlpAct = 0,  // act(gate) * up, the input of down_proj: intermediate_size neurons per layer
  MlpOut = 1,  // output of down_proj: hidden_size dimensions per layer
};

// "mlp_act" / "mlp_out". Thread-safe.
const char* basis_name(ActivationBasis basis);
// Inverse of basis_name. Throws Error naming the accepted values for anything else.
ActivationBasis parse_basis(const std::string& name);
// Neurons per layer in this basis for a model of `config`.
int64_t basis_width(ActivationBasis basis, const ModelConfig& config);

}  // namespace ce::core
