#include "ce/core/exemplars/exemplar_builder.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <unordered_map>

#include "ce/core/model/model.h"
#include "ce/core/base/threading.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "circuits/basis_tap.h"
#include "exemplars/exemplar_format.h"
#include "engine/llama.h"
#include "engine/model_access.h"
#include "exemplars/corpus_reader.h"
#include "exemplars/exemplar_pass.h"
#include "ce/core/base/files.h"

namespace ce::core {

namespace {

using Clock = std::chrono::steady_clock;

struct Window {
  uint64_t number = 0;      // in corpus order
  std::vector<int> tokens;  // 1..context ids
};

// The running top-K lists of every (layer, polarity, neuron) and the windows they point at. Values are stored
// multiplied by the polarity's sign, so both polarities keep "larger is better".
class TopKState {
 public:
  TopKState(int layers, int neurons, int k, int context)
      : layers_(layers), neurons_(neurons), k_(k), context_(static_cast<uint64_t>(context)),
        entries_(slot_count() * static_cast<size_t>(k)), sizes_(slot_count(), 0),
        threshold_(slot_count(), -std::numeric_limits<float>::infinity()) {}

  // x: [rows, neurons] activations of `layer` for one batch; rows[r] says which window and position row r
  // holds, or is skipped (padding, BOS).
  struct Row {
    size_t batch_index;  // into `windows`
    uint32_t position;
  };
  void scan(int layer, const float* x, const std::vector<int64_t>& row_index, const std::vector<Row>& rows,
            const std::vector<Window>& windows) {
    const size_t n = static_cast<size_t>(neurons_);
    for (int polarity = 0; polarity < 2; ++polarity) {
      const float sign = polarity == 0 ? 1.0f : -1.0f;
      const size_t base = (static_cast<size_t>(layer) * 2 + static_cast<size_t>(polarity)) * n;
      const float* thr = threshold_.data() + base;
      for (size_t r = 0; r < rows.size(); ++r) {
        const float* xr = x + static_cast<size_t>(row_index[r]) * n;
        // A branch-free pass per block finds the rare blocks with a candidate; it vectorises, the insert does not.
        constexpr size_t kBlock = 64;
        for (size_t b0 = 0; b0 < n; b0 += kBlock) {
          const size_t b1 = std::min(n, b0 + kBlock);
          int hit = 0;
          for (size_t j = b0; j < b1; ++j) hit |= sign * xr[j] >= thr[j] ? 1 : 0;
          if (!hit) continue;
          for (size_t j = b0; j < b1; ++j) {
            const float v = sign * xr[j];
            if (v >= thr[j]) offer(base + j, v, rows[r], windows);
          }
        }
      }
    }
  }

  // Sorted best first, as the file stores them: slot (layer * neurons + neuron) * 2 + polarity.
  std::vector<std::vector<ExemplarCandidate>> sorted_slots() const {
    std::vector<std::vector<ExemplarCandidate>> out(slot_count());
    for (int layer = 0; layer < layers_; ++layer) {
      for (int polarity = 0; polarity < 2; ++polarity) {
        for (int neuron = 0; neuron < neurons_; ++neuron) {
          const size_t s = (static_cast<size_t>(layer) * 2 + static_cast<size_t>(polarity)) *
                               static_cast<size_t>(neurons_) + static_cast<size_t>(neuron);
          std::vector<Entry> e(entries_.begin() + static_cast<ptrdiff_t>(s * static_cast<size_t>(k_)),
                               entries_.begin() + static_cast<ptrdiff_t>(s * static_cast<size_t>(k_) + sizes_[s]));
          std::sort(e.begin(), e.end(), better);
          auto& slot = out[(static_cast<size_t>(layer) * static_cast<size_t>(neurons_) + static_cast<size_t>(neuron)) * 2 +
                           static_cast<size_t>(polarity)];
          for (const Entry& x : e) {
            slot.push_back({polarity == 0 ? x.value : -x.value, x.key / context_, static_cast<uint32_t>(x.key % context_)});
          }
        }
      }
    }
    return out;
  }

  const std::vector<int>& tokens(uint64_t window) const { return windows_.at(window).tokens; }

 private:
  struct Entry {
    float value;
    uint64_t key;  // window * context + position: orders like (window, position)
  };
  // Ties go to the earlier token, so a run's result does not depend on batch boundaries.
  static bool better(const Entry& a, const Entry& b) { return a.value > b.value || (a.value == b.value && a.key < b.key); }

  struct WindowRef {
    std::vector<int> tokens;
    uint32_t refs = 0;
  };

