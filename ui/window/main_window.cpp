#include "window/main_window.h"

#include <QAction>
#include <QApplication>
#include <QChartView>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <tuple>

#include "ce/core/circuits/attribution_example.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/model/continuation.h"
#include "ce/core/base/error.h"
#include "ce/core/circuits/intervention.h"
#include "ce/core/base/resources.h"
#include "ce/core/circuits/specific_neurons.h"
#include "graph/circuit_graph_view.h"
#include "panels/curves_view.h"
#include "panels/exemplar_rows.h"
#include "window/exporter.h"
#include "state/intervention_state.h"
#include "controllers/job_runner.h"
#include "panels/neuron_inspector.h"
#include "graph/node_item.h"
#include "panels/prompt_panel.h"
#include "state/session.h"
#include "panels/steering_panel.h"
#include "panels/token_chart.h"

namespace ce::ui {

namespace {
constexpr int kRecentMax = 8;
constexpr int kContinuationTokens = 8;
constexpr int kTopTokens = 10;
constexpr int kEdgeNeurons = 30;
constexpr int kExemplarsShown = 5;  // per polarity
// Neurons per trace for the specific groups: what `circuit-trace steer-pairs` uses by default.
constexpr int kSpecificTop = 20;

// Bytes the model will hold: its safetensors files, twice that when 16-bit weights of a small model are
// widened to f32 (the loader's default below 1B parameters), plus room for activations.
double estimateModelBytes(const QString& dir) {
  double files = 0;
  for (const QFileInfo& f : QDir(dir).entryInfoList({QStringLiteral("*.safetensors")}, QDir::Files))
    files += static_cast<double>(f.size());
  const double widened = files < 2.0e9 ? 2 * files : files;
  return widened * 1.1 + 256.0 * (1 << 20);
}

// MemAvailable of /proc/meminfo in bytes, or a negative number where it cannot be read.
double availableMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024.0;
  }
  return -1;
}

QString indexStatusText(const ce::core::ExemplarIndex* index) {
  if (!index) return QObject::tr("No exemplar index for this model (File \u203a Open Exemplar Index\u2026).");
  return QObject::tr("Exemplars from %1 (%2 corpus tokens).")
      .arg(QFileInfo(QString::fromStdString(index->path())).fileName())
      .arg(index->info().tokens_seen);
}

// The first positive exemplar's text of every mlp_act neuron among `nodes`. Worker thread.
std::map<std::pair<int, int>, QString> firstExemplarTexts(const ce::core::Model& model,
                                                          const ce::core::ExemplarIndex& index,
                                                          const std::vector<ce::core::NodeEffect>& nodes,
                                                          const ce::core::JobControl& control) {
  std::map<std::pair<int, int>, QString> out;
  for (const auto& n : nodes) {
    const std::pair<int, int> key{n.node.layer, n.node.index};
    if (out.count(key)) continue;
    control.check();
    const auto rows = exemplarRows(model, index, n.node.layer, n.node.index, ce::core::Polarity::Positive, 1);
    if (!rows.empty())
      out[key] = QStringLiteral("%1 (%2 on \u201c%3\u201d)")
                     .arg(rows[0].text.trimmed())
                     .arg(rows[0].activation, 0, 'f', 1)
                     .arg(rows[0].maxToken);
  }
  return out;
}

// Mean-ablation values of the traced nodes: each node's mean activation over the patch prompts of `dataset`
// (the curves' chosen set) that have the prompt's length, so that positions line up (the evaluator's
// ablation means); where none has, over those of the shipped capitals set. Leaves out.meanValues empty, with
// the reason in out.meanSource, where no prompt fits. Worker thread.
void meanAblationValues(const ce::core::Model& model, size_t length, ce::core::Basis basis,
                        const QString& dataset, TraceOutput& out, const ce::core::JobControl& control) {
  QStringList files;
  if (!dataset.isEmpty()) files << dataset;
  try {
    files << QString::fromStdString(ce::core::default_datasets_dir()) +
                 QStringLiteral("/capitals_paired.jsonl");
  } catch (const std::exception&) {
    // No resources folder: only the chosen dataset can serve.
  }
  QStringList tried, seen;
  for (const QString& file : files) {
    const QString name = QFileInfo(file).fileName();
    if (seen.contains(file)) continue;
    seen << file;
    try {
      std::vector<ce::core::AttributionExample> fit;
      for (auto& e : ce::core::load_paired_dataset(file.toStdString(), model.tokenizer()).examples) {
        if (e.patch.size() == length) fit.push_back(std::move(e));
      }
      if (fit.empty()) {
        tried << QObject::tr("no patch prompt of %1 has this prompt's %2 tokens").arg(name).arg(length);
        continue;
      }
      const ce::core::CircuitEvaluator ev(model, fit, basis, ce::core::Ablation::Mean, control);
      const auto& v = ev.ablation_values();
      const size_t T = static_cast<size_t>(ev.positions()), W = static_cast<size_t>(ev.width());
      for (const auto& n : out.nodes) {
        out.meanValues[NodeKey{basis, n.node}] = v[ce::core::dense_offset(n.node, T, W)];
      }
      out.meanSource = QObject::tr("mean over the %1 patch prompts of %2 with this prompt's length")
                           .arg(fit.size())
                           .arg(name);
      if (!tried.isEmpty()) out.meanSource += QStringLiteral(" (%1)").arg(tried.join(QStringLiteral("; ")));
      return;
    } catch (const ce::core::Cancelled&) {
      throw;
    } catch (const std::exception& e) {
      tried << QString::fromStdString(e.what());
    }
  }
  out.meanSource =
      tried.isEmpty() ? QObject::tr("no dataset to take means from") : tried.join(QStringLiteral("; "));
}

