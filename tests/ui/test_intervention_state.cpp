// InterventionState as a pure unit: no model, no window. It is the one place that turns the user's edits
// into the Intervention list the forward applies, so the list is checked field by field.
#include <QSignalSpy>
#include <QTest>
#include <vector>

#include "node_key.h"
#include "state/intervention_state.h"

using ce::core::Basis;
using ce::core::Intervention;
using ce::ui::InterventionState;
using ce::test::key;
using ce::ui::NodeKey;
using ce::ui::SteeringGroup;

namespace {

bool sameNode(const Intervention& iv, const NodeKey& k) {
  return iv.basis == k.basis && iv.layer == k.node.layer && iv.pos == k.node.pos && iv.index == k.node.index;
}

}  // namespace

class TestInterventionState : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void startsEmpty();
  void groupsGetIndicesAndCyclingColours();
  void removeAndOutOfRangeIndices();
  void groupFactorSignalsOnlyOnChange();
  void renameTrimsAndRefusesEmpty();
  void groupsOfCountsEveryPositionEntries();
  void nodeFactorAndValueReplaceEachOther();
  void resetKeepsGroupsClearKeepsNothing();
  void setAllReplacesEverything();
  void effectiveFactorMultipliesGroupsAndNode();
  void displayFactorCombinesEveryPosition();
  void groupColorFirstGroupWins();
  void interventionsListValuesThenFactors();
  void interventionsSkipProductsOfOne();
};

void TestInterventionState::startsEmpty() {
  InterventionState s;
  QVERIFY(s.groups().empty());
  QVERIFY(s.nodeFactors().empty());
  QVERIFY(s.nodeValues().empty());
  QVERIFY(s.interventions().empty());
  QVERIFY(s.isEmpty());
  QCOMPARE(s.nextGroupName(), QStringLiteral("Group 1"));
  QCOMPARE(s.effectiveFactor(key(0, 0, 0)), 1.0);
  QCOMPARE(s.displayFactor(key(0, 0, 0)), 1.0);
  QVERIFY(!s.groupColor(key(0, 0, 0)).isValid());
}

void TestInterventionState::groupsGetIndicesAndCyclingColours() {
  InterventionState s;
  QSignalSpy changed(&s, &InterventionState::changed);
  const std::vector<QColor> palette{QColor(0x1f, 0x9e, 0x89), QColor(0xe6, 0x7e, 0x22),
                                    QColor(0x8e, 0x44, 0xad), QColor(0xd3, 0x3f, 0x8c),
                                    QColor(0x27, 0xae, 0x60), QColor(0xb7, 0x95, 0x0b)};
  for (int i = 0; i < 8; ++i) {
    QCOMPARE(s.nextGroupName(), QStringLiteral("Group %1").arg(i + 1));
    QCOMPARE(s.addGroup(s.nextGroupName(), {key(i % 4, i, 10 + i)}), i);
  }
  QCOMPARE(changed.count(), 8);
  QCOMPARE(static_cast<int>(s.groups().size()), 8);
  for (size_t i = 0; i < 8; ++i) {
    QCOMPARE(s.groups()[i].color, palette[i % palette.size()]);
    QCOMPARE(s.groups()[i].factor, 1.0);
    QCOMPARE(s.groups()[i].name, QStringLiteral("Group %1").arg(i + 1));
  }
  // A new group changes nothing the forward sees until its factor moves.
  QVERIFY(s.interventions().empty());
}

void TestInterventionState::removeAndOutOfRangeIndices() {
  InterventionState s;
  s.addGroup(QStringLiteral("A"), {key(0, 0, 1)});
  s.addGroup(QStringLiteral("B"), {key(0, 0, 2)});
  s.addGroup(QStringLiteral("C"), {key(0, 0, 3)});
  QSignalSpy changed(&s, &InterventionState::changed);
  s.removeGroup(-1);
  s.removeGroup(3);
  s.setGroupFactor(-1, 0.0);
  s.setGroupFactor(3, 0.0);
  s.renameGroup(7, QStringLiteral("X"));
  QCOMPARE(changed.count(), 0);
  QCOMPARE(static_cast<int>(s.groups().size()), 3);
  s.removeGroup(1);
  QCOMPARE(changed.count(), 1);
  QCOMPARE(static_cast<int>(s.groups().size()), 2);
  QCOMPARE(s.groups()[0].name, QStringLiteral("A"));
  QCOMPARE(s.groups()[1].name, QStringLiteral("C"));
  // The next name counts the groups there are, not those ever made.
  QCOMPARE(s.nextGroupName(), QStringLiteral("Group 3"));
}

