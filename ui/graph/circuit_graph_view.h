// The circuit graph: x = token position, y = layer (embeddings at the bottom, the logit on top).
#pragma once

#include <QGraphicsView>
#include <QStringList>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/edge_attribution.h"
#include "state/intervention_state.h"

class QGraphicsScene;
class QMenu;
class QGraphicsSimpleTextItem;

namespace ce::ui {

class NodeItem;
class EdgeLayerItem;

class CircuitGraphView : public QGraphicsView {
  Q_OBJECT
 public:
  static constexpr double kColumnWidth = 140;  // the narrowest column; crowded positions get wider ones
  static constexpr double kRowHeight =
      280;                              // tall rows let crowded cells stack, keeping the graph near square
  static constexpr double kPitch = 40;  // node spacing inside a cell; the largest node fills most of it

  explicit CircuitGraphView(QWidget* parent = nullptr);
  // The scene (a child) outlives this object's members: its item deletion must not reach selectedNodes().
  ~CircuitGraphView() override;

  // Replaces the graph. `edges` may be empty; edges whose endpoints are not shown are skipped.
  void setCircuit(ce::core::Basis basis, int layers, const QStringList& tokens,
                  const std::vector<ce::core::NodeEffect>& nodes, const std::vector<ce::core::Edge>& edges);
  void clearCircuit();

  const std::vector<NodeItem*>& nodeItems() const { return nodes_; }
  NodeItem* nodeItem(const NodeKey& key) const;
  std::vector<NodeKey> selectedNodes() const;
  void selectNodes(const std::vector<NodeKey>& keys);
  int edgeCount() const;
  bool edgesVisible() const { return edgesVisible_; }
  QString tokenAt(int pos) const { return pos >= 0 && pos < tokens_.size() ? tokens_[pos] : QString(); }

  // The hover text of a node, made on demand: formatting it for each of 10^4 nodes up front costs more
  // GUI-thread time than building the items.
  QString toolTipFor(const NodeItem* item) const;

  // The text of each neuron's first positive exemplar, by (layer, index), for the hover text; made on a
  // worker together with the trace. Empty when no exemplar index fits the model or the basis.
  void setFirstExemplars(std::map<std::pair<int, int>, QString> texts) { firstExemplars_ = std::move(texts); }

  // Which nodes can be mean-ablated (those with a value) and the values' source, or why none can: the
  // context menu's "Ablate (mean)" is disabled with that reason otherwise.
  void setMeanAblation(std::map<NodeKey, float> values, QString source) {
    meanValues_ = std::move(values);
    meanSource_ = std::move(source);
  }

  // Adds entries for a right-clicked node to its context menu (the main window adds one submenu per group
  // holding the node). Called on the GUI thread while the menu is built.
  void setNodeMenuExtender(std::function<void(QMenu*, const NodeKey&)> extender) {
    nodeMenuExtender_ = std::move(extender);
  }

  // Redraws nodes as the interventions say (ablated, steered, group colour).
  void showInterventions(const InterventionState& state);

 public Q_SLOTS:
  void setEdgesVisible(bool visible);
  void fitAll();
  void zoomBy(double factor);

 Q_SIGNALS:
  void selectionChanged(const std::vector<ce::ui::NodeKey>& nodes);
  // From the context menu, for the selected nodes: factor 0 ablates, 1 resets.
  void nodeFactorRequested(const std::vector<ce::ui::NodeKey>& nodes, double factor);
  void groupRequested(const std::vector<ce::ui::NodeKey>& nodes);
  void meanAblationRequested(const std::vector<ce::ui::NodeKey>& nodes);

 protected:
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void contextMenuEvent(QContextMenuEvent* event) override;
  bool viewportEvent(QEvent* event) override;
  // Token and layer labels follow a palette change (dark theme); nodes keep colours legible on both.
  void changeEvent(QEvent* event) override;

 private:
  QPointF cellCenter(int row, int pos) const;
  // A token or layer label in the palette's text colour, recoloured on a palette change.
  QGraphicsSimpleTextItem* addLabel(const QString& text);

  QGraphicsScene* scene_;
  EdgeLayerItem* edgeLayer_ = nullptr;
  std::vector<NodeItem*> nodes_;
  std::vector<QGraphicsSimpleTextItem*> labels_;
  std::map<NodeKey, NodeItem*> byKey_;
  QStringList tokens_;
  ce::core::Basis basis_ = ce::core::Basis::MlpAct;
  std::vector<double> columnX_;  // centre of each position's column
  std::vector<double> columnWidth_;
  bool edgesVisible_ = true;
  std::map<std::pair<int, int>, QString> firstExemplars_;
  std::map<NodeKey, float> meanValues_;
  QString meanSource_;
  std::function<void(QMenu*, const NodeKey&)> nodeMenuExtender_;
};

}  // namespace ce::ui
