#include "graph/circuit_graph_view.h"

#include <QAction>
#include <QContextMenuEvent>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QMenu>
#include <QScrollBar>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "graph/edge_layer_item.h"
#include "graph/node_item.h"

namespace ce::ui {

CircuitGraphView::CircuitGraphView(QWidget* parent)
    : QGraphicsView(parent), scene_(new QGraphicsScene(this)) {
  setScene(scene_);
  // No BSP index: rebuilding it after each trace cost more GUI-thread time (tens of ms at 10^4 nodes)
  // than the linear scans it saves for a scene that is replaced, never edited.
  scene_->setItemIndexMethod(QGraphicsScene::NoIndex);
  setRenderHint(QPainter::Antialiasing);
  setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
  // Every item sets the pen, brush and hints it uses, so saving painter state per item is wasted work
  // at 10^4 items.
  setOptimizationFlags(QGraphicsView::DontSavePainterState | QGraphicsView::DontAdjustForAntialiasing);
  setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
  setDragMode(QGraphicsView::ScrollHandDrag);
  setRubberBandSelectionMode(Qt::IntersectsItemShape);
  setFocusPolicy(Qt::StrongFocus);
  setToolTip(QString());
  connect(scene_, &QGraphicsScene::selectionChanged, this,
          [this] { Q_EMIT selectionChanged(selectedNodes()); });
}

QPointF CircuitGraphView::cellCenter(int row, int pos) const {
  const double x = pos >= 0 && pos < static_cast<int>(columnX_.size()) ? columnX_[static_cast<size_t>(pos)]
                                                                       : pos * kColumnWidth;
  return QPointF(x, -row * kRowHeight);
}

CircuitGraphView::~CircuitGraphView() {
  disconnect(scene_, nullptr, this, nullptr);
  nodes_.clear();
  byKey_.clear();
  labels_.clear();
}

void CircuitGraphView::clearCircuit() {
  firstExemplars_.clear();
  meanValues_.clear();
  meanSource_.clear();
  const QSignalBlocker block(scene_);
  scene_->clear();
  nodes_.clear();
  labels_.clear();
  byKey_.clear();
  edgeLayer_ = nullptr;
  tokens_.clear();
  columnX_.clear();
  columnWidth_.clear();
  Q_EMIT selectionChanged({});
}

void CircuitGraphView::setCircuit(ce::core::Basis basis, int layers, const QStringList& tokens,
                                  const std::vector<ce::core::NodeEffect>& nodes,
                                  const std::vector<ce::core::Edge>& edges) {
  clearCircuit();
  tokens_ = tokens;
  basis_ = basis;
  const int positions = static_cast<int>(tokens.size());

  float maxAbs = 0;
  std::map<std::pair<int, int>, std::vector<const ce::core::NodeEffect*>> cells;
  for (const auto& n : nodes) {
    maxAbs = std::max(maxAbs, std::fabs(n.effect));
    cells[{n.node.layer, n.node.pos}].push_back(&n);
  }
  if (maxAbs <= 0) maxAbs = 1;

  // One node pitch for the whole graph, so that node area compares across cells. A cell stacks at most
  // kMaxRows rows and grows sideways; a position's column is as wide as its widest cell.
  const int maxRows = std::max(1, static_cast<int>(kRowHeight * 0.9 / kPitch));
  auto gridOf = [maxRows](int count) {
    const int rows = std::min(maxRows, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count)))));
    return std::make_pair(rows, (count + rows - 1) / rows);
  };
  columnWidth_.assign(static_cast<size_t>(positions), kColumnWidth);
  for (const auto& [cell, members] : cells) {
    if (cell.second < 0 || cell.second >= positions) continue;
    const int cols = gridOf(static_cast<int>(members.size())).second;
    auto& w = columnWidth_[static_cast<size_t>(cell.second)];
    w = std::max(w, cols * kPitch + 0.1 * kColumnWidth);
  }
  columnX_.assign(static_cast<size_t>(positions), 0);
  double x = 0;
  for (int p = 0; p < positions; ++p) {
    const double w = columnWidth_[static_cast<size_t>(p)];
    columnX_[static_cast<size_t>(p)] = x + w / 2;
    x += w;
  }
  const double maxR = kPitch * 0.45;

  for (const auto& [cell, members] : cells) {
    if (cell.second < 0 || cell.second >= positions) continue;
    const int count = static_cast<int>(members.size());
    const auto [rows, cols] = gridOf(count);
    const double pitch = kPitch;
    const QPointF c = cellCenter(cell.first + 1, cell.second);
    for (int i = 0; i < count; ++i) {
      const auto& n = *members[static_cast<size_t>(i)];
      const int cx = i % cols, cy = i / cols;
      const QPointF p(c.x() + (cx - (cols - 1) / 2.0) * pitch, c.y() + (cy - (rows - 1) / 2.0) * pitch);
      // Area, not radius, is proportional to |effect|.
      const double r = std::max(1.5, maxR * std::sqrt(std::fabs(n.effect) / maxAbs));
      NodeKey key{basis, n.node};
      const QString name = QStringLiteral("L%1/N%2").arg(n.node.layer).arg(n.node.index);
      auto* item = new NodeItem(NodeItem::Kind::Node, key, r, n.effect, n.activation, name);
      item->setPos(p);
      scene_->addItem(item);
      nodes_.push_back(item);
      byKey_[key] = item;
    }
  }

  // Embeddings along the bottom row, the metric's logit above the last layer at the last position.
  std::vector<NodeItem*> embeddings;
  for (int p = 0; p < positions; ++p) {
    auto* e = new NodeItem(NodeItem::Kind::Embedding, NodeKey{basis, {-1, p, 0}}, 10, 0, 0, QString());
    e->setPos(cellCenter(0, p));
    scene_->addItem(e);
    embeddings.push_back(e);
    auto* label = addLabel(tokens[p]);
    const QRectF b = label->boundingRect();
    label->setPos(cellCenter(0, p) + QPointF(-b.width() / 2, 24));
  }
  NodeItem* logit = nullptr;
  if (positions > 0) {
    logit = new NodeItem(NodeItem::Kind::Logit, NodeKey{basis, {layers, positions - 1, 0}}, 14, 0, 0,
                         QStringLiteral("m"));
    logit->setPos(cellCenter(layers + 1, positions - 1));
    scene_->addItem(logit);
  }
  for (int row = 0; row <= layers + 1; ++row) {
    const QString text = row == 0            ? QStringLiteral("emb")
                         : row == layers + 1 ? QStringLiteral("logit")
                                             : QStringLiteral("L%1").arg(row - 1);
    auto* label = addLabel(text);
    const QRectF b = label->boundingRect();
    label->setPos(QPointF(-10 - b.width(), -row * kRowHeight - b.height() / 2));
  }

  std::vector<EdgeLayerItem::Line> lines;
  auto endpoint = [&](const ce::core::EdgeEnd& e) -> const NodeItem* {
    switch (e.kind) {
      case ce::core::EdgeEnd::Kind::Embedding:
        return e.node.pos >= 0 && e.node.pos < positions ? embeddings[static_cast<size_t>(e.node.pos)]
                                                         : nullptr;
      case ce::core::EdgeEnd::Kind::Logit:
        return logit;
      case ce::core::EdgeEnd::Kind::Neuron:
        break;
    }
    auto it = byKey_.find(NodeKey{ce::core::Basis::MlpAct, e.node});
    return it == byKey_.end() ? nullptr : it->second;
  };
  for (const auto& e : edges) {
    const NodeItem* a = endpoint(e.src);
    const NodeItem* b = endpoint(e.dst);
    if (a && b) lines.push_back({a->pos(), b->pos(), e.score});
  }
  edgeLayer_ = new EdgeLayerItem();
  edgeLayer_->setLines(std::move(lines));
  edgeLayer_->setVisible(edgesVisible_);
  scene_->addItem(edgeLayer_);

  const QRectF grid(QPointF(-kColumnWidth * 0.6, -(layers + 1) * kRowHeight - kRowHeight * 0.6),
                    QPointF(x + 10, kRowHeight * 0.6));
  scene_->setSceneRect(grid.normalized().adjusted(-20, -20, 20, 20));
  fitAll();
}

