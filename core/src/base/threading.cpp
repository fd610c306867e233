#include "ce/core/base/threading.h"

#include <ATen/Parallel.h>

#include <atomic>
#include <thread>

namespace ce::core {
namespace {
std::atomic<int> g_threads{0};
// Generation counter: a thread re-applies the count when it was changed after its last call.
std::atomic<int> g_generation{1};
thread_local int t_applied_generation = 0;
}  // namespace

int hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void set_compute_threads(int threads) {
  g_threads.store(threads < 0 ? 0 : threads);
  g_generation.fetch_add(1);
  ensure_compute_threads();
}

int compute_threads() {
  const int n = g_threads.load();
  return n == 0 ? hardware_threads() : n;
}

void ensure_compute_threads() {
  const int generation = g_generation.load();
  if (t_applied_generation == generation) return;
  at::set_num_threads(compute_threads());
  t_applied_generation = generation;
}

}  // namespace ce::core
