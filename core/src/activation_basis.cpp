#include "ce/core/activation_basis.h"

#include "ce/core/error.h"

namespace ce::core {

const char* activation_basis_name(ActivationBasis basis) {
  switch (basis) {
    case ActivationBasis::MlpAct: return "mlp_act";
    case ActivationBasis::MlpOut: return "mlp_out";
  }
  return "unknown";
}

ActivationBasis parse_activation_basis(const std::string& name) {
  if (name == "mlp_act") return ActivationBasis::MlpAct;
  if (name == "mlp_out") return ActivationBasis::MlpOut;
  throw Error("unknown basis '" + name + "' (expected mlp_act or mlp_out)");
}

int64_t activation_basis_width(ActivationBasis basis, const ModelConfig& config) {
  return basis == ActivationBasis::MlpAct ? config.intermediate_size : config.hidden_size;
}

}  // namespace ce::core
