// The Prompt Set tab on the demo model, offscreen: a 12-prompt capitals set traced through the GUI and checked
// against core's trace_set, suggested groups against cluster_neurons, the group edits, the hypothesis table and
// its Make Group, a sweep's chart and exports, Cancel, the session round trip, and the GUI thread's longest
// stall while the set is traced. Each case starts from a fresh window (init()).

#include <QCheckBox>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QMenuBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <memory>
#include <set>

#include "ce/core/base/resources.h"
#include "ce/core/prompt_sets/clustering.h"
#include "ce/core/prompt_sets/hypothesis.h"
#include "ce/core/prompt_sets/prompt_set.h"
#include "ce/core/prompt_sets/set_trace.h"
#include "graph/circuit_graph_view.h"
#include "gui_support.h"
#include "prompt_sets/groups_panel.h"
#include "prompt_sets/hypothesis_panel.h"
#include "prompt_sets/prompt_set_controller.h"
#include "prompt_sets/prompt_set_view.h"
#include "prompt_sets/set_graph_view.h"
#include "prompt_sets/set_groups.h"
#include "prompt_sets/sweep_panel.h"
#include "state/session.h"

using ce::test::StallMeter;
using ce::ui::MainWindow;
using ce::ui::PromptSetView;
using ce::ui::Session;

namespace {
constexpr int kPrompts = 12;
constexpr int kGroups = 4;

// Waits until `spy` has fired and no job of the view runs any more.
bool settle(PromptSetView* v, QSignalSpy& spy, int timeout = 120000) {
  if (spy.count() == 0 && !spy.wait(timeout)) return false;
  QElapsedTimer clock;
  clock.start();
  while (v->isBusy() && clock.elapsed() < timeout) QTest::qWait(10);
  return !v->isBusy();
}

int sizeSum(const QTableWidget* table) {
  int sum = 0;
  for (int r = 0; r < table->rowCount(); ++r) sum += table->item(r, ce::ui::GroupsPanel::SizeColumn)->text().toInt();
  return sum;
}
}  // namespace

class TestGuiPromptSets : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase();
  void init();
  void cleanup();
  void traceMatchesCoreAndStaysResponsive();
  void suggestedGroupsPartitionTheKeptNeurons();
  void renameMergeSplitDelete();
  void hypothesisTableMakesAGroup();
  void sweepFillsTheChart();
  void cancelStopsTheTrace();
  void wholeSetStaysResponsive();
  void sessionRestoresGroups();
  void viewMenuSwitchesTabs();

 private:
  // Traces the 12-prompt set through the Trace Set button.
  bool traceSmallSet();
  bool suggest(int groups);
  // The Prompt Set tab, shown and painted: its first layout and paint are the tab switch's, not a job's.
  void showTab();
  PromptSetView* view() const { return w_->promptSetView(); }

  std::unique_ptr<MainWindow> w_;
  QTemporaryDir tmp_;
  QString data_;
};

void TestGuiPromptSets::initTestCase() {
  QStandardPaths::setTestModeEnabled(true);
  // The first 12 capitals prompts: Alabama, Alaska and Arizona, four cities each.
  QFile in(QString::fromStdString(ce::core::default_datasets_dir()) + QStringLiteral("/capitals.jsonl"));
  QVERIFY(in.open(QIODevice::ReadOnly));
  data_ = tmp_.filePath(QStringLiteral("capitals12.jsonl"));
  QFile out(data_);
  QVERIFY(out.open(QIODevice::WriteOnly));
  for (int i = 0; i < kPrompts; ++i) out.write(in.readLine());
}

void TestGuiPromptSets::init() { ce::test::openExplorer(w_); }

void TestGuiPromptSets::cleanup() { w_.reset(); }

bool TestGuiPromptSets::traceSmallSet() {
  view()->dataEdit()->setText(data_);
  QSignalSpy traced(view(), &PromptSetView::traced);
  QTest::mouseClick(view()->traceButton(), Qt::LeftButton);
  return settle(view(), traced) && view()->trace() != nullptr;
}

void TestGuiPromptSets::showTab() {
  StallMeter meter;
  meter.start();
  w_->showPromptSetTab(true);
  QTest::qWait(200);
  qInfo("switching to the Prompt Set tab held the GUI thread %lld ms", meter.stop());
}

