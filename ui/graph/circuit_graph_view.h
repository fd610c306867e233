// The circuit graph: x = token position, y = layer (embeddings at the bottom, the logit on top); the layout
// rules are in graph_layout.h. Shows a trace of this program (setCircuit, editable) or a circuit-tracer /
// Neuronpedia graph (showImportedGraph, read-only). Everything here runs on the GUI thread.
#pragma once

#include <QColor>
#include <QGraphicsView>
#include <QStringList>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/edge_attribution.h"
#include "state/intervention_state.h"

class QGraphicsScene;
class QMenu;
class QGraphicsSimpleTextItem;

namespace ce::core {
struct AttributionGraph;
}

namespace ce::ui {

namespace layout {
struct Grid;
}
class NodeItem;
class EdgeLayerItem;
class GraphLegend;

// One edge of a node as edgesOf lists it: the node at the other end, its name ("L3/N701@9",
// "emb ' Dallas'@5", "logit", a supernode's name), the signed weight, and whether it points into the node.
struct GraphEdgeRef {
  NodeKey other;
  QString name;
  float weight = 0;
  bool incoming = false;
};

// A group drawn as one node (setCollapsed). Members with pos −1 stand for every position of their neuron.
struct Supernode {
  QString name;
  QColor color;
  std::vector<NodeKey> members;
};

class CircuitGraphView : public QGraphicsView {
  Q_OBJECT
 public:
  // Layers of the keys that are not neurons: embeddings {−1, pos, 0}; supernodes {−2, i, 0} with i the
  // group's index in setCollapsed's list; the traced logit is {layers, last pos, 0}.
  static constexpr int kEmbeddingLayer = -1;
  static constexpr int kSupernodeLayer = -2;
  static constexpr int kCaptionedNodes = 40;  // captions for the top nodes by |effect|, edited ones besides
  static constexpr int kMaxSpecialCaptions = 200;  // pinned, edited or user-labelled nodes captioned

  explicit CircuitGraphView(QWidget* parent = nullptr);
  // The scene (a child) outlives this object's members: its item deletion must not reach selectedNodes().
  ~CircuitGraphView() override;

  // Replaces the graph with a trace (editable). `edges` may be empty; edges whose endpoints are not shown
  // are skipped. Fits the view. Labels, pins and collapsed groups set before are kept and drawn again.
  void setCircuit(ce::core::Basis basis, int layers, const QStringList& tokens,
                  const std::vector<ce::core::NodeEffect>& nodes, const std::vector<ce::core::Edge>& edges);
  // setCircuit for the GUI thread's sake: past kNodesPerTurn nodes the items are made kNodesPerTurn per
  // event-loop turn (about 4 ms of CPU each), so that a 10^4-node trace never stalls the window for the
  // whole scene, and the view keeps the last graph until the new one is complete. `done` runs once it is
  // (before returning when one turn suffices); a setCircuit, setCircuitInTurns, showImportedGraph or
  // clearCircuit meanwhile abandons the build and `done` never runs. Edits made meanwhile (pins, labels,
  // interventions, groups) reach the items made so far; the caller applies them again in `done`.
  void setCircuitInTurns(ce::core::Basis basis, int layers, const QStringList& tokens,
                         const std::vector<ce::core::NodeEffect>& nodes, const std::vector<ce::core::Edge>& edges,
                         std::function<void()> done);
  static constexpr int kNodesPerTurn = 2500;
  // For a feature basis, the index of the error node (d_sae), named "L{layer}/error"; -1 for the other bases.
  // Applies to the next setCircuit / setCircuitInTurns.
  void setErrorNodeIndex(int index) { errorIndex_ = index; }
  // Whether setCircuitInTurns is still making items.
  bool building() const { return !buildDone_; }
  // Replaces the graph with a circuit-tracer / Neuronpedia graph, read-only: nodes whose `influence` is
  // above `influenceThreshold` are left out (nodes without one, embeddings and logits, always stay), links
  // between kept nodes drawn with their weights, qParams' supernodes collapsed and pinned ids pinned.
  // Imported neurons/features get NodeKey{MlpAct, {layer, ctx_idx, index from node_id}}, error nodes index
  // −1, logits {layer, ctx_idx, token id}; importedNodeId maps them back. The graph is read as given (the
  // reader checked it); ids that name no kept node are skipped.
  void showImportedGraph(const ce::core::AttributionGraph& graph, double influenceThreshold = 0.8);
  // Empties the graph, labels, pins and collapsed groups included.
  void clearCircuit();
  bool isImported() const { return imported_; }
  // The JSON node_id of an imported node; empty for keys not imported.
  QString importedNodeId(const NodeKey& key) const;

