#include "prompt_sets/set_graph_view.h"

#include <QContextMenuEvent>
#include <QFontMetrics>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QHelpEvent>
#include <QMenu>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>
#include <map>

#include "ce/core/circuits/basis.h"
#include "graph/edge_layer_item.h"

namespace ce::ui {

// One kept neuron: area by its total |profile|, the colour of its group (blue/red by the sign of its summed
// profile when ungrouped).
class SetNodeItem : public QGraphicsItem {
 public:
  enum { Type = UserType + 11 };
  SetNodeItem(int neuron, double radius, QColor fill) : neuron_(neuron), radius_(radius), fill_(fill) {
    setFlag(ItemIsSelectable);
    setZValue(2);
  }
  int type() const override { return Type; }
  int neuron() const { return neuron_; }
  QColor fill() const { return fill_; }
  QRectF boundingRect() const override { return QRectF(-radius_ - 3, -radius_ - 3, 2 * radius_ + 6, 2 * radius_ + 6); }
  QPainterPath shape() const override {
    QPainterPath p;
    // Small nodes stay clickable.
    const double r = std::max(radius_, 5.0);
    p.addEllipse(QPointF(0, 0), r, r);
    return p;
  }
  void paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget* widget) override {
    painter->setBrush(fill_);
    // Selected: a ring in the text colour, which no group colour is (the circuit graph's amber is one).
    const QColor ring = widget ? widget->palette().color(QPalette::Text) : QColor(Qt::black);
    QPen pen(isSelected() ? ring : fill_.darker(160));
    pen.setWidthF(isSelected() ? 2.5 : 1);
    painter->setPen(pen);
    painter->drawEllipse(QPointF(0, 0), radius_, radius_);
  }

 private:
  int neuron_;
  double radius_;
  QColor fill_;
};

SetGraphView::SetGraphView(QWidget* parent) : QGraphicsView(parent), scene_(freshScene()) {
  setScene(scene_);
  setRenderHint(QPainter::Antialiasing);
  // Every item sets the pen and brush it uses: saving painter state per item is wasted at 10^3 nodes.
  setOptimizationFlags(QGraphicsView::DontSavePainterState | QGraphicsView::DontAdjustForAntialiasing);
  setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
  // Dragging pans (the bars only tell where); bars that come and go with the zoom would repaint the scene twice.
  setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setDragMode(QGraphicsView::ScrollHandDrag);
  setRubberBandSelectionMode(Qt::IntersectsItemShape);
}

QGraphicsScene* SetGraphView::freshScene() {
  auto* scene = new QGraphicsScene(this);
  // As in the circuit graph: the scene is replaced on every edit, never moved, so a BSP index costs more than
  // the hit tests it saves.
  scene->setItemIndexMethod(QGraphicsScene::NoIndex);
  connect(scene, &QGraphicsScene::selectionChanged, this, [this] { Q_EMIT selectionChanged(selectedNeurons()); });
  return scene;
}

void SetGraphView::adopt(QGraphicsScene* scene) {
  // Built apart and shown at once: filling the shown scene item by item had the view paint it twice (its own
  // update, then the scene's queued change notice), 20 ms each at 10^3 nodes.
  QGraphicsScene* old = scene_;
  scene_ = scene;
  setScene(scene_);
  if (old && old != scene_) {
    disconnect(old, nullptr, this, nullptr);
    delete old;
  }
}

SetGraphView::~SetGraphView() {
  disconnect(scene_, nullptr, this, nullptr);
  nodes_.clear();
  byNeuron_.clear();
  labels_.clear();
}

void SetGraphView::clear() {
  adopt(freshScene());
  nodes_.clear();
  byNeuron_.clear();
  labels_.clear();
  edges_ = nullptr;
  boxes_ = 0;
  trace_.reset();
  groups_.clear();
  Q_EMIT selectionChanged({});
}