bool TestGuiPromptSets::suggest(int groups) {
  auto* panel = view()->groupsPanel();
  panel->cutBox()->setCurrentIndex(0);
  panel->countBox()->setValue(groups);
  QSignalSpy suggested(view()->controller(), &ce::ui::PromptSetController::groupsSuggested);
  QTest::mouseClick(panel->suggestButton(), Qt::LeftButton);
  return settle(view(), suggested);
}

void TestGuiPromptSets::traceMatchesCoreAndStaysResponsive() {
  showTab();
  StallMeter meter;
  meter.start();
  QVERIFY2(traceSmallSet(), qPrintable(w_->lastError()));
  const qint64 stall = meter.stop();
  const auto t = view()->trace();
  QCOMPARE(static_cast<int>(t->prompts.size()), kPrompts);
  // The same input through core, apart from the GUI: the same kept neurons.
  const auto expected =
      ce::core::trace_set(*w_->model(), ce::core::load_prompt_set(data_.toStdString()), view()->options());
  QCOMPARE(t->neurons.size(), expected.neurons.size());
  for (size_t i = 0; i < expected.neurons.size(); ++i) {
    QCOMPARE(t->neurons[i].layer, expected.neurons[i].layer);
    QCOMPARE(t->neurons[i].index, expected.neurons[i].index);
  }
  qInfo("%d prompts: %d kept neurons, %d edges; longest GUI-thread stall %lld ms", kPrompts,
        static_cast<int>(t->neurons.size()), static_cast<int>(t->edges.size()), stall);
  QVERIFY(!t->neurons.empty());
  QCOMPARE(view()->graph()->nodeCount(), static_cast<int>(t->neurons.size()));
  QVERIFY(view()->graph()->edgeCount() > 0);
  QVERIFY(view()->summaryLabel()->text().contains(QStringLiteral("%1 kept neurons").arg(static_cast<int>(t->neurons.size()))));
  QVERIFY2(stall < 100 * kSlowdown, qPrintable(QStringLiteral("stall of %1 ms").arg(stall)));
}

void TestGuiPromptSets::suggestedGroupsPartitionTheKeptNeurons() {
  QVERIFY(traceSmallSet());
  QVERIFY(suggest(kGroups));
  const auto t = view()->trace();
  const QTableWidget* table = view()->groupsPanel()->table();
  QCOMPARE(table->rowCount(), kGroups);
  QCOMPARE(sizeSum(table), static_cast<int>(t->neurons.size()));
  // The clustering is core's, member for member, and every label is filled (layers at least).
  const auto expected = ce::core::cluster_neurons(*t, ce::core::ClusterOn::Attribution, kGroups, 0);
  const auto& groups = view()->groups()->groups();
  QCOMPARE(groups.size(), expected.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    QVERIFY(groups[g].members == expected[g].members);
    QVERIFY(!groups[g].label.isEmpty());
    QCOMPARE(table->item(static_cast<int>(g), 0)->text(), groups[g].label);
  }
  // Drawn as supernodes, members in their group's colour.
  QCOMPARE(view()->graph()->groupBoxCount(), kGroups);
  QCOMPARE(view()->graph()->nodeColor(groups[1].members.front()), groups[1].color);
  // Same input, same groups.
  QVERIFY(suggest(kGroups));
  for (size_t g = 0; g < groups.size(); ++g) QVERIFY(view()->groups()->groups()[g].members == expected[g].members);
}

