// Faithfulness and completeness of circuits against their size (log x), on a paired dataset.
#pragma once

#include <QWidget>
#include <QPointF>
#include <memory>
#include <vector>

#include "ce/core/circuit_evaluator.h"
#include "ce/core/model.h"

class QChartView;
class QComboBox;
class QLineSeries;
class QLogValueAxis;
class QProgressBar;
class QPushButton;
class QScatterSeries;
class QSpinBox;
class QValueAxis;

namespace ce::ui {

class JobRunner;

class CurvesView : public QWidget {
  Q_OBJECT
 public:
  explicit CurvesView(QWidget* parent = nullptr);

  void setModel(std::shared_ptr<const ce::core::Model> model);
  // The size of the circuit shown in the graph (its traced nodes less the ablated ones), marked on the
  // curves. Once a curve exists, the marker's faithfulness at a new size is recomputed in the curves lane
  // from the kept evaluator: two evaluations of the test set, not the whole curve again.
  void setCurrentCircuitSize(int nodes);
  int currentCircuitSize() const { return currentSize_; }
  // The marker as drawn: (nodes, faithfulness), empty before a curve exists.
  std::vector<QPointF> marker() const;
  QChartView* chartView() const { return chart_; }
  JobRunner* runner() const { return runner_; }
  QComboBox* datasetBox() const { return dataset_; }
  QSpinBox* examplesBox() const { return examples_; }
  const ce::core::CurveResult& curve() const { return curve_; }

 public Q_SLOTS:
  void compute();

 Q_SIGNALS:
  void curvesReady();
  void errorOccurred(const QString& message);

 private:
  void showCurve();
  void updateMarker();

  std::shared_ptr<const ce::core::Model> model_;
  ce::core::CurveResult curve_;
  // What the last full computation built, kept for the marker: the evaluator holds the ablation means.
  std::shared_ptr<const ce::core::CircuitEvaluator> evaluator_;
  std::shared_ptr<const ce::core::AttributionResult> effects_;
  int currentSize_ = 0;
  JobRunner* runner_;
  QComboBox *dataset_, *method_, *basis_;
  QSpinBox* examples_;
  QPushButton *compute_, *cancel_;
  QProgressBar* progress_;
  QChartView* chart_;
  QLineSeries *faithfulness_, *completeness_;
  QScatterSeries* marker_;
  QLogValueAxis* x_;
  QValueAxis* y_;
};

}  // namespace ce::ui
