#include "graph/node_item.h"

#include <QPainter>
#include <QStyleOptionGraphicsItem>
#include <algorithm>

namespace ce::ui {

NodeItem::NodeItem(Kind kind, const NodeKey& key, double radius, float effect, float activation,
                   const QString& label)
    : kind_(kind), key_(key), radius_(radius), effect_(effect), activation_(activation), label_(label) {
  if (kind_ == Kind::Node) setFlag(ItemIsSelectable);
  // Nodes are opaque discs that never overlap: caching would cost memory for 10^4 items and gain nothing.
  setCacheMode(NoCache);
  setAcceptHoverEvents(false);
  setZValue(kind_ == Kind::Node ? 2 : 1);
}

QRectF NodeItem::boundingRect() const {
  const double m = radius_ * 0.25 + 1;  // selection ring and pen
  return QRectF(-radius_ - m, -radius_ - m, 2 * (radius_ + m), 2 * (radius_ + m));
}

QPainterPath NodeItem::shape() const {
  QPainterPath p;
  // At least a few scene units, so that a tiny-effect node stays clickable.
  const double r = std::max(radius_, 4.0);
  p.addEllipse(QPointF(0, 0), r, r);
  return p;
}

void NodeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
  const double lod = option->levelOfDetailFromTransform(painter->worldTransform());
  const QRectF disc(-radius_, -radius_, 2 * radius_, 2 * radius_);
  QColor fill;
  if (kind_ == Kind::Embedding) {
    fill = QColor(0x90, 0x90, 0x90);
  } else if (kind_ == Kind::Logit) {
    fill = QColor(0x5d, 0x6d, 0x7e);  // mid-tone: visible on light and dark backgrounds
  } else if (factor_ == 0.0) {
    fill = QColor(0xc8, 0xc8, 0xc8);
  } else {
    fill = effect_ >= 0 ? QColor(0x2b, 0x6c, 0xc4) : QColor(0xd1, 0x3c, 0x3c);
  }
  // Zoomed far out a node is a few pixels: a plain rectangle is indistinguishable and much cheaper.
  if (lod * radius_ < 2.0) {
    painter->fillRect(disc, fill);
    return;
  }
  QPen pen(isSelected() ? QColor(0xff, 0xb3, 0x00) : fill.darker(150));
  pen.setWidthF(isSelected() ? radius_ * 0.25 : 1.0);
  pen.setCosmetic(!isSelected());
  if (groupColor_.isValid() && !isSelected()) {
    pen.setColor(groupColor_);
    pen.setWidthF(radius_ * 0.2);
    pen.setCosmetic(false);
  }
  painter->setRenderHint(QPainter::Antialiasing, lod > 0.5);
  painter->setPen(pen);
  painter->setBrush(fill);
  painter->drawEllipse(disc);
  if (factor_ == 0.0) {
    QPen cross(QColor(0x40, 0x40, 0x40));
    cross.setWidthF(radius_ * 0.15);
    painter->setPen(cross);
    const double d = radius_ * 0.7;
    painter->drawLine(QPointF(-d, -d), QPointF(d, d));
    painter->drawLine(QPointF(-d, d), QPointF(d, -d));
  } else if (factor_ != 1.0 && lod * radius_ > 8) {
    painter->setPen(Qt::white);
    QFont f = painter->font();
    f.setPixelSize(std::max(1, static_cast<int>(radius_ * 0.7)));
    painter->setFont(f);
    painter->drawText(disc, Qt::AlignCenter, QStringLiteral("×%1").arg(factor_));
  }
  // Labels only where they are legible.
  if (lod * radius_ > 12 && factor_ == 1.0 && !label_.isEmpty()) {
    painter->setPen(Qt::white);
    QFont f = painter->font();
    f.setPixelSize(std::max(1, static_cast<int>(radius_ * 0.45)));
    painter->setFont(f);
    painter->drawText(disc, Qt::AlignCenter, label_);
  }
}

void NodeItem::setFactor(double factor, const QColor& groupColor) {
  if (factor == factor_ && groupColor == groupColor_) return;
  factor_ = factor;
  groupColor_ = groupColor;
  update();
}

}  // namespace ce::ui
