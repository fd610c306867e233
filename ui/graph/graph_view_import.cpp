// CircuitGraphView: showing a circuit-tracer / Neuronpedia graph read-only, in the same layout as a trace.
#include <QFontMetricsF>
#include <QGraphicsScene>
#include <algorithm>
#include <cmath>

#include "ce/core/graphs/attribution_graph.h"
#include "graph/circuit_graph_view.h"
#include "graph/graph_layout.h"
#include "graph/graph_legend.h"
#include "graph/node_item.h"

namespace ce::ui {

namespace {

std::optional<int> toInt(const std::string& s) {
  bool ok = false;
  const int v = QString::fromStdString(s).toInt(&ok);
  return ok ? std::optional<int>(v) : std::nullopt;
}

// The index inside "{layer}_{index}_{pos}", else `fallback`.
int indexFromId(const std::string& nodeId, int fallback) {
  const QStringList parts = QString::fromStdString(nodeId).split(QLatin1Char('_'));
  bool ok = false;
  const int v = parts.size() == 3 ? parts[1].toInt(&ok) : 0;
  return ok ? v : fallback;
}

// Group colours for qParams' supernodes, legible on light and dark backgrounds.
QColor groupColor(size_t i) {
  static const QColor colors[] = {QColor(0x00, 0x9e, 0x73), QColor(0xcc, 0x79, 0xa7), QColor(0x56, 0xb4, 0xe9),
                                  QColor(0xd5, 0x5e, 0x00), QColor(0xf0, 0xe4, 0x42), QColor(0x99, 0x99, 0x99)};
  return colors[i % (sizeof colors / sizeof colors[0])];
}

}  // namespace

QString CircuitGraphView::importedNodeId(const NodeKey& key) const {
  auto it = importedInfo_.find(key);
  return it == importedInfo_.end() ? QString() : it->second.nodeId;
}

void CircuitGraphView::showImportedGraph(const ce::core::AttributionGraph& graph, double influenceThreshold) {
  using ce::core::GraphNodeKind;
  clearScene();
  pinned_.clear();
  groups_.clear();
  basis_ = ce::core::Basis::MlpAct;
  for (const auto& t : graph.metadata.prompt_tokens) tokens_ << QString::fromStdString(t);

  // Rows: embeddings at 0, layer l at l + 1, logits above the highest layer.
  int maxLayer = 0;
  int positions = static_cast<int>(tokens_.size());
  std::vector<const ce::core::GraphNode*> kept;
  for (const auto& n : graph.nodes) {
    const GraphNodeKind kind = ce::core::graph_node_kind(n.feature_type);
    if (n.influence && *n.influence > influenceThreshold) continue;  // larger = less influential
    kept.push_back(&n);
    positions = std::max(positions, n.ctx_idx + 1);
    if (kind != GraphNodeKind::Logit && kind != GraphNodeKind::Embedding)
      maxLayer = std::max(maxLayer, toInt(n.layer).value_or(0));
  }
  while (tokens_.size() < positions) tokens_ << QString();
  const int logitRow = maxLayer + 2;
  auto rowOf = [&](const ce::core::GraphNode& n) {
    const GraphNodeKind kind = ce::core::graph_node_kind(n.feature_type);
    if (kind == GraphNodeKind::Logit) return logitRow;
    if (kind == GraphNodeKind::Embedding || n.layer == "E") return 0;
    return toInt(n.layer).value_or(-1) + 1;
  };
  // Importance orders and sizes features: 1 − influence (circuit-tracer's cumulative influence is smaller for
  // more influential nodes); logits by their probability.
  auto importance = [](const ce::core::GraphNode& n) {
    if (ce::core::graph_node_kind(n.feature_type) == GraphNodeKind::Logit) return n.token_prob;
    return n.influence ? std::clamp(1.0 - *n.influence, 0.0, 1.0) : 1.0;
  };
  std::map<std::pair<int, int>, std::vector<const ce::core::GraphNode*>> cells;  // by (row, pos)
  double maxImportance = 0;
  for (const auto* n : kept) {
    cells[{rowOf(*n), n->ctx_idx}].push_back(n);
    if (ce::core::graph_node_kind(n->feature_type) != GraphNodeKind::Logit)
      maxImportance = std::max(maxImportance, importance(*n));
  }
  maxAbs_ = maxImportance > 0 ? maxImportance : 1;
  std::map<std::pair<int, int>, int> counts;  // the embeddings' row sits on its line, not in slots
  for (auto& [cell, members] : cells) {
    std::stable_sort(members.begin(), members.end(),
                     [&](const auto* a, const auto* b) { return importance(*a) > importance(*b); });
    if (cell.first > 0) counts[cell] = static_cast<int>(members.size());
  }
  const layout::Grid grid = layout::makeGrid(axisLabelWidths(), counts, logitRow + 1);

  const double maxR = layout::kPitch * 0.45;
  std::map<std::string, NodeItem*> byId;
  for (const auto& [cell, members] : cells) {
    const int count = static_cast<int>(members.size());
    for (int i = 0; i < count; ++i) {
      const auto& n = *members[static_cast<size_t>(i)];
      const GraphNodeKind kind = ce::core::graph_node_kind(n.feature_type);
      const int layer = toInt(n.layer).value_or(kind == GraphNodeKind::Embedding ? kEmbeddingLayer : -3);
      NodeKey key{ce::core::Basis::MlpAct, {layer, n.ctx_idx, 0}};
      NodeItem::Kind itemKind = NodeItem::Kind::Node;
      QString name;
      double r = std::max(3.0, maxR * std::sqrt(importance(n) / maxAbs_));
      switch (kind) {
        case GraphNodeKind::Embedding:
          itemKind = NodeItem::Kind::Embedding;
          key.node.layer = kEmbeddingLayer;
          r = 10;
          break;
        case GraphNodeKind::Logit:
          itemKind = NodeItem::Kind::Logit;
          key.node.index = static_cast<int>(n.feature);
          r = 8 + 8 * std::sqrt(std::clamp(n.token_prob, 0.0, 1.0));
          name = QString::fromStdString(n.clerp);
          break;
        case GraphNodeKind::Error:
          itemKind = NodeItem::Kind::Error;
          key.node.index = -1;
          name = QString::fromStdString(ce::core::error_node_name(layer));
          break;
        case GraphNodeKind::Neuron:
        case GraphNodeKind::Other:
          key.node.index = indexFromId(n.node_id, static_cast<int>(n.feature));
          name = kind == GraphNodeKind::Neuron ? QStringLiteral("L%1/N%2").arg(layer).arg(key.node.index)
                                               : QString::fromStdString(n.node_id);
          break;
      }
      // Ids of other tools may repeat a (layer, pos, index): step the index until the key is free.
      while (allByKey_.count(key)) key.node.index += key.node.index < 0 ? -1 : 1;
      const float size = static_cast<float>(importance(n));
      auto* item = new NodeItem(itemKind, key, r, size, static_cast<float>(n.activation.value_or(0)), name);
      item->setNeutral(true);
      const QPointF at = cell.first == 0 ? QPointF(grid.anchorX(cell.second), grid.lineY[0])
                                         : grid.slot(cell.first, cell.second, i);
      addNode(item, at);
      byId[n.node_id] = item;
      importedInfo_[key] = {QString::fromStdString(n.node_id), QString::fromStdString(n.clerp),
                            QString::fromStdString(n.feature_type), n.influence, n.activation};
    }
  }
  std::vector<QString> rowNames{QStringLiteral("emb")};
  for (int l = 0; l <= maxLayer; ++l) rowNames.push_back(QStringLiteral("L%1").arg(l));
  rowNames.push_back(QStringLiteral("logit"));
  drawAxes(grid, rowNames);

  for (const auto& link : graph.links) {
    auto a = byId.find(link.source), b = byId.find(link.target);
    if (a == byId.end() || b == byId.end()) continue;  // an endpoint pruned
    const auto w = static_cast<float>(link.weight);
    edges_.push_back({a->second, b->second, w, w});
  }
  for (const auto& id : graph.qparams.pinned_ids) {
    if (auto it = byId.find(id); it != byId.end()) pinned_.insert(it->second->key());
  }
  for (size_t i = 0; i < graph.qparams.supernodes.size(); ++i) {
    const auto& s = graph.qparams.supernodes[i];
    Supernode group{QString::fromStdString(s.label), groupColor(i), {}};
    for (const auto& id : s.node_ids) {
      if (auto it = byId.find(id); it != byId.end()) group.members.push_back(it->second->key());
    }
    groups_.push_back(std::move(group));
  }
  imported_ = true;
  legend_->setImported(true);
  finishGraph();
}

}  // namespace ce::ui
