// Compute-thread control for the tensor library.
#pragma once

namespace ce::core {

// Sets how many threads tensor operations use (0 = all hardware threads). LibTorch starts with one
// thread here, and OpenMP keeps the count per calling thread, so every thread that computes must call
// ensure_compute_threads() before its first operation. Thread-safe.
void set_compute_threads(int threads);
// The count set by set_compute_threads (hardware threads until set).
int compute_threads();
// Applies the configured count to the calling thread if not done already. Cheap after the first call.
void ensure_compute_threads();
// std::thread::hardware_concurrency(), at least 1.
int hardware_threads();

}  // namespace ce::core