  // The neurons (imported: features and error nodes), hidden members of collapsed groups included.
  const std::vector<NodeItem*>& nodeItems() const { return nodes_; }
  // A neuron's item, or null (embeddings, logits and supernodes: see anyItem).
  NodeItem* nodeItem(const NodeKey& key) const;
  // Any drawn item by key: neurons, embeddings, logits, supernodes.
  NodeItem* anyItem(const NodeKey& key) const;
  std::vector<NodeKey> selectedNodes() const;
  void selectNodes(const std::vector<NodeKey>& keys);
  int edgeCount() const;
  bool edgesVisible() const { return edgesVisible_; }
  QString tokenAt(int pos) const { return pos >= 0 && pos < tokens_.size() ? tokens_[pos] : QString(); }
  // The scene rectangle the graph's content occupies (what fitAll shows).
  QRectF contentRect() const { return contentRect_; }
  // The scene y of a row's line (0 = embeddings, layer l = l + 1, the logits on top); NaN outside.
  double rowLineY(int row) const;

  // The hover text of a node, made on demand: formatting it for each of 10^4 nodes up front costs more
  // GUI-thread time than building the items.
  QString toolTipFor(const NodeItem* item) const;
  // The hover text at a viewport point: the node's, else the edge's within a few pixels
  // ("L1/N23@5 → L3/N701@9  weight −0.0123" and, for traces, "contribution to the metric +0.05"), else
  // empty.
  QString toolTipAt(const QPoint& viewportPoint) const;
  // The name edges use for a node: "L3/N701@9", "emb ' Dallas'@5", "logit", a supernode's name.
  QString nodeName(const NodeItem* item) const;

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

  // Redraws nodes as the interventions say (ablated, steered, mean, group colour) and their captions
  // ("L3/N701 ×0"). Ignored for imported graphs.
  void showInterventions(const InterventionState& state);

  // Labels by neuron (layer, index), shown at every position under the node's id; those in `automatic`
  // (made from exemplars) are drawn in dimmer italics. Replaces the previous labels; kept across traces.
  void setNodeLabels(std::map<std::pair<int, int>, QString> labels, std::set<std::pair<int, int>> automatic);
  // The label a node shows (a user or automatic label, or an imported clerp), empty when none.
  QString labelOf(const NodeKey& key) const;
  // Pinned nodes get a pin mark (keeping them visible is the caller's business). Kept across traces.
  void setPinned(std::set<NodeKey> pinned);
  // Draws each group as one node at its members' mean position, with the edges of its members summed per
  // other endpoint (edges inside a group dropped); the members are hidden. {} expands all. Members not in
  // the graph, or already in an earlier group, are skipped; a group with none left is not drawn.
  // Supernodes have keys {kSupernodeLayer, index, 0}; hover, selection and edgesOf work on them.
  void setCollapsed(std::vector<Supernode> groups);
  const std::vector<NodeItem*>& supernodeItems() const { return supernodes_; }
  // The edges of a drawn node (collapsed members have none: their supernode holds them), strongest
  // |weight| first.
  std::vector<GraphEdgeRef> edgesOf(const NodeKey& key) const;
  // Edges drawn highlighted because an endpoint is selected.
  int highlightedEdgeCount() const;

  // Nodes matching `query`: a node name "L3/N701" (every position shown) or "L3/N701@9", case and spaces
  // ignored; otherwise the shown nodes (and supernodes) whose label contains the query, case ignored.
  // Sorted by key. Empty for an empty query or no match.
  std::vector<NodeKey> findNodes(const QString& query) const;
  // Selects `keys` and centres the view on them, keeping the zoom unless they do not fit in the view.
  void focusNodes(const std::vector<NodeKey>& keys);

  // The caption shown beside a node: "L3/N701 ×0", with its label on a second line after "\n"; empty when
  // the node has none or it is hidden (overlapping a more important one at this zoom).
  QString captionOf(const NodeKey& key) const;
  // The answer the metric favours, named in the legend's colour key.
  void setAnswer(const QString& answer);
  GraphLegend* legend() const { return legend_; }
  // Whether the user zoomed or panned by hand since the last fit (then resizes keep their view).
  bool userView() const { return userView_; }

 public Q_SLOTS:
  void setEdgesVisible(bool visible);
  // Fits the content into the view; resizes refit until the user zooms or pans again.
  void fitAll();
  void zoomBy(double factor);

