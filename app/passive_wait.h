// Both programs' first step: OpenMP threads that wait passively. LibTorch and OpenBLAS run their parallel
// regions on libgomp, whose idle threads spin by default; beside another busy process (a browser, a
// compiler) a spinning thread holds a core while the thread it waits for is preempted, and every region
// ends late. OMP_WAIT_POLICY is read once, when libgomp loads (before main), so the program sets it and
// starts itself again; a value the user set is kept. Measured by bench_threads (README, Performance).
#pragma once

#include <unistd.h>

#include <cstdlib>

namespace ce::app {

// Call first thing in main. Returns only when the policy is in place (or the restart failed, in which case
// the program runs on with libgomp's default).
inline void ensure_passive_wait(char** argv) {
  // A spin count the user chose (GOMP_SPINCOUNT=1000: idle curves faster, loaded ones slower) is kept too:
  // PASSIVE would override it.
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Only reached when execv failed (no /proc): run as we are.
}

}  // namespace ce::app
