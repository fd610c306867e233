// The selected neuron: its clean activation at every prompt position and its effect there.
#pragma once

#include <QWidget>
#include <vector>

#include "ce/core/exemplars/exemplar_index.h"
#include "panels/exemplar_rows.h"
#include "state/intervention_state.h"

class QBarCategoryAxis;
class QBarSet;
class QBarSeries;
class QChartView;
class QLabel;
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
  const std::vector<ExemplarRow>& exemplars(ce::core::Polarity polarity) const {
    return polarity == ce::core::Polarity::Positive ? positive_ : negative_;
  }
  // The exemplar section as rich text (what a test inspects for the highlight).
  QString exemplarHtml() const;
  const NodeKey& inspected() const { return key_; }
  bool hasNeuron() const { return hasKey_; }

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
  QString indexStatus_;
  NodeKey key_;
  bool hasKey_ = false;
  std::vector<ExemplarRow> positive_, negative_;
};

}  // namespace ce::ui