 Q_SIGNALS:
  void selectionChanged(const std::vector<ce::ui::NodeKey>& nodes);
  // From the context menu, for the selected nodes: factor 0 ablates, 1 resets.
  void nodeFactorRequested(const std::vector<ce::ui::NodeKey>& nodes, double factor);
  void groupRequested(const std::vector<ce::ui::NodeKey>& nodes);
  void meanAblationRequested(const std::vector<ce::ui::NodeKey>& nodes);
  // Enter on the selection or a double-click on a node: the window opens the Neuron panel on it.
  void nodeActivated(const ce::ui::NodeKey& node);
  // A plain left click on a node (it is selected alone): the window brings the Neuron panel to the front.
  void nodeClicked(const ce::ui::NodeKey& node);

 protected:
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void contextMenuEvent(QContextMenuEvent* event) override;
  bool viewportEvent(QEvent* event) override;
  // Token and layer labels follow a palette change (dark theme); nodes keep colours legible on both.
  void changeEvent(QEvent* event) override;

 private:
  struct BaseEdge {
    NodeItem* src;
    NodeItem* dst;
    float weight, score;  // score: the contribution to the metric (> 0 raises it)
  };
  struct ImportedInfo {
    QString nodeId, clerp, featureType;
    std::optional<double> influence, activation;
  };

  // A token or layer label in the palette's text colour, recoloured on a palette change.
  QGraphicsSimpleTextItem* addLabel(const QString& text);
  // Token labels under the columns, row names at the left, faint layer lines; sets contentRect_.
  void drawAxes(const layout::Grid& grid, const std::vector<QString>& rowNames);
  // Each token label's width in the axis font, for the grid.
  std::vector<double> axisLabelWidths() const;
  // Empties the scene and the per-graph state; labels, pins and groups stay.
  void clearScene();
  NodeItem* addNode(NodeItem* item, const QPointF& at);
  // setCircuit in three steps: place the nodes (clears the scene), make `count` more items, then the
  // embeddings, logit, axes and edges, and finishGraph.
  struct Build;
  void startBuild(ce::core::Basis basis, int layers, const QStringList& tokens,
                  const std::vector<ce::core::NodeEffect>& nodes, const std::vector<ce::core::Edge>& edges);
  void addBuiltNodes(size_t count);
  void completeBuild();
  void continueBuild(quint64 serial, std::function<void()> done);
  void finishGraph();
  // Rebuilds the drawn lines from edges_ through the collapsed groups.
  void rebuildLines();
  void updateHighlight();
  // Which nodes get captions and their text; their placement follows in the next event-loop turn, so that
  // the several edits of one trace (interventions, labels, pins) place them once.
  void refreshCaptions();
  // Which captions show at this zoom, and on which side. Changes the caption items only.
  void placeCaptions() const;
  void schedulePlacement();
  // After any change of zoom: captions and the legend's reference circles.
  void viewChanged();
  void positionLegend();
  NodeItem* neighbourOf(const NodeItem* from, int key) const;
  void collapseGroups();

  QGraphicsScene* scene_;
  GraphLegend* legend_;
  EdgeLayerItem* edgeLayer_ = nullptr;
  std::vector<NodeItem*> nodes_;
  std::vector<NodeItem*> supernodes_;
  std::vector<QGraphicsSimpleTextItem*> labels_;
  std::map<NodeKey, NodeItem*> byKey_;   // neurons
  std::map<NodeKey, NodeItem*> allByKey_;  // every drawn item
  std::vector<BaseEdge> edges_;
  std::map<NodeItem*, NodeItem*> collapsedInto_;  // hidden member -> its supernode
  std::vector<NodeItem*> captioned_;  // in order of importance
  mutable bool placementPending_ = false;
  QStringList tokens_;
  ce::core::Basis basis_ = ce::core::Basis::MlpAct;
  int errorIndex_ = -1;
  QRectF contentRect_;
  std::vector<double> lineY_;  // per row, from the grid
  double maxAbs_ = 1;
  bool edgesVisible_ = true;
  bool userView_ = false;
  bool imported_ = false;
  std::map<std::pair<int, int>, QString> firstExemplars_;
  std::map<NodeKey, float> meanValues_;
  QString meanSource_;
  std::function<void(QMenu*, const NodeKey&)> nodeMenuExtender_;
  std::map<std::pair<int, int>, QString> nodeLabels_;
  std::set<std::pair<int, int>> automaticLabels_;
  std::set<NodeKey> pinned_;
  std::vector<Supernode> groups_;
  std::map<NodeKey, ImportedInfo> importedInfo_;
  std::unique_ptr<Build> build_;  // while setCircuitInTurns makes items
  quint64 buildSerial_ = 0;       // bumped by every new or cleared scene: older builds stop
  bool buildDone_ = true;         // false from setCircuitInTurns until its `done` has run
};

}  // namespace ce::ui
