// The selected neuron: its clean activation at every prompt position and its effect there.
#pragma once

#include <QWidget>
#include <vector>

#include "ui/intervention_state.h"

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

 private:
  QLabel* title_;
  QLabel* details_;
  QChartView* chart_;
  QBarSet* activation_;
  QBarSet* effect_;
  QBarSeries* series_;
  QBarCategoryAxis* positions_;
  QValueAxis* values_;
};

}  // namespace ce::ui
