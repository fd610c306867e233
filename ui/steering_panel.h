// One slider per group (multiplier −8…+8), a reset, and the greedy continuation under all interventions.
#pragma once

#include <QWidget>
#include <vector>

class QLabel;
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
  void setContinuation(const QString& text);
  QString continuation() const;

 private Q_SLOTS:
  void rebuild();

 private:
  InterventionState* state_;
  QVBoxLayout* rows_;
  QLabel* continuation_;
  QLabel* empty_;
  std::vector<QSlider*> sliders_;
  std::vector<QLabel*> values_;
};

}  // namespace ce::ui
