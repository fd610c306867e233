// CircuitHistory as a pure unit: no model, no window. Every edit of the circuit is one undo step, undo
// restores the exact state before it (groups, factors, values, labels, pins, threshold) and redo the state
// after it; a slider drag is one step; each step's text says what it undoes.
#include <QTest>
#include <QUndoStack>
#include <vector>

#include "node_key.h"
#include "state/circuit_history.h"

using ce::test::key;
using ce::ui::CircuitHistory;
using ce::ui::CircuitSnapshot;
using ce::ui::InterventionState;

class TestCircuitHistory : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void everyEditUndoesAndRedoesExactly();
  void sliderDragIsOneStep();
  void draggedBackLeavesNoStep();
  void batchedEditIsOneStep();
  void mergeIsOneStep();
  void unrecordedChangeAndClear();
  void textsNameTheEdit();
};

namespace {
struct Rig {
  InterventionState state;
  double threshold = 0;
  CircuitHistory history{&state, [this] { return threshold; }, [this](double t) {
                           threshold = t;
                           history.record();  // what the prompt panel's signal does
                         }};
  void setThreshold(double t) {
    threshold = t;
    history.record();
  }
};
}  // namespace

void TestCircuitHistory::everyEditUndoesAndRedoesExactly() {
  Rig r;
  std::vector<CircuitSnapshot> states{r.history.current()};
  std::vector<QString> texts;
  auto step = [&](const std::function<void()>& edit) {
    edit();
    states.push_back(r.history.current());
    texts.push_back(r.history.stack()->undoText());
  };
  step([&] { r.state.setNodeFactor(key(3, 9, 701), 0.0); });
  step([&] { r.state.addGroup(QStringLiteral("Texas"), {key(0, 5, 12), key(1, -1, 40)}); });
  step([&] { r.state.setGroupFactor(0, 4.0); });
  step([&] { r.state.setNodeValue(key(2, 9, 33), -1.5f); });
  step([&] { r.state.setLabel(3, 701, QStringLiteral("say Austin")); });
  step([&] { r.state.setPinned(key(0, 5, 12), true); });
  step([&] { r.setThreshold(0.25); });
  step([&] { r.state.renameGroup(0, QStringLiteral("Dallas")); });
  step([&] { r.state.reset(); });
  step([&] { r.state.removeGroup(0); });
  QCOMPARE(r.history.stack()->count(), 10);
  QCOMPARE(texts, (std::vector<QString>{
                      QStringLiteral("Ablate L3/N701@9"), QStringLiteral("Add Group \u201cTexas\u201d"),
                      QStringLiteral("Steer Group \u201cTexas\u201d \u00d74"), QStringLiteral("Mean-ablate L2/N33@9"),
                      QStringLiteral("Label L3/N701"), QStringLiteral("Pin L0/N12@5"), QStringLiteral("Threshold 0.25"),
                      QStringLiteral("Rename Group \u201cTexas\u201d to \u201cDallas\u201d"), QStringLiteral("Reset"),
                      QStringLiteral("Remove Group \u201cDallas\u201d")}));
  // Undo one step at a time: each gives back the exact state before it.
  for (size_t i = states.size() - 1; i > 0; --i) {
    r.history.stack()->undo();
    QVERIFY2(r.history.current() == states[i - 1], qPrintable(QStringLiteral("after undoing step %1").arg(i)));
  }
  QVERIFY(r.state.groups().empty() && r.state.nodeFactors().empty() && r.state.labels().empty());
  QCOMPARE(r.threshold, 0.0);
  // Redo re-applies each one.
  for (size_t i = 1; i < states.size(); ++i) {
    r.history.stack()->redo();
    QVERIFY2(r.history.current() == states[i], qPrintable(QStringLiteral("after redoing step %1").arg(i)));
  }
  // Spot checks of the values themselves, not only of the comparison.
  r.history.stack()->setIndex(7);
  QCOMPARE(r.threshold, 0.25);
  QCOMPARE(r.state.groups().at(0).factor, 4.0);
  QCOMPARE(r.state.nodeValues().at(key(2, 9, 33)), -1.5f);
  QCOMPARE(r.state.label(3, 701), QStringLiteral("say Austin"));
  QVERIFY(r.state.isPinned(key(0, 5, 12)));
  QCOMPARE(r.state.nodeFactors().at(key(3, 9, 701)), 0.0);
  // An undo is not itself recorded: the stack still has all ten steps.
  QCOMPARE(r.history.stack()->count(), 10);
}

