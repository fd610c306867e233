#include "graph/circuit_graph_view.h"

#include <QAction>
#include <QFont>
#include <QContextMenuEvent>
#include <QFontMetricsF>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QKeyEvent>
#include <QMenu>
#include <QScrollBar>
#include <QTimer>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>
#include <limits>

#include "graph/edge_layer_item.h"
#include "graph/graph_layout.h"
#include "graph/graph_legend.h"
#include "graph/node_item.h"

namespace ce::ui {

namespace {
constexpr int kAxisPixelSize = 24;  // token and layer labels, in scene units
}

// A trace's scene in the making: where each node goes, in cell order, and what follows the nodes.
struct CircuitGraphView::Build {
  int layers = 0;
  layout::Grid grid;
  struct Placed {
    ce::core::NodeEffect node;
    QPointF at;
  };
  std::vector<Placed> placed;
  std::vector<ce::core::Edge> edges;
  size_t next = 0;  // the first of `placed` without an item
};

CircuitGraphView::CircuitGraphView(QWidget* parent)
    : QGraphicsView(parent), scene_(new QGraphicsScene(this)), legend_(new GraphLegend(this)) {
  setScene(scene_);
  // No BSP index: rebuilding it after each trace cost more GUI-thread time (tens of ms at 10^4 nodes)
  // than the linear scans it saves for a scene that is replaced, never edited.
  scene_->setItemIndexMethod(QGraphicsScene::NoIndex);
  setRenderHint(QPainter::Antialiasing);
  setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
  // Every item sets the pen, brush and hints it uses, so saving painter state per item is wasted work
  // at 10^4 items.
  setOptimizationFlags(QGraphicsView::DontSavePainterState | QGraphicsView::DontAdjustForAntialiasing);
  // The wheel anchors under the cursor by hand (wheelEvent); keys zoom about the centre. The scene rect
  // reaches far beyond the content (finishGraph) so that the scroll range never clamps an anchor.
  setTransformationAnchor(QGraphicsView::AnchorViewCenter);
  setResizeAnchor(QGraphicsView::AnchorViewCenter);
  setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setDragMode(QGraphicsView::ScrollHandDrag);
  setRubberBandSelectionMode(Qt::IntersectsItemShape);
  setFocusPolicy(Qt::StrongFocus);
  setToolTip(QString());
  connect(scene_, &QGraphicsScene::selectionChanged, this, [this] {
    updateHighlight();
    Q_EMIT selectionChanged(selectedNodes());
  });
  positionLegend();
}

CircuitGraphView::~CircuitGraphView() {
  disconnect(scene_, nullptr, this, nullptr);
  nodes_.clear();
  supernodes_.clear();
  byKey_.clear();
  allByKey_.clear();
  collapsedInto_.clear();
  captioned_.clear();
  labels_.clear();
}

void CircuitGraphView::clearScene() {
  ++buildSerial_;  // a build in progress stops at its next turn
  build_.reset();
  buildDone_ = true;
  viewport()->setUpdatesEnabled(true);
  firstExemplars_.clear();
  meanValues_.clear();
  meanSource_.clear();
  importedInfo_.clear();
  const QSignalBlocker block(scene_);
  scene_->clear();
  nodes_.clear();
  supernodes_.clear();
  labels_.clear();
  byKey_.clear();
  allByKey_.clear();
  edges_.clear();
  collapsedInto_.clear();
  captioned_.clear();
  edgeLayer_ = nullptr;
  tokens_.clear();
  contentRect_ = QRectF();
  lineY_.clear();
  maxAbs_ = 1;
  imported_ = false;
  legend_->setImported(false);
}

void CircuitGraphView::clearCircuit() {
  clearScene();
  nodeLabels_.clear();
  automaticLabels_.clear();
  pinned_.clear();
  groups_.clear();
  Q_EMIT selectionChanged({});
}

NodeItem* CircuitGraphView::addNode(NodeItem* item, const QPointF& at) {
  item->setPos(at);
  scene_->addItem(item);
  allByKey_[item->key()] = item;
  if (item->kind() == NodeItem::Kind::Node || item->kind() == NodeItem::Kind::Error) {
    nodes_.push_back(item);
    byKey_[item->key()] = item;
  }
  return item;
}

void CircuitGraphView::setCircuit(ce::core::Basis basis, int layers, const QStringList& tokens,
                                  const std::vector<ce::core::NodeEffect>& nodes,
                                  const std::vector<ce::core::Edge>& edges) {
  startBuild(basis, layers, tokens, nodes, edges);
  addBuiltNodes(build_->placed.size());
  completeBuild();
}

void CircuitGraphView::setCircuitInTurns(ce::core::Basis basis, int layers, const QStringList& tokens,
                                         const std::vector<ce::core::NodeEffect>& nodes,
                                         const std::vector<ce::core::Edge>& edges, std::function<void()> done) {
  startBuild(basis, layers, tokens, nodes, edges);
  if (build_->placed.size() <= static_cast<size_t>(kNodesPerTurn)) {
    addBuiltNodes(build_->placed.size());
    completeBuild();
    if (done) done();
    return;
  }
  // A half-built scene is not worth painting: the view shows the last graph until this one is complete.
  viewport()->setUpdatesEnabled(false);
  buildDone_ = false;
  continueBuild(buildSerial_, std::move(done));
}

void CircuitGraphView::continueBuild(quint64 serial, std::function<void()> done) {
  QTimer::singleShot(0, this, [this, serial, done = std::move(done)]() mutable {
    if (serial != buildSerial_ || !build_) return;  // replaced or cleared meanwhile
    addBuiltNodes(static_cast<size_t>(kNodesPerTurn));
    if (build_->next < build_->placed.size()) {
      continueBuild(serial, std::move(done));
      return;
    }
    completeBuild();
    // The caller's part and the first paint of 10^4 items take a turn each (~10 and ~20 ms of CPU): in one
    // with the completion they made the longest stall.
    buildDone_ = false;
    QTimer::singleShot(0, this, [this, serial, done = std::move(done)] {
      if (serial != buildSerial_) return;
      buildDone_ = true;
      viewport()->setUpdatesEnabled(true);  // the paint it asks for comes in a later turn
      if (done) done();
    });
  });
}

void CircuitGraphView::startBuild(ce::core::Basis basis, int layers, const QStringList& tokens,
                                  const std::vector<ce::core::NodeEffect>& nodes,
                                  const std::vector<ce::core::Edge>& edges) {
  if (imported_) {  // the imported graph's pins and groups name its nodes, not these
    pinned_.clear();
    groups_.clear();
  }
  clearScene();
  tokens_ = tokens;
  basis_ = basis;
  const int positions = static_cast<int>(tokens.size());

  float maxAbs = 0;
  std::map<std::pair<int, int>, std::vector<const ce::core::NodeEffect*>> cells;  // by (row, pos)
  for (const auto& n : nodes) {
    if (n.node.pos < 0 || n.node.pos >= positions || n.node.layer < 0 || n.node.layer >= layers) continue;
    maxAbs = std::max(maxAbs, std::fabs(n.effect));
    cells[{n.node.layer + 1, n.node.pos}].push_back(&n);
  }
  maxAbs_ = maxAbs > 0 ? maxAbs : 1;
  // Largest |effect| first in each cell (slot 0 sits nearest the layer line); ties by node order.
  std::map<std::pair<int, int>, int> counts;
  for (auto& [cell, members] : cells) {
    std::stable_sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
      return std::fabs(a->effect) > std::fabs(b->effect);
    });
    counts[cell] = static_cast<int>(members.size());
  }
  build_ = std::make_unique<Build>();
  build_->layers = layers;
  build_->grid = layout::makeGrid(axisLabelWidths(), counts, layers + 2);
  build_->edges = edges;
  for (const auto& [cell, members] : cells) {
    for (size_t i = 0; i < members.size(); ++i)
      build_->placed.push_back({*members[i], build_->grid.slot(cell.first, cell.second, static_cast<int>(i))});
  }
}

