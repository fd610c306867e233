// The Prompt Set tab: a dataset view of a traced prompt set (the paper's capitals case study). Inputs and the
// trace (or its saved profiles), the aggregated graph, the groups, hypothesis scores and the steering sweep.
// Every computation runs on a PromptSetController lane with this view's progress bar and Cancel.
#pragma once

#include <QWidget>
#include <memory>
#include <vector>

#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/model/model.h"
#include "ce/core/prompt_sets/set_trace.h"
#include "state/prompt_set_settings.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTabWidget;

namespace ce::ui {

class GroupsPanel;
class HypothesisPanel;
class PromptSetController;
class SetGraphView;
class SetGroups;
class SweepPanel;

class PromptSetView : public QWidget {
  Q_OBJECT
 public:
  explicit PromptSetView(QWidget* parent = nullptr);
  ~PromptSetView() override;

  // A new model: the set traced on the old one is dropped.
  void setModel(std::shared_ptr<const ce::core::Model> model, std::shared_ptr<const ce::core::ExemplarIndex> index);
  void setIndex(std::shared_ptr<const ce::core::ExemplarIndex> index);
  void setChatTemplateAvailable(bool available);
  // The dictionary sets the Basis list offers beside the MLP neurons (the prompt panel's: shipped beside the
  // model, or opened); the current choice stays when its folder is still listed.
  void setDictionarySets(const QStringList& folders);
  // The chosen set's folder, or empty for MLP neurons.
  QString dictionaries() const;

  PromptSetSettings settings() const;
  // Replaces the view's state by a session's: the inputs, then the set traced again (or its profiles opened) and
  // the groups put back by neuron name once it is in. Call with the session's model loaded.
  void applySettings(const PromptSetSettings& settings);

  // The data file the next trace reads (the shipped capitals.jsonl when the field names none).
  QString dataPath() const;
  ce::core::SetTraceOptions options() const;
  std::shared_ptr<const ce::core::SetTrace> trace() const;
  // A job of this view is running (trace, analysis or sweep).
  bool isBusy() const;
  QString profilesPath() const { return profilesPath_; }

  PromptSetController* controller() const { return controller_; }
  SetGroups* groups() const { return groups_; }
  SetGraphView* graph() const { return graph_; }
  GroupsPanel* groupsPanel() const { return groupsPanel_; }
  HypothesisPanel* hypothesisPanel() const { return hypothesis_; }
  SweepPanel* sweepPanel() const { return sweep_; }
  QLineEdit* dataEdit() const { return data_; }
  QComboBox* targetBox() const { return target_; }
  QComboBox* baselineBox() const { return baseline_; }
  QComboBox* basisBox() const { return basis_; }
  QDoubleSpinBox* keepBox() const { return keep_; }
  QCheckBox* chatBox() const { return chat_; }
  QPushButton* traceButton() const { return traceButton_; }
  QPushButton* cancelButton() const { return cancel_; }
  QLabel* summaryLabel() const { return summary_; }

 public Q_SLOTS:
  void traceSet();
  void openProfiles(const QString& path);
  void saveProfiles(const QString& path);
  void runSweep(int row);
  void cancel();

 Q_SIGNALS:
  // The user changed what a session saves (groups, settings, a new trace).
  void edited();
  void errorOccurred(const QString& message);
  // A trace is in (traced or opened) and a session's groups, if any, are back.
  void traced();
  void profilesSaved(const QString& path);

 private:
  QWidget* buildInputs();
  void wire();
  void onTraced(bool opened);
  void showError(const QString& message);
  void markEdited();

  PromptSetController* controller_;
  SetGroups* groups_;
  QLineEdit* data_;
  QComboBox *target_, *baseline_, *basis_;
  QDoubleSpinBox* keep_;
  QCheckBox* chat_;
  QPushButton *traceButton_, *openButton_, *saveButton_, *cancel_;
  QProgressBar* progress_;
  QLabel* summary_;
  SetGraphView* graph_;
  GroupsPanel* groupsPanel_;
  HypothesisPanel* hypothesis_;
  SweepPanel* sweep_;
  QTabWidget* tabs_;
  QString profilesPath_;  // the profiles file the trace came from or was saved to; empty after a new trace
  // A session's groups waiting for its trace; `restoring_` keeps its own edits from counting as the user's.
  std::vector<SetGroupSettings> pendingGroups_;
  bool restoring_ = false;
};

}  // namespace ce::ui
