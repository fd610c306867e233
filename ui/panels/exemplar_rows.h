// Exemplars of one neuron as display rows: the window's text with the token of the recorded activation
// marked. Made on a worker thread (it reads the mapped index and detokenizes), shown on the GUI thread.
#pragma once

#include <QString>
#include <map>
#include <utility>
#include <vector>

#include "ce/core/base/job.h"
#include "ce/core/circuits/attribution.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/model/model.h"

namespace ce::ui {

struct ExemplarRow {
  double activation = 0;
  // The window's tokens as text, the leading BOS left out (it has no text of its own).
  QString text;
  // The token whose activation this is, and its place in `text` (UTF-16 offsets).
  QString maxToken;
  int maxStart = 0;
  // `text` as rich text with the max token in a bold, coloured span.
  QString html;
};

// The best `k` distinct exemplars (ce::core::distinct_exemplars: repeats merged) of neuron L`layer`/N`neuron`
// for `polarity`. Throws ce::core::Error as
// ExemplarIndex::exemplars does.
std::vector<ExemplarRow> exemplarRows(const ce::core::Model& model, const ce::core::ExemplarIndex& index,
                                      int layer, int neuron, ce::core::Polarity polarity, int k);

// The hover text of traced neurons, by (layer, index): the first positive exemplar of each.
using FirstExemplars = std::map<std::pair<int, int>, QString>;

// The first positive exemplar's text of every mlp_act neuron among `nodes`. Worker thread; throws
// ce::core::Cancelled through `control`, and ce::core::Error as exemplarRows.
FirstExemplars firstExemplarTexts(const ce::core::Model& model, const ce::core::ExemplarIndex& index,
                                  const std::vector<ce::core::NodeEffect>& nodes,
                                  const ce::core::JobControl& control);

}  // namespace ce::ui
