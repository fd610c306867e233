#include "graph/node_caption_item.h"

#include <QFontMetricsF>
#include <QPainter>
#include <algorithm>

namespace ce::ui {

namespace {
constexpr double kGap = 3;  // pixels between the disc and the text
}

NodeCaptionItem::NodeCaptionItem(QGraphicsItem* parent) : QGraphicsItem(parent) {
  setFlag(ItemIgnoresTransformations);
  setVisible(false);  // until the view places it (placeCaptions)
  setAcceptedMouseButtons(Qt::NoButton);
  font_.setPixelSize(11);
  labelFont_ = font_;
  labelFont_.setPixelSize(10);
  text_ = Qt::black;
  background_ = QColor(255, 255, 255, 190);
}

void NodeCaptionItem::setText(const QString& id, const QString& edit, const QString& label, bool automatic) {
  prepareGeometryChange();
  first_ = edit.isEmpty() ? id : id + QLatin1Char(' ') + edit;
  second_ = label.size() > kMaxLabelChars ? label.left(kMaxLabelChars - 1).trimmed() + QStringLiteral("…")
                                          : label;
  automatic_ = automatic;
  labelFont_.setItalic(automatic);
  const QFontMetricsF fm(font_), lm(labelFont_);
  const double w = std::max(fm.horizontalAdvance(first_), second_.isEmpty() ? 0.0 : lm.horizontalAdvance(second_));
  const double h = fm.height() + (second_.isEmpty() ? 0.0 : lm.height());
  // The first line is centred on the node; a label hangs below it.
  bounds_ = QRectF(left_ ? -kGap - w - 1 : kGap - 1, -fm.height() / 2 - 1, w + 2, h + 2);
  update();
}

void NodeCaptionItem::setLeft(bool left) {
  if (left == left_) return;
  prepareGeometryChange();
  left_ = left;
  const double w = bounds_.width();
  bounds_.moveLeft(left_ ? -kGap - w + 1 : kGap - 1);
  update();
}

void NodeCaptionItem::setColors(const QColor& text, const QColor& background) {
  text_ = text;
  background_ = background;
  background_.setAlpha(190);
  update();
}

void NodeCaptionItem::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
  // A translucent backing keeps the text legible over edges.
  painter->setPen(Qt::NoPen);
  painter->setBrush(background_);
  painter->drawRoundedRect(bounds_, 2, 2);
  const QFontMetricsF fm(font_);
  painter->setFont(font_);
  painter->setPen(text_);
  const double x = bounds_.left() + 1;
  painter->drawText(QPointF(x, -fm.height() / 2 + fm.ascent()), first_);
  if (second_.isEmpty()) return;
  QColor c = text_;
  if (automatic_) c.setAlphaF(0.6f);
  painter->setFont(labelFont_);
  painter->setPen(c);
  painter->drawText(QPointF(x, fm.height() / 2 + QFontMetricsF(labelFont_).ascent()), second_);
}

}  // namespace ce::ui
