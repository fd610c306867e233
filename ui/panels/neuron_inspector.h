// The selected neuron: its clean activation at every prompt position and its effect there, its label (editable),
// its top exemplars, its edges in the graph and its direct logit effect (tabs).
#pragma once

#include <QWidget>
#include <vector>

#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/graphs/logit_effect.h"
#include "graph/circuit_graph_view.h"
#include "panels/exemplar_rows.h"
#include "panels/neuron_links.h"
#include "state/intervention_state.h"

class QBarCategoryAxis;
class QBarSet;
class QBarSeries;
class QChartView;
class QLabel;
class QLineEdit;
class QTabWidget;
class QValueAxis;

namespace ce::ui {

struct TraceOutput;

class NeuronInspector : public QWidget {
  Q_OBJECT
 public:
  explicit NeuronInspector(QWidget* parent = nullptr);

  // Shows `key`'s row of the trace's dense arrays; an invalid trace or key clears the view.
  void inspect(const TraceOutput& trace, const NodeKey& key);
  void clear();
  // The activations as drawn, by position (what a test compares).
  std::vector<double> activations() const;
  QString title() const;

  // What the exemplar section says while no exemplars are shown: which index is open, or that the
  // model has none.
  void setIndexStatus(const QString& text);
  // The top exemplars of the inspected neuron, looked up on a worker; ignored unless `key` is still the
  // inspected node (a late answer for an earlier selection).
  void showExemplars(const NodeKey& key, std::vector<ExemplarRow> positive, std::vector<ExemplarRow> negative);

 Q_SIGNALS:
  // The user finished editing the label of neuron (layer, index); empty text removes it.
  void labelEdited(int layer, int index, const QString& text);
  // A row of the edge list was clicked: go to that node.
  void nodeRequested(const ce::ui::NodeKey& key);

 public:
  const std::vector<ExemplarRow>& exemplars(ce::core::Polarity polarity) const {
    return polarity == ce::core::Polarity::Positive ? positive_ : negative_;
  }
  // The exemplar section as rich text (what a test inspects for the highlight).
  QString exemplarHtml() const;
  const NodeKey& inspected() const { return key_; }
  bool hasNeuron() const { return hasKey_; }

  // The inspected node's edges in the graph (CircuitGraphView::edgesOf), listed in that order.
  void setEdges(std::vector<GraphEdgeRef> edges);
  EdgeList* edgeList() const { return edges_; }
  // The direct logit effect of `key`'s neuron, computed on a worker; ignored unless that neuron is still the
  // inspected one (a late answer for an earlier selection).
  void showLogitEffect(const NodeKey& key, const ce::core::LogitEffect& effect);
  void showLogitError(const NodeKey& key, const QString& message);
  LogitLists* logitLists() const { return logits_; }
  // The neuron's user label in the field, the automatic one (from exemplars) as its placeholder.
  void setLabels(const QString& user, const QString& automatic);
  QLineEdit* labelEdit() const { return label_; }
  // The activation and effect by position (what a test measures: each label under its bars).
  QChartView* chartView() const { return chart_; }
  // Shows the tab of the edges (0: exemplars, 1: edges, 2: logits).
  void showTab(int tab);

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void applyPalette();
  void showIndexStatus();

  QLabel* title_;
  QLabel* details_;
  QChartView* chart_;
  QBarSet* activation_;
  QBarSet* effect_;
  QBarSeries* series_;
  QBarCategoryAxis* positions_;
  QValueAxis* values_;
  QLabel* exemplars_;
  QLineEdit* label_;
  QTabWidget* tabs_;
  EdgeList* edges_;
  LogitLists* logits_;
  QString indexStatus_;
  NodeKey key_;
  bool hasKey_ = false;
  std::vector<ExemplarRow> positive_, negative_;
};

}  // namespace ce::ui
