#include "figures/figure_style.h"

#include <QVector>

#include "graph/graph_style.h"

namespace ce::ui::figures {

QString unitName(Unit unit) { return unit == Unit::Cm ? QStringLiteral("cm") : QStringLiteral("in"); }

std::optional<Unit> parseUnit(const QString& text) {
  const QString t = text.trimmed().toLower();
  if (t == QLatin1String("cm")) return Unit::Cm;
  if (t == QLatin1String("in") || t == QLatin1String("inch")) return Unit::Inch;
  return std::nullopt;
}

double toPoints(double length, Unit unit) { return unit == Unit::Cm ? length / 2.54 * 72.0 : length * 72.0; }

QFont FigureStyle::font(double pointSize, bool bold) const {
  QFont f(fontFamily);
  f.setStyleHint(QFont::SansSerif);
  f.setPointSizeF(pointSize);
  f.setBold(bold);
  // Metrics must not snap to the screen's pixel grid: the same text measures the same in SVG, PDF and PNG.
  f.setHintingPreference(QFont::PreferNoHinting);
  f.setKerning(true);
  return f;
}

namespace {
// Okabe & Ito (2008): blue, vermillion, bluish green, reddish purple, orange, sky blue, black. Adjacent
// entries differ in lightness too, so a greyscale print keeps the first few apart by tone alone.
const QColor kSeries[] = {QColor(0x00, 0x72, 0xb2), QColor(0xd5, 0x5e, 0x00), QColor(0x00, 0x9e, 0x73),
                          QColor(0xcc, 0x79, 0xa7), QColor(0xe6, 0x9f, 0x00), QColor(0x56, 0xb4, 0xe9),
                          QColor(0x00, 0x00, 0x00)};
const Marker kMarkers[] = {Marker::Circle, Marker::Square, Marker::Triangle, Marker::Diamond};
}  // namespace

QColor FigureStyle::seriesColor(size_t i) { return kSeries[i % seriesColorCount()]; }

size_t FigureStyle::seriesColorCount() { return sizeof kSeries / sizeof kSeries[0]; }

Marker FigureStyle::seriesMarker(size_t i) { return kMarkers[i % (sizeof kMarkers / sizeof kMarkers[0])]; }

QPen FigureStyle::linePen(const QColor& color, Dash dash) const {
  QPen pen(color, lineWidthPt);
  pen.setCapStyle(Qt::FlatCap);
  pen.setJoinStyle(Qt::RoundJoin);
  // Dash lengths in units of the pen width: long enough to read as dashes at print size.
  if (dash == Dash::Dashed) pen.setDashPattern(QVector<qreal>{4.0, 2.5});
  if (dash == Dash::Dotted) {
    pen.setCapStyle(Qt::RoundCap);
    pen.setDashPattern(QVector<qreal>{0.1, 2.2});
  }
  return pen;
}

QColor FigureStyle::signColor(double effect) { return ce::ui::style::signColor(effect); }

const FigureStyle& figureStyle() {
  static const FigureStyle style;
  return style;
}

}  // namespace ce::ui::figures
