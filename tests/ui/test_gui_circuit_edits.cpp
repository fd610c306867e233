// The circuit edits beyond interventions, offscreen on the Texas trace: pins that outlive the threshold, undo
// and redo through the Edit menu, the find bar, the Neuron panel's edges and direct logit effect, and graph
// JSON out and back in. Each case starts from a fresh window (init()).
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>
#include <memory>
#include <set>

#include "ce/core/graphs/attribution_graph.h"
#include "ce/core/graphs/logit_effect.h"
#include "graph/circuit_graph_view.h"
#include "graph/node_item.h"
#include "gui_support.h"
#include "panels/find_bar.h"
#include "panels/neuron_inspector.h"
#include "panels/prompt_panel.h"
#include "state/circuit_history.h"
#include "state/intervention_state.h"

using ce::ui::CircuitSnapshot;
using ce::ui::MainWindow;
using ce::ui::NodeKey;

namespace {
NodeKey neuron(int layer, int pos, int index) {
  NodeKey k;
  k.node = {layer, pos, index};
  return k;
}

// L3/N701 at " is": the Texas trace's largest node (README, "The Texas walkthrough").
const NodeKey kN701 = neuron(3, 10, 701);
}  // namespace

class TestGuiCircuitEdits : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
  void init() { ce::test::openExplorer(w_); }
  void cleanup() { w_.reset(); }
  void pinnedNodeStaysBelowThreshold();
  void undoRedoThroughTheEditMenu();
  void findBarFindsNodesAndLabels();
  void neuronPanelListsEdgesAndLogits();
  void graphJsonRoundTrip();
  void collapsedGroupFollowsItsName();

 private:
  std::unique_ptr<MainWindow> w_;
  QTemporaryDir tmp_;
};

void TestGuiCircuitEdits::pinnedNodeStaysBelowThreshold() {
  auto* graph = w_->graphView();
  // The threshold slider at 3/4: only the strongest nodes stay.
  w_->promptPanel()->thresholdSlider()->setValue(750);
  const double threshold = w_->promptPanel()->settings().threshold;
  QVERIFY(threshold > 0);
  ce::core::NodeEffect weak{};
  bool found = false;
  for (const auto& n : w_->lastTrace().nodes) {
    if (std::abs(n.effect) < threshold) {
      weak = n;
      found = true;
      break;
    }
  }
  QVERIFY(found);
  const NodeKey key{ce::core::Basis::MlpAct, weak.node};
  QVERIFY(!graph->nodeItem(key));
  const int before = w_->currentCircuitSize();
  w_->interventions()->setPinned(key, true);
  QVERIFY(graph->nodeItem(key));
  QCOMPARE(w_->currentCircuitSize(), before + 1);
  QCOMPARE(w_->shownNodes().size(), static_cast<size_t>(before + 1));
  QCOMPARE(w_->undoAction()->text(), QStringLiteral("&Undo Pin %1")
                                         .arg(QString::fromStdString(ce::core::node_name(weak.node.layer, weak.node.index,
                                                                                         weak.node.pos))));
  // Undo unpins it: it goes with the threshold again.
  w_->undoAction()->trigger();
  QVERIFY(!graph->nodeItem(key));
  QCOMPARE(w_->currentCircuitSize(), before);
}

