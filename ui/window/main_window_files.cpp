// MainWindow's files: sessions, exports, dropped model folders and the unsaved-changes question on close.
#include <QChartView>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QMimeData>
#include <QStatusBar>
#include <set>
#include <tuple>

#include "ce/core/base/resources.h"
#include "graph/circuit_graph_view.h"
#include "panels/curves_view.h"
#include "panels/prompt_panel.h"
#include "panels/token_chart.h"
#include "prompt_sets/prompt_set_view.h"
#include "state/circuit_history.h"
#include "state/session.h"
#include "figures/figure_export_dialog.h"
#include "window/exporter.h"
#include "window/main_window.h"
#include "window/unsaved_changes.h"

namespace ce::ui {

namespace {
CircuitSnapshot snapshotOf(const Session& s) {
  CircuitSnapshot c;
  c.groups = s.groups;
  c.nodeFactors = s.nodeFactors;
  c.nodeValues = s.nodeValues;
  c.labels = s.labels;
  c.pins = s.pins;
  return c;
}
}  // namespace

Session MainWindow::currentSession() const {
  Session s;
  const auto model = models_->model();
  s.modelDir = model ? QString::fromStdString(model->dir()) : QString();
  s.modelHash = Session::hashModelDir(s.modelDir);
  s.trace = prompt_->settings();
  s.groups = state_->groups();
  s.nodeFactors = state_->nodeFactors();
  s.nodeValues = state_->nodeValues();
  s.labels = state_->labels();
  s.pins = state_->pins();
  s.promptSet = promptSet_->settings();
  s.programVersion = QStringLiteral(CE_VERSION);
  return s;
}

void MainWindow::applySession(const Session& session) {
  // A session loads whole or not at all: everything that can refuse it (the model folder, the ranges of its
  // nodes against that model's config.json) is checked before the first change.
  QString modelDir = session.modelDir;
  bool sameModel = false;
  try {
    // An empty model folder names the embedded demo model: shipped sessions must not carry a build path.
    if (modelDir.isEmpty()) modelDir = QString::fromStdString(ce::core::default_model_dir());
    const auto current = models_->model();
    sameModel = current && QFileInfo(modelDir).canonicalFilePath() ==
                               QFileInfo(QString::fromStdString(current->dir())).canonicalFilePath();
    session.check(sameModel ? current->config() : ce::core::ModelConfig::from_dir(modelDir.toStdString()));
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()), true);
    return;
  }
  if (!session.modelHash.isEmpty() && Session::hashModelDir(modelDir) != session.modelHash) {
    // Still opened: the user may have re-converted the same model; node indices may no longer match.
    showError(tr("The model in %1 differs from the one this session was saved with").arg(modelDir), false);
  }
  if (!sameModel) {
    // The interventions refer to the new model's nodes: applied once it has loaded.
    openModel(modelDir);
    const CircuitSnapshot circuit = snapshotOf(session);
    const TraceSettings settings = session.trace;
    const PromptSetSettings promptSet = session.promptSet;
    auto connection = std::make_shared<QMetaObject::Connection>();
    const QString wanted = QFileInfo(modelDir).canonicalFilePath();
    *connection =
        connect(this, &MainWindow::modelLoaded, this, [this, circuit, settings, promptSet, connection, wanted] {
          QObject::disconnect(*connection);
          // The session's model failed to load and another one loaded later: the session is not applied.
          if (QFileInfo(QString::fromStdString(models_->model()->dir())).canonicalFilePath() != wanted) return;
          applyingSession_ = true;
          // Loading set the chat box to the model's default; the session's choice wins.
          prompt_->setSettings(settings);
          shareDictionarySets();
          state_->restore(circuit);
          promptSet_->applySettings(promptSet);
          history_->clear();  // a session starts a history of its own
          applyingSession_ = false;
          setWindowModified(false);
        });
    return;
  }
  prompt_->setSettings(session.trace);
  shareDictionarySets();
  applyingSession_ = true;
  state_->restore(snapshotOf(session));
  promptSet_->applySettings(session.promptSet);
  history_->clear();
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

bool MainWindow::reportExport(const QString& path, const std::function<void()>& write) {
  try {
    write();
    statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
    return true;
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()), true);
    return false;
  }
}

// The figures at the size the export dialog last remembered (main_window_figures.cpp draws them).
bool MainWindow::exportGraph(const QString& path) {
  return exportFigure(figures::FigureKind::Graph, figures::rememberedSpec(figures::FigureKind::Graph, path));
}

bool MainWindow::exportCircuit(const QString& path) {
  return reportExport(path, [&] {
    // What the graph shows: edges between hidden neurons (below the threshold) are left out with them.
    const auto nodes = shownNodes();
    std::set<std::tuple<int, int, int>> shown;
    for (const auto& n : nodes) shown.insert({n.node.layer, n.node.pos, n.node.index});
    auto visible = [&shown](const ce::core::EdgeEnd& e) {
      return e.kind != ce::core::EdgeEnd::Kind::Neuron ||
             shown.count({e.node.layer, e.node.pos, e.node.index}) > 0;
    };
    std::vector<ce::core::Edge> edges;
    for (const auto& e : lastTrace().edges) {
      if (visible(e.src) && visible(e.dst)) edges.push_back(e);
    }
    Exporter::exportCircuit(path, lastTrace().basis, lastTrace().tokens, nodes, edges);
  });
}

bool MainWindow::exportNextTokenChart(const QString& path) {
  return exportFigure(figures::FigureKind::NextToken, figures::rememberedSpec(figures::FigureKind::NextToken, path));
}

bool MainWindow::exportCurves(const QString& path) {
  return exportFigure(figures::FigureKind::Curves, figures::rememberedSpec(figures::FigureKind::Curves, path));
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (isWindowModified() &&
      !confirmUnsavedChanges(this, tr("The session has unsaved changes. Save them before closing?"),
                             [this](const QString& path) { return saveSession(path); })) {
    event->ignore();
    return;
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