QGraphicsSimpleTextItem* SetGraphView::addLabel(const QString& text, double pixels) {
  auto* label = scene_->addSimpleText(text);
  QFont f = label->font();
  f.setPixelSize(static_cast<int>(pixels));
  label->setFont(f);
  label->setBrush(palette().color(QPalette::Text));
  label->setZValue(3);
  labels_.push_back(label);
  return label;
}

void SetGraphView::showSet(std::shared_ptr<const ce::core::SetTrace> trace, const std::vector<SetGroup>& groups) {
  const std::vector<int> selected = selectedNeurons();
  clear();
  if (!trace) return;
  QGraphicsScene* shown = scene_;
  scene_ = freshScene();
  trace_ = std::move(trace);
  groups_ = groups;
  zoomed_ = false;
  laidOutHidden_ = !isVisible();
  const auto& neurons = trace_->neurons;
  const int layers = trace_->layers;
  byNeuron_.assign(neurons.size(), nullptr);

  // A band per group with all its members (a neuron in two groups is drawn in both, so that every box holds its
  // whole group), then the band of the neurons in no group.
  const int bands = static_cast<int>(groups_.size()) + 1;
  std::vector<bool> grouped(neurons.size(), false);
  // members[band][layer], each by total |profile| descending (ties by index: the same input, the same picture).
  std::vector<std::vector<std::vector<int>>> members(static_cast<size_t>(bands),
                                                     std::vector<std::vector<int>>(static_cast<size_t>(layers)));
  auto place = [&](int band, int i) {
    const int l = neurons[static_cast<size_t>(i)].layer;
    if (l >= 0 && l < layers) members[static_cast<size_t>(band)][static_cast<size_t>(l)].push_back(i);
  };
  for (int g = 0; g + 1 < bands; ++g) {
    for (int m : groups_[static_cast<size_t>(g)].members) {
      if (m < 0 || m >= static_cast<int>(neurons.size())) continue;
      grouped[static_cast<size_t>(m)] = true;
      place(g, m);
    }
  }
  for (size_t i = 0; i < neurons.size(); ++i) {
    if (!grouped[i]) place(bands - 1, static_cast<int>(i));
  }
  double maxTotal = 0;
  for (const auto& n : neurons) maxTotal = std::max(maxTotal, n.total);
  if (maxTotal <= 0) maxTotal = 1;

  // Each band as wide as needed for its most crowded layer in lines about three times as long
  // as they are many, so that a band of 500 neurons is a block, not a strip.
  std::vector<int> cols(static_cast<size_t>(bands), 0);
  for (int b = 0; b < bands; ++b) {
    int maxCount = 0;
    for (auto& list : members[static_cast<size_t>(b)]) {
      std::sort(list.begin(), list.end(), [&](int a, int c) {
        const double ta = neurons[static_cast<size_t>(a)].total, tc = neurons[static_cast<size_t>(c)].total;
        return ta != tc ? ta > tc : a < c;
      });
      maxCount = std::max(maxCount, static_cast<int>(list.size()));
    }
    if (maxCount > 0)
      cols[static_cast<size_t>(b)] = std::min(maxCount, static_cast<int>(std::ceil(std::sqrt(3.0 * maxCount))));
  }
  // Each layer's row is as tall as its most crowded band.
  std::vector<int> lines(static_cast<size_t>(layers), 1);
  double nodesHeight = 0;
  for (int l = 0; l < layers; ++l) {
    for (int b = 0; b < bands; ++b) {
      const int c = cols[static_cast<size_t>(b)];
      const int n = static_cast<int>(members[static_cast<size_t>(b)][static_cast<size_t>(l)].size());
      if (c > 0) lines[static_cast<size_t>(l)] = std::max(lines[static_cast<size_t>(l)], (n + c - 1) / c);
    }
    nodesHeight += lines[static_cast<size_t>(l)] * kPitch;
  }
  // Labels are in scene units, sized by the scene's extent as the view will fit it (a tall scene is scaled by its
  // height), so that they read at that zoom; a band is at least a few words wide, so that neighbouring small
  // groups keep their labels apart.
  double nodesWidth = 0;
  for (int c : cols) nodesWidth += c > 0 ? (c + 2) * kPitch : 0;
  const double aspect = std::clamp(static_cast<double>(viewport()->width()) / std::max(1, viewport()->height()), 0.5, 4.0);
  const double font = std::clamp(std::max(nodesWidth, nodesHeight * 1.3 * aspect) / 70, 13.0, 60.0);
  std::vector<double> bandX(static_cast<size_t>(bands), 0), bandWidth(static_cast<size_t>(bands), 0);
  double x = 0;
  for (int b = 0; b < bands; ++b) {
    const int c = cols[static_cast<size_t>(b)];
    if (c == 0) continue;
    bandX[static_cast<size_t>(b)] = x;
    bandWidth[static_cast<size_t>(b)] = std::max(c * kPitch, 6 * font);
    x += bandWidth[static_cast<size_t>(b)] + 2 * kPitch;
  }
  const double gap = 2.4 * font;
  // Layer 0 at the bottom.
  std::vector<double> rowTop(static_cast<size_t>(layers)), rowBottom(static_cast<size_t>(layers));
  double y = 0;
  for (int l = 0; l < layers; ++l) {
    rowBottom[static_cast<size_t>(l)] = y;
    y -= lines[static_cast<size_t>(l)] * kPitch;
    rowTop[static_cast<size_t>(l)] = y;
    y -= gap;
  }

  for (int b = 0; b < bands; ++b) {
    const int c = cols[static_cast<size_t>(b)];
    if (c == 0) continue;
    const bool isGroup = b < static_cast<int>(groups_.size());
    const double left = bandX[static_cast<size_t>(b)], width = bandWidth[static_cast<size_t>(b)];
    for (int l = 0; l < layers; ++l) {
      const auto& list = members[static_cast<size_t>(b)][static_cast<size_t>(l)];
      for (size_t k = 0; k < list.size(); ++k) {
        const int i = list[k];
        const auto& n = neurons[static_cast<size_t>(i)];
        // The strongest first, at the top left of the band's block in this row.
        const int col = static_cast<int>(k) % c, line = static_cast<int>(k) / c;
        const QPointF p(left + (col + 0.5) * kPitch, rowTop[static_cast<size_t>(l)] + (line + 0.5) * kPitch);
        const double r = std::max(2.5, kPitch * 0.42 * std::sqrt(n.total / maxTotal));
        QColor fill;
        if (isGroup) {
          fill = groups_[static_cast<size_t>(b)].color;
        } else {
          double sum = 0;
          for (float v : n.profile) sum += v;
          fill = sum >= 0 ? QColor(0x2b, 0x6c, 0xc4) : QColor(0xd1, 0x3c, 0x3c);
          fill.setAlphaF(0.55f);
        }
        auto* item = new SetNodeItem(i, r, fill);
        item->setPos(p);
        scene_->addItem(item);
        nodes_.push_back(item);
        // Edges and nodePos() take a neuron's first drawing.
        if (!byNeuron_[static_cast<size_t>(i)]) byNeuron_[static_cast<size_t>(i)] = item;
      }
    }
    if (!isGroup) {
      auto* label = addLabel(tr("ungrouped"), font);
      label->setPos(left, rowTop[static_cast<size_t>(layers - 1)] - label->boundingRect().height() - 4);
      continue;
    }
    // The supernode: one rounded box over the group's layer span in its colour, its label on top.
    const SetGroup& group = groups_[static_cast<size_t>(b)];
    const double pad = kPitch * 0.4;
    const QRectF box(QPointF(left - pad, rowTop[static_cast<size_t>(group.layerHi)] - pad),
                     QPointF(left + width + pad, rowBottom[static_cast<size_t>(group.layerLo)] + pad));
    QColor fill = group.color;
    fill.setAlphaF(0.16f);
    QPainterPath path;
    path.addRoundedRect(box, kPitch * 0.5, kPitch * 0.5);
    auto* rect = scene_->addPath(path, QPen(group.color, 2), fill);
    rect->setZValue(-1);
    rect->setToolTip(tr("%1\n%n neuron(s), layers %2–%3", nullptr, static_cast<int>(group.members.size()))
                         .arg(group.label)
                         .arg(group.layerLo)
                         .arg(group.layerHi));
    ++boxes_;
    QFont f;
    f.setPixelSize(static_cast<int>(font));
    f.setBold(true);
    const QString text =
        QFontMetrics(f).elidedText(QStringLiteral("%1 (%2)").arg(group.label).arg(static_cast<int>(group.members.size())),
                                   Qt::ElideRight, static_cast<int>(width + 1.5 * kPitch));
    auto* label = scene_->addSimpleText(text, f);
    label->setBrush(group.color);
    label->setZValue(3);
    label->setPos(box.left(), box.top() - label->boundingRect().height() - 2);
  }
  for (int l = 0; l < layers; ++l) {
    auto* label = addLabel(QStringLiteral("L%1").arg(l), font * 1.2);
    const QRectF b = label->boundingRect();
    label->setPos(-kPitch - b.width(),
                  (rowTop[static_cast<size_t>(l)] + rowBottom[static_cast<size_t>(l)]) / 2 - b.height() / 2);
  }

  // The strongest edges only: the set's edge list holds every pair with a score on some prompt.
  std::vector<const ce::core::SetEdge*> strongest;
  for (const auto& e : trace_->edges) strongest.push_back(&e);
  std::sort(strongest.begin(), strongest.end(),
            [](const auto* a, const auto* b) { return std::fabs(a->mean) > std::fabs(b->mean); });
  if (strongest.size() > static_cast<size_t>(kMaxEdges)) strongest.resize(static_cast<size_t>(kMaxEdges));
  std::vector<EdgeLayerItem::Line> edgeLines;
  for (const auto* e : strongest) {
    const QPointF a = nodePos(e->src), b = nodePos(e->dst);
    if (!a.isNull() && !b.isNull()) edgeLines.push_back({a, b, static_cast<float>(e->mean)});
  }
  edges_ = new EdgeLayerItem();
  edges_->setLines(std::move(edgeLines));
  scene_->addItem(edges_);

  const QRectF all = scene_->itemsBoundingRect();
  scene_->setSceneRect(all.adjusted(-20, -20, 20, 20));
  QGraphicsScene* built = scene_;
  scene_ = shown;
  adopt(built);
  selectNeurons(selected);
  fitAll();
}

