// What the explorer writes and reads, offscreen: graph, chart and circuit exports, sessions saved and
// reopened through the window, and the shipped Texas session. Each case starts from a fresh window (init()).

#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>
#include <memory>

#include "ce/core/base/resources.h"
#include "graph/circuit_graph_view.h"
#include "graph/node_item.h"
#include "gui_support.h"
#include "panels/steering_panel.h"
#include "panels/token_chart.h"
#include "state/intervention_state.h"
#include "state/session.h"

using ce::test::waitLive;
using ce::ui::MainWindow;
using ce::ui::NodeItem;
using ce::ui::NodeKey;

class TestGuiFiles : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase();
  void init();
  void cleanup();
  void exportsAreValid();
  void sessionRoundTrips();
  void shippedSessionSteersToSacramento();

 private:
  std::unique_ptr<MainWindow> w_;
  QTemporaryDir tmp_;
};

void TestGuiFiles::initTestCase() { QStandardPaths::setTestModeEnabled(true); }

// Every case starts from the explorer as it opens, whatever the case before it did, so any one of them
// can run alone.
void TestGuiFiles::init() { ce::test::openExplorer(w_); }

void TestGuiFiles::cleanup() { w_.reset(); }

void TestGuiFiles::exportsAreValid() {
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

void TestGuiFiles::sessionRoundTrips() {
  const QString path = tmp_.filePath(QStringLiteral("s.json"));
  auto* state = w_->interventions();
  // A steered group to save, as the Steering panel makes one.
  state->setGroupFactor(state->addGroup(QStringLiteral("Texas"),
                                        {NodeKey{ce::core::Basis::MlpAct, w_->lastTrace().nodes[0].node}}),
                        -8.0);
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
  // The demo model travels by name ("model": "demo"), not as this machine's path.
  QCOMPARE(a.modelDir, QString::fromStdString(w_->model()->dir()));
  QCOMPARE(b.modelDir, QString());
  QCOMPARE(b.modelHash.size(), 64);
  QCOMPARE(b.modelHash, ce::ui::Session::hashModelDir(QString::fromStdString(w_->model()->dir())));
  QCOMPARE(b.trace.prompt, a.trace.prompt);
  QCOMPARE(b.trace.patch, a.trace.patch);
  QCOMPARE(b.trace.topK, 42);
  QVERIFY(b.trace.method == ce::core::Method::IG);
  QVERIFY(b.trace.metric == ce::core::Metric::TopK);
  QCOMPARE(b.groups.size(), a.groups.size());
  QVERIFY2(!a.groups.empty(), "the set-up made a group to save");
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

void TestGuiFiles::shippedSessionSteersToSacramento() {
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

QTEST_MAIN(TestGuiFiles)
#include "test_gui_files.moc"
