#include "ce/core/exemplars/exemplar_index.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/model/model.h"
#include "io/weight_store.h"
#include "base/mapped_file.h"
#include "exemplars/exemplar_format.h"

namespace ce::core {

namespace {

// Little-endian reads that do not depend on the host's byte order or on alignment.
uint32_t le32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}
uint64_t le64(const unsigned char* p) { return static_cast<uint64_t>(le32(p)) | static_cast<uint64_t>(le32(p + 4)) << 32; }

// Limits far above any real model; they keep size arithmetic below from overflowing.
constexpr uint32_t kMaxLayers = 4096, kMaxNeurons = 1u << 24, kMaxTopK = 1u << 16, kMaxContext = 1u << 20;
constexpr uint32_t kMaxVocab = 1u << 26, kMaxShards = 1u << 20;

}  // namespace

ExemplarIndex::~ExemplarIndex() {
  if (map_) ::munmap(map_, size_);
}

std::unique_ptr<ExemplarIndex> ExemplarIndex::open(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a folder, not an exemplar index");
  const MappedFile mapped = map_regular_file(path, "cannot open exemplar index", [&path](uint64_t size) {
    if (size < kExemplarHeaderBytes) {
      throw Error(path + ": not an exemplar index (" + std::to_string(size) + " bytes, shorter than the " +
                  std::to_string(kExemplarHeaderBytes) + "-byte header)");
    }
  });
  void* map = mapped.data;
  const uint64_t size = mapped.size;
  std::unique_ptr<ExemplarIndex> index(new ExemplarIndex());
  index->path_ = path;
  index->map_ = map;  // owned from here: the destructor unmaps if validation throws
  index->size_ = size;

  const auto* h = static_cast<const unsigned char*>(map);
  auto fail = [&path](const std::string& what) { return Error(path + ": corrupted exemplar index: " + what); };
  if (std::memcmp(h, kExemplarMagic, 4) != 0) throw Error(path + ": not an exemplar index (bad magic)");
  ExemplarIndexInfo& info = index->info_;
  info.version = le32(h + 4);
  if (info.version != kExemplarVersion) {
    throw Error(path + ": exemplar index version " + std::to_string(info.version) + " is not supported (expected " +
                std::to_string(kExemplarVersion) + "); rebuild it with circuit-trace exemplars");
  }
  if (le32(h + 8) != kExemplarHeaderBytes) throw fail("header size " + std::to_string(le32(h + 8)));
  const uint32_t basis = le32(h + 12);
  if (basis > static_cast<uint32_t>(Basis::Features)) throw fail("unknown basis " + std::to_string(basis));
  info.basis = static_cast<Basis>(basis);
  auto bounded = [&](uint32_t v, uint32_t lo, uint32_t hi, const char* name) {
    if (v < lo || v > hi) throw fail(std::string(name) + " " + std::to_string(v) + " out of range");
    return static_cast<int>(v);
  };
  info.layers = bounded(le32(h + 16), 1, kMaxLayers, "layers");
  info.dictionaries_hash = le32(h + 44);
  info.neurons = bounded(le32(h + 20), 1, kMaxNeurons, "neurons");
  info.top_k = bounded(le32(h + 24), 1, kMaxTopK, "top_k");
  info.context = bounded(le32(h + 28), 1, kMaxContext, "context");
  info.vocab = bounded(le32(h + 32), 1, kMaxVocab, "vocab");
  info.batch = bounded(le32(h + 36), 1, kMaxContext, "batch");
  info.shard_count = bounded(le32(h + 40), 1, kMaxShards, "shard count");
  info.model_fingerprint = le64(h + 48);
  info.corpus_hash = le64(h + 56);
  info.max_tokens = le64(h + 64);
  info.tokens_seen = le64(h + 72);
  info.windows_seen = le64(h + 80);
  info.window_count = le64(h + 88);
  const uint64_t shards_offset = le64(h + 96);
  index->records_offset_ = le64(h + 104);
  index->window_ids_offset_ = le64(h + 112);
  index->tokens_offset_ = le64(h + 120);
  const uint64_t file_size = le64(h + 128);
  info.file_bytes = size;
  if (file_size != size) {
    throw fail("header says " + std::to_string(file_size) + " bytes, file has " + std::to_string(size) +
               (size < file_size ? " (truncated)" : ""));
  }
  if (info.window_count >= kNoWindow) throw fail("window count " + std::to_string(info.window_count));
  // Every section must sit exactly where the layout puts it: this catches inconsistent sizes as well as
  // offsets pointing elsewhere.
  const uint64_t shard_bytes = (static_cast<uint64_t>(info.shard_count) + 7) / 8;
  const uint64_t record_bytes = static_cast<uint64_t>(info.layers) * static_cast<uint64_t>(info.neurons) * 2 *
                                static_cast<uint64_t>(info.top_k) * kRecordBytes;
  const uint64_t expect_records = (kExemplarHeaderBytes + shard_bytes + 7) & ~uint64_t{7};
  const uint64_t expect_ids = (expect_records + record_bytes + 7) & ~uint64_t{7};
  const uint64_t expect_tokens = expect_ids + info.window_count * 8;
  const uint64_t expect_end = expect_tokens + info.window_count * static_cast<uint64_t>(info.context) * 4;
  if (shards_offset != kExemplarHeaderBytes || index->records_offset_ != expect_records ||
      index->window_ids_offset_ != expect_ids || index->tokens_offset_ != expect_tokens || expect_end != size) {
    throw fail("section offsets or sizes are inconsistent (layers " + std::to_string(info.layers) + ", neurons " +
               std::to_string(info.neurons) + ", top_k " + std::to_string(info.top_k) + ", windows " +
               std::to_string(info.window_count) + ", context " + std::to_string(info.context) + " need " +
               std::to_string(expect_end) + " bytes, file has " + std::to_string(size) + ")");
  }
  for (int s = 0; s < info.shard_count; ++s) {
    if (h[shards_offset + static_cast<uint64_t>(s / 8)] & (1u << (s % 8))) info.shards.push_back(s);
  }
  if (info.shards.empty()) throw fail("no shard listed");
  return index;
}