  size_t slot_count() const { return static_cast<size_t>(layers_) * 2 * static_cast<size_t>(neurons_); }

  // `v >= threshold` admits every candidate that may rank; a tie with the worst kept entry is settled by
  // `better` (windows arrive sorted by length, not in corpus order).
  void offer(size_t s, float v, const Row& row, const std::vector<Window>& windows) {
    const Window& w = windows[row.batch_index];
    const Entry e{v, w.number * context_ + row.position};
    Entry* heap = entries_.data() + s * static_cast<size_t>(k_);
    uint32_t& size = sizes_[s];
    // `better` as the heap's "less": the front is the worst entry, the one to evict.
    if (size == static_cast<uint32_t>(k_) && !better(e, heap[0])) return;
    if (size < static_cast<uint32_t>(k_)) {
      heap[size++] = e;
      std::push_heap(heap, heap + size, better);
    } else {
      std::pop_heap(heap, heap + size, better);
      release(heap[size - 1].key / context_);
      heap[size - 1] = e;
      std::push_heap(heap, heap + size, better);
    }
    if (size == static_cast<uint32_t>(k_)) threshold_[s] = heap[0].value;
    WindowRef& ref = windows_[w.number];
    if (ref.refs++ == 0) ref.tokens = w.tokens;
  }

  void release(uint64_t window) {
    auto it = windows_.find(window);
    if (it != windows_.end() && --it->second.refs == 0) windows_.erase(it);
  }

