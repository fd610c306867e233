// The feature basis in the explorer (issue #17 item 2), offscreen on the demo model and the dictionaries shipped
// beside it: the basis list offers each set, a trace on one fills the graph with features and error nodes (the
// metric unchanged), ablating a feature moves the live chart, the circuit is scored against the same evaluator
// computed here, the Neuron panel shows a feature's exemplars from the set's index, the Curves panel computes a
// set's curve, a session keeps the set, and the Prompt Set tab traces, groups and sweeps features.

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <memory>

#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/base/resources.h"
#include "ce/core/prompt_sets/set_trace.h"
#include "controllers/job_runner.h"
#include "graph/circuit_graph_view.h"
#include "graph/node_item.h"
#include "gui_support.h"
#include "panels/curves_view.h"
#include "panels/neuron_inspector.h"
#include "panels/prompt_panel.h"
#include "panels/token_chart.h"
#include "prompt_sets/groups_panel.h"
#include "prompt_sets/prompt_set_controller.h"
#include "prompt_sets/prompt_set_view.h"
#include "prompt_sets/set_groups.h"
#include "prompt_sets/sweep_panel.h"
#include "state/intervention_state.h"
#include "state/session.h"

using ce::test::retrace;
using ce::test::waitLive;
using ce::test::waitScore;
using ce::ui::MainWindow;
using ce::ui::NodeItem;
using ce::ui::NodeKey;

class TestGuiFeatures : public QObject {
  Q_OBJECT
  std::unique_ptr<MainWindow> w_;

  // Chooses the set `name` in the basis list and traces the Texas prompt with it.
  bool traceFeatures(const QString& name) {
    auto* box = w_->promptPanel()->findChild<QComboBox*>(QStringLiteral("basis"));
    const int row = box->findText(QStringLiteral("Features: ") + name);
    if (row < 0) return false;
    box->setCurrentIndex(row);
    return retrace(*w_);
  }

  // Waits until `spy` has fired and no job of the Prompt Set tab runs any more.
  bool settle(QSignalSpy& spy) {
    if (spy.count() == 0 && !spy.wait(300000)) return false;
    while (w_->promptSetView()->isBusy()) QTest::qWait(10);
    return true;
  }

 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
  void init() { ce::test::openExplorer(w_); }
  void cleanup() { w_.reset(); }

  void basisListOffersShippedSets() {
    auto* box = w_->promptPanel()->findChild<QComboBox*>(QStringLiteral("basis"));
    QVERIFY(box);
    QStringList items;
    for (int i = 0; i < box->count(); ++i) items << box->itemText(i);
    QCOMPARE(items, (QStringList{"MLP activations", "MLP output", "Attention", "Residual stream",
                                 "Features: sae_mlp_out_4x", "Features: sae_mlp_out_8x", "Features: sae_resid_4x",
                                 "Features: sae_resid_8x", "Features: transcoder_4x", "Features: transcoder_8x"}));
    box->setCurrentIndex(6);
    const auto s = w_->promptPanel()->settings();
    QVERIFY(s.basis == ce::core::Basis::Features);
    QVERIFY(s.dictionaries.endsWith(QStringLiteral("/dictionaries/sae_resid_4x")));
  }

