#include "ui/steering_panel.h"

#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>

#include "ui/intervention_state.h"

namespace ce::ui {

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
  auto* reset = new QPushButton(tr("&Reset All"), this);
  reset->setToolTip(tr("Every multiplier back to 1 and every single-node edit removed"));
  connect(reset, &QPushButton::clicked, state_, &InterventionState::reset);
  layout->addWidget(reset);
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
      values_[i]->setText(QStringLiteral("×%1").arg(groups[i].factor, 0, 'g', 3));
    }
    return;
  }
  while (QLayoutItem* item = rows_->takeAt(0)) {
    if (item->widget()) item->widget()->deleteLater();
    delete item;
  }
  sliders_.clear();
  values_.clear();
  empty_->setVisible(groups.empty());
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto& g = groups[i];
    auto* row = new QWidget(this);
    auto* grid = new QGridLayout(row);
    grid->setContentsMargins(0, 0, 0, 0);
    auto* name = new QLabel(QStringLiteral("<span style=\"color:%1\">\u25cf</span> %2 (%3)")
                                .arg(g.color.name(), g.name.toHtmlEscaped())
                                .arg(g.nodes.size()),
                            row);
    auto* slider = new QSlider(Qt::Horizontal, row);
    slider->setRange(-8 * kStepsPerUnit, 8 * kStepsPerUnit);
    slider->setValue(static_cast<int>(std::lround(g.factor * kStepsPerUnit)));
    slider->setTickPosition(QSlider::TicksBelow);
    slider->setTickInterval(kStepsPerUnit);
    slider->setToolTip(
        tr("Multiplier of the group's activations: 1 = unchanged, 0 = ablated, negative flips"));
    auto* value = new QLabel(QStringLiteral("×%1").arg(g.factor, 0, 'g', 3), row);
    value->setMinimumWidth(48);
    auto* remove = new QToolButton(row);
    remove->setText(QStringLiteral("\u2715"));
    remove->setToolTip(tr("Remove the group"));
    const int index = static_cast<int>(i);
    connect(slider, &QSlider::valueChanged, this,
            [this, index](int v) { state_->setGroupFactor(index, static_cast<double>(v) / kStepsPerUnit); });
    connect(remove, &QToolButton::clicked, this, [this, index] { state_->removeGroup(index); });
    grid->addWidget(name, 0, 0, 1, 2);
    grid->addWidget(remove, 0, 2);
    grid->addWidget(slider, 1, 0);
    grid->addWidget(value, 1, 1, 1, 2);
    rows_->addWidget(row);
    sliders_.push_back(slider);
    values_.push_back(value);
  }
}

}  // namespace ce::ui