void CircuitGraphView::addBuiltNodes(size_t count) {
  const double maxR = layout::kPitch * 0.45;
  const size_t end = std::min(build_->placed.size(), build_->next + count);
  for (; build_->next < end; ++build_->next) {
    const auto& [n, at] = build_->placed[build_->next];
    // Area, not radius, is proportional to |effect|.
    const double r = std::max(1.5, maxR * std::sqrt(std::fabs(n.effect) / maxAbs_));
    const QString name =
        QString::fromStdString(ce::core::display_name(basis_, n.node.layer, n.node.index, errorIndex_));
    addNode(new NodeItem(NodeItem::Kind::Node, NodeKey{basis_, n.node}, r, n.effect, n.activation, name), at);
  }
}

void CircuitGraphView::completeBuild() {
  const std::unique_ptr<Build> build = std::move(build_);
  const layout::Grid& grid = build->grid;
  const int layers = build->layers;
  const int positions = static_cast<int>(tokens_.size());
  // Embeddings along the bottom row, the metric's logit above the last layer at the last position.
  std::vector<NodeItem*> embeddings;
  for (int p = 0; p < positions; ++p) {
    embeddings.push_back(addNode(
        new NodeItem(NodeItem::Kind::Embedding, NodeKey{basis_, {kEmbeddingLayer, p, 0}}, 10, 0, 0, QString()),
        QPointF(grid.anchorX(p), grid.lineY[0])));
  }
  NodeItem* logit = nullptr;
  if (positions > 0) {
    logit = addNode(new NodeItem(NodeItem::Kind::Logit, NodeKey{basis_, {layers, positions - 1, 0}}, 14, 0, 0,
                                 QStringLiteral("logit")),
                    QPointF(grid.anchorX(positions - 1), grid.lineY.back() - layout::kPitch / 2));
  }
  std::vector<QString> rowNames;
  for (int row = 0; row <= layers + 1; ++row) {
    rowNames.push_back(row == 0            ? QStringLiteral("emb")
                       : row == layers + 1 ? QStringLiteral("logit")
                                           : QStringLiteral("L%1").arg(row - 1));
  }
  drawAxes(grid, rowNames);

  auto endpoint = [&](const ce::core::EdgeEnd& e) -> NodeItem* {
    switch (e.kind) {
      case ce::core::EdgeEnd::Kind::Embedding:
        return e.node.pos >= 0 && e.node.pos < positions ? embeddings[static_cast<size_t>(e.node.pos)]
                                                         : nullptr;
      case ce::core::EdgeEnd::Kind::Logit:
        return logit;
      case ce::core::EdgeEnd::Kind::Neuron:
        break;
    }
    auto it = byKey_.find(NodeKey{basis_, e.node});
    return it == byKey_.end() ? nullptr : it->second;
  };
  for (const auto& e : build->edges) {
    NodeItem* a = endpoint(e.src);
    NodeItem* b = endpoint(e.dst);
    // Edge scores into a neuron carry its effect's sign (weight · effect(dst), negative where the path raises
    // the metric); into the logit they are the contribution itself (edge_attribution.h). One sign for both:
    // the contribution.
    const float contribution = e.dst.kind == ce::core::EdgeEnd::Kind::Logit ? e.score : -e.score;
    if (a && b) edges_.push_back({a, b, e.weight, contribution});
  }
  finishGraph();
}

