// Core's own access to the LibTorch engine behind a Model. Internal: the public Model hides the engine so
// that ui/ and app/ never see torch; attribution, interventions, exemplars, the demo trainer and white-box
// tests include this header instead.
#pragma once

#include "ce/core/model/model.h"
#include "engine/llama.h"

namespace ce::core {

struct ModelAccess {
  static const LlamaModel& engine(const Model& model) { return *model.engine_; }
};

// The engine of an open model; lives as long as the model. Thread rules as Model's const methods.
inline const LlamaModel& engine_of(const Model& model) { return ModelAccess::engine(model); }

}  // namespace ce::core
