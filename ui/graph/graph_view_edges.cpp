// CircuitGraphView: the drawn edges, highlighting a selection's edges, listing a node's edges, and
// collapsing groups into supernodes.
#include <QGraphicsScene>
#include <algorithm>
#include <cmath>

#include "graph/circuit_graph_view.h"
#include "graph/edge_layer_item.h"
#include "graph/graph_layout.h"
#include "graph/node_item.h"

namespace ce::ui {

void CircuitGraphView::rebuildLines() {
  if (!edgeLayer_) return;
  std::vector<EdgeLayerItem::Line> lines;
  lines.reserve(edges_.size());
  if (collapsedInto_.empty()) {
    for (const auto& e : edges_) lines.push_back({{}, {}, e.score, e.weight, e.src, e.dst});
  } else {
    // Through the groups: an edge inside one group is dropped, parallel edges between the same two drawn
    // nodes are summed (weights and effects alike), in order of first appearance.
    auto shown = [this](NodeItem* n) -> NodeItem* {
      auto it = collapsedInto_.find(n);
      return it == collapsedInto_.end() ? n : it->second;
    };
    std::map<std::pair<const NodeItem*, const NodeItem*>, size_t> at;
    for (const auto& e : edges_) {
      NodeItem* a = shown(e.src);
      NodeItem* b = shown(e.dst);
      if (a == b) continue;
      auto [it, fresh] = at.try_emplace({a, b}, lines.size());
      if (fresh) {
        lines.push_back({{}, {}, e.score, e.weight, a, b});
      } else {
        lines[it->second].weight += e.weight;
        lines[it->second].score += e.score;
      }
    }
  }
  edgeLayer_->setLines(std::move(lines));
  updateHighlight();
}

void CircuitGraphView::updateHighlight() {
  if (!edgeLayer_) return;
  std::set<const NodeItem*> lit;
  for (QGraphicsItem* item : scene_->selectedItems()) {
    if (auto* n = qgraphicsitem_cast<NodeItem*>(item)) lit.insert(n);
  }
  edgeLayer_->setHighlighted(std::move(lit));
}

int CircuitGraphView::highlightedEdgeCount() const { return edgeLayer_ ? edgeLayer_->highlightedCount() : 0; }

int CircuitGraphView::edgeCount() const {
  return edgeLayer_ ? static_cast<int>(edgeLayer_->lines().size()) : 0;
}

std::vector<GraphEdgeRef> CircuitGraphView::edgesOf(const NodeKey& key) const {
  std::vector<GraphEdgeRef> out;
  const NodeItem* item = anyItem(key);
  if (!item || !edgeLayer_) return out;
  for (const auto& l : edgeLayer_->lines()) {
    if (l.src != item && l.dst != item) continue;
    const bool incoming = l.dst == item;
    const NodeItem* other = incoming ? l.src : l.dst;
    out.push_back({other->key(), nodeName(other), l.weight, incoming});
  }
  std::stable_sort(out.begin(), out.end(), [](const GraphEdgeRef& a, const GraphEdgeRef& b) {
    return std::fabs(a.weight) > std::fabs(b.weight);
  });
  return out;
}

void CircuitGraphView::setCollapsed(std::vector<Supernode> groups) {
  groups_ = std::move(groups);
  collapseGroups();
  refreshCaptions();
}

void CircuitGraphView::collapseGroups() {
  {
    const QSignalBlocker block(scene_);
    for (NodeItem* s : supernodes_) {
      allByKey_.erase(s->key());
      captioned_.erase(std::remove(captioned_.begin(), captioned_.end(), s), captioned_.end());
      delete s;
    }
  }
  supernodes_.clear();
  for (auto& [member, into] : collapsedInto_) member->setVisible(true);
  collapsedInto_.clear();
  if (!edgeLayer_) return;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const Supernode& group = groups_[g];
    std::vector<NodeItem*> members;
    auto take = [&](NodeItem* n) {
      if (n && !collapsedInto_.count(n) && std::find(members.begin(), members.end(), n) == members.end())
        members.push_back(n);
    };
    for (const NodeKey& k : group.members) {
      if (k.node.pos >= 0) {
        take(nodeItem(k));
        continue;
      }
      for (NodeItem* n : nodes_) {
        if (n->key().basis == k.basis && n->key().node.layer == k.node.layer && n->key().node.index == k.node.index)
          take(n);
      }
    }
    if (members.empty()) continue;
    QPointF centre;
    float effect = 0;
    for (NodeItem* n : members) {
      centre += n->pos();
      effect += n->effect();
    }
    centre /= static_cast<double>(members.size());
    // As large as the members' summed |effect| would make one node, within 0.8..1.6 of the largest node.
    double sumAbs = 0;
    for (NodeItem* n : members) sumAbs += std::fabs(n->effect());
    const double maxR = layout::kPitch * 0.45;
    const double r = std::clamp(maxR * std::sqrt(sumAbs / maxAbs_), 0.8 * maxR, 1.6 * maxR);
    auto* s = new NodeItem(NodeItem::Kind::Supernode,
                           NodeKey{ce::core::Basis::MlpAct, {kSupernodeLayer, static_cast<int>(g), 0}}, r, effect,
                           0, group.name);
    s->setFill(group.color);
    s->setPos(centre);
    s->setZValue(3);
    scene_->addItem(s);
    supernodes_.push_back(s);
    allByKey_[s->key()] = s;
    for (NodeItem* n : members) {
      n->setSelected(false);
      n->setVisible(false);
      collapsedInto_[n] = s;
    }
  }
  rebuildLines();
}

}  // namespace ce::ui