ce::core::PromptFormat formatOf(const TraceSettings& s) {
  return s.chat ? ce::core::PromptFormat::Chat : ce::core::PromptFormat::Plain;
}

// Whether the model folder's tokenizer_config.json carries a chat template (an instruct model).
bool hasChatTemplate(const QString& dir) {
  QFile f(QDir(dir).filePath(QStringLiteral("tokenizer_config.json")));
  if (!f.open(QIODevice::ReadOnly)) return false;
  const QJsonValue t = QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("chat_template"));
  return (t.isString() && !t.toString().isEmpty()) || (t.isArray() && !t.toArray().isEmpty());
}

struct LoadOutput {
  std::shared_ptr<const ce::core::Model> model;
  std::shared_ptr<const ce::core::ExemplarIndex> index;
  bool chatTemplate = false;
};

struct IndexOutput {
  std::shared_ptr<const ce::core::ExemplarIndex> index;
  std::map<std::pair<int, int>, QString> firstExemplars;
};

struct ExemplarOutput {
  NodeKey key;
  std::vector<ExemplarRow> positive, negative;
};

struct SpecificGroups {
  std::vector<NodeKey> mine, theirs;  // every-position keys
};

struct LiveOutput {
  std::vector<ce::core::TopToken> top;
  QString continuation;
};
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
      heavy_(new JobRunner(this)),
      live_(new JobRunner(this)),
      exemplarRunner_(new JobRunner(this)),
      scoreRunner_(new JobRunner(this)),
      graph_(new CircuitGraphView(this)),
      prompt_(new PromptPanel(this)),
      chart_(new TokenChart(this)),
      steering_(new SteeringPanel(state_, this)),
      curves_(new CurvesView(this)),
      inspector_(new NeuronInspector(this)),
      progress_(new QProgressBar(this)),
      cancel_(new QPushButton(tr("Cancel"), this)),
      jobLabel_(new QLabel(this)),
      liveTimer_(new QTimer(this)) {
  setWindowTitle(tr("Circuit Explorer[*]"));
  setAcceptDrops(true);
  setCentralWidget(graph_);
  prompt_->setSettings(texasPrompt());

  auto* promptDock = new QDockWidget(tr("Prompt and Attribution"), this);
  promptDock->setObjectName(QStringLiteral("promptDock"));
  promptDock->setWidget(prompt_);
  addDockWidget(Qt::LeftDockWidgetArea, promptDock);
  auto* chartDock = new QDockWidget(tr("Next Token"), this);
  chartDock->setObjectName(QStringLiteral("chartDock"));
  chartDock->setWidget(chart_);
  addDockWidget(Qt::RightDockWidgetArea, chartDock);
  auto* steerDock = new QDockWidget(tr("Steering"), this);
  steerDock->setObjectName(QStringLiteral("steerDock"));
  steerDock->setWidget(steering_);
  addDockWidget(Qt::RightDockWidgetArea, steerDock);
  auto* curvesDock = new QDockWidget(tr("Curves"), this);
  curvesDock->setObjectName(QStringLiteral("curvesDock"));
  curvesDock->setWidget(curves_);
  addDockWidget(Qt::RightDockWidgetArea, curvesDock);
  auto* inspectorDock = inspectorDock_ = new QDockWidget(tr("Neuron"), this);
  inspectorDock->setObjectName(QStringLiteral("inspectorDock"));
  inspectorDock->setWidget(inspector_);
  addDockWidget(Qt::RightDockWidgetArea, inspectorDock);
  tabifyDockWidget(steerDock, curvesDock);
  tabifyDockWidget(steerDock, inspectorDock);
  steerDock->raise();
  connect(curves_, &CurvesView::errorOccurred, this, [this](const QString& m) { showError(m, false); });

  progress_->setMaximumWidth(220);
  progress_->setRange(0, 1000);
  progress_->hide();
  cancel_->hide();
  cancel_->setToolTip(tr("Stop the running job (Esc)"));
  statusBar()->addPermanentWidget(jobLabel_);
  statusBar()->addPermanentWidget(progress_);
  statusBar()->addPermanentWidget(cancel_);
  connect(cancel_, &QPushButton::clicked, this, &MainWindow::cancelJob);

  connect(heavy_, &JobRunner::started, this, [this](const QString& name) {
    jobLabel_->setText(name + QStringLiteral("…"));
    progress_->setRange(0, 0);  // busy until the first progress report
    progress_->show();
    cancel_->show();
  });
  connect(heavy_, &JobRunner::progressChanged, this, [this](double f, const QString& message) {
    if (f > 0) {  // a job that only reports a message (loading) stays a busy indicator
      progress_->setRange(0, 1000);
      progress_->setValue(static_cast<int>(f * 1000));
    }
    if (!message.isEmpty()) {
      progress_->setToolTip(message);
      jobLabel_->setText(heavy_->currentName() + QStringLiteral(": ") + message);
    }
  });
  connect(heavy_, &JobRunner::idle, this, [this] {
    progress_->hide();
    cancel_->hide();
    jobLabel_->clear();
  });
  connect(heavy_, &JobRunner::failed, this, [this](const QString& name, const QString& message) {
    showError(tr("%1 failed: %2").arg(name, message), name == tr("Loading model"));
  });
  connect(heavy_, &JobRunner::cancelled, this,
          [this](const QString& name) { statusBar()->showMessage(tr("%1 cancelled").arg(name), 5000); });
  connect(scoreRunner_, &JobRunner::failed, this, [this](const QString&, const QString& message) {
    scoredKeep_.clear();  // the next edit tries again
    curves_->setPromptScore(tr("No score on this prompt: %1").arg(message));
  });
  connect(live_, &JobRunner::failed, this, [this](const QString&, const QString& message) {
    showError(tr("Next-token update failed: %1").arg(message), false);
  });

  // Coalesces bursts (typing, slider drags) into one computation; the runner drops outdated answers anyway.
  liveTimer_->setSingleShot(true);
  liveTimer_->setInterval(40);
  connect(liveTimer_, &QTimer::timeout, this, &MainWindow::runLive);
  connect(state_, &InterventionState::changed, this, [this] {
    if (!applyingSession_) setWindowModified(true);
    graph_->showInterventions(*state_);
    circuitEdited();
    scheduleLive();
  });
  connect(prompt_, &PromptPanel::thresholdChanged, this, [this] {
    if (!applyingSession_) setWindowModified(true);
    showCircuit();
  });
  connect(prompt_, &PromptPanel::promptEdited, this, [this] {
    setWindowModified(true);
    updateTokenStrip();
    scheduleLive();
  });
  connect(prompt_, &PromptPanel::traceRequested, this, &MainWindow::trace);
  connect(graph_, &CircuitGraphView::groupRequested, this, &MainWindow::onGroupRequested);
  connect(graph_, &CircuitGraphView::nodeFactorRequested, this, &MainWindow::onNodeFactorRequested);
  connect(graph_, &CircuitGraphView::meanAblationRequested, this, &MainWindow::onMeanAblationRequested);
  graph_->setNodeMenuExtender([this](QMenu* menu, const NodeKey& key) {
    for (int g : state_->groupsOf(key)) {
      menu->addSeparator();
      fillGroupMenu(
          menu->addMenu(tr("Group \u201c%1\u201d").arg(state_->groups()[static_cast<size_t>(g)].name)), g);
    }
  });
  connect(steering_, &SteeringPanel::groupMenuRequested, this, [this](int group, const QPoint& at) {
    QMenu menu(this);
    menu.addSection(state_->groups()[static_cast<size_t>(group)].name);
    fillGroupMenu(&menu, group);
    menu.exec(at);
  });
  connect(steering_, &SteeringPanel::groupMeanAblationRequested, this,
          &MainWindow::onGroupMeanAblationRequested);
  connect(steering_, &SteeringPanel::groupSelectionRequested, this, &MainWindow::onGroupSelectionRequested);
  connect(graph_, &CircuitGraphView::selectionChanged, this, [this](const std::vector<NodeKey>& sel) {
    if (!sel.empty())
      statusBar()->showMessage(tr("%n node(s) selected", nullptr, static_cast<int>(sel.size())), 3000);
    if (sel.size() == 1) {
      inspector_->inspect(trace_, sel.front());
      requestExemplars(sel.front());
    } else if (sel.empty()) {
      inspector_->clear();
    }
  });

  buildMenus();
  resize(1400, 860);
  resizeDocks({promptDock, chartDock}, {340, 400}, Qt::Horizontal);
  resizeDocks({chartDock, steerDock}, {380, 300}, Qt::Vertical);
  openModel(modelDir);
}