void TestGuiPromptSets::renameMergeSplitDelete() {
  QVERIFY(traceSmallSet());
  QVERIFY(suggest(kGroups));
  auto* panel = view()->groupsPanel();
  QTableWidget* table = panel->table();
  const int kept = static_cast<int>(view()->trace()->neurons.size());
  table->item(0, 0)->setText(QStringLiteral("say a capital"));
  QCOMPARE(view()->groups()->groups()[0].label, QStringLiteral("say a capital"));
  QVERIFY(w_->isDirty());

  const size_t first = view()->groups()->groups()[0].members.size(), second = view()->groups()->groups()[1].members.size();
  panel->selectRows({0, 1});
  QVERIFY(panel->mergeButton()->isEnabled());
  QTest::mouseClick(panel->mergeButton(), Qt::LeftButton);
  QCOMPARE(table->rowCount(), kGroups - 1);
  QCOMPARE(table->item(0, 0)->text(), QStringLiteral("say a capital"));
  QCOMPARE(view()->groups()->groups()[0].members.size(), first + second);
  QCOMPARE(sizeSum(table), kept);

  const size_t merged = first + second;
  QVERIFY(merged >= 2);
  panel->selectRows({0});
  QVERIFY(panel->splitButton()->isEnabled());
  QSignalSpy split(view()->controller(), &ce::ui::PromptSetController::groupSplit);
  QTest::mouseClick(panel->splitButton(), Qt::LeftButton);
  QVERIFY(settle(view(), split));
  QCOMPARE(table->rowCount(), kGroups);
  QCOMPARE(view()->groups()->groups()[0].members.size() + view()->groups()->groups()[1].members.size(), merged);
  QCOMPARE(sizeSum(table), kept);

  const int last = static_cast<int>(view()->groups()->groups()[3].members.size());
  panel->selectRows({3});
  QTest::mouseClick(panel->deleteButton(), Qt::LeftButton);
  QCOMPARE(table->rowCount(), kGroups - 1);
  QCOMPARE(sizeSum(table), kept - last);
  QCOMPARE(view()->graph()->groupBoxCount(), kGroups - 1);
}

void TestGuiPromptSets::hypothesisTableMakesAGroup() {
  QVERIFY(traceSmallSet());
  auto* h = view()->hypothesisPanel();
  h->columnBox()->setCurrentText(QStringLiteral("state"));
  h->valueBox()->setCurrentText(QStringLiteral("Alaska"));
  QCOMPARE(h->value(), QStringLiteral("Alaska"));
  h->positionBox()->setCurrentText(QStringLiteral("max"));
  QCOMPARE(h->thresholdBox()->value(), 0.8);
  QSignalSpy scored(view()->controller(), &ce::ui::PromptSetController::hypothesisScored);
  QTest::mouseClick(h->scoreButton(), Qt::LeftButton);
  QVERIFY(settle(view(), scored));
  // The neurons core scores at >= 0.8 or <= 0.2, in the same order.
  std::vector<int> expected;
  for (const auto& s : ce::core::hypothesis_scores(*view()->trace(), "state", "Alaska", {})) {
    if (s.auc >= 0.8 || s.auc <= 0.2) expected.push_back(s.neuron);
  }
  qInfo("state = Alaska: %d of %d kept neurons listed", static_cast<int>(expected.size()),
        static_cast<int>(view()->trace()->neurons.size()));
  QVERIFY(!expected.empty());
  QVERIFY(h->listedNeurons() == expected);
  QCOMPARE(h->table()->rowCount(), static_cast<int>(expected.size()));
  const auto& n = view()->trace()->neurons[static_cast<size_t>(expected[0])];
  QCOMPARE(h->table()->item(0, 0)->text(), QStringLiteral("L%1/N%2").arg(n.layer).arg(n.index));

  QVERIFY(h->makeGroupButton()->isEnabled());
  QTest::mouseClick(h->makeGroupButton(), Qt::LeftButton);
  QCOMPARE(view()->groups()->size(), 1);
  const auto& g = view()->groups()->groups()[0];
  QCOMPARE(g.label, QStringLiteral("state = Alaska"));
  std::vector<int> sorted = expected;
  std::sort(sorted.begin(), sorted.end());
  QVERIFY(g.members == sorted);
  QCOMPARE(view()->groupsPanel()->table()->rowCount(), 1);
}

