// A computation on its own std::thread with a JobControl, its outcome returned as a value: how the tests
// check that core computations honour cancellation from another thread. Test-only (the GUI has JobRunner).
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "ce/core/base/job.h"

namespace ce::core {

// Outcome of a job: exactly one of value, error or cancelled.
template <class T>
struct JobResult {
  std::optional<T> value;
  std::string error;       // Error::what() or another exception's message; empty on success
  bool cancelled = false;
  bool ok() const { return value.has_value(); }
};

// Runs `work` on a new thread at construction. The destructor requests cancellation and joins, so a Job
// never outlives what its work captured by reference when the Job is declared after those objects.
// Thread rules: cancel(), done(), wait_for() and result() may be called from any one owner thread.
template <class T>
class Job {
 public:
  using Work = std::function<T(const JobControl&)>;
  using Progress = std::function<void(double fraction, const std::string& message)>;

  explicit Job(Work work, Progress progress = {}) {
    JobControl control;
    control.cancel = &cancel_;
    control.progress = std::move(progress);
    thread_ = std::thread([this, work = std::move(work), control]() {
      JobResult<T> r;
      try {
        r.value.emplace(work(control));
      } catch (const Cancelled&) {
        r.cancelled = true;
      } catch (const std::exception& e) {
        r.error = e.what();
        if (r.error.empty()) r.error = "unknown error";
      } catch (...) {
        r.error = "unknown error";
      }
      if (!r.ok() && cancel_.load()) r.cancelled = true;  // an error provoked by cancelling counts as cancelled
      std::lock_guard<std::mutex> lock(mutex_);
      result_ = std::move(r);
      done_ = true;
      cv_.notify_all();
    });
  }
  ~Job() {
    cancel();
    if (thread_.joinable()) thread_.join();
  }
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  // Requests cancellation; the work stops at its next check() (within 0.5 s for core computations).
  void cancel() { cancel_.store(true); }
  bool done() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return done_;
  }
  // Waits at most `seconds`; true when the job has finished (in any way).
  bool wait_for(double seconds) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done_; });
  }
  // Blocks until the job has finished and returns its outcome (moved out: call once).
  JobResult<T> result() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return done_; });
    return std::move(result_);
  }

 private:
  std::atomic<bool> cancel_{false};
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  JobResult<T> result_;
  std::thread thread_;  // last: started after every other member exists
};

}  // namespace ce::core
