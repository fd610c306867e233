#include "prompt_sets/prompt_set_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include "ce/core/base/resources.h"
#include "controllers/job_runner.h"
#include "prompt_sets/groups_panel.h"
#include "prompt_sets/hypothesis_panel.h"
#include "prompt_sets/prompt_set_controller.h"
#include "prompt_sets/set_graph_view.h"
#include "prompt_sets/set_groups.h"
#include "prompt_sets/sweep_panel.h"

namespace ce::ui {

namespace {
QString shippedCapitals() {
  try {
    return QDir(QString::fromStdString(ce::core::default_datasets_dir())).filePath(QStringLiteral("capitals.jsonl"));
  } catch (const std::exception&) {
    return {};  // no resources folder: the user picks a file
  }
}

bool samePath(const QString& a, const QString& b) {
  return !a.isEmpty() && !b.isEmpty() && QFileInfo(a).absoluteFilePath() == QFileInfo(b).absoluteFilePath();
}
}  // namespace

PromptSetView::PromptSetView(QWidget* parent)
    : QWidget(parent),
      controller_(new PromptSetController(this)),
      groups_(new SetGroups(this)),
      data_(new QLineEdit(this)),
      target_(new QComboBox(this)),
      baseline_(new QComboBox(this)),
      basis_(new QComboBox(this)),
      keep_(new QDoubleSpinBox(this)),
      chat_(new QCheckBox(tr("Chat template"), this)),
      traceButton_(new QPushButton(tr("Trace Set"), this)),
      openButton_(new QPushButton(tr("Open Profiles…"), this)),
      saveButton_(new QPushButton(tr("Save Profiles…"), this)),
      cancel_(new QPushButton(tr("Cancel"), this)),
      progress_(new QProgressBar(this)),
      summary_(new QLabel(this)),
      graph_(new SetGraphView(this)),
      groupsPanel_(new GroupsPanel(groups_, this)),
      hypothesis_(new HypothesisPanel(this)),
      sweep_(new SweepPanel(this)),
      tabs_(new QTabWidget(this)) {
  auto* left = new QWidget(this);
  auto* leftLayout = new QVBoxLayout(left);
  leftLayout->setContentsMargins(0, 0, 0, 0);
  leftLayout->addWidget(buildInputs());
  tabs_->addTab(groupsPanel_, tr("Groups"));
  tabs_->addTab(hypothesis_, tr("Hypothesis"));
  leftLayout->addWidget(tabs_, 1);

  auto* right = new QSplitter(Qt::Vertical, this);
  right->addWidget(graph_);
  right->addWidget(sweep_);
  right->setStretchFactor(0, 3);
  right->setStretchFactor(1, 2);
  right->setSizes({430, 420});
  // Scrolled, so that the inputs and lists never widen the main window beyond what the circuit tab needs.
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(left);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setMinimumWidth(160);
  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(scroll);
  split->addWidget(right);
  split->setStretchFactor(0, 0);
  split->setStretchFactor(1, 1);
  split->setSizes({400, 900});
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(split);
  wire();
}

PromptSetView::~PromptSetView() {
  // The lanes' results refer to the panels: stop them first.
  controller_->cancelAll();
  for (JobRunner* r : controller_->runners()) r->waitForIdle();
}

QWidget* PromptSetView::buildInputs() {
  auto* box = new QGroupBox(tr("Prompt set"), this);
  // Empty means the shipped set: no build path in the field, the screenshots or the sessions.
  data_->setPlaceholderText(tr("capitals.jsonl (shipped)"));
  data_->setToolTip(tr("JSON Lines: \"prompt\", \"answer\" and label columns (state, capital, city, ...)"));
  auto* browse = new QToolButton(box);
  browse->setText(QStringLiteral("…"));
  browse->setToolTip(tr("Choose a prompt set"));
  connect(browse, &QToolButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Prompt Set"), QFileInfo(dataPath()).absolutePath(),
                                                      tr("Prompt sets (*.jsonl *.json);;All files (*)"));
    if (!path.isEmpty()) data_->setText(path);
  });
  auto* dataRow = new QHBoxLayout();
  dataRow->addWidget(data_, 1);
  dataRow->addWidget(browse);
  for (auto m : {ce::core::Metric::TopK, ce::core::Metric::Logit, ce::core::Metric::Diff})
    target_->addItem(QString::fromLatin1(ce::core::metric_name(m)), static_cast<int>(m));
  target_->setToolTip(tr("topk: the sum of the model's own top-5 logits (the paper's case studies); logit: "
                         "logit(answer); diff: logit(answer) − logit(contrast)"));
  for (auto b : {ce::core::SetBaseline::Zero, ce::core::SetBaseline::Patch})
    baseline_->addItem(QString::fromLatin1(ce::core::set_baseline_name(b)), static_cast<int>(b));
  baseline_->setToolTip(tr("zero: gradient × activation; patch: each line's patch prompt"));
  keep_->setRange(0.0001, 1.0);
  keep_->setDecimals(4);
  keep_->setSingleStep(0.001);
  keep_->setValue(0.005);
  keep_->setToolTip(tr("Keep a neuron when its |effect| reaches this fraction of the prompt's target on at "
                       "least one prompt"));
  auto* how = new QHBoxLayout();
  how->addWidget(new QLabel(tr("Target:"), box));
  how->addWidget(target_);
  how->addWidget(new QLabel(tr("Baseline:"), box));
  how->addWidget(baseline_);
  how->addStretch(1);
  chat_->setToolTip(tr("Each prompt as one user message of the model's chat format (instruct models)"));
  basis_->addItem(tr("MLP neurons"), QString());
  basis_->setToolTip(tr("Trace MLP neurons, or the features (and error nodes) of a dictionary set: shipped beside "
                        "the model, or opened with File › Open Dictionaries…"));
  auto* basisRow = new QHBoxLayout();
  basisRow->addWidget(new QLabel(tr("Basis:"), box));
  basisRow->addWidget(basis_, 1);
  auto* keep = new QHBoxLayout();
  keep->addWidget(new QLabel(tr("Keep:"), box));
  keep->addWidget(keep_);
  keep->addWidget(chat_);
  keep->addStretch(1);
  auto* buttons = new QHBoxLayout();
  buttons->addWidget(traceButton_);
  buttons->addWidget(openButton_);
  buttons->addWidget(saveButton_);
  buttons->addStretch(1);
  auto* jobs = new QHBoxLayout();
  jobs->addWidget(progress_, 1);
  jobs->addWidget(cancel_);
  progress_->setRange(0, 1000);
  progress_->setTextVisible(true);
  progress_->hide();
  cancel_->hide();
  cancel_->setToolTip(tr("Stop the prompt set's running jobs"));
  traceButton_->setToolTip(tr("Attribute every prompt of the set and aggregate the neurons' profiles"));
  saveButton_->setEnabled(false);
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  summary_->setText(tr("Trace a set: every prompt attributed (RelP), the neurons that matter on any prompt kept."));
  auto* form = new QVBoxLayout(box);
  form->addLayout(dataRow);
  form->addLayout(how);
  form->addLayout(basisRow);
  form->addLayout(keep);
  form->addLayout(buttons);
  form->addLayout(jobs);
  form->addWidget(summary_);
  return box;
}

