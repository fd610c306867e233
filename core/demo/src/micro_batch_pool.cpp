// The micro-batch thread pool and tensor-thread scope of the demo trainer (micro_batch_pool.h).
#include "micro_batch_pool.h"

#include <ATen/Parallel.h>

#include <utility>

namespace ce::core::training {

MicroBatchPool::MicroBatchPool(int threads, std::function<void(int)> work) : work_(std::move(work)) {
  for (int i = 1; i < threads; ++i) helpers_.emplace_back([this] { helper(); });
}

MicroBatchPool::~MicroBatchPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : helpers_) t.join();
}

void MicroBatchPool::run(int count) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    count_ = count;
    next_ = 0;
    busy_ = static_cast<int>(helpers_.size());
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  drain();
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return busy_ == 0; });
  if (error_) std::rethrow_exception(error_);
}

void MicroBatchPool::helper() {
  at::get_num_threads();  // ATen's lazy per-thread initialisation first, so that it cannot undo the next line
  at::set_num_threads(1);
  int seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    drain();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_;
    }
    done_.notify_all();
  }
}

void MicroBatchPool::drain() {
  while (true) {
    int item = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (next_ >= count_ || error_) return;
      item = next_++;
    }
    try {
      work_(item);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }
}

TensorThreadsScope::TensorThreadsScope(int threads) : saved_(at::get_num_threads()) {
  at::set_num_threads(threads);
}

TensorThreadsScope::~TensorThreadsScope() { at::set_num_threads(saved_); }

}  // namespace ce::core::training