std::vector<double> CircuitGraphView::axisLabelWidths() const {
  QFont axisFont;
  axisFont.setPixelSize(kAxisPixelSize);
  const QFontMetricsF fm(axisFont);
  std::vector<double> widths;
  for (const QString& t : tokens_) widths.push_back(fm.horizontalAdvance(t));
  return widths;
}

double CircuitGraphView::rowLineY(int row) const {
  return row >= 0 && row < static_cast<int>(lineY_.size()) ? lineY_[static_cast<size_t>(row)]
                                                           : std::numeric_limits<double>::quiet_NaN();
}

void CircuitGraphView::drawAxes(const layout::Grid& grid, const std::vector<QString>& rowNames) {
  lineY_ = grid.lineY;
  const double right = std::max(grid.right(), layout::kEmptyColumn);
  for (size_t p = 0; p < grid.left.size() && p < static_cast<size_t>(tokens_.size()); ++p) {
    auto* label = addLabel(tokens_[static_cast<int>(p)]);
    const QRectF b = label->boundingRect();
    // Centred under the embedding, kept inside its column so that neighbours never overlap.
    const double x = std::clamp(grid.anchorX(static_cast<int>(p)) - b.width() / 2, grid.left[p],
                                grid.left[p] + grid.width[p] - b.width());
    label->setPos(QPointF(x, grid.lineY[0] + 20));
  }
  QColor line = palette().color(QPalette::Mid);
  line.setAlpha(110);
  const int top = static_cast<int>(grid.lineY.size()) - 1;
  for (int row = 0; row <= top; ++row) {
    const double y = grid.lineY[static_cast<size_t>(row)];
    auto* label = addLabel(row < static_cast<int>(rowNames.size()) ? rowNames[static_cast<size_t>(row)] : QString());
    const QRectF b = label->boundingRect();
    label->setPos(QPointF(-10 - b.width(), y - b.height() / 2));
    // The layer's line: the largest nodes of each cell sit just above it.
    if (row > 0 && row < top) {
      auto* l = scene_->addLine(QLineF(0, y, right, y), QPen(line, 0));
      l->setZValue(-1);
    }
  }
  // Room on the right for the last column's captions, which are wider than its caption room when zoomed out.
  contentRect_ = QRectF(QPointF(-80, (top >= 0 ? grid.lineY.back() : 0) - 2 * layout::kPitch),
                        QPointF(right + layout::kCaptionRoom, (top >= 0 ? grid.lineY[0] : 0) + 60));
}

