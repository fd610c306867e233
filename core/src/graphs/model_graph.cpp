#include "ce/core/graphs/model_graph.h"

#include <filesystem>

#include "ce/core/model/model.h"

namespace ce::core {

void set_model_graph_options(const Model& model, const AttributionExample& e, GraphExportOptions& o) {
  const std::vector<float> logits = model.next_logits(e.clean);
  o.scan = std::filesystem::path(model.dir()).filename().string();
  o.layers = static_cast<int>(model.config().num_hidden_layers);
  o.target_token = e.answer >= 0 ? e.answer : model.top_k(logits, 1)[0].id;
  o.target_text = model.token_text(o.target_token);
  for (const auto& t : model.top_k(logits, static_cast<int>(logits.size()))) {
    if (t.id == o.target_token) o.target_prob = t.prob;
  }
}

std::vector<std::string> prompt_token_texts(const Model& model, const AttributionExample& e) {
  std::vector<std::string> texts;
  for (int id : e.clean) texts.push_back(model.token_text(id));
  return texts;
}

}  // namespace ce::core