ExemplarIndex::Record ExemplarIndex::record(int layer, int neuron, Polarity polarity, int rank) const {
  if (layer < 0 || layer >= info_.layers) {
    throw Error("layer " + std::to_string(layer) + " is out of range (index has " + std::to_string(info_.layers) +
                " layers)");
  }
  if (neuron < 0 || neuron >= info_.neurons) {
    throw Error("neuron " + std::to_string(neuron) + " is out of range (index has " +
                std::to_string(info_.neurons) + " per layer)");
  }
  if (rank < 0 || rank >= info_.top_k) throw Error("rank " + std::to_string(rank) + " is out of range");
  const uint64_t slot = (static_cast<uint64_t>(layer) * static_cast<uint64_t>(info_.neurons) +
                         static_cast<uint64_t>(neuron)) * 2 + static_cast<uint64_t>(polarity);
  const auto* p = static_cast<const unsigned char*>(map_) + records_offset_ +
                  (slot * static_cast<uint64_t>(info_.top_k) + static_cast<uint64_t>(rank)) * kRecordBytes;
  Record r{};
  const uint32_t bits = le32(p);
  std::memcpy(&r.activation, &bits, 4);
  r.window = le32(p + 4);
  r.position = le32(p + 8);
  return r;
}

uint64_t ExemplarIndex::window_number(uint32_t window) const {
  if (window >= info_.window_count) throw Error(path_ + ": corrupted exemplar index: window " + std::to_string(window) + " out of range");
  return le64(static_cast<const unsigned char*>(map_) + window_ids_offset_ + uint64_t{window} * 8);
}

