// The one style of every printed figure (curves, graph, next-token chart, sweeps): fonts in points, a palette
// that colour-blind readers and greyscale printers keep apart (Okabe-Ito, with marker shapes and dash
// patterns as a second cue), line widths in points, and the physical size of a figure. Figures are drawn in
// points (1/72 in) whatever the output: SVG, PDF and PNG at a DPI.
#pragma once

#include <QColor>
#include <QFont>
#include <QPen>
#include <QString>
#include <optional>

namespace ce::ui::figures {

enum class Unit { Cm, Inch };

// "cm" or "in".
QString unitName(Unit unit);
// "cm", "in" (also "inch"); nullopt otherwise.
std::optional<Unit> parseUnit(const QString& text);
// A length in points (72 per inch, 2.54 cm per inch).
double toPoints(double length, Unit unit);

// What to write and how large: the format comes from the path's suffix (.svg, .pdf, .png); `dpi` is used by
// PNG only (the image is width × dpi pixels across).
struct FigureSpec {
  QString path;
  double width = 12, height = 8;
  Unit unit = Unit::Cm;
  int dpi = 300;
  double widthPt() const { return toPoints(width, unit); }
  double heightPt() const { return toPoints(height, unit); }
};

// How a series is marked besides its colour, so that greyscale prints keep series apart.
enum class Marker { Circle, Square, Triangle, Diamond, None };

struct FigureStyle {
  QString fontFamily = QStringLiteral("DejaVu Sans");
  double titlePt = 9, axisPt = 8, tickPt = 7, legendPt = 7, captionPt = 7;
  double lineWidthPt = 1.4;  // data lines
  double axisWidthPt = 0.6;  // axes and tick marks
  double gridWidthPt = 0.3;
  double tickLengthPt = 3;
  double markerPt = 3.2;  // a marker's size across
  QColor text = QColor(0x20, 0x20, 0x20);
  QColor axis = QColor(0x30, 0x30, 0x30);
  QColor grid = QColor(0xdd, 0xdd, 0xdd);
  QColor background = Qt::white;

  QFont font(double pointSize, bool bold = false) const;
  // The i-th series colour (Okabe-Ito without its yellow, which vanishes on white paper), cycling.
  static QColor seriesColor(size_t i);
  static size_t seriesColorCount();
  // The i-th marker shape, cycling with a period that differs from the colours' so pairs stay unique.
  static Marker seriesMarker(size_t i);
  // Solid for faithfulness (and a prompt's own value), dashed for completeness (and "any value"), dotted
  // for top-1 shares: the dash patterns of every figure.
  enum class Dash { Solid, Dashed, Dotted };
  QPen linePen(const QColor& color, Dash dash) const;
  // The sign of an effect on the metric as the circuit graph draws it: blue raises logit(answer) −
  // logit(contrast), orange lowers it (graph_style.h is the one source).
  static QColor signColor(double effect);
};

// The style every figure uses.
const FigureStyle& figureStyle();

}  // namespace ce::ui::figures
