// The explorer GUI end to end on the embedded demo model, offscreen: load, trace, select, ablate, steer,
// export, sessions, cancel, and the GUI thread's responsiveness while jobs run.
#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QContextMenuEvent>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenu>
#include <QMouseEvent>
#include <QPalette>
#include <QProcess>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QXmlStreamReader>
#include <algorithm>
#include <cmath>
#include <memory>

#include "ce/core/circuits/attribution_example.h"
#include "ce/core/tokenizer/chat_format.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/base/resources.h"
#include "graph/circuit_graph_view.h"
#include "panels/curves_view.h"
#include "panels/exemplar_rows.h"
#include "state/intervention_state.h"
#include "controllers/job_runner.h"
#include "window/main_window.h"
#include "panels/neuron_inspector.h"
#include "graph/node_item.h"
#include "panels/prompt_panel.h"
#include "state/session.h"
#include "panels/steering_panel.h"
#include "panels/token_chart.h"

using ce::ui::MainWindow;
using ce::ui::NodeItem;
using ce::ui::NodeKey;

// Debug + AddressSanitizer builds run several times slower; the bounds hold for the optimised build.
#ifdef CE_SANITIZED
constexpr int kSlowdown = 4;
#else
constexpr int kSlowdown = 1;
#endif

namespace {

// Records the longest gap between ticks of a 10 ms timer: how long the event loop was not serving it.
class StallMeter : public QObject {
 public:
  StallMeter() {
    timer_.setInterval(10);
    QObject::connect(&timer_, &QTimer::timeout, this, [this] {
      const qint64 now = clock_.elapsed();
      maxGap_ = std::max(maxGap_, now - last_);
      last_ = now;
    });
  }
  void start() {
    clock_.start();
    last_ = 0;
    maxGap_ = 0;
    timer_.start();
  }
  qint64 stop() {
    timer_.stop();
    return maxGap_;
  }

 private:
  QTimer timer_;
  QElapsedTimer clock_;
  qint64 last_ = 0, maxGap_ = 0;
};

// circuit-explorer run offscreen (at a display scale factor when `scale` is set); code -1 if it hung.
struct Run {
  int code = -1;
  QString out, err;
};

Run runExplorer(const QStringList& args, const QString& scale = QString()) {
  QProcess p;
  auto env = QProcessEnvironment::systemEnvironment();
  env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
  if (!scale.isEmpty()) env.insert(QStringLiteral("QT_SCALE_FACTOR"), scale);
  p.setProcessEnvironment(env);
  p.start(QStringLiteral(CE_BIN_DIR "/circuit-explorer"), args);
  Run r;
  if (!p.waitForFinished(120000)) return r;
  r.code = p.exitCode();
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

QAction* findAction(QMenu* menu, const QString& text) {
  for (QAction* a : menu->actions()) {
    if (a->text() == text) return a;
  }
  return nullptr;
}

bool retrace(MainWindow& w) {
  QSignalSpy traced(&w, &MainWindow::traceFinished);
  w.trace();
  return traced.wait(120000);
}

// Waits until the circuit score is current for `nodes` kept nodes (edits may supersede earlier scores).
bool waitScore(MainWindow& w, QSignalSpy& spy, int nodes) {
  for (int i = 0; i < 200 && (w.lastCircuitScore().nodes != nodes || w.scoreRunner()->isBusy()); ++i) {
    if (!spy.wait(30000)) return false;
  }
  return w.lastCircuitScore().nodes == nodes;
}

// The circuit's faithfulness on the Texas prompt computed here, apart from the GUI: the shown nodes kept,
// the rest patched from the Fresno prompt.
std::pair<double, double> expectedScore(const MainWindow& w, const std::vector<ce::core::NodeEffect>& kept) {
  const auto s = MainWindow::texasPrompt();
  const auto& model = *w.model();
  const auto ex = ce::core::make_example(model.tokenizer(), s.prompt.toStdString(), s.answer.toStdString(),
                                         s.contrast.toStdString(), s.patch.toStdString());
  const ce::core::CircuitEvaluator ev(model, {ex}, ce::core::Basis::MlpAct, ce::core::Ablation::Mean);
  const size_t T = static_cast<size_t>(ev.positions()), W = static_cast<size_t>(ev.width());
  std::vector<bool> keep(static_cast<size_t>(model.info().layers) * T * W, false);
  for (const auto& n : kept) keep[ce::core::dense_offset(n.node, T, W)] = true;
  std::vector<bool> rest(keep.size());
  for (size_t i = 0; i < keep.size(); ++i) rest[i] = !keep[i];
  const double d = ev.m_full() - ev.m_empty();
  return {(ev.metric_with(keep) - ev.m_empty()) / d, (ev.metric_with(rest) - ev.m_empty()) / d};
}

bool waitLive(MainWindow& w, QSignalSpy& spy) {
  // A change can schedule a computation that another supersedes, and an update started before the change
  // can arrive first: wait until nothing is scheduled or running any more.
  if (!spy.wait(30000)) return false;
  while (w.liveUpdatePending()) {
    if (!spy.wait(30000)) return false;
  }
  return true;
}

}  // namespace

class TestGui : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase();
  void demoModelLoads();
  void traceFillsGraph();
  void clickSelectsNode();
  void inspectorShowsExemplars();
  void rubberBandSelects();
  void ablationChangesChart();
  void meanAblationDiffersFromZero();
  void steeringSliderChangesContinuation();
  void contextMenuAblates();
  void groupMenuAblatesAndSteers();
  void exportsAreValid();
  void sessionRoundTrips();
  void metricChoiceReachesTheTrace();
  void cancelStopsTrace();
  void guiThreadStaysResponsive();
  void outdatedResultIsDropped();
  void badAnswerShowsError();
  void emptyAnswersDefaultToModelTop2();
  void bigTraceStaysResponsive();
  void curvesJobRunsAndCancels();
  void tenThousandNodesStaySmooth();
  void curvesMarkerFollowsEdits();
  void thresholdHidesNodes();
  void circuitScoreFollowsEdits();
  void curvesForSeveralMethodsAndBases();
  void meanAblationFromChosenDataset();
  void chatTemplateFormatsPrompt();
  void darkPaletteIsFollowed();
  void specificGroupsFlipTexas();
  void shippedSessionSteersToSacramento();
  void sessionOptionScreenshot();
  void highDpiScreenshot();
  void selectOptionInspects();
  void modelWithoutExemplarIndex();
  void cleanupTestCase();

