// Training TopK sparse dictionaries (SAEs and transcoders) on a model's own activations, so that a model
// without published dictionaries (the demo model) gets a feature basis (issue #17 item 3).
//
// Architecture (Gao et al. 2024, "Scaling and evaluating sparse autoencoders"): with x what the dictionary
// reads and y what it reconstructs (y = x for an SAE; the MLP's output for a transcoder reading its input)
//   f = TopK(ReLU(W_enc (x - b_pre) + b_enc))     b_pre = b_dec for an SAE, 0 for a transcoder
//   y_hat = W_dec f + b_dec
// trained with Adam on the mean squared error, no L1 term (TopK fixes the sparsity). Decoder rows are kept
// at unit norm during training (in the normalised units below), b_dec starts at the mean of y, W_enc at
// W_dec's transpose. Activations are scaled to a mean squared norm of d for training, and the scale is
// folded into the weights written, so the folder reads raw activations.
//
// The folder written is SAELens's layout, which Dictionary::load reads back:
//   cfg.json               architecture "topk" (SAE) or "transcoder" with activation_fn "topk", k, d_in,
//                          d_sae, hook_name (hook_name_out), and a "training" object with the options
//                          and the metrics below
//   sae_weights.safetensors  W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d], b_dec [d] (F32)
//   metrics.json           the metrics alone
#pragma once

#include <cstdint>
#include <string>

#include "ce/core/base/job.h"
#include "ce/core/dictionaries/dictionary.h"

namespace ce::core {

class Model;

enum class SaeTrainingSite {
  MlpOut,      // an SAE on hook_mlp_out
  ResidPost,   // an SAE on hook_resid_post
  Transcoder,  // ln2.hook_normalized (the MLP's input before its norm weight) -> hook_mlp_out
};

// "mlp_out", "resid" (also "resid_post"), "transcoder"; else Error("unknown site \"X\" (mlp_out, resid,
// transcoder)"). Thread-safe.
SaeTrainingSite parse_sae_training_site(const std::string& name);
// "mlp_out", "resid", "transcoder". Thread-safe.
const char* sae_training_site_name(SaeTrainingSite site);

struct SaeTrainingOptions {
  std::string corpus_path;  // .txt (one document a line) or .jsonl ({"text": ...}), as for exemplars
  std::string out_dir;      // created (with parents); existing files of the same names are replaced
  SaeTrainingSite site = SaeTrainingSite::MlpOut;
  int layer = 0;
  int expansion = 8;  // d_sae = expansion * hidden_size
  int k = 32;         // active features per token
  uint64_t seed = 1;  // initialisation and batch order; equal seeds (and thread counts) give equal bytes
  int steps = 2000;   // Adam steps
  int batch = 1024;   // tokens per step
  double learning_rate = 1e-3;
  // Tokens of activations collected for training (the first documents of the corpus) and held out for the
  // metrics (the documents after them). BOS positions are skipped: their activation is one constant.
  int64_t train_tokens = 65536;  // the shipped exemplar corpus holds ~84.7k counted tokens
  int64_t heldout_tokens = 16384;
  int context = 64;  // tokens per window; each document is cut into windows run on their own
};

struct SaeTrainingResult {
  DictionaryInfo info;  // as Dictionary::load reads the folder written
  int64_t train_tokens = 0, heldout_tokens = 0;  // activations actually collected (non-BOS positions)
  // Fraction of variance unexplained on the held-out tokens: sum |y - y_hat|^2 / sum |y - mean(y)|^2.
  double fvu_init = 0;  // with the initial weights (same seed)
  double fvu = 0;       // after training, through the folder written
  double mean_l0 = 0;   // mean number of active (non-zero) features per held-out token
  int64_t dead_features = 0;  // never active on the held-out tokens
  // Next-token cross-entropy (nats) and top-1 accuracy on the held-out windows: the model as it is, and with
  // the dictionary spliced in without its error term (its reconstruction replaces the site; BOS positions,
  // which training skipped, keep their error term).
  double ce_clean = 0, ce_spliced = 0;
  double accuracy_clean = 0, accuracy_spliced = 0;
  int64_t predictions = 0;  // positions the CE and accuracy average over
  double final_loss = 0;    // training MSE of the last step, in the normalised units
  double seconds = 0;       // wall time of the whole call
};

// Collects the site's activations of `model` over the corpus, trains a TopK dictionary, writes the folder,
// reads it back with Dictionary::load and measures it (the result). Blocks the calling thread; uses the
// model only through const methods (thread rules as Model's). Progress and cancellation through `control`
// (checked between forward passes and training steps; Cancelled propagates, and no folder is written when
// it comes before the write). Throws Error with an exact message for bad options: "no output folder",
// "layer 7 is out of range (the model has 4 layers)", "expansion must be >= 1", "k = 40 must be between 1
// and d_sae = 32", "steps must be >= 1", "batch must be >= 1", "learning rate must be > 0", "context must
// be >= 2", "context = 200 exceeds the model's 128 positions (max_position_embeddings)", "train_tokens
// must be >= batch (N)", "heldout_tokens must be >= 1"; for a corpus too short: "<corpus>: N tokens, fewer
// than the M needed (train_tokens + heldout_tokens)"; corpus read errors as CorpusReader's; I/O errors
// naming the file.
SaeTrainingResult train_dictionary(const Model& model, const SaeTrainingOptions& options,
                                   const JobControl& control = {});

}  // namespace ce::core
