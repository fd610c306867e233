// Faithfulness and completeness of circuits against their size (log x), on a paired dataset.
#pragma once

#include <QWidget>
#include <memory>

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
  // The size of the circuit shown in the graph, marked on the curves.
  void setCurrentCircuitSize(int nodes);
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

  std::shared_ptr<const ce::core::Model> model_;
  ce::core::CurveResult curve_;
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