void TestGuiCircuitEdits::undoRedoThroughTheEditMenu() {
  auto* state = w_->interventions();
  auto* graph = w_->graphView();
  auto* history = w_->history();
  QCOMPARE(history->stack()->count(), 0);  // the start-up trace is no edit
  std::vector<CircuitSnapshot> states{history->current()};
  auto step = [&] { states.push_back(history->current()); };
  const NodeKey a = neuron(0, 5, w_->lastTrace().nodes[1].node.index);
  const NodeKey b{ce::core::Basis::MlpAct, w_->lastTrace().nodes[2].node};
  // 1. Ablate from the graph's context menu (its signal).
  Q_EMIT graph->nodeFactorRequested({kN701}, 0.0);
  step();
  QCOMPARE(w_->undoAction()->text(), QStringLiteral("&Undo Ablate L3/N701@10"));
  // 2. Make a group of two nodes; 3. drag its steering slider from ×1 to ×4 in 12 steps: one step.
  Q_EMIT graph->groupRequested({b, kN701});
  step();
  for (int v = 5; v <= 16; ++v) state->setGroupFactor(0, v / 4.0);
  step();
  QCOMPARE(history->stack()->count(), 3);
  QCOMPARE(w_->undoAction()->text(), QStringLiteral("&Undo Steer Group \u201cGroup 1\u201d \u00d74"));
  // 4. Mean-ablate b.
  Q_EMIT graph->meanAblationRequested({b});
  step();
  QVERIFY(state->nodeValues().count(b));
  // 5. Label L3/N701 in the Neuron panel's field.
  QVERIFY(w_->inspectNode(kN701));
  w_->inspector()->labelEdit()->setText(QStringLiteral("says Austin"));
  Q_EMIT w_->inspector()->labelEdit()->editingFinished();
  step();
  QCOMPARE(state->label(3, 701), QStringLiteral("says Austin"));
  // 6. Pin the selection (Edit › Pin or Unpin Selection).
  w_->findChild<QAction*>(QString(), Qt::FindChildrenRecursively);  // the menus exist
  graph->selectNodes({kN701});
  bool pinned = false;
  for (QAction* act : w_->findChildren<QAction*>()) {
    if (act->text() == QStringLiteral("&Pin or Unpin Selection")) {
      act->trigger();
      pinned = true;
    }
  }
  QVERIFY(pinned);
  step();
  QVERIFY(state->isPinned(kN701));
  // 7. The threshold slider.
  w_->promptPanel()->thresholdSlider()->setValue(500);
  step();
  // 8. Rename the group, 9. Reset.
  state->renameGroup(0, QStringLiteral("Texas"));
  step();
  state->reset();
  step();
  QCOMPARE(history->stack()->count(), 9);
  QCOMPARE(w_->undoAction()->text(), QStringLiteral("&Undo Reset"));
  Q_UNUSED(a);
  // Undo each step through the menu: the exact circuit before it, and the graph draws it.
  for (size_t i = states.size() - 1; i > 0; --i) {
    QVERIFY(w_->undoAction()->isEnabled());
    w_->undoAction()->trigger();
    QVERIFY2(history->current() == states[i - 1], qPrintable(QStringLiteral("undo of step %1").arg(i)));
    QCOMPARE(w_->promptPanel()->settings().threshold, states[i - 1].threshold);
  }
  QVERIFY(!w_->undoAction()->isEnabled());
  QCOMPARE(graph->nodeItem(kN701)->factor(), 1.0);
  QVERIFY(state->groups().empty() && state->labels().empty() && state->pins().empty());
  // Redo re-applies them all (Ctrl+Shift+Z and Ctrl+Y are its shortcuts).
  QCOMPARE(w_->redoAction()->shortcuts().size(), 2);
  for (size_t i = 1; i < states.size(); ++i) {
    w_->redoAction()->trigger();
    QVERIFY2(history->current() == states[i], qPrintable(QStringLiteral("redo of step %1").arg(i)));
  }
  QCOMPARE(state->groups().at(0).name, QStringLiteral("Texas"));
  // Labels and pins survive a session round trip; opening it starts a new history.
  const QString path = tmp_.filePath(QStringLiteral("edits.json"));
  QVERIFY(w_->saveSession(path));
  state->setLabel(3, 701, QString());
  state->setPinned(kN701, false);
  QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
  QVERIFY(w_->openSession(path));
  QVERIFY(traced.wait(120000));
  QCOMPARE(state->label(3, 701), QStringLiteral("says Austin"));
  QVERIFY(state->isPinned(kN701));
  QCOMPARE(history->stack()->count(), 0);
}

void TestGuiCircuitEdits::findBarFindsNodesAndLabels() {
  auto* graph = w_->graphView();
  auto* bar = w_->findBar();
  QTest::keyClick(w_.get(), Qt::Key_F, Qt::ControlModifier);
  QVERIFY(bar->isVisible());
  QVERIFY(bar->field()->hasFocus());
  QTest::keyClicks(bar->field(), QStringLiteral("L3/N701@10"));
  QTest::keyClick(bar->field(), Qt::Key_Return);
  QCOMPARE(graph->selectedNodes(), std::vector<NodeKey>{kN701});
  QCOMPARE(bar->result(), QStringLiteral("L3/N701@10"));
  QCOMPARE(w_->inspector()->inspected(), kN701);
  // A label finds its neuron wherever the graph shows it.
  w_->interventions()->setLabel(3, 701, QStringLiteral("capital of Texas"));
  bar->field()->setText(QStringLiteral("OF TEXAS"));
  QTest::keyClick(bar->field(), Qt::Key_Return);
  const auto sel = graph->selectedNodes();
  QVERIFY(!sel.empty());
  for (const auto& k : sel) QVERIFY(k.node.layer == 3 && k.node.index == 701);
  QVERIFY(std::find(sel.begin(), sel.end(), kN701) != sel.end());
  // Garbage: the bar itself says so, and the selection stays.
  bar->field()->setText(QStringLiteral("zzz-no-node"));
  QTest::keyClick(bar->field(), Qt::Key_Return);
  QCOMPARE(bar->result(), QStringLiteral("no node matches 'zzz-no-node'"));
  QCOMPARE(graph->selectedNodes(), sel);
}

