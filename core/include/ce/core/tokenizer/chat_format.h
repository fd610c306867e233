// Chat prompt formatting produced in code (no Jinja templates).
#pragma once

#include <string>
#include <vector>

#include "ce/core/tokenizer/tokenizer.h"

namespace ce::core {

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

// Llama 3 chat format: <|begin_of_text|> then, per message, <|start_header_id|>role<|end_header_id|>
// "\n\n" content(stripped) <|eot_id|>; then an open assistant header followed by `assistant_prefix`
// (e.g. "Answer:"), tokenized as plain text, so the model continues the assistant turn.
// For a SentencePiece tokenizer the Llama 2 "[INST] <<SYS>> ... [/INST]" format is used instead.
// Throws Error if the tokenizer lacks the needed special tokens.
std::vector<int> format_chat(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                             const std::string& assistant_prefix = "");

// Convenience: optional system message + one user message.
std::vector<int> format_chat_prompt(const Tokenizer& tokenizer, const std::string& user,
                                    const std::string& system = "", const std::string& assistant_prefix = "");

// Whether the model folder's tokenizer_config.json carries a non-empty "chat_template" (a string or a list of
// named templates): the mark of an instruct model, whose prompts the explorer formats as chat by default.
// False when the file is missing or not a JSON object. Thread-safe; throws nothing.
bool has_chat_template(const std::string& model_dir);

}  // namespace ce::core
