// Which CPU bf16 matmul is faster on this machine: measured, never read from CPU flags, because LibTorch's
// native bf16 kernels are fast only where oneDNN finds AVX-512-BF16 or AMX and are a scalar loop elsewhere
// (1.4 GFLOP/s on the AVX2 machines here against ~80 for widened blocks + sgemm).
#pragma once

#include <string>

namespace ce::core {

struct Bf16Timing {
  double native_ms = 0;  // best of the timed runs of linear_16bit(native = true)
  double widen_ms = 0;   // the same product through widened blocks
  bool native_faster() const { return native_ms < widen_ms; }
  // "native 0.41 ms, widen 0.93 ms for [32 x 1024] · [1024 x 1024]": what the choice was based on.
  std::string describe() const;
};

// Times both paths on a [32, 1024] x [1024, 1024] product (the rows of an interactive prompt) with the
// calling thread's compute threads: a warm-up and the best of three each, but only one native run when
// that one is already 4x slower than widening (the scalar loop costs ~50 ms). Measured once per process
// (later calls return the first result). Thread-safe.
const Bf16Timing& bf16_matmul_timing();

}  // namespace ce::core