  void traceAblateAndScore() {
    const double neurons_m = w_->lastTrace().m;
    QSignalSpy scored(w_.get(), &MainWindow::circuitScored);
    QVERIFY2(traceFeatures(QStringLiteral("sae_mlp_out_4x")), qPrintable(w_->lastError()));
    const auto& t = w_->lastTrace();
    QVERIFY(t.basis == ce::core::Basis::Features && t.dictionaries);
    QCOMPARE(t.width, 1025);
    QVERIFY2(std::fabs(t.m - neurons_m) < 1e-4, qPrintable(QString("%1 vs %2").arg(t.m).arg(neurons_m)));
    // Error nodes are named as such, features by index with an F.
    auto* g = w_->graphView();
    QCOMPARE(static_cast<int>(g->nodeItems().size()), w_->promptPanel()->settings().topK);
    int errors = 0;
    for (NodeItem* n : g->nodeItems()) {
      const bool error = n->key().node.index == 1024;
      errors += error;
      const QString want = error ? QStringLiteral("L%1/error").arg(n->key().node.layer)
                                 : QStringLiteral("L%1/F%2").arg(n->key().node.layer).arg(n->key().node.index);
      QCOMPARE(n->label(), want);
    }
    QVERIFY2(errors > 0, "the top 60 nodes of the Texas trace hold no error node");
    // Tooltips and the Neuron panel call it the same (display_name), selection keeps its L3/F1024 key.
    for (NodeItem* n : g->nodeItems()) {
      if (n->key().node.index != 1024) continue;
      const auto& k = n->key().node;
      QCOMPARE(g->nodeName(n), QStringLiteral("L%1/error@%2").arg(k.layer).arg(k.pos));
      QVERIFY(w_->inspectNode(n->key()));
      QVERIFY2(w_->inspector()->title().startsWith(QStringLiteral("L%1/error (sae)").arg(k.layer)),
               qPrintable(w_->inspector()->title()));
      break;
    }
    // Edges between the top features (error nodes as sources), drawn between the graph's own nodes.
    QVERIFY(!t.edges.empty());
    QVERIFY(g->edgeCount() > 0);
    // File › Export Graph JSON writes them, each error node as circuit-tracer's "mlp reconstruction error".
    {
      QTemporaryDir dir;
      const QString path = dir.filePath(QStringLiteral("features.json"));
      QSignalSpy saved(w_.get(), &MainWindow::graphJsonSaved);
      QVERIFY2(w_->exportGraphJson(path), qPrintable(w_->lastError()));
      QVERIFY2(saved.wait(60000), qPrintable(w_->lastError()));
      QFile f(path);
      QVERIFY(f.open(QIODevice::ReadOnly));
      const QJsonObject file = QJsonDocument::fromJson(f.readAll()).object();
      int fileErrors = 0, traceErrors = 0;
      for (const auto& v : file[QStringLiteral("nodes")].toArray())
        fileErrors += v.toObject()[QStringLiteral("feature_type")].toString() == QStringLiteral("mlp reconstruction error");
      for (const auto& n : t.edgeNodes) traceErrors += n.node.index == 1024;
      QCOMPARE(fileErrors, traceErrors);
      QVERIFY(traceErrors > 0);
      QCOMPARE(file[QStringLiteral("links")].toArray().size(), static_cast<qsizetype>(t.edges.size()));
    }
    // The score of the shown circuit equals the evaluator's, computed here.
    QVERIFY2(waitScore(*w_, scored, 60), qPrintable(w_->lastError()));
    {
      const auto s = MainWindow::texasPrompt();
      const auto& model = *w_->model();
      const auto ex = ce::core::make_example(model.tokenizer(), s.prompt.toStdString(), s.answer.toStdString(),
                                             s.contrast.toStdString(), s.patch.toStdString());
      const ce::core::CircuitEvaluator ev(model, {ex}, ce::core::Basis::Features, t.dictionaries,
                                          ce::core::Ablation::Mean);
      std::vector<bool> keep(static_cast<size_t>(4 * ev.positions() * ev.width()), false);
      for (const auto& n : t.nodes)
        keep[ce::core::dense_offset(n.node, static_cast<size_t>(ev.positions()), static_cast<size_t>(ev.width()))] = true;
      const double f = (ev.metric_with(keep) - ev.m_empty()) / (ev.m_full() - ev.m_empty());
      QVERIFY2(std::fabs(w_->lastCircuitScore().faithfulness - f) < 1e-6,
               qPrintable(QString("%1 vs %2").arg(w_->lastCircuitScore().faithfulness).arg(f)));
    }
    // Ablating the top feature (not an error node) moves the live chart.
    NodeItem* pick = nullptr;
    for (NodeItem* n : g->nodeItems()) {
      if (n->key().node.index < 1024 && (!pick || std::fabs(n->effect()) > std::fabs(pick->effect()))) pick = n;
    }
    QVERIFY(pick);
    const std::vector<double> before = w_->tokenChart()->values();
    QSignalSpy live(w_.get(), &MainWindow::liveUpdated);
    Q_EMIT g->nodeFactorRequested({pick->key()}, 0.0);
    QVERIFY2(waitLive(*w_, live), qPrintable(w_->lastError()));
    const std::vector<double> after = w_->tokenChart()->values();
    double diff = 0;
    for (size_t i = 0; i < after.size() && i < before.size(); ++i) diff += std::fabs(after[i] - before[i]);
    QVERIFY2(diff > 1e-6, "ablating the feature left the chart unchanged");
  }

