#include "panels/steering_panel.h"

#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>

#include "state/intervention_state.h"

namespace ce::ui {

namespace {
QString nameText(const SteeringGroup& g) {
  return QStringLiteral("<span style=\"color:%1\">\u25cf</span> %2 (%3)")
      .arg(g.color.name(), g.name.toHtmlEscaped())
      .arg(g.nodes.size());
}
}  // namespace

SteeringPanel::SteeringPanel(InterventionState* state, QWidget* parent)
    : QWidget(parent),
      state_(state),
      rows_(new QVBoxLayout()),
      continuation_(new QLabel(this)),
      empty_(new QLabel(tr("Select nodes in the graph, right-click and choose “Make Group from Selection”."),
                        this)) {
  auto* layout = new QVBoxLayout(this);
  empty_->setWordWrap(true);
  layout->addWidget(empty_);
  layout->addLayout(rows_);
  reset_ = new QPushButton(tr("&Reset All"), this);
  reset_->setObjectName(QStringLiteral("resetAll"));
  reset_->setToolTip(tr("Every multiplier back to 1 and every single-node edit removed"));
  connect(reset_, &QPushButton::clicked, state_, &InterventionState::reset);
  layout->addWidget(reset_);
  auto* caption = new QLabel(tr("Greedy continuation under the interventions:"), this);
  layout->addWidget(caption);
  continuation_->setWordWrap(true);
  continuation_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  QFont f = continuation_->font();
  f.setBold(true);
  continuation_->setFont(f);
  layout->addWidget(continuation_);
  layout->addStretch(1);
  connect(state_, &InterventionState::changed, this, &SteeringPanel::rebuild);
  rebuild();
}

QSlider* SteeringPanel::slider(int group) const {
  return group >= 0 && group < static_cast<int>(sliders_.size()) ? sliders_[static_cast<size_t>(group)]
                                                                 : nullptr;
}

QDoubleSpinBox* SteeringPanel::factorField(int group) const {
  return group >= 0 && group < static_cast<int>(values_.size()) ? values_[static_cast<size_t>(group)] : nullptr;
}

QList<QWidget*> SteeringPanel::focusOrder() const {
  QList<QWidget*> out;
  for (size_t i = 0; i < sliders_.size(); ++i) out << sliders_[i] << values_[i] << removes_[i];
  out << reset_;
  return out;
}

void SteeringPanel::setContinuation(const QString& text) { continuation_->setText(text); }

QString SteeringPanel::continuation() const { return continuation_->text(); }

void SteeringPanel::rebuild() {
  const auto& groups = state_->groups();
  // Rebuilding on every slider step would destroy the slider being dragged: only when the group list changes.
  if (groups.size() == sliders_.size()) {
    for (size_t i = 0; i < groups.size(); ++i) {
      const int v = static_cast<int>(std::lround(groups[i].factor * kStepsPerUnit));
      if (sliders_[i]->value() != v) {
        const QSignalBlocker block(sliders_[i]);
        sliders_[i]->setValue(v);
      }
      if (values_[i]->value() != groups[i].factor) {
        const QSignalBlocker block(values_[i]);
        values_[i]->setValue(groups[i].factor);
      }
      names_[i]->setText(nameText(groups[i]));
    }
    return;
  }
  while (QLayoutItem* item = rows_->takeAt(0)) {
    if (item->widget()) item->widget()->deleteLater();
    delete item;
  }
  sliders_.clear();
  values_.clear();
  removes_.clear();
  names_.clear();
  empty_->setVisible(groups.empty());
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto& g = groups[i];
    auto* row = new QWidget(this);
    row->setContextMenuPolicy(Qt::CustomContextMenu);
    row->setToolTip(tr("Right-click for the group's actions"));
    connect(row, &QWidget::customContextMenuRequested, this, [this, row, i](const QPoint& at) {
      Q_EMIT groupMenuRequested(static_cast<int>(i), row->mapToGlobal(at));
    });
    auto* grid = new QGridLayout(row);
    grid->setContentsMargins(0, 0, 0, 0);
    auto* name = new QLabel(nameText(g), row);
    auto* slider = new QSlider(Qt::Horizontal, row);
    slider->setRange(-8 * kStepsPerUnit, 8 * kStepsPerUnit);
    slider->setValue(static_cast<int>(std::lround(g.factor * kStepsPerUnit)));
    slider->setTickPosition(QSlider::TicksBelow);
    slider->setTickInterval(kStepsPerUnit);
    slider->setToolTip(
        tr("Multiplier of the group's activations: 1 = unchanged, 0 = ablated, negative flips"));
    slider->setFocusPolicy(Qt::StrongFocus);  // some styles give sliders no tab focus
    // The multiplier typed: applied on Enter or leaving the field, so one typed value is one undo step.
    auto* value = new QDoubleSpinBox(row);
    value->setRange(-8, 8);
    value->setDecimals(2);
    value->setSingleStep(1.0 / kStepsPerUnit);
    value->setPrefix(QStringLiteral("×"));
    value->setKeyboardTracking(false);
    value->setValue(g.factor);
    value->setToolTip(tr("The multiplier as a number (−8 to 8)"));
    auto* remove = new QToolButton(row);
    remove->setText(QStringLiteral("\u2715"));
    remove->setToolTip(tr("Remove the group"));
    const int index = static_cast<int>(i);
    connect(slider, &QSlider::valueChanged, this,
            [this, index](int v) { state_->setGroupFactor(index, static_cast<double>(v) / kStepsPerUnit); });
    connect(value, &QDoubleSpinBox::valueChanged, this,
            [this, index](double v) { state_->setGroupFactor(index, v); });
    connect(remove, &QToolButton::clicked, this, [this, index] { state_->removeGroup(index); });
    grid->addWidget(name, 0, 0, 1, 2);
    grid->addWidget(remove, 0, 2);
    grid->addWidget(slider, 1, 0);
    grid->addWidget(value, 1, 1, 1, 2);
    rows_->addWidget(row);
    slider->setObjectName(QStringLiteral("groupSlider%1").arg(i));
    value->setObjectName(QStringLiteral("groupFactor%1").arg(i));
    remove->setObjectName(QStringLiteral("removeGroup%1").arg(i));
    sliders_.push_back(slider);
    values_.push_back(value);
    removes_.push_back(remove);
    names_.push_back(name);
  }
  Q_EMIT rowsRebuilt();
}

