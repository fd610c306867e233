// One slider per group (multiplier −8…+8), a reset, and the greedy continuation under all interventions.
#pragma once

#include <QList>
#include <QWidget>
#include <vector>

class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QMenu;
class QSlider;
class QVBoxLayout;

namespace ce::ui {

class InterventionState;

class SteeringPanel : public QWidget {
  Q_OBJECT
 public:
  // Slider steps per unit of multiplier.
  static constexpr int kStepsPerUnit = 4;

  explicit SteeringPanel(InterventionState* state, QWidget* parent = nullptr);

  QSlider* slider(int group) const;
  // The group's multiplier typed as a number, beside its slider (either moves the other).
  QDoubleSpinBox* factorField(int group) const;
  // The panel's controls in reading order (each group's slider, field and remove button, then Reset All).
  QList<QWidget*> focusOrder() const;
  void setContinuation(const QString& text);
  QString continuation() const;
  // The continuation's label, for a banner laid over it when the live computation fails.
  QLabel* continuationLabel() const { return continuation_; }
  // The actions on one group: Ablate (zero), Ablate (mean), Steer ×…, Reset, Select in Graph, Rename…,
  // Remove. Shown by right-clicking a group's row here, and as a submenu of a grouped node in the graph.
  // `meanCount` of the group's nodes have a mean-ablation value (the action is disabled without any).
  void fillGroupMenu(QMenu* menu, int group, int meanCount, const QString& meanSource);

 Q_SIGNALS:
  // The main window knows the mean-ablation values and the graph.
  void groupMenuRequested(int group, const QPoint& globalPos);
  void groupMeanAblationRequested(int group);
  void groupSelectionRequested(int group);
  // The group rows were rebuilt (new widgets): the window's tab order must take them in.
  void rowsRebuilt();

 private Q_SLOTS:
  void rebuild();

 private:
  InterventionState* state_;
  QVBoxLayout* rows_;
  QLabel* continuation_;
  QLabel* empty_;
  QPushButton* reset_;
  std::vector<QSlider*> sliders_;
  std::vector<QDoubleSpinBox*> values_;
  std::vector<QWidget*> removes_;
  std::vector<QLabel*> names_;
};

}  // namespace ce::ui
