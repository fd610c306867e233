// Interventions on activations during the forward pass: ablation and steering of chosen nodes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ce/core/circuits/basis.h"
#include "ce/core/base/job.h"
#include "ce/core/model/model.h"

namespace ce::core {

class DictionarySet;

// One node (or one index at every position) edited during the forward pass: the activation is multiplied
// by `factor` (0 ablates, 1 is identity, -1 flips), or replaced by `value` when set (mean ablation).
struct Intervention {
  Basis basis = Basis::MlpAct;
  int layer = 0;
  int index = 0;
  int pos = -1;  // token position from 0; -1 = every position, generated tokens included
  double factor = 1.0;
  std::optional<float> value;
  // Basis::Features only (required there): the dictionaries whose feature `index` is scaled; index d_sae is
  // the error node, whose whole error vector is scaled. Every feature intervention of one call shares one set.
  std::shared_ptr<const DictionarySet> dictionaries;

  // Parses "L/N=F" or "L/N@P=F" (e.g. "2/117=0", "L2/N117@5=-3"). Throws Error with the expected form.
  static Intervention parse(const std::string& text, Basis basis = Basis::MlpAct);
};

// Checks every intervention against the model (layer, index within the basis width; pos >= -1; for
// features: a set given, shared, with a dictionary at the layer). Throws Error naming the first bad one.
void validate_interventions(const Model& model, const std::vector<Intervention>& interventions);

// Next-token logits after `ids` under the interventions (full vocabulary). Thread rules as Model.
std::vector<float> next_logits_with(const Model& model, const std::vector<int>& ids,
                                    const std::vector<Intervention>& interventions);
// Greedy continuation under the interventions, stopping after EOS (included) or where the context ends; new
// ids only. Each intervention applies when its position is computed: a prompt position's in the prompt's
// forward, pos = -1 at every position, the generated ones included. `decoding` picks the KV cache (default)
// or the full recompute per token; the tokens are the same. Reports progress per token and honours
// cancellation inside each forward (throws Cancelled). Throws Error for bad interventions, an empty prompt,
// ids outside the vocabulary or a prompt past the context. Thread rules as Model; the cache is per call.
std::vector<int> generate_with(const Model& model, const std::vector<int>& ids, int max_new_tokens,
                               const std::vector<Intervention>& interventions, const JobControl& control = {},
                               Decoding decoding = Decoding::Cached);

}  // namespace ce::core
