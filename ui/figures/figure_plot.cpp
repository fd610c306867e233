#include "figures/figure_plot.h"

#include <QFontMetricsF>
#include <QPainterPath>
#include <QPolygonF>
#include <algorithm>
#include <cmath>

namespace ce::ui::figures {

namespace {
constexpr double kMargin = 4;       // page edge to any text
constexpr double kLabelGap = 2;     // tick to its label
constexpr double kLegendGap = 8;    // plot area to the legend
constexpr double kSample = 16;      // a legend row's line sample
constexpr double kLegendPad = 4;

double roundToStep(double v, double step) {
  // Ticks are k × step; multiplying back avoids the drift of repeated addition (0.30000000000000004).
  const double r = std::round(v / step) * step;
  return std::abs(r) < step * 1e-9 ? 0.0 : r;
}
}  // namespace

Ticks niceTicks(double lo, double hi, int maxTicks) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo < 1e-12) {
    const double pad = std::max(std::abs(lo) * 0.1, 0.5);
    lo -= pad;
    hi += pad;
  }
  maxTicks = std::max(maxTicks, 2);
  double base = std::pow(10.0, std::floor(std::log10((hi - lo) / maxTicks)) - 1);
  Ticks t;
  for (int guard = 0; guard < 40; ++guard, base *= 10) {
    for (double f : {1.0, 2.0, 5.0}) {
      const double step = base * f;
      const double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
      if (last - first + 1 > maxTicks) continue;
      t.step = step;
      t.lo = roundToStep(first * step, step);
      t.hi = roundToStep(last * step, step);
      for (double k = first; k <= last + 0.5; ++k) t.values.push_back(roundToStep(k * step, step));
      return t;
    }
  }
  t.values = {lo, hi};
  t.lo = lo;
  t.hi = hi;
  return t;
}

Ticks logDecades(double lo, double hi) {
  if (!(lo > 0) || !std::isfinite(lo)) lo = 1;
  if (!(hi > lo) || !std::isfinite(hi)) hi = lo * 10;
  const int a = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int b = std::max(a + 1, static_cast<int>(std::ceil(std::log10(hi) - 1e-9)));
  Ticks t;
  for (int k = a; k <= b; ++k) t.values.push_back(std::pow(10.0, k));
  t.lo = t.values.front();
  t.hi = t.values.back();
  return t;
}

QString tickLabel(double value, double step) {
  const int decimals = step > 0 ? std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9))) : 0;
  QString s = QString::number(std::abs(value) < 1e-12 ? 0.0 : value, 'f', decimals);
  if (s.startsWith(QLatin1Char('-'))) s.replace(0, 1, QChar(0x2212));
  return s;
}

QString decadeLabel(double value, bool powers) {
  if (!powers && value >= 1 && value < 1e4) return QString::number(value, 'f', 0);
  if (!powers && value > 0 && value < 1) return QString::number(value, 'g', 6);
  // 10⁴ and beyond in powers: "10000100000" is what whole numbers become side by side on a narrow axis.
  static const QChar kSuperscript[] = {QChar(0x2070), QChar(0x00b9), QChar(0x00b2), QChar(0x00b3), QChar(0x2074),
                                       QChar(0x2075), QChar(0x2076), QChar(0x2077), QChar(0x2078), QChar(0x2079)};
  const int exponent = static_cast<int>(std::lround(std::log10(value)));
  QString s = QStringLiteral("10");
  if (exponent < 0) s += QChar(0x207b);
  for (QChar digit : QString::number(std::abs(exponent))) s += kSuperscript[digit.digitValue()];
  return s;
}

QStringList decadeLabels(const std::vector<double>& values) {
  const bool powers = std::any_of(values.begin(), values.end(), [](double v) { return v >= 1e4; });
  QStringList labels;
  for (double v : values) labels << decadeLabel(v, powers);
  return labels;
}