MainWindow::~MainWindow() {
  // Workers hold the model by shared_ptr; stop them before the widgets they report to disappear.
  heavy_->cancel();
  live_->cancel();
  exemplarRunner_->cancel();
  scoreRunner_->cancel();
  heavy_->waitForIdle();
  live_->waitForIdle();
  exemplarRunner_->waitForIdle();
  scoreRunner_->waitForIdle();
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(tr("&Open Model Folder…"), this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(
        this, tr("Open Model Folder"), model_ ? QString::fromStdString(model_->dir()) : QString());
    if (!dir.isEmpty()) openModel(dir);
  });
  open->setShortcut(QKeySequence::Open);
  recentMenu_ = file->addMenu(tr("Open &Recent Model"));
  rebuildRecentMenu();
  file->addAction(tr("Open E&xemplar Index…"), this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Exemplar Index"), QString(),
                                                      tr("Exemplar indexes (*.cexi)"));
    if (!path.isEmpty()) openExemplarIndex(path);
  });
  file->addSeparator();
  file->addAction(tr("Open &Session…"), this,
                  [this] {
                    const QString path = QFileDialog::getOpenFileName(this, tr("Open Session"), QString(),
                                                                      tr("Sessions (*.json)"));
                    if (!path.isEmpty()) openSession(path);
                  })
      ->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
  QAction* save = file->addAction(tr("&Save Session…"), this, [this] {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save Session"), QStringLiteral("session.json"), tr("Sessions (*.json)"));
    if (!path.isEmpty()) saveSession(path);
  });
  save->setShortcut(QKeySequence::Save);
  file->addSeparator();
  file->addAction(tr("Export &Graph…"), this,
                  [this] {
                    const QString path =
                        QFileDialog::getSaveFileName(this, tr("Export Graph"), QStringLiteral("circuit.svg"),
                                                     tr("SVG (*.svg);;PDF (*.pdf);;PNG (*.png)"));
                    if (!path.isEmpty()) exportGraph(path);
                  })
      ->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  file->addAction(tr("Export &Circuit Data…"), this, [this] {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export Circuit"), QStringLiteral("circuit.json"), tr("JSON (*.json);;CSV (*.csv)"));
    if (!path.isEmpty()) exportCircuit(path);
  });
  file->addAction(tr("Export &Next-Token Chart…"), this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export Next-Token Chart"), QStringLiteral("next-token.svg"),
                                     tr("SVG (*.svg);;PDF (*.pdf);;PNG (*.png)"));
    if (!path.isEmpty()) exportNextTokenChart(path);
  });
  file->addAction(tr("Export C&urves…"), this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export Curves"), QStringLiteral("curves.svg"),
                                     tr("SVG (*.svg);;PDF (*.pdf);;PNG (*.png);;CSV (*.csv)"));
    if (!path.isEmpty()) exportCurves(path);
  });
  file->addSeparator();
  QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  view->addAction(tr("&Fit Graph"), graph_, &CircuitGraphView::fitAll)->setShortcut(QKeySequence(Qt::Key_F));
  view->addAction(tr("Zoom &In"), graph_, [this] { graph_->zoomBy(1.25); })
      ->setShortcut(QKeySequence::ZoomIn);
  view->addAction(tr("Zoom &Out"), graph_, [this] { graph_->zoomBy(0.8); })
      ->setShortcut(QKeySequence::ZoomOut);
  edgesAction_ = view->addAction(tr("Show &Edges"));
  edgesAction_->setCheckable(true);
  edgesAction_->setChecked(true);
  edgesAction_->setShortcut(QKeySequence(Qt::Key_E));
  connect(edgesAction_, &QAction::toggled, graph_, &CircuitGraphView::setEdgesVisible);

  QMenu* circuit = menuBar()->addMenu(tr("&Circuit"));
  circuit->addAction(tr("&Trace"), this, &MainWindow::trace)->setShortcut(QKeySequence(Qt::Key_F5));
  circuit->addAction(tr("&Cancel Job"), this, &MainWindow::cancelJob)
      ->setShortcut(QKeySequence(Qt::Key_Escape));
  circuit->addSeparator();
  circuit->addAction(tr("&Group Selection"), this, [this] { onGroupRequested(graph_->selectedNodes()); })
      ->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_G));
  circuit
      ->addAction(tr("&Ablate Selection"), this,
                  [this] { onNodeFactorRequested(graph_->selectedNodes(), 0.0); })
      ->setShortcut(QKeySequence(Qt::Key_A));
  circuit->addAction(tr("&Reset Interventions"), state_, &InterventionState::reset);
  circuit->addSeparator();
  circuit->addAction(tr("Make &Specific Groups…"), this, [this] {
    bool ok = false;
    const QString other = QInputDialog::getText(
        this, tr("Make Specific Groups"),
        tr("Compare the prompt's top %1 neurons with those of this prompt (its answer is the contrast):")
            .arg(kSpecificTop),
        QLineEdit::Normal, prompt_->settings().patch, &ok);
    if (ok && !other.isEmpty()) makeSpecificGroups(other);
  });

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About Circuit Explorer"), this, [this] {
    QMessageBox::about(this, tr("About Circuit Explorer"),
                       tr("<b>Circuit Explorer %1</b><p>Attribution graphs, ablation and steering of the MLP "
                          "neurons of Llama-family models, offline.</p>")
                           .arg(QStringLiteral(CE_VERSION)));
  });
}

