// The explorer's graph and edits on the demo model, offscreen: the start-up trace, selection by click and
// rubber band, the inspector's exemplars, zero and mean ablation, steering, the node and group menus, the
// threshold and the Texas walkthrough's groups. Each case starts from a fresh window (init()).

#include <QApplication>
#include <QContextMenuEvent>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenu>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <algorithm>
#include <cmath>
#include <memory>

#include "ce/core/base/resources.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "graph/circuit_graph_view.h"
#include "graph/graph_legend.h"
#include "graph/graph_style.h"
#include "graph/node_item.h"
#include "gui_support.h"
#include "panels/curves_view.h"
#include "panels/exemplar_rows.h"
#include "panels/neuron_inspector.h"
#include "panels/prompt_panel.h"
#include "panels/steering_panel.h"
#include "panels/token_chart.h"
#include "state/intervention_state.h"
#include "state/session.h"

using ce::test::findAction;
using ce::test::retrace;
using ce::test::waitLive;
using ce::ui::MainWindow;
using ce::ui::NodeItem;
using ce::ui::NodeKey;

class TestGuiGraph : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase();
  void init();
  void cleanup();
  void demoModelLoads();
  void traceFillsGraph();
  void texasCaptionsAndColours();
  void clickSelectsNode();
  void inspectorShowsExemplars();
  void rubberBandSelects();
  void ablationChangesChart();
  void meanAblationDiffersFromZero();
  void steeringSliderChangesContinuation();
  void contextMenuAblates();
  void groupMenuAblatesAndSteers();
  void thresholdHidesNodes();
  void specificGroupsFlipTexas();

 private:
  std::unique_ptr<MainWindow> w_;
  QTemporaryDir tmp_;
};

void TestGuiGraph::initTestCase() { QStandardPaths::setTestModeEnabled(true); }

// Every case starts from the explorer as it opens, whatever the case before it did, so any one of them
// can run alone.
void TestGuiGraph::init() { ce::test::openExplorer(w_); }

void TestGuiGraph::cleanup() { w_.reset(); }

void TestGuiGraph::demoModelLoads() {
  QVERIFY(w_->model());
  const auto info = w_->model()->info();
  QCOMPARE(info.layers, 4);
  QCOMPARE(info.d_mlp, 768);
  // The live chart follows the load: the demo model answers " Austin".
  QVERIFY(!w_->tokenChart()->tokens().empty());
  QCOMPARE(QString::fromStdString(w_->tokenChart()->tokens()[0].text), QStringLiteral(" Austin"));
  QVERIFY2(w_->steeringPanel()->continuation().contains(QStringLiteral("Austin")),
           qPrintable(w_->steeringPanel()->continuation()));
  // The text that follows the prompt: " Austin." with its space, without the end-of-sequence marker.
  QVERIFY2(w_->steeringPanel()->continuation().startsWith(QStringLiteral(" Austin")) &&
               !w_->steeringPanel()->continuation().contains(QStringLiteral("</s>")),
           qPrintable(w_->steeringPanel()->continuation()));
}

void TestGuiGraph::traceFillsGraph() {
  auto* g = w_->graphView();
  QVERIFY(!g->nodeItems().empty());
  QCOMPARE(static_cast<int>(g->nodeItems().size()), w_->promptPanel()->settings().topK);
  QVERIFY(g->edgeCount() > 0);
  QCOMPARE(w_->lastTrace().tokens.size(), 11);
  // The legend names the answer the traced metric favours.
  QCOMPARE(g->legend()->positiveText(), QStringLiteral("raises the metric (for \u201c Austin\u201d)"));
  // Larger |effect| draws a larger node.
  const auto& nodes = g->nodeItems();
  const auto big = std::max_element(nodes.begin(), nodes.end(), [](NodeItem* a, NodeItem* b) {
    return std::fabs(a->effect()) < std::fabs(b->effect());
  });
  for (NodeItem* n : nodes) QVERIFY(n->radius() <= (*big)->radius());
  // Hover text names the neuron, its position's token, activation and effect.
  const QString tip = g->toolTipFor(*big);
  QVERIFY2(tip.contains((*big)->label()) && tip.contains(QStringLiteral("activation")) &&
               tip.contains(w_->lastTrace().tokens[(*big)->key().node.pos]),
           qPrintable(tip));
}