void TestGuiPromptSets::sweepFillsTheChart() {
  QVERIFY(traceSmallSet());
  QVERIFY(suggest(kGroups));
  auto* sweep = view()->sweepPanel();
  QCOMPARE(sweep->groupBox()->count(), kGroups);
  QSignalSpy swept(view()->controller(), &ce::ui::PromptSetController::swept);
  QPushButton* button = view()->groupsPanel()->sweepButton(1);
  QVERIFY(button);
  QTest::mouseClick(button, Qt::LeftButton);
  QVERIFY2(settle(view(), swept), qPrintable(w_->lastError()));
  QCOMPARE(sweep->groupRow(), 1);
  QVERIFY(sweep->result().has_value());
  const auto& r = sweep->result()->result;
  // "capital", "any capital", "state", "any state", "city", "any city": one line each, 7 multipliers.
  QCOMPARE(static_cast<int>(r.classes.size()), 6);
  QCOMPARE(sweep->lineSeriesCount(), 6);
  for (QAbstractSeries* s : sweep->chartView()->chart()->series())
    QCOMPARE(static_cast<QLineSeries*>(s)->count(), 7);
  QCOMPARE(r.prompts, kPrompts);
  sweep->top1Box()->setChecked(true);
  QCOMPARE(sweep->lineSeriesCount(), 12);
  for (const char* suffix : {"png", "svg", "pdf", "csv"}) {
    const QString path = tmp_.filePath(QStringLiteral("sweep.") + QLatin1String(suffix));
    sweep->exportTo(path);
    QVERIFY2(QFileInfo(path).size() > 100, suffix);
  }
  QFile csv(tmp_.filePath(QStringLiteral("sweep.csv")));
  QVERIFY(csv.open(QIODevice::ReadOnly));
  QVERIFY(csv.readLine().startsWith("multiplier,"));
  int rows = 0;
  while (!csv.readLine().isEmpty()) ++rows;
  QCOMPARE(rows, 7);
}

void TestGuiPromptSets::cancelStopsTheTrace() {
  // The whole shipped set: long enough to be cancelled mid-way.
  w_->showPromptSetTab(true);
  view()->dataEdit()->setText(QString::fromStdString(ce::core::default_datasets_dir()) +
                              QStringLiteral("/capitals.jsonl"));
  QSignalSpy traced(view(), &PromptSetView::traced);
  QSignalSpy cancelled(view()->controller()->traceRunner(), &ce::ui::JobRunner::cancelled);
  QTest::mouseClick(view()->traceButton(), Qt::LeftButton);
  QVERIFY(view()->isBusy());
  QTest::qWait(300);
  QVERIFY(view()->cancelButton()->isVisible());
  QElapsedTimer clock;
  clock.start();
  QTest::mouseClick(view()->cancelButton(), Qt::LeftButton);
  QTRY_VERIFY_WITH_TIMEOUT(!view()->isBusy(), 5000);
  qInfo("cancel honoured after %lld ms", clock.elapsed());
  QVERIFY(clock.elapsed() < 1000 * kSlowdown);
  QCOMPARE(cancelled.count(), 1);
  QCOMPARE(traced.count(), 0);
  QVERIFY(view()->trace() == nullptr);
  QVERIFY(!view()->cancelButton()->isVisible());
}

// The bound for the shipped 200 prompts: trace, clustering and a 7-point sweep, the GUI thread never
// held up 100 ms (the scene of ~10^3 kept neurons and its group boxes included).
void TestGuiPromptSets::wholeSetStaysResponsive() {
  showTab();
  view()->dataEdit()->setText(QString());  // empty: the shipped capitals.jsonl
  QSignalSpy traced(view(), &PromptSetView::traced);
  StallMeter meter;
  meter.start();
  QElapsedTimer clock;
  clock.start();
  QTest::mouseClick(view()->traceButton(), Qt::LeftButton);
  QVERIFY2(settle(view(), traced), qPrintable(w_->lastError()));
  const qint64 traceMs = clock.restart();
  QVERIFY(suggest(8));
  const qint64 clusterMs = clock.restart();
  QSignalSpy swept(view()->controller(), &ce::ui::PromptSetController::swept);
  QTest::mouseClick(view()->groupsPanel()->sweepButton(0), Qt::LeftButton);
  QVERIFY2(settle(view(), swept), qPrintable(w_->lastError()));
  const qint64 sweepMs = clock.elapsed();
  const qint64 stall = meter.stop();
  const auto t = view()->trace();
  QCOMPARE(static_cast<int>(t->prompts.size()), 200);
  QCOMPARE(view()->graph()->nodeCount(), static_cast<int>(t->neurons.size()));
  QCOMPARE(view()->graph()->groupBoxCount(), 8);
  qInfo("200 prompts: %d kept neurons; trace %lld ms, 8 groups %lld ms, sweep %lld ms; longest GUI-thread stall %lld ms",
        static_cast<int>(t->neurons.size()), traceMs, clusterMs, sweepMs, stall);
  QVERIFY2(stall < 100 * kSlowdown, qPrintable(QStringLiteral("stall of %1 ms").arg(stall)));
}

