#include "prompt_sets/hypothesis_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <set>

#include "ce/core/circuits/basis.h"

namespace ce::ui {

HypothesisPanel::HypothesisPanel(QWidget* parent)
    : QWidget(parent),
      column_(new QComboBox(this)),
      value_(new QComboBox(this)),
      position_(new QComboBox(this)),
      threshold_(new QDoubleSpinBox(this)),
      score_(new QPushButton(tr("Score"), this)),
      makeGroup_(new QPushButton(tr("Make Group"), this)),
      summary_(new QLabel(this)),
      table_(new QTableWidget(this)) {
  position_->setEditable(true);
  position_->addItems({QStringLiteral("max"), QStringLiteral("-1"), QStringLiteral("0")});
  position_->setToolTip(tr("Each prompt's activation: its maximum over positions (max), or the one at a position "
                           "(0 = the first token, -1 = the last)"));
  threshold_->setRange(0.5, 1.0);
  threshold_->setSingleStep(0.05);
  threshold_->setDecimals(2);
  threshold_->setValue(0.8);
  threshold_->setToolTip(tr("List the neurons with AUC at least this, or at most 1 minus this"));
  makeGroup_->setToolTip(tr("Make the listed neurons a group"));
  makeGroup_->setEnabled(false);
  score_->setEnabled(false);
  summary_->setWordWrap(true);
  table_->setColumnCount(2);
  table_->setHorizontalHeaderLabels({tr("Neuron"), tr("AUC")});
  table_->verticalHeader()->hide();
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
  table_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
  connect(table_, &QTableWidget::itemSelectionChanged, this, [this] {
    std::vector<int> neurons;
    for (const QModelIndex& i : table_->selectionModel()->selectedRows()) {
      if (i.row() < static_cast<int>(listed_.size())) neurons.push_back(listed_[static_cast<size_t>(i.row())]);
    }
    if (!neurons.empty()) Q_EMIT neuronsSelected(neurons);
  });

  auto* form = new QFormLayout();
  auto* which = new QHBoxLayout();
  which->addWidget(column_, 1);
  which->addWidget(new QLabel(QStringLiteral("="), this));
  which->addWidget(value_, 1);
  form->addRow(tr("Label:"), which);
  auto* how = new QHBoxLayout();
  how->addWidget(position_, 1);
  how->addWidget(new QLabel(tr("AUC ≥"), this));
  how->addWidget(threshold_);
  form->addRow(tr("Activation:"), how);
  auto* buttons = new QHBoxLayout();
  buttons->addWidget(score_);
  buttons->addWidget(makeGroup_);
  buttons->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(form);
  layout->addLayout(buttons);
  layout->addWidget(summary_);
  layout->addWidget(table_, 1);

  connect(column_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
    fillValues();
    Q_EMIT settingsEdited();
  });
  connect(value_, qOverload<int>(&QComboBox::currentIndexChanged), this, &HypothesisPanel::settingsEdited);
  connect(position_, &QComboBox::currentTextChanged, this, &HypothesisPanel::settingsEdited);
  connect(threshold_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this] {
    showListed();  // a new threshold filters the scores already computed
    Q_EMIT settingsEdited();
  });
  connect(score_, &QPushButton::clicked, this, [this] {
    if (!column().isEmpty() && !value().isEmpty()) Q_EMIT scoreRequested(column(), value(), position());
  });
  connect(makeGroup_, &QPushButton::clicked, this, [this] {
    if (!listed_.empty()) Q_EMIT makeGroupRequested(QStringLiteral("%1 = %2").arg(last_.column, last_.value), listed_);
  });
}

QString HypothesisPanel::column() const { return column_->currentText(); }
QString HypothesisPanel::value() const { return value_->currentText(); }
QString HypothesisPanel::position() const { return position_->currentText().trimmed(); }

void HypothesisPanel::setChoice(const QString& column, const QString& value, const QString& position,
                                double threshold) {
  wantedColumn_ = column;
  wantedValue_ = value;
  position_->setCurrentText(position);
  threshold_->setValue(threshold);
  if (trace_) setTrace(trace_);
}

void HypothesisPanel::setTrace(std::shared_ptr<const ce::core::SetTrace> trace) {
  if (!column().isEmpty() && trace_ != trace) {
    // What the user chose on the previous trace is kept where the new one has it.
    wantedColumn_ = column();
    wantedValue_ = value();
  }
  trace_ = std::move(trace);
  last_ = HypothesisResult();
  {
    const QSignalBlocker block(column_);
    column_->clear();
    if (trace_) {
      for (const auto& c : trace_->columns) column_->addItem(QString::fromStdString(c));
    }
    // The capitals study's first question is about states.
    int at = column_->findText(wantedColumn_);
    if (at < 0) at = column_->findText(QStringLiteral("state"));
    if (at >= 0) column_->setCurrentIndex(at);
  }
  fillValues();
  score_->setEnabled(trace_ && column_->count() > 0);
  showListed();
}

void HypothesisPanel::fillValues() {
  const QSignalBlocker block(value_);
  const QString keep = value_->count() > 0 ? value() : wantedValue_;
  value_->clear();
  if (!trace_ || column().isEmpty()) return;
  const std::string c = column().toStdString();
  std::set<QString> values;
  for (const auto& p : trace_->prompts) {
    if (auto it = p.text.labels.find(c); it != p.text.labels.end()) values.insert(QString::fromStdString(it->second));
  }
  for (const QString& v : values) value_->addItem(v);
  int at = value_->findText(keep);
  if (at < 0) at = value_->findText(wantedValue_);
  if (at >= 0) value_->setCurrentIndex(at);
}

void HypothesisPanel::showResult(const HypothesisResult& result) {
  last_ = result;
  showListed();
}

void HypothesisPanel::showListed() {
  listed_.clear();
  table_->setRowCount(0);
  if (!trace_ || last_.scores.empty()) {
    summary_->setText(trace_ ? tr("Choose a label and value, then Score.") : tr("Trace a prompt set first."));
    makeGroup_->setEnabled(false);
    return;
  }
  const double t = threshold_->value();
  for (const auto& s : last_.scores) {
    if (s.auc >= t || s.auc <= 1 - t) listed_.push_back(s.neuron);
  }
  table_->setRowCount(static_cast<int>(listed_.size()));
  int row = 0;
  for (const auto& s : last_.scores) {
    if (!(s.auc >= t || s.auc <= 1 - t)) continue;
    const std::string name = trace_->display_name_of(static_cast<size_t>(s.neuron));
    table_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(name)));
    auto* auc = new QTableWidgetItem(QString::number(s.auc, 'f', 3));
    auc->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    // Which way it separates: at or above the threshold the neuron fires more on the value's prompts.
    auc->setForeground(s.auc >= t ? QColor(0x2b, 0x6c, 0xc4) : QColor(0xd1, 0x3c, 0x3c));
    table_->setItem(row, 1, auc);
    ++row;
  }
  summary_->setText(tr("%1 of %2 kept neurons separate %3 = %4 (activation %5): AUC ≥ %6 or ≤ %7")
                        .arg(static_cast<int>(listed_.size()))
                        .arg(static_cast<int>(last_.scores.size()))
                        .arg(last_.column, last_.value, last_.position)
                        .arg(t, 0, 'f', 2)
                        .arg(1 - t, 0, 'f', 2));
  makeGroup_->setEnabled(!listed_.empty());
}

}  // namespace ce::ui
