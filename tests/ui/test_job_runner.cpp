// JobRunner as a pure unit with short jobs: no model, no window. The GUI's promise that an outdated answer
// never overwrites a newer one rests on this class alone, so each outcome is checked with the thread it
// arrives on and the signals around it.
#include <QSemaphore>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <atomic>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "ce/core/base/error.h"
#include "controllers/job_runner.h"

using ce::core::JobControl;
using ce::ui::JobRunner;

namespace {

// Spins until cancellation is requested: the shape of every core loop (check() between forward passes).
int untilCancelled(const JobControl& c, std::atomic<bool>* sawCancel = nullptr) {
  for (int i = 0; i < 10000; ++i) {
    if (c.cancelled() && sawCancel) sawCancel->store(true);
    c.check();
    QThread::msleep(2);
  }
  return -1;
}

}  // namespace

class TestJobRunner : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void resultArrivesOnTheGuiThread();
  void newerJobSupersedesTheOlder();
  void staleResultIsDroppedEvenWhenItFinishesLast();
  void cancelStopsTheJob();
  void resultAfterCancelIsDropped();
  void cancelWhenIdleDoesNothing();
  void errorsReachFailedWhole();
  void errorInDoneIsReported();
  void progressIsForwardedAndThrottled();
  void progressOfAnOutdatedJobIsDropped();
  void doneMayStartTheNextJob();
  void destructorCancelsAndWaits();
  void timeLeftIsExtrapolatedFromProgress();
  void progressFormatCarriesTheTimeLeft();
};

void TestJobRunner::resultArrivesOnTheGuiThread() {
  JobRunner runner;
  QSignalSpy started(&runner, &JobRunner::started);
  QSignalSpy succeeded(&runner, &JobRunner::succeeded);
  QSignalSpy idle(&runner, &JobRunner::idle);
  QSemaphore go;
  QThread* workThread = nullptr;
  QThread* doneThread = nullptr;
  std::vector<int> got;
  const quint64 gen = runner.start<std::vector<int>>(
      QStringLiteral("squares"),
      [&](const JobControl&) {
        workThread = QThread::currentThread();
        go.acquire();  // held until the test has seen the lane busy
        return std::vector<int>{1, 4, 9};
      },
      [&](std::vector<int>& v) {
        doneThread = QThread::currentThread();
        got = std::move(v);
      });
  QCOMPARE(gen, quint64{1});
  QCOMPARE(runner.generation(), quint64{1});
  QCOMPARE(started.count(), 1);
  QCOMPARE(started[0][0].toString(), QStringLiteral("squares"));
  QVERIFY(runner.isBusy());
  QCOMPARE(runner.currentName(), QStringLiteral("squares"));
  go.release();
  QTRY_COMPARE_WITH_TIMEOUT(idle.count(), 1, 5000);
  QVERIFY(workThread && workThread != QThread::currentThread());
  QCOMPARE(doneThread, QThread::currentThread());
  QCOMPARE(got, (std::vector<int>{1, 4, 9}));
  QCOMPARE(succeeded.count(), 1);
  QCOMPARE(succeeded[0][0].toString(), QStringLiteral("squares"));
  QVERIFY(!runner.isBusy());
}

void TestJobRunner::newerJobSupersedesTheOlder() {
  JobRunner runner;
  QSignalSpy started(&runner, &JobRunner::started);
  QSignalSpy succeeded(&runner, &JobRunner::succeeded);
  QSignalSpy cancelled(&runner, &JobRunner::cancelled);
  QSignalSpy failed(&runner, &JobRunner::failed);
  QSignalSpy idle(&runner, &JobRunner::idle);
  std::atomic<bool> firstSawCancel{false};
  std::atomic<bool> firstRunning{false};
  int firstDone = 0, secondValue = 0;
  runner.start<int>(
      QStringLiteral("old"),
      [&](const JobControl& c) {
        firstRunning = true;
        return untilCancelled(c, &firstSawCancel);
      },
      [&](int&) { ++firstDone; });
  QTRY_VERIFY_WITH_TIMEOUT(firstRunning.load(), 5000);
  const quint64 gen = runner.start<int>(
      QStringLiteral("new"), [](const JobControl&) { return 42; }, [&](int& v) { secondValue = v; });
  QCOMPARE(gen, quint64{2});
  QTRY_COMPARE_WITH_TIMEOUT(idle.count(), 1, 5000);
  runner.waitForIdle();
  QTest::qWait(50);  // the superseded job's outcome, queued after it returned, is delivered (and dropped)
  QVERIFY(firstSawCancel.load());  // starting a job cancels the one before
  QCOMPARE(firstDone, 0);
  QCOMPARE(secondValue, 42);
  QCOMPARE(started.count(), 2);
  QCOMPARE(succeeded.count(), 1);
  QCOMPARE(succeeded[0][0].toString(), QStringLiteral("new"));
  // Superseded is not cancelled by the user: exactly one outcome signal, for the newer job.
  QCOMPARE(cancelled.count(), 0);
  QCOMPARE(failed.count(), 0);
  QCOMPARE(idle.count(), 1);
}