void MainWindow::showError(const QString& message, bool dialog) {
  lastError_ = message;
  statusBar()->showMessage(message, 15000);
  if (dialog) {
    // Window-modal and non-blocking: a worker's error must never stall the event loop.
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Circuit Explorer"), message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
  }
}

void MainWindow::openModel(const QString& dir) {
  traceAfterLoad_ = true;
  const std::string path = dir.toStdString();
  heavy_->start<LoadOutput>(
      tr("Loading model"),
      [path](const ce::core::JobControl& control) -> LoadOutput {
        const std::string dir = path.empty() ? ce::core::default_model_dir() : path;
        // A model that cannot fit is refused up front: paging a mapped model through swap would freeze
        // the whole desktop, not just this program.
        const double need = estimateModelBytes(QString::fromStdString(dir));
        const double avail = availableMemoryBytes();
        char text[160];
        std::snprintf(text, sizeof text, "about %.2f GB needed, %.2f GB available", need / 1e9,
                      avail < 0 ? 0.0 : avail / 1e9);
        if (avail > 0 && need > avail) {
          throw ce::core::Error(dir + ": the model needs " + text +
                                "; close other programs or choose a smaller model");
        }
        control.report(0, text);
        LoadOutput out;
        out.model = std::shared_ptr<const ce::core::Model>(ce::core::Model::open(dir));
        control.check();
        out.index = ce::core::find_exemplar_index(*out.model, ce::core::Basis::MlpAct);
        out.chatTemplate = hasChatTemplate(QString::fromStdString(dir));
        return out;
      },
      [this](LoadOutput& loaded) {
        model_ = loaded.model;
        index_ = loaded.index;
        exemplarRunner_->cancel();
        inspector_->clear();
        inspector_->setIndexStatus(indexStatusText(index_.get()));
        curves_->setModel(model_);
        live_->cancel();
        scoreRunner_->cancel();
        state_->clear();
        prompt_->setChatTemplateAvailable(loaded.chatTemplate);
        setWindowModified(false);
        graph_->clearCircuit();
        trace_ = TraceOutput();
        const QString dir = QString::fromStdString(model_->dir());
        const auto info = model_->info();
        setWindowTitle(tr("%1[*] — Circuit Explorer").arg(QFileInfo(dir).fileName()));
        statusBar()->showMessage(tr("Loaded %1: %2 layers, %3 MLP neurons per layer, vocabulary %4")
                                     .arg(dir)
                                     .arg(info.layers)
                                     .arg(info.d_mlp)
                                     .arg(info.vocab),
                                 8000);
        addRecentModel(dir);
        updateTokenStrip();
        Q_EMIT modelLoaded();
        scheduleLive();
        if (traceAfterLoad_) QTimer::singleShot(0, this, &MainWindow::trace);
      });
}