void CircuitGraphView::finishGraph() {
  edgeLayer_ = new EdgeLayerItem();
  edgeLayer_->setVisible(edgesVisible_);
  scene_->addItem(edgeLayer_);
  // A scene rect far larger than the content: panning and anchored zoom are never stopped by the scroll
  // range (zoom out is bounded in zoomBy so that the content never shrinks past a quarter of the view).
  const double m = 4 * std::max(contentRect_.width(), contentRect_.height());
  scene_->setSceneRect(contentRect_.adjusted(-m, -m, m, m));
  legend_->setScale(maxAbs_, layout::kPitch * 0.45, 1);
  collapseGroups();  // also rebuilds the lines
  for (auto* n : nodes_) n->setPinned(pinned_.count(n->key()) > 0);
  refreshCaptions();
  userView_ = false;
  fitAll();
}

NodeItem* CircuitGraphView::nodeItem(const NodeKey& key) const {
  auto it = byKey_.find(key);
  return it == byKey_.end() ? nullptr : it->second;
}

NodeItem* CircuitGraphView::anyItem(const NodeKey& key) const {
  auto it = allByKey_.find(key);
  return it == allByKey_.end() ? nullptr : it->second;
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
      if (auto* n = anyItem(k); n && n->isVisible() && (n->flags() & QGraphicsItem::ItemIsSelectable))
        n->setSelected(true);
    }
  }
  updateHighlight();
  Q_EMIT selectionChanged(selectedNodes());
}

void CircuitGraphView::showInterventions(const InterventionState& state) {
  if (imported_) return;
  for (auto* n : nodes_) {
    n->setMeanAblated(state.nodeValues().count(n->key()) > 0);
    n->setFactor(state.displayFactor(n->key()), state.groupColor(n->key()));
  }
  refreshCaptions();
}

void CircuitGraphView::setEdgesVisible(bool visible) {
  edgesVisible_ = visible;
  if (edgeLayer_) edgeLayer_->setVisible(visible);
}

