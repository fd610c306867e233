// The traced circuit: the trace job (attribution, edges, first exemplars, mean-ablation values), the
// Texas-style specific groups, and the score of the circuit the graph shows on the traced prompt.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/attribution_example.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/circuits/edge_attribution.h"
#include "panels/exemplar_rows.h"
#include "state/intervention_state.h"
#include "state/trace_settings.h"

namespace ce::ui {

class JobRunner;
class ModelController;

// What one trace produced, kept for display and export.
struct TraceOutput {
  std::vector<int> ids;
  // The answer and contrast traced: the model's own top-1 / top-2 where the fields were empty.
  QString answer, contrast;
  ce::core::Metric metric = ce::core::Metric::Diff;
  QStringList tokens;
  ce::core::Basis basis = ce::core::Basis::MlpAct;
  // The dictionary set of a feature basis (null for the neuron bases): steering and scoring its nodes need it.
  std::shared_ptr<const ce::core::DictionarySet> dictionaries;
  // The exemplar index of those features (find_exemplar_index: beside the set, the model or in resources), or null.
  std::shared_ptr<const ce::core::ExemplarIndex> featureIndex;
  int layers = 0;
  double m = 0;
  std::vector<ce::core::NodeEffect> nodes;
  std::vector<ce::core::Edge> edges;
  // The neurons the edges were computed between (EdgeResult::nodes): a graph export's neuron nodes.
  std::vector<ce::core::NodeEffect> edgeNodes;
  // The prompt as typed (the graph file's metadata.prompt).
  QString prompt;
  // The dense result for the neuron inspector: [layers][positions][width].
  int positions = 0, width = 0;
  std::vector<float> activation, effect;
  // The first positive exemplar of each traced neuron, by (layer, index), for the hover text.
  FirstExemplars firstExemplars;
  // Automatic labels from the exemplar index by (layer, index), "+ in, at / − the" (exemplar_label), made by
  // requestAutoLabels() after the trace; empty without an index.
  std::map<NeuronId, QString> autoLabels;
  // Mean-ablation values of the traced nodes, and where they come from (or why there are none).
  std::map<NodeKey, float> meanValues;
  QString meanSource;
  // The traced example, for scoring circuits on this prompt alone.
  ce::core::AttributionExample example;
  // Scores circuits on this prompt: nodes outside them take the patch prompt's activations (zero without a
  // patch prompt). Built by the first score job (three forward passes, kept out of the trace's time).
  std::shared_ptr<const ce::core::CircuitEvaluator> promptEvaluator;
};

// Faithfulness and completeness of the circuit shown in the graph, on the traced prompt.
struct CircuitScore {
  int nodes = 0;
  double faithfulness = 0, completeness = 0;
};

// The circuit as the graph shows it: the traced nodes above the threshold that no intervention ablates.
struct CircuitMask {
  std::vector<bool> keep;  // [layers][positions][width] of the trace
  int kept = 0;
};

// Every-position groups of the neurons found in only one of two prompts' traces.
struct SpecificGroups {
  QString answer, contrast;  // what each side was traced for (trimmed group names)
  std::vector<NodeKey> mine, theirs;
};

// Traces run in the model's heavy lane (a trace and a model load supersede each other); scores run in a
// lane of their own, so an edit rescoring the circuit never cancels a trace. Results for an outdated
// trace are dropped. GUI thread only.
class TraceController : public QObject {
  Q_OBJECT
 public:
  // Neurons per trace for the specific groups: what `circuit-trace steer-pairs` uses by default.
  static constexpr int kSpecificTop = 20;

  TraceController(ModelController* models, QObject* parent = nullptr);
  ~TraceController() override;

  const TraceOutput& trace() const { return trace_; }
  JobRunner* scoreRunner() const { return score_; }
  CircuitScore lastScore() const { return lastScore_; }

  // Traces `settings` on the current model; mean-ablation values come from `meanDataset` (may be empty)
  // as ce::core::prompt_mean_ablation picks them. traced() follows.
  void start(const TraceSettings& settings, const QString& meanDataset);
  // Traces the prompt and `otherPrompt` (its answer = our contrast and vice versa) alone and compares
  // their top neurons; specificGroupsFound() follows.
  void findSpecificGroups(const TraceSettings& settings, const QString& otherPrompt);
  // A new model: the trace is forgotten and a running score dropped.
  void reset();
  void setFirstExemplars(const FirstExemplars& texts) { trace_.firstExemplars = texts; }
  // Labels the traced neurons from the model's exemplar index on a lane of its own (a newer request or
  // trace supersedes it); autoLabelsReady() follows. Nothing happens without an index or a trace.
  void requestAutoLabels();

  // The traced nodes with |effect| >= threshold, and the pinned ones whatever their effect, descending |effect|.
  std::vector<ce::core::NodeEffect> shownNodes(double threshold, const std::set<NodeKey>& pinned = {}) const;
  CircuitMask circuit(double threshold, const InterventionState& state) const;
  // Rescores `mask` on the traced prompt unless it is the circuit scored last; false when there is nothing
  // to score (no trace), so the caller clears the score shown.
  bool score(const CircuitMask& mask);

 Q_SIGNALS:
  void traced();
  void specificGroupsFound(const ce::ui::SpecificGroups& groups);
  // lastScore() is current; `text` says it in a sentence.
  void scored(const QString& text);
  void scoreFailed(const QString& message);
  // trace().autoLabels is current.
  void autoLabelsReady();

 private:
  ModelController* models_;
  JobRunner* score_;
  JobRunner* labels_;
  TraceOutput trace_;
  CircuitScore lastScore_;
  quint64 traceSerial_ = 0;  // counts finished traces: a score job's evaluator belongs to one of them
  quint64 scoredSerial_ = 0;
  std::vector<bool> scoredKeep_;  // the circuit last sent to scoring: an edit that keeps it costs nothing
};

}  // namespace ce::ui
