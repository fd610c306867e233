#include "graph/graph_legend.h"

#include <QFontMetrics>
#include <QPainter>
#include <algorithm>
#include <cmath>

#include "graph/graph_style.h"

namespace ce::ui {

namespace {
constexpr int kPad = 6;
constexpr int kLine = 16;  // one row of the key
constexpr int kKey = 16;   // the swatch column's width
constexpr double kMaxCirclePx = 22;
constexpr int kColumnGap = 14;
}  // namespace

GraphLegend::GraphLegend(QWidget* parent) : QWidget(parent) {
  setAttribute(Qt::WA_TransparentForMouseEvents);
  QFont f = font();
  f.setPixelSize(11);
  setFont(f);
  setAnswer(QString());
}

void GraphLegend::setScale(double maxEffect, double maxRadius, double pixelsPerUnit) {
  maxEffect_ = maxEffect;
  maxRadius_ = maxRadius;
  pixelsPerUnit_ = pixelsPerUnit;
  relayout();
}

void GraphLegend::setAnswer(const QString& answer) {
  answer_ = answer;
  positive_ = answer.isEmpty() ? tr("raises the metric")
                               : tr("raises the metric (for \u201c%1\u201d)").arg(answer);
  relayout();
}

void GraphLegend::setAvailableWidth(int width) {
  if (width == availableWidth_) return;
  availableWidth_ = width;
  relayout();
}

void GraphLegend::setImported(bool imported) {
  imported_ = imported;
  relayout();
}

std::vector<double> GraphLegend::referenceEffects() const {
  if (imported_ || maxEffect_ <= 0) return {};
  return {maxEffect_, maxEffect_ / 4, maxEffect_ / 16};
}

int GraphLegend::columnWidth(const QStringList& rows, const QString& title) const {
  const QFontMetrics fm(font());
  int w = fm.horizontalAdvance(title);
  for (const auto& r : rows) w = std::max(w, kKey + 4 + fm.horizontalAdvance(r));
  return w;
}

void GraphLegend::relayout() {
  const QFontMetrics fm(font());
  if (imported_) {
    const int w = columnWidth({tr("feature (imported)"), tr("error node"), tr("link weight > 0 / < 0"),
                               tr("pinned"), tr("embedding / logit")},
                              tr("Imported graph (read-only)"));
    resize(w + 2 * kPad, kPad * 2 + kLine * 6);
    update();
    return;
  }
  // Two columns, so that the graph fitted below the legend loses as little height as it can: the colour key
  // on the left, how captions and marks read and the size key on the right.
  leftWidth_ = columnWidth({positive_, tr("lowers it"), tr("ablated ×0 / mean"), tr("steered ×k")},
                           tr("Colour: effect on the metric"));
  int right = columnWidth({tr("pinned"), tr("embedding / logit")},
                          tr("label (italic: from exemplars)") + QStringLiteral("   "));
  int rightHeight = kLine * 4;
  if (!referenceEffects().empty()) {
    rightHeight += kLine + static_cast<int>(2 * kMaxCirclePx) + fm.height() + 4;
    right = std::max(right, 3 * static_cast<int>(2 * kMaxCirclePx + 14));
  }
  // Side by side where the view has room for it (at most half its width), else one column: a narrow view
  // (a 1024-px screen) would otherwise be covered by the legend.
  const int twoWide = kPad + leftWidth_ + kColumnGap + right + kPad;
  twoColumns_ = availableWidth_ <= 0 || twoWide <= availableWidth_ / 2;
  if (twoColumns_) {
    resize(twoWide, kPad * 2 + std::max(kLine * 5, rightHeight));
  } else {
    resize(kPad + std::max(leftWidth_, right) + kPad, kPad * 2 + kLine * 5 + rightHeight);
  }
  update();
}

void GraphLegend::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  QColor back = palette().color(QPalette::Base);
  back.setAlpha(225);
  p.setPen(palette().color(QPalette::Mid));
  p.setBrush(back);
  p.drawRoundedRect(QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4);
  const QColor text = palette().color(QPalette::Text);
  const QFontMetrics fm(font());
  int x0 = kPad;  // the current column's left edge
  int y = kPad;
  auto textRow = [&](const QString& s, int indent) {
    p.setPen(text);
    p.drawText(QPoint(x0 + indent, y + (kLine + fm.ascent() - fm.descent()) / 2), s);
  };
  auto key = [&] { return QPointF(x0 + kKey / 2.0, y + kLine / 2.0); };
  auto disc = [&](const QColor& c, double r) {
    p.setPen(c.darker(150));
    p.setBrush(c);
    p.drawEllipse(key(), r, r);
  };
  auto row = [&](const QString& s) {
    textRow(s, kKey + 4);
    y += kLine;
  };
  auto pinAndEmbedding = [&] {
    p.setPen(Qt::NoPen);
    p.setBrush(style::pin());
    p.drawEllipse(key() + QPointF(1, 0), 3.5, 3.5);
    row(tr("pinned"));
    disc(style::embedding(), 5);
    row(tr("embedding / logit"));
  };
  if (imported_) {
    textRow(tr("Imported graph (read-only)"), 0);
    y += kLine;
    disc(style::feature(), 5);
    row(tr("feature (imported)"));
    disc(style::error(), 5);
    p.setPen(Qt::NoPen);
    p.setBrush(style::error().darker(170));
    p.drawRect(QRectF(key() - QPointF(2.75, 2.75), QSizeF(5.5, 5.5)));
    row(tr("error node"));
    // Links carry circuit-tracer's signed weight; their colour follows its sign.
    p.setPen(QPen(style::raises(), 2));
    p.drawLine(key() + QPointF(-6, -2), key() + QPointF(6, -2));
    p.setPen(QPen(style::lowers(), 2));
    p.drawLine(key() + QPointF(-6, 2), key() + QPointF(6, 2));
    row(tr("link weight > 0 / < 0"));
    pinAndEmbedding();
    return;
  }
  textRow(tr("Colour: effect on the metric"), 0);
  y += kLine;
  disc(style::raises(), 5);
  row(positive_);
  disc(style::lowers(), 5);
  row(tr("lowers it"));
  disc(style::ablated(), 5);
  p.setPen(QPen(QColor(0x40, 0x40, 0x40), 1.2));
  p.drawLine(key() + QPointF(-3.5, -3.5), key() + QPointF(3.5, 3.5));
  p.drawLine(key() + QPointF(-3.5, 3.5), key() + QPointF(3.5, -3.5));
  row(tr("ablated ×0 / mean"));
  disc(style::raises(), 5);
  p.setPen(QPen(Qt::white, 1.2));
  p.setBrush(Qt::NoBrush);
  p.drawEllipse(key(), 2.8, 2.8);
  row(tr("steered ×k"));