void TestJobRunner::staleResultIsDroppedEvenWhenItFinishesLast() {
  // An old job that ignores cancellation and returns a value after the newer job's answer arrived.
  JobRunner runner;
  QSignalSpy succeeded(&runner, &JobRunner::succeeded);
  QSignalSpy idle(&runner, &JobRunner::idle);
  QSemaphore releaseOld;
  std::vector<int> delivered;
  runner.start<int>(
      QStringLiteral("slow"),
      [&](const JobControl&) {
        releaseOld.acquire();
        return 1;
      },
      [&](int& v) { delivered.push_back(v); });
  runner.start<int>(
      QStringLiteral("fast"), [](const JobControl&) { return 2; }, [&](int& v) { delivered.push_back(v); });
  QTRY_COMPARE_WITH_TIMEOUT(idle.count(), 1, 5000);
  QCOMPARE(delivered, std::vector<int>{2});
  releaseOld.release();
  runner.waitForIdle();
  QTest::qWait(50);
  QCOMPARE(delivered, std::vector<int>{2});
  QCOMPARE(succeeded.count(), 1);
  QCOMPARE(idle.count(), 1);
  QVERIFY(!runner.isBusy());
}

void TestJobRunner::cancelStopsTheJob() {
  JobRunner runner;
  QSignalSpy cancelled(&runner, &JobRunner::cancelled);
  QSignalSpy succeeded(&runner, &JobRunner::succeeded);
  QSignalSpy failed(&runner, &JobRunner::failed);
  QSignalSpy idle(&runner, &JobRunner::idle);
  std::atomic<bool> running{false};
  bool done = false;
  runner.start<int>(
      QStringLiteral("endless"),
      [&](const JobControl& c) {
        running = true;
        return untilCancelled(c);
      },
      [&](int&) { done = true; });
  QTRY_VERIFY_WITH_TIMEOUT(running.load(), 5000);
  QVERIFY(runner.isBusy());
  runner.cancel();
  QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 5000);
  QCOMPARE(cancelled[0][0].toString(), QStringLiteral("endless"));
  QCOMPARE(idle.count(), 1);
  QCOMPARE(succeeded.count(), 0);
  QCOMPARE(failed.count(), 0);  // Cancelled is not an error
  QVERIFY(!done);
  QVERIFY(!runner.isBusy());
}

void TestJobRunner::resultAfterCancelIsDropped() {
  // The job finishes its work without looking at the flag: the user pressed Cancel, so no result.
  JobRunner runner;
  QSignalSpy cancelled(&runner, &JobRunner::cancelled);
  QSignalSpy succeeded(&runner, &JobRunner::succeeded);
  QSemaphore go;
  bool done = false;
  runner.start<int>(
      QStringLiteral("stubborn"),
      [&](const JobControl&) {
        go.acquire();
        return 7;
      },
      [&](int&) { done = true; });
  runner.cancel();
  go.release();
  QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 5000);
  QVERIFY(!done);
  QCOMPARE(succeeded.count(), 0);
}

void TestJobRunner::cancelWhenIdleDoesNothing() {
  JobRunner runner;
  QSignalSpy cancelled(&runner, &JobRunner::cancelled);
  QSignalSpy idle(&runner, &JobRunner::idle);
  runner.cancel();
  bool done = false;
  runner.start<int>(
      QStringLiteral("quick"), [](const JobControl&) { return 1; }, [&](int&) { done = true; });
  QTRY_COMPARE_WITH_TIMEOUT(idle.count(), 1, 5000);
  runner.cancel();  // after the fact: nothing to cancel, nothing emitted
  QTest::qWait(20);
  QVERIFY(done);
  QCOMPARE(cancelled.count(), 0);
  QCOMPARE(idle.count(), 1);
}

