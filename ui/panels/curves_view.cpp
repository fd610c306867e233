#include "panels/curves_view.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
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

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/attribution_example.h"
#include "controllers/job_runner.h"
#include "figures/figure_style.h"
#include "panels/chart_style.h"

namespace ce::ui {

CurvesView::CurvesView(QWidget* parent)
    : QWidget(parent),
      controller_(new CurvesController(this)),
      dataset_(new QComboBox(this)),
      examples_(new QSpinBox(this)),
      compute_(new QPushButton(tr("Compute Curves"), this)),
      cancel_(new QPushButton(tr("Cancel"), this)),
      progress_(new QProgressBar(this)),
      promptScore_(new QLabel(this)),
      chart_(new QChartView(this)),
      marker_(new QScatterSeries()),
      x_(new QLogValueAxis()),
      y_(new QValueAxis()) {
  // Shipped sets: each SVA split has _train/_test files; the capitals set is split in halves.
  try {
    const QDir dir(QString::fromStdString(ce::core::default_datasets_dir()));
    for (const QString& f : dir.entryList({QStringLiteral("*_paired.jsonl")}, QDir::Files))
      dataset_->addItem(f, dir.filePath(f));
    const QDir sva(dir.filePath(QStringLiteral("sva")));
    for (const QString& f : sva.entryList({QStringLiteral("*_train.json")}, QDir::Files)) {
      if (ce::core::paired_test_file(sva.filePath(f).toStdString()).empty()) continue;
      dataset_->addItem(QStringLiteral("sva/") + f.chopped(11), sva.filePath(f));
    }
  } catch (const std::exception&) {
    // No resources folder: the user can still pick a file.
  }
  dataset_->addItem(tr("Other file…"), QString());
  dataset_->setToolTip(
      tr("Paired prompts (JSON Lines); the trace also takes its mean-ablation values from "
         "this set's patch prompts where their length matches the prompt's"));
  connect(dataset_, qOverload<int>(&QComboBox::activated), this, [this](int i) {
    if (!dataset_->itemData(i).toString().isEmpty()) return;
    const QString path = QFileDialog::getOpenFileName(this, tr("Dataset"), QString(),
                                                      tr("Paired prompts (*.jsonl *.json);;All files (*)"));
    if (path.isEmpty()) return;
    dataset_->insertItem(i, QFileInfo(path).fileName(), path);
    dataset_->setCurrentIndex(i);
  });
  auto* methodRow = new QHBoxLayout();
  for (auto m : {ce::core::Method::RelP, ce::core::Method::IG, ce::core::Method::AtP}) {
    auto* box = new QCheckBox(m == ce::core::Method::RelP ? QStringLiteral("RelP")
                              : m == ce::core::Method::IG ? QStringLiteral("IG")
                                                          : QStringLiteral("AtP"),
                              this);
    box->setChecked(m == ce::core::Method::RelP);
    methods_.emplace_back(m, box);
    methodRow->addWidget(box);
  }
  methodRow->addStretch(1);
  // Two by two: four in a row made the Curves dock, and with it the window, too wide for 1024 px (issue #15).
  auto* basisRow = basisGrid_ = new QGridLayout();
  for (auto b :
       {ce::core::Basis::MlpAct, ce::core::Basis::MlpOut, ce::core::Basis::Attn, ce::core::Basis::Resid}) {
    const QString label = b == ce::core::Basis::MlpAct   ? tr("MLP act")
                          : b == ce::core::Basis::MlpOut ? tr("MLP out")
                          : b == ce::core::Basis::Attn   ? tr("Attention")
                                                         : tr("Residual");
    auto* box = new QCheckBox(label, this);
    box->setChecked(b == ce::core::Basis::MlpAct);
    const int i = static_cast<int>(bases_.size());
    bases_.emplace_back(b, box);
    basisRow->addWidget(box, i / 2, i % 2);
  }
  basisRow->setColumnStretch(2, 1);
  examples_->setRange(2, 10000);
  examples_->setValue(20);
  examples_->setToolTip(tr("Examples for the attribution and, as many again, for the evaluation"));
  promptScore_->setWordWrap(true);

  auto* chart = new QChart();
  marker_->setName(tr("current circuit"));
  marker_->setMarkerSize(10);
  chart->addSeries(marker_);
  x_->setTitleText(tr("nodes in the circuit"));
  x_->setBase(10);
  x_->setLabelFormat(QStringLiteral("%g"));
  x_->setRange(1, 1e5);
  y_->setRange(-0.2, 1.2);
  y_->setTitleText(tr("score"));
  chart->addAxis(x_, Qt::AlignBottom);
  chart->addAxis(y_, Qt::AlignLeft);
  marker_->attachAxis(x_);
  marker_->attachAxis(y_);
  chart->setBackgroundVisible(false);
  chart->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);
  chart->setTitle(tr("Faithfulness (solid) and completeness (dashed), mean ablation"));
  chart_->setChart(chart);
  chart_->setRenderHint(QPainter::Antialiasing);
  chart_->setMinimumHeight(240);
  chart_->setFocusPolicy(Qt::NoFocus);  // nothing to do with keys: Tab passes it by
  applyPalette();