QStringList wrapText(const QString& text, const QFontMetricsF& metrics, double width) {
  QStringList lines;
  for (const QString& paragraph : text.split(QLatin1Char('\n'))) {
    QString line;
    for (const QString& word : paragraph.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
      const QString candidate = line.isEmpty() ? word : line + QLatin1Char(' ') + word;
      if (!line.isEmpty() && metrics.horizontalAdvance(candidate) > width) {
        lines << line;
        line = word;
      } else {
        line = candidate;
      }
    }
    if (!line.isEmpty()) lines << line;
  }
  return lines;
}

void drawMarker(QPainter& painter, Marker marker, const QPointF& at, double size, const QColor& color) {
  if (marker == Marker::None) return;
  painter.save();
  painter.setPen(QPen(Qt::white, size * 0.15));
  painter.setBrush(color);
  const double r = size / 2;
  switch (marker) {
    case Marker::Circle:
      painter.drawEllipse(at, r, r);
      break;
    case Marker::Square:
      painter.drawRect(QRectF(at.x() - r * 0.9, at.y() - r * 0.9, r * 1.8, r * 1.8));
      break;
    case Marker::Triangle:
      painter.drawPolygon(QPolygonF{QPointF(at.x(), at.y() - r * 1.15), QPointF(at.x() + r * 1.05, at.y() + r * 0.8),
                                    QPointF(at.x() - r * 1.05, at.y() + r * 0.8)});
      break;
    case Marker::Diamond:
      painter.drawPolygon(QPolygonF{QPointF(at.x(), at.y() - r * 1.2), QPointF(at.x() + r, at.y()),
                                    QPointF(at.x(), at.y() + r * 1.2), QPointF(at.x() - r, at.y())});
      break;
    case Marker::None:
      break;
  }
  painter.restore();
}

Plot::Plot(QPainter& painter, const QRectF& page, const FigureStyle& style)
    : p_(painter), page_(page), area_(page), style_(style) {}

void Plot::setAxes(Axis x, Axis y) {
  x_ = std::move(x);
  y_ = std::move(y);
  for (Axis* a : {&x_, &y_}) {
    if (!a->labels.isEmpty()) continue;
    if (a->log) {
      a->labels = decadeLabels(a->ticks.values);
    } else {
      for (double v : a->ticks.values) a->labels << tickLabel(v, a->ticks.step);
    }
  }
}

void Plot::setLegend(std::vector<LegendEntry> entries, const QString& heading) {
  legend_ = std::move(entries);
  legendHeading_ = heading;
}

QSizeF Plot::legendSize(double maxWidth, int* columns) const {
  if (legend_.empty() && legendHeading_.isEmpty()) return {0, 0};
  const QFontMetricsF fm(style_.font(style_.legendPt), p_.device());
  double entryWidth = 0;
  for (const auto& e : legend_) entryWidth = std::max(entryWidth, kSample + 3 + fm.horizontalAdvance(e.text));
  entryWidth += 6;  // between columns
  const int cols = std::max(1, std::min(static_cast<int>(legend_.size()),
                                        static_cast<int>((maxWidth - 2 * kLegendPad) / std::max(entryWidth, 1.0))));
  *columns = cols;
  const int rows = (static_cast<int>(legend_.size()) + cols - 1) / cols;
  const QFontMetricsF hf(style_.font(style_.legendPt, true), p_.device());
  const double head = legendHeading_.isEmpty() ? 0 : hf.lineSpacing() + 1;
  const double width = std::max(cols * entryWidth - 6, legendHeading_.isEmpty() ? 0.0 : hf.horizontalAdvance(legendHeading_));
  return {width + 2 * kLegendPad, head + rows * fm.lineSpacing() + 2 * kLegendPad};
}