void TestJobRunner::errorsReachFailedWhole() {
  JobRunner runner;
  QSignalSpy failed(&runner, &JobRunner::failed);
  QSignalSpy succeeded(&runner, &JobRunner::succeeded);
  QSignalSpy idle(&runner, &JobRunner::idle);
  bool done = false;
  // LibTorch appends a backtrace after the first line; the user sees the first line only.
  runner.start<int>(
      QStringLiteral("bad"),
      [](const JobControl&) -> int { throw std::runtime_error("the answer is two tokens\nframe #0: at ..."); },
      [&](int&) { done = true; });
  QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 5000);
  QCOMPARE(failed[0][0].toString(), QStringLiteral("bad"));
  QCOMPARE(failed[0][1].toString(), QStringLiteral("the answer is two tokens"));
  QCOMPARE(idle.count(), 1);
  // Our own Error reaches the user whole: its reasons may take several lines.
  runner.start<int>(
      QStringLiteral("reasons"),
      [](const JobControl&) -> int { throw ce::core::Error("dir: no usable tokenizer:\n a\n b"); },
      [&](int&) { done = true; });
  QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, 5000);
  QCOMPARE(failed[1][1].toString(), QStringLiteral("dir: no usable tokenizer:\n a\n b"));
  runner.start<int>(
      QStringLiteral("silent"), [](const JobControl&) -> int { throw std::runtime_error(""); },
      [&](int&) { done = true; });
  QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 3, 5000);
  QCOMPARE(failed[2][1].toString(), QStringLiteral("unknown error"));
  runner.start<int>(
      QStringLiteral("odd"), [](const JobControl&) -> int { throw 3; }, [&](int&) { done = true; });
  QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 4, 5000);
  QCOMPARE(failed[3][1].toString(), QStringLiteral("unknown error"));
  QVERIFY(!done);
  QCOMPARE(succeeded.count(), 0);
  QCOMPARE(idle.count(), 4);
}

void TestJobRunner::errorInDoneIsReported() {
  // `done` builds GUI state from the value; if that throws, the lane reports it instead of succeeding.
  JobRunner runner;
  QSignalSpy failed(&runner, &JobRunner::failed);
  QSignalSpy succeeded(&runner, &JobRunner::succeeded);
  QSignalSpy idle(&runner, &JobRunner::idle);
  runner.start<int>(
      QStringLiteral("show"), [](const JobControl&) { return 1; },
      [](int&) { throw std::runtime_error("no such token\nmore"); });
  QTRY_COMPARE_WITH_TIMEOUT(idle.count(), 1, 5000);
  QCOMPARE(failed.count(), 1);
  QCOMPARE(failed[0][1].toString(), QStringLiteral("no such token"));
  QCOMPARE(succeeded.count(), 0);
}

void TestJobRunner::progressIsForwardedAndThrottled() {
  JobRunner runner;
  QSignalSpy progress(&runner, &JobRunner::progressChanged);
  QSignalSpy idle(&runner, &JobRunner::idle);
  QThread* reportThread = nullptr;
  connect(&runner, &JobRunner::progressChanged, this, [&] { reportThread = QThread::currentThread(); });
  runner.start<int>(
      QStringLiteral("steps"),
      [](const JobControl& c) {
        c.report(0.25, "first");
        QThread::msleep(80);
        c.report(0.5, "second");
        // A flood of reports within a few milliseconds: forwarded at most every 50 ms.
        for (int i = 0; i < 2000; ++i) c.report(0.5 + i * 1e-4, "flood");
        QThread::msleep(80);
        c.report(1.0, "done");
        c.report(1.0, "done again");  // completion is never throttled
        return 0;
      },
      [](int&) {});
  QTRY_COMPARE_WITH_TIMEOUT(idle.count(), 1, 5000);
  QCOMPARE(reportThread, QThread::currentThread());
  QStringList messages;
  for (const auto& args : progress) messages << args[1].toString();
  // The flood takes a few milliseconds; a preempted worker may let one of its reports through, not more.
  const int flood = static_cast<int>(messages.removeAll(QStringLiteral("flood")));
  QVERIFY2(flood <= 1, qPrintable(QStringLiteral("%1 of 2000 reports forwarded").arg(flood)));
  QCOMPARE(messages, (QStringList{QStringLiteral("first"), QStringLiteral("second"), QStringLiteral("done"),
                                  QStringLiteral("done again")}));
  QCOMPARE(progress[0][0].toDouble(), 0.25);
  QCOMPARE(progress[1][0].toDouble(), 0.5);
  QCOMPARE(progress.last()[0].toDouble(), 1.0);
}

void TestJobRunner::progressOfAnOutdatedJobIsDropped() {
  JobRunner runner;
  QSignalSpy progress(&runner, &JobRunner::progressChanged);
  QSignalSpy idle(&runner, &JobRunner::idle);
  QSemaphore oldMayReport, newMayFinish;
  runner.start<int>(
      QStringLiteral("old"),
      [&](const JobControl& c) {
        oldMayReport.acquire();
        c.report(1.0, "old progress");
        newMayFinish.release();
        return 0;
      },
      [](int&) {});
  runner.start<int>(
      QStringLiteral("new"),
      [&](const JobControl& c) {
        oldMayReport.release();
        newMayFinish.acquire();
        c.report(1.0, "new progress");
        return 0;
      },
      [](int&) {});
  QTRY_COMPARE_WITH_TIMEOUT(idle.count(), 1, 5000);
  runner.waitForIdle();
  QTest::qWait(50);
  QCOMPARE(progress.count(), 1);
  QCOMPARE(progress[0][1].toString(), QStringLiteral("new progress"));
}

