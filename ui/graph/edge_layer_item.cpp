#include "graph/edge_layer_item.h"

#include <QPainter>
#include <QStyleOptionGraphicsItem>
#include <algorithm>
#include <cmath>

#include "graph/graph_style.h"
#include "graph/node_item.h"

namespace ce::ui {

namespace {
// Below this share of the strongest edge a line is invisible at any zoom, and such lines are the bulk.
constexpr double kFaint = 0.01;

double distanceToSegment(const QPointF& p, const QPointF& a, const QPointF& b) {
  const QPointF ab = b - a;
  const double len2 = QPointF::dotProduct(ab, ab);
  const double t = len2 > 0 ? std::clamp(QPointF::dotProduct(p - a, ab) / len2, 0.0, 1.0) : 0.0;
  const QPointF d = p - (a + t * ab);
  return std::hypot(d.x(), d.y());
}
}  // namespace

EdgeLayerItem::EdgeLayerItem() {
  setZValue(0);
  setAcceptedMouseButtons(Qt::NoButton);
}

void EdgeLayerItem::setLines(std::vector<Line> lines) {
  prepareGeometryChange();
  lines_ = std::move(lines);
  for (auto& l : lines_) {
    if (l.src && l.dst) {
      l.from = l.src->scenePos();
      l.to = l.dst->scenePos();
    }
  }
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
  setHighlighted(std::move(highlight_));
}

void EdgeLayerItem::setHighlighted(std::set<const NodeItem*> nodes) {
  highlight_ = std::move(nodes);
  highlightedCount_ = 0;
  if (!highlight_.empty()) {
    for (const auto& l : lines_) highlightedCount_ += isHighlighted(l) && drawn(l) ? 1 : 0;
  }
  update();
}

bool EdgeLayerItem::drawn(const Line& l) const {
  return maxScore_ > 0 && std::fabs(l.score) / maxScore_ >= kFaint;
}

int EdgeLayerItem::lineAt(const QPointF& p, double tolerance) const {
  int best = -1;
  double bestDistance = tolerance;
  for (size_t i = 0; i < lines_.size(); ++i) {
    const Line& l = lines_[i];
    if (!drawn(l) || !QRectF(l.from, l.to).normalized().adjusted(-tolerance, -tolerance, tolerance, tolerance)
                          .contains(p))
      continue;
    const double d = distanceToSegment(p, l.from, l.to);
    // Lines are sorted weakest first: `<=` lets the strongest of equally near lines win, as drawn on top.
    if (d <= bestDistance) {
      bestDistance = d;
      best = static_cast<int>(i);
    }
  }
  return best;
}

void EdgeLayerItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
  if (lines_.empty() || maxScore_ <= 0) return;
  const double lod = option->levelOfDetailFromTransform(painter->worldTransform());
  painter->setRenderHint(QPainter::Antialiasing, lod > 0.5);
  const QRectF exposed = option->exposedRect;
  const bool focus = !highlight_.empty();
  // Two passes when nodes are selected: the dimmed rest first, then their own edges on top.
  for (int pass = focus ? 0 : 1; pass < 2; ++pass) {
    for (const auto& l : lines_) {
      if (!drawn(l)) continue;
      const bool lit = focus && isHighlighted(l);
      if (focus && lit != (pass == 1)) continue;
      if (!exposed.isEmpty() &&
          !exposed.intersects(QRectF(l.from, l.to).normalized().adjusted(-1, -1, 1, 1)))
        continue;
      const double rel = std::fabs(l.score) / maxScore_;
      QColor c = style::signColor(l.score);
      double alpha = 0.15 + 0.6 * rel;
      if (focus) alpha = lit ? std::min(1.0, 0.45 + 0.55 * rel) : 0.06;
      c.setAlphaF(static_cast<float>(alpha));
      QPen pen(c);
      pen.setWidthF(0.5 + 8.0 * rel + (lit ? 1.5 : 0.0));
      painter->setPen(pen);
      painter->drawLine(l.from, l.to);
    }
  }
}

}  // namespace ce::ui
