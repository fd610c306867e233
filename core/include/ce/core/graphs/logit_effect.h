// The direct logit effect of an MLP neuron, as Neuronpedia shows a feature's top and bottom logits: the
// neuron's output direction read straight through the unembedding, skipping every later layer.
#pragma once

#include <string>
#include <vector>

namespace ce::core {

class Model;

struct LogitToken {
  int id = 0;
  std::string text;  // Model::token_text(id)
  float value = 0;   // the token's logit per unit of the neuron's activation
};

struct LogitEffect {
  std::vector<LogitToken> top;     // the k largest values, descending
  std::vector<LogitToken> bottom;  // the k smallest, ascending (most suppressed first)
};

// The vocabulary-sized vector W_U · (g ⊙ W_down[:, neuron]) of layer `layer` (g the final RMSNorm's weight;
// the norm's 1/rms, which depends on the whole residual stream, is left out, as TransformerLens folds only the
// weight into W_U), and its k largest and k smallest entries (ties by lower id). k is capped at the vocabulary.
// Throws Error for a layer or neuron out of range or k < 1. Thread-safe like Model's const methods.
LogitEffect neuron_logit_effect(const Model& model, int layer, int neuron, int k);

}  // namespace ce::core