QRectF Plot::layout() {
  const QFontMetricsF title(style_.font(style_.titlePt, true), p_.device());
  const QFontMetricsF axisFm(style_.font(style_.axisPt), p_.device());
  const QFontMetricsF tick(style_.font(style_.tickPt), p_.device());
  const QFontMetricsF caption(style_.font(style_.captionPt), p_.device());
  const double inner = page_.width() - 2 * kMargin;
  titleLines_ = wrapText(title_, title, inner);
  captionLines_ = wrapText(caption_, caption, inner);
  double top = page_.top() + kMargin + titleLines_.size() * title.lineSpacing() + (titleLines_.isEmpty() ? 0 : 4);
  top += tick.height() / 2;  // the top y label is centred on the top tick
  double bottom = page_.bottom() - kMargin - captionLines_.size() * caption.lineSpacing() -
                  (captionLines_.isEmpty() ? 0 : 4);
  double yLabels = 0;
  for (const QString& l : y_.labels) yLabels = std::max(yLabels, tick.horizontalAdvance(l));
  const double left = page_.left() + kMargin + (y_.title.isEmpty() ? 0 : axisFm.height() + 3) + yLabels +
                      kLabelGap + style_.tickLengthPt;
  const double xBand = style_.tickLengthPt + kLabelGap + tick.height() + extraBottom_ +
                       (x_.title.isEmpty() ? 0 : axisFm.height() + 2);
  // The last x label is centred on the right end of the axis: half of it must fit inside the page.
  const double overhang = x_.labels.isEmpty() ? 0 : tick.horizontalAdvance(x_.labels.back()) / 2;
  double right = page_.right() - kMargin - overhang;
  legendBelow_ = false;
  legendColumns_ = 1;
  QSizeF size(0, 0);
  if (!legend_.empty() || !legendHeading_.isEmpty()) {
    int cols = 1;
    size = legendSize(0, &cols);  // a single column
    const double plotHeight = bottom - xBand - top;
    if (size.height() > plotHeight) {
      // Two columns at the right before giving up and going below.
      const QSizeF two = legendSize(2 * size.width() - 2 * kLegendPad + 6, &cols);
      if (cols == 2 && two.height() <= plotHeight) size = two, legendColumns_ = 2;
    }
    if (size.width() > 0.3 * page_.width() || size.height() > plotHeight) {
      legendBelow_ = true;
      size = legendSize(inner, &legendColumns_);
      bottom -= size.height() + 4;
    } else {
      right = page_.right() - kMargin - size.width() - kLegendGap + std::min(overhang, kLegendGap - 2);
    }
  }
  area_ = QRectF(QPointF(left, top), QPointF(right, bottom - xBand));
  if (legendBelow_) {
    legendBox_ = QRectF(page_.left() + (page_.width() - size.width()) / 2, bottom + 4, size.width(), size.height());
  } else {
    legendBox_ = QRectF(page_.right() - kMargin - size.width(), area_.top(), size.width(), size.height());
  }
  return area_;
}

