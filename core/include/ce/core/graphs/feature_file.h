// One neuron's feature file in the format circuit-tracer's local graph viewer (and Neuronpedia) fetches for a
// feature: its exemplars with per-token activations and its top and bottom logits.
#pragma once

#include <string>

namespace ce::core {

class Model;
class ExemplarIndex;

struct FeatureFileOptions {
  int examples = 10;  // exemplars per polarity (fewer when the index stores fewer)
  int logits = 10;    // tokens in top_logits and in bottom_logits
};

// The JSON of neuron `neuron` of layer `layer`, to be saved as "<index>.json" in the viewer's features folder:
//   {"index": cantor_pair(layer, neuron) (the graph node's "feature"), "layer", "neuron",
//    "examples_quantiles": [{"quantile_name": "Top activations", "examples": [...]},
//                           {"quantile_name": "Bottom activations", "examples": [...]}],
//    "top_logits": [token text, ...], "bottom_logits": [...], "act_min", "act_max"}
// Each example: {"tokens": [token texts of the window], "tokens_acts_list": [the neuron's activation at every
// token, recomputed by running the window through the model (the index keeps only the peak)],
// "train_token_ind": the peak's position, "is_repeated_datapoint": false}. Bottom examples keep their negative
// activations. act_min / act_max: the smallest and largest activation over all listed examples (0 when none).
// Logits from neuron_logit_effect. Throws Error when the index was built for another model or basis than
// mlp_act (ExemplarIndex::check_model / check_basis), for a layer or neuron out of range, and as
// ExemplarIndex::exemplars for a damaged index. Thread-safe (const reads of both).
std::string feature_json(const Model& model, const ExemplarIndex& index, int layer, int neuron,
                         const FeatureFileOptions& options = {});

}  // namespace ce::core