void PromptSetView::wire() {
  connect(traceButton_, &QPushButton::clicked, this, &PromptSetView::traceSet);
  connect(cancel_, &QPushButton::clicked, this, &PromptSetView::cancel);
  connect(openButton_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Profiles"), QString(),
                                                      tr("Profiles (*.json);;All files (*)"));
    if (!path.isEmpty()) openProfiles(path);
  });
  connect(saveButton_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save Profiles"), QStringLiteral("profiles.json"),
                                                      tr("Profiles (*.json)"));
    if (!path.isEmpty()) saveProfiles(path);
  });
  // One progress bar for the three lanes: the latest job to report is the one shown.
  for (JobRunner* r : controller_->runners()) {
    connect(r, &JobRunner::started, this, [this](const QString& name) {
      progress_->setValue(0);
      progress_->setFormat(name + QStringLiteral(" %p%"));
      progress_->show();
      cancel_->show();
    });
    connect(r, &JobRunner::progressChanged, this, [this, r](double f, const QString&) {
      progress_->setFormat(r->currentName() + QLatin1Char(' ') + r->progressFormat(f));
      progress_->setValue(static_cast<int>(f * 1000));
    });
    connect(r, &JobRunner::idle, this, [this] {
      if (isBusy()) return;
      progress_->hide();
      cancel_->hide();
    });
    connect(r, &JobRunner::cancelled, this, [this](const QString& name) {
      summary_->setText(tr("%1: cancelled").arg(name));
      restoring_ = false;
    });
  }
  connect(controller_, &PromptSetController::failed, this, &PromptSetView::showError);
  connect(controller_, &PromptSetController::traced, this, &PromptSetView::onTraced);
  connect(controller_, &PromptSetController::profilesSaved, this, [this](const QString& path) {
    profilesPath_ = path;
    summary_->setText(tr("Saved the profiles to %1").arg(path));
    markEdited();
    Q_EMIT profilesSaved(path);
  });
  connect(controller_, &PromptSetController::groupsSuggested, this,
          [this](const std::vector<ce::core::NeuronGroup>& g) { groups_->setGroups(g); });
  connect(controller_, &PromptSetController::groupSplit, this,
          [this](const std::vector<int>& members, const std::vector<ce::core::NeuronGroup>& parts) {
            if (!groups_->replace(members, parts)) showError(tr("Split: the group changed while it was split"));
          });
  connect(controller_, &PromptSetController::hypothesisScored, hypothesis_, &HypothesisPanel::showResult);
  connect(controller_, &PromptSetController::swept, sweep_, &SweepPanel::showResult);

  connect(groups_, &SetGroups::changed, this, [this] {
    graph_->showSet(groups_->trace(), groups_->groups());
    sweep_->setGroups(groups_->groups());
    markEdited();
  });
  connect(groupsPanel_, &GroupsPanel::suggestRequested, this,
          [this](ce::core::ClusterOn on, int count, double distance) { controller_->suggestGroups(on, count, distance); });
  connect(groupsPanel_, &GroupsPanel::splitRequested, this, [this](int row) {
    const SetGroup& g = groups_->groups()[static_cast<size_t>(row)];
    controller_->splitGroup(g.label, g.members, groupsPanel_->clusterOn());
  });
  connect(groupsPanel_, &GroupsPanel::sweepRequested, this, [this](int row) {
    sweep_->selectGroup(row);
    runSweep(row);
  });
  connect(groupsPanel_, &GroupsPanel::rowsSelected, this, [this](const std::vector<int>& rows) {
    std::vector<int> neurons;
    for (int r : rows) {
      const auto& m = groups_->groups()[static_cast<size_t>(r)].members;
      neurons.insert(neurons.end(), m.begin(), m.end());
    }
    graph_->selectNeurons(neurons);
    if (rows.size() == 1) sweep_->selectGroup(rows.front());
  });
  connect(graph_, &SetGraphView::groupRequested, this, [this](const std::vector<int>& neurons) {
    groups_->add(tr("group %1").arg(groups_->size() + 1), neurons);
  });
  connect(hypothesis_, &HypothesisPanel::scoreRequested, controller_, &PromptSetController::scoreHypothesis);
  connect(hypothesis_, &HypothesisPanel::makeGroupRequested, this,
          [this](const QString& label, const std::vector<int>& neurons) {
            const int row = groups_->add(label, neurons);
            if (row >= 0) {
              tabs_->setCurrentWidget(groupsPanel_);
              groupsPanel_->selectRows({row});
            }
          });
  connect(hypothesis_, &HypothesisPanel::settingsEdited, this, &PromptSetView::markEdited);
  connect(hypothesis_, &HypothesisPanel::neuronsSelected, graph_, &SetGraphView::selectNeurons);
  connect(sweep_, &SweepPanel::runRequested, this, &PromptSetView::runSweep);
  connect(sweep_, &SweepPanel::errorOccurred, this, &PromptSetView::showError);
  connect(sweep_, &SweepPanel::settingsEdited, this, &PromptSetView::markEdited);
  connect(target_, qOverload<int>(&QComboBox::currentIndexChanged), this, &PromptSetView::markEdited);
  connect(baseline_, qOverload<int>(&QComboBox::currentIndexChanged), this, &PromptSetView::markEdited);
  connect(basis_, qOverload<int>(&QComboBox::currentIndexChanged), this, &PromptSetView::markEdited);
  connect(keep_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, &PromptSetView::markEdited);
  connect(chat_, &QCheckBox::toggled, this, &PromptSetView::markEdited);
  connect(data_, &QLineEdit::textEdited, this, &PromptSetView::markEdited);
}

