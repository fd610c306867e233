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

void CurvesView::setModel(std::shared_ptr<const ce::core::Model> model) {
  runner_->cancel();
  model_ = std::move(model);
  faithfulness_->clear();
  completeness_->clear();
  marker_->clear();
}

void CurvesView::setCurrentCircuitSize(int nodes) {
  currentSize_ = nodes;
  showCurve();
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
  runner_->start<ce::core::CurveResult>(
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
        const auto effects = ce::core::attribute(*model, trainSet, options, control.sub(0, 0.4));
        const ce::core::CircuitEvaluator ev(*model, testSet, options.basis, ce::core::Ablation::Mean,
                                            control.sub(0.4, 0.45));
        std::vector<int> counts;
        if (current > 0) counts.push_back(current);
        return ev.curve(effects, ce::core::default_thresholds(), counts, control.sub(0.45, 1));
      },
      [this](ce::core::CurveResult& r) {
        curve_ = std::move(r);
        showCurve();
        Q_EMIT curvesReady();
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
