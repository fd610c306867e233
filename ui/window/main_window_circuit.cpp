// MainWindow's circuit editing beyond interventions: the Edit menu (undo, redo, find), labels and pins, groups
// collapsed into one node, and the Neuron panel's edges, label field and direct logit effect.
#include <QAction>
#include <algorithm>
#include <QDockWidget>
#include <QInputDialog>
#include <QKeySequence>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QStatusBar>
#include <QUndoStack>

#include "ce/core/graphs/logit_effect.h"
#include "controllers/job_runner.h"
#include "graph/circuit_graph_view.h"
#include "panels/find_bar.h"
#include "panels/neuron_inspector.h"
#include "state/circuit_history.h"
#include "window/main_window.h"

namespace ce::ui {

namespace {
constexpr int kLogitTokens = 10;

QString neuronName(const NodeKey& k) {
  return QString::fromStdString(ce::core::node_name(k.basis, k.node.layer, k.node.index, k.node.pos));
}
}  // namespace

void MainWindow::buildEditMenu() {
  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  undo_ = edit->addAction(tr("&Undo"), history_->stack(), &QUndoStack::undo);
  undo_->setShortcut(QKeySequence::Undo);
  redo_ = edit->addAction(tr("&Redo"), history_->stack(), &QUndoStack::redo);
  redo_->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
  connect(history_->stack(), &QUndoStack::indexChanged, this, &MainWindow::updateUndoActions);
  connect(history_->stack(), &QUndoStack::cleanChanged, this, &MainWindow::updateUndoActions);
  edit->addSeparator();
  edit->addAction(tr("&Find Node…"), this, [this] { findBar_->open(); })->setShortcut(QKeySequence::Find);
  QAction* pin = edit->addAction(tr("&Pin or Unpin Selection"), this, [this] {
    const auto sel = graph_->selectedNodes();
    if (sel.empty()) return;
    const bool pinAll = !std::all_of(sel.begin(), sel.end(), [this](const NodeKey& k) { return state_->isPinned(k); });
    history_->edit([&] {
      for (const auto& k : sel)
        if (k.node.layer >= 0) state_->setPinned(k, pinAll);
    });
  });
  pin->setShortcut(QKeySequence(Qt::Key_P));
  editActions_.push_back(pin);
  updateUndoActions();
}

void MainWindow::updateUndoActions() {
  if (!undo_) return;
  const QUndoStack* s = history_->stack();
  const bool live = importedPath_.isEmpty();
  undo_->setEnabled(live && s->canUndo());
  redo_->setEnabled(live && s->canRedo());
  undo_->setText(s->canUndo() ? tr("&Undo %1").arg(s->undoText()) : tr("&Undo"));
  redo_->setText(s->canRedo() ? tr("&Redo %1").arg(s->redoText()) : tr("&Redo"));
}

void MainWindow::wireAnnotations() {
  connect(history_->stack(), &QUndoStack::indexChanged, this, &MainWindow::updateUndoActions);
  connect(state_, &InterventionState::annotationsChanged, this, [this] {
    if (!applyingSession_) setWindowModified(true);
    graph_->setPinned(state_->pins());
    showLabels();
    refreshInspectorLabel();
    // A pin below the threshold adds its node to the graph, an unpin removes it.
    std::vector<NodeKey> keys;
    for (const auto& n : shownNodes()) keys.push_back(NodeKey{lastTrace().basis, n.node});
    if (keys != shownKeys_) showCircuit();
  });
  connect(state_, &InterventionState::changed, this, &MainWindow::applyCollapsed);
  connect(traces_, &TraceController::autoLabelsReady, this, [this] {
    showLabels();
    refreshInspectorLabel();
  });
  connect(models_, &ModelController::indexOpened, traces_, &TraceController::requestAutoLabels);
  for (auto signal : {&CircuitGraphView::nodeActivated, &CircuitGraphView::nodeClicked}) {
    connect(graph_, signal, this, [this](const NodeKey&) {
      inspectorDock_->show();
      inspectorDock_->raise();
    });
  }
  connect(inspector_, &NeuronInspector::labelEdited, this, [this](int layer, int index, const QString& text) {
    if (importedPath_.isEmpty()) state_->setLabel(layer, index, text);
  });
  connect(inspector_, &NeuronInspector::nodeRequested, this, &MainWindow::goToNode);
  connect(findBar_, &FindBar::findRequested, this, &MainWindow::findInGraph);
  connect(graphFiles_, &JobRunner::failed, this, [this](const QString& name, const QString& message) {
    showError(tr("%1 failed: %2").arg(name, message), true);
  });
  connect(neuronRunner_, &JobRunner::failed, this, [this](const QString&, const QString& message) {
    inspector_->showLogitError(inspector_->inspected(), message);
  });
}

void MainWindow::showLabels() {
  // The user's label wins over the automatic one of the same neuron.
  std::map<NeuronId, QString> labels = lastTrace().autoLabels;
  std::set<NeuronId> automatic;
  for (const auto& [n, text] : labels) {
    if (!state_->labels().count(n)) automatic.insert(n);
  }
  for (const auto& [n, text] : state_->labels()) labels[n] = text;
  graph_->setNodeLabels(std::move(labels), std::move(automatic));
}

void MainWindow::refreshInspectorLabel() {
  if (!inspector_->hasNeuron()) return;
  const NodeKey& k = inspector_->inspected();
  const auto& automatic = lastTrace().autoLabels;
  const auto it = automatic.find({k.node.layer, k.node.index});
  inspector_->setLabels(state_->label(k.node.layer, k.node.index), it == automatic.end() ? QString() : it->second);
}

void MainWindow::onNodeSelected(const NodeKey& key) {
  if (!importedPath_.isEmpty() || key.node.layer < 0 || key.node.layer >= lastTrace().layers) {
    // Imported nodes, embeddings, logits and supernodes: no trace row to show, only their edges.
    inspector_->clear();
    inspector_->setEdges(graph_->edgesOf(key));
    return;
  }
  inspector_->inspect(lastTrace(), key);
  models_->requestExemplars(key, lastTrace().featureIndex);
  inspector_->setEdges(graph_->edgesOf(key));
  refreshInspectorLabel();
  requestLogitEffect(key);
}

void MainWindow::requestLogitEffect(const NodeKey& key) {
  const auto model = models_->model();
  if (!model || !inspector_->hasNeuron()) return;
  if (key.basis != ce::core::Basis::MlpAct) {
    inspector_->showLogitError(key, tr("The direct logit effect is computed for MLP neurons (mlp_act)"));
    return;
  }
  neuronRunner_->start<ce::core::LogitEffect>(
      tr("Logit effect"),
      [model, key](const ce::core::JobControl&) {
        return ce::core::neuron_logit_effect(*model, key.node.layer, key.node.index, kLogitTokens);
      },
      [this, key](ce::core::LogitEffect& effect) {
        inspector_->showLogitEffect(key, effect);
        Q_EMIT logitEffectShown();
      });
}

void MainWindow::goToNode(const NodeKey& key) {
  if (!graph_->anyItem(key)) return;
  graph_->focusNodes({key});
  inspectorDock_->show();
  inspectorDock_->raise();
}

std::vector<NodeKey> MainWindow::findInGraph(const QString& query) {
  const QString q = query.trimmed();
  if (q.isEmpty()) {
    findBar_->setResult(QString(), true);
    return {};
  }
  const std::vector<NodeKey> keys = graph_->findNodes(q);
  if (keys.empty()) {
    findBar_->setResult(tr("no node matches '%1'").arg(q), false);
    return {};
  }
  graph_->focusNodes(keys);
  if (keys.size() == 1) {
    const NodeItem* item = graph_->anyItem(keys.front());
    findBar_->setResult(item ? graph_->nodeName(item) : neuronName(keys.front()), true);
    inspectorDock_->show();
    inspectorDock_->raise();
  } else {
    findBar_->setResult(tr("%n nodes", nullptr, static_cast<int>(keys.size())), true);
  }
  return keys;
}

void MainWindow::extendNodeMenu(QMenu* menu, const NodeKey& key) {
  if (!importedPath_.isEmpty()) return;  // read-only
  if (key.node.layer == CircuitGraphView::kSupernodeLayer) {
    // A collapsed group: its own menu, Expand among it.
    const size_t i = static_cast<size_t>(key.node.index);
    if (i >= appliedCollapsed_.size()) return;
    const auto& groups = state_->groups();
    for (size_t g = 0; g < groups.size(); ++g) {
      if (groups[g].name != appliedCollapsed_[i].name) continue;
      menu->addSeparator();
      fillGroupMenu(menu->addMenu(tr("Group \u201c%1\u201d").arg(groups[g].name)), static_cast<int>(g));
      break;
    }
    return;
  }
  if (key.node.layer < 0 || key.node.layer >= lastTrace().layers) return;  // embeddings, the logit
  // The menu acts on the selection when the node is part of it, as the graph's own entries do.
  std::vector<NodeKey> targets = graph_->selectedNodes();
  if (std::find(targets.begin(), targets.end(), key) == targets.end()) targets = {key};
  const bool pinned = state_->isPinned(key);
  menu->addSeparator();
  menu->addAction(pinned ? tr("Unpin") : tr("Pin (keep whatever the threshold)"), this, [this, targets, pinned] {
    history_->edit([&] {
      for (const auto& k : targets)
        if (k.node.layer >= 0) state_->setPinned(k, !pinned);
    });
  });
  menu->addAction(tr("Label %1…").arg(QString::fromStdString(ce::core::node_name(key.node.layer, key.node.index))),
                  this, [this, key] {
                    bool ok = false;
                    const QString text = QInputDialog::getText(
                        this, tr("Label"),
                        tr("Label of %1 at every position (empty: the automatic one):")
                            .arg(QString::fromStdString(ce::core::node_name(key.node.layer, key.node.index))),
                        QLineEdit::Normal, state_->label(key.node.layer, key.node.index), &ok);
                    if (ok) state_->setLabel(key.node.layer, key.node.index, text);
                  });
  for (int g : state_->groupsOf(key)) {
    menu->addSeparator();
    fillGroupMenu(menu->addMenu(tr("Group \u201c%1\u201d").arg(state_->groups()[static_cast<size_t>(g)].name)), g);
  }
}

void MainWindow::addCollapseAction(QMenu* menu, int group) {
  if (group < 0 || group >= static_cast<int>(state_->groups().size()) || !importedPath_.isEmpty()) return;
  const QString name = state_->groups()[static_cast<size_t>(group)].name;
  const bool collapsed = collapsed_.count(name) > 0;
  menu->addSeparator();
  menu->addAction(collapsed ? tr("Expand") : tr("Collapse into One Node"), this,
                  [this, name, collapsed] { setGroupCollapsed(name, !collapsed); });
  if (state_->groups().size() < 2) return;
  QMenu* merge = menu->addMenu(tr("Merge Into"));
  for (size_t g = 0; g < state_->groups().size(); ++g) {
    if (static_cast<int>(g) == group) continue;
    merge->addAction(state_->groups()[g].name, this,
                     [this, into = static_cast<int>(g), group] { state_->mergeGroups(into, group); });
  }
}

void MainWindow::setGroupCollapsed(const QString& name, bool collapsed) {
  if (collapsed) {
    collapsed_.insert(name);
  } else {
    collapsed_.erase(name);
  }
  applyCollapsed();
}

void MainWindow::applyCollapsed() {
  if (!importedPath_.isEmpty()) return;
  // By name: a renamed or removed group is no longer collapsed, one renamed back is again.
  std::vector<Supernode> groups;
  for (const auto& g : state_->groups()) {
    if (collapsed_.count(g.name)) groups.push_back({g.name, g.color, g.nodes});
  }
  auto same = [](const std::vector<Supernode>& a, const std::vector<Supernode>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].name != b[i].name || a[i].color != b[i].color || a[i].members != b[i].members) return false;
    }
    return true;
  };
  // A slider step changes no group's members: the graph is not rebuilt for it.
  if (same(groups, appliedCollapsed_)) return;
  appliedCollapsed_ = groups;
  graph_->setCollapsed(std::move(groups));
}

}  // namespace ce::ui