void PromptSetView::markEdited() {
  if (!restoring_) Q_EMIT edited();
}

void PromptSetView::showError(const QString& message) {
  restoring_ = false;
  summary_->setText(message);
  Q_EMIT errorOccurred(message);
}

void PromptSetView::setModel(std::shared_ptr<const ce::core::Model> model,
                             std::shared_ptr<const ce::core::ExemplarIndex> index) {
  controller_->setModel(std::move(model), std::move(index));
  groups_->setTrace(nullptr);
  hypothesis_->setTrace(nullptr);
  sweep_->clearResult();
  profilesPath_.clear();
  saveButton_->setEnabled(false);
}

void PromptSetView::setIndex(std::shared_ptr<const ce::core::ExemplarIndex> index) {
  controller_->setIndex(std::move(index));
}

void PromptSetView::setChatTemplateAvailable(bool available) {
  const QSignalBlocker block(chat_);
  chat_->setChecked(available);
}

void PromptSetView::setDictionarySets(const QStringList& folders) {
  const QSignalBlocker block(basis_);
  const QString current = dictionaries();
  while (basis_->count() > 1) basis_->removeItem(1);
  for (const QString& f : folders) {
    basis_->addItem(tr("Features: %1").arg(QFileInfo(f).fileName()), f);
    basis_->setItemData(basis_->count() - 1, f, Qt::ToolTipRole);
  }
  basis_->setCurrentIndex(std::max(0, basis_->findData(current)));
}

