// The demo trainer's parallelism: micro-batches computed side by side, one single-threaded LibTorch
// computation per thread, so that the trained bytes do not depend on the thread count.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ce::core::training {

// Runs work(0 .. count-1) on the calling thread and `threads - 1` helpers, each item exactly once, and waits.
// Every thread computes with one tensor thread: on two cores, two independent single-threaded micro-batches
// beat one two-threaded batch by far (LibTorch's per-op OpenMP barriers stall whenever the other core is
// busy, e.g. batched attention matmuls at 0.2 GFLOP/s), and the result does not depend on the thread count.
class MicroBatchPool {
 public:
  // Starts `threads - 1` helper threads that wait for run().
  MicroBatchPool(int threads, std::function<void(int)> work);
  ~MicroBatchPool();
  MicroBatchPool(const MicroBatchPool&) = delete;
  MicroBatchPool& operator=(const MicroBatchPool&) = delete;

  // Runs work(0 .. count-1) and returns when all are done; rethrows the first exception of any item.
  void run(int count);

 private:
  void helper();
  void drain();

  std::function<void(int)> work_;
  std::vector<std::thread> helpers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  bool stop_ = false;
  int generation_ = 0, count_ = 0, next_ = 0, busy_ = 0;
  std::exception_ptr error_;
};

// Sets the calling thread's tensor-thread count for a scope and restores it.
class TensorThreadsScope {
 public:
  explicit TensorThreadsScope(int threads);
  ~TensorThreadsScope();
  TensorThreadsScope(const TensorThreadsScope&) = delete;
  TensorThreadsScope& operator=(const TensorThreadsScope&) = delete;

 private:
  int saved_;
};

}  // namespace ce::core::training
