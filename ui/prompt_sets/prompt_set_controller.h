// The jobs of the Prompt Set view: tracing a labelled prompt set (or opening and saving its profiles),
// clustering and splitting groups, hypothesis scores and steering sweeps, each on a JobRunner lane.
#pragma once

#include <QObject>
#include <QString>
#include <memory>
#include <utility>
#include <vector>

#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/model/model.h"
#include "ce/core/prompt_sets/clustering.h"
#include "ce/core/prompt_sets/hypothesis.h"
#include "ce/core/prompt_sets/set_trace.h"
#include "ce/core/prompt_sets/sweep.h"

namespace ce::ui {

class JobRunner;

struct HypothesisResult {
  QString column, value, position;
  std::vector<ce::core::HypothesisScore> scores;  // every kept neuron, by |auc - 0.5| descending
};

struct SweepOutput {
  QString group;  // the swept group's label
  bool complement = false;
  ce::core::SweepResult result;
};

// Three lanes, so that clustering never cancels a trace and a sweep runs beside both: the trace lane (trace,
// open, save), the analysis lane (cluster, split, hypothesis) and the sweep lane. An analysis or sweep result
// that belongs to a trace other than the current one is dropped. GUI thread only; jobs capture the model, the
// index and the trace by shared_ptr, never the controller.
class PromptSetController : public QObject {
  Q_OBJECT
 public:
  explicit PromptSetController(QObject* parent = nullptr);
  ~PromptSetController() override;

  // A new model: the trace of the old one is dropped and every running job cancelled.
  void setModel(std::shared_ptr<const ce::core::Model> model,
                std::shared_ptr<const ce::core::ExemplarIndex> index);
  void setIndex(std::shared_ptr<const ce::core::ExemplarIndex> index) { index_ = std::move(index); }
  bool hasModel() const { return model_ != nullptr; }
  std::shared_ptr<const ce::core::SetTrace> trace() const { return trace_; }
  // Forgets the trace (a session without one was opened).
  void clearTrace();

  JobRunner* traceRunner() const { return traceLane_; }
  JobRunner* analysisRunner() const { return analysis_; }
  JobRunner* sweepRunner() const { return sweep_; }
  std::vector<JobRunner*> runners() const { return {traceLane_, analysis_, sweep_}; }
  void cancelAll();

  // traced() follows, or failed(). `dictionaries`: a dictionary set's folder, whose features (and error nodes)
  // are traced instead of the MLP neurons; loaded in the job. Empty: neurons.
  void traceSet(const QString& data, const ce::core::SetTraceOptions& options, const QString& dictionaries = {});
  void openProfiles(const QString& path);
  // profilesSaved() follows.
  void saveProfiles(const QString& path);
  // Clustering of the current trace, labelled from the exemplar index (the layer span without one); a feature
  // trace is labelled from its set's own index (find_exemplar_index), found in the job.
  void suggestGroups(ce::core::ClusterOn on, int groups, double distance);
  // The group with these members split in two; groupSplit() names the members it was for.
  void splitGroup(const QString& label, const std::vector<int>& members, ce::core::ClusterOn on);
  void scoreHypothesis(const QString& column, const QString& value, const QString& position);
  // options.ablate: neurons zeroed besides the scaling (complement mode), or empty. The basis is the trace's.
  void runSweep(const QString& group, const std::vector<std::pair<int, int>>& neurons,
                ce::core::SweepOptions options, bool complement);

 Q_SIGNALS:
  // trace() is new: `opened` when it came from a profiles file.
  void traced(bool opened);
  void profilesSaved(const QString& path);
  void groupsSuggested(const std::vector<ce::core::NeuronGroup>& groups);
  void groupSplit(const std::vector<int>& members, const std::vector<ce::core::NeuronGroup>& parts);
  void hypothesisScored(const ce::ui::HypothesisResult& result);
  void swept(const ce::ui::SweepOutput& output);
  void failed(const QString& message);

 private:
  void acceptTrace(std::shared_ptr<const ce::core::SetTrace> trace, bool opened);

  std::shared_ptr<const ce::core::Model> model_;
  std::shared_ptr<const ce::core::ExemplarIndex> index_;
  std::shared_ptr<const ce::core::SetTrace> trace_;
  quint64 serial_ = 0;  // counts traces: a result computed from an older one is dropped
  JobRunner* traceLane_;
  JobRunner* analysis_;
  JobRunner* sweep_;
};

}  // namespace ce::ui