int SetGraphView::edgeCount() const { return edges_ ? static_cast<int>(edges_->lines().size()) : 0; }

QPointF SetGraphView::nodePos(int neuron) const {
  if (neuron < 0 || neuron >= static_cast<int>(byNeuron_.size()) || !byNeuron_[static_cast<size_t>(neuron)]) return {};
  return byNeuron_[static_cast<size_t>(neuron)]->pos();
}

QColor SetGraphView::nodeColor(int neuron) const {
  for (const auto& g : groups_) {
    if (std::binary_search(g.members.begin(), g.members.end(), neuron)) return g.color;
  }
  return {};
}

std::vector<int> SetGraphView::selectedNeurons() const {
  std::vector<int> out;
  for (const auto* n : nodes_) {
    if (n->isSelected()) out.push_back(n->neuron());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void SetGraphView::selectNeurons(const std::vector<int>& neurons) {
  std::vector<int> sorted = neurons;
  std::sort(sorted.begin(), sorted.end());
  {
    const QSignalBlocker block(scene_);
    scene_->clearSelection();
    // Every drawing of a neuron in several groups.
    for (SetNodeItem* n : nodes_) {
      if (std::binary_search(sorted.begin(), sorted.end(), n->neuron())) n->setSelected(true);
    }
  }
  Q_EMIT selectionChanged(selectedNeurons());
}

QString SetGraphView::toolTipFor(const SetNodeItem* item) const {
  if (!item || !trace_) return {};
  const auto& n = trace_->neurons[static_cast<size_t>(item->neuron())];
  double sum = 0;
  for (float v : n.profile) sum += v;
  QString tip = tr("%1\ntotal |profile| %2 over %3 prompts, mean %4")
                    .arg(QString::fromStdString(trace_->display_name_of(static_cast<size_t>(item->neuron()))))
                    .arg(n.total, 0, 'g', 4)
                    .arg(static_cast<int>(n.profile.size()))
                    .arg(n.profile.empty() ? 0.0 : sum / static_cast<double>(n.profile.size()), 0, 'g', 4);
  for (const auto& g : groups_) {
    if (std::binary_search(g.members.begin(), g.members.end(), item->neuron())) tip += tr("\ngroup: %1").arg(g.label);
  }
  return tip;
}

void SetGraphView::fitAll() {
  zoomed_ = false;
  if (!scene_->sceneRect().isEmpty()) fitInView(scene_->sceneRect(), Qt::KeepAspectRatio);
}

void SetGraphView::wheelEvent(QWheelEvent* event) {
  const double steps = event->angleDelta().y() / 120.0;
  const double current = transform().m11();
  const double factor = std::pow(1.2, steps);
  if (steps != 0 && !((current > 40 && factor > 1) || (current < 0.002 && factor < 1))) {
    scale(factor, factor);
    zoomed_ = true;
  }
  event->accept();
}

void SetGraphView::showEvent(QShowEvent* event) {
  QGraphicsView::showEvent(event);
  // Label sizes depend on the viewport's shape, unknown while hidden.
  if (laidOutHidden_ && trace_) {
    const auto trace = trace_;
    const auto groups = groups_;
    showSet(trace, groups);
  } else if (!zoomed_) {
    fitAll();
  }
}

void SetGraphView::resizeEvent(QResizeEvent* event) {
  QGraphicsView::resizeEvent(event);
  if (!zoomed_) fitAll();
}

void SetGraphView::mousePressEvent(QMouseEvent* event) {
  // As in the circuit graph: plain drag pans, Shift-drag selects a rectangle, Ctrl-click adds.
  if (event->button() == Qt::LeftButton && (event->modifiers() & Qt::ShiftModifier))
    setDragMode(QGraphicsView::RubberBandDrag);
  QGraphicsView::mousePressEvent(event);
}

void SetGraphView::mouseReleaseEvent(QMouseEvent* event) {
  QGraphicsView::mouseReleaseEvent(event);
  setDragMode(QGraphicsView::ScrollHandDrag);
}

void SetGraphView::contextMenuEvent(QContextMenuEvent* event) {
  auto* node = dynamic_cast<SetNodeItem*>(itemAt(event->pos()));
  if (node && !node->isSelected()) selectNeurons({node->neuron()});
  const std::vector<int> sel = selectedNeurons();
  QMenu menu(this);
  if (!sel.empty()) {
    menu.addSection(tr("%n neuron(s)", nullptr, static_cast<int>(sel.size())));
    menu.addAction(tr("Make Group from Selection"), this, [this, sel] { Q_EMIT groupRequested(sel); });
  }
  menu.addAction(tr("Fit"), this, &SetGraphView::fitAll);
  menu.exec(event->globalPos());
}

bool SetGraphView::viewportEvent(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    QGraphicsItem* item = itemAt(help->pos());
    if (auto* node = dynamic_cast<const SetNodeItem*>(item)) {
      QToolTip::showText(help->globalPos(), toolTipFor(node), viewport());
    } else if (item && !item->toolTip().isEmpty()) {
      QToolTip::showText(help->globalPos(), item->toolTip(), viewport());
    } else {
      QToolTip::hideText();
    }
    return true;
  }
  return QGraphicsView::viewportEvent(event);
}

void SetGraphView::changeEvent(QEvent* event) {
  QGraphicsView::changeEvent(event);
  if (event->type() != QEvent::PaletteChange) return;
  for (QGraphicsSimpleTextItem* label : labels_) label->setBrush(palette().color(QPalette::Text));
}

}  // namespace ce::ui