void TestGuiCircuitEdits::neuronPanelListsEdgesAndLogits() {
  auto* graph = w_->graphView();
  auto* inspector = w_->inspector();
  QSignalSpy logits(w_.get(), &MainWindow::logitEffectShown);
  QVERIFY(w_->inspectNode(kN701));
  const auto listed = inspector->edgeList()->edges();
  QVERIFY(listed.size() >= 3);
  // The graph's edges, strongest first, each weight the core edge's own.
  const auto expected = graph->edgesOf(kN701);
  QCOMPARE(listed.size(), expected.size());
  int fromCore = 0;
  for (size_t i = 0; i < listed.size(); ++i) {
    QCOMPARE(listed[i].other, expected[i].other);
    QCOMPARE(listed[i].weight, expected[i].weight);
    if (i) QVERIFY(std::abs(listed[i - 1].weight) >= std::abs(listed[i].weight));
    for (const auto& e : w_->lastTrace().edges) {
      const auto& mine = listed[i].incoming ? e.dst : e.src;
      const auto& theirs = listed[i].incoming ? e.src : e.dst;
      if (mine.kind == ce::core::EdgeEnd::Kind::Neuron && mine.node == kN701.node &&
          theirs.kind == ce::core::EdgeEnd::Kind::Neuron && theirs.node == listed[i].other.node) {
        QCOMPARE(listed[i].weight, e.weight);
        ++fromCore;
      }
    }
  }
  QVERIFY(fromCore > 0);
  QCOMPARE(inspector->edgeList()->topLevelItemCount(), static_cast<int>(listed.size()));
  QVERIFY(inspector->edgeList()->topLevelItem(0)->text(1).startsWith(listed[0].weight < 0 ? QLatin1Char('-')
                                                                                           : QLatin1Char('+')));
  // The direct logit effect equals core's for L3/N701.
  QVERIFY(logits.count() > 0 || logits.wait(30000));
  const auto core = ce::core::neuron_logit_effect(*w_->model(), 3, 701, 10);
  const auto top = inspector->logitLists()->promoted();
  const auto bottom = inspector->logitLists()->suppressed();
  QCOMPARE(top.size(), core.top.size());
  QCOMPARE(bottom.size(), core.bottom.size());
  for (size_t i = 0; i < top.size(); ++i) {
    QCOMPARE(top[i].first, QString::fromStdString(core.top[i].text));
    QCOMPARE(top[i].second, static_cast<double>(core.top[i].value));
    QCOMPARE(bottom[i].first, QString::fromStdString(core.bottom[i].text));
    QCOMPARE(bottom[i].second, static_cast<double>(core.bottom[i].value));
  }
  qInfo("L3/N701 promotes %s (%+.3f), suppresses %s (%+.3f)", core.top[0].text.c_str(), core.top[0].value,
        core.bottom[0].text.c_str(), core.bottom[0].value);
  // Clicking the first neuron row goes to that node.
  size_t row = 0;
  while (row < listed.size() &&
         (listed[row].other.node.layer < 0 || listed[row].other.node.layer >= w_->lastTrace().layers))
    ++row;
  QVERIFY(row < listed.size());
  auto* list = inspector->edgeList();
  inspector->showTab(1);
  QVERIFY(list->isVisible());
  const QRect r = list->visualItemRect(list->topLevelItem(static_cast<int>(row)));
  QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, r.center());
  QTRY_COMPARE(graph->selectedNodes(), std::vector<NodeKey>{listed[row].other});
  QCOMPARE(inspector->inspected(), listed[row].other);
}