NodeItem* CircuitGraphView::nodeItem(const NodeKey& key) const {
  auto it = byKey_.find(key);
  return it == byKey_.end() ? nullptr : it->second;
}

std::vector<NodeKey> CircuitGraphView::selectedNodes() const {
  std::vector<NodeKey> out;
  for (auto* n : nodes_) {
    if (n->isSelected()) out.push_back(n->key());
  }
  return out;
}

void CircuitGraphView::selectNodes(const std::vector<NodeKey>& keys) {
  {
    const QSignalBlocker block(scene_);
    scene_->clearSelection();
    for (const auto& k : keys) {
      if (auto* n = nodeItem(k)) n->setSelected(true);
    }
  }
  Q_EMIT selectionChanged(selectedNodes());
}

int CircuitGraphView::edgeCount() const {
  return edgeLayer_ ? static_cast<int>(edgeLayer_->lines().size()) : 0;
}

void CircuitGraphView::showInterventions(const InterventionState& state) {
  for (auto* n : nodes_) n->setFactor(state.displayFactor(n->key()), state.groupColor(n->key()));
}

void CircuitGraphView::setEdgesVisible(bool visible) {
  edgesVisible_ = visible;
  if (edgeLayer_) edgeLayer_->setVisible(visible);
}

void CircuitGraphView::fitAll() {
  if (!scene_->sceneRect().isEmpty()) fitInView(scene_->sceneRect(), Qt::KeepAspectRatio);
}

