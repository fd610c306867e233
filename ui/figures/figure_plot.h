// The small plotting layer of the printed figures: clean axis ticks (1-2-5 steps, log decades), wrapped
// titles and captions (never elided), a legend box and the data lines with their markers, laid out in
// points on any QPainter (SVG, PDF, PNG). Used on the thread that owns the painter; no Qt Widgets.
#pragma once

#include <QPainter>
#include <QPen>
#include <QPointF>
#include <QRectF>
#include <QString>
#include <QStringList>
#include <vector>

#include "figures/figure_style.h"

class QFontMetricsF;

namespace ce::ui::figures {

// An axis's range and tick positions.
struct Ticks {
  double lo = 0, hi = 1;
  std::vector<double> values;
  double step = 0;  // between linear ticks; 0 for log decades
};

// Linear ticks 1, 2 or 5 × 10^k apart, the smallest such step giving at most `maxTicks` ticks; the range
// grows outwards to the ticks enclosing [lo, hi] ([0.13, 0.97] → 0, 0.2, …, 1). A degenerate or reversed
// range is widened around its value. Non-finite input gives the range [0, 1].
Ticks niceTicks(double lo, double hi, int maxTicks = 8);
// Decades 10^floor(log10 lo) … 10^ceil(log10 hi) ([1, 1000] → 1, 10, 100, 1000); lo ≤ 0 counts as 1.
Ticks logDecades(double lo, double hi);
// A linear tick's text with the decimals its step needs ("0.2", "−0.4", "1.0"); the minus is U+2212.
QString tickLabel(double value, double step);
// A decade's text, never cut: "1", "10", "100", "1000", then powers "10⁴", "10⁵" (and "0.1" below 1);
// with `powers`, every decade as a power ("10⁰", "10³", "10⁻¹").
QString decadeLabel(double value, bool powers = false);
// The labels of one log axis in one notation: whole numbers while every decade is below 10⁴, else all powers
// (a reader compares "1000" and "10⁴" side by side; mixed, they read as two scales).
QStringList decadeLabels(const std::vector<double>& values);
// `text` broken at spaces into lines no wider than `width` (a word longer than the line stands alone).
QStringList wrapText(const QString& text, const QFontMetricsF& metrics, double width);

struct Axis {
  QString title;
  bool log = false;
  Ticks ticks;
  QStringList labels;  // one per tick; empty = formatted from the values
  bool grid = true;
};

// One legend row: a line sample (pen; Qt::NoPen for none), a marker, or a filled swatch.
struct LegendEntry {
  QString text;
  QPen pen = QPen(Qt::NoPen);
  Marker marker = Marker::None;
  QColor color;
  bool swatch = false;
};

// Draws a marker of `size` points across centred at `at`, filled with `color` and outlined in white so that
// overlapping markers stay apart.
void drawMarker(QPainter& painter, Marker marker, const QPointF& at, double size, const QColor& color);

// One plot on a page: title on top, axes, a legend at the right (or below when it would take more than
// 30 % of the width), a caption underneath. Set everything, then layout(), then draw.
class Plot {
 public:
  Plot(QPainter& painter, const QRectF& page, const FigureStyle& style = figureStyle());

  void setTitle(const QString& title) { title_ = title; }
  void setCaption(const QString& caption) { caption_ = caption; }
  void setAxes(Axis x, Axis y);
  void setLegend(std::vector<LegendEntry> entries, const QString& heading = QString());
  // Space under the x tick labels that the caller fills (rotated category labels); 0 by default.
  void setExtraBottom(double points) { extraBottom_ = points; }
  // Computes the plot area from the text sizes; returns it.
  QRectF layout();
  QRectF area() const { return area_; }

  // Data coordinates to page points.
  QPointF map(double x, double y) const;
  double mapX(double x) const;
  double mapY(double y) const;

  // Background, grid, axes, ticks and their labels, axis titles, title and caption.
  void drawFrame();
  void drawLegend();
  // A polyline through `points` (data coordinates; non-finite and, on a log axis, non-positive points
  // break it), clipped to the plot area, with markers at points at least `markerSpacing` points apart.
  void drawSeries(const std::vector<QPointF>& points, const QPen& pen, Marker marker = Marker::None,
                  double markerSpacing = 14);

  // Every text drawn so far, in drawing order (what a test reads back).
  const QStringList& texts() const { return texts_; }
  const QStringList& titleLines() const { return titleLines_; }
  QStringList legendTexts() const;

 private:
  void text(const QRectF& box, int flags, const QString& s);
  QSizeF legendSize(double maxWidth, int* columns) const;

  QPainter& p_;
  QRectF page_, area_, legendBox_;
  const FigureStyle& style_;
  QString title_, caption_, legendHeading_;
  Axis x_, y_;
  std::vector<LegendEntry> legend_;
  int legendColumns_ = 1;
  bool legendBelow_ = false;
  double extraBottom_ = 0;
  QStringList titleLines_, captionLines_, texts_;
};

}  // namespace ce::ui::figures