QString PromptSetView::dictionaries() const { return basis_->currentData().toString(); }

QString PromptSetView::dataPath() const {
  const QString text = data_->text().trimmed();
  return text.isEmpty() ? shippedCapitals() : text;
}

ce::core::SetTraceOptions PromptSetView::options() const {
  ce::core::SetTraceOptions o;
  o.target = static_cast<ce::core::Metric>(target_->currentData().toInt());
  o.baseline = static_cast<ce::core::SetBaseline>(baseline_->currentData().toInt());
  o.keep = keep_->value();
  o.format = chat_->isChecked() ? ce::core::PromptFormat::Chat : ce::core::PromptFormat::Plain;
  return o;
}

std::shared_ptr<const ce::core::SetTrace> PromptSetView::trace() const { return controller_->trace(); }

bool PromptSetView::isBusy() const {
  for (JobRunner* r : controller_->runners()) {
    if (r->isBusy()) return true;
  }
  return false;
}

void PromptSetView::traceSet() {
  if (!controller_->hasModel()) {
    showError(tr("No model is loaded yet"));
    return;
  }
  summary_->setText(tr("Tracing %1…").arg(QFileInfo(dataPath()).fileName()));
  controller_->traceSet(dataPath(), options(), dictionaries());
}

void PromptSetView::openProfiles(const QString& path) {
  if (!controller_->hasModel()) {
    showError(tr("No model is loaded yet"));
    return;
  }
  profilesPath_ = path;
  controller_->openProfiles(path);
}

void PromptSetView::saveProfiles(const QString& path) { controller_->saveProfiles(path); }

void PromptSetView::cancel() { controller_->cancelAll(); }

void PromptSetView::runSweep(int row) {
  if (row < 0 || row >= groups_->size()) return;
  ce::core::SweepOptions o;
  try {
    o.multipliers = sweep_->multipliers();
    o.columns = sweep_->classes();
  } catch (const std::exception& e) {
    showError(tr("Sweep: %1").arg(QString::fromStdString(e.what())));
    return;
  }
  const bool complement = sweep_->complementBox()->isChecked();
  if (complement) o.ablate = groups_->complementOf(row);
  controller_->runSweep(groups_->groups()[static_cast<size_t>(row)].label, groups_->neuronsOf(row), o, complement);
}

