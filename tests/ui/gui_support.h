// Shared by the GUI suites (test_gui_*): a fresh explorer window per case, so that no case depends on what
// another left behind, and the waits and measurements the cases have in common.
#pragma once

#include <QAction>
#include <QElapsedTimer>
#include <QMenu>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "ce/core/circuits/attribution_example.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "controllers/job_runner.h"
#include "window/main_window.h"

// Debug + AddressSanitizer builds run several times slower; the bounds hold for the optimised build.
#ifdef CE_SANITIZED
constexpr int kSlowdown = 4;
#else
constexpr int kSlowdown = 1;
#endif

namespace ce::test {

using ce::ui::MainWindow;

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

// The explorer as it stands after start-up: a new window on the demo model, shown, loaded, the Texas
// prompt traced and the live chart current. `startupStall` receives the GUI thread's longest stall during
// the load and the trace (constructing and first showing the window is synchronous by nature). `w` stays
// null, and the calling case fails, when the model does not load or the trace fails.
inline void openExplorer(std::unique_ptr<MainWindow>& w, qint64* startupStall = nullptr) {
  auto win = std::make_unique<MainWindow>();
  QSignalSpy loaded(win.get(), &MainWindow::modelLoaded);
  QSignalSpy traced(win.get(), &MainWindow::traceFinished);
  win->show();
  QVERIFY(QTest::qWaitForWindowExposed(win.get()));
  StallMeter meter;
  meter.start();
  QVERIFY2(loaded.count() > 0 || loaded.wait(60000), qPrintable(win->lastError()));
  QVERIFY2(traced.count() > 0 || traced.wait(120000), qPrintable(win->lastError()));
  const qint64 stall = meter.stop();
  if (startupStall) *startupStall = stall;
  QTRY_VERIFY_WITH_TIMEOUT(!win->liveUpdatePending() && !win->liveRunner()->isBusy(), 30000);
  w = std::move(win);
}

// circuit-explorer run offscreen (at a display scale factor when `scale` is set); code -1 if it hung.
struct Run {
  int code = -1;
  QString out, err;
};

inline Run runExplorer(const QStringList& args, const QString& scale = QString()) {
  QProcess p;
  auto env = QProcessEnvironment::systemEnvironment();
  env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
  QTemporaryDir screens;
  if (!scale.isEmpty()) {
    env.insert(QStringLiteral("QT_SCALE_FACTOR"), scale);
    // The window is bounded by its screen: one of 3000×2000 pixels holds its full size at 1x and at 2x, where
    // the default offscreen screen (800×600) would bound it to another size at each scale.
    QFile config(screens.filePath(QStringLiteral("screens.json")));
    if (config.open(QIODevice::WriteOnly))
      config.write(R"({"screens": [{"name": "big", "x": 0, "y": 0, "width": 3000, "height": 2000,
                       "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]})");
    config.close();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen:configfile=") + config.fileName());
  }
  p.setProcessEnvironment(env);
  p.start(QStringLiteral(CE_BIN_DIR "/circuit-explorer"), args);
  Run r;
  if (!p.waitForFinished(120000)) return r;
  r.code = p.exitCode();
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

inline QAction* findAction(QMenu* menu, const QString& text) {
  for (QAction* a : menu->actions()) {
    if (a->text() == text) return a;
  }
  return nullptr;
}

inline bool retrace(MainWindow& w) {
  QSignalSpy traced(&w, &MainWindow::traceFinished);
  w.trace();
  return traced.wait(120000);
}

// Waits until the circuit score is current for `nodes` kept nodes (edits may supersede earlier scores).
inline bool waitScore(MainWindow& w, QSignalSpy& spy, int nodes) {
  for (int i = 0; i < 200 && (w.lastCircuitScore().nodes != nodes || w.scoreRunner()->isBusy()); ++i) {
    if (!spy.wait(30000)) return false;
  }
  return w.lastCircuitScore().nodes == nodes;
}

// The circuit's faithfulness on the Texas prompt computed here, apart from the GUI: the shown nodes kept,
// the rest patched from the Fresno prompt.
inline std::pair<double, double> expectedScore(const MainWindow& w,
                                               const std::vector<ce::core::NodeEffect>& kept) {
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

inline bool waitLive(MainWindow& w, QSignalSpy& spy) {
  // A change can schedule a computation that another supersedes, and an update started before the change
  // can arrive first: wait until nothing is scheduled or running any more.
  if (!spy.wait(30000)) return false;
  while (w.liveUpdatePending()) {
    if (!spy.wait(30000)) return false;
  }
  return true;
}

}  // namespace ce::test
