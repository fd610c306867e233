// Both programs' second step: freed tensors stay in the heap for the next ones. glibc hands blocks above a
// sliding threshold (128 KB at first) to mmap and unmaps them on free, so a forward's activations of a few MB
// come back as fresh pages, each faulted in and zeroed by the kernel: kernel time was a quarter of the
// samples of an SVA-curve `evaluate` (perf, 2026-12-03), and the same run with these settings took 15 % less
// (README, Performance). Blocks up to 32 MB (glibc's largest threshold) now come from the heap, which is
// never trimmed back: the memory stays with the process, as it would with LibTorch's GPU caching allocator.
#pragma once

#include <malloc.h>

namespace ce::app {

// Call once, early in main, before any tensor exists.
inline void keep_freed_heap() {
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace ce::app
