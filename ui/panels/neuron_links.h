// The Neuron panel's lists about the selected node: its edges in the graph (click one to go to the node at the
// other end) and its direct logit effect (the tokens its output direction promotes and suppresses most).
#pragma once

#include <QTreeWidget>
#include <vector>

#include "ce/core/graphs/logit_effect.h"
#include "graph/circuit_graph_view.h"

namespace ce::ui {

// One row per edge, "← L1/N23@5  +0.0123" (← incoming, → outgoing), in the order given (edgesOf: strongest
// |weight| first). Clicking or activating a row emits nodeRequested with the node at the other end.
class EdgeList : public QTreeWidget {
  Q_OBJECT
 public:
  explicit EdgeList(QWidget* parent = nullptr);
  void setEdges(std::vector<GraphEdgeRef> edges);
  const std::vector<GraphEdgeRef>& edges() const { return edges_; }

 Q_SIGNALS:
  void nodeRequested(const ce::ui::NodeKey& key);

 private:
  std::vector<GraphEdgeRef> edges_;
};

// Two columns of tokens with their logit per unit of activation: promoted (largest first) and suppressed
// (smallest first), as core neuron_logit_effect lists them.
class LogitLists : public QWidget {
  Q_OBJECT
 public:
  explicit LogitLists(QWidget* parent = nullptr);
  void setEffect(const ce::core::LogitEffect& effect);
  // `text` in place of the lists (computing, no neuron, an error).
  void setMessage(const QString& text);
  // The rows as shown: token text and value (what a test compares with core).
  std::vector<std::pair<QString, double>> promoted() const;
  std::vector<std::pair<QString, double>> suppressed() const;

 private:
  QTreeWidget* top_;
  QTreeWidget* bottom_;
};

}  // namespace ce::ui
