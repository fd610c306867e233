#include "figures/curves_figure.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "figures/figure_plot.h"

namespace ce::ui::figures {

QString curveName(const ce::core::CurveRecord& c) {
  QString basis = QString::fromLatin1(ce::core::basis_name(c.basis));
  if (!c.dictionaries.empty()) basis += QLatin1Char(':') + QString::fromStdString(c.dictionaries);
  QString name = QStringLiteral("%1 \u00b7 %2").arg(QString::fromLatin1(ce::core::method_name(c.method)), basis);
  if (c.ablation != ce::core::Ablation::Mean)
    name += QStringLiteral(" \u00b7 ") + QString::fromLatin1(ce::core::ablation_name(c.ablation));
  return name;
}

namespace {

std::vector<ce::core::CurvePoint> drawable(const ce::core::CurveRecord& c, bool countPoints) {
  std::vector<ce::core::CurvePoint> points;
  for (const auto& p : c.curve.points) {
    if (p.nodes > 0 && (p.threshold >= 0 || countPoints)) points.push_back(p);
  }
  std::stable_sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.nodes < b.nodes; });
  // A size reached both by a threshold and by a count is one circuit: drawn once.
  points.erase(std::unique(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.nodes == b.nodes; }),
               points.end());
  return points;
}

}  // namespace

DrawnFigure drawCurvesFigure(QPainter& painter, const QRectF& page, const CurvesFigure& figure) {
  const FigureStyle& style = figureStyle();
  double maxNodes = 10, yLo = 0, yHi = 1;
  std::set<ce::core::Ablation> ablations;
  std::vector<std::vector<ce::core::CurvePoint>> points;
  for (const auto& c : figure.curves) {
    points.push_back(drawable(c, figure.countPoints));
    ablations.insert(c.ablation);
    for (const auto& p : points.back()) {
      maxNodes = std::max(maxNodes, static_cast<double>(p.nodes));
      for (double v : {p.faithfulness, p.completeness}) {
        if (!std::isfinite(v)) continue;
        yLo = std::min(yLo, v);
        yHi = std::max(yHi, v);
      }
    }
  }
  Plot plot(painter, page, style);
  plot.setTitle(figure.title.isEmpty() ? QStringLiteral("Faithfulness and completeness against circuit size")
                                       : figure.title);
  QString caption = QStringLiteral("Solid: faithfulness; dashed: completeness");
  if (ablations.size() == 1)
    caption += QStringLiteral("; %1 ablation").arg(QString::fromLatin1(ce::core::ablation_name(*ablations.begin())));
  caption += QLatin1Char('.');
  if (!figure.caption.isEmpty()) caption += QLatin1Char(' ') + figure.caption;
  plot.setCaption(caption);
  Axis x;
  x.title = QStringLiteral("nodes in the circuit");
  x.log = true;
  x.ticks = logDecades(1, maxNodes);
  Axis y;
  y.title = QStringLiteral("normalised metric");
  // Scores a hair outside [0, 1] (1.01, −0.005) widen the axis to them, not by a whole tick step.
  const bool slight = yLo > -0.05 && yHi < 1.05;
  y.ticks = niceTicks(slight ? 0 : yLo, slight ? 1 : yHi);
  if (slight) y.ticks.lo = std::min(0.0, yLo) - 0.01, y.ticks.hi = std::max(1.0, yHi) + 0.01;
  plot.setAxes(x, y);
  std::vector<LegendEntry> legend;
  std::vector<QColor> colors;
  for (size_t i = 0; i < figure.curves.size(); ++i) {
    const QColor color = FigureStyle::seriesColor(i);
    colors.push_back(color);
    LegendEntry e;
    e.text = curveName(figure.curves[i]);
    e.pen = style.linePen(color, FigureStyle::Dash::Solid);
    e.marker = FigureStyle::seriesMarker(i);
    e.color = color;
    legend.push_back(e);
  }
  plot.setLegend(legend);
  plot.layout();
  plot.drawFrame();
  // Completeness first, so that the solid faithfulness lines and their markers lie on top.
  for (size_t i = 0; i < points.size(); ++i) {
    std::vector<QPointF> k;
    for (const auto& p : points[i]) k.emplace_back(p.nodes, p.completeness);
    plot.drawSeries(k, style.linePen(colors[i], FigureStyle::Dash::Dashed));
  }
  for (size_t i = 0; i < points.size(); ++i) {
    std::vector<QPointF> f;
    for (const auto& p : points[i]) f.emplace_back(p.nodes, p.faithfulness);
    plot.drawSeries(f, style.linePen(colors[i], FigureStyle::Dash::Solid), legend[i].marker);
  }
  plot.drawLegend();
  return {plot.titleLines(), plot.legendTexts(), plot.texts()};
}

}  // namespace ce::ui::figures
