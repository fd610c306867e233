// A read-only, memory-mapped exemplar index: for every neuron (or dictionary feature) of every layer, the corpus tokens that drive it
// most in both directions, with the token windows needed to show their contexts. Written by
// build_exemplar_index / merge_exemplar_indexes (exemplar_builder.h).
//
// File format (version 1), all integers and floats little-endian:
//   header (160 bytes)  "CEXI", version, header bytes, basis, layers, neurons, top_k, context, vocab, batch,
//                       shard_count, dictionaries hash (the feature basis: DictionarySet::fingerprint of
//                       the set; 0 otherwise), model fingerprint, corpus hash, max_tokens, tokens_seen,
//                       windows_seen, window_count, then the byte offsets of the four sections and the file size
//   shard bitmap        ceil(shard_count / 8) bytes: bit i set = shard i of shard_count is included
//   records             [layers][neurons][2 polarities][top_k] of {float activation, u32 window, u32 position},
//                       best first; window 0xFFFFFFFF = empty slot (fewer candidates than top_k)
//   window ids          [window_count] u64: each stored window's number in the corpus (ascending)
//   tokens              [window_count][context] int32 token ids, -1 after the window's end
// Sections start at 8-byte aligned offsets; the file ends exactly after the tokens.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/circuits/basis.h"

namespace ce::core {

class Model;
class DictionarySet;

// Positive: the largest activations, best first. Negative: the smallest (most negative), best first.
enum class Polarity : uint32_t { Positive = 0, Negative = 1 };

// What a file's header says.
struct ExemplarIndexInfo {
  uint32_t version = 0;
  Basis basis = Basis::MlpAct;
  int layers = 0;
  int neurons = 0;   // per layer (basis_width of the model; d_sae for the feature basis, error nodes excluded)
  int top_k = 0;     // record slots per neuron and polarity
  int context = 0;   // tokens per window (the longest window)
  int vocab = 0;
  int batch = 0;     // windows per forward batch of the build (shards of equal batch merge bit-exactly)
  uint64_t model_fingerprint = 0;  // model_fingerprint() of the model it was built with
  uint32_t dictionaries_hash = 0;  // Basis::Features: DictionarySet::fingerprint() of its set; 0 otherwise
  uint64_t corpus_hash = 0;        // FNV-1a of the corpus documents read (equal for every shard of one corpus)
  uint64_t max_tokens = 0;         // the build's token limit (0 = whole corpus)
  uint64_t tokens_seen = 0;        // corpus tokens in windows of the included shards (BOS included)
  uint64_t windows_seen = 0;       // corpus windows of the included shards
  uint64_t window_count = 0;       // windows stored in the file
  int shard_count = 1;
  std::vector<int> shards;         // which shards of shard_count the file holds, ascending
  uint64_t file_bytes = 0;
};

struct Exemplar {
  float activation = 0;
  uint64_t window = 0;      // the window's number in the corpus (windows numbered in corpus order from 0)
  int position = 0;         // index into `tokens` of the token whose activation this is
  std::vector<int> tokens;  // the window's token ids, as run through the model (BOS first for a document start)
};

// Thread rules: immutable after open(); every const method may run concurrently.
class ExemplarIndex {
 public:
  // Maps `path` read-only and validates the header: magic, version, basis, dimensions within limits, section
  // offsets and sizes consistent with each other and with the file size (a truncated or padded file fails).
  // Record contents are checked when read. Throws Error("<path>: <problem>").
  static std::unique_ptr<ExemplarIndex> open(const std::string& path);
  // Unmaps the file.
  ~ExemplarIndex();
  ExemplarIndex(const ExemplarIndex&) = delete;
  ExemplarIndex& operator=(const ExemplarIndex&) = delete;

  const std::string& path() const { return path_; }
  const ExemplarIndexInfo& info() const { return info_; }

  // The best min(k, stored) exemplars of neuron `neuron` of layer `layer` for `polarity`, best first; k = 0
  // means all stored. Throws Error for a layer/neuron out of range or k < 0, and Error("<path>: ...") for a
  // record that points outside the file's windows or at a padding token (a corrupted file).
  std::vector<Exemplar> exemplars(int layer, int neuron, Polarity polarity, int k = 0) const;

  // Throws Error("<path>: built for another model ...") unless the index was built with a model of the same
  // model_fingerprint() and dimensions as `model`.
  void check_model(const Model& model) const;
  // Throws Error("<path>: built for basis mlp_out, not mlp_act") when the basis differs.
  void check_basis(Basis basis) const;
  // For a feature index: throws Error("<path>: built for other dictionaries (d_sae 1024, fingerprint 1a2b3c4d;
  // <set path> has 512, 5e6f7a8b)") unless it was built with this set's encoders.
  void check_dictionaries(const DictionarySet& dictionaries) const;

  // Raw access for merging: the record of one slot (window UINT32_MAX = empty) and a stored window.
  struct Record {
    float activation;
    uint32_t window;  // index into the stored windows, not the corpus window number
    uint32_t position;
  };
  Record record(int layer, int neuron, Polarity polarity, int rank) const;
  uint64_t window_number(uint32_t window) const;        // corpus window number of a stored window
  std::vector<int> window_tokens(uint32_t window) const;  // without the -1 padding

 private:
  ExemplarIndex() = default;
  std::string path_;
  void* map_ = nullptr;
  uint64_t size_ = 0;
  ExemplarIndexInfo info_;
  uint64_t records_offset_ = 0, window_ids_offset_ = 0, tokens_offset_ = 0;
};

// The exemplars shown to a reader (the explorer's Neuron panel, `circuit-trace neuron`): the best min(k, stored)
// of neuron `neuron`, layer `layer`, with repeats merged. A corpus that repeats a sentence stores one record
// per occurrence (925 of the shipped index's top-5 rows are such repeats), and the same text peaking on the
// same token says nothing new: of the exemplars with equal tokens and position only the best is kept, and k
// counts distinct ones (k = 0: all stored). Throws Error as ExemplarIndex::exemplars. Thread-safe.
std::vector<Exemplar> distinct_exemplars(const ExemplarIndex& index, int layer, int neuron, Polarity polarity,
                                         int k = 0);

// A 64-bit FNV-1a hash identifying a model's weights: its config (dimensions, RoPE, norms) and, for every
// tensor of its folder in name order, name, dtype, shape and up to 4 KiB from the start and end of its data
// (read from the mapping, so it is cheap even for 16 GB models). The compute dtype does not enter it.
// Thread-safe (maps the folder's files afresh, read-only). Throws Error when they cannot be opened.
uint64_t model_fingerprint(const Model& model);

// The default exemplar index of `model` for `basis`, the one search the CLI and the explorer share: the first
// *.cexi (by file name) of the model's folder, then of the shipped resources/exemplars, that was built for
// this basis and this model. For Basis::Features pass the set: its own folder is searched first, and only an
// index of its dictionaries is taken. Returns null when none was; `rejected`, when given, receives one
// "<path>: <reason>" line per file passed over (another basis, another model, a damaged file). Thread-safe
// (reads the model's files for its fingerprint).
std::shared_ptr<const ExemplarIndex> find_exemplar_index(const Model& model, Basis basis,
                                                         std::vector<std::string>* rejected = nullptr,
                                                         const DictionarySet* dictionaries = nullptr);

}  // namespace ce::core
