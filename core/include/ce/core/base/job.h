// What a long computation receives to report progress and notice cancellation, and the exception that ends
// it when cancelled. The GUI runs such computations on worker threads (ui/controllers/job_runner.h).
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "ce/core/base/error.h"

namespace ce::core {

// Thrown by JobControl::check() once cancellation was requested; long computations let it propagate.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

// What a long computation receives to report progress and notice cancellation. Both members are optional.
// Thread rules: the computation calls report()/check() from its own thread; `cancel` may be set from any
// thread; `progress` is called on the computing thread (a GUI must forward it to its own thread).
struct JobControl {
  std::function<void(double fraction, const std::string& message)> progress;
  const std::atomic<bool>* cancel = nullptr;

  bool cancelled() const { return cancel != nullptr && cancel->load(std::memory_order_relaxed); }
  // Throws Cancelled when cancellation was requested. Core loops call it between (and inside) forward
  // passes, at least every ~0.1 s of work, so a request is honoured within 0.5 s.
  void check() const {
    if (cancelled()) throw Cancelled();
  }
  void report(double fraction, const std::string& message = {}) const {
    if (progress) progress(fraction < 0 ? 0 : fraction > 1 ? 1 : fraction, message);
  }
  // A control for the sub-range [from, to] of this job's progress (same cancellation flag).
  JobControl sub(double from, double to) const {
    JobControl c;
    c.cancel = cancel;
    if (progress) {
      auto parent = progress;
      c.progress = [parent, from, to](double f, const std::string& m) { parent(from + (to - from) * f, m); };
    }
    return c;
  }
};

}  // namespace ce::core
