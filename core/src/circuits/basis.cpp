#include "ce/core/circuits/basis.h"

#include <cctype>
#include <limits>

#include "ce/core/base/error.h"
#include "io/loader_util.h"

namespace ce::core {

const char* basis_name(Basis basis) {
  switch (basis) {
    case Basis::MlpAct: return "mlp_act";
    case Basis::MlpOut: return "mlp_out";
    case Basis::Attn: return "attn";
    case Basis::Resid: return "resid";
    case Basis::Features: return "sae";
  }
  return "?";
}

Basis parse_basis(const std::string& name) {
  for (Basis b : {Basis::MlpAct, Basis::MlpOut, Basis::Attn, Basis::Resid, Basis::Features}) {
    if (name == basis_name(b)) return b;
  }
  // Cut short: the name may come from a file (a session), which must not be echoed whole.
  throw Error("unknown basis '" + detail::printable(name, false, 60) +
              "' (expected mlp_act, mlp_out, attn, resid or sae)");
}

std::pair<Basis, std::string> split_basis_spec(const std::string& spec) {
  const std::string prefix = std::string(basis_name(Basis::Features)) + ":";
  if (spec.compare(0, prefix.size(), prefix) == 0) {
    const std::string rest = spec.substr(prefix.size());
    if (rest.empty()) throw Error("basis 'sae:': name the dictionaries (sae:PATH or sae:NAME)");
    return {Basis::Features, rest};
  }
  const Basis basis = parse_basis(spec);
  if (basis == Basis::Features) {
    throw Error("basis 'sae' needs its dictionaries: sae:PATH (a dictionary folder or a folder of them) or "
                "sae:NAME (shipped beside the model)");
  }
  return {basis, std::string()};
}

int64_t basis_width(Basis basis, const ModelConfig& c) {
  switch (basis) {
    case Basis::MlpAct: return c.intermediate_size;
    case Basis::Attn: return c.num_attention_heads * c.head_dim;
    case Basis::MlpOut:
    case Basis::Resid: return c.hidden_size;
    case Basis::Features:
      throw Error("the width of the feature basis depends on its dictionaries (d_sae + 1)");
  }
  return 0;
}

std::string node_name(Basis basis, int layer, int index, int pos) {
  std::string s = "L" + std::to_string(layer) + (basis == Basis::Features ? "/F" : "/N") + std::to_string(index);
  if (pos >= 0) s += "@" + std::to_string(pos);
  return s;
}

std::string node_name(int layer, int index, int pos) { return node_name(Basis::MlpAct, layer, index, pos); }

std::string error_node_name(int layer, int pos) {
  std::string s = "L" + std::to_string(layer) + "/error";
  if (pos >= 0) s += "@" + std::to_string(pos);
  return s;
}

std::string display_name(Basis basis, int layer, int index, int error_index, int pos) {
  if (basis != Basis::Features || index != error_index) return node_name(basis, layer, index, pos);
  return error_node_name(layer, pos);
}

namespace {

// Reads the digits at text[i...] as a non-negative int; false when there are none or they overflow.
bool read_number(const std::string& text, size_t& i, int& out) {
  const size_t start = i;
  long long v = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    v = v * 10 + (text[i] - '0');
    if (v > std::numeric_limits<int>::max()) return false;
    ++i;
  }
  out = static_cast<int>(v);
  return i > start;
}

std::string elided(const std::string& text) { return text.size() <= 60 ? text : text.substr(0, 57) + "..."; }

}  // namespace

NodeRef parse_node_name(const std::string& text) {
  NodeRef n;
  n.pos = -1;
  size_t i = 0;
  auto letter = [&](char upper) {
    if (i < text.size() && std::toupper(static_cast<unsigned char>(text[i])) == upper) ++i;
  };
  letter('L');
  bool ok = read_number(text, i, n.layer) && i < text.size() && text[i++] == '/';
  if (ok) {
    if (i < text.size() && std::toupper(static_cast<unsigned char>(text[i])) == 'F') {
      ++i;
    } else {
      letter('N');
    }
    ok = read_number(text, i, n.index);
  }
  if (ok && i < text.size() && text[i] == '@') {
    ++i;
    ok = read_number(text, i, n.pos);
  }
  if (!ok || i != text.size()) {
    throw Error("bad node '" + elided(text) + "' (expected LAYER/INDEX or LAYER/INDEX@POS, e.g. L3/N701 or L3/N701@9)");
  }
  return n;
}

}  // namespace ce::core