void TestJobRunner::doneMayStartTheNextJob() {
  // A chain (trace, then its score): the lane is not idle between the links.
  JobRunner runner;
  QSignalSpy idle(&runner, &JobRunner::idle);
  QSignalSpy succeeded(&runner, &JobRunner::succeeded);
  int second = 0;
  runner.start<int>(
      QStringLiteral("first"), [](const JobControl&) { return 1; },
      [&](int& v) {
        runner.start<int>(
            QStringLiteral("second"), [v](const JobControl&) { return v + 1; }, [&](int& w) { second = w; });
      });
  QTRY_COMPARE_WITH_TIMEOUT(succeeded.count(), 2, 5000);
  QCOMPARE(second, 2);
  QCOMPARE(idle.count(), 1);
  QCOMPARE(runner.generation(), quint64{2});
}

void TestJobRunner::destructorCancelsAndWaits() {
  auto sawCancel = std::make_shared<std::atomic<bool>>(false);
  auto returned = std::make_shared<std::atomic<bool>>(false);
  std::atomic<bool> running{false};
  bool done = false;
  {
    JobRunner runner;
    runner.start<int>(
        QStringLiteral("long"),
        [&running, sawCancel, returned](const JobControl& c) {
          running = true;
          struct Mark {
            std::shared_ptr<std::atomic<bool>> flag;
            ~Mark() { flag->store(true); }
          } mark{returned};
          return untilCancelled(c, sawCancel.get());
        },
        [&](int&) { done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(running.load(), 5000);
  }
  // The destructor returned only after the work had stopped, and nothing was delivered to a dead runner.
  QVERIFY(sawCancel->load());
  QVERIFY(returned->load());
  QTest::qWait(20);
  QVERIFY(!done);
}


void TestJobRunner::timeLeftIsExtrapolatedFromProgress() {
  using ce::ui::remainingMs;
  using ce::ui::timeLeftText;
  // 12 of 40 steps after 36 s: 28 more at 3 s each.
  QCOMPARE(remainingMs(12.0 / 40, 36000), qint64{84000});
  QCOMPARE(timeLeftText(12.0 / 40, 36000), QStringLiteral("about 1 min left"));  // 84 s, to the minute
  QCOMPARE(remainingMs(0.5, 10000), qint64{10000});
  QCOMPARE(timeLeftText(0.5, 10000), QStringLiteral("about 10 s left"));
  QCOMPARE(timeLeftText(0.25, 3000), QStringLiteral("about 9 s left"));   // under 10 s: to the second
  QCOMPARE(timeLeftText(0.4, 24000), QStringLiteral("about 35 s left"));  // 36 s, in 5 s steps
  QCOMPARE(timeLeftText(0.1, 60000), QStringLiteral("about 9 min left"));
  QCOMPARE(timeLeftText(0.25, 1200000), QStringLiteral("about 1 h 0 min left"));
  QCOMPARE(timeLeftText(0.2, 1230000), QStringLiteral("about 1 h 22 min left"));  // 4920 s = 82 min
  QCOMPARE(remainingMs(1.0, 5000), qint64{0});
  // Too early to tell: nothing said rather than a wild guess.
  QCOMPARE(remainingMs(0.01, 60000), qint64{-1});  // under 2% done
  QCOMPARE(remainingMs(0.5, 1999), qint64{-1});    // under 2 s in
  QCOMPARE(remainingMs(std::nan(""), 60000), qint64{-1});
  QCOMPARE(timeLeftText(0.01, 60000), QString());
}

void TestJobRunner::progressFormatCarriesTheTimeLeft() {
  JobRunner runner;
  QSemaphore go;
  QSignalSpy idle(&runner, &JobRunner::idle);
  runner.start<int>(
      QStringLiteral("slow"),
      [&](const JobControl&) {
        go.acquire();
        return 0;
      },
      [](int&) {});
  QCOMPARE(runner.progressFormat(0.5), QStringLiteral("%p%"));  // just started: too early to tell
  QTest::qWait(2100);
  // Half done after 2.1 s: about as long again. The clock is the runner's, started with the job.
  const QString f = runner.progressFormat(0.5);
  QVERIFY2(f == QStringLiteral("%p% \u00b7 about 2 s left") || f == QStringLiteral("%p% \u00b7 about 3 s left"),
           qPrintable(f));
  go.release();
  QVERIFY(idle.wait(5000));
}

QTEST_GUILESS_MAIN(TestJobRunner)
#include "test_job_runner.moc"