  int layers_, neurons_, k_;
  uint64_t context_;
  std::vector<Entry> entries_;    // [layers][2][neurons][k] heaps
  std::vector<uint32_t> sizes_;   // [layers][2][neurons]
  std::vector<float> threshold_;  // [layers][2][neurons]: worst kept value once full, -inf before
  std::unordered_map<uint64_t, WindowRef> windows_;  // only windows some entry points at
};

void check_range(int64_t v, int64_t lo, int64_t hi, const char* name) {
  if (v < lo || v > hi) {
    throw Error(std::string(name) + " must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", not " +
                std::to_string(v));
  }
}

}  // namespace

ExemplarBuildResult run_exemplar_pass(const Model& model, const ExemplarBuildOptions& o, const JobControl& control,
                                      bool forward_only) {
  check_range(o.top_k, 1, 65536, "top K");
  check_range(o.context, 2, 65536, "context");
  check_range(o.batch, 1, 65536, "batch");
  check_range(o.shard_count, 1, 1 << 20, "shard count");
  check_range(o.shard_index, 0, o.shard_count - 1, "shard index");
  if (o.out_path.empty() && !forward_only) throw Error("no output path for the exemplar index");
  const ModelConfig& config = model.config();
  const int layers = static_cast<int>(config.num_hidden_layers);
  // The nodes indexed: a site's activations, or a set's features (its error nodes are no feature to show).
  const BasisTap tap(engine_of(model), o.basis, o.dictionaries);
  const int neurons = static_cast<int>(tap.features());
  const int bos = model.tokenizer().bos_id();
  const auto start = Clock::now();

  ensure_compute_threads();
  torch::NoGradGuard no_grad;
  CorpusReader corpus(o.corpus_path);
  TopKState state(layers, neurons, o.top_k, o.context);
  ExemplarBuildResult result;
  ExemplarIndexInfo& info = result.info;
  info.basis = o.basis;
  info.layers = layers;
  info.neurons = neurons;
  info.top_k = o.top_k;
  info.context = o.context;
  info.vocab = static_cast<int>(config.vocab_size);
  info.batch = o.batch;
  info.model_fingerprint = model_fingerprint(model);
  if (o.dictionaries) info.dictionaries_hash = o.dictionaries->fingerprint();
  info.max_tokens = o.max_tokens;
  info.shard_count = o.shard_count;
  info.shards = {o.shard_index};

  // Windows are read in blocks of kBatchesPerBlock batches and sorted by length inside a block, so a batch
  // holds windows of similar length and little padding runs through the model.
  constexpr uint64_t kBatchesPerBlock = 16;
  const auto batch = static_cast<uint64_t>(o.batch);
  std::vector<Window> block;    // windows read but not yet batched, in corpus order
  std::vector<Window> pending;  // the batch to run
  uint64_t corpus_tokens = 0, window_count = 0, batch_number = 0;
  double max_fraction = 0;

  auto run_batch = [&]() {
    if (pending.empty()) return;
    control.check();
    const int64_t b = static_cast<int64_t>(pending.size());
    int64_t t = 0;
    for (const Window& w : pending) t = std::max<int64_t>(t, static_cast<int64_t>(w.tokens.size()));
    // Right padding needs no mask: causal attention keeps every real token blind to the padding after it.
    torch::Tensor ids = torch::zeros({b, t}, torch::kInt64);  // [b, t]
    auto acc = ids.accessor<int64_t, 2>();
    std::vector<int64_t> row_index;
    std::vector<TopKState::Row> rows;
    for (int64_t i = 0; i < b; ++i) {
      const std::vector<int>& tok = pending[static_cast<size_t>(i)].tokens;
      for (size_t p = 0; p < tok.size(); ++p) {
        acc[i][static_cast<int64_t>(p)] = tok[p];
        if (tok[p] == bos) continue;  // same activation in every window: not an exemplar
        row_index.push_back(i * t + static_cast<int64_t>(p));
        rows.push_back({static_cast<size_t>(i), static_cast<uint32_t>(p)});
      }
      result.tokens_forwarded += tok.size();
    }
    result.padded_tokens += static_cast<uint64_t>(b * t);
    ForwardOptions fo;
    fo.logits = LogitsMode::None;
    if (!forward_only) fo.hook = tap.edit([&](LayerNodes& n) {
      torch::Tensor c = n.act.to(torch::kCPU).contiguous();  // [b, t, neurons] float32; scanned on the host
      state.scan(n.layer, c.data_ptr<float>(), row_index, rows, pending);
    });
    engine_of(model).forward(ids, fo);
    pending.clear();
    control.report(max_fraction, "exemplars");
    if (o.progress) {
      ExemplarBuildProgress p;
      p.fraction = max_fraction;
      p.tokens = result.tokens_forwarded;
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      p.tokens_per_second = elapsed > 0 ? static_cast<double>(result.tokens_forwarded) / elapsed : 0;
      if (p.fraction > 0.001) p.eta_seconds = elapsed * (1 - p.fraction) / p.fraction;
      o.progress(p);
    }
  };

  // Batch j of the whole corpus belongs to shard j % shard_count: every shard cuts the same batches.
  auto run_block = [&]() {
    std::stable_sort(block.begin(), block.end(),
                     [](const Window& a, const Window& b) { return a.tokens.size() < b.tokens.size(); });
    for (size_t at = 0; at < block.size(); at += static_cast<size_t>(batch), ++batch_number) {
      if (batch_number % static_cast<uint64_t>(o.shard_count) != static_cast<uint64_t>(o.shard_index)) continue;
      const size_t end = std::min(block.size(), at + static_cast<size_t>(batch));
      for (size_t i = at; i < end; ++i) {
        ++info.windows_seen;
        info.tokens_seen += block[i].tokens.size();
        pending.push_back(std::move(block[i]));
      }
      run_batch();
    }
    block.clear();
  };

  std::string doc;
  bool limit_reached = false;
  while (!limit_reached && corpus.next(doc)) {
    ++result.documents;
    const std::vector<int> ids = model.encode(doc);
    for (size_t at = 0; at < ids.size(); at += static_cast<size_t>(o.context)) {
      const size_t len = std::min(ids.size() - at, static_cast<size_t>(o.context));
      if (o.max_tokens && corpus_tokens + len > o.max_tokens) {
        limit_reached = true;
        break;
      }
      corpus_tokens += len;
      block.push_back({window_count++, std::vector<int>(ids.begin() + static_cast<ptrdiff_t>(at),
                                                         ids.begin() + static_cast<ptrdiff_t>(at + len))});
      max_fraction = std::max(corpus.fraction(), o.max_tokens ? static_cast<double>(corpus_tokens) /
                                                                    static_cast<double>(o.max_tokens)
                                                              : 0.0);
      if (block.size() == batch * kBatchesPerBlock) run_block();
    }
  }
  max_fraction = 1;
  run_block();
  control.check();
  info.corpus_hash = corpus.hash();
  if (!forward_only) write_exemplar_file(o.out_path, info, state.sorted_slots(), [&](uint64_t window) { return state.tokens(window); });
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.tokens_per_second = result.seconds > 0 ? static_cast<double>(result.tokens_forwarded) / result.seconds : 0;
  return result;
}

ExemplarBuildResult build_exemplar_index(const Model& model, const ExemplarBuildOptions& options,
                                         const JobControl& control) {
  return run_exemplar_pass(model, options, control, /*forward_only=*/false);
}

}  // namespace ce::core
