#include "ce/core/exemplars/exemplar_label.h"

#include <algorithm>

#include "ce/core/model/model.h"

namespace ce::core {

std::vector<MaxTokenCount> max_token_counts(const Model& model, const ExemplarIndex& index, int layer, int neuron,
                                            Polarity polarity, int k) {
  std::vector<MaxTokenCount> out;
  for (const Exemplar& e : index.exemplars(layer, neuron, polarity, k)) {
    if (e.position < 0 || e.position >= static_cast<int>(e.tokens.size())) continue;
    const int id = e.tokens[static_cast<size_t>(e.position)];
    auto it = std::find_if(out.begin(), out.end(), [id](const MaxTokenCount& c) { return c.id == id; });
    if (it == out.end()) {
      out.push_back({id, model.token_text(id), 1});
    } else {
      ++it->count;
    }
  }
  // Stable: equal counts keep the order of first appearance, i.e. of the strongest exemplar.
  std::stable_sort(out.begin(), out.end(), [](const MaxTokenCount& a, const MaxTokenCount& b) { return a.count > b.count; });
  return out;
}

namespace {
std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "\u2423";
  const auto e = s.find_last_not_of(" \t\n");
  return s.substr(b, e - b + 1);
}
}  // namespace

std::string exemplar_label(const Model& model, const ExemplarIndex& index, int layer, int neuron, int k, int tokens) {
  std::string out;
  for (const Polarity p : {Polarity::Positive, Polarity::Negative}) {
    const auto counts = max_token_counts(model, index, layer, neuron, p, k);
    if (counts.empty()) continue;
    if (!out.empty()) out += " / ";
    out += p == Polarity::Positive ? "+ " : "\u2212 ";
    for (size_t i = 0; i < counts.size() && i < static_cast<size_t>(std::max(tokens, 1)); ++i) {
      if (i) out += ", ";
      out += trimmed(counts[i].text);
    }
  }
  return out;
}

}  // namespace ce::core
