// The text a greedy continuation adds after its prompt, for display (the explorer's continuation line, the
// CLI's "generated" fields).
#pragma once

#include <string>
#include <vector>

#include "ce/core/model/model.h"

namespace ce::core {

// Decodes `generated` (new ids only, as Model::generate returns them) without a closing end-of-sequence
// token (the tokenizer's EOS or any of config.json's eos_token_id), which decode would render as "</s>" or
// "<|eot_id|>". With `leading_space`, a first token that starts a word keeps its space, which decoding a
// lone SentencePiece run drops (" Austin" rather than "Austin"); without it the text matches llama2.c's
// decode. Throws Error for an id out of range. Thread-safe.
std::string continuation_text(const Model& model, const std::vector<int>& generated,
                              bool leading_space = true);

}  // namespace ce::core