void CircuitGraphView::zoomBy(double factor) {
  // Bounded so that a stuck wheel cannot make the transform degenerate.
  const double current = transform().m11();
  if ((current > 40 && factor > 1) || (current < 0.002 && factor < 1)) return;
  scale(factor, factor);
}

void CircuitGraphView::wheelEvent(QWheelEvent* event) {
  const double steps = event->angleDelta().y() / 120.0;
  if (steps != 0) zoomBy(std::pow(1.2, steps));
  event->accept();
}

void CircuitGraphView::keyPressEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_F && event->modifiers() == Qt::NoModifier) {
    fitAll();
    return;
  }
  if (event->key() == Qt::Key_Plus || event->key() == Qt::Key_Equal) {
    zoomBy(1.25);
    return;
  }
  if (event->key() == Qt::Key_Minus) {
    zoomBy(0.8);
    return;
  }
  QGraphicsView::keyPressEvent(event);
}

void CircuitGraphView::mousePressEvent(QMouseEvent* event) {
  // Plain drag pans; Shift-drag draws a rubber band (Ctrl-click toggles single nodes, as in QGraphicsScene).
  if (event->button() == Qt::LeftButton && (event->modifiers() & Qt::ShiftModifier))
    setDragMode(QGraphicsView::RubberBandDrag);
  QGraphicsView::mousePressEvent(event);
}

void CircuitGraphView::mouseReleaseEvent(QMouseEvent* event) {
  QGraphicsView::mouseReleaseEvent(event);
  setDragMode(QGraphicsView::ScrollHandDrag);
}

QString CircuitGraphView::toolTipFor(const NodeItem* item) const {
  if (!item) return {};
  const auto& n = item->key().node;
  switch (item->kind()) {
    case NodeItem::Kind::Embedding:
      return tr("embedding at position %1: \u201c%2\u201d").arg(n.pos).arg(tokenAt(n.pos));
    case NodeItem::Kind::Logit:
      return tr("the metric: logit(answer) \u2212 logit(contrast)");
    case NodeItem::Kind::Node:
      break;
  }
  QString tip = tr("%1 (%2)\nposition %3, token \u201c%4\u201d\nactivation %5\neffect %6")
                    .arg(item->label(), QString::fromLatin1(ce::core::basis_name(basis_)))
                    .arg(n.pos)
                    .arg(tokenAt(n.pos))
                    .arg(static_cast<double>(item->activation()), 0, 'g', 4)
                    .arg(static_cast<double>(item->effect()), 0, 'g', 4);
  if (auto it = firstExemplars_.find({n.layer, n.index}); it != firstExemplars_.end())
    tip += tr("\nfirst exemplar: %1").arg(it->second);
  return tip;
}