void CircuitGraphView::fitAll() {
  userView_ = false;
  if (contentRect_.isEmpty()) return;
  // The legend is an overlay in the top-left corner: the content goes below it or right of it, whichever
  // draws it larger, so that no node or row label ("logit") hides under it.
  const QSizeF view = viewport()->size();
  const QSizeF legend = legend_->isHidden() ? QSizeF() : QSizeF(legend_->width() + 12, legend_->height() + 12);
  const QRectF c = contentRect_;
  const double below = std::min(view.width() / c.width(), (view.height() - legend.height()) / c.height());
  const double beside = std::min((view.width() - legend.width()) / c.width(), view.height() / c.height());
  QRectF target = c;
  if (below >= beside && below > 0) {
    target.setTop(c.top() - legend.height() / below);
  } else if (beside > 0) {
    target.setLeft(c.left() - legend.width() / beside);
  }
  fitInView(target, Qt::KeepAspectRatio);
  viewChanged();
}

void CircuitGraphView::zoomBy(double factor) {
  // Bounded so that a stuck wheel cannot make the transform degenerate, and zoomed out no further than
  // the content at a quarter of the view.
  const double current = transform().m11();
  const QSizeF view = viewport()->size();
  const double fit = contentRect_.isEmpty() ? 0.002
                                            : std::min(view.width() / contentRect_.width(),
                                                       view.height() / contentRect_.height());
  if ((current > 40 && factor > 1) || (current < std::max(0.002, fit / 4) && factor < 1)) return;
  userView_ = true;
  scale(factor, factor);
  viewChanged();
}

void CircuitGraphView::wheelEvent(QWheelEvent* event) {
  const double steps = event->angleDelta().y() / 120.0;
  event->accept();
  if (steps == 0) return;
  // The scene point under the cursor stays under it: zoom, then scroll it back.
  const QPointF at = event->position();
  const QPointF anchor = mapToScene(at.toPoint());
  zoomBy(std::pow(1.2, steps));
  const QPointF moved = mapFromScene(anchor);
  horizontalScrollBar()->setValue(horizontalScrollBar()->value() + qRound(moved.x() - at.x()));
  verticalScrollBar()->setValue(verticalScrollBar()->value() + qRound(moved.y() - at.y()));
}

void CircuitGraphView::resizeEvent(QResizeEvent* event) {
  QGraphicsView::resizeEvent(event);
  positionLegend();
  if (!userView_) fitAll();
}

void CircuitGraphView::positionLegend() {
  legend_->setAvailableWidth(viewport()->width());
  legend_->move(frameWidth() + 6, frameWidth() + 6);
}

void CircuitGraphView::viewChanged() {
  legend_->setScale(imported_ ? 0 : maxAbs_, layout::kPitch * 0.45, transform().m11());
  placeCaptions();
}

void CircuitGraphView::setAnswer(const QString& answer) { legend_->setAnswer(answer); }

void CircuitGraphView::keyPressEvent(QKeyEvent* event) {
  const auto mods = event->modifiers() & ~Qt::KeypadModifier;
  if (event->key() == Qt::Key_F && mods == Qt::NoModifier) {
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
  const QList<QGraphicsItem*> selected = scene_->selectedItems();
  auto* current = selected.empty() ? nullptr : qgraphicsitem_cast<NodeItem*>(selected.front());
  if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) && current) {
    Q_EMIT nodeActivated(current->key());
    return;
  }
  if (event->key() == Qt::Key_Left || event->key() == Qt::Key_Right || event->key() == Qt::Key_Up ||
      event->key() == Qt::Key_Down) {
    if (NodeItem* next = neighbourOf(current, event->key())) {
      selectNodes({next->key()});
      ensureVisible(next, 40, 40);
    }
    return;
  }
  QGraphicsView::keyPressEvent(event);
}

void CircuitGraphView::mousePressEvent(QMouseEvent* event) {
  // Plain drag pans; Shift-drag draws a rubber band (Ctrl-click toggles single nodes, as in QGraphicsScene).
  if (event->button() == Qt::LeftButton && (event->modifiers() & Qt::ShiftModifier))
    setDragMode(QGraphicsView::RubberBandDrag);
  QGraphicsView::mousePressEvent(event);
  if (event->button() != Qt::LeftButton || event->modifiers() != Qt::NoModifier) return;
  auto* node = dynamic_cast<NodeItem*>(itemAt(event->pos()));
  if (node && (node->flags() & QGraphicsItem::ItemIsSelectable)) Q_EMIT nodeClicked(node->key());
}