  if (twoColumns_) {
    x0 = kPad + leftWidth_ + kColumnGap;
    y = kPad;
  }
  // How captions read: the id with the edit beside it, the label under it.
  textRow(tr("L3/N701 ×0: id, edit"), 0);
  y += kLine;
  QFont italic = font();
  italic.setItalic(true);
  p.setFont(italic);
  textRow(tr("label (italic: from exemplars)"), 8);
  p.setFont(font());
  y += kLine;
  pinAndEmbedding();
  const auto refs = referenceEffects();
  if (refs.empty()) return;
  textRow(tr("Size: |effect| (area)"), 0);
  y += kLine;
  // Circles as large as the graph draws them now, capped so that a deep zoom keeps the legend small.
  int x = x0;
  const double cy = y + kMaxCirclePx;
  for (double e : refs) {
    const double r = std::min(kMaxCirclePx, maxRadius_ * pixelsPerUnit_ * std::sqrt(e / maxEffect_));
    const int cell = static_cast<int>(2 * kMaxCirclePx + 14);
    p.setPen(text);
    p.setBrush(Qt::NoBrush);
    p.drawEllipse(QPointF(x + cell / 2.0, cy - r), r, r);
    const QString v = QString::number(e, 'g', 2);
    p.drawText(QPointF(x + (cell - fm.horizontalAdvance(v)) / 2.0, cy + fm.ascent() + 2), v);
    x += cell;
  }
}

}  // namespace ce::ui
