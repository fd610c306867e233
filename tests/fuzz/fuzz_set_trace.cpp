// The profiles file of a traced prompt set (save_set_trace's JSON): a file that loads must write itself back
// and load again with the same prompts, neurons, edges and columns, and the second write must equal the
// first.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ce/core/base/error.h"
#include "ce/core/prompt_sets/set_trace.h"
#include "fuzz_target.h"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

CE_FUZZ_TARGET(set_trace) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string path = ce::fuzz::write_scratch("profiles.json", data, size);
  ce::fuzz::run_guarded(
      [&] {
        const ce::core::SetTrace trace = ce::core::load_set_trace(path);
        const std::string back = ce::fuzz::scratch_dir() + "/profiles_back.json";
        ce::core::save_set_trace(trace, back);
        const std::string written = slurp(back);
        ce::core::SetTrace again;
        try {
          again = ce::core::load_set_trace(back);
        } catch (const ce::core::Error& e) {
          std::fprintf(stderr, "ce-fuzz: the profiles file written back does not load: %s\n", e.what());
          std::abort();
        }
        if (again.prompts.size() != trace.prompts.size() || again.neurons.size() != trace.neurons.size() ||
            again.edges.size() != trace.edges.size() || again.columns.size() != trace.columns.size()) {
          std::fprintf(
              stderr,
              "ce-fuzz: the profiles file does not round-trip: %zu/%zu prompts, %zu/%zu neurons, %zu/%zu "
              "edges, %zu/%zu columns\n",
              trace.prompts.size(), again.prompts.size(), trace.neurons.size(), again.neurons.size(),
              trace.edges.size(), again.edges.size(), trace.columns.size(), again.columns.size());
          std::abort();
        }
        ce::core::save_set_trace(again, back);
        if (slurp(back) != written) {
          std::fprintf(stderr, "ce-fuzz: the profiles file changes when written a second time:\n%s\n%s\n",
                       written.c_str(), slurp(back).c_str());
          std::abort();
        }
      },
      path, input);
}