void TestGuiGraph::texasCaptionsAndColours() {
  // The Texas trace at the default zoom: the top node's id is legible beside it and keeps it when ablated;
  // nodes that raise the metric (" Austin" over the contrast) are drawn blue.
  auto* g = w_->graphView();
  const auto& top = w_->lastTrace().nodes.front();
  const NodeKey key{ce::core::Basis::MlpAct, top.node};
  QCOMPARE(ce::core::node_name(top.node.layer, top.node.index), std::string("L3/N701"));
  // The first line is the id (an automatic label from the exemplars may follow on the second).
  auto firstLine = [g](const NodeKey& k) { return g->captionOf(k).section(QLatin1Char('\n'), 0, 0); };
  QCOMPARE(firstLine(key), QStringLiteral("L3/N701"));
  int captioned = 0;
  for (NodeItem* n : g->nodeItems()) captioned += g->captionOf(n->key()).isEmpty() ? 0 : 1;
  qInfo("Texas trace: %d of %zu nodes captioned at the default zoom; L3/N701 effect %.3f", captioned,
        g->nodeItems().size(), static_cast<double>(top.effect));
  QVERIFY(captioned >= 10);
  // Replacing L3/N701 lowers the metric (effect −1.298): it carries " Austin", and is blue.
  QVERIFY(top.effect < 0);
  QCOMPARE(g->nodeItem(key)->fillColor(), ce::ui::style::raises());
  QSignalSpy live(w_.get(), &MainWindow::liveUpdated);
  w_->interventions()->setNodeFactor(key, 0.0);
  QCOMPARE(firstLine(key), QStringLiteral("L3/N701 ×0"));
  w_->interventions()->setNodeFactor(key, 1.0);
  QCOMPARE(firstLine(key), QStringLiteral("L3/N701"));
  QVERIFY(waitLive(*w_, live));
}

void TestGuiGraph::clickSelectsNode() {
  auto* g = w_->graphView();
  g->fitAll();
  NodeItem* target = g->nodeItems().front();
  for (NodeItem* n : g->nodeItems()) {
    if (n->radius() > target->radius()) target = n;
  }
  QVERIFY(!target->isSelected());
  const QPoint at = g->mapFromScene(target->scenePos());
  QSignalSpy sel(g, &ce::ui::CircuitGraphView::selectionChanged);
  QTest::mouseClick(g->viewport(), Qt::LeftButton, Qt::NoModifier, at);
  QVERIFY(target->isSelected());
  QCOMPARE(static_cast<int>(g->selectedNodes().size()), 1);
  QVERIFY(sel.count() > 0);
  // The inspector follows the selection: the neuron's activation at every prompt position.
  const auto acts = w_->inspector()->activations();
  QCOMPARE(static_cast<int>(acts.size()), w_->lastTrace().tokens.size());
  QVERIFY(std::fabs(acts[static_cast<size_t>(target->key().node.pos)] - target->activation()) < 1e-4);
  QVERIFY(w_->inspector()->title().startsWith(target->label()));
  // Ctrl-click adds a second node.
  NodeItem* other = nullptr;
  for (NodeItem* n : g->nodeItems()) {
    if (n != target && n->radius() > 4 && (!other || n->radius() > other->radius())) other = n;
  }
  QVERIFY(other);
  QTest::mouseClick(g->viewport(), Qt::LeftButton, Qt::ControlModifier, g->mapFromScene(other->scenePos()));
  QCOMPARE(static_cast<int>(g->selectedNodes().size()), 2);
}

