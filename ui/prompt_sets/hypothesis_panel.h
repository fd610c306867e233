// Hypothesis scores of a traced prompt set: for a label column and value (state = Texas), the kept neurons
// whose activation separates those prompts from the rest (ROC-AUC >= the threshold or <= 1 - it), listed and
// made into a group in one click.
#pragma once

#include <QWidget>
#include <memory>
#include <vector>

#include "ce/core/prompt_sets/set_trace.h"
#include "prompt_sets/prompt_set_controller.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QTableWidget;

namespace ce::ui {

class HypothesisPanel : public QWidget {
  Q_OBJECT
 public:
  explicit HypothesisPanel(QWidget* parent = nullptr);

  // Fills the column and value boxes from the trace's labels (keeping the chosen ones where they exist) and
  // forgets the scores of the previous trace.
  void setTrace(std::shared_ptr<const ce::core::SetTrace> trace);
  void showResult(const HypothesisResult& result);

  QComboBox* columnBox() const { return column_; }
  QComboBox* valueBox() const { return value_; }
  QComboBox* positionBox() const { return position_; }
  QDoubleSpinBox* thresholdBox() const { return threshold_; }
  QPushButton* scoreButton() const { return score_; }
  QPushButton* makeGroupButton() const { return makeGroup_; }
  QTableWidget* table() const { return table_; }
  // The neurons the table lists (indices into the trace's kept neurons), in its order.
  const std::vector<int>& listedNeurons() const { return listed_; }

  QString column() const;
  QString value() const;
  QString position() const;
  // Chosen before a trace exists (a session): applied when the trace's labels fill the boxes.
  void setChoice(const QString& column, const QString& value, const QString& position, double threshold);

 Q_SIGNALS:
  void scoreRequested(const QString& column, const QString& value, const QString& position);
  void makeGroupRequested(const QString& label, const std::vector<int>& neurons);
  void settingsEdited();
  // Rows selected in the table: their neurons, to show in the graph.
  void neuronsSelected(const std::vector<int>& neurons);

 private:
  void fillValues();
  void showListed();

  std::shared_ptr<const ce::core::SetTrace> trace_;
  QComboBox *column_, *value_, *position_;
  QDoubleSpinBox* threshold_;
  QPushButton *score_, *makeGroup_;
  QLabel* summary_;
  QTableWidget* table_;
  HypothesisResult last_;
  std::vector<int> listed_;
  QString wantedColumn_, wantedValue_;
};

}  // namespace ce::ui