void MainWindow::updateTokenStrip() {
  if (!model_) return;
  QStringList pieces;
  try {
    // Tokenizing one prompt takes microseconds: no need for a worker.
    const TraceSettings s = prompt_->settings();
    for (int id : ce::core::prompt_ids(model_->tokenizer(), s.prompt.toStdString(), formatOf(s)))
      pieces << QString::fromStdString(model_->token_text(id));
  } catch (const std::exception& e) {
    pieces << QString::fromStdString(e.what());
  }
  prompt_->setTokens(pieces);
}

void MainWindow::trace() {
  if (!model_) {
    showError(tr("No model is loaded yet"), false);
    return;
  }
  const TraceSettings s = prompt_->settings();
  auto model = model_;
  auto index = index_;
  const QString meanDataset = curves_->datasetBox()->currentData().toString();
  heavy_->start<TraceOutput>(
      tr("Tracing"),
      [model, index, s, meanDataset](const ce::core::JobControl& control) {
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
        const auto ex = ce::core::make_example(model->tokenizer(), s.prompt.toStdString(), answer, contrast,
                                               s.patch.toStdString(), format);
        out.ids = ex.clean;
        for (int id : ex.clean) out.tokens << QString::fromStdString(model->token_text(id));
        ce::core::AttributionOptions options;
        options.method = s.method;
        options.basis = s.basis;
        options.metric = s.metric;
        const bool edges = s.edges && s.basis == ce::core::Basis::MlpAct;
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
          out.edges = ce::core::compute_edges(*model, ex, eo, control.sub(0.35, 0.9)).edges;
        }
        if (index && s.basis == ce::core::Basis::MlpAct)
          out.firstExemplars = firstExemplarTexts(*model, *index, out.nodes, control);
        meanAblationValues(*model, ex.clean.size(), s.basis, meanDataset, out, control.sub(0.9, 0.95));
        out.example = ex;
        return out;
      },
      [this](TraceOutput& out) {
        trace_ = std::move(out);
        ++traceSerial_;
        inspector_->clear();
        prompt_->fillAnswers(trace_.answer, trace_.contrast);
        double maxEffect = 0;
        for (const auto& n : trace_.nodes)
          maxEffect = std::max(maxEffect, std::abs(static_cast<double>(n.effect)));
        prompt_->setEffectRange(maxEffect);
        showCircuit();
        statusBar()->showMessage(tr("Traced: metric %1, %2 nodes, %3 edges shown")
                                     .arg(trace_.m, 0, 'f', 3)
                                     .arg(graph_->nodeItems().size())
                                     .arg(graph_->edgeCount()),
                                 8000);
        Q_EMIT traceFinished();
      });
}

std::vector<ce::core::NodeEffect> MainWindow::shownNodes() const {
  const double threshold = prompt_->settings().threshold;
  std::vector<ce::core::NodeEffect> out;
  for (const auto& n : trace_.nodes) {
    if (std::abs(static_cast<double>(n.effect)) >= threshold) out.push_back(n);
  }
  return out;
}

void MainWindow::showCircuit() {
  const auto shown = shownNodes();
  prompt_->setShownCount(static_cast<int>(shown.size()), static_cast<int>(trace_.nodes.size()));
  graph_->setCircuit(trace_.basis, trace_.layers, trace_.tokens, shown, trace_.edges);
  graph_->setFirstExemplars(trace_.firstExemplars);
  graph_->setMeanAblation(trace_.meanValues, trace_.meanSource);
  graph_->showInterventions(*state_);
  circuitEdited();
}