void TestGuiGraph::inspectorShowsExemplars() {
  // The demo model's shipped index is found at load, and the inspector shows what it holds.
  const auto index = w_->exemplarIndex();
  QVERIFY2(index, "the shipped exemplar index was not opened for the demo model");
  auto* g = w_->graphView();
  NodeItem* target = nullptr;
  for (NodeItem* n : g->nodeItems()) {
    if (!target || std::fabs(n->effect()) > std::fabs(target->effect())) target = n;
  }
  QVERIFY(target);
  QSignalSpy done(w_->exemplarRunner(), &ce::ui::JobRunner::succeeded);
  g->selectNodes({target->key()});
  QVERIFY2(done.wait(10000), qPrintable(w_->lastError()));
  const auto& node = target->key().node;
  const auto& model = *w_->model();
  const QString html = w_->inspector()->exemplarHtml();
  for (auto polarity : {ce::core::Polarity::Positive, ce::core::Polarity::Negative}) {
    const auto expected = ce::core::distinct_exemplars(*index, node.layer, node.index, polarity, 5);
    const auto& shown = w_->inspector()->exemplars(polarity);
    QCOMPARE(expected.size(), size_t{5});
    QCOMPARE(shown.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      QString text, maxToken;
      for (size_t j = 0; j < expected[i].tokens.size(); ++j) {
        const int id = expected[i].tokens[j];
        // The BOS has no text and is left out, unless it is the max token itself.
        if (j == 0 && id == model.tokenizer().bos_id() && expected[i].position != 0) continue;
        const QString piece = QString::fromStdString(model.token_text(id));
        if (static_cast<int>(j) == expected[i].position) maxToken = piece;
        text += piece;
      }
      QCOMPARE(shown[i].text, text);
      QCOMPARE(shown[i].maxToken, maxToken);
      QCOMPARE(shown[i].activation, static_cast<double>(expected[i].activation));
      QCOMPARE(shown[i].text.mid(shown[i].maxStart, maxToken.size()), maxToken);
      // The max token is the one bold, coloured span of its row.
      const QString colour =
          polarity == ce::core::Polarity::Positive ? QStringLiteral("#d35400") : QStringLiteral("#2471a3");
      const QString span =
          QStringLiteral("<b><span style=\"color:%1\">%2</span></b>").arg(colour, maxToken.toHtmlEscaped());
      QVERIFY2(shown[i].html.count(QStringLiteral("<b>")) == 1 && shown[i].html.contains(span),
               qPrintable(shown[i].html));
      QVERIFY(html.contains(shown[i].html));
    }
    // Best first: positive descending, negative ascending.
    QVERIFY(polarity == ce::core::Polarity::Positive ? shown.front().activation >= shown.back().activation
                                                     : shown.front().activation <= shown.back().activation);
  }
  qInfo("%s: top exemplar \"%s\" (%.2f on \"%s\")", qPrintable(target->label()),
        qPrintable(w_->inspector()->exemplars(ce::core::Polarity::Positive)[0].text),
        w_->inspector()->exemplars(ce::core::Polarity::Positive)[0].activation,
        qPrintable(w_->inspector()->exemplars(ce::core::Polarity::Positive)[0].maxToken));
  // The hover text carries the first exemplar.
  const QString tip = g->toolTipFor(target);
  QVERIFY2(tip.contains(QStringLiteral("first exemplar: ") +
                        w_->inspector()->exemplars(ce::core::Polarity::Positive)[0].text.trimmed()),
           qPrintable(tip));
  // A file that is not an index fits no model: an error, and the shipped index stays.
  QSignalSpy failed(w_->heavyRunner(), &ce::ui::JobRunner::failed);
  w_->openExemplarIndex(QString::fromStdString(ce::core::default_model_dir()) +
                        QStringLiteral("/config.json"));
  QVERIFY(failed.wait(10000));
  QCOMPARE(w_->exemplarIndex(), index);
}

