// Benchmark (not a test): forward and RelP (forward + backward with the LRP rules, w.r.t. activations
// only) of stories260K and of a random-weight model of Llama-3.1-8B shape in bf16, each against the weight-streaming bound measured in
// the same run, plus model open time and peak RSS.
//
// The 8B-shaped model is generated into a temporary folder with --layers decoder layers (default 4, since
// a 16 GB folder does not fit comfortably next to a build on a 24 GB machine); full-depth figures are
// extrapolated as  t(32) = t(L) + (32 - L) * per_layer, with per_layer timed by hooks at layer boundaries.
// Open time for the full 16 GB is measured on a sparse 32-layer folder (headers real, data holes).
//
// --generate times greedy generation instead: tokens/s with the KV cache against the full recompute per
// token (the baseline, measured in the same run) on the demo model, stories260K and the 8B shape (with
// --layers decoder layers, --gen-prompt prompt tokens and --gen-new new ones), steered x4 at every position.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "ce/core/model/model.h"
#include "ce/core/model/model_config.h"
#include "ce/core/base/threading.h"
#include "engine/decode.h"
#include "engine/llama.h"
#include "engine/matmul_choice.h"
#include "engine/model_access.h"

namespace fs = std::filesystem;
using namespace ce::core;
using Clock = std::chrono::steady_clock;

namespace {

// The engine options of the 8B-shape runs: bf16 weights in place, multiplied the way --bf16-matmul says
// (auto: the probe Model::open uses).
bool g_native = false;
EngineOptions bf16_engine() {
  EngineOptions o;
  o.compute = DType::BF16;
  o.native_bf16 = g_native;
  return o;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double peak_rss_gb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / (1024.0 * 1024.0);  // ru_maxrss is in KiB
}

ModelConfig llama31_8b_config(int layers) {
  ModelConfig c;
  c.hidden_size = 4096;
  c.intermediate_size = 14336;
  c.num_hidden_layers = layers;
  c.num_attention_heads = 32;
  c.num_key_value_heads = 8;
  c.head_dim = 128;
  c.vocab_size = 128256;
  c.max_position_embeddings = 131072;
  c.rms_norm_eps = 1e-5;
  c.rope_theta = 500000.0;
  c.rope_scaling = RopeScaling{8.0, 1.0, 4.0, 8192};
  c.tie_word_embeddings = false;
  c.bos_token_ids = {128000};
  c.eos_token_ids = {128001, 128008, 128009};
  c.torch_dtype = DType::BF16;
  return c;
}

struct Spec {
  std::string name;
  std::vector<int64_t> shape;
  bool norm;
};

std::vector<Spec> specs_for(const ModelConfig& c, int64_t layer_begin, int64_t layer_end, bool embed, bool head) {
  const int64_t d = c.hidden_size, m = c.intermediate_size, q = c.num_attention_heads * c.head_dim;
  const int64_t kv = c.num_key_value_heads * c.head_dim;
  std::vector<Spec> s;
  if (embed) s.push_back({"model.embed_tokens.weight", {c.vocab_size, d}, false});
  for (int64_t l = layer_begin; l < layer_end; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    s.push_back({p + "input_layernorm.weight", {d}, true});
    s.push_back({p + "mlp.down_proj.weight", {d, m}, false});
    s.push_back({p + "mlp.gate_proj.weight", {m, d}, false});
    s.push_back({p + "mlp.up_proj.weight", {m, d}, false});
    s.push_back({p + "post_attention_layernorm.weight", {d}, true});
    s.push_back({p + "self_attn.k_proj.weight", {kv, d}, false});
    s.push_back({p + "self_attn.o_proj.weight", {d, q}, false});
    s.push_back({p + "self_attn.q_proj.weight", {q, d}, false});
    s.push_back({p + "self_attn.v_proj.weight", {kv, d}, false});
  }
  if (head) {
    s.push_back({"lm_head.weight", {c.vocab_size, d}, false});
    s.push_back({"model.norm.weight", {d}, true});
  }
  return s;
}

// Writes one bf16 shard. With `sparse`, only the header is written and the data is a hole (for timing
// open on a full-size folder without 16 GB of disk).
void write_shard(const fs::path& path, const std::vector<Spec>& specs, bool sparse, uint64_t seed) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  std::vector<uint64_t> sizes;
  for (const auto& s : specs) {
    uint64_t n = 1;
    for (auto d : s.shape) n *= static_cast<uint64_t>(d);
    header[s.name] = {{"dtype", "BF16"}, {"shape", s.shape}, {"data_offsets", {offset, offset + 2 * n}}};
    sizes.push_back(n);
    offset += 2 * n;
  }
  std::string h = header.dump();
  while (h.size() % 8 != 0) h.push_back(' ');
  std::ofstream out(path, std::ios::binary);
  const uint64_t hl = h.size();
  out.write(reinterpret_cast<const char*>(&hl), 8);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  if (sparse) {
    out.close();
    fs::resize_file(path, 8 + hl + offset);
    return;
  }
  // Small random weights (uniform in about +-0.02, norms ~1) from a xorshift generator: fast and
  // deterministic; the values only need to be finite and realistic in magnitude.
  std::vector<uint16_t> buf(1 << 20);
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (size_t i = 0; i < specs.size(); ++i) {
    uint64_t left = sizes[i];
    while (left > 0) {
      const uint64_t n = std::min<uint64_t>(left, buf.size());
      for (uint64_t k = 0; k < n; ++k) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const float u = static_cast<float>(x >> 40) / static_cast<float>(1 << 24) - 0.5f;  // [-0.5, 0.5)
        const float v = specs[i].norm ? 1.0f + 0.1f * u : 0.04f * u;
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        buf[k] = static_cast<uint16_t>(bits >> 16);
      }
      out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(2 * n));
      left -= n;
    }
  }
}

