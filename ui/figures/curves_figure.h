// The printed curves figure: faithfulness (solid) and completeness (dashed) of circuits against their size,
// log x with decade ticks, one colour and marker shape per method × basis, a legend naming
// each series. Drawn by the explorer's Export Curves and by `circuit-trace plot-curves`.
#pragma once

#include <QPainter>
#include <QRectF>
#include <QString>
#include <QStringList>
#include <vector>

#include "ce/core/circuits/circuit_evaluator.h"

namespace ce::ui::figures {

struct CurvesFigure {
  std::vector<ce::core::CurveRecord> curves;
  // Empty: "Faithfulness and completeness against circuit size".
  QString title;
  // Said after the line key and the ablation (the dataset and model, where the caller knows them).
  QString caption;
  // Whether the top-n circuits of `--counts` (threshold −1) join the threshold points; the explorer's
  // marker points are of another circuit and stay out.
  bool countPoints = true;
};

// What a drawing showed (for tests and the CLI's report).
struct DrawnFigure {
  QStringList titleLines, legend, texts;
};

// A series' legend name: "relp · mlp_act" (with " · zero" for zero ablation).
QString curveName(const ce::core::CurveRecord& curve);
// Draws the figure on `page` (points). Curves without a drawable point still get their legend entry.
DrawnFigure drawCurvesFigure(QPainter& painter, const QRectF& page, const CurvesFigure& figure);

}  // namespace ce::ui::figures
