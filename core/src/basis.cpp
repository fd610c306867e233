#include "ce/core/basis.h"

#include "ce/core/error.h"

namespace ce::core {

const char* basis_name(Basis basis) {
  switch (basis) {
    case Basis::MlpAct: return "mlp_act";
    case Basis::MlpOut: return "mlp_out";
    case Basis::Attn: return "attn";
    case Basis::Resid: return "resid";
  }
  return "?";
}

Basis parse_basis(const std::string& name) {
  for (Basis b : {Basis::MlpAct, Basis::MlpOut, Basis::Attn, Basis::Resid}) {
    if (name == basis_name(b)) return b;
  }
  throw Error("unknown basis '" + name + "' (expected mlp_act, mlp_out, attn or resid)");
}

int64_t basis_width(Basis basis, const ModelConfig& c) {
  switch (basis) {
    case Basis::MlpAct: return c.intermediate_size;
    case Basis::Attn: return c.num_attention_heads * c.head_dim;
    case Basis::MlpOut:
    case Basis::Resid: return c.hidden_size;
  }
  return 0;
}

std::string node_name(int layer, int index, int pos) {
  std::string s = "L" + std::to_string(layer) + "/N" + std::to_string(index);
  if (pos >= 0) s += "@" + std::to_string(pos);
  return s;
}

}  // namespace ce::core
