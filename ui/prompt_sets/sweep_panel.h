// The steering sweep of one group over the whole prompt set: multipliers, answer-class columns, complement
// mode; the mean probability of each class against the multiplier (Qt Charts), top-1 shares optionally;
// exported as a printed figure (ui/figures, through the export dialog) or CSV.
#pragma once

#include <QStringList>
#include <QWidget>
#include <optional>
#include <vector>

#include "figures/chart_figures.h"
#include "figures/figure_style.h"
#include "prompt_sets/prompt_set_controller.h"
#include "prompt_sets/set_groups.h"

class QChartView;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QValueAxis;

namespace ce::ui {

class SweepPanel : public QWidget {
  Q_OBJECT
 public:
  explicit SweepPanel(QWidget* parent = nullptr);

  // The groups to choose from; the chosen one stays chosen where its label still exists.
  void setGroups(const std::vector<SetGroup>& groups);
  void selectGroup(int row);
  int groupRow() const;
  QString groupLabel() const;
  // Chosen before the groups exist (a session): selected once a group of that label appears.
  void setWantedGroup(const QString& label) { wantedGroup_ = label; }
  void showResult(const SweepOutput& output);
  void clearResult();
  const std::optional<SweepOutput>& result() const { return result_; }

  // Throw ce::core::Error naming the bad entry.
  std::vector<double> multipliers() const;
  std::vector<std::string> classes() const;
  void setMultipliers(const std::vector<double>& values);
  void setClasses(const QStringList& columns);

  QComboBox* groupBox() const { return group_; }
  QLineEdit* multipliersEdit() const { return multipliers_; }
  QLineEdit* classesEdit() const { return classes_; }
  QCheckBox* complementBox() const { return complement_; }
  QCheckBox* top1Box() const { return top1_; }
  QPushButton* runButton() const { return run_; }
  QChartView* chartView() const { return chart_; }
  int lineSeriesCount() const;
  // By the path's suffix: .svg, .pdf, .png (the printed sweep figure at spec's size) or .csv (sweep_csv).
  // Throws ce::core::Error with the reason.
  void exportTo(const figures::FigureSpec& spec) const;
  // exportTo at the size the export dialog last remembered for sweeps.
  void exportTo(const QString& path) const;
  // The result as the printed figure draws it (the top-1 box decides whether shares are drawn).
  figures::SweepFigure figure() const;

 Q_SIGNALS:
  void runRequested(int row);
  void errorOccurred(const QString& message);
  void settingsEdited();

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void plot();
  void applyPalette();

  QComboBox* group_;
  QLineEdit *multipliers_, *classes_;
  QCheckBox *complement_, *top1_;
  QPushButton *run_, *export_;
  QLabel* caption_;
  QChartView* chart_;
  QValueAxis *x_, *y_;
  std::optional<SweepOutput> result_;
  QString wantedGroup_;
};

}  // namespace ce::ui
