#include "figures/chart_figures.h"

#include <QFontMetricsF>
#include <algorithm>
#include <cmath>

#include "figures/figure_plot.h"

namespace ce::ui::figures {

QString tokenLabel(const QString& text) {
  QString t = text;
  t.replace(QLatin1Char('\n'), QStringLiteral("\\n"));
  return QStringLiteral("\u201c%1\u201d").arg(t);
}

DrawnFigure drawNextTokenFigure(QPainter& painter, const QRectF& page, const NextTokenFigure& figure) {
  const FigureStyle& style = figureStyle();
  const bool both = !figure.clean.empty() && !figure.edited.empty();
  // Categories: the edited list's tokens in its order, then tokens only the clean run ranks.
  QStringList tokens;
  for (const auto* list : {&figure.edited, &figure.clean}) {
    for (const auto& b : *list) {
      if (!tokens.contains(b.text)) tokens << b.text;
    }
  }
  auto probabilityOf = [](const std::vector<TokenBar>& list, const QString& text) {
    for (const auto& b : list) {
      if (b.text == text) return b.probability;
    }
    return std::nan("");
  };
  const int n = static_cast<int>(tokens.size());
  Plot plot(painter, page, style);
  plot.setTitle(figure.title.isEmpty() ? QStringLiteral("Next token") : figure.title);
  plot.setCaption(figure.caption);
  Axis x;
  x.title = QStringLiteral("probability");
  x.ticks = niceTicks(0, 1, 6);
  Axis y;
  y.grid = false;
  y.ticks.lo = -0.5;
  y.ticks.hi = std::max(n, 1) - 0.5;
  for (int i = 0; i < n; ++i) {
    y.ticks.values.push_back(n - 1 - i);
    y.labels << tokenLabel(tokens[i]);
  }
  plot.setAxes(x, y);
  const QColor editedColor = FigureStyle::seriesColor(0), cleanColor = QColor(0x9a, 0x9a, 0x9a);
  if (both) {
    LegendEntry clean, edited;
    clean.text = QStringLiteral("clean");
    clean.swatch = true;
    clean.color = cleanColor;
    edited.text = QStringLiteral("edited");
    edited.swatch = true;
    edited.color = editedColor;
    plot.setLegend({clean, edited});
  }
  plot.layout();
  plot.drawFrame();
  const QFontMetricsF fm(style.font(style.tickPt), painter.device());
  const double slot = n > 0 ? plot.area().height() / n : 0;
  const double barHeight = slot * (both ? 0.38 : 0.62);
  QStringList values;
  painter.save();
  painter.setFont(style.font(style.tickPt));
  for (int i = 0; i < n; ++i) {
    const double centre = plot.mapY(n - 1 - i);
    struct Bar {
      double p;
      QColor color;
      double offset;
    };
    std::vector<Bar> bars;
    if (both) {
      bars.push_back({probabilityOf(figure.clean, tokens[i]), cleanColor, -barHeight / 2 - 0.5});
      bars.push_back({probabilityOf(figure.edited, tokens[i]), editedColor, barHeight / 2 + 0.5});
    } else {
      const auto& list = figure.edited.empty() ? figure.clean : figure.edited;
      bars.push_back({probabilityOf(list, tokens[i]), editedColor, 0});
    }
    for (const Bar& b : bars) {
      if (!std::isfinite(b.p)) continue;  // not in that run's top k
      const double right = plot.mapX(std::clamp(b.p, 0.0, 1.0));
      const QRectF bar(QPointF(plot.area().left(), centre + b.offset - barHeight / 2),
                       QPointF(right, centre + b.offset + barHeight / 2));
      painter.fillRect(bar, b.color);
      // Three decimals, and "<0.001" rather than a row of "0.000" for the long tail.
      const QString label = b.p < 0.0005 ? QStringLiteral("<0.001") : QString::number(b.p, 'f', 3);
      const double w = fm.horizontalAdvance(label) + 2;
      // Inside the bar's end in white where it would run past the axis, else just after it.
      const bool inside = right + w + 2 > plot.area().right();
      painter.setPen(inside ? Qt::white : style.text);
      const QRectF box = inside ? QRectF(right - w - 1, bar.top(), w, bar.height()) : QRectF(right + 2, bar.top(), w, bar.height());
      painter.drawText(box.adjusted(0, -2, 0, 2), Qt::AlignLeft | Qt::AlignVCenter, label);
      values << label;
    }
  }
  painter.restore();
  plot.drawLegend();
  DrawnFigure drawn{plot.titleLines(), plot.legendTexts(), plot.texts()};
  drawn.texts << values;
  return drawn;
}

DrawnFigure drawSweepFigure(QPainter& painter, const QRectF& page, const SweepFigure& figure) {
  const FigureStyle& style = figureStyle();
  const ce::core::SweepResult& r = figure.result;
  double lo = 0, hi = 1, yHi = 1;
  if (!r.multipliers.empty()) {
    lo = *std::min_element(r.multipliers.begin(), r.multipliers.end());
    hi = *std::max_element(r.multipliers.begin(), r.multipliers.end());
  }
  for (const auto* table : {&r.probability, &r.top1}) {
    for (const auto& row : *table) {
      for (double v : row) {
        if (std::isfinite(v)) yHi = std::max(yHi, v);
      }
    }
  }
  Plot plot(painter, page, style);
  plot.setTitle(figure.title.isEmpty()
                    ? QStringLiteral("Steering %1%2 over %3 prompts")
                          .arg(figure.group.isEmpty() ? QStringLiteral("the group") : figure.group,
                               figure.complement ? QStringLiteral(" (rest ablated)") : QString())
                          .arg(r.prompts)
                    : figure.title);
  QString caption = QStringLiteral("Solid: P(the prompt's own value); dashed: P(any value of the column)");
  if (figure.top1) caption += QStringLiteral("; dotted: share of prompts whose top-1 token is of the class");
  caption += QLatin1Char('.');
  if (!figure.caption.isEmpty()) caption += QLatin1Char(' ') + figure.caption;
  plot.setCaption(caption);
  Axis x;
  x.title = QStringLiteral("multiplier of the group's activations");
  x.ticks = niceTicks(lo, hi, 9);
  Axis y;
  y.title = QStringLiteral("mean probability");
  y.ticks = niceTicks(0, yHi, 6);
  plot.setAxes(x, y);
  struct Line {
    const std::vector<double>* values;
    QPen pen;
    Marker marker;
  };
  std::vector<Line> lines;
  std::vector<LegendEntry> legend;
  auto add = [&](const QString& name, const std::vector<double>& values, size_t column, FigureStyle::Dash dash) {
    const QColor color = FigureStyle::seriesColor(column);
    QPen pen = style.linePen(color, dash);
    const Marker marker = dash == FigureStyle::Dash::Dotted ? Marker::None : FigureStyle::seriesMarker(column);
    lines.push_back({&values, pen, marker});
    LegendEntry e;
    e.text = name;
    e.pen = pen;
    e.marker = marker;
    e.color = color;
    legend.push_back(e);
  };
  for (size_t c = 0; c < r.classes.size() && c < r.probability.size(); ++c) {
    // Classes come in pairs per column: "<column>", "any <column>".
    add(QString::fromStdString(r.classes[c]), r.probability[c], c / 2,
        c % 2 == 0 ? FigureStyle::Dash::Solid : FigureStyle::Dash::Dashed);
  }
  if (figure.top1) {
    for (size_t c = 0; c < r.classes.size() && c < r.top1.size(); ++c)
      add(QString::fromStdString(r.classes[c]) + QStringLiteral(" top-1"), r.top1[c], c / 2, FigureStyle::Dash::Dotted);
  }
  plot.setLegend(legend);
  plot.layout();
  plot.drawFrame();
  for (const Line& l : lines) {
    std::vector<QPointF> points;
    for (size_t m = 0; m < r.multipliers.size() && m < l.values->size(); ++m)
      points.emplace_back(r.multipliers[m], (*l.values)[m]);
    plot.drawSeries(points, l.pen, l.marker, 0);
  }
  plot.drawLegend();
  return {plot.titleLines(), plot.legendTexts(), plot.texts()};
}

}  // namespace ce::ui::figures