std::vector<int> ExemplarIndex::window_tokens(uint32_t window) const {
  if (window >= info_.window_count) throw Error(path_ + ": corrupted exemplar index: window " + std::to_string(window) + " out of range");
  const auto* p = static_cast<const unsigned char*>(map_) + tokens_offset_ +
                  uint64_t{window} * static_cast<uint64_t>(info_.context) * 4;
  std::vector<int> tokens;
  for (int i = 0; i < info_.context; ++i) {
    const auto id = static_cast<int32_t>(le32(p + 4 * static_cast<size_t>(i)));
    if (id == -1) break;
    if (id < 0 || id >= info_.vocab) {
      throw Error(path_ + ": corrupted exemplar index: token id " + std::to_string(id) + " outside the vocabulary");
    }
    tokens.push_back(id);
  }
  return tokens;
}

std::vector<Exemplar> ExemplarIndex::exemplars(int layer, int neuron, Polarity polarity, int k) const {
  if (k < 0) throw Error("the number of exemplars must be >= 0");
  const int n = k == 0 ? info_.top_k : std::min(k, info_.top_k);
  std::vector<Exemplar> out;
  for (int rank = 0; rank < n; ++rank) {
    const Record r = record(layer, neuron, polarity, rank);
    if (r.window == kNoWindow) break;  // fewer candidates than slots: the rest are empty too
    Exemplar e;
    e.activation = r.activation;
    e.window = window_number(r.window);
    e.tokens = window_tokens(r.window);
    if (r.position >= e.tokens.size()) {
      throw Error(path_ + ": corrupted exemplar index: position " + std::to_string(r.position) +
                  " is beyond its window of " + std::to_string(e.tokens.size()) + " tokens");
    }
    e.position = static_cast<int>(r.position);
    out.push_back(std::move(e));
  }
  return out;
}

void ExemplarIndex::check_model(const Model& model) const {
  const ModelConfig& c = model.config();
  // A feature index's width is its dictionaries' (check_dictionaries), not the model's.
  const int64_t width = info_.basis == Basis::Features ? info_.neurons : basis_width(info_.basis, c);
  if (c.num_hidden_layers != info_.layers || width != info_.neurons || c.vocab_size != info_.vocab) {
    throw Error(path_ + ": built for another model (" + std::to_string(info_.layers) + " layers, " +
                std::to_string(info_.neurons) + " " + basis_name(info_.basis) + " neurons, vocabulary " +
                std::to_string(info_.vocab) + "; " + model.dir() + " has " + std::to_string(c.num_hidden_layers) +
                ", " + std::to_string(width) + ", " + std::to_string(c.vocab_size) + ")");
  }
  const uint64_t fp = model_fingerprint(model);
  if (fp != info_.model_fingerprint) {
    char buf[80];
    std::snprintf(buf, sizeof buf, "fingerprint %016llx, model %016llx",
                  static_cast<unsigned long long>(info_.model_fingerprint), static_cast<unsigned long long>(fp));
    throw Error(path_ + ": built for another model (" + buf + " at " + model.dir() +
                "): its exemplars would not match this model's neurons; rebuild with circuit-trace exemplars");
  }
}

void ExemplarIndex::check_basis(Basis basis) const {
  if (basis != info_.basis) {
    throw Error(path_ + ": built for basis " + basis_name(info_.basis) + ", not " + basis_name(basis));
  }
}

void ExemplarIndex::check_dictionaries(const DictionarySet& dictionaries) const {
  const uint32_t fp = dictionaries.fingerprint();
  if (info_.basis != Basis::Features || info_.dictionaries_hash != fp || info_.neurons != dictionaries.d_sae()) {
    char buf[120];
    std::snprintf(buf, sizeof buf, "d_sae %d, fingerprint %08x; ", info_.neurons,
                  static_cast<unsigned>(info_.dictionaries_hash));
    char mine[60];
    std::snprintf(mine, sizeof mine, " has %lld, %08x", static_cast<long long>(dictionaries.d_sae()),
                  static_cast<unsigned>(fp));
    throw Error(path_ + ": built for other dictionaries (" + buf + dictionaries.path() + mine + ")");
  }
}

