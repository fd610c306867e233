#include "prompt_sets/sweep_panel.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegend>
#include <QLineEdit>
#include <QLineSeries>
#include <QPushButton>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

#include "ce/core/base/error.h"
#include "panels/chart_style.h"
#include "figures/figure_export_dialog.h"
#include "figures/figure_writer.h"

namespace ce::ui {

namespace {
// One hue per label column, the printed figure's: its own-value class solid, its any-value class dashed,
// top-1 shares dotted.
QColor columnColor(size_t i) { return figures::FigureStyle::seriesColor(i); }

QString joined(const std::vector<double>& values) {
  QStringList parts;
  for (double v : values) parts << QString::number(v, 'g', 6);
  return parts.join(QStringLiteral(", "));
}
}  // namespace

SweepPanel::SweepPanel(QWidget* parent)
    : QWidget(parent),
      group_(new QComboBox(this)),
      multipliers_(new QLineEdit(QStringLiteral("-4, -2, -1, 0, 1, 2, 4"), this)),
      classes_(new QLineEdit(QStringLiteral("capital, state, city"), this)),
      complement_(new QCheckBox(tr("Complement"), this)),
      top1_(new QCheckBox(tr("Top-1 shares"), this)),
      run_(new QPushButton(tr("Sweep"), this)),
      export_(new QPushButton(tr("Export…"), this)),
      caption_(new QLabel(this)),
      chart_(new QChartView(this)),
      x_(new QValueAxis()),
      y_(new QValueAxis()) {
  multipliers_->setToolTip(tr("The group's activations are multiplied by each of these at every position of every "
                              "prompt (1 = unchanged, 0 = ablated)"));
  classes_->setToolTip(tr("Label columns naming answer classes: each gives the prompt's own value (solid) and any "
                          "value of the column (dashed), by the first token of \" <value>\""));
  complement_->setToolTip(tr("Also ablate (zero) every kept neuron outside the group, at every multiplier"));
  top1_->setToolTip(tr("Also draw the share of prompts whose top-1 token is of each class (dotted)"));
  run_->setEnabled(false);
  export_->setEnabled(false);
  caption_->setWordWrap(true);

  auto* chart = new QChart();
  chart->setBackgroundVisible(false);
  x_->setTitleText(tr("multiplier"));
  x_->setLabelFormat(QStringLiteral("%g"));
  x_->setRange(-4, 4);
  y_->setTitleText(tr("mean probability"));
  y_->setRange(0, 1);
  chart->addAxis(x_, Qt::AlignBottom);
  chart->addAxis(y_, Qt::AlignLeft);
  chart->legend()->setAlignment(Qt::AlignRight);
  // Each entry drawn as its line (solid own value, dashed any value, dotted top-1), not a colour square.
  chart->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);
  chart_->setChart(chart);
  chart_->setRenderHint(QPainter::Antialiasing);
  chart_->setMinimumHeight(220);
  applyPalette();

  // Three short rows: the chart gets the height.
  auto* pickRow = new QHBoxLayout();
  pickRow->addWidget(new QLabel(tr("Group:"), this));
  pickRow->addWidget(group_, 1);
  pickRow->addWidget(run_);
  pickRow->addWidget(export_);
  auto* values = new QHBoxLayout();
  values->addWidget(new QLabel(tr("Multipliers:"), this));
  values->addWidget(multipliers_, 1);
  values->addWidget(new QLabel(tr("Classes:"), this));
  values->addWidget(classes_, 1);
  auto* options = new QHBoxLayout();
  options->addWidget(complement_);
  options->addWidget(top1_);
  options->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(pickRow);
  layout->addLayout(values);
  layout->addLayout(options);
  layout->addWidget(caption_);
  layout->addWidget(chart_, 1);

  connect(run_, &QPushButton::clicked, this, [this] {
    if (groupRow() >= 0) Q_EMIT runRequested(groupRow());
  });
  connect(top1_, &QCheckBox::toggled, this, [this] {
    plot();
    Q_EMIT settingsEdited();
  });
  connect(complement_, &QCheckBox::toggled, this, &SweepPanel::settingsEdited);
  connect(multipliers_, &QLineEdit::editingFinished, this, &SweepPanel::settingsEdited);
  connect(classes_, &QLineEdit::editingFinished, this, &SweepPanel::settingsEdited);
  connect(group_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
    run_->setEnabled(groupRow() >= 0);
    Q_EMIT settingsEdited();
  });
  connect(export_, &QPushButton::clicked, this, [this] {
    const auto spec = figures::FigureExportDialog::ask(this, figures::FigureKind::Sweep, tr("Export Sweep"), true);
    if (!spec) return;
    try {
      exportTo(*spec);
    } catch (const std::exception& e) {
      Q_EMIT errorOccurred(QString::fromStdString(e.what()));
    }
  });
}

void SweepPanel::setGroups(const std::vector<SetGroup>& groups) {
  const QSignalBlocker block(group_);
  const QString keep = group_->count() > 0 ? groupLabel() : wantedGroup_;
  group_->clear();
  for (const auto& g : groups) {
    QPixmap swatch(12, 12);
    swatch.fill(g.color);
    group_->addItem(QIcon(swatch), QStringLiteral("%1 (%2)").arg(g.label).arg(static_cast<int>(g.members.size())),
                    g.label);
  }
  int at = group_->findData(keep);
  if (at < 0) at = group_->findData(wantedGroup_);
  group_->setCurrentIndex(at >= 0 ? at : (group_->count() > 0 ? 0 : -1));
  run_->setEnabled(groupRow() >= 0);
}

void SweepPanel::selectGroup(int row) {
  if (row >= 0 && row < group_->count()) group_->setCurrentIndex(row);
}

int SweepPanel::groupRow() const { return group_->currentIndex(); }

