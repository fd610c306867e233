// Benchmark (not a test): tokens per second of the exemplar pass (forward + top-K scan of every neuron, both
// polarities, + writing the index) against a forward-only pass (LogitsMode::None, no hook) over the same
// windows in the same batches, alternated in one process so both see the same machine load. Target: the
// exemplar pass keeps >= 80 % of the forward-only throughput.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ce/core/error.h"
#include "ce/core/exemplar_builder.h"
#include "ce/core/model.h"
#include "ce/core/resources.h"
#include "ce/core/threading.h"

namespace fs = std::filesystem;
using namespace ce::core;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string model_dir, corpus;
  ExemplarBuildOptions o;
  int runs = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--model") model_dir = next();
    else if (a == "--corpus") corpus = next();
    else if (a == "--max-tokens") o.max_tokens = std::stoull(next());
    else if (a == "--top") o.top_k = std::stoi(next());
    else if (a == "--context") o.context = std::stoi(next());
    else if (a == "--batch") o.batch = std::stoi(next());
    else if (a == "--basis") o.basis = parse_basis(next());
    else if (a == "--runs") runs = std::stoi(next());
    else {
      std::fprintf(stderr,
                   "usage: bench_exemplars [--model DIR] [--corpus FILE] [--max-tokens N] [--top K] [--context C]"
                   " [--batch B] [--basis mlp_act|mlp_out] [--runs R]\n");
      return 2;
    }
  }
  try {
    if (model_dir.empty()) model_dir = default_model_dir();
    if (corpus.empty()) corpus = resources_dir() + "/datasets/exemplar_corpus.txt";
    set_compute_threads(0);
    const auto model = Model::open(model_dir);
    const fs::path out = fs::temp_directory_path() / "ce-bench-exemplars.cexi";
    o.corpus_path = corpus;
    o.out_path = out.string();
    std::printf("model %s, corpus %s, threads %d, top %d, context %d, batch %d, basis %s\n", model_dir.c_str(),
                corpus.c_str(), compute_threads(), o.top_k, o.context, o.batch, basis_name(o.basis));
    double best_ex = 0, best_fw = 0;
    std::vector<double> ratios;
    ExemplarBuildResult last;
    for (int r = 0; r < runs; ++r) {
      ExemplarBuildOptions f = o;
      f.forward_only = true;
      const ExemplarBuildResult fw = build_exemplar_index(*model, f);
      last = build_exemplar_index(*model, o);
      best_fw = std::max(best_fw, fw.tokens_per_second);
      best_ex = std::max(best_ex, last.tokens_per_second);
      ratios.push_back(last.tokens_per_second / fw.tokens_per_second);
      std::printf("run %d: forward-only %.0f tokens/s (%.2f s), exemplar pass %.0f tokens/s (%.2f s), ratio %.3f\n",
                  r + 1, fw.tokens_per_second, fw.seconds, last.tokens_per_second, last.seconds, ratios.back());
    }
    std::sort(ratios.begin(), ratios.end());
    std::printf("tokens %llu (%llu with padding) in %llu windows\n",
                static_cast<unsigned long long>(last.tokens_forwarded),
                static_cast<unsigned long long>(last.padded_tokens),
                static_cast<unsigned long long>(last.info.windows_seen));
    std::printf("best: forward-only %.0f tokens/s, exemplar pass %.0f tokens/s, ratio of bests %.3f; median run ratio %.3f"
                " (target >= 0.8)\n",
                best_fw, best_ex, best_ex / best_fw, ratios[ratios.size() / 2]);
    std::printf("index: %llu bytes, %llu windows stored\n", static_cast<unsigned long long>(last.info.file_bytes),
                static_cast<unsigned long long>(last.info.window_count));
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    std::printf("peak RSS %.1f MB\n", static_cast<double>(u.ru_maxrss) / 1024.0);
    fs::remove(out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_exemplars: %s\n", e.what());
    return 1;
  }
  return 0;
}
