// The explorer on a desktop: a dark palette followed at run time, 10^4 nodes drawn smoothly, and the
// program itself run offscreen for its screenshots at 1x and 2x and its --session and --select options.
// Only the palette case needs a window, and makes its own.

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QElapsedTimer>
#include <QFile>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QImage>
#include <QPalette>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

#include "ce/core/base/resources.h"
#include "ce/core/prompt_sets/sweep.h"
#include "graph/circuit_graph_view.h"
#include "gui_support.h"
#include "panels/curves_view.h"
#include "panels/token_chart.h"

using ce::test::Run;
using ce::test::runExplorer;
using ce::ui::MainWindow;

class TestGuiDesktop : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase();
  void cleanup();
  void darkPaletteIsFollowed();
  void tenThousandNodesStaySmooth();
  void sessionOptionScreenshot();
  void highDpiScreenshot();
  void selectOptionInspects();
  void plotSweepOption();

 private:
  std::unique_ptr<MainWindow> w_;
  QTemporaryDir tmp_;
  QPalette palette_;
};

void TestGuiDesktop::initTestCase() {
  QStandardPaths::setTestModeEnabled(true);
  palette_ = QApplication::palette();
}

// A case that fails half-way must not leave its palette to the next.
void TestGuiDesktop::cleanup() {
  w_.reset();
  QApplication::setPalette(palette_);
}

void TestGuiDesktop::darkPaletteIsFollowed() {
  ce::test::openExplorer(w_);
  QVERIFY(w_);
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
  // A printed figure is on white paper whatever the desktop's palette (its labels are drawn dark).
  QCOMPARE(QColor(QImage(png).pixel(1, 1)), QColor(Qt::white));
  QApplication::setPalette(light);
  QCoreApplication::processEvents();
  QCOMPARE(w_->tokenChart()->chart()->titleBrush().color(), light.color(QPalette::WindowText));
}

void TestGuiDesktop::tenThousandNodesStaySmooth() {
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

void TestGuiDesktop::sessionOptionScreenshot() {
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

void TestGuiDesktop::highDpiScreenshot() {
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

void TestGuiDesktop::selectOptionInspects() {
  // `--select NODE` shows a node in the Neuron panel after the start-up trace (the README's third figure).
  const QString png = tmp_.filePath(QStringLiteral("neuron.png"));
  Run r = runExplorer(
      {QStringLiteral("--select"), QStringLiteral("L3/N701@10"), QStringLiteral("--screenshot"), png});
  QCOMPARE(r.code, 0);
  QVERIFY(!QImage(png).isNull());
  r = runExplorer({QStringLiteral("--select"), QStringLiteral("3/701"), QStringLiteral("--screenshot"), png});
  QCOMPARE(r.code, 2);
  QVERIFY2(r.err.contains(QStringLiteral("--select: a node needs its position here; give LAYER/INDEX@POS")),
           qPrintable(r.err));
  r = runExplorer({QStringLiteral("--select"), QStringLiteral("x"), QStringLiteral("--screenshot"), png});
  QCOMPARE(r.code, 2);
  QVERIFY2(r.err.contains(QStringLiteral("--select: bad node 'x' (expected LAYER/INDEX")), qPrintable(r.err));
  r = runExplorer(
      {QStringLiteral("--select"), QStringLiteral("L0/N0@0"), QStringLiteral("--screenshot"), png});
  QCOMPARE(r.code, 1);
  const QString& err = r.err;
  QVERIFY2(err.contains(QStringLiteral("L0/N0@0 is not in the traced graph")), qPrintable(err));
}

void TestGuiDesktop::plotSweepOption() {
  // `--plot-sweep CSV --out FIG`: a sweep CSV drawn by the Prompt Set tab's chart (the README's sweep figures).
  ce::core::SweepResult r;
  r.multipliers = {-1, 0, 1};
  r.classes = {"capital", "any capital"};
  r.probability = {{0.1, 0.2, 0.9}, {0.3, 0.4, 0.95}};
  r.top1 = {{0, 0, 1}, {0, 0.5, 1}};
  r.prompts = 4;
  const QString csv = tmp_.filePath(QStringLiteral("sweep.csv")), png = tmp_.filePath(QStringLiteral("sweep.png"));
  QFile f(csv);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(QByteArray::fromStdString(ce::core::sweep_csv(r)));
  f.close();
  Run run = runExplorer({QStringLiteral("--plot-sweep"), csv, QStringLiteral("--out"), png}, QStringLiteral("1"));
  QVERIFY2(run.code == 0, qPrintable(run.err));
  const QImage image(png);
  QVERIFY(image.width() >= 800 && image.height() >= 500);
  const QString svg = tmp_.filePath(QStringLiteral("sweep.svg"));
  run = runExplorer({QStringLiteral("--plot-sweep"), csv, QStringLiteral("--out"), svg}, QStringLiteral("1"));
  QVERIFY2(run.code == 0, qPrintable(run.err));
  QFile s(svg);
  QVERIFY(s.open(QIODevice::ReadOnly));
  QVERIFY(s.readAll().contains("Steering"));  // the title is drawn as text, so the figure stays vector
  f.setFileName(csv);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write("multiplier,x\n");
  f.close();
  run = runExplorer({QStringLiteral("--plot-sweep"), csv, QStringLiteral("--out"), png}, QStringLiteral("1"));
  QCOMPARE(run.code, 2);
  QVERIFY2(run.err.contains(QStringLiteral("not a sweep CSV")), qPrintable(run.err));
}

QTEST_MAIN(TestGuiDesktop)
#include "test_gui_desktop.moc"