std::vector<Exemplar> distinct_exemplars(const ExemplarIndex& index, int layer, int neuron, Polarity polarity,
                                         int k) {
  if (k < 0) throw Error("the number of exemplars must be >= 0");
  std::vector<Exemplar> out;
  // Records come best first, so the first of equal ones is the one kept; top_k is at most a few hundred.
  for (Exemplar& e : index.exemplars(layer, neuron, polarity)) {
    if (k > 0 && static_cast<int>(out.size()) >= k) break;
    const bool repeat = std::any_of(out.begin(), out.end(), [&e](const Exemplar& o) {
      return o.position == e.position && o.tokens == e.tokens;
    });
    if (!repeat) out.push_back(std::move(e));
  }
  return out;
}

uint64_t model_fingerprint(const Model& model) {
  const ModelConfig& c = model.config();
  uint64_t h = kFnvOffset;
  auto mix_i = [&h](int64_t v) { h = fnv1a(&v, sizeof v, h); };
  auto mix_d = [&h](double v) { h = fnv1a(&v, sizeof v, h); };
  for (int64_t v : {c.hidden_size, c.intermediate_size, c.num_hidden_layers, c.num_attention_heads,
                    c.num_key_value_heads, c.head_dim, c.vocab_size}) {
    mix_i(v);
  }
  mix_d(c.rms_norm_eps);
  mix_d(c.rope_theta);
  mix_i(c.tie_word_embeddings ? 1 : 0);
  if (c.rope_scaling) {
    mix_d(c.rope_scaling->factor);
    mix_d(c.rope_scaling->low_freq_factor);
    mix_d(c.rope_scaling->high_freq_factor);
    mix_i(c.rope_scaling->original_max_position_embeddings);
  }
  // The folder's own mapping, not the engine's tensors: a model loaded as f32 or bf16 has one fingerprint.
  const std::unique_ptr<WeightStore> store = WeightStore::open_dir(model.dir());
  constexpr uint64_t kSample = 4096;
  for (const std::string& name : store->names()) {
    const TensorEntry& e = store->get(name);
    h = fnv1a(name.data(), name.size(), h);
    mix_i(static_cast<int64_t>(e.dtype));
    for (int64_t d : e.shape) mix_i(d);
    const auto* data = static_cast<const unsigned char*>(e.data);
    if (e.byte_size <= 2 * kSample) {
      h = fnv1a(data, static_cast<size_t>(e.byte_size), h);
    } else {
      h = fnv1a(data, kSample, h);
      h = fnv1a(data + e.byte_size - kSample, kSample, h);
    }
  }
  return h;
}

std::shared_ptr<const ExemplarIndex> find_exemplar_index(const Model& model, Basis basis,
                                                         std::vector<std::string>* rejected,
                                                         const DictionarySet* dictionaries) {
  namespace fs = std::filesystem;
  std::vector<std::string> candidates;
  auto add = [&candidates](const fs::path& dir) {
    std::error_code ec;
    std::vector<std::string> found;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().extension() == ".cexi" && it->is_regular_file(ec)) found.push_back(it->path().string());
    }
    std::sort(found.begin(), found.end());
    candidates.insert(candidates.end(), found.begin(), found.end());
  };
  if (basis == Basis::Features) {
    if (dictionaries == nullptr) throw Error("find_exemplar_index: the feature basis needs its dictionaries");
    add(dictionaries->path());
  }
  add(model.dir());
  try {
    add(fs::path(resources_dir()) / "exemplars");
  } catch (const Error&) {
    // No resources folder (an unusual install): only the model's own folder counts.
  }
  for (const std::string& path : candidates) {
    try {
      std::shared_ptr<const ExemplarIndex> index = ExemplarIndex::open(path);
      index->check_basis(basis);  // cheap: before the model's fingerprint
      if (dictionaries != nullptr) index->check_dictionaries(*dictionaries);
      index->check_model(model);
      return index;
    } catch (const std::exception& e) {
      if (rejected) rejected->push_back(e.what());
    }
  }
  return nullptr;
}

}  // namespace ce::core
