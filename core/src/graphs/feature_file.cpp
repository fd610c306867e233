#include "ce/core/graphs/feature_file.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "ce/core/base/error.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/exemplars/layer_activations.h"
#include "ce/core/graphs/cantor.h"
#include "ce/core/graphs/logit_effect.h"
#include "ce/core/model/model.h"

namespace ce::core {

std::string feature_json(const Model& model, const ExemplarIndex& index, int layer, int neuron,
                         const FeatureFileOptions& options) {
  index.check_model(model);
  index.check_basis(Basis::MlpAct);
  if (options.examples < 0) throw Error("feature file: examples must be >= 0");
  using J = nlohmann::ordered_json;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  J quantiles = J::array();
  for (const auto& [polarity, name] : {std::pair{Polarity::Positive, "Top activations"},
                                       std::pair{Polarity::Negative, "Bottom activations"}}) {
    J examples = J::array();
    if (options.examples > 0) {
      for (const Exemplar& e : index.exemplars(layer, neuron, polarity, options.examples)) {
        const std::vector<std::vector<float>> acts = layer_activations(model, e.tokens, Basis::MlpAct, layer, neuron);
        J tokens = J::array(), values = J::array();
        for (size_t t = 0; t < e.tokens.size(); ++t) {
          tokens.push_back(model.token_text(e.tokens[t]));
          const double a = acts[t][0];
          values.push_back(a);
          lo = std::min(lo, a);
          hi = std::max(hi, a);
        }
        examples.push_back({{"tokens", std::move(tokens)},
                            {"tokens_acts_list", std::move(values)},
                            {"train_token_ind", e.position},
                            {"is_repeated_datapoint", false}});
      }
    }
    quantiles.push_back({{"quantile_name", name}, {"examples", std::move(examples)}});
  }
  const LogitEffect logits = neuron_logit_effect(model, layer, neuron, std::max(options.logits, 1));
  J top = J::array(), bottom = J::array();
  for (int i = 0; i < options.logits && i < static_cast<int>(logits.top.size()); ++i) {
    top.push_back(logits.top[static_cast<size_t>(i)].text);
    bottom.push_back(logits.bottom[static_cast<size_t>(i)].text);
  }
  J root = J::object();
  root["index"] = cantor_pair(static_cast<uint64_t>(layer), static_cast<uint64_t>(neuron));
  root["layer"] = layer;
  root["neuron"] = neuron;
  root["examples_quantiles"] = std::move(quantiles);
  root["top_logits"] = std::move(top);
  root["bottom_logits"] = std::move(bottom);
  root["act_min"] = std::isfinite(lo) ? lo : 0.0;
  root["act_max"] = std::isfinite(hi) ? hi : 0.0;
  return root.dump(-1, ' ', false, J::error_handler_t::replace) + "\n";
}

}  // namespace ce::core