void TestGuiGraph::rubberBandSelects() {
  auto* g = w_->graphView();
  g->fitAll();
  // A rectangle around every node of the last layer.
  QRectF area;
  int inside = 0;
  for (NodeItem* n : g->nodeItems()) {
    if (n->key().node.layer == 3) {
      area |= n->sceneBoundingRect();
      ++inside;
    }
  }
  QVERIFY(inside > 1);
  const QPoint from = g->mapFromScene(area.topLeft() - QPointF(5, 5));
  const QPoint to = g->mapFromScene(area.bottomRight() + QPointF(5, 5));
  auto send = [g](QEvent::Type type, QPoint at, Qt::MouseButtons buttons) {
    QMouseEvent e(type, QPointF(at), QPointF(g->viewport()->mapToGlobal(at)), Qt::LeftButton, buttons,
                  Qt::ShiftModifier);
    QApplication::sendEvent(g->viewport(), &e);
  };
  send(QEvent::MouseButtonPress, from, Qt::LeftButton);
  send(QEvent::MouseMove, (from + to) / 2, Qt::LeftButton);
  send(QEvent::MouseMove, to, Qt::LeftButton);
  send(QEvent::MouseButtonRelease, to, Qt::NoButton);
  const auto sel = g->selectedNodes();
  QCOMPARE(static_cast<int>(sel.size()), inside);
  for (const auto& k : sel) QCOMPARE(k.node.layer, 3);
}

void TestGuiGraph::ablationChangesChart() {
  auto* g = w_->graphView();
  // The layer-3 node of largest |effect| selected, as a click or a rubber band leaves one.
  NodeItem* pick = nullptr;
  for (NodeItem* n : g->nodeItems()) {
    if (n->key().node.layer == 3 && (!pick || std::fabs(n->effect()) > std::fabs(pick->effect()))) pick = n;
  }
  QVERIFY(pick);
  g->selectNodes({pick->key()});
  QVERIFY(!g->selectedNodes().empty());
  const std::vector<double> before = w_->tokenChart()->values();
  QSignalSpy live(w_.get(), &MainWindow::liveUpdated);
  const NodeKey key = g->selectedNodes().front();
  Q_EMIT g->nodeFactorRequested({key}, 0.0);
  QVERIFY2(waitLive(*w_, live), qPrintable(w_->lastError()));
  const std::vector<double> after = w_->tokenChart()->values();
  QCOMPARE(after.size(), before.size());
  double diff = 0;
  for (size_t i = 0; i < after.size(); ++i) diff += std::fabs(after[i] - before[i]);
  QVERIFY2(diff > 1e-6, "ablating the node left the chart unchanged");
  QCOMPARE(g->nodeItem(key)->factor(), 0.0);
  // Reset restores the clean chart.
  w_->interventions()->reset();
  QVERIFY(waitLive(*w_, live));
  const std::vector<double> reset = w_->tokenChart()->values();
  for (size_t i = 0; i < reset.size(); ++i) QVERIFY(std::fabs(reset[i] - before[i]) < 1e-6);
}

void TestGuiGraph::meanAblationDiffersFromZero() {
  // The Texas prompt's 11 tokens match patch prompts of the capitals set: the traced nodes have means.
  const auto& t = w_->lastTrace();
  QVERIFY2(!t.meanValues.empty(), qPrintable(t.meanSource));
  QVERIFY2(t.meanSource.contains(QStringLiteral("capitals_paired.jsonl")), qPrintable(t.meanSource));
  auto* g = w_->graphView();
  const NodeKey key{ce::core::Basis::MlpAct, t.nodes[0].node};  // the largest |effect|
  const float mean = t.meanValues.at(key);
  QSignalSpy live(w_.get(), &MainWindow::liveUpdated);
  const std::vector<double> clean = w_->tokenChart()->values();
  w_->interventions()->setNodeFactor(key, 0.0);
  QVERIFY(waitLive(*w_, live));
  const std::vector<double> zero = w_->tokenChart()->values();
  Q_EMIT g->meanAblationRequested({key});
  QVERIFY(waitLive(*w_, live));
  const std::vector<double> meaned = w_->tokenChart()->values();
  const auto ivs = w_->interventions()->interventions();
  QCOMPARE(static_cast<int>(ivs.size()), 1);
  QVERIFY(ivs[0].value.has_value());
  QCOMPARE(*ivs[0].value, mean);
  QCOMPARE(g->nodeItem(key)->factor(), 0.0);  // drawn as ablated
  double dZero = 0, dClean = 0;
  for (size_t i = 0; i < meaned.size(); ++i) {
    dZero += std::fabs(meaned[i] - zero[i]);
    dClean += std::fabs(meaned[i] - clean[i]);
  }
  qInfo("%s: activation %.3f, mean %.3f (%s); chart L1 change vs zero ablation %.4f, vs clean %.4f",
        qPrintable(g->nodeItem(key)->label()), static_cast<double>(t.nodes[0].activation),
        static_cast<double>(mean), qPrintable(t.meanSource), dZero, dClean);
  QVERIFY2(dZero > 1e-4, "mean ablation drew the same chart as zero ablation");
  QVERIFY2(dClean > 1e-4, "mean ablation left the chart unchanged");
  w_->interventions()->reset();
  QVERIFY(waitLive(*w_, live));
}