void MainWindow::circuitEdited() {
  // Exactly the nodes on screen that no intervention ablates, at their positions.
  const size_t T = static_cast<size_t>(trace_.positions), W = static_cast<size_t>(trace_.width);
  std::vector<bool> keep(static_cast<size_t>(trace_.layers) * T * W, false);
  int kept = 0;
  for (const auto& n : shownNodes()) {
    if (state_->displayFactor(NodeKey{trace_.basis, n.node}) == 0.0) continue;
    keep[ce::core::dense_offset(n.node, T, W)] = true;
    ++kept;
  }
  curves_->setCurrentCircuit(kept, trace_.basis);
  if (!model_ || trace_.nodes.empty() || trace_.example.clean.empty()) {
    curves_->setPromptScore(QString());
    return;
  }
  // Steering by a factor other than 0 leaves the circuit as it is: no new score.
  if (scoredSerial_ == traceSerial_ && keep == scoredKeep_) return;
  scoredSerial_ = traceSerial_;
  scoredKeep_ = keep;
  struct ScoreOutput {
    CircuitScore score;
    std::shared_ptr<const ce::core::CircuitEvaluator> evaluator;
  };
  auto model = model_;
  auto evaluator = trace_.promptEvaluator;
  const auto example = trace_.example;
  const auto basis = trace_.basis;
  const quint64 serial = traceSerial_;
  // The paper's per-prompt faithfulness: everything outside the circuit takes its activation on the patch
  // prompt (the evaluator's mean over one prompt), or zero where there is no patch prompt.
  const bool patched = !example.patch.empty();
  const QString source = patched ? tr("the rest patched from the patch prompt") : tr("the rest zero-ablated");
  scoreRunner_->start<ScoreOutput>(
      tr("Circuit score"),
      [model, evaluator, example, basis, patched, keep, kept](const ce::core::JobControl& control) {
        ScoreOutput out;
        out.evaluator = evaluator;
        if (!out.evaluator) {
          // The evaluator refers to the model's engine: its deleter holds the model until it is gone.
          out.evaluator = std::shared_ptr<const ce::core::CircuitEvaluator>(
              new ce::core::CircuitEvaluator(*model, {example}, basis,
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
        score_ = out.score;
        curves_->setPromptScore(tr("On this prompt, the %1 nodes shown and not ablated: faithfulness %2, "
                                   "completeness %3 (%4)")
                                    .arg(out.score.nodes)
                                    .arg(out.score.faithfulness, 0, 'f', 3)
                                    .arg(out.score.completeness, 0, 'f', 3)
                                    .arg(source));
        Q_EMIT circuitScored();
      });
}

void MainWindow::cancelJob() { heavy_->cancel(); }

int MainWindow::currentCircuitSize() const {
  int n = 0;
  for (const auto& e : shownNodes()) {
    if (state_->displayFactor(NodeKey{trace_.basis, e.node}) != 0.0) ++n;
  }
  return n;
}

void MainWindow::requestExemplars(const NodeKey& key) {
  // Exemplars index mlp_act neurons; other bases have none to show.
  if (!model_ || !index_ || key.basis != ce::core::Basis::MlpAct) return;
  auto model = model_;
  auto index = index_;
  exemplarRunner_->start<ExemplarOutput>(
      tr("Exemplars"),
      [model, index, key](const ce::core::JobControl&) {
        ExemplarOutput out;
        out.key = key;
        out.positive = exemplarRows(*model, *index, key.node.layer, key.node.index,
                                    ce::core::Polarity::Positive, kExemplarsShown);
        out.negative = exemplarRows(*model, *index, key.node.layer, key.node.index,
                                    ce::core::Polarity::Negative, kExemplarsShown);
        return out;
      },
      [this](ExemplarOutput& out) {
        inspector_->showExemplars(out.key, std::move(out.positive), std::move(out.negative));
      });
}

void MainWindow::openExemplarIndex(const QString& path) {
  if (!model_) {
    showError(tr("No model is loaded yet"), false);
    return;
  }
  auto model = model_;
  const std::string file = path.toStdString();
  const auto nodes =
      trace_.basis == ce::core::Basis::MlpAct ? trace_.nodes : std::vector<ce::core::NodeEffect>();
  heavy_->start<IndexOutput>(
      tr("Opening exemplar index"),
      [model, file, nodes](const ce::core::JobControl& control) {
        IndexOutput out;
        auto index = ce::core::ExemplarIndex::open(file);
        index->check_basis(ce::core::Basis::MlpAct);
        index->check_model(*model);
        out.index = std::move(index);
        out.firstExemplars = firstExemplarTexts(*model, *out.index, nodes, control);
        return out;
      },
      [this](IndexOutput& out) {
        index_ = out.index;
        trace_.firstExemplars = out.firstExemplars;
        graph_->setFirstExemplars(std::move(out.firstExemplars));
        inspector_->setIndexStatus(indexStatusText(index_.get()));
        const auto sel = graph_->selectedNodes();
        if (sel.size() == 1) requestExemplars(sel.front());
        statusBar()->showMessage(tr("Opened %1").arg(QString::fromStdString(index_->path())), 5000);
      });
}

void MainWindow::makeSpecificGroups(const QString& otherPrompt) {
  if (!model_) {
    showError(tr("No model is loaded yet"), false);
    return;
  }
  auto model = model_;
  const TraceSettings s = prompt_->settings();
  const std::string other = otherPrompt.toStdString();
  heavy_->start<SpecificGroups>(
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
        out.mine = keys(sn.mine);
        out.theirs = keys(sn.theirs);
        return out;
      },
      [this, s](SpecificGroups& g) {
        const QString a = s.answer.trimmed(), b = s.contrast.trimmed();
        if (!g.mine.empty()) state_->addGroup(tr("%1-specific").arg(a), g.mine);
        if (!g.theirs.empty()) state_->addGroup(tr("%1-specific").arg(b), g.theirs);
        statusBar()->showMessage(tr("Groups: %1 neurons only in this prompt's top %3, %2 only in the other's")
                                     .arg(g.mine.size())
                                     .arg(g.theirs.size())
                                     .arg(kSpecificTop),
                                 8000);
      });
}

void MainWindow::scheduleLive() { liveTimer_->start(); }

bool MainWindow::liveUpdatePending() const { return liveTimer_->isActive() || live_->isBusy(); }

void MainWindow::runLive() {
  if (!model_) return;
  auto model = model_;
  const std::string prompt = prompt_->settings().prompt.toStdString();
  const auto format = formatOf(prompt_->settings());
  const auto interventions = state_->interventions();
  live_->start<LiveOutput>(
      tr("Next token"),
      [model, prompt, format, interventions](const ce::core::JobControl& control) {
        LiveOutput out;
        const std::vector<int> ids = ce::core::prompt_ids(model->tokenizer(), prompt, format);
        ce::core::validate_interventions(*model, interventions);
        for (const auto& iv : interventions) {
          if (iv.pos >= static_cast<int>(ids.size()))
            throw ce::core::Error("an intervention at position " + std::to_string(iv.pos) +
                                  " lies beyond the prompt's " + std::to_string(ids.size()) + " tokens");
        }
        out.top = model->top_k(ce::core::next_logits_with(*model, ids, interventions), kTopTokens);
        control.check();
        const auto gen = ce::core::generate_with(*model, ids, kContinuationTokens, interventions, control);
        // Shown as the text that follows the prompt: no "</s>", and the leading space of the first word.
        const std::string text = ce::core::continuation_text(*model, gen);
        out.continuation = QString::fromStdString(text);
        return out;
      },
      [this](LiveOutput& out) {
        chart_->setTokens(out.top);
        steering_->setContinuation(out.continuation);
        Q_EMIT liveUpdated();
      });
}

void MainWindow::onGroupRequested(const std::vector<NodeKey>& nodes) {
  if (nodes.empty()) return;
  state_->addGroup(state_->nextGroupName(), nodes);
}

void MainWindow::onMeanAblationRequested(const std::vector<NodeKey>& nodes) {
  for (const auto& k : nodes) {
    if (auto it = trace_.meanValues.find(k); it != trace_.meanValues.end())
      state_->setNodeValue(k, it->second);
  }
}

bool MainWindow::inspectNode(const NodeKey& key) {
  if (!graph_->nodeItem(key)) {
    showError(
        tr("%1 is not in the traced graph")
            .arg(QString::fromStdString(ce::core::node_name(key.node.layer, key.node.index, key.node.pos))),
        false);
    return false;
  }
  graph_->selectNodes({key});
  inspectorDock_->raise();
  return true;
}

void MainWindow::fillGroupMenu(QMenu* menu, int group) {
  if (group < 0 || group >= static_cast<int>(state_->groups().size())) return;
  int means = 0;
  for (const auto& k : state_->groups()[static_cast<size_t>(group)].nodes)
    means += trace_.meanValues.count(k) > 0 ? 1 : 0;
  steering_->fillGroupMenu(menu, group, means, trace_.meanSource);
}

void MainWindow::onGroupMeanAblationRequested(int group) {
  if (group < 0 || group >= static_cast<int>(state_->groups().size())) return;
  onMeanAblationRequested(state_->groups()[static_cast<size_t>(group)].nodes);
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
  // computation is coalesced by liveTimer_.
  for (const auto& k : nodes) state_->setNodeFactor(k, factor);
}

Session MainWindow::currentSession() const {
  Session s;
  s.modelDir = model_ ? QString::fromStdString(model_->dir()) : QString();
  s.modelHash = Session::hashModelDir(s.modelDir);
  s.trace = prompt_->settings();
  s.groups = state_->groups();
  s.nodeFactors = state_->nodeFactors();
  s.nodeValues = state_->nodeValues();
  s.programVersion = QStringLiteral(CE_VERSION);
  return s;
}

void MainWindow::applySession(const Session& session) {
  prompt_->setSettings(session.trace);
  // An empty model folder names the embedded demo model: shipped sessions must not carry a build path.
  QString modelDir = session.modelDir;
  if (modelDir.isEmpty()) {
    try {
      modelDir = QString::fromStdString(ce::core::default_model_dir());
    } catch (const std::exception& e) {
      showError(QString::fromStdString(e.what()), true);
      return;
    }
  }
  if (!session.modelHash.isEmpty() && Session::hashModelDir(modelDir) != session.modelHash) {
    // Still opened: the user may have re-converted the same model; node indices may no longer match.
    showError(tr("The model in %1 differs from the one this session was saved with").arg(modelDir), false);
  }
  const bool sameModel = model_ && QFileInfo(modelDir).canonicalFilePath() ==
                                       QFileInfo(QString::fromStdString(model_->dir())).canonicalFilePath();
  if (!sameModel) {
    // The interventions refer to the new model's nodes: applied once it has loaded.
    openModel(modelDir);
    auto groups = session.groups;
    auto factors = session.nodeFactors;
    auto values = session.nodeValues;
    const TraceSettings settings = session.trace;
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection =
        connect(this, &MainWindow::modelLoaded, this, [this, groups, factors, values, settings, connection] {
          QObject::disconnect(*connection);
          applyingSession_ = true;
          // Loading set the chat box to the model's default; the session's choice wins.
          prompt_->setSettings(settings);
          state_->setAll(groups, factors, values);
          applyingSession_ = false;
          setWindowModified(false);
        });
    return;
  }
  applyingSession_ = true;
  state_->setAll(session.groups, session.nodeFactors, session.nodeValues);
  applyingSession_ = false;
  setWindowModified(false);
  updateTokenStrip();
  trace();
}

bool MainWindow::saveSession(const QString& path) {
  try {
    currentSession().save(path);
    setWindowModified(false);
    statusBar()->showMessage(tr("Saved session %1").arg(path), 5000);
    return true;
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()), true);
    return false;
  }
}