  // The shipped set's exemplar index is found by the trace, and the Neuron panel shows a feature's exemplars
  // from it (the index's own top 5, distinct).
  void inspectorShowsFeatureExemplars() {
    QVERIFY2(traceFeatures(QStringLiteral("transcoder_4x")), qPrintable(w_->lastError()));
    const auto index = w_->lastTrace().featureIndex;
    QVERIFY2(index, "no exemplar index beside the shipped transcoder_4x");
    QVERIFY(index->info().basis == ce::core::Basis::Features && index->info().neurons == 1024);
    NodeItem* target = nullptr;
    for (NodeItem* n : w_->graphView()->nodeItems()) {
      if (n->key().node.index < 1024 && (!target || std::fabs(n->effect()) > std::fabs(target->effect()))) target = n;
    }
    QVERIFY(target);
    QSignalSpy done(w_->exemplarRunner(), &ce::ui::JobRunner::succeeded);
    w_->graphView()->selectNodes({target->key()});
    QVERIFY2(done.wait(10000), qPrintable(w_->lastError()));
    const auto& node = target->key().node;
    const auto expected = ce::core::distinct_exemplars(*index, node.layer, node.index, ce::core::Polarity::Positive, 5);
    const auto& shown = w_->inspector()->exemplars(ce::core::Polarity::Positive);
    QCOMPARE(shown.size(), expected.size());
    QVERIFY(!expected.empty());
    QVERIFY(std::fabs(shown.front().activation - expected.front().activation) < 1e-6);
  }