QGraphicsSimpleTextItem* CircuitGraphView::addLabel(const QString& text) {
  auto* label = scene_->addSimpleText(text);
  QFont f = label->font();
  f.setPixelSize(24);
  label->setFont(f);
  label->setBrush(palette().color(QPalette::Text));
  labels_.push_back(label);
  return label;
}

void CircuitGraphView::changeEvent(QEvent* event) {
  QGraphicsView::changeEvent(event);
  if (event->type() != QEvent::PaletteChange) return;
  for (QGraphicsSimpleTextItem* label : labels_) label->setBrush(palette().color(QPalette::Text));
}

bool CircuitGraphView::viewportEvent(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    const auto* node = dynamic_cast<const NodeItem*>(itemAt(help->pos()));
    if (node) {
      QToolTip::showText(help->globalPos(), toolTipFor(node), viewport());
    } else {
      QToolTip::hideText();
    }
    return true;
  }
  return QGraphicsView::viewportEvent(event);
}

void CircuitGraphView::contextMenuEvent(QContextMenuEvent* event) {
  auto* node = dynamic_cast<NodeItem*>(itemAt(event->pos()));
  if (node && node->kind() == NodeItem::Kind::Node && !node->isSelected()) {
    scene_->clearSelection();
    node->setSelected(true);
  }
  const std::vector<NodeKey> sel = selectedNodes();
  if (sel.empty()) return;
  QMenu menu(this);
  const QString what =
      sel.size() == 1
          ? QString::fromStdString(ce::core::node_name(sel[0].node.layer, sel[0].node.index, sel[0].node.pos))
          : tr("%n nodes", nullptr, static_cast<int>(sel.size()));
  menu.addSection(what);
  menu.addAction(tr("Ablate (zero)"), this, [this, sel] { Q_EMIT nodeFactorRequested(sel, 0.0); });
  QAction* mean =
      menu.addAction(tr("Ablate (mean)"), this, [this, sel] { Q_EMIT meanAblationRequested(sel); });
  bool allHaveMeans = true;
  for (const auto& k : sel) allHaveMeans = allHaveMeans && meanValues_.count(k) > 0;
  mean->setEnabled(allHaveMeans);
  mean->setToolTip(allHaveMeans || meanSource_.isEmpty() ? meanSource_
                                                         : tr("Unavailable: %1").arg(meanSource_));
  menu.setToolTipsVisible(true);
  QMenu* steer = menu.addMenu(tr("Steer"));
  for (double f : {-2.0, 2.0, 4.0, 8.0}) {
    steer->addAction(QStringLiteral("×%1").arg(f), this,
                     [this, sel, f] { Q_EMIT nodeFactorRequested(sel, f); });
  }
  menu.addAction(tr("Reset"), this, [this, sel] { Q_EMIT nodeFactorRequested(sel, 1.0); });
  menu.addSeparator();
  menu.addAction(tr("Make Group from Selection"), this, [this, sel] { Q_EMIT groupRequested(sel); });
  // The same neurons at every position, generated tokens included: what steering another prompt needs.
  menu.addAction(tr("Make Group from Selection (Every Position)"), this, [this, sel] {
    std::vector<NodeKey> every;
    for (NodeKey k : sel) {
      k.node.pos = -1;
      if (std::find(every.begin(), every.end(), k) == every.end()) every.push_back(k);
    }
    Q_EMIT groupRequested(every);
  });
  if (node && node->kind() == NodeItem::Kind::Node && nodeMenuExtender_)
    nodeMenuExtender_(&menu, node->key());
  menu.exec(event->globalPos());
}

}  // namespace ce::ui
