#include "ce/core/prompt_sets/prompt_set.h"

#include <algorithm>

#include "base/json_input.h"
#include "ce/core/base/error.h"
#include "io/loader_util.h"

namespace ce::core {

namespace {

// The first of `names` present (a set may use the prompt-set names or the paired-data names of Marks et al.).
const nlohmann::json* first_of(const nlohmann::json& j, std::initializer_list<const char*> names,
                               const std::string& where, std::string* used) {
  for (const char* n : names) {
    if (const nlohmann::json* v = json_optional(j, n, where)) {
      *used = n;
      return v;
    }
  }
  return nullptr;
}

bool is_reserved(const std::string& key) {
  static const char* const reserved[] = {"prompt",        "clean_prefix", "answer",       "clean_answer",
                                         "contrast",      "patch_answer", "patch_prompt", "patch_prefix"};
  return std::find(std::begin(reserved), std::end(reserved), key) != std::end(reserved);
}

std::string optional_text(const nlohmann::json& j, std::initializer_list<const char*> names, const std::string& where) {
  std::string used;
  const nlohmann::json* v = first_of(j, names, where, &used);
  return v ? json_string(*v, where + ": \"" + used + "\"") : std::string();
}

}  // namespace

PromptSet load_prompt_set(const std::string& path, size_t limit) {
  PromptSet set;
  set.path = path;
  bool first = true;
  for_each_json_line(path, "the prompt set", [&](const nlohmann::json& j, const std::string& where) {
    LabelledPrompt p;
    std::string used;
    const nlohmann::json* prompt = first_of(j, {"prompt", "clean_prefix"}, where, &used);
    if (!prompt) throw Error(where + ": missing \"prompt\"");
    p.prompt = json_string(*prompt, where + ": \"" + used + "\"");
    p.answer = optional_text(j, {"answer", "clean_answer"}, where);
    p.contrast = optional_text(j, {"contrast", "patch_answer"}, where);
    p.patch_prompt = optional_text(j, {"patch_prompt", "patch_prefix"}, where);
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (is_reserved(it.key())) continue;
      const nlohmann::json& v = it.value();
      if (v.is_object() || v.is_array()) {
        throw Error(where + ": label \"" + detail::printable(it.key(), false, 100) +
                    "\" must be a string, number or boolean");
      }
      p.labels[it.key()] = v.is_string() ? v.get<std::string>() : v.dump();
      if (first) set.columns.push_back(it.key());
    }
    first = false;
    set.prompts.push_back(std::move(p));
    return limit == 0 || set.prompts.size() < limit;
  });
  if (set.prompts.empty()) throw Error(path + ": the prompt set has no prompts");
  // A column counts only when every prompt has it: a sweep or a hypothesis needs a value per prompt.
  set.columns.erase(std::remove_if(set.columns.begin(), set.columns.end(),
                                   [&set](const std::string& c) {
                                     return std::any_of(set.prompts.begin(), set.prompts.end(),
                                                        [&c](const LabelledPrompt& p) { return !p.labels.count(c); });
                                   }),
                    set.columns.end());
  return set;
}

std::vector<std::string> label_values(const PromptSet& set, const std::string& column) {
  std::vector<std::string> out;
  out.reserve(set.prompts.size());
  for (size_t i = 0; i < set.prompts.size(); ++i) {
    auto it = set.prompts[i].labels.find(column);
    if (it == set.prompts[i].labels.end()) {
      throw Error(set.path + ": " + missing_column_message(set.columns, column));
    }
    out.push_back(it->second);
  }
  return out;
}

std::string missing_column_message(const std::vector<std::string>& columns, const std::string& column) {
  std::string cols;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (cols.size() > 300) {
      cols += ", ... (" + std::to_string(columns.size()) + " in all)";
      break;
    }
    cols += (cols.empty() ? "" : ", ") + detail::printable(columns[c], false, 100);
  }
  return "no label column '" + detail::printable(column, false, 100) + "' (columns: " + (cols.empty() ? "none" : cols) +
         ")";
}

int first_answer_token(const Tokenizer& tok, bool add_bos, const std::string& prompt, const std::string& text) {
  if (text.empty()) throw Error("an answer class has an empty value");
  const std::string spoken = text[0] == ' ' ? text : " " + text;
  const std::vector<int> ids = split_prompt_answer(tok, add_bos, prompt, spoken).second;
  if (ids.empty()) throw Error("the value '" + text + "' has no tokens");
  return ids.front();
}

}  // namespace ce::core