void CircuitGraphView::mouseMoveEvent(QMouseEvent* event) {
  const int h = horizontalScrollBar()->value(), v = verticalScrollBar()->value();
  QGraphicsView::mouseMoveEvent(event);
  // A hand pan is the user's view: resizes stop refitting.
  if (h != horizontalScrollBar()->value() || v != verticalScrollBar()->value()) userView_ = true;
}

void CircuitGraphView::mouseReleaseEvent(QMouseEvent* event) {
  QGraphicsView::mouseReleaseEvent(event);
  setDragMode(QGraphicsView::ScrollHandDrag);
}

void CircuitGraphView::mouseDoubleClickEvent(QMouseEvent* event) {
  auto* node = dynamic_cast<NodeItem*>(itemAt(event->pos()));
  if (node && (node->flags() & QGraphicsItem::ItemIsSelectable)) {
    Q_EMIT nodeActivated(node->key());
    return;
  }
  QGraphicsView::mouseDoubleClickEvent(event);
}

QGraphicsSimpleTextItem* CircuitGraphView::addLabel(const QString& text) {
  auto* label = scene_->addSimpleText(text);
  QFont f = label->font();
  f.setPixelSize(kAxisPixelSize);
  label->setFont(f);
  label->setBrush(palette().color(QPalette::Text));
  labels_.push_back(label);
  return label;
}

void CircuitGraphView::changeEvent(QEvent* event) {
  QGraphicsView::changeEvent(event);
  if (event->type() != QEvent::PaletteChange) return;
  for (QGraphicsSimpleTextItem* label : labels_) label->setBrush(palette().color(QPalette::Text));
  refreshCaptions();
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
  if (imported_) menu.addAction(tr("imported graph: read-only"))->setEnabled(false);
  std::vector<QAction*> edits;
  edits.push_back(menu.addAction(tr("Ablate (zero)"), this, [this, sel] { Q_EMIT nodeFactorRequested(sel, 0.0); }));
  QAction* mean =
      menu.addAction(tr("Ablate (mean)"), this, [this, sel] { Q_EMIT meanAblationRequested(sel); });
  bool allHaveMeans = true;
  for (const auto& k : sel) allHaveMeans = allHaveMeans && meanValues_.count(k) > 0;
  mean->setEnabled(allHaveMeans && !imported_);
  mean->setToolTip(allHaveMeans || meanSource_.isEmpty() ? meanSource_
                                                         : tr("Unavailable: %1").arg(meanSource_));
  menu.setToolTipsVisible(true);
  QMenu* steer = menu.addMenu(tr("Steer"));
  edits.push_back(steer->menuAction());
  for (double f : {-2.0, 2.0, 4.0, 8.0}) {
    steer->addAction(QStringLiteral("×%1").arg(f), this,
                     [this, sel, f] { Q_EMIT nodeFactorRequested(sel, f); });
  }
  edits.push_back(menu.addAction(tr("Reset"), this, [this, sel] { Q_EMIT nodeFactorRequested(sel, 1.0); }));
  menu.addSeparator();
  edits.push_back(
      menu.addAction(tr("Make Group from Selection"), this, [this, sel] { Q_EMIT groupRequested(sel); }));
  // The same neurons at every position, generated tokens included: what steering another prompt needs.
  edits.push_back(menu.addAction(tr("Make Group from Selection (Every Position)"), this, [this, sel] {
    std::vector<NodeKey> every;
    for (NodeKey k : sel) {
      k.node.pos = -1;
      if (std::find(every.begin(), every.end(), k) == every.end()) every.push_back(k);
    }
    Q_EMIT groupRequested(every);
  }));
  if (imported_) {
    for (QAction* a : edits) a->setEnabled(false);
  } else if (node && node->kind() == NodeItem::Kind::Node && nodeMenuExtender_) {
    nodeMenuExtender_(&menu, node->key());
  }
  menu.exec(event->globalPos());
}

}  // namespace ce::ui