void TestGuiPromptSets::sessionRestoresGroups() {
  QVERIFY(traceSmallSet());
  QVERIFY(suggest(kGroups));
  view()->groupsPanel()->table()->item(2, 0)->setText(QStringLiteral("Alaska things"));
  view()->groups()->remove({3});
  view()->hypothesisPanel()->columnBox()->setCurrentText(QStringLiteral("city"));
  view()->sweepPanel()->multipliersEdit()->setText(QStringLiteral("-2, 0, 2"));
  const auto before = view()->groups()->toSettings();
  QCOMPARE(before.size(), size_t{3});

  // Retraced from the data file.
  const QString path = tmp_.filePath(QStringLiteral("set-session.json"));
  QVERIFY(w_->saveSession(path));
  QVERIFY(!w_->isDirty());
  QSignalSpy traced(view(), &PromptSetView::traced);
  view()->groups()->clear();
  QVERIFY(w_->openSession(path));
  QVERIFY(settle(view(), traced));
  auto check = [&] {
    const auto after = view()->groups()->toSettings();
    QCOMPARE(after.size(), before.size());
    for (size_t g = 0; g < before.size(); ++g) {
      QCOMPARE(after[g].label, before[g].label);
      QCOMPARE(after[g].neurons, before[g].neurons);
      QCOMPARE(after[g].color, before[g].color);
    }
    QCOMPARE(view()->groupsPanel()->table()->item(2, 0)->text(), QStringLiteral("Alaska things"));
    QCOMPARE(view()->hypothesisPanel()->column(), QStringLiteral("city"));
    QVERIFY((view()->sweepPanel()->multipliers() == std::vector<double>{-2, 0, 2}));
    QCOMPARE(view()->dataEdit()->text(), data_);
  };
  check();
  QVERIFY(!w_->isDirty());

  // From saved profiles: no retrace, the same groups.
  const QString profiles = tmp_.filePath(QStringLiteral("profiles.json"));
  QSignalSpy saved(view(), &PromptSetView::profilesSaved);
  view()->saveProfiles(profiles);
  QVERIFY(settle(view(), saved));
  QVERIFY(w_->saveSession(path));
  QCOMPARE(Session::load(path).promptSet.profiles, profiles);
  traced.clear();
  QVERIFY(w_->openSession(path));
  QVERIFY(settle(view(), traced));
  QVERIFY(view()->summaryLabel()->text().contains(QStringLiteral("opened from profiles.json")));
  check();
}

void TestGuiPromptSets::viewMenuSwitchesTabs() {
  QMenu* viewMenu = nullptr;
  for (QAction* a : w_->menuBar()->actions()) {
    if (a->text() == QStringLiteral("&View")) viewMenu = a->menu();
  }
  QVERIFY(viewMenu);
  QAction* sets = ce::test::findAction(viewMenu, QStringLiteral("&Prompt Set"));
  QAction* circuit = ce::test::findAction(viewMenu, QStringLiteral("&Circuit"));
  QVERIFY(sets && circuit);
  auto* promptDock = w_->findChild<QDockWidget*>(QStringLiteral("promptDock"));
  QVERIFY(promptDock && promptDock->isVisible());
  sets->trigger();
  QVERIFY(view()->isVisible());
  QVERIFY(sets->isChecked());
  // The set's view takes the window's width; the one-prompt docks come back with their tab.
  QVERIFY(!promptDock->isVisible());
  circuit->trigger();
  QVERIFY(!view()->isVisible());
  QVERIFY(promptDock->isVisible());
  QVERIFY(w_->graphView()->isVisible());
}

QTEST_MAIN(TestGuiPromptSets)
#include "test_gui_prompt_sets.moc"