double Plot::mapX(double x) const {
  const double lo = x_.ticks.lo, hi = x_.ticks.hi;
  const double f = x_.log ? (std::log10(x) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (x - lo) / (hi - lo);
  return area_.left() + f * area_.width();
}

double Plot::mapY(double y) const {
  const double lo = y_.ticks.lo, hi = y_.ticks.hi;
  const double f = y_.log ? (std::log10(y) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (y - lo) / (hi - lo);
  return area_.bottom() - f * area_.height();
}

QPointF Plot::map(double x, double y) const { return {mapX(x), mapY(y)}; }

void Plot::text(const QRectF& box, int flags, const QString& s) {
  p_.drawText(box, flags, s);
  texts_ << s;
}

void Plot::drawFrame() {
  p_.save();
  p_.fillRect(page_, style_.background);
  const QFontMetricsF title(style_.font(style_.titlePt, true), p_.device());
  const QFontMetricsF axisFm(style_.font(style_.axisPt), p_.device());
  const QFontMetricsF tick(style_.font(style_.tickPt), p_.device());
  const QFontMetricsF caption(style_.font(style_.captionPt), p_.device());
  // Grid first, under everything.
  p_.setPen(QPen(style_.grid, style_.gridWidthPt));
  if (x_.grid) {
    for (double v : x_.ticks.values) p_.drawLine(QPointF(mapX(v), area_.top()), QPointF(mapX(v), area_.bottom()));
  }
  if (y_.grid) {
    for (double v : y_.ticks.values) p_.drawLine(QPointF(area_.left(), mapY(v)), QPointF(area_.right(), mapY(v)));
  }
  QPen axisPen(style_.axis, style_.axisWidthPt);
  axisPen.setCapStyle(Qt::SquareCap);
  p_.setPen(axisPen);
  p_.drawLine(area_.bottomLeft(), area_.bottomRight());
  p_.drawLine(area_.bottomLeft(), area_.topLeft());
  const double t = style_.tickLengthPt;
  for (double v : x_.ticks.values) p_.drawLine(QPointF(mapX(v), area_.bottom()), QPointF(mapX(v), area_.bottom() + t));
  for (double v : y_.ticks.values) p_.drawLine(QPointF(area_.left() - t, mapY(v)), QPointF(area_.left(), mapY(v)));
  // Minor ticks between decades (2…9 ×), unlabelled.
  auto minor = [&](const Axis& a, bool isX) {
    if (!a.log) return;
    for (size_t i = 0; i + 1 < a.ticks.values.size(); ++i) {
      for (int k = 2; k <= 9; ++k) {
        const double v = a.ticks.values[i] * k;
        if (isX) {
          p_.drawLine(QPointF(mapX(v), area_.bottom()), QPointF(mapX(v), area_.bottom() + t * 0.55));
        } else {
          p_.drawLine(QPointF(area_.left() - t * 0.55, mapY(v)), QPointF(area_.left(), mapY(v)));
        }
      }
    }
  };
  minor(x_, true);
  minor(y_, false);
  p_.setPen(style_.text);
  p_.setFont(style_.font(style_.tickPt));
  double lastRight = -1e9;
  for (size_t i = 0; i < x_.ticks.values.size() && static_cast<int>(i) < x_.labels.size(); ++i) {
    const double x = mapX(x_.ticks.values[i]);
    // A label that would touch the one before is left out (its tick stays): never two run together.
    const double half = tick.horizontalAdvance(x_.labels[static_cast<int>(i)]) / 2;
    if (x - half < lastRight + 3) continue;
    lastRight = x + half;
    text(QRectF(x - 100, area_.bottom() + t + kLabelGap, 200, tick.height()), Qt::AlignHCenter | Qt::AlignTop,
         x_.labels[static_cast<int>(i)]);
  }
  for (size_t i = 0; i < y_.ticks.values.size() && static_cast<int>(i) < y_.labels.size(); ++i) {
    const double y = mapY(y_.ticks.values[i]);
    text(QRectF(area_.left() - t - kLabelGap - 200, y - tick.height() / 2, 200, tick.height()),
         Qt::AlignRight | Qt::AlignVCenter, y_.labels[static_cast<int>(i)]);
  }
  p_.setFont(style_.font(style_.axisPt));
  if (!x_.title.isEmpty()) {
    const double y = area_.bottom() + t + kLabelGap + tick.height() + extraBottom_ + 2;
    text(QRectF(area_.left(), y, area_.width(), axisFm.height()), Qt::AlignHCenter | Qt::AlignTop, x_.title);
  }
  if (!y_.title.isEmpty()) {
    p_.save();
    p_.translate(page_.left() + kMargin, area_.center().y());
    p_.rotate(-90);
    text(QRectF(-area_.height() / 2 - 40, 0, area_.height() + 80, axisFm.height()), Qt::AlignHCenter | Qt::AlignTop,
         y_.title);
    p_.restore();
  }
  p_.setFont(style_.font(style_.titlePt, true));
  double y = page_.top() + kMargin;
  for (const QString& line : titleLines_) {
    text(QRectF(page_.left() + kMargin, y, page_.width() - 2 * kMargin, title.lineSpacing()),
         Qt::AlignHCenter | Qt::AlignTop, line);
    y += title.lineSpacing();
  }
  p_.setFont(style_.font(style_.captionPt));
  y = page_.bottom() - kMargin - captionLines_.size() * caption.lineSpacing();
  for (const QString& line : captionLines_) {
    text(QRectF(page_.left() + kMargin, y, page_.width() - 2 * kMargin, caption.lineSpacing()),
         Qt::AlignLeft | Qt::AlignTop, line);
    y += caption.lineSpacing();
  }
  p_.restore();
}

void Plot::drawLegend() {
  if (legend_.empty() && legendHeading_.isEmpty()) return;
  p_.save();
  const QFontMetricsF fm(style_.font(style_.legendPt), p_.device());
  const QFontMetricsF hf(style_.font(style_.legendPt, true), p_.device());
  p_.setPen(QPen(QColor(0xa0, 0xa0, 0xa0), 0.4));
  p_.setBrush(style_.background);
  p_.drawRect(legendBox_);
  double y = legendBox_.top() + kLegendPad;
  p_.setPen(style_.text);
  if (!legendHeading_.isEmpty()) {
    p_.setFont(style_.font(style_.legendPt, true));
    text(QRectF(legendBox_.left() + kLegendPad, y, legendBox_.width() - 2 * kLegendPad, hf.lineSpacing()),
         Qt::AlignLeft | Qt::AlignTop, legendHeading_);
    y += hf.lineSpacing() + 1;
  }
  p_.setFont(style_.font(style_.legendPt));
  const int cols = std::max(1, legendColumns_);
  const int rows = (static_cast<int>(legend_.size()) + cols - 1) / cols;
  const double colWidth = (legendBox_.width() - 2 * kLegendPad + 6) / cols;
  for (size_t i = 0; i < legend_.size(); ++i) {
    const LegendEntry& e = legend_[i];
    const int col = static_cast<int>(i) / rows, row = static_cast<int>(i) % rows;
    const double x = legendBox_.left() + kLegendPad + col * colWidth;
    const double top = y + row * fm.lineSpacing();
    const double cy = top + fm.lineSpacing() / 2;
    if (e.swatch) {
      p_.fillRect(QRectF(x + 3, cy - 3.5, kSample - 6, 7), e.color);
    } else if (e.pen.style() != Qt::NoPen) {
      p_.setPen(e.pen);
      p_.drawLine(QPointF(x, cy), QPointF(x + kSample, cy));
    }
    drawMarker(p_, e.marker, QPointF(x + kSample / 2, cy), style_.markerPt, e.color);
    p_.setPen(style_.text);
    text(QRectF(x + kSample + 3, top, colWidth, fm.lineSpacing()), Qt::AlignLeft | Qt::AlignVCenter, e.text);
  }
  p_.restore();
}

QStringList Plot::legendTexts() const {
  QStringList out;
  for (const auto& e : legend_) out << e.text;
  return out;
}

void Plot::drawSeries(const std::vector<QPointF>& points, const QPen& pen, Marker marker, double markerSpacing) {
  p_.save();
  p_.setClipRect(area_.adjusted(-pen.widthF(), -pen.widthF(), pen.widthF(), pen.widthF()));
  p_.setRenderHint(QPainter::Antialiasing);
  QPainterPath path;
  bool open = false;
  std::vector<QPointF> drawn;
  for (const QPointF& d : points) {
    const bool ok = std::isfinite(d.x()) && std::isfinite(d.y()) && (!x_.log || d.x() > 0) && (!y_.log || d.y() > 0);
    if (!ok) {
      open = false;
      continue;
    }
    const QPointF at = map(d.x(), d.y());
    if (open) {
      path.lineTo(at);
    } else {
      path.moveTo(at);
      open = true;
    }
    drawn.push_back(at);
  }
  p_.setPen(pen);
  p_.setBrush(Qt::NoBrush);
  p_.drawPath(path);
  if (marker != Marker::None) {
    QPointF last(-1e9, -1e9);
    for (const QPointF& at : drawn) {
      if (!area_.adjusted(-0.5, -0.5, 0.5, 0.5).contains(at)) continue;
      if (std::hypot(at.x() - last.x(), at.y() - last.y()) < markerSpacing) continue;
      drawMarker(p_, marker, at, style_.markerPt, pen.color());
      last = at;
    }
  }
  p_.restore();
}

}  // namespace ce::ui::figures
