// Faithfulness and completeness of circuits against their size (log x), on a paired dataset, for several
// methods and bases at once: the form and the chart; CurvesController computes.
#pragma once

#include <QColor>
#include <QPointF>
#include <QWidget>
#include <memory>
#include <vector>

#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/model/model.h"
#include "controllers/curves_controller.h"
#include "window/exporter.h"

class QChartView;
class QCheckBox;
class QComboBox;
class QGridLayout;
class QLabel;
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
  // The circuit shown in the graph (its traced nodes less the hidden and ablated ones), marked on every
  // curve of its basis. Once curves exist, the marker's scores at a new size are recomputed in the curves
  // lane from the kept evaluators: two evaluations of the test set per curve, not the whole curve again.
  void setCurrentCircuit(int nodes, ce::core::Basis basis);
  int currentCircuitSize() const { return controller_->currentSize(); }
  // The markers as drawn: (nodes, faithfulness), one per curve of the circuit's basis; empty before then.
  std::vector<QPointF> marker() const;
  // The current circuit's score on the traced prompt, computed by the main window, shown above the chart.
  void setPromptScore(const QString& text);
  QString promptScore() const;

  QChartView* chartView() const { return chart_; }
  JobRunner* runner() const { return controller_->runner(); }
  CurvesController* controller() const { return controller_; }
  QComboBox* datasetBox() const { return dataset_; }
  QSpinBox* examplesBox() const { return examples_; }
  QCheckBox* methodBox(ce::core::Method method) const;
  QCheckBox* basisBox(ce::core::Basis basis) const;
  // One more box per dictionary set ("sae_mlp_out_4x"), replacing the previous ones: curves of its features.
  void setDictionarySets(const QStringList& folders);
  // The box of the set in `folder`, or null.
  QCheckBox* dictionaryBox(const QString& folder) const;
  // Every computed curve, in the order of the boxes (methods within bases).
  std::vector<NamedCurve> namedCurves() const;
  // How many line series the chart holds (two per curve).
  int lineSeriesCount() const;

 public Q_SLOTS:
  // One job for every checked method × basis; the evaluator of a basis (its ablation means) is shared by
  // its methods.
  void compute();

 Q_SIGNALS:
  void curvesReady();
  void errorOccurred(const QString& message);

 protected:
  void changeEvent(QEvent* event) override;

 private:
  // The two lines of one of the controller's curves, in its order.
  struct Series {
    QLineSeries *faithfulness = nullptr, *completeness = nullptr;
  };

  void applyPalette();
  void rebuildSeries();
  void showCurves();

  CurvesController* controller_;
  std::vector<Series> series_;
  QComboBox* dataset_;
  std::vector<std::pair<ce::core::Method, QCheckBox*>> methods_;
  std::vector<std::pair<ce::core::Basis, QCheckBox*>> bases_;
  std::vector<std::pair<QString, QCheckBox*>> sets_;  // feature bases by folder, after bases_ in the grid
  QGridLayout* basisGrid_ = nullptr;
  QSpinBox* examples_;
  QPushButton *compute_, *cancel_;
  QProgressBar* progress_;
  QLabel* promptScore_;
  QChartView* chart_;
  QScatterSeries* marker_;
  QLogValueAxis* x_;
  QValueAxis* y_;
};

}  // namespace ce::ui