 private:
  std::unique_ptr<MainWindow> w_;
  QTemporaryDir tmp_;
  qint64 startupStall_ = 0;
};

void TestGui::initTestCase() {
  QStandardPaths::setTestModeEnabled(true);
  // Constructing and first showing the window is synchronous by nature; the meter covers the jobs after it.
  w_ = std::make_unique<MainWindow>();
  QSignalSpy loaded(w_.get(), &MainWindow::modelLoaded);
  QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
  w_->show();
  QVERIFY(QTest::qWaitForWindowExposed(w_.get()));
  StallMeter meter;
  meter.start();
  QVERIFY2(loaded.count() > 0 || loaded.wait(60000), qPrintable(w_->lastError()));
  QVERIFY2(traced.count() > 0 || traced.wait(120000), qPrintable(w_->lastError()));
  startupStall_ = meter.stop();
  qInfo("start-up (load + trace): longest GUI-thread stall %lld ms", startupStall_);
  if (w_->liveRunner()->isBusy()) QSignalSpy(w_->liveRunner(), &ce::ui::JobRunner::idle).wait(30000);
}

void TestGui::demoModelLoads() {
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

void TestGui::traceFillsGraph() {
  auto* g = w_->graphView();
  QVERIFY(!g->nodeItems().empty());
  QCOMPARE(static_cast<int>(g->nodeItems().size()), w_->promptPanel()->settings().topK);
  QVERIFY(g->edgeCount() > 0);
  QCOMPARE(w_->lastTrace().tokens.size(), 11);
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

void TestGui::clickSelectsNode() {
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

void TestGui::inspectorShowsExemplars() {
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
    const auto expected = index->exemplars(node.layer, node.index, polarity, 5);
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

void TestGui::rubberBandSelects() {
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
  // Leave one node selected for the next test, as a click would.
  g->selectNodes({sel.front()});
}

void TestGui::ablationChangesChart() {
  auto* g = w_->graphView();
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

void TestGui::meanAblationDiffersFromZero() {
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

void TestGui::steeringSliderChangesContinuation() {
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

void TestGui::contextMenuAblates() {
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

void TestGui::groupMenuAblatesAndSteers() {
  // A group's actions, from its steering row and from a grouped node's submenu in the graph. The edits of
  // earlier tests are put back at the end (later tests build on them).
  const auto savedGroups = w_->interventions()->groups();
  const auto savedFactors = w_->interventions()->nodeFactors();
  const auto savedValues = w_->interventions()->nodeValues();
  w_->interventions()->clear();
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
  w_->interventions()->setAll(savedGroups, savedFactors, savedValues);
}

void TestGui::exportsAreValid() {
  const QString png = tmp_.filePath(QStringLiteral("g.png"));
  const QString svg = tmp_.filePath(QStringLiteral("g.svg"));
  const QString pdf = tmp_.filePath(QStringLiteral("g.pdf"));
  const QString json = tmp_.filePath(QStringLiteral("c.json"));
  const QString csv = tmp_.filePath(QStringLiteral("c.csv"));
  QVERIFY2(w_->exportGraph(png), qPrintable(w_->lastError()));
  QVERIFY2(w_->exportGraph(svg), qPrintable(w_->lastError()));
  QVERIFY2(w_->exportGraph(pdf), qPrintable(w_->lastError()));
  QVERIFY(w_->exportCircuit(json));
  const QString chartSvg = tmp_.filePath(QStringLiteral("chart.svg"));
  QVERIFY2(w_->exportNextTokenChart(chartSvg), qPrintable(w_->lastError()));
  QVERIFY(QSvgRenderer(chartSvg).isValid());
  QVERIFY(w_->exportNextTokenChart(tmp_.filePath(QStringLiteral("chart.pdf"))));
  QVERIFY(w_->exportCircuit(csv));

  QImage image(png);
  QVERIFY(!image.isNull());
  QVERIFY(image.width() > 200 && image.height() > 200);
  const QRgb first = image.pixel(0, 0);
  bool varied = false;
  for (int y = 0; y < image.height() && !varied; y += 3) {
    for (int x = 0; x < image.width() && !varied; x += 3) varied = image.pixel(x, y) != first;
  }
  QVERIFY2(varied, "the PNG is one colour");

  QFile svgFile(svg);
  QVERIFY(svgFile.open(QIODevice::ReadOnly));
  QXmlStreamReader xml(&svgFile);
  while (!xml.atEnd()) xml.readNext();
  QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
  QVERIFY(QSvgRenderer(svg).isValid());

  QFile pdfFile(pdf);
  QVERIFY(pdfFile.open(QIODevice::ReadOnly));
  QVERIFY(pdfFile.read(4) == "%PDF");

  QFile csvFile(csv);
  QVERIFY(csvFile.open(QIODevice::ReadOnly));
  const QList<QByteArray> lines = csvFile.readAll().split('\n');
  QCOMPARE(lines.size() - 2, static_cast<int>(w_->lastTrace().nodes.size()));  // header + trailing newline

  QVERIFY(!w_->exportGraph(tmp_.filePath(QStringLiteral("g.bmpx"))));  // unknown formats are refused
}

void TestGui::sessionRoundTrips() {
  const QString path = tmp_.filePath(QStringLiteral("s.json"));
  auto* state = w_->interventions();
  const NodeKey key{ce::core::Basis::MlpAct, w_->lastTrace().nodes[1].node};
  state->setNodeFactor(key, 0.0);
  // A mean ablation travels as its value.
  const NodeKey meanKey{ce::core::Basis::MlpAct, w_->lastTrace().nodes[2].node};
  state->setNodeValue(meanKey, -3.25f);
  ce::ui::Session a = w_->currentSession();
  a.trace.topK = 42;
  a.trace.method = ce::core::Method::IG;
  a.trace.metric = ce::core::Metric::TopK;
  a.save(path);
  const ce::ui::Session b = ce::ui::Session::load(path);
  QCOMPARE(b.modelDir, a.modelDir);
  QCOMPARE(b.modelHash.size(), 64);
  QCOMPARE(b.modelHash, ce::ui::Session::hashModelDir(QString::fromStdString(w_->model()->dir())));
  QCOMPARE(b.trace.prompt, a.trace.prompt);
  QCOMPARE(b.trace.patch, a.trace.patch);
  QCOMPARE(b.trace.topK, 42);
  QVERIFY(b.trace.method == ce::core::Method::IG);
  QVERIFY(b.trace.metric == ce::core::Metric::TopK);
  QCOMPARE(b.groups.size(), a.groups.size());
  QVERIFY2(!a.groups.empty(), "steeringSliderChangesContinuation leaves a group to save");
  QCOMPARE(b.groups[0].name, a.groups[0].name);
  QCOMPARE(b.groups[0].factor, a.groups[0].factor);
  QVERIFY(b.groups[0].nodes == a.groups[0].nodes);
  QCOMPARE(b.groups[0].color, a.groups[0].color);
  QVERIFY(b.nodeFactors == a.nodeFactors);
  QCOMPARE(static_cast<int>(b.nodeValues.size()), 1);
  QCOMPARE(b.nodeValues.at(meanKey), -3.25f);
  QCOMPARE(b.programVersion, QStringLiteral(CE_VERSION));
  QVERIFY(b.toJson() == a.toJson());

  // Through the window: clearing and reopening restores the interventions.
  QVERIFY(w_->isDirty());
  QVERIFY(w_->saveSession(path));
  QVERIFY(!w_->isDirty());
  const auto saved = w_->interventions()->interventions().size();
  state->clear();
  QVERIFY(w_->isDirty());
  QVERIFY(state->interventions().empty());
  QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
  QVERIFY(w_->openSession(path));
  QCOMPARE(state->interventions().size(), saved);
  QVERIFY(!w_->isDirty());
  QVERIFY(traced.wait(60000));

  // A broken file is an error message, not a crash.
  QFile bad(tmp_.filePath(QStringLiteral("bad.json")));
  QVERIFY(bad.open(QIODevice::WriteOnly));
  bad.write("{ not json");
  bad.close();
  QVERIFY(!w_->openSession(bad.fileName()));
  QVERIFY(w_->lastError().contains(QStringLiteral("bad.json")));
  state->clear();
}

// The metric chosen in the panel is what the trace explains: with logit(answer) the traced m is the answer's
// logit.
void TestGui::metricChoiceReachesTheTrace() {
  const ce::ui::TraceSettings before = w_->promptPanel()->settings();
  ce::ui::TraceSettings s = before;
  s.metric = ce::core::Metric::Logit;
  w_->promptPanel()->setSettings(s);
  QVERIFY(w_->promptPanel()->settings().metric == ce::core::Metric::Logit);
  QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
  w_->trace();
  QVERIFY2(traced.wait(60000), qPrintable(w_->lastError()));
  const auto& model = *w_->model();
  const auto ids = model.encode(s.prompt.toStdString());
  const auto logits = model.next_logits(ids);
  const auto ex = ce::core::make_example(model.tokenizer(), s.prompt.toStdString(), s.answer.toStdString());
  QVERIFY(std::abs(w_->lastTrace().m - logits[static_cast<size_t>(ex.answer)]) < 1e-3);
  w_->promptPanel()->setSettings(before);
  w_->trace();
  QVERIFY(traced.wait(60000));
  QVERIFY(std::abs(w_->lastTrace().m - logits[static_cast<size_t>(ex.answer)]) >
          1.0);  // back to the difference
}

void TestGui::cancelStopsTrace() {
  QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
  QSignalSpy cancelled(w_->heavyRunner(), &ce::ui::JobRunner::cancelled);
  QSignalSpy idle(w_->heavyRunner(), &ce::ui::JobRunner::idle);
  w_->trace();
  QVERIFY(w_->heavyRunner()->isBusy());
  QTest::qWait(200);
  QElapsedTimer t;
  t.start();
  w_->cancelJob();
  QVERIFY(idle.wait(10000));
  qInfo("cancel honoured after %lld ms", t.elapsed());
  QCOMPARE(cancelled.count(), 1);
  QCOMPARE(traced.count(), 0);
  QVERIFY(!w_->heavyRunner()->isBusy());
  QVERIFY(!w_->graphView()->nodeItems().empty());  // the previous graph stays
}

void TestGui::guiThreadStaysResponsive() {
  QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
  StallMeter meter;
  meter.start();
  w_->trace();
  // Interventions and typing while the trace runs: the live lane computes concurrently.
  w_->interventions()->setNodeFactor(NodeKey{ce::core::Basis::MlpAct, w_->lastTrace().nodes[0].node}, 0.0);
  QVERIFY(traced.wait(120000));
  const qint64 gap = meter.stop();
  qInfo("trace: longest GUI-thread stall %lld ms (start-up: %lld ms)", gap, startupStall_);
  QVERIFY2(gap < 100 * kSlowdown, qPrintable(QStringLiteral("stall of %1 ms").arg(gap)));
  QVERIFY2(startupStall_ < 100 * kSlowdown,
           qPrintable(QStringLiteral("start-up stall of %1 ms").arg(startupStall_)));
  w_->interventions()->clear();
}

void TestGui::outdatedResultIsDropped() {
  // Two traces in a row: only the second one's result arrives.
  QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
  QSignalSpy succeeded(w_->heavyRunner(), &ce::ui::JobRunner::succeeded);
  auto s = w_->promptPanel()->settings();
  s.topK = 7;
  w_->promptPanel()->setSettings(s);
  w_->trace();
  s.topK = 13;
  w_->promptPanel()->setSettings(s);
  w_->trace();
  QVERIFY(traced.wait(120000));
  QTest::qWait(300);
  QCOMPARE(traced.count(), 1);
  QCOMPARE(succeeded.count(), 1);
  QCOMPARE(static_cast<int>(w_->graphView()->nodeItems().size()), 13);
}

void TestGui::badAnswerShowsError() {
  QSignalSpy failed(w_->heavyRunner(), &ce::ui::JobRunner::failed);
  auto s = w_->promptPanel()->settings();
  const auto good = s;
  s.answer = QStringLiteral(" Austin Texas");  // two tokens
  w_->promptPanel()->setSettings(s);
  w_->trace();
  QVERIFY(failed.wait(30000));
  QVERIFY(!w_->lastError().isEmpty());
  w_->promptPanel()->setSettings(good);
}

void TestGui::emptyAnswersDefaultToModelTop2() {
  auto s = w_->promptPanel()->settings();
  const auto good = s;
  s.answer.clear();
  s.contrast.clear();
  s.patch.clear();
  w_->promptPanel()->setSettings(s);
  QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
  w_->trace();
  QVERIFY2(traced.wait(60000), qPrintable(w_->lastError()));
  QCOMPARE(w_->promptPanel()->settings().answer, QStringLiteral(" Austin"));
  QCOMPARE(w_->promptPanel()->settings().contrast,
           QString::fromStdString(w_->tokenChart()->tokens().at(1).text));
  w_->promptPanel()->setSettings(good);
}

void TestGui::bigTraceStaysResponsive() {
  // 10^4 nodes from a real trace: building the scene is the one piece of work on the GUI thread.
  auto s = w_->promptPanel()->settings();
  const auto good = s;
  s.topK = 10000;
  s.edges = false;
  w_->promptPanel()->setSettings(s);
  QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
  StallMeter meter;
  meter.start();
  w_->trace();
  QVERIFY2(traced.wait(60000), qPrintable(w_->lastError()));
  QTest::qWait(300);  // the first paint of the new scene
  const qint64 gap = meter.stop();
  qInfo("trace with 10^4 nodes: longest GUI-thread stall %lld ms", gap);
  QCOMPARE(static_cast<int>(w_->graphView()->nodeItems().size()), 10000);
  // 30-63 ms measured (scene build ~25 ms, first paint ~40 ms); the bound leaves room for a loaded machine.
  QVERIFY2(gap < 150 * kSlowdown, qPrintable(QStringLiteral("stall of %1 ms").arg(gap)));
  w_->promptPanel()->setSettings(good);
}

void TestGui::curvesJobRunsAndCancels() {
  // A full curve costs minutes of CPU here, so this checks the wiring: the shipped sets are listed, the
  // job starts, reports progress and stops on Cancel.
  auto* curves = w_->curvesView();
  QVERIFY(curves->datasetBox()->count() >= 2);
  QVERIFY(curves->datasetBox()->findText(QStringLiteral("sva/simple")) >= 0);
  curves->datasetBox()->setCurrentIndex(curves->datasetBox()->findText(QStringLiteral("sva/simple")));
  curves->examplesBox()->setValue(2);
  QSignalSpy progress(curves->runner(), &ce::ui::JobRunner::progressChanged);
  QSignalSpy cancelled(curves->runner(), &ce::ui::JobRunner::cancelled);
  QSignalSpy failed(curves->runner(), &ce::ui::JobRunner::failed);
  curves->compute();
  QVERIFY(curves->runner()->isBusy());
  QVERIFY2(progress.wait(30000), "no progress from the curves job");
  curves->runner()->cancel();
  QVERIFY(cancelled.wait(10000));
  QCOMPARE(failed.count(), 0);
}

void TestGui::tenThousandNodesStaySmooth() {
  // A synthetic graph of 10^4 nodes (4 layers x 13 positions x ~192), drawn zoomed out and zoomed in.
  ce::ui::CircuitGraphView view;
  view.resize(1200, 800);
  view.show();
  QVERIFY(QTest::qWaitForWindowExposed(&view));
  std::vector<ce::core::NodeEffect> nodes;
  QStringList tokens;
  for (int p = 0; p < 13; ++p) tokens << QStringLiteral("t%1").arg(p);
  for (int i = 0; nodes.size() < 10000; ++i) {
    ce::core::NodeEffect n;
    n.node = {i % 4, (i / 4) % 13, i};
    n.effect = static_cast<float>(((i * 7919) % 1000) - 500) / 500.0f;
    nodes.push_back(n);
  }
  QElapsedTimer t;
  t.start();
  view.setCircuit(ce::core::Basis::MlpAct, 4, tokens, nodes, {});
  const qint64 build = t.elapsed();
  QCOMPARE(static_cast<int>(view.nodeItems().size()), 10000);
  t.restart();
  view.fitAll();
  (void)view.grab();
  const qint64 fitted = t.restart();
  view.zoomBy(8);
  (void)view.grab();
  const qint64 zoomed = t.elapsed();
  qInfo("10^4 nodes: build %lld ms, full repaint fitted %lld ms, zoomed x8 %lld ms", build, fitted, zoomed);
  QVERIFY2(fitted < 1000 * kSlowdown && zoomed < 1000 * kSlowdown,
           "a repaint of 10^4 nodes took over a second");
}

void TestGui::curvesMarkerFollowsEdits() {
  // A small full curve, then an edit of the traced circuit: the marker moves to the new size, recomputed
  // from the kept evaluator without recomputing the curve.
  QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
  w_->trace();
  QVERIFY2(traced.wait(60000), qPrintable(w_->lastError()));
  auto* curves = w_->curvesView();
  curves->datasetBox()->setCurrentIndex(curves->datasetBox()->findText(QStringLiteral("sva/simple")));
  curves->examplesBox()->setValue(3);
  QSignalSpy ready(curves, &ce::ui::CurvesView::curvesReady);
  QElapsedTimer t;
  t.start();
  curves->compute();
  QVERIFY2(ready.wait(300000), qPrintable(w_->lastError()));
  qInfo("curve of sva/simple, 3 + 3 examples, 31 thresholds: %lld ms", t.elapsed());
  const int size = w_->currentCircuitSize();
  QCOMPARE(size, static_cast<int>(w_->lastTrace().nodes.size()));
  QCOMPARE(static_cast<int>(curves->marker().size()), 1);
  QCOMPARE(static_cast<int>(curves->marker()[0].x()), size);
  // Ablating three traced nodes shrinks the circuit.
  for (int i = 0; i < 3; ++i)
    w_->interventions()->setNodeFactor(
        NodeKey{ce::core::Basis::MlpAct, w_->lastTrace().nodes[static_cast<size_t>(i)].node}, 0.0);
  QCOMPARE(curves->currentCircuitSize(), size - 3);
  t.restart();
  QVERIFY2(ready.wait(60000), qPrintable(w_->lastError()));
  qInfo("marker recomputed for %d nodes in %lld ms", size - 3, t.elapsed());
  QCOMPARE(static_cast<int>(curves->marker().size()), 1);
  QCOMPARE(static_cast<int>(curves->marker()[0].x()), size - 3);
  w_->interventions()->clear();
}

void TestGui::thresholdHidesNodes() {
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

void TestGui::circuitScoreFollowsEdits() {
  w_->interventions()->clear();
  w_->promptPanel()->setSettings(MainWindow::texasPrompt());
  QSignalSpy scored(w_.get(), &MainWindow::circuitScored);
  QVERIFY2(retrace(*w_), qPrintable(w_->lastError()));
  const auto traced = w_->lastTrace().nodes;
  QVERIFY2(waitScore(*w_, scored, 60), qPrintable(w_->lastError()));
  auto [f, c] = expectedScore(*w_, traced);
  qInfo("Texas, top 60 RelP neurons: faithfulness %.4f, completeness %.4f", f, c);
  QVERIFY(std::fabs(w_->lastCircuitScore().faithfulness - f) < 1e-6);
  QVERIFY(std::fabs(w_->lastCircuitScore().completeness - c) < 1e-6);
  QVERIFY2(w_->curvesView()->promptScore().contains(QStringLiteral("faithfulness %1").arg(f, 0, 'f', 3)),
           qPrintable(w_->curvesView()->promptScore()));
  // Ablating the five largest nodes takes them out of the circuit: the score follows.
  for (int i = 0; i < 5; ++i)
    w_->interventions()->setNodeFactor(NodeKey{ce::core::Basis::MlpAct, traced[static_cast<size_t>(i)].node},
                                       0.0);
  QVERIFY2(waitScore(*w_, scored, 55), qPrintable(w_->lastError()));
  std::tie(f, c) = expectedScore(*w_, std::vector<ce::core::NodeEffect>(traced.begin() + 5, traced.end()));
  QVERIFY(std::fabs(w_->lastCircuitScore().faithfulness - f) < 1e-6);
  // Every node ablated: the empty circuit, faithfulness 0 and completeness 1 by definition.
  for (const auto& n : traced)
    w_->interventions()->setNodeFactor(NodeKey{ce::core::Basis::MlpAct, n.node}, 0.0);
  QVERIFY2(waitScore(*w_, scored, 0), qPrintable(w_->lastError()));
  QVERIFY(std::fabs(w_->lastCircuitScore().faithfulness) < 1e-9);
  QVERIFY(std::fabs(w_->lastCircuitScore().completeness - 1) < 1e-9);
  w_->interventions()->clear();
}

void TestGui::curvesForSeveralMethodsAndBases() {
  auto* curves = w_->curvesView();
  curves->datasetBox()->setCurrentIndex(curves->datasetBox()->findText(QStringLiteral("sva/simple")));
  curves->examplesBox()->setValue(2);
  curves->methodBox(ce::core::Method::AtP)->setChecked(true);
  curves->basisBox(ce::core::Basis::MlpOut)->setChecked(true);
  QSignalSpy ready(curves, &ce::ui::CurvesView::curvesReady);
  curves->compute();
  QVERIFY2(ready.wait(300000), qPrintable(w_->lastError()));
  const auto named = curves->namedCurves();
  QCOMPARE(static_cast<int>(named.size()), 4);
  const QStringList expected{QStringLiteral("relp mlp_act"), QStringLiteral("atp mlp_act"),
                             QStringLiteral("relp mlp_out"), QStringLiteral("atp mlp_out")};
  for (size_t i = 0; i < named.size(); ++i) {
    QCOMPARE(named[i].method + QLatin1Char(' ') + named[i].basis, expected[static_cast<int>(i)]);
    QVERIFY(named[i].curve.points.size() >= 31);
    // One model, one test split: m(M) is the same for every curve; m(∅) is the basis's.
    QVERIFY(std::fabs(named[i].curve.m_full - named[0].curve.m_full) < 1e-9);
  }
  QCOMPARE(named[1].curve.m_empty, named[0].curve.m_empty);
  QCOMPARE(named[3].curve.m_empty, named[2].curve.m_empty);
  QVERIFY(named[2].curve.m_empty != named[0].curve.m_empty);
  QCOMPARE(curves->lineSeriesCount(), 8);
  // The traced circuit is an mlp_act one: marked on the two mlp_act curves.
  QCOMPARE(static_cast<int>(curves->marker().size()), 2);
  const QString csv = tmp_.filePath(QStringLiteral("curves.csv"));
  QVERIFY(w_->exportCurves(csv));
  QFile f(csv);
  QVERIFY(f.open(QIODevice::ReadOnly));
  const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
  QCOMPARE(lines[0], QStringLiteral("method,basis,ablation,threshold,nodes,faithfulness,completeness,m_circuit,m_complement"));
  QSet<QString> pairs;
  for (int i = 1; i < lines.size(); ++i) pairs.insert(lines[i].section(QLatin1Char(','), 0, 1));
  QCOMPARE(pairs.size(), 4);
  curves->methodBox(ce::core::Method::AtP)->setChecked(false);
  curves->basisBox(ce::core::Basis::MlpOut)->setChecked(false);
  // Nothing checked: a clear message, no job.
  curves->methodBox(ce::core::Method::RelP)->setChecked(false);
  QSignalSpy error(curves, &ce::ui::CurvesView::errorOccurred);
  curves->compute();
  QCOMPARE(error.count(), 1);
  QVERIFY(error[0][0].toString().contains(QStringLiteral("at least one method")));
  curves->methodBox(ce::core::Method::RelP)->setChecked(true);
}

void TestGui::meanAblationFromChosenDataset() {
  // A dataset of the user's whose only patch prompt (Fresno) has the Texas prompt's length: the mean-ablation
  // value of each traced neuron is its activation on that prompt.
  const QString file = tmp_.filePath(QStringLiteral("fresno.jsonl"));
  {
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(
        R"({"clean_prefix": "Fact: the capital of the state containing Dallas is", "patch_prefix": "Fact: the capital of the state containing Fresno is", "clean_answer": " Austin", "patch_answer": " Sacramento"})"
        "\n");
  }
  auto* box = w_->curvesView()->datasetBox();
  const int before = box->currentIndex();
  box->insertItem(0, QStringLiteral("fresno.jsonl"), file);
  box->setCurrentIndex(0);
  w_->interventions()->clear();
  w_->promptPanel()->setSettings(MainWindow::texasPrompt());
  QVERIFY2(retrace(*w_), qPrintable(w_->lastError()));
  const auto& t = w_->lastTrace();
  QVERIFY2(t.meanSource.contains(QStringLiteral("1 patch prompts of fresno.jsonl")),
           qPrintable(t.meanSource));
  const auto& model = *w_->model();
  ce::core::AttributionOptions options;
  const auto fresno = ce::core::attribute(
      model,
      {ce::core::make_example(model.tokenizer(), "Fact: the capital of the state containing Fresno is",
                              " Sacramento")},
      options);
  QCOMPARE(t.meanValues.size(), t.nodes.size());
  for (const auto& n : t.nodes) {
    const float expected = fresno.activation[fresno.offset(n.node.layer, n.node.pos, n.node.index)];
    QVERIFY(std::fabs(t.meanValues.at(NodeKey{ce::core::Basis::MlpAct, n.node}) - expected) < 1e-4f);
  }
  // A set without a prompt of this length: the shipped capitals set serves, and the reason is given.
  box->setCurrentIndex(box->findText(QStringLiteral("sva/simple")));
  QVERIFY2(retrace(*w_), qPrintable(w_->lastError()));
  const QString source = w_->lastTrace().meanSource;
  QVERIFY2(
      source.contains(QStringLiteral("of capitals_paired.jsonl")) &&
          source.contains(QStringLiteral("no patch prompt of simple_train.json has this prompt's 11 tokens")),
      qPrintable(source));
  box->removeItem(0);
  box->setCurrentIndex(before);
}

void TestGui::chatTemplateFormatsPrompt() {
  w_->interventions()->clear();
  w_->promptPanel()->setSettings(MainWindow::texasPrompt());
  QVERIFY(!w_->promptPanel()->chatBox()->isChecked());  // the demo model has no chat template
  w_->promptPanel()->chatBox()->setChecked(true);
  QVERIFY(w_->promptPanel()->settings().chat);
  QVERIFY2(retrace(*w_), qPrintable(w_->lastError()));
  const auto& model = *w_->model();
  const auto s = MainWindow::texasPrompt();
  const auto expected = ce::core::format_chat_prompt(model.tokenizer(), s.prompt.toStdString());
  QCOMPARE(w_->lastTrace().ids, expected);
  QVERIFY(expected.size() > model.encode(s.prompt.toStdString()).size() + 10);  // [INST] … [/INST] around it
  QVERIFY(ce::ui::Session::fromJson(w_->currentSession().toJson()).trace.chat);
  w_->promptPanel()->chatBox()->setChecked(false);

  // An instruct model (a chat template in tokenizer_config.json) starts with the box checked.
  const QString dir = tmp_.filePath(QStringLiteral("instruct"));
  QVERIFY(QDir().mkpath(dir));
  const QDir demo(QString::fromStdString(model.dir()));
  for (const QString& name : demo.entryList(QDir::Files))
    QVERIFY(QFile::copy(demo.filePath(name), dir + QLatin1Char('/') + name));
  QFile cfgFile(dir + QStringLiteral("/tokenizer_config.json"));
  QVERIFY(cfgFile.open(QIODevice::ReadOnly));
  QJsonObject cfg = QJsonDocument::fromJson(cfgFile.readAll()).object();
  cfgFile.close();
  cfg.insert(QStringLiteral("chat_template"),
             QStringLiteral("{% for m in messages %}{{ m.content }}{% endfor %}"));
  QVERIFY(cfgFile.open(QIODevice::WriteOnly | QIODevice::Truncate));
  cfgFile.write(QJsonDocument(cfg).toJson());
  cfgFile.close();
  QSignalSpy loaded(w_.get(), &MainWindow::modelLoaded);
  QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
  w_->openModel(dir);
  QVERIFY2(loaded.wait(60000), qPrintable(w_->lastError()));
  QVERIFY(w_->promptPanel()->chatBox()->isChecked());
  QVERIFY2(traced.wait(120000), qPrintable(w_->lastError()));
  QCOMPARE(w_->lastTrace().ids, expected);
  // Back to the demo model, whose box starts unchecked again.
  w_->openModel(QString::fromStdString(ce::core::default_model_dir()));
  QVERIFY2(loaded.wait(60000), qPrintable(w_->lastError()));
  QVERIFY(!w_->promptPanel()->chatBox()->isChecked());
  QVERIFY2(traced.wait(120000), qPrintable(w_->lastError()));
}

void TestGui::darkPaletteIsFollowed() {
  // What a desktop switching to a dark theme does: a new application palette, delivered as PaletteChange.
  const QPalette light = QApplication::palette();
  QPalette dark(QColor(0x2d, 0x2d, 0x2d));
  dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
  dark.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
  dark.setColor(QPalette::WindowText, QColor(0xf0, 0xf0, 0xf0));
  QApplication::setPalette(dark);
  QCoreApplication::processEvents();
  int labels = 0;
  for (QGraphicsItem* item : w_->graphView()->scene()->items()) {
    if (auto* text = dynamic_cast<QGraphicsSimpleTextItem*>(item)) {
      QCOMPARE(text->brush().color(), dark.color(QPalette::Text));
      ++labels;
    }
  }
  QVERIFY(labels > 10);
  QCOMPARE(w_->tokenChart()->chart()->titleBrush().color(), dark.color(QPalette::WindowText));
  QCOMPARE(w_->curvesView()->chartView()->chart()->titleBrush().color(), dark.color(QPalette::WindowText));
  // The window as drawn is dark, and an exported PNG keeps the background its light labels need.
  const QImage shot = w_->grab().toImage();
  double luminance = 0;
  int samples = 0;
  for (int y = 0; y < shot.height(); y += 7) {
    for (int x = 0; x < shot.width(); x += 7) {
      luminance += qGray(shot.pixel(x, y));
      ++samples;
    }
  }
  luminance /= samples;
  qInfo("dark palette: mean grey level of the window %.0f of 255", luminance);
  QVERIFY(luminance < 90);
  const QString png = tmp_.filePath(QStringLiteral("dark.png"));
  QVERIFY(w_->exportGraph(png));
  QCOMPARE(QColor(QImage(png).pixel(1, 1)), dark.color(QPalette::Base));
  QApplication::setPalette(light);
  QCoreApplication::processEvents();
  QCOMPARE(w_->tokenChart()->chart()->titleBrush().color(), light.color(QPalette::WindowText));
}

void TestGui::specificGroupsFlipTexas() {
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

void TestGui::shippedSessionSteersToSacramento() {
  // What `circuit-explorer --session resources/sessions/texas_to_california.json` shows.
  const QString path = QString::fromStdString(ce::core::resources_dir()) +
                       QStringLiteral("/sessions/texas_to_california.json");
  QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
  QSignalSpy live(w_.get(), &MainWindow::liveUpdated);
  QVERIFY2(w_->openSession(path), qPrintable(w_->lastError()));
  // The interventions apply at once (live lane) while the prompt is traced (heavy lane).
  QVERIFY(waitLive(*w_, live));
  QVERIFY2(traced.count() > 0 || traced.wait(60000), qPrintable(w_->lastError()));
  QCOMPARE(static_cast<int>(w_->interventions()->groups().size()), 2);
  QCOMPARE(static_cast<int>(w_->interventions()->interventions().size()), 32);
  QCOMPARE(QString::fromStdString(w_->tokenChart()->tokens()[0].text), QStringLiteral(" Sacramento"));
  // The graph draws the every-position groups on the traced nodes they contain.
  int ablated = 0;
  for (NodeItem* n : w_->graphView()->nodeItems()) ablated += n->factor() == 0.0;
  QVERIFY(ablated > 0);
  qInfo("Texas session: top token \"%s\", continuation \"%s\", %d traced nodes drawn ablated",
        w_->tokenChart()->tokens()[0].text.c_str(), qPrintable(w_->steeringPanel()->continuation()), ablated);
  w_->interventions()->clear();
}

void TestGui::sessionOptionScreenshot() {
  // `circuit-explorer --session S --screenshot F`, as the README regenerates its figure. Qt itself would
  // swallow "--session" (X11 session management) if the program did not take it out first.
  const QString png = tmp_.filePath(QStringLiteral("steered.png"));
  const Run r = runExplorer({QStringLiteral("--session"),
                             QString::fromStdString(ce::core::resources_dir()) +
                                 QStringLiteral("/sessions/texas_to_california.json"),
                             QStringLiteral("--screenshot"), png});
  QVERIFY2(r.code == 0, qPrintable(r.err));
  const QString& out = r.out;
  qInfo("%s", qPrintable(out.trimmed()));
  QVERIFY2(out.contains(QStringLiteral("top next token \" Sacramento\"")) &&
               out.contains(QStringLiteral("under 32 interventions")),
           qPrintable(out));
  QImage image(png);
  QVERIFY(!image.isNull());
  QVERIFY(image.width() > 800 && image.height() > 500);
}

void TestGui::highDpiScreenshot() {
  // A 2x display (QT_SCALE_FACTOR=2 stands in for one): the window is drawn at twice the pixels, not
  // scaled up from a 1x image.
  const QString one = tmp_.filePath(QStringLiteral("x1.png")), two = tmp_.filePath(QStringLiteral("x2.png"));
  QCOMPARE(runExplorer({QStringLiteral("--screenshot"), one}, QStringLiteral("1")).code, 0);
  QCOMPARE(runExplorer({QStringLiteral("--screenshot"), two}, QStringLiteral("2")).code, 0);
  const QImage a(one), b(two);
  qInfo("screenshots: %dx%d at 1x, %dx%d at 2x", a.width(), a.height(), b.width(), b.height());
  QCOMPARE(b.width(), 2 * a.width());
  QCOMPARE(b.height(), 2 * a.height());
  // Drawn at the higher resolution, not pixel-doubled: many 2x2 blocks of the 2x image hold more than one
  // colour (a doubled 1x image has none), and it has at least the 1x image's grey levels.
  int mixed = 0;
  for (int y = 0; y + 1 < b.height(); y += 2) {
    for (int x = 0; x + 1 < b.width(); x += 2) {
      const QRgb c = b.pixel(x, y);
      mixed += (b.pixel(x + 1, y) != c || b.pixel(x, y + 1) != c || b.pixel(x + 1, y + 1) != c) ? 1 : 0;
    }
  }
  qInfo("2x screenshot: %d of %d 2x2 blocks are not one colour", mixed, (b.width() / 2) * (b.height() / 2));
  QVERIFY(mixed > 1000);
  auto levels = [](const QImage& image) {
    QSet<int> seen;
    for (int y = 0; y < image.height(); y += 3) {
      for (int x = 0; x < image.width(); x += 3) seen.insert(qGray(image.pixel(x, y)));
    }
    return seen.size();
  };
  QVERIFY(levels(b) >= levels(a));
}

void TestGui::selectOptionInspects() {
  // `--select NODE` shows a node in the Neuron panel after the start-up trace (the README's third figure).
  const QString png = tmp_.filePath(QStringLiteral("neuron.png"));
  Run r = runExplorer(
      {QStringLiteral("--select"), QStringLiteral("L3/N701@10"), QStringLiteral("--screenshot"), png});
  QCOMPARE(r.code, 0);
  QVERIFY(!QImage(png).isNull());
  r = runExplorer({QStringLiteral("--select"), QStringLiteral("3/701"), QStringLiteral("--screenshot"), png});
  QCOMPARE(r.code, 2);
  QVERIFY2(r.err.contains(QStringLiteral("--select needs a position")), qPrintable(r.err));
  r = runExplorer(
      {QStringLiteral("--select"), QStringLiteral("L0/N0@0"), QStringLiteral("--screenshot"), png});
  QCOMPARE(r.code, 1);
  const QString& err = r.err;
  QVERIFY2(err.contains(QStringLiteral("L0/N0@0 is not in the traced graph")), qPrintable(err));
}

void TestGui::modelWithoutExemplarIndex() {
  // A model for which no exemplar index exists (the shipped one belongs to the demo model): the explorer
  // says so, traces, and selecting a neuron asks for no exemplars.
  const QString stories = QStringLiteral(CE_SHARED_DATA_DIR "/stories260K/hf");
  if (!QFileInfo::exists(stories + QStringLiteral("/config.json")))
    QSKIP("../shared/data/stories260K is absent");
  QSignalSpy loaded(w_.get(), &MainWindow::modelLoaded);
  QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
  w_->promptPanel()->setSettings([] {
    ce::ui::TraceSettings s;
    s.prompt = QStringLiteral("Once upon a time, there was a little girl");
    return s;
  }());
  w_->openModel(stories);
  QVERIFY2(loaded.wait(60000), qPrintable(w_->lastError()));
  QVERIFY(!w_->exemplarIndex());
  QVERIFY2(traced.wait(120000), qPrintable(w_->lastError()));
  auto* g = w_->graphView();
  QVERIFY(!g->nodeItems().empty());
  NodeItem* node = g->nodeItems().front();
  QVERIFY(!g->toolTipFor(node).contains(QStringLiteral("exemplar")));
  QSignalSpy exemplarJobs(w_->exemplarRunner(), &ce::ui::JobRunner::started);
  g->selectNodes({node->key()});
  QCOMPARE(exemplarJobs.count(), 0);
  QVERIFY(w_->inspector()->title().startsWith(node->label()));
  QVERIFY(w_->inspector()->exemplars(ce::core::Polarity::Positive).empty());
  QVERIFY2(w_->inspector()->exemplarHtml().contains(QStringLiteral("No exemplar index for this model")),
           qPrintable(w_->inspector()->exemplarHtml()));
  // The demo model's index does not fit this model: refused with the reason, the state unchanged.
  QSignalSpy failed(w_->heavyRunner(), &ce::ui::JobRunner::failed);
  w_->openExemplarIndex(QString::fromStdString(ce::core::resources_dir()) +
                        QStringLiteral("/exemplars/geo_mlp_act.cexi"));
  QVERIFY(failed.wait(30000));
  QVERIFY2(w_->lastError().contains(QStringLiteral("model")), qPrintable(w_->lastError()));
  QVERIFY(!w_->exemplarIndex());
}

void TestGui::cleanupTestCase() { w_.reset(); }

QTEST_MAIN(TestGui)
#include "test_gui.moc"
