// What a model and a traced prompt fix of a graph export, shared by `circuit-trace edges --graph-json` and the
// explorer's File › Export Graph JSON, so that both write the same file for the same trace.
#pragma once

#include "ce/core/circuits/attribution_example.h"
#include "ce/core/graphs/attribution_graph.h"

namespace ce::core {

class Model;

// Fills options.scan (the model folder's name), options.layers, and the target logit: the example's answer
// (the model's top next token when the example has none), its text and its probability on the clean prompt.
// Leaves every other field as given. One forward pass; thread-safe like Model's const methods; throws Error
// as Model::next_logits.
void set_model_graph_options(const Model& model, const AttributionExample& example, GraphExportOptions& options);

// The token texts of the example's clean prompt (Model::token_text of each id), graph_from_edges' token_texts.
std::vector<std::string> prompt_token_texts(const Model& model, const AttributionExample& example);

}  // namespace ce::core