void TestGuiGraph::steeringSliderChangesContinuation() {
  QSignalSpy live(w_.get(), &MainWindow::liveUpdated);
  // The neuron of largest |effect| at the last position (L3/N701 on the demo model).
  NodeKey key;
  float best = -1;
  for (const auto& n : w_->lastTrace().nodes) {
    if (n.node.pos == 10 && std::fabs(n.effect) > best) {
      best = std::fabs(n.effect);
      key = NodeKey{ce::core::Basis::MlpAct, n.node};
    }
  }
  QVERIFY(best > 0);
  w_->interventions()->addGroup(QStringLiteral("Texas"), {key});
  QVERIFY(waitLive(*w_, live));
  const QString before = w_->steeringPanel()->continuation();
  QSlider* slider = w_->steeringPanel()->slider(0);
  QVERIFY(slider);
  slider->setValue(slider->minimum());  // ×−8
  QCOMPARE(w_->interventions()->groups()[0].factor, -8.0);
  QVERIFY(waitLive(*w_, live));
  const QString after = w_->steeringPanel()->continuation();
  qInfo("continuation ×1: \"%s\"  ×-8: \"%s\"", qPrintable(before), qPrintable(after));
  QVERIFY(after != before);
}

void TestGuiGraph::contextMenuAblates() {
  auto* g = w_->graphView();
  g->fitAll();
  NodeItem* target = nullptr;
  for (NodeItem* n : g->nodeItems()) {
    if (n->factor() == 1.0 && (!target || n->radius() > target->radius())) target = n;
  }
  QVERIFY(target);
  QString seen;
  // The menu runs its own event loop: pick "Ablate (zero)" from inside it.
  QTimer::singleShot(200, this, [&seen] {
    auto* menu = qobject_cast<QMenu*>(QApplication::activePopupWidget());
    if (!menu) return;
    for (QAction* a : menu->actions()) {
      seen += a->text() + QLatin1Char('|');
      if (a->text() == QStringLiteral("Ablate (zero)")) a->trigger();
    }
    menu->close();
  });
  const QPoint at = g->mapFromScene(target->scenePos());
  QContextMenuEvent e(QContextMenuEvent::Mouse, at, g->viewport()->mapToGlobal(at));
  QApplication::sendEvent(g->viewport(), &e);
  QVERIFY2(seen.contains(QStringLiteral("Ablate (zero)")), qPrintable(seen));
  QVERIFY(target->isSelected());
  QCOMPARE(target->factor(), 0.0);
  QCOMPARE(w_->interventions()->effectiveFactor(target->key()), 0.0);
  w_->interventions()->setNodeFactor(target->key(), 1.0);
}

