#include "ui/curves_view.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QProgressBar>
#include <QPushButton>
#include <QScatterSeries>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

#include "ce/core/attribution.h"
#include "ce/core/attribution_example.h"
#include "ce/core/error.h"
#include "ce/core/resources.h"
#include "ui/job_runner.h"

namespace ce::ui {

CurvesView::CurvesView(QWidget* parent)
    : QWidget(parent),
      runner_(new JobRunner(this)),
      dataset_(new QComboBox(this)),
      method_(new QComboBox(this)),
      basis_(new QComboBox(this)),
      examples_(new QSpinBox(this)),
      compute_(new QPushButton(tr("Compute Curves"), this)),
      cancel_(new QPushButton(tr("Cancel"), this)),
      progress_(new QProgressBar(this)),
      chart_(new QChartView(this)),
      faithfulness_(new QLineSeries()),
      completeness_(new QLineSeries()),
      marker_(new QScatterSeries()),
      x_(new QLogValueAxis()),
      y_(new QValueAxis()) {
  // Shipped sets: each SVA split has _train/_test files; the capitals set is split in halves.
  try {
    const QDir dir(QString::fromStdString(ce::core::default_datasets_dir()));
    for (const QString& f : dir.entryList({QStringLiteral("*_paired.jsonl")}, QDir::Files))
      dataset_->addItem(f, dir.filePath(f));
    const QDir sva(dir.filePath(QStringLiteral("sva")));
    for (const QString& f : sva.entryList({QStringLiteral("*_train.json")}, QDir::Files))
      dataset_->addItem(QStringLiteral("sva/") + f.chopped(11), sva.filePath(f));
  } catch (const std::exception&) {
    // No resources folder: the user can still pick a file.
  }
  dataset_->addItem(tr("Other file…"), QString());
  method_->addItem(QStringLiteral("RelP"), static_cast<int>(ce::core::Method::RelP));
  method_->addItem(QStringLiteral("IG"), static_cast<int>(ce::core::Method::IG));
  method_->addItem(QStringLiteral("AtP"), static_cast<int>(ce::core::Method::AtP));
  basis_->addItem(tr("MLP activations"), static_cast<int>(ce::core::Basis::MlpAct));
  basis_->addItem(tr("MLP output"), static_cast<int>(ce::core::Basis::MlpOut));
  basis_->addItem(tr("Attention"), static_cast<int>(ce::core::Basis::Attn));
  basis_->addItem(tr("Residual stream"), static_cast<int>(ce::core::Basis::Resid));
  examples_->setRange(2, 10000);
  examples_->setValue(20);
  examples_->setToolTip(tr("Examples for the attribution and, as many again, for the evaluation"));

  auto* chart = new QChart();
  faithfulness_->setName(tr("faithfulness"));
  completeness_->setName(tr("completeness"));
  marker_->setName(tr("current circuit"));
  marker_->setMarkerSize(10);
  chart->addSeries(faithfulness_);
  chart->addSeries(completeness_);
  chart->addSeries(marker_);
  x_->setTitleText(tr("nodes in the circuit"));
  x_->setBase(10);
  x_->setLabelFormat(QStringLiteral("%g"));
  x_->setRange(1, 1e5);
  y_->setRange(-0.2, 1.2);
  y_->setTitleText(tr("score"));
  chart->addAxis(x_, Qt::AlignBottom);
  chart->addAxis(y_, Qt::AlignLeft);
  for (auto* s : {static_cast<QXYSeries*>(faithfulness_), static_cast<QXYSeries*>(completeness_),
                  static_cast<QXYSeries*>(marker_)}) {
    s->attachAxis(x_);
    s->attachAxis(y_);
  }
  chart->setBackgroundVisible(false);
  chart->setTitle(tr("Faithfulness and completeness (mean ablation)"));
  chart->setTitleBrush(palette().color(QPalette::Text));
  chart->legend()->setLabelColor(palette().color(QPalette::Text));
  x_->setLabelsBrush(palette().color(QPalette::Text));
  y_->setLabelsBrush(palette().color(QPalette::Text));
  chart_->setChart(chart);
  chart_->setRenderHint(QPainter::Antialiasing);
  chart_->setMinimumHeight(240);

  auto* form = new QFormLayout();
  form->addRow(tr("Dataset:"), dataset_);
  form->addRow(tr("Method:"), method_);
  form->addRow(tr("Basis:"), basis_);
  form->addRow(tr("Examples:"), examples_);
  auto* buttons = new QHBoxLayout();
  buttons->addWidget(compute_);
  buttons->addWidget(progress_);
  buttons->addWidget(cancel_);
  progress_->setRange(0, 1000);
  progress_->hide();
  cancel_->hide();
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addLayout(buttons);
  layout->addWidget(chart_, 1);

  connect(compute_, &QPushButton::clicked, this, &CurvesView::compute);
  connect(cancel_, &QPushButton::clicked, runner_, &JobRunner::cancel);
  connect(runner_, &JobRunner::started, this, [this] {
    progress_->setValue(0);
    progress_->show();
    cancel_->show();
  });
  connect(runner_, &JobRunner::progressChanged, this,
          [this](double f, const QString&) { progress_->setValue(static_cast<int>(f * 1000)); });
  connect(runner_, &JobRunner::idle, this, [this] {
    progress_->hide();
    cancel_->hide();
  });
  connect(runner_, &JobRunner::failed, this, [this](const QString&, const QString& message) {
    Q_EMIT errorOccurred(tr("Curves: %1").arg(message));
  });
}

namespace {
const QString kMarkerJob = QStringLiteral("Current circuit");

// What a full computation hands back to the GUI thread.
struct CurveJob {
  ce::core::CurveResult curve;
  std::shared_ptr<const ce::core::CircuitEvaluator> evaluator;
  std::shared_ptr<const ce::core::AttributionResult> effects;
};
}  // namespace

void CurvesView::setModel(std::shared_ptr<const ce::core::Model> model) {
  runner_->cancel();
  model_ = std::move(model);
  curve_ = ce::core::CurveResult();
  evaluator_.reset();
  effects_.reset();
  faithfulness_->clear();
  completeness_->clear();
  marker_->clear();
}

void CurvesView::setCurrentCircuitSize(int nodes) {
  if (nodes == currentSize_) return;
  currentSize_ = nodes;
  showCurve();
  updateMarker();
}

void CurvesView::updateMarker() {
  // While a full computation runs, starting a job here would cancel it; it re-checks the size when done.
  // An older marker job is superseded instead (latest wins).
  if (!evaluator_ || !effects_ || currentSize_ <= 0) return;
  if (runner_->isBusy() && runner_->currentName() != kMarkerJob) return;
  for (const auto& p : curve_.points) {
    if (p.threshold < 0 && p.nodes == currentSize_) return;  // already known
  }
  auto evaluator = evaluator_;
  auto effects = effects_;
  const int size = currentSize_;
  runner_->start<ce::core::CurveResult>(
      kMarkerJob,
      [evaluator, effects, size](const ce::core::JobControl& control) {
        return evaluator->curve(*effects, {}, {size}, control);
      },
      [this](ce::core::CurveResult& r) {
        // Only the count-based points change; the threshold curve stays.
        curve_.points.erase(std::remove_if(curve_.points.begin(), curve_.points.end(),
                                           [](const auto& p) { return p.threshold < 0; }),
                            curve_.points.end());
        for (const auto& p : r.points) {
          if (p.threshold < 0) curve_.points.push_back(p);
        }
        showCurve();
        Q_EMIT curvesReady();
      });
}

std::vector<QPointF> CurvesView::marker() const {
  std::vector<QPointF> out;
  for (const QPointF& p : marker_->points()) out.push_back(p);
  return out;
}

void CurvesView::compute() {
  if (!model_) return;
  QString path = dataset_->currentData().toString();
  if (path.isEmpty()) {
    Q_EMIT errorOccurred(
        tr("Curves: choose a dataset file (JSON Lines of clean/patch prefixes and answers)"));
    return;
  }
  auto model = model_;
  const std::string train = path.toStdString();
  std::string test;
  if (path.endsWith(QStringLiteral("_train.json")))
    test = (path.chopped(11) + QStringLiteral("_test.json")).toStdString();
  const size_t n = static_cast<size_t>(examples_->value());
  ce::core::AttributionOptions options;
  options.method = static_cast<ce::core::Method>(method_->currentData().toInt());
  options.basis = static_cast<ce::core::Basis>(basis_->currentData().toInt());
  const int current = currentSize_;
  runner_->start<CurveJob>(
      tr("Curves"),
      [model, train, test, n, options, current](const ce::core::JobControl& control) {
        std::vector<ce::core::AttributionExample> trainSet, testSet;
        if (test.empty()) {
          // One file: the first n examples attribute, the next n evaluate.
          auto all = ce::core::load_paired_dataset(train, model->tokenizer(), 2 * n).examples;
          if (all.size() < 2) throw ce::core::Error(train + ": fewer than two usable examples");
          const size_t half = all.size() / 2;
          trainSet.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(half));
          testSet.assign(all.begin() + static_cast<std::ptrdiff_t>(half), all.end());
        } else {
          trainSet = ce::core::load_paired_dataset(train, model->tokenizer(), n).examples;
          testSet = ce::core::load_paired_dataset(test, model->tokenizer(), n).examples;
        }
        // One attribution over the whole train split (batched by the core) and one evaluator whose
        // ablation means are computed once; every threshold then costs two batched passes of the test set.
        CurveJob out;
        out.effects = std::make_shared<const ce::core::AttributionResult>(
            ce::core::attribute(*model, trainSet, options, control.sub(0, 0.4)));
        // The evaluator refers to the model's engine: its deleter holds the model until it is gone.
        out.evaluator = std::shared_ptr<const ce::core::CircuitEvaluator>(
            new ce::core::CircuitEvaluator(*model, testSet, options.basis, ce::core::Ablation::Mean,
                                           control.sub(0.4, 0.45)),
            [model](const ce::core::CircuitEvaluator* e) { delete e; });
        std::vector<int> counts;
        if (current > 0) counts.push_back(current);
        out.curve = out.evaluator->curve(*out.effects, ce::core::default_thresholds(), counts,
                                         control.sub(0.45, 1));
        return out;
      },
      [this](CurveJob& r) {
        curve_ = std::move(r.curve);
        evaluator_ = std::move(r.evaluator);
        effects_ = std::move(r.effects);
        showCurve();
        Q_EMIT curvesReady();
        // The circuit may have been edited while the curve was computed.
        QTimer::singleShot(0, this, &CurvesView::updateMarker);
      });
}

void CurvesView::showCurve() {
  faithfulness_->clear();
  completeness_->clear();
  marker_->clear();
  std::vector<ce::core::CurvePoint> points;
  for (const auto& p : curve_.points) {
    if (p.threshold >= 0 && p.nodes > 0) points.push_back(p);
  }
  std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.nodes < b.nodes; });
  int maxNodes = 10;
  for (const auto& p : points) {
    faithfulness_->append(p.nodes, p.faithfulness);
    completeness_->append(p.nodes, p.completeness);
    maxNodes = std::max(maxNodes, p.nodes);
  }
  for (const auto& p : curve_.points) {
    if (p.threshold < 0 && p.nodes > 0) marker_->append(p.nodes, p.faithfulness);
  }
  x_->setRange(1, std::pow(10.0, std::ceil(std::log10(static_cast<double>(maxNodes)))));
}

}  // namespace ce::ui