bool MainWindow::openSession(const QString& path) {
  try {
    applySession(Session::load(path));
    return true;
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()), true);
    return false;
  }
}

bool MainWindow::exportGraph(const QString& path) {
  try {
    Exporter::exportScene(graph_->scene(), path);
    statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
    return true;
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()), true);
    return false;
  }
}

bool MainWindow::exportCircuit(const QString& path) {
  try {
    // What the graph shows: edges between hidden neurons (below the threshold) are left out with them.
    const auto nodes = shownNodes();
    std::set<std::tuple<int, int, int>> shown;
    for (const auto& n : nodes) shown.insert({n.node.layer, n.node.pos, n.node.index});
    auto visible = [&shown](const ce::core::EdgeEnd& e) {
      return e.kind != ce::core::EdgeEnd::Kind::Neuron ||
             shown.count({e.node.layer, e.node.pos, e.node.index}) > 0;
    };
    std::vector<ce::core::Edge> edges;
    for (const auto& e : trace_.edges) {
      if (visible(e.src) && visible(e.dst)) edges.push_back(e);
    }
    Exporter::exportCircuit(path, trace_.basis, trace_.tokens, nodes, edges);
    statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
    return true;
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()), true);
    return false;
  }
}

bool MainWindow::exportNextTokenChart(const QString& path) {
  try {
    Exporter::exportScene(chart_->scene(), path);
    statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
    return true;
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()), true);
    return false;
  }
}

