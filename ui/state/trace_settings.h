// What a trace asks for: the typed prompt fields and the attribution parameters.
#pragma once

#include <QString>

#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/basis.h"

namespace ce::ui {

struct TraceSettings {
  QString prompt, answer, contrast, patch;
  ce::core::Method method = ce::core::Method::RelP;
  ce::core::Basis basis = ce::core::Basis::MlpAct;
  // Basis::Features only: the folder of the dictionary set whose features are the nodes.
  QString dictionaries;
  ce::core::Metric metric = ce::core::Metric::Diff;
  int topK = 60;
  // Nodes with |effect| below it are hidden (and count as outside the circuit); 0 shows all top-k nodes.
  double threshold = 0;
  bool edges = true;
  // The prompts go through the model's chat format (one user message, the assistant's turn opened).
  bool chat = false;
};

}  // namespace ce::ui
