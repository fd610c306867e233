// MainWindow's menu bar and the recent-models list behind File › Open Recent Model.
#include <QAction>
#include <QActionGroup>
#include <QFileDialog>
#include <QInputDialog>
#include <QKeySequence>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>

#include "graph/circuit_graph_view.h"
#include "panels/curves_view.h"
#include "panels/prompt_panel.h"
#include "prompt_sets/prompt_set_view.h"
#include "prompt_sets/set_graph_view.h"
#include "figures/figure_export_dialog.h"
#include "window/main_window.h"
#include "window/file_dialogs.h"
#include "window/unsaved_changes.h"

namespace ce::ui {

namespace {
constexpr int kRecentMax = 8;
}  // namespace

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(tr("&Open Model Folder…"), this, [this] {
    const QString dir = existingFolderIn(this, QStringLiteral("model"), tr("Open Model Folder"),
                                         model() ? QString::fromStdString(model()->dir()) : QString());
    if (!dir.isEmpty()) openModel(dir);
  });
  open->setShortcut(QKeySequence::Open);
  recentMenu_ = file->addMenu(tr("Open &Recent Model"));
  rebuildRecentMenu();
  file->addAction(tr("Open E&xemplar Index…"), this, [this] {
    const QString path = openFileIn(this, QStringLiteral("exemplars"), tr("Open Exemplar Index"),
                                    tr("Exemplar indexes (*.cexi)"));
    if (!path.isEmpty()) openExemplarIndex(path);
  });
  // A dictionary set (SAE or transcoder folders) becomes a basis of the prompt panel; the trace loads it.
  file->addAction(tr("Open &Dictionaries…"), this, [this] {
    const QString dir = existingFolderIn(this, QStringLiteral("dictionaries"), tr("Open Dictionaries"),
                                         model() ? QString::fromStdString(model()->dir()) : QString());
    if (dir.isEmpty()) return;
    TraceSettings s = prompt_->settings();
    s.basis = ce::core::Basis::Features;
    s.dictionaries = dir;
    prompt_->setSettings(s);
    shareDictionarySets();
    statusBar()->showMessage(tr("Basis: the features of %1 (trace with F5)").arg(dir), 8000);
  });
  addDeviceMenu(file);
  file->addSeparator();
  file->addAction(tr("Open &Session…"), this,
                  [this] {
                    if (isDirty() && !confirmUnsavedChanges(
                                         this, tr("The session has unsaved changes. Save them before opening another?"),
                                         [this](const QString& p) { return saveSession(p); }))
                      return;
                    const QString path =
                        openFileIn(this, QStringLiteral("session"), tr("Open Session"), tr("Sessions (*.json)"));
                    if (!path.isEmpty()) openSession(path);
                  })
      ->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
  QAction* save = file->addAction(tr("&Save Session…"), this, [this] {
    const QString path = saveFileIn(this, QStringLiteral("session"), tr("Save Session"),
                                    QStringLiteral("session.json"), tr("Sessions (*.json)"));
    if (!path.isEmpty()) saveSession(path);
  });
  save->setShortcut(QKeySequence::Save);
  file->addSeparator();
  // Figures go through the export dialog (size, unit, DPI): main_window_figures.cpp.
  file->addAction(tr("Export &Graph…"), this, [this] { askFigureExport(figures::FigureKind::Graph); })
      ->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  file->addAction(tr("Export &Circuit Data…"), this, [this] {
    const QString path = saveFileIn(this, QStringLiteral("circuit"), tr("Export Circuit"),
                                    QStringLiteral("circuit.json"), tr("JSON (*.json);;CSV (*.csv)"));
    if (!path.isEmpty()) exportCircuit(path);
  });
  file->addAction(tr("Export Graph &JSON…"), this, [this] {
    const QString path = saveFileIn(this, QStringLiteral("graph-json"), tr("Export Graph JSON"),
                                    QStringLiteral("graph.json"), tr("Graph JSON (*.json)"));
    if (!path.isEmpty()) exportGraphJson(path);
  });
  file->addAction(tr("Open Graph JSON…"), this, [this] {
    const QString path =
        openFileIn(this, QStringLiteral("graph-json"), tr("Open Graph JSON"), tr("Graph JSON (*.json)"));
    if (!path.isEmpty()) openGraphJson(path);
  });
  file->addAction(tr("Export &Next-Token Chart…"), this, [this] { askFigureExport(figures::FigureKind::NextToken); });
  file->addAction(tr("Export C&urves…"), this, [this] { askFigureExport(figures::FigureKind::Curves); });
  file->addSeparator();
  QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  buildEditMenu();

