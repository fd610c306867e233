#include "controllers/curves_controller.h"

#include <QTimer>
#include <algorithm>
#include <map>

#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/attribution_example.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "controllers/job_runner.h"

namespace ce::ui {

namespace {
const QString kMarkerJob = QStringLiteral("Current circuit");

// What a marker update hands back: the count-based points of each curve, by its index.
using MarkerOutput = std::vector<std::pair<size_t, ce::core::CurveResult>>;
}  // namespace

CurvesController::CurvesController(QObject* parent) : QObject(parent), runner_(new JobRunner(this)) {}

CurvesController::~CurvesController() {
  runner_->cancel();
  runner_->waitForIdle();
}

void CurvesController::setModel(std::shared_ptr<const ce::core::Model> model) {
  runner_->cancel();
  model_ = std::move(model);
  curves_.clear();
}

bool CurvesController::setCurrentCircuit(int nodes, ce::core::Basis basis) {
  if (nodes == currentSize_ && basis == currentBasis_) return false;
  currentSize_ = nodes;
  currentBasis_ = basis;
  return true;
}

void CurvesController::updateMarker() {
  // While a full computation runs, starting a job here would cancel it; it re-checks the size when done.
  // An older marker job is superseded instead (latest wins).
  if (currentSize_ <= 0) return;
  if (runner_->isBusy() && runner_->currentName() != kMarkerJob) return;
  struct Work {
    size_t index;
    std::shared_ptr<const ce::core::CircuitEvaluator> evaluator;
    std::shared_ptr<const ce::core::AttributionResult> effects;
  };
  std::vector<Work> work;
  for (size_t i = 0; i < curves_.size(); ++i) {
    const ComputedCurve& c = curves_[i];
    if (c.basis != currentBasis_ || !c.evaluator || !c.effects) continue;
    const bool known = std::any_of(c.result.points.begin(), c.result.points.end(), [this](const auto& p) {
      return p.threshold < 0 && p.nodes == currentSize_;
    });
    if (!known) work.push_back({i, c.evaluator, c.effects});
  }
  if (work.empty()) return;
  const int size = currentSize_;
  runner_->start<MarkerOutput>(
      kMarkerJob,
      [work, size](const ce::core::JobControl& control) {
        MarkerOutput out;
        for (size_t k = 0; k < work.size(); ++k) {
          const double a = static_cast<double>(k) / static_cast<double>(work.size());
          const double b = static_cast<double>(k + 1) / static_cast<double>(work.size());
          out.emplace_back(work[k].index,
                           work[k].evaluator->curve(*work[k].effects, {}, {size}, control.sub(a, b)));
        }
        return out;
      },
      [this](MarkerOutput& r) {
        for (auto& [index, result] : r) {
          if (index >= curves_.size()) continue;
          // Only the count-based points change; the threshold curve stays.
          auto& points = curves_[index].result.points;
          points.erase(
              std::remove_if(points.begin(), points.end(), [](const auto& p) { return p.threshold < 0; }),
              points.end());
          for (const auto& p : result.points) {
            if (p.threshold < 0) points.push_back(p);
          }
        }
        Q_EMIT markerUpdated();
      });
}

void CurvesController::compute(const QString& dataset, const std::vector<CurveSpec>& specs, size_t examples) {
  if (!model_) return;
  auto model = model_;
  const std::string train = dataset.toStdString();
  const size_t n = examples;
  const int current = currentSize_;
  const ce::core::Basis currentBasis = currentBasis_;
  runner_->start<std::vector<ComputedCurve>>(
      tr("Curves"),
      [model, train, n, specs, current, currentBasis](const ce::core::JobControl& control) {
        const ce::core::TrainTest data = ce::core::load_train_test(train, model->tokenizer(), n);
        const auto& trainSet = data.train;
        const auto& testSet = data.test;
        // Per spec: one attribution over the whole train split (batched by the core); per basis: one
        // evaluator whose ablation means are computed once. Every threshold then costs two batched passes of
        // the test set.
        std::vector<ComputedCurve> out(specs.size());
        std::map<QString, std::shared_ptr<const ce::core::DictionarySet>> sets;  // each folder loaded once
        for (size_t i = 0; i < specs.size(); ++i) {
          const double a = static_cast<double>(i) / static_cast<double>(specs.size());
          const double b = static_cast<double>(i + 1) / static_cast<double>(specs.size());
          const auto part = control.sub(a, b);
          out[i].method = specs[i].method;
          out[i].basis = specs[i].basis;
          out[i].dictionaries = specs[i].dictionaries;
          ce::core::AttributionOptions options;
          options.method = specs[i].method;
          options.basis = specs[i].basis;
          if (specs[i].basis == ce::core::Basis::Features) {
            auto& set = sets[specs[i].dictionaries];
            if (!set) set = ce::core::DictionarySet::load(specs[i].dictionaries.toStdString(), model->config());
            options.dictionaries = set;
          }
          out[i].effects = std::make_shared<const ce::core::AttributionResult>(
              ce::core::attribute(*model, trainSet, options, part.sub(0, 0.4)));
          for (size_t j = 0; j < i; ++j) {
            if (specs[j].basis == specs[i].basis && specs[j].dictionaries == specs[i].dictionaries)
              out[i].evaluator = out[j].evaluator;
          }
          if (!out[i].evaluator) {
            // The evaluator refers to the model's engine: its deleter holds the model until it is gone.
            out[i].evaluator = std::shared_ptr<const ce::core::CircuitEvaluator>(
                new ce::core::CircuitEvaluator(*model, testSet, options.basis, options.dictionaries,
                                               ce::core::Ablation::Mean, part.sub(0.4, 0.45)),
                [model](const ce::core::CircuitEvaluator* e) { delete e; });
          }
          std::vector<int> counts;
          if (current > 0 && specs[i].basis == currentBasis) counts.push_back(current);
          out[i].result = out[i].evaluator->curve(*out[i].effects, ce::core::default_thresholds(), counts,
                                                  part.sub(0.45, 1));
        }
        return out;
      },
      [this](std::vector<ComputedCurve>& r) {
        curves_ = std::move(r);
        Q_EMIT computed();
        // The circuit may have been edited while the curves were computed.
        QTimer::singleShot(0, this, &CurvesController::updateMarker);
      });
}

}  // namespace ce::ui
