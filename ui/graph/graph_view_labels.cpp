// CircuitGraphView: captions beside nodes, user and automatic labels, pins, and hover texts.
#include <QGraphicsScene>
#include <QHelpEvent>
#include <QTimer>
#include <QToolTip>
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "graph/circuit_graph_view.h"
#include "graph/edge_layer_item.h"
#include "graph/node_caption_item.h"
#include "graph/node_item.h"

namespace ce::ui {

namespace {
constexpr double kEdgeTolerancePx = 4;  // how near an edge the cursor must be for its hover text

// "−0.0123": the Unicode minus, as the rest of the interface writes signed numbers.
QString signedNumber(double v) { return QString::number(v, 'g', 3).replace(QLatin1Char('-'), QChar(0x2212)); }
}  // namespace

void CircuitGraphView::setNodeLabels(std::map<std::pair<int, int>, QString> labels,
                                     std::set<std::pair<int, int>> automatic) {
  nodeLabels_ = std::move(labels);
  automaticLabels_ = std::move(automatic);
  refreshCaptions();
}

QString CircuitGraphView::labelOf(const NodeKey& key) const {
  if (auto it = importedInfo_.find(key); it != importedInfo_.end()) return it->second.clerp;
  if (key.node.layer == kSupernodeLayer) return {};
  auto it = nodeLabels_.find({key.node.layer, key.node.index});
  return it == nodeLabels_.end() || key.node.layer < 0 ? QString() : it->second;
}

void CircuitGraphView::setPinned(std::set<NodeKey> pinned) {
  pinned_ = std::move(pinned);
  for (auto* n : nodes_) n->setPinned(pinned_.count(n->key()) > 0);
  refreshCaptions();
}

void CircuitGraphView::refreshCaptions() {
  // Captioned: supernodes, then pinned, edited and user-labelled nodes (at most kMaxSpecialCaptions, the
  // largest first), then the top kCaptionedNodes visible nodes by |effect| (the imported graph's logits
  // too). That order is also who wins where captions would overlap. Automatic labels alone do not caption a
  // node: every neuron may have one, and 10^4 captions would stall the GUI thread.
  std::vector<NodeItem*> ranked(nodes_.begin(), nodes_.end());
  std::stable_sort(ranked.begin(), ranked.end(), [](const NodeItem* a, const NodeItem* b) {
    return std::fabs(a->effect()) > std::fabs(b->effect());
  });
  auto special = [this](const NodeItem* n) {
    if (n->pinned() || n->factor() != 1.0 || n->meanAblated()) return true;
    if (imported_) return importedInfo_.count(n->key()) > 0 && !importedInfo_.at(n->key()).clerp.isEmpty();
    const std::pair<int, int> neuron{n->key().node.layer, n->key().node.index};
    return nodeLabels_.count(neuron) > 0 && automaticLabels_.count(neuron) == 0;
  };
  std::vector<NodeItem*> order(supernodes_.begin(), supernodes_.end());
  std::vector<char> taken(ranked.size(), 0);
  int specials = 0;
  for (size_t i = 0; i < ranked.size() && specials < kMaxSpecialCaptions; ++i) {
    if (ranked[i]->isVisible() && special(ranked[i])) {
      order.push_back(ranked[i]);
      taken[i] = 1;
      ++specials;
    }
  }
  int top = 0;
  for (size_t i = 0; i < ranked.size() && top < kCaptionedNodes; ++i) {
    if (!ranked[i]->isVisible()) continue;
    ++top;
    if (!taken[i]) order.push_back(ranked[i]);
  }
  if (imported_) {
    for (const auto& [key, item] : allByKey_)
      if (item->kind() == NodeItem::Kind::Logit) order.push_back(item);
  }
  for (auto* n : captioned_) {
    if (n->caption()) n->caption()->setVisible(false);
  }
  const QColor text = palette().color(QPalette::Text), back = palette().color(QPalette::Base);
  for (auto* n : order) {
    NodeCaptionItem* c = n->ensureCaption();
    const QString label = labelOf(n->key());
    const bool automatic = automaticLabels_.count({n->key().node.layer, n->key().node.index}) > 0 &&
                           !importedInfo_.count(n->key());
    const bool logit = n->kind() == NodeItem::Kind::Logit;
    c->setText(logit ? label : n->label(), n->editText(), logit ? QString() : label, automatic);
    c->setColors(text, back);
  }
  captioned_ = std::move(order);
  schedulePlacement();
}

void CircuitGraphView::schedulePlacement() {
  if (placementPending_) return;
  placementPending_ = true;
  QTimer::singleShot(0, this, [this] {
    if (placementPending_) placeCaptions();
  });
}

void CircuitGraphView::placeCaptions() const {
  placementPending_ = false;
  // Greedy, most important first: a caption goes right of its node, else left, where it stays inside the
  // content and covers neither a caption already placed nor another node's disc; else it is hidden at this
  // zoom. Overlap depends on the zoom only (panning moves all alike), so this runs after zooms and edits,
  // not on scrolls. The few candidate rectangles are bucketed and each node's disc tested against those
  // of its buckets: one pass over 10^4 nodes, no per-node allocation.
  if (captioned_.empty()) return;
  const QTransform t = transform();
  const double scale = std::max(1e-9, t.m11());
  constexpr double kBucket = 64;  // pixels
  auto bucketOf = [](double bx, double by) {
    return (static_cast<qint64>(bx) << 32) ^ static_cast<qint64>(static_cast<quint32>(static_cast<qint32>(by)));
  };
  auto forBuckets = [&](const QRectF& r, const auto& f) {
    for (double x = std::floor(r.left() / kBucket); x <= std::floor(r.right() / kBucket); ++x)
      for (double y = std::floor(r.top() / kBucket); y <= std::floor(r.bottom() / kBucket); ++y) f(bucketOf(x, y));
  };
  struct Candidate {
    QRectF rect;
    bool blocked = false;
  };
  // Two candidates per caption: [2i] right of the node, [2i + 1] left of it.
  std::vector<Candidate> candidates(2 * captioned_.size());
  std::unordered_map<qint64, std::vector<size_t>> buckets;
  const QRectF content = t.mapRect(contentRect_);  // a fitted view shows all of it
  for (size_t i = 0; i < captioned_.size(); ++i) {
    const NodeItem* n = captioned_[i];
    NodeCaptionItem* c = n->caption();
    if (!c || !n->isVisible()) {
      candidates[2 * i].blocked = candidates[2 * i + 1].blocked = true;
      continue;
    }
    for (const bool left : {false, true}) {
      c->setLeft(left);
      Candidate& k = candidates[2 * i + (left ? 1 : 0)];
      k.rect = c->boundingRect().translated(t.map(n->scenePos() + QPointF(left ? -n->radius() : n->radius(), 0)));
      k.blocked = !content.contains(k.rect);
      forBuckets(k.rect, [&](qint64 b) { buckets[b].push_back(2 * i + (left ? 1 : 0)); });
    }
  }
  auto testDisc = [&](const NodeItem* n) {
    if (!n->isVisible()) return;
    const QPointF c = t.map(n->scenePos());
    const double r = std::max(1.0, n->radius() * scale) - 0.5;  // touching edges do not count
    const QRectF d(c.x() - r, c.y() - r, 2 * r, 2 * r);
    forBuckets(d, [&](qint64 b) {
      auto it = buckets.find(b);
      if (it == buckets.end()) return;
      for (size_t k : it->second) {
        if (captioned_[k / 2] != n && d.intersects(candidates[k].rect)) candidates[k].blocked = true;
      }
    });
  };
  for (const NodeItem* n : nodes_) testDisc(n);
  for (const NodeItem* n : supernodes_) testDisc(n);
  for (const auto& [key, n] : allByKey_)
    if (n->kind() == NodeItem::Kind::Embedding || n->kind() == NodeItem::Kind::Logit) testDisc(n);
  std::vector<QRectF> placed;
  for (size_t i = 0; i < captioned_.size(); ++i) {
    const NodeItem* n = captioned_[i];
    NodeCaptionItem* c = n->caption();
    if (!c) continue;
    bool shown = false;
    for (const bool left : {false, true}) {
      const Candidate& k = candidates[2 * i + (left ? 1 : 0)];
      if (k.blocked || std::any_of(placed.begin(), placed.end(), [&k](const QRectF& o) { return o.intersects(k.rect); }))
        continue;
      c->setLeft(left);
      c->setPos(left ? -n->radius() : n->radius(), 0);
      placed.push_back(k.rect);
      shown = true;
      break;
    }
    c->setVisible(shown);
  }
}

QString CircuitGraphView::captionOf(const NodeKey& key) const {
  if (placementPending_) placeCaptions();
  const NodeItem* n = anyItem(key);
  if (!n || !n->caption() || !n->caption()->isVisible() || !n->isVisible()) return {};
  const NodeCaptionItem* c = n->caption();
  return c->secondLine().isEmpty() ? c->firstLine() : c->firstLine() + QLatin1Char('\n') + c->secondLine();
}

QString CircuitGraphView::nodeName(const NodeItem* item) const {
  if (!item) return {};
  const auto& n = item->key().node;
  switch (item->kind()) {
    case NodeItem::Kind::Embedding:
      return QStringLiteral("emb '%1'@%2").arg(tokenAt(n.pos)).arg(n.pos);
    case NodeItem::Kind::Logit:
      return imported_ ? QStringLiteral("logit@%1 (%2)").arg(n.pos).arg(labelOf(item->key()))
                       : QStringLiteral("logit");
    case NodeItem::Kind::Supernode:
      return item->label();
    case NodeItem::Kind::Error:
      return QString::fromStdString(ce::core::error_node_name(n.layer, n.pos));
    case NodeItem::Kind::Node:
      break;
  }
  return QString::fromStdString(ce::core::display_name(basis_, n.layer, n.index, errorIndex_, n.pos));
}

QString CircuitGraphView::toolTipFor(const NodeItem* item) const {
  if (!item) return {};
  const auto& n = item->key().node;
  if (auto it = importedInfo_.find(item->key()); it != importedInfo_.end()) {
    const ImportedInfo& info = it->second;
    QString tip = tr("%1\n%2\nfeature type: %3").arg(info.nodeId, info.clerp.isEmpty() ? tr("(no label)") : info.clerp,
                                                    info.featureType);
    tip += tr("\ninfluence: %1").arg(info.influence ? QString::number(*info.influence, 'g', 4) : tr("none"));
    tip += tr("\nactivation: %1").arg(info.activation ? QString::number(*info.activation, 'g', 4) : tr("none"));
    return tip;
  }
  switch (item->kind()) {
    case NodeItem::Kind::Embedding:
      return tr("embedding at position %1: \u201c%2\u201d").arg(n.pos).arg(tokenAt(n.pos));
    case NodeItem::Kind::Logit:
      return tr("the metric: logit(answer) \u2212 logit(contrast)");
    case NodeItem::Kind::Supernode: {
      int members = 0;
      for (const auto& [member, into] : collapsedInto_) members += into == item ? 1 : 0;
      return tr("%1: %n collapsed nodes\nsummed effect %2", nullptr, members)
          .arg(item->label())
          .arg(static_cast<double>(item->effect()), 0, 'g', 4);
    }
    case NodeItem::Kind::Error:
    case NodeItem::Kind::Node:
      break;
  }
  QString tip = tr("%1 (%2)\nposition %3, token \u201c%4\u201d\nactivation %5\neffect %6 (%7)")
                    .arg(item->label(), QString::fromLatin1(ce::core::basis_name(basis_)))
                    .arg(n.pos)
                    .arg(tokenAt(n.pos))
                    .arg(static_cast<double>(item->activation()), 0, 'g', 4)
                    .arg(static_cast<double>(item->effect()), 0, 'g', 4)
                    .arg(item->effect() < 0 ? tr("it raises the metric: replaced, the metric falls")
                                            : tr("it lowers the metric: replaced, the metric rises"));
  if (const QString label = labelOf(item->key()); !label.isEmpty()) tip += tr("\nlabel: %1").arg(label);
  if (auto it = firstExemplars_.find({n.layer, n.index}); it != firstExemplars_.end())
    tip += tr("\nfirst exemplar: %1").arg(it->second);
  return tip;
}

QString CircuitGraphView::toolTipAt(const QPoint& viewportPoint) const {
  if (const auto* node = dynamic_cast<const NodeItem*>(itemAt(viewportPoint)); node && node->isVisible())
    return toolTipFor(node);
  if (!edgeLayer_ || !edgeLayer_->isVisible()) return {};
  const double scale = std::max(1e-9, transform().m11());
  const int i = edgeLayer_->lineAt(mapToScene(viewportPoint), kEdgeTolerancePx / scale);
  if (i < 0) return {};
  const auto& l = edgeLayer_->lines()[static_cast<size_t>(i)];
  QString tip = QStringLiteral("%1 \u2192 %2  weight %3").arg(nodeName(l.src), nodeName(l.dst), signedNumber(l.weight));
  if (!imported_) {
    const QString sign = l.score > 0 ? QStringLiteral("+") : QString();
    tip += tr("\ncontribution to the metric %1").arg(sign + signedNumber(l.score));
  }
  return tip;
}

bool CircuitGraphView::viewportEvent(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    const QString tip = toolTipAt(help->pos());
    if (tip.isEmpty()) {
      QToolTip::hideText();
    } else {
      QToolTip::showText(help->globalPos(), tip, viewport());
    }
    return true;
  }
  return QGraphicsView::viewportEvent(event);
}

}  // namespace ce::ui
