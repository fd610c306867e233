// Runs core computations off the GUI thread, one lane of "latest request wins" work.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QThreadPool>
#include <atomic>
#include <functional>
#include <memory>

#include "ce/core/base/job.h"

namespace ce::ui {

// The time a job has left, extrapolated from its progress as elapsed × (1 − f) / f; −1 while it is too early
// to tell (under 2% done or under 2 s in: the first steps, loading and warming up, predict the rest badly).
qint64 remainingMs(double fraction, qint64 elapsedMs);
// remainingMs in words: "about 8 s left", "about 40 s left" (5 s steps), "about 2 min left", "about 1 h 5 min
// left"; empty while it is too early to tell.
QString timeLeftText(double fraction, qint64 elapsedMs);

// A lane of background work. Starting a job cancels the previous one of this runner, and whatever an
// outdated job still produces (value, error, progress) is dropped by a generation counter, so a slow old
// request can never overwrite the answer to a newer one. Results are delivered on the GUI thread.
// Thread rules: every public method is for the thread that owns the runner (the GUI thread). The work
// runs on the runner's own pool; the destructor cancels and waits, so work may capture what outlives
// the runner (shared_ptr to the model), never the runner's owner by reference.
class JobRunner : public QObject {
  Q_OBJECT
 public:
  // The value travels type-erased; the typed start() below hides the casts.
  using Value = std::shared_ptr<void>;
  using Work = std::function<Value(const ce::core::JobControl&)>;
  using Done = std::function<void(Value)>;

  explicit JobRunner(QObject* parent = nullptr);
  ~JobRunner() override;

  // Starts `work` under a name shown with its progress; `done` runs on the GUI thread with the value,
  // only if no newer job was started meanwhile and the job was not cancelled. Errors go to failed().
  quint64 startErased(const QString& name, Work work, Done done);

  template <class T>
  quint64 start(const QString& name, std::function<T(const ce::core::JobControl&)> work,
                std::function<void(T&)> done) {
    return startErased(
        name,
        [work = std::move(work)](const ce::core::JobControl& c) -> Value {
          return std::make_shared<T>(work(c));
        },
        [done = std::move(done)](Value v) { done(*std::static_pointer_cast<T>(v)); });
  }

  // Requests cancellation of the running job (if any); cancelled() follows once it has stopped.
  void cancel();
  bool isBusy() const { return current_ != 0; }
  QString currentName() const { return name_; }
  quint64 generation() const { return generation_; }
  // A progress bar's format for the running job at `fraction`: "%p%", and the time left once it can be told
  // ("%p% · about 2 min left"). Every progress bar of a long job shows it this way.
  QString progressFormat(double fraction) const;
  // Blocks the calling thread until every started job has returned (for shutdown and tests only).
  void waitForIdle();

 Q_SIGNALS:
  void started(const QString& name);
  void progressChanged(double fraction, const QString& message);
  // Exactly one of these follows each started() of a job that was not superseded.
  void succeeded(const QString& name);
  void failed(const QString& name, const QString& message);
  void cancelled(const QString& name);
  // Emitted when the lane becomes idle (the latest job finished in any way).
  void idle();

 private:
  struct Ticket {
    std::atomic<bool> cancel{false};
    quint64 generation = 0;
  };
  void finish(quint64 generation, const QString& name, Value value, const QString& error, bool wasCancelled,
              const Done& done);

  QThreadPool pool_;
  std::shared_ptr<Ticket> ticket_;
  quint64 generation_ = 0;
  quint64 current_ = 0;  // generation of the job whose outcome is still awaited, 0 when idle
  int running_ = 0;      // started jobs not yet returned, outdated ones included
  QString name_;
  QElapsedTimer clock_;  // since the current job started
};

}  // namespace ce::ui