void TestCircuitHistory::sliderDragIsOneStep() {
  Rig r;
  r.state.addGroup(QStringLiteral("g"), {key(1, 2, 3)});
  const int before = r.history.stack()->count();
  // A drag: the steering slider sets the factor once per step, 1 → 4 by quarters.
  for (int v = 5; v <= 16; ++v) r.state.setGroupFactor(0, v / 4.0);
  QCOMPARE(r.history.stack()->count(), before + 1);
  QCOMPARE(r.history.stack()->undoText(), QStringLiteral("Steer Group \u201cg\u201d \u00d74"));
  r.history.stack()->undo();
  QCOMPARE(r.state.groups().at(0).factor, 1.0);
  r.history.stack()->redo();
  QCOMPARE(r.state.groups().at(0).factor, 4.0);
  // The threshold slider too; another group's slider does not merge into it.
  r.setThreshold(0.1);
  r.setThreshold(0.2);
  r.setThreshold(0.3);
  QCOMPARE(r.history.stack()->count(), before + 2);
  r.state.addGroup(QStringLiteral("h"), {key(1, 2, 4)});
  r.state.setGroupFactor(0, 2.0);
  r.state.setGroupFactor(1, 2.0);
  QCOMPARE(r.history.stack()->count(), before + 5);
  // A later drag of the same slider, after the merge window, is a step of its own.
  QTest::qWait(CircuitHistory::kMergeMs + 100);
  r.state.setGroupFactor(1, 3.0);
  QCOMPARE(r.history.stack()->count(), before + 6);
}

void TestCircuitHistory::draggedBackLeavesNoStep() {
  Rig r;
  r.state.addGroup(QStringLiteral("g"), {key(1, 2, 3)});
  r.state.setGroupFactor(0, 2.0);
  r.state.setGroupFactor(0, 1.0);
  QCOMPARE(r.history.stack()->count(), 1);
  QCOMPARE(r.history.stack()->undoText(), QStringLiteral("Add Group \u201cg\u201d"));
}

void TestCircuitHistory::batchedEditIsOneStep() {
  Rig r;
  r.history.edit([&] {
    for (int i = 0; i < 5; ++i) r.state.setNodeFactor(key(2, i, 10 + i), 0.0);
  });
  QCOMPARE(r.history.stack()->count(), 1);
  QCOMPARE(r.history.stack()->undoText(), QStringLiteral("Ablate 5 Nodes"));
  r.history.stack()->undo();
  QVERIFY(r.state.nodeFactors().empty());
}

void TestCircuitHistory::mergeIsOneStep() {
  Rig r;
  r.state.addGroup(QStringLiteral("a"), {key(1, 2, 3), key(1, 2, 4)});
  r.state.addGroup(QStringLiteral("b"), {key(1, 2, 4), key(2, -1, 7)});
  r.state.setGroupFactor(1, 0.0);
  const CircuitSnapshot before = r.history.current();
  r.state.mergeGroups(0, 1);
  QCOMPARE(r.state.groups().size(), size_t{1});
  QVERIFY(r.state.groups()[0].nodes == (std::vector<ce::ui::NodeKey>{key(1, 2, 3), key(1, 2, 4), key(2, -1, 7)}));
  QCOMPARE(r.state.groups()[0].factor, 1.0);  // the target keeps its own factor
  QCOMPARE(r.history.stack()->undoText(), QStringLiteral("Merge Group \u201cb\u201d into \u201ca\u201d"));
  r.history.stack()->undo();
  QVERIFY(r.history.current() == before);
  QCOMPARE(r.state.groups()[1].factor, 0.0);
  r.state.mergeGroups(0, 0);  // refused
  r.state.mergeGroups(0, 5);
  QCOMPARE(r.state.groups().size(), size_t{2});
}

void TestCircuitHistory::unrecordedChangeAndClear() {
  Rig r;
  r.state.setPinned(key(1, 1, 1), true);
  r.history.unrecorded([&] { r.threshold = 0.5; });
  QCOMPARE(r.history.stack()->count(), 1);
  r.history.stack()->undo();  // back to the state before the pin, the threshold of then included
  QVERIFY(r.state.pins().empty());
  QCOMPARE(r.threshold, 0.0);
  r.history.stack()->redo();
  r.history.clear();
  QCOMPARE(r.history.stack()->count(), 0);
  QVERIFY(!r.history.stack()->canUndo());
  QVERIFY(r.state.isPinned(key(1, 1, 1)));
}

void TestCircuitHistory::textsNameTheEdit() {
  CircuitSnapshot a;
  CircuitSnapshot b = a;
  b.nodeFactors[key(3, 9, 701)] = 2.0;
  QCOMPARE(CircuitHistory::describe(a, b), QStringLiteral("Steer L3/N701@9 \u00d72"));
  QCOMPARE(CircuitHistory::mergeKey(a, b), QStringLiteral("node-factor:L3/N701@9"));
  QCOMPARE(CircuitHistory::describe(b, a), QStringLiteral("Reset L3/N701@9"));
  QVERIFY(CircuitHistory::mergeKey(b, a).isEmpty());
  CircuitSnapshot c = a;
  c.pins = {key(1, 2, 3), key(1, 2, 4)};
  QCOMPARE(CircuitHistory::describe(a, c), QStringLiteral("Pin 2 Nodes"));
  QCOMPARE(CircuitHistory::describe(c, a), QStringLiteral("Unpin 2 Nodes"));
  CircuitSnapshot d = a;
  d.labels[{2, 5}] = QStringLiteral("x");
  QCOMPARE(CircuitHistory::describe(d, a), QStringLiteral("Remove Label of L2/N5"));
}

QTEST_GUILESS_MAIN(TestCircuitHistory)
#include "test_circuit_history.moc"
