// The explorer on a small screen and from the keyboard (issue #15 item 5, and the Neuron panel of item 6): the
// window at 1024×700 with the graph wide enough to read, the tab order through every control as a list, dock
// tabs and graph nodes reached by keys, typed slider values as one undo step, the View menu's docks, and the
// Neuron panel opened by a click with its position labels under their bars. Each case on a fresh window.
#include <QApplication>
#include <QBarSeries>
#include <QChart>
#include <QChartView>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QGraphicsTextItem>
#include <QMenuBar>
#include <QSlider>
#include <QTabBar>
#include <QUndoStack>

#include "ce/core/model/device.h"
#include "graph/circuit_graph_view.h"
#include "graph/node_item.h"
#include "gui_support.h"
#include "panels/curves_view.h"
#include "panels/neuron_inspector.h"
#include "panels/prompt_panel.h"
#include "panels/steering_panel.h"
#include "state/circuit_history.h"
#include "state/intervention_state.h"

using ce::ui::MainWindow;

namespace {

// The name of the control Tab landed on: a spin box's line edit answers for its spin box.
QString controlName(const QWidget* w) {
  if (!w) return QStringLiteral("<none>");
  const QWidget* p = w->parentWidget();
  if (p && p->focusProxy() == w && !p->objectName().isEmpty()) return p->objectName();
  return w->objectName().isEmpty() ? QString::fromLatin1(w->metaObject()->className()) : w->objectName();
}

// On screen and usable: a dock behind another's tab is "visible" off-screen, and disabled.
bool shown(const QWidget* w) {
  const QWidget* top = w->window();
  return w->isVisible() && w->isEnabled() && top->rect().intersects(QRect(w->mapTo(top, QPoint(0, 0)), w->size()));
}

QDockWidget* dock(MainWindow& w, const char* name) { return w.findChild<QDockWidget*>(QString::fromLatin1(name)); }

// A shown node that a click at its centre reaches (no caption lies over it), largest |effect| first.
const ce::ui::NodeItem* clickableNode(ce::ui::CircuitGraphView* g) {
  std::vector<const ce::ui::NodeItem*> nodes(g->nodeItems().begin(), g->nodeItems().end());
  std::sort(nodes.begin(), nodes.end(),
            [](auto* a, auto* b) { return std::fabs(a->effect()) > std::fabs(b->effect()); });
  for (const auto* n : nodes) {
    if (n->kind() != ce::ui::NodeItem::Kind::Node || !n->isVisible()) continue;
    const QPoint at = g->mapFromScene(n->sceneBoundingRect().center());
    if (g->viewport()->rect().contains(at) && g->itemAt(at) == n) return n;
  }
  return nullptr;
}

}  // namespace

