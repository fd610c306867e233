// Builds exemplar indexes (exemplar_index.h) from a text corpus, and merges shards of one build.
// Torch-free header; the work happens in exemplar_builder.cpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/base/job.h"
#include "ce/core/circuits/basis.h"
#include "ce/core/base/error.h"
#include "ce/core/exemplars/exemplar_index.h"

namespace ce::core {

class Model;
class DictionarySet;

struct ExemplarBuildProgress {
  double fraction = 0;           // of the corpus read (or of max_tokens, when that ends the run first), 0..1
  uint64_t tokens = 0;           // tokens forwarded by this shard so far
  double tokens_per_second = 0;  // forwarded tokens per second over the run so far
  double eta_seconds = -1;       // estimated seconds until the end; -1 while unknown
};

struct ExemplarBuildOptions {
  // One document per line: plain text (".txt" or any other name) or JSON Lines (".jsonl", the "text" field
  // of each object). Empty lines are skipped. Read as a stream: memory does not grow with the corpus.
  std::string corpus_path;
  std::string out_path;  // the index file to write (replaced only when the build completes)
  Basis basis = Basis::MlpAct;
  // Basis::Features only (required there): the set whose features are indexed (d_sae per layer; layers
  // without a dictionary keep empty slots; error nodes are not indexed).
  std::shared_ptr<const DictionarySet> dictionaries;
  int top_k = 20;    // exemplars kept per neuron and polarity (1..65536)
  // Tokens per window (2..65536). Each document is tokenized with the model's BOS rule and cut into
  // consecutive windows of `context` tokens (the last may be shorter); each window runs on its own, so an
  // activation depends only on the window's tokens before it.
  int context = 24;
  // Stop before the first window that would take the corpus past this many tokens (0 = whole corpus).
  uint64_t max_tokens = 0;
  // Windows per forward (1..65536). Windows are read in blocks of 16 batches in corpus order, sorted by length
  // inside a block (less padding) and cut into batches; batch j of the corpus belongs to shard j % shard_count.
  // Shards built with the same batch size merge into exactly the single run's index.
  int batch = 32;
  int shard_index = 0;  // 0 .. shard_count - 1
  int shard_count = 1;
  // Called on the calling thread after every batch, with the throughput figures a command line shows (the
  // JobControl's progress gets the fraction alone). Must not throw.
  std::function<void(const ExemplarBuildProgress&)> progress;
};

struct ExemplarBuildResult {
  ExemplarIndexInfo info;       // the written file's header
  uint64_t documents = 0;       // documents read
  uint64_t tokens_forwarded = 0;   // tokens this shard ran through the model (padding excluded)
  uint64_t padded_tokens = 0;      // batch cells run, padding included
  double seconds = 0;              // wall time of the whole build
  double tokens_per_second = 0;    // tokens_forwarded / seconds
};

// Runs the model without gradients over the corpus windows of one shard and writes an index holding, for
// every neuron of every layer in options.basis, the top_k largest and the top_k smallest activations (ties:
// earlier window, then earlier position first), with the windows they occur in. Positions holding the BOS
// token are not candidates: their activation is the same constant in every window. Memory holds only the
// running top_k lists and the windows they point at, never the corpus. Blocks the calling thread and uses
// the process's compute threads (threading.h). Throws Error naming the corpus file and line for an unreadable
// corpus or a JSON line without a "text" string, Error for out-of-range options, Cancelled (job.h) when
// `control` is cancelled (checked before every batch; nothing is written), and Error("<out>: ...") when the
// index cannot be written.
ExemplarBuildResult build_exemplar_index(const Model& model, const ExemplarBuildOptions& options,
                                         const JobControl& control = {});

// Merges shard indexes of one build (same model fingerprint, basis, top_k, context, corpus hash, max_tokens and
// shard count, disjoint shards) into `out_path`. A merge of every shard equals the single run's index byte for
// byte when the shards used the batch size of that run. Throws Error naming the offending input for any
// mismatch or overlap, and Error("<out>: ...") when it cannot write. Returns the written header. Reads the
// inputs through their mappings (memory: the merged records and the windows they keep); may run on any thread,
// concurrently with other merges to other paths.
ExemplarIndexInfo merge_exemplar_indexes(const std::vector<std::string>& inputs, const std::string& out_path);

}  // namespace ce::core
