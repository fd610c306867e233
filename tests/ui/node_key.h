// The NodeKey of a node given as layer, position and index, for the unit suites of ui/state.
#pragma once

#include "state/intervention_state.h"

namespace ce::test {

inline ce::ui::NodeKey key(int layer, int pos, int index, ce::core::Basis basis = ce::core::Basis::MlpAct) {
  ce::ui::NodeKey k;
  k.basis = basis;
  k.node.layer = layer;
  k.node.pos = pos;
  k.node.index = index;
  return k;
}

}  // namespace ce::test