void TestGuiGraph::groupMenuAblatesAndSteers() {
  // A group's actions, from its steering row and from a grouped node's submenu in the graph.
  const auto& traced = w_->lastTrace().nodes;
  QVERIFY(traced.size() >= 3);
  std::vector<NodeKey> keys;
  for (size_t i = 0; i < 3; ++i) keys.push_back(NodeKey{ce::core::Basis::MlpAct, traced[i].node});
  QCOMPARE(w_->interventions()->addGroup(QStringLiteral("G"), keys), 0);
  QCOMPARE(w_->interventions()->groupsOf(keys[1]), std::vector<int>{0});
  auto* steering = w_->steeringPanel();
  {
    QMenu menu;
    steering->fillGroupMenu(&menu, 0, 0, QString());
    QVERIFY(!findAction(&menu, QStringLiteral("Ablate (mean)"))->isEnabled());
    findAction(&menu, QStringLiteral("Ablate (zero)"))->trigger();
    QCOMPARE(w_->interventions()->groups()[0].factor, 0.0);
    QCOMPARE(w_->graphView()->nodeItem(keys[0])->factor(), 0.0);
    QAction* steer = findAction(&menu, QStringLiteral("Steer"));
    QVERIFY(steer && steer->menu());
    findAction(steer->menu(), QStringLiteral("×4"))->trigger();
    QCOMPARE(w_->interventions()->groups()[0].factor, 4.0);
    findAction(&menu, QStringLiteral("Select in Graph"))->trigger();
    auto selected = w_->graphView()->selectedNodes();
    std::sort(selected.begin(), selected.end());
    auto expected = keys;
    std::sort(expected.begin(), expected.end());
    QVERIFY(selected == expected);
  }
  // Right-click on a grouped node: its group's submenu mean-ablates the group's nodes.
  auto* g = w_->graphView();
  g->fitAll();
  QString seen;
  QTimer::singleShot(200, this, [&seen] {
    auto* menu = qobject_cast<QMenu*>(QApplication::activePopupWidget());
    if (!menu) return;
    for (QAction* a : menu->actions()) seen += a->text() + QLatin1Char('|');
    if (QAction* group = findAction(menu, QStringLiteral("Group \u201cG\u201d")); group && group->menu()) {
      if (QAction* mean = findAction(group->menu(), QStringLiteral("Ablate (mean)"));
          mean && mean->isEnabled())
        mean->trigger();
    }
    menu->close();
  });
  const QPoint at = g->mapFromScene(g->nodeItem(keys[0])->scenePos());
  QContextMenuEvent e(QContextMenuEvent::Mouse, at, g->viewport()->mapToGlobal(at));
  QApplication::sendEvent(g->viewport(), &e);
  QVERIFY2(seen.contains(QStringLiteral("Group \u201cG\u201d")), qPrintable(seen));
  const auto& values = w_->interventions()->nodeValues();
  QCOMPARE(static_cast<int>(values.size()), 3);
  for (const auto& k : keys) QCOMPARE(values.at(k), w_->lastTrace().meanValues.at(k));
  w_->interventions()->renameGroup(0, QStringLiteral("Texas"));
  QCOMPARE(w_->interventions()->groups()[0].name, QStringLiteral("Texas"));
  QMenu menu;
  steering->fillGroupMenu(&menu, 0, 3, QString());
  findAction(&menu, QStringLiteral("Remove"))->trigger();
  QVERIFY(w_->interventions()->groups().empty());
}

