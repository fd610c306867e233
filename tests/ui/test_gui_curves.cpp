// The explorer's faithfulness curves and circuit score on the demo model, offscreen: a small curve and its
// marker, several methods and bases at once, the score on the prompt after edits, and mean-ablation values
// from a chosen dataset. Each case starts from a fresh window (init()).

#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <memory>

#include "ce/core/circuits/attribution_example.h"
#include "gui_support.h"
#include "panels/curves_view.h"
#include "panels/prompt_panel.h"
#include "state/intervention_state.h"

using ce::test::expectedScore;
using ce::test::retrace;
using ce::test::waitScore;
using ce::ui::MainWindow;
using ce::ui::NodeKey;

class TestGuiCurves : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase();
  void init();
  void cleanup();
  void curvesJobRunsAndCancels();
  void curvesMarkerFollowsEdits();
  void circuitScoreFollowsEdits();
  void curvesForSeveralMethodsAndBases();
  void meanAblationFromChosenDataset();

 private:
  std::unique_ptr<MainWindow> w_;
  QTemporaryDir tmp_;
};

void TestGuiCurves::initTestCase() { QStandardPaths::setTestModeEnabled(true); }

// Every case starts from the explorer as it opens, whatever the case before it did, so any one of them
// can run alone.
void TestGuiCurves::init() { ce::test::openExplorer(w_); }

void TestGuiCurves::cleanup() { w_.reset(); }

void TestGuiCurves::curvesJobRunsAndCancels() {
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

void TestGuiCurves::curvesMarkerFollowsEdits() {
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

void TestGuiCurves::circuitScoreFollowsEdits() {
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

void TestGuiCurves::curvesForSeveralMethodsAndBases() {
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
  QCOMPARE(lines[0],
           QStringLiteral(
               "method,basis,ablation,threshold,nodes,faithfulness,completeness,m_circuit,m_complement"));
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

void TestGuiCurves::meanAblationFromChosenDataset() {
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

QTEST_MAIN(TestGuiCurves)
#include "test_gui_curves.moc"