void TestInterventionState::groupFactorSignalsOnlyOnChange() {
  InterventionState s;
  s.addGroup(QStringLiteral("A"), {key(1, 2, 3)});
  QSignalSpy changed(&s, &InterventionState::changed);
  s.setGroupFactor(0, 1.0);  // already 1: a slider settling on its value must not trigger a recompute
  QCOMPARE(changed.count(), 0);
  s.setGroupFactor(0, -2.5);
  QCOMPARE(changed.count(), 1);
  QCOMPARE(s.groups()[0].factor, -2.5);
  s.setGroupFactor(0, -2.5);
  QCOMPARE(changed.count(), 1);
}

void TestInterventionState::renameTrimsAndRefusesEmpty() {
  InterventionState s;
  s.addGroup(QStringLiteral("A"), {key(0, 0, 0)});
  QSignalSpy changed(&s, &InterventionState::changed);
  s.renameGroup(0, QString());
  s.renameGroup(0, QStringLiteral("   "));
  QCOMPARE(s.groups()[0].name, QStringLiteral("A"));
  QCOMPARE(changed.count(), 0);
  s.renameGroup(0, QStringLiteral("  Texas \t"));
  QCOMPARE(s.groups()[0].name, QStringLiteral("Texas"));
  QCOMPARE(changed.count(), 1);
  s.renameGroup(0, QStringLiteral("Texas "));  // the same name once trimmed
  QCOMPARE(changed.count(), 1);
}

void TestInterventionState::groupsOfCountsEveryPositionEntries() {
  InterventionState s;
  s.addGroup(QStringLiteral("at 5"), {key(2, 5, 40)});
  s.addGroup(QStringLiteral("everywhere"), {key(2, -1, 40)});
  s.addGroup(QStringLiteral("other neuron"), {key(2, 5, 41)});
  s.addGroup(QStringLiteral("other basis"), {key(2, 5, 40, Basis::Resid)});
  s.addGroup(QStringLiteral("both"), {key(0, 0, 0), key(2, 5, 40)});
  QCOMPARE(s.groupsOf(key(2, 5, 40)), (std::vector<int>{0, 1, 4}));
  QCOMPARE(s.groupsOf(key(2, 3, 40)), (std::vector<int>{1}));
  QCOMPARE(s.groupsOf(key(2, -1, 40)), (std::vector<int>{1}));
  QCOMPARE(s.groupsOf(key(2, 5, 40, Basis::Resid)), (std::vector<int>{3}));
  QVERIFY(s.groupsOf(key(3, 5, 40)).empty());
}

void TestInterventionState::nodeFactorAndValueReplaceEachOther() {
  InterventionState s;
  QSignalSpy changed(&s, &InterventionState::changed);
  const NodeKey k = key(1, 4, 9);
  s.setNodeFactor(k, 1.0);  // nothing to remove
  QCOMPARE(changed.count(), 0);
  s.setNodeFactor(k, 0.0);
  QCOMPARE(changed.count(), 1);
  QCOMPARE(s.nodeFactors().at(k), 0.0);
  // A mean ablation replaces the node's factor: one own edit per node.
  s.setNodeValue(k, -3.5f);
  QCOMPARE(changed.count(), 2);
  QVERIFY(s.nodeFactors().empty());
  QCOMPARE(s.nodeValues().at(k), -3.5f);
  // ... and a factor replaces the value, even factor 1 (which then leaves the node untouched).
  s.setNodeFactor(k, 1.0);
  QCOMPARE(changed.count(), 3);
  QVERIFY(s.nodeValues().empty());
  QVERIFY(s.nodeFactors().empty());
  QVERIFY(s.isEmpty());
  s.setNodeValue(k, 2.0f);
  s.setNodeFactor(k, 4.0);
  QVERIFY(s.nodeValues().empty());
  QCOMPARE(s.nodeFactors().at(k), 4.0);
  s.setNodeFactor(k, 1.0);
  QVERIFY(s.nodeFactors().empty());
}

