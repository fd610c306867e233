#include "controllers/job_runner.h"

#include <QElapsedTimer>
#include <QMetaObject>
#include <cmath>
#include <exception>

#include "ce/core/base/error.h"

namespace ce::ui {

qint64 remainingMs(double fraction, qint64 elapsedMs) {
  if (!(fraction >= 0.02) || elapsedMs < 2000) return -1;
  if (fraction >= 1) return 0;
  return static_cast<qint64>(std::llround(static_cast<double>(elapsedMs) * (1 - fraction) / fraction));
}

QString timeLeftText(double fraction, qint64 elapsedMs) {
  const qint64 ms = remainingMs(fraction, elapsedMs);
  if (ms < 0) return QString();
  const qint64 s = (ms + 500) / 1000;
  // Finer than the estimate is good is noise that makes the text flicker: 5 s steps under a minute, then
  // whole minutes.
  if (s < 10) return QObject::tr("about %1 s left").arg(std::max<qint64>(s, 1));
  if (s < 58) return QObject::tr("about %1 s left").arg((s + 2) / 5 * 5);
  const qint64 min = (s + 30) / 60;
  if (min < 60) return QObject::tr("about %1 min left").arg(min);
  return QObject::tr("about %1 h %2 min left").arg(min / 60).arg(min % 60);
}

QString JobRunner::progressFormat(double fraction) const {
  const QString left = timeLeftText(fraction, clock_.isValid() ? clock_.elapsed() : 0);
  return left.isEmpty() ? QStringLiteral("%p%") : QStringLiteral("%p% \u00b7 ") + left;
}

JobRunner::JobRunner(QObject* parent) : QObject(parent) {
  // Two threads: an outdated job may still be winding down (it stops within 0.5 s) while its
  // successor starts, and the successor should not queue behind it.
  pool_.setMaxThreadCount(2);
}

JobRunner::~JobRunner() {
  if (ticket_) ticket_->cancel.store(true);
  pool_.waitForDone();
}

quint64 JobRunner::startErased(const QString& name, Work work, Done done) {
  if (ticket_) ticket_->cancel.store(true);
  auto ticket = std::make_shared<Ticket>();
  ticket->generation = ++generation_;
  ticket_ = ticket;
  current_ = ticket->generation;
  name_ = name;
  clock_.start();
  ++running_;
  Q_EMIT started(name);

  const quint64 gen = ticket->generation;
  pool_.start([this, ticket, gen, name, work = std::move(work), done = std::move(done)]() {
    ce::core::JobControl control;
    control.cancel = &ticket->cancel;
    // Throttled: a progress event per forward pass would flood the GUI thread's queue.
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    auto last = std::make_shared<qint64>(-1000);
    control.progress = [this, gen, clock, last](double f, const std::string& message) {
      const qint64 now = clock->elapsed();
      if (f < 1.0 && now - *last < 50) return;
      *last = now;
      const QString m = QString::fromStdString(message);
      QMetaObject::invokeMethod(
          this,
          [this, gen, f, m] {
            if (gen == current_) Q_EMIT progressChanged(f, m);
          },
          Qt::QueuedConnection);
    };
    Value value;
    QString error;
    bool wasCancelled = false;
    try {
      value = work(control);
    } catch (const ce::core::Cancelled&) {
      wasCancelled = true;
    } catch (const std::exception& e) {
      error = QString::fromStdString(ce::core::user_message(e));
    } catch (...) {
      error = QStringLiteral("unknown error");
    }
    // A result that arrives after Cancel was pressed is dropped too: the user no longer wants it.
    if (ticket->cancel.load()) {
      wasCancelled = true;
      value.reset();
      error.clear();
    }
    // Queued to the runner: if the runner is being destroyed, the destructor waits for this thread first,
    // and Qt discards events posted to a deleted object.
    QMetaObject::invokeMethod(
        this,
        [this, gen, name, value, error, wasCancelled, done] {
          finish(gen, name, value, error, wasCancelled, done);
        },
        Qt::QueuedConnection);
  });
  return gen;
}

void JobRunner::finish(quint64 generation, const QString& name, Value value, const QString& error,
                       bool wasCancelled, const Done& done) {
  --running_;
  if (generation != current_) return;  // superseded: its outcome answers a question nobody asks any more
  current_ = 0;
  ticket_.reset();
  if (wasCancelled) {
    Q_EMIT cancelled(name);
  } else if (!error.isEmpty()) {
    Q_EMIT failed(name, error);
  } else {
    try {
      if (done) done(value);
      Q_EMIT succeeded(name);
    } catch (const std::exception& e) {
      Q_EMIT failed(name, QString::fromStdString(e.what()).section(QLatin1Char('\n'), 0, 0));
    }
  }
  // `done` may have started the next job of this lane already: then the lane is not idle.
  if (current_ == 0) Q_EMIT idle();
}

void JobRunner::cancel() {
  if (ticket_) ticket_->cancel.store(true);
}

void JobRunner::waitForIdle() { pool_.waitForDone(); }

}  // namespace ce::ui
