#include "graph/edge_layer_item.h"

#include <QPainter>
#include <QStyleOptionGraphicsItem>
#include <algorithm>
#include <cmath>

namespace ce::ui {

EdgeLayerItem::EdgeLayerItem() {
  setZValue(0);
  setAcceptedMouseButtons(Qt::NoButton);
}

void EdgeLayerItem::setLines(std::vector<Line> lines) {
  prepareGeometryChange();
  lines_ = std::move(lines);
  // Faint edges first so that strong ones are drawn on top.
  std::sort(lines_.begin(), lines_.end(),
            [](const Line& a, const Line& b) { return std::fabs(a.score) < std::fabs(b.score); });
  maxScore_ = 0;
  QRectF r;
  for (const auto& l : lines_) {
    maxScore_ = std::max(maxScore_, std::fabs(l.score));
    r |= QRectF(l.from, l.to).normalized();
  }
  bounds_ = r.adjusted(-10, -10, 10, 10);
}

void EdgeLayerItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
  if (lines_.empty() || maxScore_ <= 0) return;
  const double lod = option->levelOfDetailFromTransform(painter->worldTransform());
  painter->setRenderHint(QPainter::Antialiasing, lod > 0.5);
  const QRectF exposed = option->exposedRect;
  for (const auto& l : lines_) {
    const double rel = std::fabs(l.score) / maxScore_;
    if (rel < 0.01) continue;  // invisible at any zoom, and the bulk of the pairs
    if (!exposed.isEmpty() && !exposed.intersects(QRectF(l.from, l.to).normalized().adjusted(-1, -1, 1, 1)))
      continue;
    QColor c = l.score >= 0 ? QColor(0x2b, 0x6c, 0xc4) : QColor(0xd1, 0x3c, 0x3c);
    c.setAlphaF(static_cast<float>(0.15 + 0.6 * rel));
    QPen pen(c);
    pen.setWidthF(0.5 + 8.0 * rel);
    painter->setPen(pen);
    painter->drawLine(l.from, l.to);
  }
}

}  // namespace ce::ui
