// The TopK trainer's tensors and steps (formulas in ce/core/dictionaries/sae_training.h), apart from
// collecting activations, so that white-box tests can train on tensors they make. Internal to ce_core:
// this header includes torch.
#pragma once

#include <torch/torch.h>

#include <string>

#include "ce/core/base/job.h"
#include "ce/core/dictionaries/sae_training.h"

namespace ce::core {

// A TopK dictionary in raw activation units (scales folded in), float32, contiguous.
struct TopKParams {
  torch::Tensor w_enc;  // [d_in, d_sae]
  torch::Tensor b_enc;  // [d_sae]
  torch::Tensor w_dec;  // [d_sae, d_out]
  torch::Tensor b_dec;  // [d_out]
  int64_t k = 0;
  bool b_dec_to_input = true;  // SAE: encode x - b_dec; transcoder: encode x
};

// f = TopK(ReLU((x - b_pre) W_enc + b_enc)): [n, d_in] -> [n, d_sae]. Differentiable in the kept values.
torch::Tensor topk_encode(const TopKParams& p, const torch::Tensor& x);
// f W_dec + b_dec: [n, d_sae] -> [n, d_out].
torch::Tensor topk_decode(const TopKParams& p, const torch::Tensor& f);
// sum |y - decode(encode(x))|^2 / sum |y - mean(y)|^2 over the rows of x [n, d_in] and y [n, d_out],
// evaluated in chunks without gradients.
double topk_fvu(const TopKParams& p, const torch::Tensor& x, const torch::Tensor& y);

struct TopKTrainOutput {
  TopKParams initial;  // the initialisation, folded like the result (for fvu_init)
  TopKParams trained;
  double final_loss = 0;  // MSE per element of the last step, in the normalised units
};

// Trains on rows x [n, d_in] -> y [n, d_out] (y = x for an SAE) with the options' seed, steps, batch,
// learning rate, k and expansion (d_sae = expansion * d_in); `sae` selects b_pre = b_dec. Deterministic for
// a seed and thread count. control: progress over the steps, check() every step. Options are not checked
// here (train_dictionary does).
TopKTrainOutput train_topk(const torch::Tensor& x, const torch::Tensor& y, bool sae,
                           const SaeTrainingOptions& options, const JobControl& control);

// Writes cfg.json (SAELens fields plus `extra` merged in at the top level; `extra_json` is a JSON object's
// text) and sae_weights.safetensors into `folder` (created). A transcoder when hook_out is not empty.
void write_topk_folder(const TopKParams& p, const std::string& folder, const std::string& hook_in,
                       const std::string& hook_out, int layer, const std::string& extra_json);

}  // namespace ce::core