class TestGuiKeyboard : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init() { ce::test::openExplorer(w_); }
  void cleanup() { w_.reset(); }

  void smallScreenKeepsTheGraphWide() {
    // It was 920×878 at least (no 768-px laptop could show it) and left the graph ~70 px at that size.
    const QSize min = w_->minimumSizeHint();
    QVERIFY2(min.width() <= 1024 && min.height() <= 700,
             qPrintable(QStringLiteral("%1×%2").arg(min.width()).arg(min.height())));
    w_->resize(1024, 700);
    QTest::qWait(50);
    QCOMPARE(w_->size(), QSize(1024, 700));
    QVERIFY2(w_->graphView()->width() >= 300, qPrintable(QString::number(w_->graphView()->width())));
    // The docks shrank rather than closing: the prompt, the chart and the steering stay usable beside the graph.
    for (const char* name : {"promptDock", "chartDock", "steerDock"}) {
      QDockWidget* d = dock(*w_, name);
      QVERIFY2(d->isVisible() && d->width() >= MainWindow::kMinDockWidth && d->height() >= 200,
               qPrintable(QStringLiteral("%1 %2×%3").arg(QString::fromLatin1(name)).arg(d->width()).arg(d->height())));
      QVERIFY(!d->geometry().intersects(w_->centralWidget()->geometry()));
    }
    qInfo("minimum %d×%d; at 1024×700 the graph is %d×%d", min.width(), min.height(), w_->graphView()->width(),
          w_->graphView()->height());
  }

  void tabOrderIsTheReadingOrder() {
    w_->interventions()->addGroup(QStringLiteral("g"), {w_->graphView()->nodeItems().front()->key()});
    QTest::qWait(20);  // the steering row is rebuilt and the order set again (queued)
    w_->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(w_.get()));
    QWidget* prompt = w_->promptPanel()->findChild<QWidget*>(QStringLiteral("prompt"));
    prompt->setFocus();
    QStringList walk;
    for (int i = 0; i < 40; ++i) {
      QWidget* f = QApplication::focusWidget();
      // Focus never vanishes into nothing or into a control the user cannot see (a dock behind another's tab).
      QVERIFY2(f && f->isVisible() && f->window() == w_.get() && !f->visibleRegion().isEmpty(),
               qPrintable(walk.join(QStringLiteral(" → ")) + QStringLiteral(" → ") + controlName(f)));
      walk << controlName(f);
      if (i > 0 && f == prompt) break;
      QTest::keyClick(f, Qt::Key_Tab);
    }
    const QStringList expected = {
        QStringLiteral("prompt"),     QStringLiteral("answer"),         QStringLiteral("contrast"),
        QStringLiteral("patch"),      QStringLiteral("chatTemplate"),   QStringLiteral("method"),
        QStringLiteral("basis"),      QStringLiteral("metric"),         QStringLiteral("topK"),
        QStringLiteral("threshold"),  QStringLiteral("thresholdValue"), QStringLiteral("edges"),
        QStringLiteral("trace"),      QStringLiteral("dockTabs"),       QStringLiteral("groupSlider0"),
        QStringLiteral("groupFactor0"), QStringLiteral("removeGroup0"), QStringLiteral("resetAll"),
        QStringLiteral("centralTabBar"), QStringLiteral("circuitGraph"), QStringLiteral("prompt")};
    QCOMPARE(walk, expected);
    // Shift+Tab walks it back.
    QTest::keyClick(prompt, Qt::Key_Backtab);
    QCOMPARE(controlName(QApplication::focusWidget()), QStringLiteral("circuitGraph"));
  }

  void dockTabsAndGraphNodesByKeys() {
    w_->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(w_.get()));
    QTabBar* tabs = w_->findChild<QTabBar*>(QStringLiteral("dockTabs"));
    QVERIFY(tabs);
    QCOMPARE(tabs->tabText(tabs->currentIndex()), QStringLiteral("Steering"));
    tabs->setFocus();
    QTest::keyClick(tabs, Qt::Key_Right);
    QCOMPARE(tabs->tabText(tabs->currentIndex()), QStringLiteral("Curves"));
    QTRY_VERIFY(shown(w_->curvesView()));
    QVERIFY(!shown(w_->steeringPanel()));
    QTest::keyClick(tabs, Qt::Key_Left);
    QTRY_VERIFY(shown(w_->steeringPanel()));
    // In the graph: an arrow selects the node of largest |effect|, Enter opens the Neuron panel on it.
    ce::ui::CircuitGraphView* g = w_->graphView();
    g->setFocus();
    QTest::keyClick(g, Qt::Key_Right);
    QCOMPARE(g->selectedNodes().size(), size_t{1});
    const ce::ui::NodeKey first = g->selectedNodes().front();
    double largest = 0;
    for (const auto* n : g->nodeItems()) {
      if (n->kind() == ce::ui::NodeItem::Kind::Node) largest = std::max(largest, std::fabs(static_cast<double>(n->effect())));
    }
    QCOMPARE(std::fabs(static_cast<double>(g->nodeItem(first)->effect())), largest);
    QVERIFY(!shown(w_->inspector()));
    QTest::keyClick(g, Qt::Key_Return);
    QTRY_VERIFY(shown(w_->inspector()));
    QVERIFY(w_->inspector()->inspected() == first);
    QCOMPARE(QApplication::focusWidget(), g);  // the panel opens beside, the keys stay in the graph
    QTest::keyClick(g, Qt::Key_Down);
    QCOMPARE(g->selectedNodes().size(), size_t{1});
    QVERIFY(!(g->selectedNodes().front() == first));
    QVERIFY(w_->inspector()->inspected() == g->selectedNodes().front());
  }

  void typedFactorIsOneUndoStep() {
    const ce::ui::NodeKey k = w_->graphView()->nodeItems().front()->key();
    w_->interventions()->addGroup(QStringLiteral("g"), {k});
    QTest::qWait(20);
    QDoubleSpinBox* field = w_->steeringPanel()->factorField(0);
    QSlider* slider = w_->steeringPanel()->slider(0);
    QVERIFY(field && slider);
    QCOMPARE(field->value(), 1.0);
    QVERIFY(slider->focusPolicy() & Qt::TabFocus);
    const int steps = w_->history()->stack()->count();
    field->setFocus();
    field->selectAll();
    QTest::keyClicks(field, QStringLiteral("-2.5"));
    QCOMPARE(w_->interventions()->groups()[0].factor, 1.0);  // nothing until Enter
    QTest::keyClick(field, Qt::Key_Return);
    QCOMPARE(w_->interventions()->groups()[0].factor, -2.5);
    QCOMPARE(slider->value(), -10);  // 4 steps per unit
    QCOMPARE(w_->history()->stack()->count(), steps + 1);
    QCOMPARE(w_->history()->stack()->undoText(), QStringLiteral("Steer Group \u201cg\u201d \u00d7-2.5"));
    w_->history()->stack()->undo();
    QCOMPARE(w_->interventions()->groups()[0].factor, 1.0);
    QCOMPARE(field->value(), 1.0);
    QCOMPARE(slider->value(), 4);
    // The slider moves the field.
    slider->setValue(12);
    QCOMPARE(field->value(), 3.0);
  }

  void typedThresholdFiltersTheGraph() {
    ce::ui::PromptPanel* p = w_->promptPanel();
    QDoubleSpinBox* field = p->thresholdField();
    double largest = 0;
    for (const auto& n : w_->lastTrace().nodes) largest = std::max(largest, std::fabs(double(n.effect)));
    QVERIFY(largest > 0);
    const QString typed = QString::number(largest / 2, 'f', field->decimals());
    const double t = typed.toDouble();
    int expected = 0;
    for (const auto& n : w_->lastTrace().nodes) expected += std::fabs(double(n.effect)) >= t ? 1 : 0;
    QVERIFY(expected > 0 && expected < static_cast<int>(w_->lastTrace().nodes.size()));
    const int steps = w_->history()->stack()->count();
    field->setFocus();
    field->selectAll();
    QTest::keyClicks(field, typed);
    QTest::keyClick(field, Qt::Key_Return);
    QCOMPARE(p->settings().threshold, t);
    QCOMPARE(static_cast<int>(w_->shownNodes().size()), expected);
    QCOMPARE(static_cast<int>(w_->graphView()->nodeItems().size()) >= expected, true);
    QVERIFY(p->thresholdSlider()->value() > 0 && p->thresholdSlider()->value() < p->thresholdSlider()->maximum());
    QCOMPARE(w_->history()->stack()->count(), steps + 1);
    // The slider at its right end shows only the top node, and the field follows it.
    p->thresholdSlider()->setValue(p->thresholdSlider()->maximum());
    QVERIFY(std::fabs(field->value() - largest) <= std::pow(10.0, -field->decimals()));
  }

  // File › Run On Device lists the CPU and each GPU, and only where LibTorch sees a GPU.
  void deviceMenuOnlyWithAGpu() {
    const int gpus = ce::core::cuda_device_count();
    QMenu* menu = w_->findChild<QMenu*>(QStringLiteral("deviceMenu"));
    QCOMPARE(menu != nullptr, gpus > 0);
    if (!menu) return;
    QCOMPARE(menu->actions().size(), 1 + gpus);
    QVERIFY(menu->actions().front()->isChecked());  // the CPU until another is chosen
  }

  void viewMenuReopensEveryDock() {
    QMenu* view = nullptr;
    for (QAction* a : w_->menuBar()->actions()) {
      if (a->text() == QStringLiteral("&View")) view = a->menu();
    }
    QVERIFY(view);
    QAction* docksAction = ce::test::findAction(view, QStringLiteral("&Docks"));
    QVERIFY(docksAction && docksAction->menu());
    const QList<QAction*> actions = docksAction->menu()->actions();
    QStringList texts;
    for (QAction* a : actions) texts << a->text();
    QCOMPARE(texts, (QStringList{QStringLiteral("Prompt and Attribution"), QStringLiteral("Next Token"),
                                 QStringLiteral("Steering"), QStringLiteral("Curves"), QStringLiteral("Neuron")}));
    const QList<QDockWidget*> docks = {dock(*w_, "promptDock"), dock(*w_, "chartDock"), dock(*w_, "steerDock"),
                                       dock(*w_, "curvesDock"), dock(*w_, "inspectorDock")};
    for (QDockWidget* d : docks) d->close();
    QTest::qWait(20);
    for (int i = 0; i < docks.size(); ++i) {
      QVERIFY(!docks[i]->isVisible());
      QVERIFY(!actions[i]->isChecked());
      actions[i]->trigger();
      QTest::qWait(20);
      // Back, and in front of whatever shares its place.
      QTRY_VERIFY2(docks[i]->isVisible() && shown(docks[i]->widget()),
               qPrintable(docks[i]->objectName()));
      QVERIFY(actions[i]->isChecked());
    }
    QVERIFY(w_->graphView()->width() >= 300);
  }

  void clickOpensTheNeuronPanelWithItsLabelsUnderTheBars() {
    ce::ui::CircuitGraphView* g = w_->graphView();
    const ce::ui::NodeItem* node = clickableNode(g);
    QVERIFY(node);
    QVERIFY(!shown(w_->inspector()));  // Steering is in front
    QTest::mouseClick(g->viewport(), Qt::LeftButton, {}, g->mapFromScene(node->sceneBoundingRect().center()));
    QTRY_VERIFY(shown(w_->inspector()));
    QVERIFY(w_->inspector()->inspected() == node->key());
    QTest::qWait(50);  // the chart lays its axis out

    // Each position's label ends under its own pair of bars, not half a slot over (the bar of " is" read as
    // "Dallas"'s): the label's end nearest the axis is within a quarter slot of the category's centre.
    QChart* chart = w_->inspector()->chartView()->chart();
    QAbstractSeries* series = chart->series().front();
    const int positions = w_->lastTrace().positions;
    QVERIFY(positions > 3);
    // Position i is category i + 1: an empty slot at each end keeps the end labels drawn.
    auto centre = [&](int i) { return chart->mapToScene(chart->mapToPosition(QPointF(i + 1, 0), series)).x(); };
    const double slot = centre(1) - centre(0);
    QVERIFY(slot > 4);
    int checked = 0;
    for (QGraphicsItem* item : chart->scene()->items()) {
      auto* text = dynamic_cast<QGraphicsTextItem*>(item);
      if (!text || !text->isVisible()) continue;
      const QString label = text->toPlainText();
      bool ok = false;
      const int i = label.section(QLatin1Char(' '), 0, 0).toInt(&ok);
      if (!ok || !label.contains(QLatin1Char(' ')) || i < 0 || i >= positions) continue;
      const QRectF r = text->boundingRect();
      const double end = text->mapToScene(QPointF(r.right(), r.center().y())).x();
      QVERIFY2(std::fabs(end - centre(i)) < slot / 4,
               qPrintable(QStringLiteral("'%1' ends at x=%2, its bars are centred at %3 (slot %4)")
                              .arg(label)
                              .arg(end)
                              .arg(centre(i))
                              .arg(slot)));
      ++checked;
    }
    QCOMPARE(checked, positions);
  }

 private:
  std::unique_ptr<MainWindow> w_;
};

QTEST_MAIN(TestGuiKeyboard)
#include "test_gui_keyboard.moc"
