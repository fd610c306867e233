#include "controllers/trace_controller.h"

#include <algorithm>
#include <cmath>

#include "ce/core/base/error.h"
#include "ce/core/circuits/mean_ablation.h"
#include "ce/core/circuits/specific_neurons.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/exemplars/exemplar_label.h"
#include "controllers/job_runner.h"
#include "controllers/model_controller.h"

namespace ce::ui {

namespace {
constexpr int kEdgeNeurons = 30;

ce::core::PromptFormat formatOf(const TraceSettings& s) {
  return s.chat ? ce::core::PromptFormat::Chat : ce::core::PromptFormat::Plain;
}

struct ScoreOutput {
  CircuitScore score;
  std::shared_ptr<const ce::core::CircuitEvaluator> evaluator;
};
}  // namespace

TraceController::TraceController(ModelController* models, QObject* parent)
    : QObject(parent), models_(models), score_(new JobRunner(this)), labels_(new JobRunner(this)) {
  connect(score_, &JobRunner::failed, this, [this](const QString&, const QString& message) {
    scoredKeep_.clear();  // the next edit tries again
    Q_EMIT scoreFailed(message);
  });
}

TraceController::~TraceController() {
  for (JobRunner* r : {score_, labels_}) r->cancel();
  for (JobRunner* r : {score_, labels_}) r->waitForIdle();
}

void TraceController::reset() {
  labels_->cancel();
  trace_ = TraceOutput();
}

void TraceController::requestAutoLabels() {
  auto model = models_->model();
  auto index = models_->index();
  if (!model || !index || trace_.nodes.empty() || trace_.basis != ce::core::Basis::MlpAct) return;
  std::set<NeuronId> neurons;
  for (const auto& n : trace_.nodes) neurons.insert({n.node.layer, n.node.index});
  const quint64 serial = traceSerial_;
  labels_->start<std::map<NeuronId, QString>>(
      tr("Labels from exemplars"),
      [model, index, neurons](const ce::core::JobControl& control) {
        std::map<NeuronId, QString> out;
        for (const auto& [layer, neuron] : neurons) {
          control.check();
          // A damaged record costs that neuron its label, never the rest (the inspector reports it).
          try {
            const std::string label = ce::core::exemplar_label(*model, *index, layer, neuron);
            if (!label.empty()) out[{layer, neuron}] = QString::fromStdString(label);
          } catch (const ce::core::Error&) {
          }
        }
        return out;
      },
      [this, serial](std::map<NeuronId, QString>& labels) {
        if (serial != traceSerial_) return;  // labels of an older trace's neurons
        trace_.autoLabels = std::move(labels);
        Q_EMIT autoLabelsReady();
      });
}

void TraceController::start(const TraceSettings& s, const QString& meanDataset) {
  auto model = models_->model();
  auto index = models_->index();
  const std::string dataset = meanDataset.toStdString();
  models_->heavyRunner()->start<TraceOutput>(
      tr("Tracing"),
      [model, index, s, dataset](const ce::core::JobControl& control) {
        TraceOutput out;
        const auto format = formatOf(s);
        std::string answer = s.answer.toStdString(), contrast = s.contrast.toStdString();
        if (answer.empty() || contrast.empty()) {
          // Empty fields default to what the model itself predicts: its top-1 and top-2 next tokens.
          const auto ids = ce::core::prompt_ids(model->tokenizer(), s.prompt.toStdString(), format);
          const auto top = model->top_k(model->next_logits(ids), 2);
          if (answer.empty() && !top.empty()) answer = top[0].text;
          if (contrast.empty() && top.size() > 1) contrast = top[answer == top[0].text ? 1 : 0].text;
          control.check();
        }
        out.answer = QString::fromStdString(answer);
        out.contrast = QString::fromStdString(contrast);
        out.metric = s.metric;
        const auto ex = ce::core::make_example(model->tokenizer(), s.prompt.toStdString(), answer, contrast,
                                               s.patch.toStdString(), format);
        out.ids = ex.clean;
        for (int id : ex.clean) out.tokens << QString::fromStdString(model->token_text(id));
        ce::core::AttributionOptions options;
        options.method = s.method;
        options.basis = s.basis;
        options.metric = s.metric;
        if (s.basis == ce::core::Basis::Features) {
          out.dictionaries = ce::core::DictionarySet::load(s.dictionaries.toStdString(), model->config());
          options.dictionaries = out.dictionaries;
          out.featureIndex = ce::core::find_exemplar_index(*model, s.basis, nullptr, out.dictionaries.get());
        }
        const bool edges = s.edges && (s.basis == ce::core::Basis::MlpAct || s.basis == ce::core::Basis::Features);
        const auto result =
            ce::core::attribute(*model, {ex}, options, edges ? control.sub(0, 0.35) : control.sub(0, 0.9));
        out.basis = s.basis;
        out.layers = result.layers;
        out.m = result.m;
        out.nodes = ce::core::top_nodes(result, s.topK);
        out.positions = result.positions;
        out.width = result.width;
        out.activation = result.activation;
        out.effect = result.effect;
        if (edges) {
          ce::core::EdgeOptions eo;
          eo.top_nodes = std::min(kEdgeNeurons, s.topK);
          eo.metric = s.metric;
          eo.basis = s.basis;
          eo.dictionaries = out.dictionaries;
          auto er = ce::core::compute_edges(*model, ex, eo, control.sub(0.35, 0.9));
          out.edges = std::move(er.edges);
          out.edgeNodes = std::move(er.nodes);
        }
        if (index && s.basis == ce::core::Basis::MlpAct)
          out.firstExemplars = firstExemplarTexts(*model, *index, out.nodes, control);
        std::vector<ce::core::NodeRef> refs;
        for (const auto& n : out.nodes) refs.push_back(n.node);
        const auto means = ce::core::prompt_mean_ablation(*model, ex.clean.size(), s.basis, dataset, refs,
                                                          control.sub(0.9, 0.95), out.dictionaries);
        for (size_t i = 0; i < means.values.size(); ++i) {
          // An error node's value is the mean error's norm, not something to set it to.
          if (out.dictionaries && refs[i].index == out.dictionaries->error_index()) continue;
          out.meanValues[NodeKey{s.basis, refs[i]}] = means.values[i];
        }
        out.meanSource = QString::fromStdString(means.source);
        out.example = ex;
        out.prompt = s.prompt;
        return out;
      },
      [this](TraceOutput& out) {
        trace_ = std::move(out);
        ++traceSerial_;
        Q_EMIT traced();
      });
}

void TraceController::findSpecificGroups(const TraceSettings& s, const QString& otherPrompt) {
  auto model = models_->model();
  const std::string other = otherPrompt.toStdString();
  models_->heavyRunner()->start<SpecificGroups>(
      tr("Tracing both prompts"),
      [model, s, other](const ce::core::JobControl& control) {
        // Each prompt alone (zero baseline) for its own answer against the other's: steering by neuron
        // needs no equal lengths, unlike paired attribution (Dallas vs Los Angeles).
        const auto mine =
            ce::core::make_example(model->tokenizer(), s.prompt.toStdString(), s.answer.toStdString(),
                                   s.contrast.toStdString(), {}, formatOf(s));
        const auto theirs = ce::core::make_example(model->tokenizer(), other, s.contrast.toStdString(),
                                                   s.answer.toStdString(), {}, formatOf(s));
        ce::core::AttributionOptions options;
        options.method = s.method == ce::core::Method::Exact ? ce::core::Method::RelP : s.method;
        const ce::core::SpecificNeurons sn =
            ce::core::specific_neurons(*model, mine, theirs, kSpecificTop, options, control);
        auto keys = [](const std::vector<std::pair<int, int>>& neurons) {
          std::vector<NodeKey> v;
          for (const auto& [l, i] : neurons) {
            NodeKey k;
            k.node.layer = l;
            k.node.index = i;
            k.node.pos = -1;  // every position: the other prompt's tokens sit elsewhere
            v.push_back(k);
          }
          return v;
        };
        SpecificGroups out;
        out.answer = s.answer.trimmed();
        out.contrast = s.contrast.trimmed();
        out.mine = keys(sn.mine);
        out.theirs = keys(sn.theirs);
        return out;
      },
      [this](SpecificGroups& g) { Q_EMIT specificGroupsFound(g); });
}

std::vector<ce::core::NodeEffect> TraceController::shownNodes(double threshold,
                                                              const std::set<NodeKey>& pinned) const {
  std::vector<ce::core::NodeEffect> out;
  for (const auto& n : trace_.nodes) {
    if (std::abs(static_cast<double>(n.effect)) >= threshold || pinned.count(NodeKey{trace_.basis, n.node}))
      out.push_back(n);
  }
  return out;
}

CircuitMask TraceController::circuit(double threshold, const InterventionState& state) const {
  const size_t T = static_cast<size_t>(trace_.positions), W = static_cast<size_t>(trace_.width);
  CircuitMask mask;
  mask.keep.assign(static_cast<size_t>(trace_.layers) * T * W, false);
  for (const auto& n : shownNodes(threshold, state.pins())) {
    if (state.displayFactor(NodeKey{trace_.basis, n.node}) == 0.0) continue;
    mask.keep[ce::core::dense_offset(n.node, T, W)] = true;
    ++mask.kept;
  }
  return mask;
}

bool TraceController::score(const CircuitMask& mask) {
  if (!models_->model() || trace_.nodes.empty() || trace_.example.clean.empty()) return false;
  // Steering by a factor other than 0 leaves the circuit as it is: no new score.
  if (scoredSerial_ == traceSerial_ && mask.keep == scoredKeep_) return true;
  scoredSerial_ = traceSerial_;
  scoredKeep_ = mask.keep;
  auto model = models_->model();
  auto evaluator = trace_.promptEvaluator;
  const auto example = trace_.example;
  const auto basis = trace_.basis;
  const auto dictionaries = trace_.dictionaries;
  const quint64 serial = traceSerial_;
  const auto keep = mask.keep;
  const int kept = mask.kept;
  // The paper's per-prompt faithfulness: everything outside the circuit takes its activation on the patch
  // prompt (the evaluator's mean over one prompt), or zero where there is no patch prompt.
  const bool patched = !example.patch.empty();
  const QString source = patched ? tr("the rest patched from the patch prompt") : tr("the rest zero-ablated");
  score_->start<ScoreOutput>(
      tr("Circuit score"),
      [model, evaluator, example, basis, dictionaries, patched, keep, kept](const ce::core::JobControl& control) {
        ScoreOutput out;
        out.evaluator = evaluator;
        if (!out.evaluator) {
          // The evaluator refers to the model's engine: its deleter holds the model until it is gone.
          out.evaluator = std::shared_ptr<const ce::core::CircuitEvaluator>(
              new ce::core::CircuitEvaluator(*model, {example}, basis, dictionaries,
                                             patched ? ce::core::Ablation::Mean : ce::core::Ablation::Zero,
                                             control),
              [model](const ce::core::CircuitEvaluator* e) { delete e; });
        }
        out.score.nodes = kept;
        const double full = out.evaluator->m_full(), empty = out.evaluator->m_empty();
        if (std::abs(full - empty) < 1e-9)
          throw ce::core::Error(
              "ablating every node leaves the metric unchanged, so faithfulness is undefined");
        const ce::core::CurvePoint p = out.evaluator->score(keep, control);
        out.score.faithfulness = p.faithfulness;
        out.score.completeness = p.completeness;
        return out;
      },
      [this, source, serial](ScoreOutput& out) {
        if (serial == traceSerial_) trace_.promptEvaluator = out.evaluator;
        lastScore_ = out.score;
        Q_EMIT scored(tr("On this prompt, the %1 nodes shown and not ablated: faithfulness %2, "
                         "completeness %3 (%4)")
                          .arg(out.score.nodes)
                          .arg(out.score.faithfulness, 0, 'f', 3)
                          .arg(out.score.completeness, 0, 'f', 3)
                          .arg(source));
      });
  return true;
}

}  // namespace ce::ui