void TestGuiCircuitEdits::graphJsonRoundTrip() {
  auto* state = w_->interventions();
  const auto& t = w_->lastTrace();
  QVERIFY(t.edgeNodes.size() >= 3);
  const NodeKey b{ce::core::Basis::MlpAct, t.edgeNodes[1].node};
  const NodeKey c{ce::core::Basis::MlpAct, t.edgeNodes[2].node};
  state->setPinned(kN701, true);
  state->setLabel(3, 701, QStringLiteral("says Austin"));
  state->addGroup(QStringLiteral("pair"), {b, c});
  const int shownBefore = static_cast<int>(w_->graphView()->nodeItems().size());
  // A foreign schema first: one clear error, and the live graph stays.
  const QString path = tmp_.filePath(QStringLiteral("texas.json"));
  QSignalSpy saved(w_.get(), &MainWindow::graphJsonSaved);
  QVERIFY(w_->exportGraphJson(path));
  QVERIFY(saved.wait(60000));
  QFile f(path);
  QVERIFY(f.open(QIODevice::ReadOnly));
  QByteArray text = f.readAll();
  const QString foreign = tmp_.filePath(QStringLiteral("v2.json"));
  {
    QByteArray v2 = text;
    v2.replace("\"schema_version\": 1", "\"schema_version\": 2");
    QVERIFY(v2 != text);
    QFile out(foreign);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(v2);
  }
  QSignalSpy failed(w_->graphFileRunner(), &ce::ui::JobRunner::failed);
  w_->openGraphJson(foreign);
  QVERIFY(failed.wait(30000));
  QCOMPARE(w_->lastError(), QStringLiteral("Opening graph JSON failed: %1: metadata.schema_version: version 2 is not "
                                           "supported (only 1)")
                                .arg(foreign));
  QVERIFY(!w_->graphView()->isImported());
  QCOMPARE(static_cast<int>(w_->graphView()->nodeItems().size()), shownBefore);

  // What was written: the trace's edge neurons, embeddings and logit, every edge, and the annotations.
  const auto g = ce::core::read_graph_json(path.toStdString());
  const size_t neurons = t.edgeNodes.size(), positions = static_cast<size_t>(t.positions);
  QCOMPARE(g.nodes.size(), neurons + positions + 1);
  QCOMPARE(g.links.size(), t.edges.size());
  QCOMPARE(g.qparams.pinned_ids, std::vector<std::string>{"3_701_10"});
  QCOMPARE(g.qparams.supernodes.size(), size_t{1});
  QCOMPARE(g.qparams.supernodes[0].label, std::string("pair"));
  const auto id = [](const NodeKey& k) {
    return std::to_string(k.node.layer) + "_" + std::to_string(k.node.index) + "_" + std::to_string(k.node.pos);
  };
  std::set<std::string> members(g.qparams.supernodes[0].node_ids.begin(), g.qparams.supernodes[0].node_ids.end());
  QCOMPARE(members, (std::set<std::string>{id(b), id(c)}));
  int labelled = 0;
  for (const auto& n : g.nodes) {
    if (n.node_id.rfind("3_701_", 0) == 0) {
      QCOMPARE(n.clerp, std::string("says Austin"));
      ++labelled;
    }
  }
  QVERIFY(labelled >= 1);
  QCOMPARE(g.metadata.prompt, MainWindow::texasPrompt().prompt.toStdString());
  // The feature files from the shipped exemplar index: one per neuron of the graph, named by its feature id.
  std::set<std::string> features;
  for (const auto& n : g.nodes) {
    if (ce::core::graph_node_kind(n.feature_type) == ce::core::GraphNodeKind::Neuron)
      features.insert(std::to_string(n.feature) + ".json");
  }
  const QDir folder(MainWindow::featureFolderOf(path));
  QCOMPARE(folder.path(), tmp_.filePath(QStringLiteral("texas_features")));
  std::set<std::string> written;
  for (const QString& name : folder.entryList(QDir::Files)) written.insert(name.toStdString());
  QCOMPARE(written, features);
  const auto l3 = std::find_if(g.nodes.begin(), g.nodes.end(),
                               [](const ce::core::GraphNode& n) { return n.node_id == "3_701_10"; });
  QVERIFY(l3 != g.nodes.end());
  QFile f701(folder.filePath(QString::number(l3->feature) + QStringLiteral(".json")));
  QVERIFY(f701.open(QIODevice::ReadOnly));
  const QJsonObject fo = QJsonDocument::fromJson(f701.readAll()).object();
  QCOMPARE(fo.value(QStringLiteral("index")).toDouble(), static_cast<double>(l3->feature));
  QCOMPARE(fo.value(QStringLiteral("layer")).toInt(), 3);
  QCOMPARE(fo.value(QStringLiteral("neuron")).toInt(), 701);

  // Opened in the window: read-only, the same nodes, links, pins, supernodes and labels.
  QSignalSpy opened(w_.get(), &MainWindow::graphJsonOpened);
  w_->openGraphJson(path);
  QVERIFY(opened.wait(30000));
  auto* graph = w_->graphView();
  QVERIFY(graph->isImported());
  QCOMPARE(w_->importedGraphPath(), path);
  QVERIFY(w_->windowTitle().startsWith(QStringLiteral("imported graph: texas.json (read-only)")));
  QVERIFY(!w_->undoAction()->isEnabled());
  QCOMPARE(graph->importedNodeId(kN701), QStringLiteral("3_701_10"));
  QCOMPARE(graph->labelOf(kN701), QStringLiteral("says Austin"));
  QVERIFY(graph->anyItem(kN701));
  QCOMPARE(graph->supernodeItems().size(), size_t{1});
  std::set<std::string> drawn;
  for (const auto* item : graph->nodeItems()) drawn.insert(graph->importedNodeId(item->key()).toStdString());
  for (const auto* item : graph->supernodeItems()) Q_UNUSED(item);
  int kept = 0;
  for (const auto& n : g.nodes) {
    if (ce::core::graph_node_kind(n.feature_type) == ce::core::GraphNodeKind::Neuron &&
        n.influence.value_or(0) <= g.metadata.node_threshold.value_or(0.8)) {
      QVERIFY2(drawn.count(n.node_id), n.node_id.c_str());
      ++kept;
    }
  }
  QVERIFY(kept >= 3);
  // Edits are off; a new trace returns to the live circuit with its edits.
  const auto edits = state->snapshot();
  QVERIFY(ce::test::retrace(*w_));
  QVERIFY(!graph->isImported());
  QVERIFY(w_->importedGraphPath().isEmpty());
  QVERIFY(graph->nodeItem(kN701));
  QVERIFY(state->snapshot() == edits);
  // The live circuit's label and pin are drawn again (the imported graph had replaced them).
  QCOMPARE(graph->labelOf(kN701), QStringLiteral("says Austin"));
  QVERIFY(graph->nodeItem(kN701)->pinned());
}

