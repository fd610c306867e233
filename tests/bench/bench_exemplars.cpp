// Benchmark (not a test): tokens per second of the exemplar pass (forward + top-K scan of every neuron, both
// polarities, + writing the index) against a forward-only pass (LogitsMode::None, no hook) over the same
// windows in the same batches, slice by slice of the corpus, back to back, so both see the same machine load.
// Target: the exemplar pass keeps >= 80 % of the forward-only throughput.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ce/core/base/error.h"
#include "ce/core/exemplars/exemplar_builder.h"
#include "ce/core/model/model.h"
#include "ce/core/base/resources.h"
#include "ce/core/base/threading.h"
#include "exemplars/exemplar_pass.h"

namespace fs = std::filesystem;
using namespace ce::core;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string model_dir, corpus;
  ExemplarBuildOptions o;
  int runs = 3, threads = 0;
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
    else if (a == "--threads") threads = std::stoi(next());
    else {
      std::fprintf(stderr,
                   "usage: bench_exemplars [--model DIR] [--corpus FILE] [--max-tokens N] [--top K] [--context C]"
                   " [--batch B] [--basis mlp_act|mlp_out] [--runs R] [--threads N]\n");
      return 2;
    }
  }
  try {
    if (model_dir.empty()) model_dir = default_model_dir();
    if (corpus.empty()) corpus = resources_dir() + "/datasets/exemplar_corpus.txt";
    LoadOptions lo;
    lo.threads = threads;
    const auto model = Model::open(model_dir, lo);
    const fs::path out = fs::temp_directory_path() / "ce-bench-exemplars.cexi";
    o.corpus_path = corpus;
    o.out_path = out.string();
    std::printf("model %s, corpus %s, threads %d, top %d, context %d, batch %d, basis %s\n", model_dir.c_str(),
                corpus.c_str(), compute_threads(), o.top_k, o.context, o.batch, basis_name(o.basis));
    // The build machine is shared: load comes and goes within seconds. The corpus is cut into slices and each
    // slice is run both ways back to back (order alternating), so both passes see the same load; each slice's
    // exemplar pass starts with empty top-K lists, which makes it slightly pessimistic.
    std::vector<std::string> docs;
    {
      std::ifstream in(corpus);
      std::string line;
      while (std::getline(in, line)) docs.push_back(line);
    }
    const size_t slices = 8;
    std::vector<std::string> slice_paths;
    for (size_t s = 0; s < slices; ++s) {
      slice_paths.push_back((fs::temp_directory_path() / ("ce-bench-exemplars-" + std::to_string(s) + ".txt")).string());
      std::ofstream out(slice_paths.back());
      for (size_t d = s * docs.size() / slices; d < (s + 1) * docs.size() / slices; ++d) out << docs[d] << "\n";
    }
    double fw_seconds = 0, ex_seconds = 0;
    uint64_t fw_tokens = 0, ex_tokens = 0;
    std::vector<double> ratios;
    for (int r = 0; r < runs; ++r) {
      for (size_t s = 0; s < slices; ++s) {
        ExemplarBuildOptions ex = o;
        ex.corpus_path = slice_paths[s];
        ExemplarBuildOptions fw = ex;
        ExemplarBuildResult a, b;
        if ((r + s) % 2 == 0) {
          a = run_exemplar_pass(*model, fw, {}, /*forward_only=*/true);
          b = build_exemplar_index(*model, ex);
        } else {
          b = build_exemplar_index(*model, ex);
          a = run_exemplar_pass(*model, fw, {}, /*forward_only=*/true);
        }
        fw_seconds += a.seconds;
        fw_tokens += a.tokens_forwarded;
        ex_seconds += b.seconds;
        ex_tokens += b.tokens_forwarded;
        ratios.push_back(b.tokens_per_second / a.tokens_per_second);
      }
      std::printf("run %d: forward-only %.0f tokens/s, exemplar pass %.0f tokens/s so far\n", r + 1,
                  static_cast<double>(fw_tokens) / fw_seconds, static_cast<double>(ex_tokens) / ex_seconds);
    }
    for (const std::string& p : slice_paths) fs::remove(p);
    std::sort(ratios.begin(), ratios.end());
    const double fw_rate = static_cast<double>(fw_tokens) / fw_seconds, ex_rate = static_cast<double>(ex_tokens) / ex_seconds;
    std::printf("%zu slice pairs, %llu tokens each way: forward-only %.0f tokens/s, exemplar pass %.0f tokens/s,"
                " ratio %.3f (median slice %.3f, range %.3f..%.3f; target >= 0.8)\n",
                ratios.size(), static_cast<unsigned long long>(ex_tokens), fw_rate, ex_rate, ex_rate / fw_rate,
                ratios[ratios.size() / 2], ratios.front(), ratios.back());
    // One whole-corpus build: what `circuit-trace exemplars` writes.
    const ExemplarBuildResult last = build_exemplar_index(*model, o);
    std::printf("whole corpus: %llu tokens (%llu with padding) in %llu windows, %.2f s, %.0f tokens/s\n",
                static_cast<unsigned long long>(last.tokens_forwarded),
                static_cast<unsigned long long>(last.padded_tokens),
                static_cast<unsigned long long>(last.info.windows_seen), last.seconds, last.tokens_per_second);
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
