// JSON as the program reads it from users' files. Internal to ce_core.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ce/core/base/error.h"

namespace ce::core {

// Deeper than any real config, tokenizer, index or dataset line. nlohmann's parser is iterative, but the code
// that walks a parsed document (nested pre-tokenizer sequences, error excerpts) recurses once per level, and
// tens of thousands of levels overflow the stack.
constexpr int kMaxJsonDepth = 256;

// nlohmann::json::parse(text) refusing documents nested deeper than kMaxJsonDepth with
// Error("<name>: JSON nested deeper than 256 levels") as soon as the parser reaches that depth. Other syntax
// errors still throw nlohmann::json::parse_error, for the caller to name.
inline nlohmann::json parse_json(const std::string& text, const std::string& name) {
  return nlohmann::json::parse(text, [&name](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kMaxJsonDepth) {
      throw Error(name + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    return true;
  });
}

}  // namespace ce::core
