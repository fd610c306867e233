#include "engine/matmul_choice.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "ce/core/base/threading.h"
#include "engine/llama.h"

namespace ce::core {

std::string Bf16Timing::describe() const {
  char text[120];
  std::snprintf(text, sizeof text, "native %.2f ms, widen %.2f ms for [32 x 1024] x [1024 x 1024]", native_ms,
                widen_ms);
  return text;
}

namespace {

double run_ms(const torch::Tensor& x, const torch::Tensor& w, bool native) {
  const auto t0 = std::chrono::steady_clock::now();
  torch::Tensor y = linear_16bit(x, w, native);  // [32, 1024]
  (void)y.sum().item<float>();                   // the product is complete, not just launched
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double best_of(const torch::Tensor& x, const torch::Tensor& w, bool native, int runs) {
  double best = 1e30;
  for (int i = 0; i < runs; ++i) best = std::min(best, run_ms(x, w, native));
  return best;
}

Bf16Timing measure() {
  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  // Dense, non-zero operands from a formula: the global random generator is the caller's.
  const torch::Tensor x = torch::arange(32 * 1024, torch::kFloat32).mul(0.37).sin().view({32, 1024});
  const torch::Tensor w = torch::arange(1024 * 1024, torch::kFloat32).mul(0.61).sin().mul(0.03)
                              .to(torch::kBFloat16).view({1024, 1024});  // [out, in] bf16
  Bf16Timing t;
  run_ms(x, w, false);  // warm-up: first-touch of buffers, BLAS thread start
  t.widen_ms = best_of(x, w, false, 3);
  const double first_native = run_ms(x, w, true);  // also oneDNN's kernel generation
  t.native_ms = first_native > 4 * t.widen_ms ? first_native : best_of(x, w, true, 3);
  return t;
}

}  // namespace

const Bf16Timing& bf16_matmul_timing() {
  static std::once_flag once;
  static Bf16Timing timing;
  std::call_once(once, [] { timing = measure(); });
  return timing;
}

}  // namespace ce::core