void TestInterventionState::resetKeepsGroupsClearKeepsNothing() {
  InterventionState s;
  s.addGroup(QStringLiteral("A"), {key(0, 1, 2)});
  s.addGroup(QStringLiteral("B"), {key(0, 1, 3)});
  s.setGroupFactor(0, 0.0);
  s.setGroupFactor(1, 8.0);
  s.setNodeFactor(key(3, 3, 3), -2.0);
  s.setNodeValue(key(3, 3, 4), 0.25f);
  QCOMPARE(static_cast<int>(s.interventions().size()), 4);
  QSignalSpy changed(&s, &InterventionState::changed);
  s.reset();
  QCOMPARE(changed.count(), 1);
  QCOMPARE(static_cast<int>(s.groups().size()), 2);
  QCOMPARE(s.groups()[0].factor, 1.0);
  QCOMPARE(s.groups()[1].factor, 1.0);
  QCOMPARE(s.groups()[1].name, QStringLiteral("B"));
  QVERIFY(s.nodeFactors().empty());
  QVERIFY(s.nodeValues().empty());
  QVERIFY(s.isEmpty());
  s.setNodeFactor(key(3, 3, 3), -2.0);
  s.clear();
  QCOMPARE(changed.count(), 3);
  QVERIFY(s.groups().empty());
  QVERIFY(s.nodeFactors().empty());
  QVERIFY(s.isEmpty());
  QCOMPARE(s.nextGroupName(), QStringLiteral("Group 1"));
}

void TestInterventionState::setAllReplacesEverything() {
  InterventionState s;
  s.addGroup(QStringLiteral("old"), {key(0, 0, 0)});
  s.setNodeFactor(key(0, 0, 1), 0.0);
  SteeringGroup g;
  g.name = QStringLiteral("loaded");
  g.color = QColor(Qt::red);
  g.nodes = {key(1, -1, 7)};
  g.factor = 3.0;
  QSignalSpy changed(&s, &InterventionState::changed);
  s.setAll({g}, {{key(2, 0, 5), 0.5}}, {{key(2, 1, 6), 1.5f}});
  QCOMPARE(changed.count(), 1);
  QCOMPARE(static_cast<int>(s.groups().size()), 1);
  QCOMPARE(s.groups()[0].name, QStringLiteral("loaded"));
  QCOMPARE(s.groups()[0].color, QColor(Qt::red));  // a loaded colour is kept, not re-assigned
  QCOMPARE(s.groups()[0].factor, 3.0);
  QCOMPARE(static_cast<int>(s.nodeFactors().size()), 1);
  QCOMPARE(s.nodeFactors().at(key(2, 0, 5)), 0.5);
  QCOMPARE(s.nodeValues().at(key(2, 1, 6)), 1.5f);
  QVERIFY(!s.nodeFactors().count(key(0, 0, 1)));
  // Without values: the old ones are dropped, not kept.
  s.setAll({}, {});
  QVERIFY(s.nodeValues().empty());
  QVERIFY(s.isEmpty());
}

void TestInterventionState::effectiveFactorMultipliesGroupsAndNode() {
  InterventionState s;
  const NodeKey k = key(1, 2, 3);
  s.addGroup(QStringLiteral("A"), {k, key(1, 2, 4)});
  s.addGroup(QStringLiteral("B"), {key(0, 0, 0), k});
  // A node listed twice in one group counts once for that group.
  s.addGroup(QStringLiteral("C"), {k, k});
  s.setGroupFactor(0, 2.0);
  s.setGroupFactor(1, -3.0);
  s.setGroupFactor(2, 0.5);
  s.setNodeFactor(k, 4.0);
  QCOMPARE(s.effectiveFactor(k), 4.0 * 2.0 * -3.0 * 0.5);
  QCOMPARE(s.effectiveFactor(key(1, 2, 4)), 2.0);
  QCOMPARE(s.effectiveFactor(key(0, 0, 0)), -3.0);
  // Exactly this key: the every-position entry of the same neuron is a key of its own here.
  QCOMPARE(s.effectiveFactor(key(1, -1, 3)), 1.0);
  QCOMPARE(s.effectiveFactor(key(1, 2, 3, Basis::MlpOut)), 1.0);
}

