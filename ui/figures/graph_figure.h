// The printed circuit graph: the CircuitGraphView's scene (nodes, edges, captions and labels as drawn, the
// token axis under the columns) in a frame with a title (the prompt and the metric) and a legend for colour
// (the sign convention in words) and size (reference circles of |effect|). Reads the view through its
// public API only; GUI thread.
#pragma once

#include <QPainter>
#include <QRectF>
#include <QString>

#include "figures/curves_figure.h"

namespace ce::ui {
class CircuitGraphView;
}

namespace ce::ui::figures {

struct GraphFigureText {
  QString prompt;            // as typed
  QString answer, contrast;  // the traced pair (" Austin", " Sacramento"); contrast may be empty
  QString metric;            // how the effects are measured, e.g. "logit(“ Austin”) − logit(“ Sacramento”)"
  QString caption;           // after the legend's words (method, basis, threshold)
};

// Reference |effect| values for the size key: the largest 1-2-5 number at most `maxEffect`, then smaller
// 1-2-5 steps down to about a tenth of it (3.7 → 2, 1, 0.5). Empty for maxEffect ≤ 0.
std::vector<double> sizeReferences(double maxEffect);

// Draws the graph on `page`; an imported (circuit-tracer) graph gets the feature / error key instead of the
// sign's. Throws ce::core::Error "the graph is empty" when the view shows nothing.
// The scene's token and layer labels are drawn in the figure's text colour whatever the desktop palette
// (their brushes are restored afterwards).
DrawnFigure drawGraphFigure(QPainter& painter, const QRectF& page, const CircuitGraphView& view,
                            const GraphFigureText& text);

}  // namespace ce::ui::figures