// An 8B-shaped folder: one shard per decoder layer plus one for embeddings and one for the head.
void write_8b_folder(const fs::path& dir, int layers, bool sparse) {
  fs::create_directories(dir);
  const ModelConfig c = llama31_8b_config(layers);
  std::ofstream(dir / "config.json") << c.to_json();
  const int shards = layers + 2;
  nlohmann::json map = nlohmann::json::object();
  for (int s = 0; s < shards; ++s) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", s + 1, shards);
    std::vector<Spec> specs = s == 0 ? specs_for(c, 0, 0, true, false)
                              : s == shards - 1 ? specs_for(c, 0, 0, false, true)
                                                : specs_for(c, s - 1, s, false, false);
    for (const auto& sp : specs) map[sp.name] = name;
    write_shard(dir / name, specs, sparse, static_cast<uint64_t>(s) + 1);
  }
  std::ofstream(dir / "model.safetensors.index.json") << nlohmann::json{{"metadata", nlohmann::json::object()},
                                                                         {"weight_map", map}}.dump(1);
}

// The weight-streaming bound: time to read every weight byte once from memory, measured on the same
// mapping the forward uses (after a first touch so it is in the page cache).
double stream_seconds(const WeightStore& store, int repeats) {
  double best = 1e30;
  volatile uint64_t sink = 0;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    uint64_t acc = 0;
    for (const auto& file : store.files()) {
      for (const auto& [name, e] : file->tensors()) {
        const auto* p = static_cast<const uint64_t*>(e.data);
        const int64_t n = static_cast<int64_t>(e.byte_size / 8);
        std::vector<uint64_t> partial(static_cast<size_t>(at::get_num_threads()), 0);
        at::parallel_for(0, n, 1 << 16, [&](int64_t b, int64_t end) {
          uint64_t a = 0;
          for (int64_t i = b; i < end; ++i) a += p[i];
          partial[static_cast<size_t>(at::get_thread_num())] += a;
        });
        for (auto v : partial) acc += v;
      }
    }
    sink = sink + acc;
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

// The arithmetic bound: float32 BLAS speed here for the forward's matmul shape ([tokens, d] x [d, m]).
double sgemm_gflops(int tokens) {
  const torch::Tensor x = torch::randn({tokens, 4096});   // [tokens, 4096]
  const torch::Tensor w = torch::randn({14336, 4096});    // [14336, 4096]
  double best = 1e30;
  for (int r = 0; r < 4; ++r) {
    const auto t0 = Clock::now();
    torch::Tensor y = torch::nn::functional::linear(x, w);  // [tokens, 14336]
    if (r > 0) best = std::min(best, seconds_since(t0));
  }
  return 2.0 * tokens * 4096.0 * 14336.0 / best / 1e9;
}

struct Timing {
  double forward = 0, backward = 0, per_layer_fwd = 0, per_layer_fb = 0;
};

// Median-free but warm: one warm-up run, then the best of `runs`.
Timing time_model(const LlamaModel& e, int tokens, int runs) {
  std::vector<int64_t> ids(static_cast<size_t>(tokens));
  for (int i = 0; i < tokens; ++i) ids[static_cast<size_t>(i)] = (i * 7919 + 3) % e.config().vocab_size;
  const torch::Tensor t = torch::tensor(ids).unsqueeze(0);  // [1, tokens]
  const int layers = static_cast<int>(e.config().num_hidden_layers);
  Timing best{1e30, 1e30, 1e30, 1e30};
  for (int r = 0; r < runs + 1; ++r) {
    Clock::time_point first, last;
    ForwardOptions o;
    o.logits = LogitsMode::Last;
    o.hook = [&](Site s, int layer, const torch::Tensor& x) {
      if (s == Site::ResidPre && layer == 0) first = Clock::now();
      if (s == Site::ResidPost && layer == layers - 1) last = Clock::now();
      return x;
    };
    {
      torch::NoGradGuard ng;
      const auto t0 = Clock::now();
      e.forward(t, o);
      const double f = seconds_since(t0);
      if (r > 0) {
        best.forward = std::min(best.forward, f);
        best.per_layer_fwd = std::min(best.per_layer_fwd, std::chrono::duration<double>(last - first).count() / layers);
      }
    }
    // RelP: forward + backward with the LRP rules, w.r.t. activations only: the embeddings' output is the
    // leaf, weights never require grad, so the backward computes activation gradients and no weight gradients.
    ForwardOptions g;
    g.logits = LogitsMode::Last;
    g.rules = GradRules::relp();
    g.hook = [&](Site s, int layer, const torch::Tensor& x) {
      if (s == Site::ResidPre && layer == 0) return x.detach().requires_grad_(true);
      return x;
    };
    const auto t0 = Clock::now();
    torch::Tensor logits = e.forward(t, g).logits;  // [1, 1, vocab]
    (logits[0][0][1] - logits[0][0][2]).backward();
    const double fb = seconds_since(t0);
    if (r > 0) best.backward = std::min(best.backward, fb);
  }
  best.per_layer_fb = best.per_layer_fwd * best.backward / best.forward;  // same split as the forward
  return best;
}

void report(const char* name, const LlamaModel& e, int tokens, int runs) {
  const double stream = stream_seconds(e.store(), 3);
  const double gb = static_cast<double>(e.store().total_bytes()) / 1e9;
  const Timing t = time_model(e, tokens, runs);
  std::fflush(stdout);
  std::printf("%s: %d tokens, %.3f GB weights, streaming bound %.4f s (%.1f GB/s)\n", name, tokens, gb, stream,
              gb / stream);
  std::printf("  forward           %.4f s = %.2f x bound\n", t.forward, t.forward / stream);
  std::printf("  RelP (fwd+bwd)    %.4f s = %.2f x bound (%.2f x forward)\n", t.backward, t.backward / stream,
              t.backward / t.forward);
  std::printf("  per decoder layer forward %.4f s\n", t.per_layer_fwd);
}

// Greedy generation of `new_tokens` after a `prompt`-token prompt with no stop id (so both paths make every
// token), steered x4 at every position on one neuron as the explorer's steered continuations are.
struct GenTiming {
  double cached = 0, recompute = 0;  // seconds, best of runs, prompt included
  bool same = false;                 // both paths made the same ids
};

GenTiming time_generation(const LlamaModel& e, int prompt, int new_tokens, int runs) {
  std::vector<int> ids(static_cast<size_t>(prompt));
  for (int i = 0; i < prompt; ++i) ids[static_cast<size_t>(i)] = static_cast<int>((i * 7919 + 3) % e.config().vocab_size);
  DecodeOptions d;
  d.hook = [](Site s, int layer, int64_t, const torch::Tensor& x) {
    if (s != Site::MlpAct || layer != 1) return x;
    torch::Tensor y = x.clone();  // [b, t, m]
    y.select(2, 5).mul_(4.0);
    return y;
  };
  torch::NoGradGuard no_grad;
  greedy_decode(e, ids, 2, d);  // warm-up (first touch of the weights, allocator)
  GenTiming best{1e30, 1e30, false};
  std::vector<int> cached, recomputed;
  for (int r = 0; r < runs; ++r) {
    d.decoding = Decoding::Cached;
    auto t0 = Clock::now();
    cached = greedy_decode(e, ids, new_tokens, d);
    best.cached = std::min(best.cached, seconds_since(t0));
    d.decoding = Decoding::Recompute;
    t0 = Clock::now();
    recomputed = greedy_decode(e, ids, new_tokens, d);
    best.recompute = std::min(best.recompute, seconds_since(t0));
  }
  best.same = cached == recomputed && static_cast<int>(cached.size()) == new_tokens;
  return best;
}

void report_generation(const char* name, const LlamaModel& e, int prompt, int new_tokens, int runs) {
  const GenTiming g = time_generation(e, prompt, new_tokens, runs);
  std::printf("%s: %d-token prompt + %d new, x4 steer at every position, best of %d\n", name, prompt, new_tokens,
              runs);
  std::printf("  recompute per token  %8.2f tokens/s (%.3f s) = baseline\n", new_tokens / g.recompute, g.recompute);
  std::printf("  KV cache             %8.2f tokens/s (%.3f s) = %.2f x baseline; same ids: %s\n",
              new_tokens / g.cached, g.cached, g.recompute / g.cached, g.same ? "yes" : "NO");
}

// --generate: the demo model, stories260K (when present) and the 8B shape with `layers` decoder layers.
int run_generation(const std::string& stories, bool skip_8b, const fs::path& dir, int layers, int prompt,
                   int new_tokens, int runs, bool keep) {
  const auto geo = Model::open(default_model_dir());
  // The demo model's context is 128: an 8-token prompt and 120 new tokens fill it.
  report_generation("demo model (geo) f32", engine_of(*geo), 8, 120, runs);
  if (fs::exists(fs::path(stories) / "config.json")) {
    const auto m = Model::open(stories);
    report_generation("stories260K f32", engine_of(*m), 8, 248, runs);
  } else {
    std::printf("stories260K: skipped (%s absent)\n", stories.c_str());
  }
  if (skip_8b) return 0;
  const fs::path real = dir / ("layers" + std::to_string(layers));
  if (!fs::exists(real / "model.safetensors.index.json")) {
    const auto t0 = Clock::now();
    write_8b_folder(real, layers, false);
    std::printf("generated %d-layer 8B-shape folder in %.1f s\n", layers, seconds_since(t0));
  }
  ModelConfig c = ModelConfig::from_dir(real.string());
  LlamaModel e(std::move(c), WeightStore::open_dir(real.string()), bf16_engine());
  stream_seconds(e.store(), 1);  // pages the weights in, as a model in use has them
  const std::string name = "8B-shape bf16 (" + std::to_string(layers) + " of 32 decoder layers)";
  report_generation(name.c_str(), e, prompt, new_tokens, 1);
  if (!keep) fs::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines appear as they happen, also when redirected
  int layers = 4, tokens = 32, runs = 3;
  int gen_prompt = 32, gen_new = 32;
  bool skip_8b = false, keep = false, generate = false;
  std::string matmul = "auto";
  std::string stories = std::string(CE_SHARED_DATA_DIR) + "/stories260K/hf";
  fs::path dir = fs::temp_directory_path() / "ce-bench-8b";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--layers") layers = std::stoi(next());
    else if (a == "--tokens") tokens = std::stoi(next());
    else if (a == "--runs") runs = std::stoi(next());
    else if (a == "--dir") dir = next();
    else if (a == "--stories") stories = next();
    else if (a == "--skip-8b") skip_8b = true;
    else if (a == "--keep") keep = true;
    else if (a == "--generate") generate = true;
    else if (a == "--gen-prompt") gen_prompt = std::stoi(next());
    else if (a == "--gen-new") gen_new = std::stoi(next());
    else if (a == "--bf16-matmul") matmul = next();
    else {
      std::fprintf(stderr, "usage: bench_forward [--layers L] [--tokens N] [--runs R] [--dir D] [--keep] [--skip-8b]\n"
                           "                     [--generate [--gen-prompt P] [--gen-new N]] [--bf16-matmul auto|native|widen]\n");
      return 2;
    }
  }
  try {
    set_compute_threads(0);
    std::printf("threads: %d\n", compute_threads());
    if (matmul == "auto") {
      const Bf16Timing& probe = bf16_matmul_timing();
      g_native = probe.native_faster();
      std::printf("bf16 matmul: %s (auto: %s)\n", g_native ? "native" : "widen", probe.describe().c_str());
    } else if (matmul == "native" || matmul == "widen") {
      g_native = matmul == "native";
      std::printf("bf16 matmul: %s (forced)\n", matmul.c_str());
    } else {
      throw Error("--bf16-matmul must be auto, native or widen");
    }
    if (generate) return run_generation(stories, skip_8b, dir, layers, gen_prompt, gen_new, runs, keep);
    if (fs::exists(fs::path(stories) / "config.json")) {
      const auto t0 = Clock::now();
      auto m = Model::open(stories);
      std::printf("stories260K: open %.4f s\n", seconds_since(t0));
      report("stories260K f32", engine_of(*m), tokens, 20);
    } else {
      std::printf("stories260K: skipped (%s absent)\n", stories.c_str());
    }
    if (skip_8b) return 0;

    // Open time of a full-size (32 layers, ~16 GB) folder: sparse data, real headers.
    const fs::path sparse = dir / "sparse32";
    write_8b_folder(sparse, 32, true);
    // The demo tokenizer is not needed: open the weights through the engine directly.
    {
      const auto t0 = Clock::now();
      ModelConfig c = ModelConfig::from_dir(sparse.string());
      auto store = WeightStore::open_dir(sparse.string());
      LlamaModel e(std::move(c), std::move(store), bf16_engine());
      std::printf("8B-shape (32 layers, %.2f GB, sparse): open %.3f s, converted bytes %llu\n",
                  static_cast<double>(e.store().total_bytes()) / 1e9, seconds_since(t0),
                  static_cast<unsigned long long>(e.converted_bytes()));
    }
    fs::remove_all(sparse);

    const fs::path real = dir / ("layers" + std::to_string(layers));
    if (!fs::exists(real / "model.safetensors.index.json")) {
      const auto t0 = Clock::now();
      write_8b_folder(real, layers, false);
      std::printf("generated %d-layer 8B-shape folder in %.1f s\n", layers, seconds_since(t0));
    }
    const auto t0 = Clock::now();
    ModelConfig c = ModelConfig::from_dir(real.string());
    auto store = WeightStore::open_dir(real.string());
    LlamaModel e(std::move(c), std::move(store), bf16_engine());
    std::printf("8B-shape (%d layers): open %.3f s\n", layers, seconds_since(t0));
    const double stream = stream_seconds(e.store(), 3);
    const Timing t = time_model(e, tokens, runs);
    const double gb = static_cast<double>(e.store().total_bytes()) / 1e9;
    double layer_gb = 0;  // bf16 bytes of one decoder layer
    for (const auto& s : specs_for(e.config(), 0, 1, false, false)) {
      double n = 2;
      for (auto d : s.shape) n *= static_cast<double>(d);
      layer_gb += n / 1e9;
    }
    const double stream_rate = gb / stream;
    const double full_gb = gb + (32 - layers) * layer_gb;
    const double full_bound = full_gb / stream_rate;
    const double full_fwd = t.forward + (32 - layers) * t.per_layer_fwd;
    const double full_fb = t.backward + (32 - layers) * t.per_layer_fb;
    std::printf("8B-shape bf16, %d tokens, measured with %d layers (%.2f GB): forward %.3f s, RelP %.3f s, "
                "per layer %.4f s, streaming %.1f GB/s\n",
                tokens, layers, gb, t.forward, t.backward, t.per_layer_fwd, stream_rate);
    std::printf("8B-shape bf16 extrapolated to 32 layers (%.2f GB): streaming bound %.3f s\n", full_gb, full_bound);
    std::printf("  forward           %.3f s = %.2f x bound (target <= 2)\n", full_fwd, full_fwd / full_bound);
    std::printf("  RelP (fwd+bwd)    %.3f s = %.2f x bound (target <= 4 where native bf16 is chosen)\n", full_fb,
                full_fb / full_bound);
    // Matmul FLOPs of one forward: 2 per weight per token (embedding lookup excluded), at BLAS speed.
    const double gflops = sgemm_gflops(tokens);
    const double matmul_params = (full_gb - static_cast<double>(e.config().vocab_size * e.config().hidden_size) * 2 / 1e9) / 2 * 1e9;
    const double flop_bound = 2.0 * tokens * matmul_params / (gflops * 1e9);
    std::printf("  arithmetic bound at float32 BLAS speed (%.1f GFLOP/s here): %.3f s; forward = %.2f x max(bounds)\n",
                gflops, flop_bound, full_fwd / std::max(flop_bound, full_bound));
    const double rss = peak_rss_gb();
    std::printf("  peak RSS %.2f GB with %d layers; extrapolated to 32 layers %.2f GB\n", rss, layers,
                rss + (32 - layers) * layer_gb);
    if (!keep) fs::remove_all(dir);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "bench_forward: error: %s\n", ex.what());
    return 2;
  }
  return 0;
}