void TestGuiCircuitEdits::collapsedGroupFollowsItsName() {
  auto* state = w_->interventions();
  auto* graph = w_->graphView();
  const auto& t = w_->lastTrace();
  const NodeKey b{ce::core::Basis::MlpAct, t.edgeNodes[1].node};
  state->addGroup(QStringLiteral("pair"), {kN701, b});
  w_->setGroupCollapsed(QStringLiteral("pair"), true);
  QCOMPARE(graph->supernodeItems().size(), size_t{1});
  const NodeKey super = graph->supernodeItems().front()->key();
  QCOMPARE(super.node.layer, ce::ui::CircuitGraphView::kSupernodeLayer);
  QVERIFY(!graph->edgesOf(super).empty());
  QVERIFY(graph->edgesOf(kN701).empty());  // a member's edges belong to its supernode
  // The group's name is its label: the find bar finds the supernode by it.
  QCOMPARE(w_->findInGraph(QStringLiteral("pair")), std::vector<NodeKey>{super});
  // Collapsed by name: a renamed group expands, the rename undone collapses it again.
  state->renameGroup(0, QStringLiteral("Texas"));
  QCOMPARE(graph->supernodeItems().size(), size_t{0});
  w_->undoAction()->trigger();
  QCOMPARE(state->groups().at(0).name, QStringLiteral("pair"));
  QCOMPARE(graph->supernodeItems().size(), size_t{1});
  // Removing the group removes its node; Expand gives the members back.
  state->removeGroup(0);
  QCOMPARE(graph->supernodeItems().size(), size_t{0});
  w_->undoAction()->trigger();
  QCOMPARE(graph->supernodeItems().size(), size_t{1});
  w_->setGroupCollapsed(QStringLiteral("pair"), false);
  QCOMPARE(graph->supernodeItems().size(), size_t{0});
  QVERIFY(!graph->edgesOf(kN701).empty());
}

QTEST_MAIN(TestGuiCircuitEdits)
#include "test_gui_circuit_edits.moc"