void SteeringPanel::fillGroupMenu(QMenu* menu, int group, int meanCount, const QString& meanSource) {
  if (group < 0 || group >= static_cast<int>(state_->groups().size())) return;
  const SteeringGroup& g = state_->groups()[static_cast<size_t>(group)];
  const int size = static_cast<int>(g.nodes.size());
  menu->addAction(tr("Ablate (zero)"), this, [this, group] { state_->setGroupFactor(group, 0.0); });
  QAction* mean =
      menu->addAction(tr("Ablate (mean)"), this, [this, group] { Q_EMIT groupMeanAblationRequested(group); });
  mean->setEnabled(meanCount > 0);
  // Every-position members and untraced nodes have no mean of their own.
  mean->setToolTip(
      meanCount > 0 ? tr("%1 of the %2 nodes have a mean value (%3)").arg(meanCount).arg(size).arg(meanSource)
                    : tr("Unavailable: none of the %1 nodes has a mean value at its position").arg(size));
  menu->setToolTipsVisible(true);
  QMenu* steer = menu->addMenu(tr("Steer"));
  for (double f : {-2.0, 2.0, 4.0, 8.0}) {
    steer->addAction(QStringLiteral("×%1").arg(f), this,
                     [this, group, f] { state_->setGroupFactor(group, f); });
  }
  menu->addAction(tr("Reset (×1)"), this, [this, group] { state_->setGroupFactor(group, 1.0); });
  menu->addSeparator();
  menu->addAction(tr("Select in Graph"), this, [this, group] { Q_EMIT groupSelectionRequested(group); });
  menu->addAction(tr("Rename…"), this, [this, group] {
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Rename Group"), tr("Name:"), QLineEdit::Normal,
                                               state_->groups()[static_cast<size_t>(group)].name, &ok);
    if (ok) state_->renameGroup(group, name);
  });
  menu->addAction(tr("Remove"), this, [this, group] { state_->removeGroup(group); });
}

}  // namespace ce::ui