void TestGuiGraph::thresholdHidesNodes() {
  w_->interventions()->clear();
  w_->promptPanel()->setSettings(MainWindow::texasPrompt());
  QVERIFY2(retrace(*w_), qPrintable(w_->lastError()));
  auto* g = w_->graphView();
  const auto& traced = w_->lastTrace().nodes;
  QCOMPARE(static_cast<int>(g->nodeItems().size()), 60);
  // 800 of 1000 on the log slider: 10^-0.6 of the largest |effect|.
  w_->promptPanel()->thresholdSlider()->setValue(800);
  const double tau = w_->promptPanel()->settings().threshold;
  const double top = std::fabs(traced.front().effect);
  QVERIFY2(std::fabs(tau - top * std::pow(10.0, -0.6)) < 1e-6 * top, qPrintable(QString::number(tau)));
  const int expected = static_cast<int>(std::count_if(
      traced.begin(), traced.end(), [tau](const auto& n) { return std::fabs(n.effect) >= tau; }));
  QVERIFY2(expected > 0 && expected < 60, qPrintable(QString::number(expected)));
  QCOMPARE(static_cast<int>(g->nodeItems().size()), expected);
  for (NodeItem* n : g->nodeItems()) QVERIFY(std::fabs(n->effect()) >= tau);
  QCOMPARE(w_->currentCircuitSize(), expected);
  QCOMPARE(w_->curvesView()->currentCircuitSize(), expected);
  QVERIFY(w_->isDirty());
  // The exported circuit is what the graph shows: the kept nodes, and only edges between them.
  const QString json = tmp_.filePath(QStringLiteral("threshold.json"));
  QVERIFY(w_->exportCircuit(json));
  QFile file(json);
  QVERIFY(file.open(QIODevice::ReadOnly));
  const QJsonObject root = QJsonDocument::fromJson(file.readAll()).object();
  QSet<QString> names;
  for (const auto& n : root[QStringLiteral("nodes")].toArray())
    names.insert(n.toObject()[QStringLiteral("name")].toString());
  QCOMPARE(names.size(), expected);
  for (const auto& e : root[QStringLiteral("edges")].toArray()) {
    for (const char* end : {"src", "dst"}) {
      const QString name = e.toObject()[QLatin1String(end)].toString();
      QVERIFY2(!name.startsWith(QLatin1Char('L')) || names.contains(name), qPrintable(name));
    }
  }
  // Saved with the session, and applied again from it.
  const auto back = ce::ui::Session::fromJson(w_->currentSession().toJson());
  QCOMPARE(back.trace.threshold, tau);
  w_->promptPanel()->thresholdSlider()->setValue(0);
  QCOMPARE(static_cast<int>(g->nodeItems().size()), 60);
  w_->promptPanel()->setSettings(back.trace);
  QCOMPARE(w_->promptPanel()->thresholdSlider()->value(), 800);
  w_->promptPanel()->thresholdSlider()->setValue(0);
}

void TestGuiGraph::specificGroupsFlipTexas() {
  // The Texas walkthrough in the GUI: groups of the neurons specific to the Dallas and the Los Angeles
  // traces (as `circuit-trace steer-pairs` makes them), then ×0 and ×4 flip the answer.
  w_->interventions()->clear();
  w_->promptPanel()->setSettings(MainWindow::texasPrompt());
  QSignalSpy done(w_->heavyRunner(), &ce::ui::JobRunner::succeeded);
  w_->makeSpecificGroups(QStringLiteral("Fact: the capital of the state containing Los Angeles is"));
  QVERIFY2(done.wait(60000), qPrintable(w_->lastError()));
  const auto& groups = w_->interventions()->groups();
  QCOMPARE(static_cast<int>(groups.size()), 2);
  QCOMPARE(groups[0].name, QStringLiteral("Austin-specific"));
  QCOMPARE(groups[1].name, QStringLiteral("Sacramento-specific"));
  // 16 and 16 on the demo model, as steer-pairs reports.
  QCOMPARE(static_cast<int>(groups[0].nodes.size()), 16);
  QCOMPARE(static_cast<int>(groups[1].nodes.size()), 16);
  for (const auto& g : groups)
    for (const auto& k : g.nodes) QCOMPARE(k.node.pos, -1);
  QSignalSpy live(w_.get(), &MainWindow::liveUpdated);
  w_->steeringPanel()->slider(0)->setValue(0);
  w_->steeringPanel()->slider(1)->setValue(4 * ce::ui::SteeringPanel::kStepsPerUnit);
  QVERIFY(waitLive(*w_, live));
  QCOMPARE(QString::fromStdString(w_->tokenChart()->tokens()[0].text), QStringLiteral(" Sacramento"));
  w_->interventions()->clear();
}

QTEST_MAIN(TestGuiGraph)
#include "test_gui_graph.moc"
