#include "prompt_sets/prompt_set_controller.h"

#include "ce/core/base/error.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/prompt_sets/prompt_set.h"
#include "controllers/job_runner.h"

namespace ce::ui {

namespace {

using TracePtr = std::shared_ptr<const ce::core::SetTrace>;

// The set a trace was made from, rebuilt from the trace itself: a profiles file carries the prompts and
// their labels, so a sweep needs no data file besides it.
ce::core::PromptSet promptSetOf(const ce::core::SetTrace& t) {
  ce::core::PromptSet set;
  set.path = t.source;
  set.columns = t.columns;
  for (const auto& p : t.prompts) set.prompts.push_back(p.text);
  return set;
}

// The index that labels a trace's groups: the model's neuron index, or for a feature trace its set's own.
std::shared_ptr<const ce::core::ExemplarIndex> labelIndex(const ce::core::SetTrace& t, const ce::core::Model& model,
                                                          std::shared_ptr<const ce::core::ExemplarIndex> neurons) {
  if (t.options.basis != ce::core::Basis::Features) return neurons;
  return ce::core::find_exemplar_index(model, ce::core::Basis::Features, nullptr, t.options.dictionaries.get());
}

struct SplitOutput {
  std::vector<int> members;
  std::vector<ce::core::NeuronGroup> parts;
};

}  // namespace

PromptSetController::PromptSetController(QObject* parent)
    : QObject(parent), traceLane_(new JobRunner(this)), analysis_(new JobRunner(this)), sweep_(new JobRunner(this)) {
  for (JobRunner* r : runners()) {
    connect(r, &JobRunner::failed, this,
            [this](const QString& name, const QString& message) { Q_EMIT failed(tr("%1: %2").arg(name, message)); });
  }
}

PromptSetController::~PromptSetController() {
  cancelAll();
  for (JobRunner* r : runners()) r->waitForIdle();
}

void PromptSetController::cancelAll() {
  for (JobRunner* r : runners()) r->cancel();
}

void PromptSetController::setModel(std::shared_ptr<const ce::core::Model> model,
                                   std::shared_ptr<const ce::core::ExemplarIndex> index) {
  cancelAll();
  model_ = std::move(model);
  index_ = std::move(index);
  clearTrace();
}

void PromptSetController::clearTrace() {
  trace_.reset();
  ++serial_;
}

void PromptSetController::acceptTrace(TracePtr trace, bool opened) {
  // Analyses and sweeps of the previous trace answer a question about other neurons.
  analysis_->cancel();
  sweep_->cancel();
  trace_ = std::move(trace);
  ++serial_;
  Q_EMIT traced(opened);
}

void PromptSetController::traceSet(const QString& data, const ce::core::SetTraceOptions& options,
                                   const QString& dictionaries) {
  if (!model_) return;
  auto model = model_;
  const std::string path = data.toStdString(), folder = dictionaries.toStdString();
  traceLane_->start<TracePtr>(
      tr("Tracing the prompt set"),
      [model, path, folder, options](const ce::core::JobControl& control) -> TracePtr {
        ce::core::SetTraceOptions o = options;
        if (!folder.empty()) {
          o.basis = ce::core::Basis::Features;
          o.dictionaries = ce::core::DictionarySet::load(folder, model->config());
        }
        const ce::core::PromptSet set = ce::core::load_prompt_set(path);
        control.check();
        return std::make_shared<const ce::core::SetTrace>(ce::core::trace_set(*model, set, o, control));
      },
      [this](TracePtr& t) { acceptTrace(std::move(t), false); });
}

void PromptSetController::openProfiles(const QString& path) {
  if (!model_) return;
  auto model = model_;
  const std::string file = path.toStdString();
  traceLane_->start<TracePtr>(
      tr("Opening profiles"),
      [model, file](const ce::core::JobControl& control) -> TracePtr {
        control.report(0, "reading " + file);
        auto t = std::make_shared<ce::core::SetTrace>(ce::core::load_set_trace(file));
        t->options.dictionaries = ce::core::check_traced_on(*t, *model, file);
        return t;
      },
      [this](TracePtr& t) { acceptTrace(std::move(t), true); });
}

void PromptSetController::saveProfiles(const QString& path) {
  if (!trace_) {
    Q_EMIT failed(tr("Save profiles: trace a prompt set first"));
    return;
  }
  auto trace = trace_;
  const std::string file = path.toStdString();
  // On the trace lane: a profiles file of 200 prompts holds every kept neuron's activations, megabytes of text.
  traceLane_->start<QString>(
      tr("Saving profiles"),
      [trace, file](const ce::core::JobControl&) {
        ce::core::save_set_trace(*trace, file);
        return QString::fromStdString(file);
      },
      [this](QString& saved) { Q_EMIT profilesSaved(saved); });
}

void PromptSetController::suggestGroups(ce::core::ClusterOn on, int groups, double distance) {
  if (!trace_ || !model_) return;
  auto trace = trace_;
  auto model = model_;
  auto index = index_;
  const quint64 serial = serial_;
  analysis_->start<std::vector<ce::core::NeuronGroup>>(
      tr("Suggesting groups"),
      [trace, model, index, on, groups, distance](const ce::core::JobControl& control) {
        auto out = ce::core::cluster_neurons(*trace, on, groups, distance);
        control.check();
        control.report(0.5, "labelling");
        ce::core::label_groups(out, *trace, *model, labelIndex(*trace, *model, index).get());
        return out;
      },
      [this, serial](std::vector<ce::core::NeuronGroup>& out) {
        if (serial == serial_) Q_EMIT groupsSuggested(out);
      });
}

void PromptSetController::splitGroup(const QString& label, const std::vector<int>& members,
                                     ce::core::ClusterOn on) {
  if (!trace_ || !model_) return;
  auto trace = trace_;
  auto model = model_;
  auto index = index_;
  const quint64 serial = serial_;
  ce::core::NeuronGroup group;
  group.label = label.toStdString();
  group.members = members;
  analysis_->start<SplitOutput>(
      tr("Splitting %1").arg(label),
      [trace, model, index, group, on](const ce::core::JobControl&) {
        SplitOutput out;
        out.members = group.members;
        out.parts = ce::core::split_group(*trace, group, on);
        ce::core::label_groups(out.parts, *trace, *model, labelIndex(*trace, *model, index).get());
        return out;
      },
      [this, serial](SplitOutput& out) {
        if (serial == serial_) Q_EMIT groupSplit(out.members, out.parts);
      });
}

void PromptSetController::scoreHypothesis(const QString& column, const QString& value, const QString& position) {
  if (!trace_) return;
  auto trace = trace_;
  const quint64 serial = serial_;
  HypothesisResult request;
  request.column = column;
  request.value = value;
  request.position = position;
  analysis_->start<HypothesisResult>(
      tr("Scoring %1 = %2").arg(column, value),
      [trace, request](const ce::core::JobControl&) {
        HypothesisResult out = request;
        const auto pick = ce::core::ActivationPick::parse(request.position.toStdString());
        out.scores = ce::core::hypothesis_scores(*trace, request.column.toStdString(), request.value.toStdString(),
                                                 pick);
        return out;
      },
      [this, serial](HypothesisResult& out) {
        if (serial == serial_) Q_EMIT hypothesisScored(out);
      });
}

void PromptSetController::runSweep(const QString& group, const std::vector<std::pair<int, int>>& neurons,
                                   ce::core::SweepOptions options, bool complement) {
  if (!trace_ || !model_) return;
  auto trace = trace_;
  auto model = model_;
  const quint64 serial = serial_;
  options.format = trace->options.format;
  options.basis = trace->options.basis;
  options.dictionaries = trace->options.dictionaries;
  sweep_->start<SweepOutput>(
      tr("Sweeping %1").arg(group),
      [trace, model, neurons, options, group, complement](const ce::core::JobControl& control) {
        SweepOutput out;
        out.group = group;
        out.complement = complement;
        out.result = ce::core::sweep(*model, promptSetOf(*trace), neurons, options, control);
        return out;
      },
      [this, serial](SweepOutput& out) {
        if (serial == serial_) Q_EMIT swept(out);
      });
}

}  // namespace ce::ui