  QMenu* view = menuBar()->addMenu(tr("&View"));
  view->addAction(tr("&Fit Graph"), this, [this] {
        if (central_->currentWidget() == promptSet_) {
          promptSet_->graph()->fitAll();
        } else {
          graph_->fitAll();
        }
      })->setShortcut(QKeySequence(Qt::Key_F));
  view->addAction(tr("Zoom &In"), graph_, [this] { graph_->zoomBy(1.25); })
      ->setShortcut(QKeySequence::ZoomIn);
  view->addAction(tr("Zoom &Out"), graph_, [this] { graph_->zoomBy(0.8); })
      ->setShortcut(QKeySequence::ZoomOut);
  edgesAction_ = view->addAction(tr("Show &Edges"));
  edgesAction_->setCheckable(true);
  edgesAction_->setChecked(true);
  edgesAction_->setShortcut(QKeySequence(Qt::Key_E));
  connect(edgesAction_, &QAction::toggled, graph_, &CircuitGraphView::setEdgesVisible);
  view->addSeparator();
  addViewTabActions(view);
  view->addSeparator();
  addDockActions(view);

  QMenu* circuit = menuBar()->addMenu(tr("&Circuit"));
  circuit->addAction(tr("&Trace"), this, &MainWindow::trace)->setShortcut(QKeySequence(Qt::Key_F5));
  circuit->addAction(tr("&Cancel Job"), this, &MainWindow::cancelJob)
      ->setShortcut(QKeySequence(Qt::Key_Escape));
  circuit->addSeparator();
  QAction* group =
      circuit->addAction(tr("&Group Selection"), this, [this] { onGroupRequested(graph_->selectedNodes()); });
  group->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_G));
  QAction* ablate = circuit->addAction(tr("&Ablate Selection"), this,
                                       [this] { onNodeFactorRequested(graph_->selectedNodes(), 0.0); });
  ablate->setShortcut(QKeySequence(Qt::Key_A));
  QAction* reset = circuit->addAction(tr("&Reset Interventions"), state_, &InterventionState::reset);
  circuit->addSeparator();
  QAction* specific = circuit->addAction(tr("Make &Specific Groups…"), this, [this] {
    bool ok = false;
    const QString other = QInputDialog::getText(
        this, tr("Make Specific Groups"),
        tr("Compare the prompt's top %1 neurons with those of this prompt (its answer is the contrast):")
            .arg(TraceController::kSpecificTop),
        QLineEdit::Normal, prompt_->settings().patch, &ok);
    if (ok && !other.isEmpty()) makeSpecificGroups(other);
  });
  editActions_.insert(editActions_.end(), {group, ablate, reset, specific});

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About Circuit Explorer"), this, [this] {
    QMessageBox::about(this, tr("About Circuit Explorer"),
                       tr("<b>Circuit Explorer %1</b><p>Attribution graphs, ablation and steering of the MLP "
                          "neurons of Llama-family models, offline.</p>")
                           .arg(QStringLiteral(CE_VERSION)));
  });
}

void MainWindow::addDeviceMenu(QMenu* file) {
  // Only where this LibTorch sees a GPU: on a CPU-only build the choice would have one entry.
  const int gpus = ce::core::cuda_device_count();
  if (gpus == 0) return;
  QMenu* menu = file->addMenu(tr("Run On &Device"));
  menu->setObjectName(QStringLiteral("deviceMenu"));
  auto* group = new QActionGroup(menu);
  auto add = [&](const QString& label, const ce::core::Device& device) {
    QAction* action = menu->addAction(label);
    action->setCheckable(true);
    action->setChecked(models_->device() == device);
    group->addAction(action);
    connect(action, &QAction::triggered, this, [this, device] {
      if (models_->device() == device) return;
      models_->setDevice(device);
      // The open model moves by reopening it there (weights are copied once, in its dtype).
      if (model()) openModel(QString::fromStdString(model()->dir()));
    });
  };
  add(tr("CPU"), ce::core::Device{});
  for (int i = 0; i < gpus; ++i) add(tr("GPU %1 (cuda:%1)").arg(i), ce::core::Device{ce::core::Device::Kind::Cuda, i});
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

}  // namespace ce::ui