void TestInterventionState::displayFactorCombinesEveryPosition() {
  InterventionState s;
  s.addGroup(QStringLiteral("every"), {key(3, -1, 701)});
  s.setGroupFactor(0, 4.0);
  s.setNodeFactor(key(3, 10, 701), -0.5);
  QCOMPARE(s.displayFactor(key(3, 10, 701)), -2.0);
  QCOMPARE(s.displayFactor(key(3, 9, 701)), 4.0);
  QCOMPARE(s.displayFactor(key(3, -1, 701)), 4.0);
  QCOMPARE(s.displayFactor(key(3, 9, 702)), 1.0);
  // Mean ablation draws as ablated whatever the factors around it.
  s.setNodeValue(key(3, 9, 701), 12.0f);
  QCOMPARE(s.displayFactor(key(3, 9, 701)), 0.0);
}

void TestInterventionState::groupColorFirstGroupWins() {
  InterventionState s;
  s.addGroup(QStringLiteral("A"), {key(0, 0, 1)});
  s.addGroup(QStringLiteral("B"), {key(0, -1, 2), key(0, 0, 1)});
  QCOMPARE(s.groupColor(key(0, 0, 1)), s.groups()[0].color);
  QCOMPARE(s.groupColor(key(0, 7, 2)), s.groups()[1].color);
  QVERIFY(s.groups()[0].color != s.groups()[1].color);
  QVERIFY(!s.groupColor(key(0, 7, 1)).isValid());
}

void TestInterventionState::interventionsListValuesThenFactors() {
  InterventionState s;
  const NodeKey grouped = key(2, 3, 50, Basis::Attn), valued = key(1, 0, 8), ablated = key(0, 4, 9);
  const NodeKey every = key(3, -1, 701);
  s.addGroup(QStringLiteral("G"), {grouped, every, valued});
  s.setGroupFactor(0, -2.0);
  s.setNodeFactor(ablated, 0.0);
  // The value wins over the group's factor on the same node.
  s.setNodeValue(valued, 0.75f);
  const auto ivs = s.interventions();
  QCOMPARE(static_cast<int>(ivs.size()), 4);
  QVERIFY(sameNode(ivs[0], valued));
  QVERIFY(ivs[0].value.has_value());
  QCOMPARE(*ivs[0].value, 0.75f);
  // Then one per factored key, in key order (basis, then layer, pos, index).
  QVERIFY(sameNode(ivs[1], ablated));
  QCOMPARE(ivs[1].factor, 0.0);
  QVERIFY(!ivs[1].value.has_value());
  QVERIFY(sameNode(ivs[2], every));
  QCOMPARE(ivs[2].pos, -1);
  QCOMPARE(ivs[2].factor, -2.0);
  QVERIFY(sameNode(ivs[3], grouped));
  QVERIFY(ivs[3].basis == Basis::Attn);
  QCOMPARE(ivs[3].factor, -2.0);
  QVERIFY(!s.isEmpty());
}

void TestInterventionState::interventionsSkipProductsOfOne() {
  InterventionState s;
  const NodeKey k = key(1, 1, 1);
  s.addGroup(QStringLiteral("x2"), {k});
  s.setGroupFactor(0, 2.0);
  s.setNodeFactor(k, 0.5);
  // Group ×2 on a node ×0.5: the forward sees no change, so it gets no intervention.
  QVERIFY(s.interventions().empty());
  QVERIFY(s.isEmpty());
  s.setNodeFactor(k, 0.25);
  const auto ivs = s.interventions();
  QCOMPARE(static_cast<int>(ivs.size()), 1);
  QCOMPARE(ivs[0].factor, 0.5);
}

QTEST_GUILESS_MAIN(TestInterventionState)
#include "test_intervention_state.moc"