  auto* form = new QFormLayout();
  form->addRow(tr("Dataset:"), dataset_);
  form->addRow(tr("Methods:"), methodRow);
  form->addRow(tr("Bases:"), basisRow);
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
  layout->addWidget(promptScore_);
  layout->addWidget(chart_, 1);

  connect(compute_, &QPushButton::clicked, this, &CurvesView::compute);
  JobRunner* runner = controller_->runner();
  connect(cancel_, &QPushButton::clicked, runner, &JobRunner::cancel);
  connect(runner, &JobRunner::started, this, [this] {
    progress_->setFormat(QStringLiteral("%p%"));
    progress_->setValue(0);
    progress_->show();
    cancel_->show();
  });
  connect(runner, &JobRunner::progressChanged, this, [this, runner](double f, const QString&) {
    progress_->setFormat(runner->progressFormat(f));
    progress_->setValue(static_cast<int>(f * 1000));
  });
  connect(runner, &JobRunner::idle, this, [this] {
    progress_->hide();
    cancel_->hide();
  });
  connect(runner, &JobRunner::failed, this, [this](const QString&, const QString& message) {
    Q_EMIT errorOccurred(tr("Curves: %1").arg(message));
  });
  connect(controller_, &CurvesController::computed, this, [this] {
    rebuildSeries();
    Q_EMIT curvesReady();
  });
  connect(controller_, &CurvesController::markerUpdated, this, [this] {
    showCurves();
    Q_EMIT curvesReady();
  });
}

namespace {
// One colour per method × basis, the printed figure's (faithfulness and completeness of a curve share it).
QColor curveColor(size_t i) { return figures::FigureStyle::seriesColor(i); }
}  // namespace

void CurvesView::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::PaletteChange) applyPalette();
}

void CurvesView::applyPalette() {
  const QColor text = palette().color(QPalette::WindowText);
  QChart* chart = chart_->chart();
  applyChartText(chart, {x_, y_}, text);
  marker_->setColor(text);
}

QCheckBox* CurvesView::methodBox(ce::core::Method method) const {
  for (const auto& [m, box] : methods_) {
    if (m == method) return box;
  }
  return nullptr;
}

QCheckBox* CurvesView::basisBox(ce::core::Basis basis) const {
  for (const auto& [b, box] : bases_) {
    if (b == basis) return box;
  }
  return nullptr;
}

void CurvesView::setPromptScore(const QString& text) { promptScore_->setText(text); }

QString CurvesView::promptScore() const { return promptScore_->text(); }

void CurvesView::setDictionarySets(const QStringList& folders) {
  for (auto& [folder, box] : sets_) delete box;
  sets_.clear();
  for (const QString& folder : folders) {
    auto* box = new QCheckBox(QFileInfo(folder).fileName(), this);
    box->setToolTip(tr("The features of %1, error nodes included").arg(folder));
    const int i = static_cast<int>(bases_.size() + sets_.size());
    sets_.emplace_back(folder, box);
    basisGrid_->addWidget(box, i / 2, i % 2);
  }
}

QCheckBox* CurvesView::dictionaryBox(const QString& folder) const {
  for (const auto& [f, box] : sets_) {
    if (f == folder) return box;
  }
  return nullptr;
}

namespace {
// "mlp_act", or "sae:NAME" for a set's features: the basis column of the curve CSV (curves_csv).
QString curveBasis(const ComputedCurve& c) {
  QString b = QString::fromLatin1(ce::core::basis_name(c.basis));
  if (!c.dictionaries.isEmpty()) b += QLatin1Char(':') + QFileInfo(c.dictionaries).fileName();
  return b;
}
}  // namespace

std::vector<NamedCurve> CurvesView::namedCurves() const {
  std::vector<NamedCurve> out;
  for (const auto& c : controller_->curves())
    out.push_back({QString::fromLatin1(ce::core::method_name(c.method)), curveBasis(c), c.result});
  return out;
}

