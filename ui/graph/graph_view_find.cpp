// CircuitGraphView: finding nodes by name or label, focusing them, and moving the selection by keyboard.
#include <QGraphicsScene>
#include <QScrollBar>
#include <algorithm>
#include <cmath>
#include <limits>

#include "ce/core/base/error.h"
#include "graph/circuit_graph_view.h"
#include "graph/node_item.h"

namespace ce::ui {

std::vector<NodeKey> CircuitGraphView::findNodes(const QString& query) const {
  std::vector<NodeKey> out;
  const QString trimmed = query.trimmed();
  if (trimmed.isEmpty()) return out;
  QString compact = trimmed;
  compact.remove(QLatin1Char(' '));
  std::optional<ce::core::NodeRef> name;
  try {
    name = ce::core::parse_node_name(compact.toStdString());
  } catch (const ce::core::Error&) {
    // Not a node name: a label search.
  }
  if (name) {
    for (const NodeItem* n : nodes_) {
      const auto& k = n->key().node;
      if (n->kind() == NodeItem::Kind::Node && k.layer == name->layer && k.index == name->index &&
          (name->pos < 0 || k.pos == name->pos))
        out.push_back(n->key());
    }
  } else {
    for (const NodeItem* n : nodes_) {
      if (labelOf(n->key()).contains(trimmed, Qt::CaseInsensitive)) out.push_back(n->key());
    }
    for (const NodeItem* s : supernodes_) {
      if (s->label().contains(trimmed, Qt::CaseInsensitive)) out.push_back(s->key());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void CircuitGraphView::focusNodes(const std::vector<NodeKey>& keys) {
  selectNodes(keys);
  // Hidden members of a collapsed group are shown by their supernode.
  QRectF area;
  for (const NodeKey& k : keys) {
    NodeItem* n = anyItem(k);
    if (!n) continue;
    if (auto it = collapsedInto_.find(n); it != collapsedInto_.end()) n = it->second;
    area |= n->sceneBoundingRect();
  }
  if (area.isNull()) return;
  const QRectF visible = mapToScene(viewport()->rect()).boundingRect();
  if (area.width() > visible.width() * 0.9 || area.height() > visible.height() * 0.9) {
    fitInView(area.adjusted(-60, -60, 60, 60), Qt::KeepAspectRatio);
    viewChanged();
  } else {
    centerOn(area.center());
  }
  userView_ = true;
}

NodeItem* CircuitGraphView::neighbourOf(const NodeItem* from, int key) const {
  auto usable = [](const NodeItem* n) {
    return n->isVisible() && (n->flags() & QGraphicsItem::ItemIsSelectable);
  };
  std::vector<NodeItem*> candidates(nodes_.begin(), nodes_.end());
  candidates.insert(candidates.end(), supernodes_.begin(), supernodes_.end());
  if (!from) {
    // Nothing selected: start at the node of largest |effect|.
    NodeItem* best = nullptr;
    for (NodeItem* n : candidates) {
      if (usable(n) && (!best || std::fabs(n->effect()) > std::fabs(best->effect()))) best = n;
    }
    return best;
  }
  const QPointF o = from->scenePos();
  NodeItem* best = nullptr;
  double bestCost = std::numeric_limits<double>::infinity();
  for (NodeItem* n : candidates) {
    if (n == from || !usable(n)) continue;
    const QPointF d = n->scenePos() - o;
    // Along: distance in the key's direction (must be positive); across: the sideways offset, which
    // counts double so that the move stays in its lane.
    double along = 0, across = 0;
    switch (key) {
      case Qt::Key_Left: along = -d.x(); across = d.y(); break;
      case Qt::Key_Right: along = d.x(); across = d.y(); break;
      case Qt::Key_Up: along = -d.y(); across = d.x(); break;
      default: along = d.y(); across = d.x(); break;
    }
    if (along <= 0.5) continue;
    const double cost = along + 2 * std::fabs(across);
    if (cost < bestCost) {
      bestCost = cost;
      best = n;
    }
  }
  return best;
}

}  // namespace ce::ui
