#include "graph/node_item.h"

#include <QPainter>
#include <QStyleOptionGraphicsItem>
#include <algorithm>

#include "graph/graph_style.h"
#include "graph/node_caption_item.h"

namespace ce::ui {

NodeItem::NodeItem(Kind kind, const NodeKey& key, double radius, float effect, float activation,
                   const QString& label)
    : kind_(kind), key_(key), radius_(radius), effect_(effect), activation_(activation), label_(label) {
  if (kind_ == Kind::Node || kind_ == Kind::Error || kind_ == Kind::Supernode) setFlag(ItemIsSelectable);
  // Nodes are opaque discs that never overlap: caching would cost memory for 10^4 items and gain nothing.
  setCacheMode(NoCache);
  setAcceptHoverEvents(false);
  setZValue(kind_ == Kind::Embedding || kind_ == Kind::Logit ? 1 : 2);
}

QRectF NodeItem::boundingRect() const {
  const double m = radius_ * 0.25 + 1;  // selection ring and pen
  // The pin mark reaches half a radius beyond the disc at the top right.
  const double pin = pinned_ ? radius_ * 0.6 : 0;
  return QRectF(-radius_ - m, -radius_ - m - pin, 2 * (radius_ + m) + pin, 2 * (radius_ + m) + pin);
}

QPainterPath NodeItem::shape() const {
  QPainterPath p;
  // At least a few scene units, so that a tiny-effect node stays clickable.
  const double r = std::max(radius_, 4.0);
  p.addEllipse(QPointF(0, 0), r, r);
  return p;
}

QColor NodeItem::fillColor() const {
  switch (kind_) {
    case Kind::Embedding:
      return style::embedding();
    case Kind::Logit:
      return style::logit();
    case Kind::Error:
      return style::error();
    case Kind::Supernode:
      return fill_.isValid() ? fill_ : style::feature();
    case Kind::Node:
      break;
  }
  if (factor_ == 0.0) return style::ablated();
  return neutral_ ? style::feature() : style::effectColor(effect_);
}

QString NodeItem::editText() const {
  if (mean_) return QStringLiteral("mean");
  if (factor_ == 1.0) return {};
  return QStringLiteral("×%1").arg(factor_);
}

void NodeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
  const double lod = option->levelOfDetailFromTransform(painter->worldTransform());
  const QRectF disc(-radius_, -radius_, 2 * radius_, 2 * radius_);
  const QColor fill = fillColor();
  // A circle at every zoom: a square would read as another kind of node (errors are squares in circles).
  // A disc of a pixel or two needs neither outline nor antialiasing, and most of 10^4 nodes are that small
  // when the graph is fitted.
  if (lod * radius_ < 2.0 && !isSelected() && !pinned_ && factor_ == 1.0 && !groupColor_.isValid()) {
    painter->setRenderHint(QPainter::Antialiasing, false);
    painter->setPen(Qt::NoPen);
    painter->setBrush(fill);
    painter->drawEllipse(disc);
    return;
  }
  QPen pen(isSelected() ? style::selection() : fill.darker(150));
  pen.setWidthF(isSelected() ? radius_ * 0.25 : 1.0);
  pen.setCosmetic(!isSelected());
  if (groupColor_.isValid() && !isSelected()) {
    pen.setColor(groupColor_);
    pen.setWidthF(radius_ * 0.2);
    pen.setCosmetic(false);
  }
  if (kind_ == Kind::Supernode && !isSelected()) {
    pen.setColor(fill.darker(160));
    pen.setWidthF(radius_ * 0.15);
    pen.setCosmetic(false);
  }
  painter->setRenderHint(QPainter::Antialiasing, lod > 0.2);
  painter->setPen(pen);
  painter->setBrush(fill);
  painter->drawEllipse(disc);
  if (kind_ == Kind::Error) {
    painter->setPen(Qt::NoPen);
    painter->setBrush(fill.darker(170));
    const double s = radius_ * 0.55;
    painter->drawRect(QRectF(-s, -s, 2 * s, 2 * s));
  }
  if (factor_ == 0.0) {
    QPen cross(QColor(0x40, 0x40, 0x40));
    cross.setWidthF(radius_ * 0.15);
    painter->setPen(cross);
    const double d = radius_ * 0.7;
    painter->drawLine(QPointF(-d, -d), QPointF(d, d));
    painter->drawLine(QPointF(-d, d), QPointF(d, -d));
  } else if (factor_ != 1.0) {
    // Steered: a ring inside the disc, so that the edit shows even where the caption is hidden.
    QPen ring(Qt::white);
    ring.setWidthF(radius_ * 0.15);
    painter->setPen(ring);
    painter->setBrush(Qt::NoBrush);
    painter->drawEllipse(QPointF(0, 0), radius_ * 0.55, radius_ * 0.55);
  }
  if (pinned_) {
    // A pin head at the top right: a filled circle on a short needle.
    const double h = std::max(radius_ * 0.45, 3.0);
    const QPointF base(radius_ * 0.6, -radius_ * 0.6);
    const QPointF head = base + QPointF(h * 0.6, -h * 0.9);
    QPen needle(style::pin().darker(130));
    needle.setWidthF(h * 0.25);
    painter->setPen(needle);
    painter->drawLine(base, head);
    painter->setPen(Qt::NoPen);
    painter->setBrush(style::pin());
    painter->drawEllipse(head, h * 0.45, h * 0.45);
  }
}

void NodeItem::setFactor(double factor, const QColor& groupColor) {
  if (factor == factor_ && groupColor == groupColor_) return;
  factor_ = factor;
  groupColor_ = groupColor;
  update();
}

void NodeItem::setPinned(bool pinned) {
  if (pinned == pinned_) return;
  prepareGeometryChange();
  pinned_ = pinned;
  update();
}

NodeCaptionItem* NodeItem::ensureCaption() {
  if (!caption_) {
    caption_ = new NodeCaptionItem(this);
    caption_->setPos(radius_, 0);
    setZValue(zValue() + 1);  // above uncaptioned neighbours, whose discs would cover the text
  }
  return caption_;
}

}  // namespace ce::ui
