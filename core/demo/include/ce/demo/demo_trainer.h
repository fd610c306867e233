// Trains the embedded demo model: a small Llama on the synthetic world (corpus_generator.h), from corpus to a
// Hugging Face model folder that Model::open reads. Torch-free header; the work happens in demo_trainer.cpp.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ce/core/base/job.h"
#include "ce/demo/data_split.h"
#include "ce/core/base/error.h"

namespace ce::core {

// The hyper-parameters of one preset. "small" is the shipped model; "tiny" trains in seconds (tests).
struct DemoRecipe {
  std::string preset;
  // Architecture: Llama with grouped-query attention, RoPE, SwiGLU, tied embeddings.
  int64_t layers = 0, d_model = 0, heads = 0, kv_heads = 0, head_dim = 0, d_mlp = 0;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-5;
  // Tokenizer: SentencePiece BPE of this many pieces (byte fallback, single-piece world/SVA words).
  int vocab_size = 0;
  // Training text: CorpusOptions::target_chars.
  size_t corpus_chars = 0;
  // Rows of `seq_len` predicted tokens, `batch_rows` rows per step, split into `micro_batches` equal parts
  // whose gradients are computed independently (in parallel, one thread each) and summed in a fixed order.
  int64_t seq_len = 0, batch_rows = 0;
  int micro_batches = 1;
  int steps = 0;  // default step count
  // AdamW (beta1, beta2, eps, decoupled weight decay on matrices only), linear warm-up over `warmup_steps`
  // (capped at a tenth of the run) then cosine decay from peak_lr to peak_lr * min_lr_ratio.
  double peak_lr = 0, min_lr_ratio = 0.1, beta1 = 0.9, beta2 = 0.95, adam_eps = 1e-8, weight_decay = 0.1;
  int warmup_steps = 0;
  double grad_clip = 1.0;  // global gradient-norm clip
  double init_std = 0.02;  // normal(0, init_std); o_proj and down_proj use init_std / sqrt(2 * layers)
};

// The recipe of "small" or "tiny". Throws Error for another name.
DemoRecipe demo_recipe(const std::string& preset);

// One progress report. Phases in order: "corpus", "tokenizer", "tokenize", "train", "save", "datasets".
struct DemoTrainProgress {
  std::string phase;
  double fraction = 0;  // of the whole run, 0..1 (training counts for most of it)
  int step = 0;         // optimizer steps done ("train" phase; 0 before)
  int steps = 0;        // steps of the run
  double loss = 0;      // training loss of the last step (nats per token; "train" phase only)
  double smoothed_loss = 0;  // exponential moving average of the loss (half-life ~ 7 steps)
  double tokens_per_second = 0;  // trained tokens per second over the run so far ("train" phase)
  double eta_seconds = -1;       // estimated seconds until the run ends; -1 while unknown
  std::string message;           // one human-readable line
};

struct DemoTrainOptions {
  std::string out_dir;       // model folder to write (created; existing files of the same name replaced)
  std::string datasets_dir;  // when not empty, DatasetWriter::write_all(datasets_dir) of the same world split
  uint64_t seed = 1;         // initial weights and data order
  // The world's split, corpus and datasets (DataSplitOptions/CorpusOptions/DatasetOptions::seed). Keep the
  // default for the shipped model: resources/datasets are written with it.
  uint64_t world_seed = kDefaultWorldSeed;
  int steps = 0;               // optimizer steps; 0 = the preset's default
  std::string preset = "small";  // "small" or "tiny"
  size_t corpus_chars = 0;     // 0 = the preset's default
  // Threads that compute micro-batches (0 = all hardware threads; at most DemoRecipe::micro_batches). Each
  // computes single-threaded, so the weights do not depend on this count. The process-wide compute-thread
  // setting (threading.h) is left alone; the calling thread's tensor-thread count is restored at the end.
  int threads = 0;
  // Called on the training thread at each phase change and after every optimizer step, with the step, loss
  // and ETA a command line shows (the JobControl's progress gets the fraction and message). Must not throw.
  std::function<void(const DemoTrainProgress&)> progress;
};

struct DemoTrainResult {
  DemoRecipe recipe;  // as run (steps = the steps taken)
  uint64_t seed = 0, world_seed = 0;
  int threads = 0;
  int64_t parameters = 0;  // tied embeddings counted once
  int vocab_size = 0;
  size_t corpus_documents = 0, corpus_chars = 0;
  int64_t corpus_tokens = 0;  // BOS/EOS included
  int64_t tokens_trained = 0;  // predicted (non-padding) target tokens over all steps
  double epochs = 0;           // tokens_trained / corpus_tokens
  std::vector<float> losses;   // per step, nats per token
  double initial_loss = 0;     // loss of step 1
  double final_loss = 0;       // mean over the last min(50, steps) steps
  double tokenizer_seconds = 0, train_seconds = 0, total_seconds = 0;
  double seconds_per_step = 0;  // mean over the run
  std::vector<std::string> files;  // written paths (model folder, then datasets)
};

// Runs the whole recipe and writes into out_dir: config.json (LlamaForCausalLM, float32, tied, bos 1, eos 2),
// model.safetensors (F32, HF names, no lm_head), tokenizer.model (SentencePiece) and tokenizer_config.json
// (LlamaTokenizer, add_bos_token). Steps:
//   1. CorpusGenerator(world_seed).training_documents() into a temporary file;
//   2. SentencePiece BPE through the plugin (user-defined symbols = single_piece_symbols(), byte fallback,
//      split digits, one thread, identity normalization); checks that every symbol encodes to one piece;
//   3. documents tokenized as BOS doc EOS and packed, whole where they fit, into rows of seq_len + 1 tokens
//      (padding is not trained on); document order reshuffled every epoch with SplitMix64(seed);
//   4. next-token cross-entropy on every position, AdamW, warm-up + cosine, gradient clipping.
// Deterministic: equal options give byte-identical files, for any thread count. Blocks the calling thread (run it
// on a worker thread in a GUI). Throws Error on I/O or SentencePiece failure, and Cancelled (job.h) when
// `control` is cancelled: checked between phases and before every step, so within one step, leaving out_dir
// untouched (files are written only at the end).
DemoTrainResult train_demo_model(const DemoTrainOptions& options, const JobControl& control = {});

// A Markdown section describing the recipe and run (architecture, tokenizer, data, optimizer, timing), for
// MODEL_CARD.md. `command` is the exact command line that reproduces the run.
std::string demo_recipe_markdown(const DemoTrainResult& result, const std::string& command);

}  // namespace ce::core