QString SweepPanel::groupLabel() const { return group_->currentData().toString(); }

std::vector<double> SweepPanel::multipliers() const {
  std::vector<double> out;
  for (const QString& part : multipliers_->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
    bool ok = false;
    const double v = part.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(v))
      throw ce::core::Error("multipliers: '" + part.trimmed().left(40).toStdString() + "' is not a number");
    out.push_back(v);
  }
  if (out.empty()) throw ce::core::Error("multipliers: give at least one, e.g. -4, -2, -1, 0, 1, 2, 4");
  return out;
}

std::vector<std::string> SweepPanel::classes() const {
  std::vector<std::string> out;
  for (const QString& part : classes_->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
    if (!part.trimmed().isEmpty()) out.push_back(part.trimmed().toStdString());
  }
  if (out.empty()) throw ce::core::Error("classes: give at least one label column, e.g. capital");
  return out;
}

void SweepPanel::setMultipliers(const std::vector<double>& values) { multipliers_->setText(joined(values)); }

void SweepPanel::setClasses(const QStringList& columns) { classes_->setText(columns.join(QStringLiteral(", "))); }

void SweepPanel::showResult(const SweepOutput& output) {
  result_ = output;
  plot();
}

void SweepPanel::clearResult() {
  result_.reset();
  plot();
}

int SweepPanel::lineSeriesCount() const {
  int n = 0;
  for (QAbstractSeries* s : chart_->chart()->series()) n += s->type() == QAbstractSeries::SeriesTypeLine ? 1 : 0;
  return n;
}

void SweepPanel::plot() {
  QChart* chart = chart_->chart();
  chart->removeAllSeries();
  export_->setEnabled(result_.has_value());
  if (!result_) {
    chart->setTitle(QString());
    caption_->setText(tr("Sweep a group: its neurons scaled by each multiplier at every position of every prompt, "
                         "the mean probability of each answer class plotted against the multiplier."));
    return;
  }
  const ce::core::SweepResult& r = result_->result;
  double lo = 0, hi = 1;
  if (!r.multipliers.empty()) {
    lo = *std::min_element(r.multipliers.begin(), r.multipliers.end());
    hi = *std::max_element(r.multipliers.begin(), r.multipliers.end());
  }
  const double pad = std::max(0.25, (hi - lo) * 0.04);
  x_->setRange(lo - pad, hi + pad);
  // Ticks at round multipliers (1, 2, 5 × 10^k apart, from 0), not at the padded range's fifths.
  double step = std::pow(10.0, std::floor(std::log10(std::max(hi - lo, 1e-9))));
  for (double f : {1.0, 2.0, 5.0, 10.0}) {
    if ((hi - lo) / (step * f / 10) <= 10) {
      step = step * f / 10;
      break;
    }
  }
  x_->setTickType(QValueAxis::TicksDynamic);
  x_->setTickAnchor(0);
  x_->setTickInterval(step);
  auto add = [&](const QString& name, const std::vector<double>& values, QPen pen, bool points) {
    auto* s = new QLineSeries();
    s->setName(name);
    s->setPen(pen);
    s->setPointsVisible(points);
    for (size_t m = 0; m < r.multipliers.size() && m < values.size(); ++m) s->append(r.multipliers[m], values[m]);
    chart->addSeries(s);
    s->attachAxis(x_);
    s->attachAxis(y_);
  };
  for (size_t c = 0; c < r.classes.size(); ++c) {
    // Classes come in pairs per column: "<column>", "any <column>".
    const QColor color = columnColor(c / 2);
    QPen pen(color, 2);
    pen.setStyle(c % 2 == 0 ? Qt::SolidLine : Qt::DashLine);
    add(QString::fromStdString(r.classes[c]), r.probability[c], pen, true);
  }
  if (top1_->isChecked()) {
    for (size_t c = 0; c < r.classes.size() && c < r.top1.size(); ++c) {
      QPen pen(columnColor(c / 2), 1.5);
      pen.setStyle(Qt::DotLine);
      add(tr("%1 top-1").arg(QString::fromStdString(r.classes[c])), r.top1[c], pen, false);
    }
  }
  chart->setTitle(tr("Steering %1%2 over %3 prompts")
                      .arg(result_->group, result_->complement ? tr(" (rest ablated)") : QString())
                      .arg(r.prompts));
  caption_->setText(tr("Solid: P(the prompt's own value); dashed: P(any value of the column)%1.")
                        .arg(top1_->isChecked() ? tr("; dotted: share of prompts whose top-1 is of the class")
                                                : QString()));
  applyPalette();
}

figures::SweepFigure SweepPanel::figure() const {
  figures::SweepFigure f;
  if (!result_) return f;
  f.result = result_->result;
  f.group = result_->group;
  f.complement = result_->complement;
  f.top1 = top1_->isChecked();
  return f;
}

void SweepPanel::exportTo(const figures::FigureSpec& spec) const {
  if (!result_) throw ce::core::Error(spec.path.toStdString() + ": no sweep to export yet");
  if (QFileInfo(spec.path).suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0) {
    figures::writeFileAtomically(spec.path, QByteArray::fromStdString(ce::core::sweep_csv(result_->result)));
    return;
  }
  const figures::SweepFigure f = figure();
  figures::writeFigure(spec, [&f](QPainter& painter, const QRectF& page) { figures::drawSweepFigure(painter, page, f); });
}

void SweepPanel::exportTo(const QString& path) const {
  exportTo(figures::rememberedSpec(figures::FigureKind::Sweep, path));
}

void SweepPanel::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::PaletteChange) applyPalette();
}

void SweepPanel::applyPalette() {
  applyChartText(chart_->chart(), {x_, y_}, palette().color(QPalette::WindowText));
}

}  // namespace ce::ui
