#include "ce/core/circuits/specific_neurons.h"

#include <set>

#include "ce/core/base/error.h"

namespace ce::core {

SpecificNeurons specific_neurons(const Model& model, const AttributionExample& a, const AttributionExample& b,
                                 int top, const AttributionOptions& options, const JobControl& control) {
  if (top < 1) throw Error("the number of top neurons must be >= 1");
  auto top_set = [&](AttributionExample ex, const JobControl& c) {
    ex.patch.clear();  // traced alone: a zero baseline needs no prompt of equal length
    std::set<std::pair<int, int>> s;
    for (const NodeEffect& n : top_nodes(attribute(model, {ex}, options, c), top)) s.insert({n.node.layer, n.node.index});
    return s;
  };
  const auto sa = top_set(a, control.sub(0, 0.5)), sb = top_set(b, control.sub(0.5, 1));
  auto minus = [](const std::set<std::pair<int, int>>& from, const std::set<std::pair<int, int>>& other) {
    std::vector<std::pair<int, int>> out;
    for (const auto& n : from) {
      if (!other.count(n)) out.push_back(n);
    }
    return out;
  };
  return {minus(sa, sb), minus(sb, sa)};
}

}  // namespace ce::core
