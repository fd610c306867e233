#include "window/main_window.h"

#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <algorithm>
#include <cmath>

#include "ce/core/dictionaries/dictionary_set.h"
#include "controllers/job_runner.h"
#include "graph/circuit_graph_view.h"
#include "graph/node_item.h"
#include "panels/curves_view.h"
#include "panels/find_bar.h"
#include "panels/neuron_inspector.h"
#include "panels/prompt_panel.h"
#include "panels/stale_banner.h"
#include "panels/steering_panel.h"
#include "panels/token_chart.h"
#include "prompt_sets/prompt_set_view.h"
#include "state/circuit_history.h"
#include "state/session.h"

namespace ce::ui {

namespace {
// The dictionary sets shipped beside a model: the folders under <model>/dictionaries/, by name.
QStringList shippedDictionarySets(const QString& modelDir) {
  QStringList out;
  const QDir dir(modelDir + QStringLiteral("/dictionaries"));
  for (const QString& name : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) out << dir.filePath(name);
  return out;
}

// A dock's panel scrolls up and down when the dock is short, never sideways: the dock is as wide as the panel
// needs (the panels are laid out to fit ~330 px), only its height may shrink below the panel's.
class DockScroll : public QScrollArea {
 public:
  using QScrollArea::QScrollArea;
  QSize minimumSizeHint() const override {
    const int panel = widget() ? widget()->minimumSizeHint().width() : 0;
    return {std::max(panel + verticalScrollBar()->sizeHint().width() + 2 * frameWidth(), MainWindow::kMinDockWidth),
            80};
  }
  // Equal heights for docks that share a column: a chart's own hint (its scene) would starve the dock under it.
  QSize sizeHint() const override { return {std::max(minimumSizeHint().width(), 340), 300}; }
};

ce::core::PromptFormat formatOf(const TraceSettings& s) {
  return s.chat ? ce::core::PromptFormat::Chat : ce::core::PromptFormat::Plain;
}

QString indexStatusText(const ce::core::ExemplarIndex* index) {
  if (!index) return QObject::tr("No exemplar index for this model (File \u203a Open Exemplar Index\u2026).");
  return QObject::tr("Exemplars from %1 (%2 corpus tokens).")
      .arg(QFileInfo(QString::fromStdString(index->path())).fileName())
      .arg(index->info().tokens_seen);
}
}  // namespace

TraceSettings MainWindow::texasPrompt() {
  TraceSettings s;
  s.prompt = QStringLiteral("Fact: the capital of the state containing Dallas is");
  s.answer = QStringLiteral(" Austin");
  s.contrast = QStringLiteral(" Sacramento");
  s.patch = QStringLiteral("Fact: the capital of the state containing Fresno is");
  return s;
}

MainWindow::MainWindow(const QString& modelDir, QWidget* parent)
    : QMainWindow(parent),
      state_(new InterventionState(this)),
      models_(new ModelController(this)),
      traces_(new TraceController(models_, this)),
      live_(new LiveController(
          models_,
          [this] {
            const TraceSettings s = prompt_->settings();
            std::vector<ce::core::Intervention> ivs = state_->interventions();
            // Feature nodes are steered through the dictionaries of the trace they were picked from.
            for (auto& iv : ivs) {
              if (iv.basis == ce::core::Basis::Features) iv.dictionaries = traces_->trace().dictionaries;
            }
            return LiveRequest{s.prompt.toStdString(), formatOf(s), std::move(ivs)};
          },
          this)),
      graph_(new CircuitGraphView(this)),
      prompt_(new PromptPanel(this)),
      chart_(new TokenChart(this)),
      steering_(new SteeringPanel(state_, this)),
      curves_(new CurvesView(this)),
      inspector_(new NeuronInspector(this)),
      promptSet_(new PromptSetView(this)),
      progress_(new QProgressBar(this)),
      cancel_(new QPushButton(tr("Cancel"), this)),
      jobLabel_(new QLabel(this)) {
  setWindowTitle(tr("Circuit Explorer[*]"));
  history_ = new CircuitHistory(
      state_, [this] { return prompt_->settings().threshold; },
      [this](double t) {
        TraceSettings s = prompt_->settings();
        if (s.threshold == t) return;
        s.threshold = t;
        prompt_->setSettings(s);  // silent: the threshold's signal would record a step
        showCircuit();
      },
      this);
  findBar_ = new FindBar(graph_);
  graphBanner_ = new StaleBanner(graph_->viewport());
  chartBanner_ = new StaleBanner(chart_->viewport());
  continuationBanner_ = new StaleBanner(steering_->continuationLabel());
  continuationBanner_->setMargin(0);  // the label holds the reason too, sized for it without a margin
  neuronRunner_ = new JobRunner(this);
  graphFiles_ = new JobRunner(this);
  setAcceptDrops(true);
  buildCentralTabs();
  prompt_->setSettings(texasPrompt());
  buildDocks();
  buildStatusBar();
  wireControllers();
  wireEdits();
  wirePromptSets();
  wireAnnotations();
  buildMenus();
  wireKeyboard();
  // As large as suits the panels, but never larger than the screen (a 1366×768 laptop).
  QSize size(1400, 860);
  if (const QScreen* sc = screen()) size = size.boundedTo(sc->availableGeometry().size());
  resize(size);
  resizeDocks({promptDock_, chartDock_}, {340, 400}, Qt::Horizontal);
  resizeDocks({chartDock_, steerDock_}, {380, 300}, Qt::Vertical);
  // Once the window is laid out: before that the docks would keep their (small) minimum sizes and leave the
  // space to the graph.
  QTimer::singleShot(0, this, [this] {
    resizeDocks({promptDock_, chartDock_}, {340, 400}, Qt::Horizontal);
    resizeDocks({chartDock_, steerDock_}, {380, 300}, Qt::Vertical);
  });
  openModel(modelDir);
}

MainWindow::~MainWindow() {
  // Workers hold the model by shared_ptr; stop them before the widgets they report to disappear.
  const auto runners = {heavyRunner(), liveRunner(), exemplarRunner(), scoreRunner(), neuronRunner_, graphFiles_};
  for (JobRunner* r : runners) r->cancel();
  for (JobRunner* r : runners) r->waitForIdle();
}

void MainWindow::buildDocks() {
  auto dock = [this](QDockWidget*& out, const QString& title, const char* name, QWidget* widget,
                     Qt::DockWidgetArea area) {
    out = new QDockWidget(title, this);
    out->setObjectName(QString::fromLatin1(name));
    // A panel taller or wider than its dock scrolls instead of raising the window's minimum size: the window
    // must fit 1024×700 with the graph kMinGraphWidth wide (issue #15 item 5).
    auto* scroll = new DockScroll(out);
    scroll->setWidget(widget);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setFocusPolicy(Qt::NoFocus);  // Tab goes to the panel's controls, which the area scrolls into view
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    out->setWidget(scroll);
    addDockWidget(area, out);
  };
  dock(promptDock_, tr("Prompt and Attribution"), "promptDock", prompt_, Qt::LeftDockWidgetArea);
  dock(chartDock_, tr("Next Token"), "chartDock", chart_, Qt::RightDockWidgetArea);
  dock(steerDock_, tr("Steering"), "steerDock", steering_, Qt::RightDockWidgetArea);
  dock(curvesDock_, tr("Curves"), "curvesDock", curves_, Qt::RightDockWidgetArea);
  dock(inspectorDock_, tr("Neuron"), "inspectorDock", inspector_, Qt::RightDockWidgetArea);
  tabifyDockWidget(steerDock_, curvesDock_);
  tabifyDockWidget(steerDock_, inspectorDock_);
  steerDock_->raise();
  graph_->setMinimumWidth(kMinGraphWidth);
}

void MainWindow::buildStatusBar() {
  progress_->setMaximumWidth(260);  // room for "100% · about 12 min left"
  progress_->setRange(0, 1000);
  progress_->hide();
  cancel_->hide();
  cancel_->setToolTip(tr("Stop the running job (Esc)"));
  statusBar()->addPermanentWidget(jobLabel_);
  statusBar()->addPermanentWidget(progress_);
  statusBar()->addPermanentWidget(cancel_);
  connect(cancel_, &QPushButton::clicked, this, &MainWindow::cancelJob);
  JobRunner* heavy = heavyRunner();
  connect(heavy, &JobRunner::started, this, [this](const QString& name) {
    jobLabel_->setText(name + QStringLiteral("…"));
    progress_->setRange(0, 0);  // busy until the first progress report
    progress_->setFormat(QStringLiteral("%p%"));
    progress_->show();
    cancel_->show();
  });
  connect(heavy, &JobRunner::progressChanged, this, [this, heavy](double f, const QString& message) {
    if (f > 0) {  // a job that only reports a message (loading) stays a busy indicator
      progress_->setRange(0, 1000);
      progress_->setValue(static_cast<int>(f * 1000));
      progress_->setFormat(heavy->progressFormat(f));
    }
    if (!message.isEmpty()) {
      progress_->setToolTip(message);
      jobLabel_->setText(heavy->currentName() + QStringLiteral(": ") + message);
    }
  });
  connect(heavy, &JobRunner::idle, this, [this] {
    progress_->hide();
    cancel_->hide();
    jobLabel_->clear();
  });
  connect(heavy, &JobRunner::failed, this, [this](const QString& name, const QString& message) {
    showError(tr("%1 failed: %2").arg(name, message), name == tr("Loading model"));
    // The graph still shows the previous trace: say so over it, where the user looks for the answer.
    if (name == tr("Tracing"))
      graphBanner_->showReason(
          tr("Trace failed: %1\n\nThe graph under this is the previous trace's.").arg(message));
  });
  connect(heavy, &JobRunner::cancelled, this,
          [this](const QString& name) { statusBar()->showMessage(tr("%1 cancelled").arg(name), 5000); });
}

void MainWindow::wireControllers() {
  connect(models_, &ModelController::loaded, this, &MainWindow::onModelLoaded);
  connect(models_, &ModelController::indexOpened, this, [this](const FirstExemplars& texts) {
    traces_->setFirstExemplars(texts);
    graph_->setFirstExemplars(texts);
    inspector_->setIndexStatus(indexStatusText(models_->index().get()));
    const auto sel = graph_->selectedNodes();
    if (sel.size() == 1) models_->requestExemplars(sel.front(), lastTrace().featureIndex);
    statusBar()->showMessage(tr("Opened %1").arg(QString::fromStdString(models_->index()->path())), 5000);
  });
  connect(models_, &ModelController::exemplarsReady, inspector_, &NeuronInspector::showExemplars);
  connect(traces_, &TraceController::traced, this, &MainWindow::onTraced);
  connect(traces_, &TraceController::scored, this, [this](const QString& text) {
    curves_->setPromptScore(text);
    Q_EMIT circuitScored();
  });
  connect(traces_, &TraceController::scoreFailed, this, [this](const QString& message) {
    curves_->setPromptScore(tr("No score on this prompt: %1").arg(message));
  });
  connect(traces_, &TraceController::specificGroupsFound, this, [this](const SpecificGroups& g) {
    history_->edit([&] {
      if (!g.mine.empty()) state_->addGroup(tr("%1-specific").arg(g.answer), g.mine);
      if (!g.theirs.empty()) state_->addGroup(tr("%1-specific").arg(g.contrast), g.theirs);
    });
    statusBar()->showMessage(tr("Groups: %1 neurons only in this prompt's top %3, %2 only in the other's")
                                 .arg(g.mine.size())
                                 .arg(g.theirs.size())
                                 .arg(TraceController::kSpecificTop),
                             8000);
  });
  connect(live_, &LiveController::updated, this, [this](const LiveResult& out) {
    chart_->setTokens(out.top);
    steering_->setContinuation(out.continuation);
    chartBanner_->clearReason();
    continuationBanner_->clearReason();
    Q_EMIT liveUpdated();
  });
  connect(live_, &LiveController::failed, this, [this](const QString& message) {
    showError(tr("Next-token update failed: %1").arg(message), false);
    // The bars and the text are another prompt's or other interventions' answer: none of it stays readable.
    const QString reason = tr("Next-token update failed: %1").arg(message);
    chart_->setTokens({});
    chartBanner_->showReason(reason);
    steering_->setContinuation(reason);  // gives the label the banner's height
    continuationBanner_->showReason(reason);
  });
  connect(curves_, &CurvesView::errorOccurred, this, [this](const QString& m) { showError(m, false); });
}

void MainWindow::wireEdits() {
  connect(state_, &InterventionState::changed, this, [this] {
    if (!applyingSession_) setWindowModified(true);
    graph_->showInterventions(*state_);
    circuitEdited();
    live_->schedule();
  });
  connect(prompt_, &PromptPanel::thresholdChanged, this, [this] {
    if (!applyingSession_) setWindowModified(true);
    showCircuit();
    history_->record();
  });
  connect(prompt_, &PromptPanel::promptEdited, this, [this] {
    setWindowModified(true);
    updateTokenStrip();
    live_->schedule();
  });
  connect(prompt_, &PromptPanel::traceRequested, this, &MainWindow::trace);
  connect(graph_, &CircuitGraphView::groupRequested, this, &MainWindow::onGroupRequested);
  connect(graph_, &CircuitGraphView::nodeFactorRequested, this, &MainWindow::onNodeFactorRequested);
  connect(graph_, &CircuitGraphView::meanAblationRequested, this, &MainWindow::onMeanAblationRequested);
  graph_->setNodeMenuExtender([this](QMenu* menu, const NodeKey& key) { extendNodeMenu(menu, key); });
  connect(steering_, &SteeringPanel::groupMenuRequested, this, [this](int group, const QPoint& at) {
    QMenu menu(this);
    menu.addSection(state_->groups()[static_cast<size_t>(group)].name);
    fillGroupMenu(&menu, group);
    menu.exec(at);
  });
  connect(steering_, &SteeringPanel::groupMeanAblationRequested, this, [this](int group) {
    if (group < 0 || group >= static_cast<int>(state_->groups().size())) return;
    onMeanAblationRequested(state_->groups()[static_cast<size_t>(group)].nodes);
  });
  connect(steering_, &SteeringPanel::groupSelectionRequested, this, &MainWindow::onGroupSelectionRequested);
  connect(graph_, &CircuitGraphView::selectionChanged, this, [this](const std::vector<NodeKey>& sel) {
    if (!sel.empty())
      statusBar()->showMessage(tr("%n node(s) selected", nullptr, static_cast<int>(sel.size())), 3000);
    if (sel.size() == 1) {
      onNodeSelected(sel.front());
    } else if (sel.empty()) {
      inspector_->clear();
    }
  });
}

void MainWindow::showError(const QString& message, bool dialog) {
  lastError_ = message;
  // The status bar has one line; the dialog (and lastError_) keep every line of a multi-line reason.
  statusBar()->showMessage(QString(message).replace(QLatin1Char('\n'), QStringLiteral("; ")), 15000);
  if (dialog) {
    // Window-modal and non-blocking: a worker's error must never stall the event loop.
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Circuit Explorer"), message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
  }
}

void MainWindow::openModel(const QString& dir) { models_->open(dir); }

void MainWindow::onModelLoaded(bool chatTemplate) {
  inspector_->clear();
  inspector_->setIndexStatus(indexStatusText(models_->index().get()));
  curves_->setModel(models_->model());
  live_->cancel();
  scoreRunner()->cancel();
  state_->clear();
  collapsed_.clear();
  history_->clear();
  tracedPrompt_.clear();
  prompt_->setChatTemplateAvailable(chatTemplate);
  prompt_->setAnswerTokenizer(answerPiecesOf(models_->model()));
  prompt_->setDictionarySets(shippedDictionarySets(QString::fromStdString(models_->model()->dir())));
  shareDictionarySets();
  promptSet_->setModel(models_->model(), models_->index());
  promptSet_->setChatTemplateAvailable(chatTemplate);
  setWindowModified(false);
  graph_->clearCircuit();
  graphBanner_->clearReason();  // nothing of the previous model's trace is shown any more
  annotationsStale_ = true;
  appliedCollapsed_.clear();
  traces_->reset();
  importedPath_.clear();
  setImportedMode(QString());
  const QString dir = QString::fromStdString(models_->model()->dir());
  const auto info = models_->model()->info();
  statusBar()->showMessage(tr("Loaded %1: %2 layers, %3 MLP neurons per layer, vocabulary %4")
                               .arg(dir)
                               .arg(info.layers)
                               .arg(info.d_mlp)
                               .arg(info.vocab),
                           8000);
  addRecentModel(dir);
  updateTokenStrip();
  Q_EMIT modelLoaded();
  live_->schedule();
  QTimer::singleShot(0, this, &MainWindow::trace);
}

void MainWindow::updateTokenStrip() {
  const auto model = models_->model();
  if (!model) return;
  QStringList pieces;
  try {
    // Tokenizing one prompt takes microseconds: no need for a worker.
    const TraceSettings s = prompt_->settings();
    for (int id : ce::core::prompt_ids(model->tokenizer(), s.prompt.toStdString(), formatOf(s)))
      pieces << QString::fromStdString(model->token_text(id));
  } catch (const std::exception& e) {
    pieces << QString::fromStdString(e.what());
  }
  prompt_->setTokens(pieces);
}

void MainWindow::trace() {
  if (!models_->model()) {
    showError(tr("No model is loaded yet"), false);
    return;
  }
  traces_->start(prompt_->settings(), curves_->datasetBox()->currentData().toString());
}

void MainWindow::onTraced() {
  const TraceOutput& t = lastTrace();
  inspector_->clear();
  graphBanner_->clearReason();
  if (!importedPath_.isEmpty()) setImportedMode(QString());  // a new trace returns to the live circuit
  // Steps of another prompt's circuit name nodes of other tokens: they go with it.
  if (t.prompt != tracedPrompt_) history_->clear();
  tracedPrompt_ = t.prompt;
  traces_->requestAutoLabels();
  prompt_->fillAnswers(t.answer, t.contrast);
  // The top-5 metric favours no one answer: the legend then says only "raises the metric".
  graph_->setAnswer(t.metric == ce::core::Metric::TopK ? QString() : t.answer);
  double maxEffect = 0;
  for (const auto& n : t.nodes) maxEffect = std::max(maxEffect, std::abs(static_cast<double>(n.effect)));
  prompt_->setEffectRange(maxEffect);
  traceShowing_ = true;
  showCircuit();
}

void MainWindow::announceTrace() {
  if (!traceShowing_) return;
  traceShowing_ = false;
  statusBar()->showMessage(tr("Traced: metric %1, %2 nodes, %3 edges shown")
                               .arg(lastTrace().m, 0, 'f', 3)
                               .arg(graph_->nodeItems().size())
                               .arg(graph_->edgeCount()),
                           8000);
  Q_EMIT traceFinished();
}

std::vector<ce::core::NodeEffect> MainWindow::shownNodes() const {
  return traces_->shownNodes(prompt_->settings().threshold, state_->pins());
}

void MainWindow::showCircuit() {
  if (!importedPath_.isEmpty()) return;  // the imported graph stays until the next trace
  const TraceOutput& t = lastTrace();
  const auto shown = shownNodes();
  shownKeys_.clear();
  for (const auto& n : shown) shownKeys_.push_back(NodeKey{t.basis, n.node});
  prompt_->setShownCount(static_cast<int>(shown.size()), static_cast<int>(t.nodes.size()));
  // A large circuit is built over several event-loop turns; what follows waits for it (and, should another
  // showCircuit replace the build, runs once after that one instead).
  graph_->setErrorNodeIndex(t.dictionaries ? t.dictionaries->error_index() : -1);
  graph_->setCircuitInTurns(t.basis, t.layers, t.tokens, shown, t.edges, [this] { circuitShown(); });
}

void MainWindow::circuitShown() {
  const TraceOutput& t = lastTrace();
  graph_->setFirstExemplars(t.firstExemplars);
  graph_->setMeanAblation(t.meanValues, t.meanSource);
  graph_->showInterventions(*state_);
  // The graph keeps labels and pins across redraws; an imported graph replaced them (10^4 nodes: ~10 ms saved).
  if (annotationsStale_) {
    graph_->setPinned(state_->pins());
    showLabels();
    annotationsStale_ = false;
  }
  applyCollapsed();
  circuitEdited();
  announceTrace();
}

void MainWindow::circuitEdited() {
  const CircuitMask mask = traces_->circuit(prompt_->settings().threshold, *state_);
  curves_->setCurrentCircuit(mask.kept, lastTrace().basis);
  if (!traces_->score(mask)) curves_->setPromptScore(QString());
}

void MainWindow::cancelJob() {
  // Esc in the find bar closes it (the Cancel Job shortcut takes the key first).
  if (findBar_->isVisible() && findBar_->isAncestorOf(focusWidget())) {
    findBar_->hide();
    graph_->setFocus();
    return;
  }
  heavyRunner()->cancel();
  if (central_->currentWidget() == promptSet_) promptSet_->cancel();
}

int MainWindow::currentCircuitSize() const {
  return traces_->circuit(prompt_->settings().threshold, *state_).kept;
}

void MainWindow::openExemplarIndex(const QString& path) {
  if (!models_->model()) {
    showError(tr("No model is loaded yet"), false);
    return;
  }
  const TraceOutput& t = lastTrace();
  models_->openExemplarIndex(
      path, t.basis == ce::core::Basis::MlpAct ? t.nodes : std::vector<ce::core::NodeEffect>());
}

void MainWindow::makeSpecificGroups(const QString& otherPrompt) {
  if (!models_->model()) {
    showError(tr("No model is loaded yet"), false);
    return;
  }
  traces_->findSpecificGroups(prompt_->settings(), otherPrompt);
}

void MainWindow::onGroupRequested(const std::vector<NodeKey>& nodes) {
  if (nodes.empty()) return;
  if (!importedPath_.isEmpty()) return;
  state_->addGroup(state_->nextGroupName(), nodes);
}

void MainWindow::onMeanAblationRequested(const std::vector<NodeKey>& nodes) {
  if (!importedPath_.isEmpty()) return;
  const auto& means = lastTrace().meanValues;
  history_->edit([&] {
    for (const auto& k : nodes) {
      if (auto it = means.find(k); it != means.end()) state_->setNodeValue(k, it->second);
    }
  });
}

bool MainWindow::inspectNode(const NodeKey& key) {
  if (!graph_->nodeItem(key)) {
    showError(
        tr("%1 is not in the traced graph")
            .arg(QString::fromStdString(ce::core::node_name(key.basis, key.node.layer, key.node.index, key.node.pos))),
        false);
    return false;
  }
  graph_->selectNodes({key});
  inspectorDock_->raise();
  return true;
}

void MainWindow::fillGroupMenu(QMenu* menu, int group) {
  if (group < 0 || group >= static_cast<int>(state_->groups().size())) return;
  const TraceOutput& t = lastTrace();
  int means = 0;
  for (const auto& k : state_->groups()[static_cast<size_t>(group)].nodes)
    means += t.meanValues.count(k) > 0 ? 1 : 0;
  steering_->fillGroupMenu(menu, group, means, t.meanSource);
  addCollapseAction(menu, group);
}

void MainWindow::onGroupSelectionRequested(int group) {
  if (group < 0 || group >= static_cast<int>(state_->groups().size())) return;
  // An every-position member selects its neuron wherever the graph shows it.
  std::vector<NodeKey> keys;
  for (const auto& k : state_->groups()[static_cast<size_t>(group)].nodes) {
    if (k.node.pos >= 0) {
      keys.push_back(k);
      continue;
    }
    for (const NodeItem* item : graph_->nodeItems()) {
      const NodeKey& shown = item->key();
      if (shown.basis == k.basis && shown.node.layer == k.node.layer && shown.node.index == k.node.index)
        keys.push_back(shown);
    }
  }
  graph_->selectNodes(keys);
}

void MainWindow::onNodeFactorRequested(const std::vector<NodeKey>& nodes, double factor) {
  // One changed() for the whole selection would be nicer, but each call is cheap and the live
  // computation is coalesced by the live controller; the history makes them one step.
  if (!importedPath_.isEmpty()) return;
  history_->edit([&] {
    for (const auto& k : nodes) state_->setNodeFactor(k, factor);
  });
}

}  // namespace ce::ui
