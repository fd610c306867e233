// Faithfulness and completeness curves on a paired dataset: the curve job, the kept evaluators, and the
// cheap rescoring of the current circuit's marker after an edit.
#pragma once

#include <QObject>
#include <QString>
#include <memory>
#include <vector>

#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/model/model.h"

namespace ce::ui {

class JobRunner;

struct CurveSpec {
  ce::core::Method method;
  ce::core::Basis basis;
  QString dictionaries;  // Basis::Features: the set's folder
};

struct ComputedCurve {
  ce::core::Method method = ce::core::Method::RelP;
  ce::core::Basis basis = ce::core::Basis::MlpAct;
  QString dictionaries;  // Basis::Features: the set's folder
  ce::core::CurveResult result;
  // Kept for the marker: the evaluator holds the ablation means, the effects rank the nodes.
  std::shared_ptr<const ce::core::CircuitEvaluator> evaluator;
  std::shared_ptr<const ce::core::AttributionResult> effects;
};

// Owns the curves lane: a full computation and the marker updates supersede each other there, except that
// a marker update never cancels a full computation (it re-checks the marker when done). GUI thread only.
class CurvesController : public QObject {
  Q_OBJECT
 public:
  explicit CurvesController(QObject* parent = nullptr);
  ~CurvesController() override;

  JobRunner* runner() const { return runner_; }
  bool hasModel() const { return model_ != nullptr; }
  const std::vector<ComputedCurve>& curves() const { return curves_; }
  int currentSize() const { return currentSize_; }
  ce::core::Basis currentBasis() const { return currentBasis_; }

  // A new model: the curves of the old one are dropped.
  void setModel(std::shared_ptr<const ce::core::Model> model);
  // One job for every spec; the evaluator of a basis (its ablation means) is shared by its methods. The
  // train split is the dataset's _train file or first half, `examples` each for attribution and test.
  void compute(const QString& dataset, const std::vector<CurveSpec>& specs, size_t examples);
  // The circuit shown in the graph; false when it is the one already marked. Call updateMarker() after.
  bool setCurrentCircuit(int nodes, ce::core::Basis basis);
  // Scores the current circuit's size on every curve of its basis that lacks it: two evaluations of the
  // test set per curve, not the whole curve again.
  void updateMarker();

 Q_SIGNALS:
  // curves() is a new set (computed()) or has new marker points (markerUpdated()).
  void computed();
  void markerUpdated();

 private:
  std::shared_ptr<const ce::core::Model> model_;
  std::vector<ComputedCurve> curves_;
  int currentSize_ = 0;
  ce::core::Basis currentBasis_ = ce::core::Basis::MlpAct;
  JobRunner* runner_;
};

}  // namespace ce::ui