int CurvesView::lineSeriesCount() const {
  int n = 0;
  for (QAbstractSeries* s : chart_->chart()->series())
    n += s->type() == QAbstractSeries::SeriesTypeLine ? 1 : 0;
  return n;
}

void CurvesView::setModel(std::shared_ptr<const ce::core::Model> model) {
  controller_->setModel(std::move(model));
  rebuildSeries();
}

void CurvesView::setCurrentCircuit(int nodes, ce::core::Basis basis) {
  if (!controller_->setCurrentCircuit(nodes, basis)) return;
  showCurves();
  controller_->updateMarker();
}

std::vector<QPointF> CurvesView::marker() const {
  std::vector<QPointF> out;
  for (const QPointF& p : marker_->points()) out.push_back(p);
  return out;
}

void CurvesView::compute() {
  if (!controller_->hasModel()) return;
  QString path = dataset_->currentData().toString();
  if (path.isEmpty()) {
    Q_EMIT errorOccurred(
        tr("Curves: choose a dataset file (JSON Lines of clean/patch prefixes and answers)"));
    return;
  }
  std::vector<CurveSpec> specs;
  for (const auto& [b, bbox] : bases_) {
    if (!bbox->isChecked()) continue;
    for (const auto& [m, mbox] : methods_) {
      if (mbox->isChecked()) specs.push_back({m, b, QString()});
    }
  }
  for (const auto& [folder, sbox] : sets_) {
    if (!sbox->isChecked()) continue;
    for (const auto& [m, mbox] : methods_) {
      if (mbox->isChecked()) specs.push_back({m, ce::core::Basis::Features, folder});
    }
  }
  if (specs.empty()) {
    Q_EMIT errorOccurred(tr("Curves: check at least one method and one basis"));
    return;
  }
  controller_->compute(path, specs, static_cast<size_t>(examples_->value()));
}

void CurvesView::rebuildSeries() {
  QChart* chart = chart_->chart();
  for (QAbstractSeries* s : chart->series()) {
    if (s != marker_) {
      chart->removeSeries(s);
      delete s;
    }
  }
  const auto& curves = controller_->curves();
  series_.assign(curves.size(), Series());
  for (size_t i = 0; i < curves.size(); ++i) {
    const ComputedCurve& c = curves[i];
    Series& lines = series_[i];
    const QString name = QStringLiteral("%1 %2").arg(QString::fromLatin1(ce::core::method_name(c.method)), curveBasis(c));
    lines.faithfulness = new QLineSeries();
    lines.completeness = new QLineSeries();
    lines.faithfulness->setName(name);
    QPen pen(curveColor(i), 2);
    lines.faithfulness->setPen(pen);
    pen.setStyle(Qt::DashLine);
    lines.completeness->setPen(pen);
    for (QLineSeries* s : {lines.faithfulness, lines.completeness}) {
      chart->addSeries(s);
      s->attachAxis(x_);
      s->attachAxis(y_);
    }
    // One legend entry per curve: the dashed twin shares its colour.
    const auto markers = chart->legend()->markers(lines.completeness);
    for (auto* m : markers) m->setVisible(false);
  }
  showCurves();
}

void CurvesView::showCurves() {
  marker_->clear();
  int maxNodes = 10;
  const auto& curves = controller_->curves();
  for (size_t i = 0; i < curves.size() && i < series_.size(); ++i) {
    const ComputedCurve& c = curves[i];
    const Series& lines = series_[i];
    if (!lines.faithfulness || !lines.completeness) continue;
    std::vector<ce::core::CurvePoint> points;
    for (const auto& p : c.result.points) {
      if (p.threshold >= 0 && p.nodes > 0) points.push_back(p);
    }
    std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.nodes < b.nodes; });
    QList<QPointF> f, k;
    for (const auto& p : points) {
      f.append(QPointF(p.nodes, p.faithfulness));
      k.append(QPointF(p.nodes, p.completeness));
      maxNodes = std::max(maxNodes, p.nodes);
    }
    lines.faithfulness->replace(f);
    lines.completeness->replace(k);
    if (c.basis != controller_->currentBasis()) continue;
    const int size = controller_->currentSize();
    for (const auto& p : c.result.points) {
      if (p.threshold < 0 && p.nodes > 0 && p.nodes == size) marker_->append(p.nodes, p.faithfulness);
    }
  }
  x_->setRange(1, std::pow(10.0, std::ceil(std::log10(static_cast<double>(maxNodes)))));
}

}  // namespace ce::ui
