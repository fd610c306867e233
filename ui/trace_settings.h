// What a trace asks for: the typed prompt fields and the attribution parameters.
#pragma once

#include <QString>

#include "ce/core/attribution.h"
#include "ce/core/basis.h"

namespace ce::ui {

struct TraceSettings {
  QString prompt, answer, contrast, patch;
  ce::core::Method method = ce::core::Method::RelP;
  ce::core::Basis basis = ce::core::Basis::MlpAct;
  ce::core::Metric metric = ce::core::Metric::Diff;
  int topK = 60;
  bool edges = true;
};

}  // namespace ce::ui