void PromptSetView::onTraced(bool opened) {
  const auto t = controller_->trace();
  if (!opened) profilesPath_.clear();
  sweep_->clearResult();
  hypothesis_->setTrace(t);
  groups_->setTrace(t);
  int dropped = 0;
  if (!pendingGroups_.empty()) {
    dropped = groups_->fromSettings(pendingGroups_);
    pendingGroups_.clear();
  }
  saveButton_->setEnabled(t != nullptr);
  if (t) {
    const bool features = t->options.basis == ce::core::Basis::Features;
    const QString kept = features ? tr("kept features of %1").arg(QFileInfo(QString::fromStdString(t->dictionaries)).fileName())
                                  : tr("kept neurons");
    QString text = tr("%1: %2 prompts, %3 %4, %5 edges (%6, %7 baseline, keep %8)")
                       .arg(QFileInfo(QString::fromStdString(t->source)).fileName())
                       .arg(static_cast<int>(t->prompts.size()))
                       .arg(static_cast<int>(t->neurons.size()))
                       .arg(kept)
                       .arg(static_cast<int>(t->edges.size()))
                       .arg(QString::fromLatin1(ce::core::metric_name(t->options.target)),
                            QString::fromLatin1(ce::core::set_baseline_name(t->options.baseline)))
                       .arg(t->options.keep);
    if (opened) text += tr("; opened from %1").arg(QFileInfo(profilesPath_).fileName());
    if (dropped > 0) text += tr("; %n saved group member(s) not kept by this trace were dropped", nullptr, dropped);
    summary_->setText(text);
  }
  markEdited();
  restoring_ = false;
  Q_EMIT traced();
}

PromptSetSettings PromptSetView::settings() const {
  PromptSetSettings s;
  s.data = samePath(dataPath(), shippedCapitals()) ? QString() : dataPath();
  s.profiles = profilesPath_;
  s.target = static_cast<ce::core::Metric>(target_->currentData().toInt());
  s.baseline = baseline_->currentText();
  s.keep = keep_->value();
  s.chat = chat_->isChecked();
  s.dictionaries = dictionaries();
  s.traced = controller_->trace() != nullptr || restoring_;
  s.groups = controller_->trace() ? groups_->toSettings() : pendingGroups_;
  s.column = hypothesis_->column();
  s.value = hypothesis_->value();
  s.position = hypothesis_->position().isEmpty() ? QStringLiteral("max") : hypothesis_->position();
  s.threshold = hypothesis_->thresholdBox()->value();
  s.sweepGroup = sweep_->groupLabel();
  try {
    s.multipliers = sweep_->multipliers();
  } catch (const std::exception&) {
    // An unparsable field keeps the defaults: the session must still save.
  }
  try {
    s.classes.clear();
    for (const auto& c : sweep_->classes()) s.classes << QString::fromStdString(c);
  } catch (const std::exception&) {
    s.classes = PromptSetSettings().classes;
  }
  s.complement = sweep_->complementBox()->isChecked();
  s.top1 = sweep_->top1Box()->isChecked();
  return s;
}

void PromptSetView::applySettings(const PromptSetSettings& s) {
  restoring_ = true;
  controller_->cancelAll();
  controller_->clearTrace();
  pendingGroups_.clear();
  groups_->setTrace(nullptr);
  hypothesis_->setTrace(nullptr);
  sweep_->clearResult();
  saveButton_->setEnabled(false);
  data_->setText(s.data);
  target_->setCurrentIndex(std::max(0, target_->findData(static_cast<int>(s.target))));
  baseline_->setCurrentIndex(std::max(0, baseline_->findText(s.baseline)));
  keep_->setValue(s.keep);
  chat_->setChecked(s.chat);
  if (!s.dictionaries.isEmpty() && basis_->findData(s.dictionaries) < 0) {
    basis_->addItem(tr("Features: %1").arg(QFileInfo(s.dictionaries).fileName()), s.dictionaries);
  }
  basis_->setCurrentIndex(std::max(0, basis_->findData(s.dictionaries)));
  hypothesis_->setChoice(s.column, s.value, s.position, s.threshold);
  sweep_->setWantedGroup(s.sweepGroup);
  sweep_->setMultipliers(s.multipliers);
  sweep_->setClasses(s.classes);
  sweep_->complementBox()->setChecked(s.complement);
  sweep_->top1Box()->setChecked(s.top1);
  pendingGroups_ = s.groups;
  profilesPath_ = s.profiles;
  if (!s.profiles.isEmpty()) {
    openProfiles(s.profiles);
  } else if (s.traced) {
    traceSet();
  } else {
    restoring_ = false;
  }
}

}  // namespace ce::ui
