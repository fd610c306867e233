// The groups of a traced prompt set: Suggest Groups (clustering at a number of groups or a distance, on
// attribution or contribution profiles or both) and the list, where the user renames, merges, splits,
// deletes and sweeps them.
#pragma once

#include <QWidget>
#include <vector>

#include "ce/core/prompt_sets/clustering.h"

class QComboBox;
class QDoubleSpinBox;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace ce::ui {

class SetGroups;

class GroupsPanel : public QWidget {
  Q_OBJECT
 public:
  enum Column { LabelColumn, SizeColumn, LayersColumn, SweepColumn };

  GroupsPanel(SetGroups* groups, QWidget* parent = nullptr);

  QTableWidget* table() const { return table_; }
  QPushButton* suggestButton() const { return suggest_; }
  QPushButton* mergeButton() const { return merge_; }
  QPushButton* splitButton() const { return split_; }
  QPushButton* deleteButton() const { return delete_; }
  QComboBox* cutBox() const { return cut_; }
  QSpinBox* countBox() const { return count_; }
  QDoubleSpinBox* distanceBox() const { return distance_; }
  QComboBox* onBox() const { return on_; }
  ce::core::ClusterOn clusterOn() const;
  // The Sweep button of a row (for tests and keyboard users).
  QPushButton* sweepButton(int row) const;
  std::vector<int> selectedRows() const;
  void selectRows(const std::vector<int>& rows);

 Q_SIGNALS:
  // groups > 0: cut at that many; else at `distance`.
  void suggestRequested(ce::core::ClusterOn on, int groups, double distance);
  void splitRequested(int row);
  void sweepRequested(int row);
  void rowsSelected(const std::vector<int>& rows);

 private:
  void rebuild();
  void updateButtons();

  SetGroups* groups_;
  QComboBox *cut_, *on_;
  QSpinBox* count_;
  QDoubleSpinBox* distance_;
  QPushButton *suggest_, *merge_, *split_, *delete_;
  QTableWidget* table_;
  bool rebuilding_ = false;
};

}  // namespace ce::ui