  // The Curves panel offers each set; its feature curve computes and is named after the set, and the curve
  // CSV carries that name.
  void curvesOfFeatures() {
    auto* curves = w_->curvesView();
    const QStringList sets = w_->promptPanel()->dictionarySets();
    QCOMPARE(sets.size(), 6);
    const QString folder = sets.value(4);
    QVERIFY2(folder.endsWith(QStringLiteral("/transcoder_4x")), qPrintable(folder));
    QVERIFY(curves->dictionaryBox(folder));
    curves->basisBox(ce::core::Basis::MlpAct)->setChecked(false);
    curves->dictionaryBox(folder)->setChecked(true);
    curves->datasetBox()->setCurrentIndex(curves->datasetBox()->findText(QStringLiteral("sva/simple")));
    curves->examplesBox()->setValue(3);
    QSignalSpy ready(curves, &ce::ui::CurvesView::curvesReady);
    curves->compute();
    QVERIFY2(ready.wait(300000), qPrintable(w_->lastError()));
    const auto named = curves->namedCurves();
    QCOMPARE(named.size(), size_t{1});
    QCOMPARE(named[0].basis, QStringLiteral("sae:transcoder_4x"));
    // Threshold 0 keeps every node with an effect; inactive features (no effect) still take their means.
    const auto& all = named[0].curve.points.front();
    QCOMPARE(all.threshold, 0.0);
    QVERIFY2(all.nodes > 100 && all.faithfulness > 0.9, qPrintable(QString("%1 nodes, %2").arg(all.nodes).arg(all.faithfulness)));
    QTemporaryDir dir;
    const QString csv = dir.filePath(QStringLiteral("curves.csv"));
    ce::ui::Exporter::exportCurves(csv, named);
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().split('\n')[1].startsWith("relp,sae:transcoder_4x,mean,0,"));
  }

  // The Prompt Set tab on transcoder features: the trace equals core's, groups are labelled from the set's own
  // exemplar index and hold features, a sweep runs on them, and a session brings the basis and the groups back.
  void promptSetOnFeatures() {
    QTemporaryDir dir;
    QFile in(QString::fromStdString(ce::core::default_datasets_dir()) + QStringLiteral("/capitals.jsonl"));
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QString data = dir.filePath(QStringLiteral("capitals8.jsonl"));
    QFile out(data);
    QVERIFY(out.open(QIODevice::WriteOnly));
    for (int i = 0; i < 8; ++i) out.write(in.readLine());
    out.close();
    ce::ui::PromptSetView* v = w_->promptSetView();
    w_->showPromptSetTab(true);
    const int row = v->basisBox()->findText(QStringLiteral("Features: transcoder_4x"));
    QVERIFY(row > 0);
    v->basisBox()->setCurrentIndex(row);
    v->dataEdit()->setText(data);
    QSignalSpy traced(v, &ce::ui::PromptSetView::traced);
    QTest::mouseClick(v->traceButton(), Qt::LeftButton);
    QVERIFY2(settle(traced) && v->trace(), qPrintable(w_->lastError()));
    const auto t = v->trace();
    QVERIFY(t->options.basis == ce::core::Basis::Features);
    QVERIFY(v->summaryLabel()->text().contains(QStringLiteral("kept features of transcoder_4x")));
    ce::core::SetTraceOptions o = v->options();
    o.basis = ce::core::Basis::Features;
    o.dictionaries = ce::core::DictionarySet::load(v->dictionaries().toStdString(), w_->model()->config());
    const auto want = ce::core::trace_set(*w_->model(), ce::core::load_prompt_set(data.toStdString()), o);
    QCOMPARE(t->neurons.size(), want.neurons.size());
    QCOMPARE(t->edges.size(), want.edges.size());
    for (size_t k = 0; k < want.neurons.size(); ++k) QCOMPARE(t->name_of(k), want.name_of(k));

    auto* panel = v->groupsPanel();
    panel->cutBox()->setCurrentIndex(0);
    panel->countBox()->setValue(3);
    QSignalSpy suggested(v->controller(), &ce::ui::PromptSetController::groupsSuggested);
    QTest::mouseClick(panel->suggestButton(), Qt::LeftButton);
    QVERIFY2(settle(suggested), qPrintable(w_->lastError()));
    const auto groups = v->groups()->toSettings();
    QCOMPARE(groups.size(), size_t{3});
    QVERIFY(groups[0].neurons.value(0).contains(QStringLiteral("/F")));
    // Labelled from exemplar tokens (the size-only label of a missing index says "features").
    QVERIFY2(!groups[0].label.contains(QStringLiteral(" features")), qPrintable(groups[0].label));

    QSignalSpy swept(v->controller(), &ce::ui::PromptSetController::swept);
    QTest::mouseClick(panel->sweepButton(0), Qt::LeftButton);
    QVERIFY2(settle(swept), qPrintable(w_->lastError()));
    QVERIFY(v->sweepPanel()->result().has_value());
    QCOMPARE(v->sweepPanel()->result()->result.prompts, 8);

    const QString session = dir.filePath(QStringLiteral("features-session.json"));
    QVERIFY(w_->saveSession(session));
    QCOMPARE(ce::ui::Session::load(session).promptSet.dictionaries, v->dictionaries());
    v->basisBox()->setCurrentIndex(0);
    v->groups()->clear();
    traced.clear();
    QVERIFY(w_->openSession(session));
    QVERIFY2(settle(traced), qPrintable(w_->lastError()));
    QCOMPARE(v->basisBox()->currentText(), QStringLiteral("Features: transcoder_4x"));
    QVERIFY(v->trace()->options.basis == ce::core::Basis::Features);
    const auto back = v->groups()->toSettings();
    QCOMPARE(back.size(), groups.size());
    for (size_t g = 0; g < groups.size(); ++g) QCOMPARE(back[g].neurons, groups[g].neurons);
  }

    // A session stores the set's folder and brings the basis back.
  void sessionKeepsTheSet() {
    auto s = w_->promptPanel()->settings();
    s.basis = ce::core::Basis::Features;
    s.dictionaries = QStringLiteral("/somewhere/else/my_saes");
    w_->promptPanel()->setSettings(s);
    const auto back = w_->promptPanel()->settings();
    QVERIFY(back.basis == ce::core::Basis::Features);
    QCOMPARE(back.dictionaries, s.dictionaries);
    auto* box = w_->promptPanel()->findChild<QComboBox*>(QStringLiteral("basis"));
    QCOMPARE(box->currentText(), QStringLiteral("Features: my_saes"));
  }
};

QTEST_MAIN(TestGuiFeatures)
#include "test_gui_features.moc"
