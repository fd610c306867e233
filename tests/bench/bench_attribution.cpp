// Benchmark (not a test), and the attribution validation of the README: RelP on the Texas prompt with the demo model (target <= 30 ms), the full SVA
// evaluate curve, and RelP on a 32-token prompt of the Llama-3.1-8B-shaped bf16 model (target <= 8 s, peak
// RSS <= 18 GB), each with a forward (or forward+backward) baseline timed in the same run.
//
// The 8B-shaped folder is the one bench_forward generates (--keep --dir D, default 4 layers); this program
// copies the demo model's tokenizer into it (the ids used stay below its 2048 pieces) and extrapolates to 32
// layers as t * 32 / L: every cost but the embedding lookup is per layer (logits are taken at the last
// position only).
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/base/error.h"
#include "ce/core/model/model.h"
#include "ce/core/base/resources.h"
#include "ce/core/base/threading.h"

namespace fs = std::filesystem;
using namespace ce::core;
using ce::bench::Clock;
using ce::bench::median_seconds;
using ce::bench::seconds_since;

namespace {

double peak_rss_gb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / (1024.0 * 1024.0);  // KiB -> GiB
}

void demo_benchmarks(const std::string& sva_set, int runs) {
  auto model = Model::open(default_model_dir());
  const AttributionExample texas =
      make_example(model->tokenizer(), "Fact: the capital of the state containing Dallas is", " Austin", " Sacramento",
                   "Fact: the capital of the state containing Fresno is");
  AttributionOptions o;
  o.method = Method::RelP;
  const double relp = median_seconds(3, runs, [&] { attribute(*model, {texas}, o); });
  const double fwd = median_seconds(3, runs, [&] { model->next_logits(texas.clean); });
  std::printf("demo model, Texas prompt (%zu tokens, paired with Fresno), median of %d:\n", texas.clean.size(), runs);
  std::printf("  relp mlp_act    %.2f ms = %.2f x the 30 ms target, %.1f x one plain forward (%.2f ms)\n", relp * 1e3,
              relp / 0.030, relp / fwd, fwd * 1e3);
  o.shared_prefix = false;  // every position run, as before the prompts' shared positions were run once
  const double relp_full = median_seconds(3, runs, [&] { attribute(*model, {texas}, o); });
  o.shared_prefix = true;
  std::printf("  relp, every position run: %.2f ms (%.2f x the time with the shared prefix)\n", relp_full * 1e3,
              relp_full / relp);
  for (Method m : {Method::AtP, Method::IG}) {
    o.method = m;
    const double t = median_seconds(1, runs, [&] { attribute(*model, {texas}, o); });
    std::printf("  %-4s mlp_act    %.2f ms\n", method_name(m), t * 1e3);
  }

  const std::string dir = default_datasets_dir() + "/sva/";
  const TrainTest data = load_train_test(dir + sva_set + "_train.json", model->tokenizer(), 0);
  const auto& train = data.train;
  const auto& test = data.test;
  for (Method m : {Method::RelP, Method::IG}) {
    o.method = m;
    const auto t0 = Clock::now();
    const AttributionResult eff = attribute(*model, train, o);
    const double t_attr = seconds_since(t0);
    const auto t1 = Clock::now();
    const CircuitEvaluator ev(*model, test, Basis::MlpAct, Ablation::Mean);
    const CurveResult c = ev.curve(eff, default_thresholds());
    const double t_curve = seconds_since(t1);
    std::printf("SVA %s evaluate curve, %s mlp_act, %zu train / %zu test examples, %zu points: attribution %.2f s, "
                "ablation curve %.2f s, total %.2f s\n",
                sva_set.c_str(), method_name(m), train.size(), test.size(), c.points.size(), t_attr, t_curve,
                t_attr + t_curve);
  }
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

std::vector<double> ranks(const std::vector<double>& v) {  // average ranks for ties
  std::vector<size_t> o(v.size());
  for (size_t i = 0; i < o.size(); ++i) o[i] = i;
  std::sort(o.begin(), o.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < o.size();) {
    size_t j = i;
    while (j + 1 < o.size() && v[o[j + 1]] == v[o[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[o[k]] = 0.5 * static_cast<double>(i + j);
    i = j + 1;
  }
  return r;
}

// Correlation of each approximation with exact patching over the 200 nodes of largest |exact effect|.
void validation() {
  auto model = Model::open(default_model_dir());
  const AttributionExample texas =
      make_example(model->tokenizer(), "Fact: the capital of the state containing Dallas is", " Austin", " Sacramento",
                   "Fact: the capital of the state containing Fresno is");
  std::printf("validation on the Texas prompt (patch: Fresno), top 200 nodes by |exact effect|:\n");
  for (Basis b : {Basis::MlpAct, Basis::MlpOut}) {
    AttributionOptions o;
    o.basis = b;
    o.method = Method::Exact;
    const auto t0 = Clock::now();
    const AttributionResult exact = attribute(*model, {texas}, o);
    const double t_exact = seconds_since(t0);
    const auto top = top_nodes(exact, 200);
    std::vector<double> ex;
    for (const auto& n : top) ex.push_back(n.effect);
    for (Method m : {Method::AtP, Method::IG, Method::RelP}) {
      o.method = m;
      const AttributionResult r = attribute(*model, {texas}, o);
      std::vector<double> approx;
      for (const auto& n : top) approx.push_back(r.effect_at(n.node));
      std::printf("  %-7s %-4s  pearson %.3f  spearman %.3f\n", basis_name(b), method_name(m), pearson(approx, ex),
                  pearson(ranks(approx), ranks(ex)));
    }
    std::printf("  %-7s exact patching of all %zu nodes took %.1f s\n", basis_name(b), exact.effect.size(), t_exact);
  }
}

void llama8b_benchmark(const fs::path& folder, int runs) {
  for (const char* f : {"tokenizer.model", "tokenizer_config.json"}) {
    if (!fs::exists(folder / f)) fs::copy_file(fs::path(default_model_dir()) / f, folder / f);
  }
  const auto t0 = Clock::now();
  auto model = Model::open(folder.string());
  const int L = static_cast<int>(model->config().num_hidden_layers);
  std::printf("8B-shape (%d layers, bf16 weights mapped): open %.3f s\n", L, seconds_since(t0));
  AttributionExample ex;
  for (int i = 0; i < 32; ++i) ex.clean.push_back(1 + (i * 37) % 2000);
  ex.answer = 5;
  ex.contrast = 6;
  AttributionOptions o;
  o.method = Method::RelP;
  const double relp = median_seconds(1, runs, [&] { attribute(*model, {ex}, o); });
  const double fwd = median_seconds(1, runs, [&] { model->next_logits(ex.clean); });
  const double scale = 32.0 / L;
  std::printf("  relp, 32 tokens: %.3f s at %d layers -> %.2f s at 32 = %.2f x the 8 s target; %.2f x one forward\n",
              relp, L, relp * scale, relp * scale / 8.0, relp / fwd);
  // A paired prompt that shares all but its last 3 positions with its patch prompt, as a template such as
  // the Texas prompt does: RelP runs the 29 shared positions once, without gradients
  // (AttributionOptions::shared_prefix), against every position with them.
  ex.patch = ex.clean;
  ex.patch[29] = 7;
  const double paired = median_seconds(1, runs, [&] { attribute(*model, {ex}, o); });
  o.shared_prefix = false;
  const double paired_full = median_seconds(1, runs, [&] { attribute(*model, {ex}, o); });
  std::printf("  relp, 32 tokens paired, 29 shared with the patch prompt: %.3f s, every position run: %.3f s "
              "(%.2f x)\n", paired, paired_full, paired_full / paired);
  const double rss = peak_rss_gb();
  const double layer_gb = 3.0 * 4096.0 * 14336.0 * 2 / 1073741824.0 + (2.0 * 4096 * 4096 + 2.0 * 4096 * 1024) * 2 / 1073741824.0;
  std::printf("  peak RSS %.2f GiB at %d layers -> %.2f GiB at 32 (+%.3f GiB of weights per layer) = %.2f x the 18 GB target\n",
              rss, L, rss + (32 - L) * layer_gb, layer_gb, (rss + (32 - L) * layer_gb) * 1.073741824 / 18.0);
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string sva = "nounpp";
  fs::path folder = fs::temp_directory_path() / "ce-bench-8b" / "layers4";
  int runs = 20;
  bool validate = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--sva" && i + 1 < argc) sva = argv[++i];
    else if (a == "--dir-8b" && i + 1 < argc) folder = argv[++i];
    else if (a == "--runs" && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (a == "--skip-validation") validate = false;
    else {
      std::fprintf(stderr, "usage: bench_attribution [--sva simple|nounpp|rc|within_rc] [--dir-8b DIR] [--runs N] [--skip-validation]\n");
      return 2;
    }
  }
  try {
    set_compute_threads(0);
    std::printf("threads: %d\n", compute_threads());
    demo_benchmarks(sva, runs);
    if (validate) validation();
    if (fs::exists(folder / "model.safetensors.index.json")) {
      llama8b_benchmark(folder, 2);
    } else {
      std::printf("8B-shape: skipped (%s absent; run bench_forward --keep first)\n", folder.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_attribution: %s\n", e.what());
    return 1;
  }
  return 0;
}
