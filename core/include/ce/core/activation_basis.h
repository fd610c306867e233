// Which per-layer activations a "neuron" of an exemplar index or an activations query refers to. The two
// values mirror the first two of the attribution code's Basis (basis.h, on main), under their own names so
// both headers can be included together; the numbers are part of the index file format.
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
const char* activation_basis_name(ActivationBasis basis);
// Inverse of activation_basis_name. Throws Error naming the accepted values for anything else.
ActivationBasis parse_activation_basis(const std::string& name);
// Neurons per layer in this basis for a model of `config`.
int64_t activation_basis_width(ActivationBasis basis, const ModelConfig& config);

}  // namespace ce::core
