// A labelled prompt set: the input of the capitals-style case study (trace a whole set, cluster its neurons,
// score hypotheses, sweep steering). One JSON object per line: "prompt", "answer" and any label columns.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "ce/core/circuits/attribution_example.h"

namespace ce::core {

struct LabelledPrompt {
  std::string prompt;
  std::string answer;        // "" when the line has none (then only the topk target can trace it)
  std::string contrast;      // "contrast" (or "patch_answer"): the answer the diff target subtracts; "" if none
  std::string patch_prompt;  // "patch_prompt" (or "patch_prefix"): "" when none (then only the zero baseline)
  std::map<std::string, std::string> labels;  // every other column; numbers and booleans as JSON text
};

struct PromptSet {
  std::string path;
  std::vector<LabelledPrompt> prompts;
  std::vector<std::string> columns;  // label columns present on every line, in alphabetical order
};

// Reads a JSON Lines prompt set: each non-empty line an object with a string "prompt" (or "clean_prefix") and
// optionally a string "answer" (or "clean_answer"), "contrast" / "patch_answer", "patch_prompt" / "patch_prefix",
// and label columns whose values are strings, numbers or booleans. `limit` > 0
// keeps the first `limit` prompts. Throws Error "<path>:<line>: ..." for bad JSON, a missing or non-string
// prompt or a label that is an object or array; Error "<path>: ..." for a missing or empty file.
PromptSet load_prompt_set(const std::string& path, size_t limit = 0);

// The label column `column` of every prompt, in order. Throws Error "<path>: no label column 'X' (columns: ...)"
// when a prompt lacks it.
std::vector<std::string> label_values(const PromptSet& set, const std::string& column);

// "no label column 'X' (columns: a, b, ...)": the one message for a column a set or a trace lacks, names made
// printable and the list cut after about 300 bytes (a set may have hundreds of columns).
std::string missing_column_message(const std::vector<std::string>& columns, const std::string& column);

// The first token id of " <text>" continuing `prompt_ids` (the way the model would say it after the prompt):
// how a label value ("Austin") becomes an answer class. Throws Error for an empty text.
int first_answer_token(const Tokenizer& tok, bool add_bos, const std::string& prompt, const std::string& text);

}  // namespace ce::core