bool MainWindow::exportCurves(const QString& path) {
  try {
    if (path.endsWith(QStringLiteral(".csv"), Qt::CaseInsensitive)) {
      Exporter::exportCurves(path, curves_->namedCurves());
    } else {
      Exporter::exportScene(curves_->chartView()->scene(), path);
    }
    statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
    return true;
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()), true);
    return false;
  }
}

void MainWindow::addRecentModel(const QString& dir) {
  QSettings settings;
  QStringList recent = settings.value(QStringLiteral("recentModels")).toStringList();
  recent.removeAll(dir);
  recent.prepend(dir);
  while (recent.size() > kRecentMax) recent.removeLast();
  settings.setValue(QStringLiteral("recentModels"), recent);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  if (!recentMenu_) return;
  recentMenu_->clear();
  const QStringList recent = QSettings().value(QStringLiteral("recentModels")).toStringList();
  for (const QString& dir : recent) recentMenu_->addAction(dir, this, [this, dir] { openModel(dir); });
  recentMenu_->setEnabled(!recent.isEmpty());
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (isWindowModified()) {
    const auto answer = QMessageBox::question(
        this, tr("Circuit Explorer"), tr("The session has unsaved changes. Save them before closing?"),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Cancel) {
      event->ignore();
      return;
    }
    if (answer == QMessageBox::Save) {
      const QString path = QFileDialog::getSaveFileName(
          this, tr("Save Session"), QStringLiteral("session.json"), tr("Sessions (*.json)"));
      if (path.isEmpty() || !saveSession(path)) {
        event->ignore();
        return;
      }
    }
  }
  event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  const auto urls = event->mimeData()->urls();
  if (urls.size() == 1 && urls[0].isLocalFile() && QFileInfo(urls[0].toLocalFile()).isDir())
    event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const auto urls = event->mimeData()->urls();
  if (urls.size() == 1 && urls[0].isLocalFile()) openModel(urls[0].toLocalFile());
}

}  // namespace ce::ui
