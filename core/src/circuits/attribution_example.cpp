#include "ce/core/circuits/attribution_example.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "ce/core/tokenizer/chat_format.h"
#include "ce/core/base/error.h"
#include "base/json_input.h"

namespace ce::core {

std::pair<std::vector<int>, std::vector<int>> split_prompt_answer(const Tokenizer& tok, bool add_bos,
                                                                  const std::string& prompt,
                                                                  const std::string& answer) {
  std::vector<int> p = tok.encode(prompt, add_bos);
  std::vector<int> full = tok.encode(prompt + answer, add_bos);
  if (full.size() > p.size() && std::equal(p.begin(), p.end(), full.begin())) {
    return {p, std::vector<int>(full.begin() + static_cast<std::ptrdiff_t>(p.size()), full.end())};
  }
  return {p, tok.encode(answer, false)};
}

namespace {

std::string field(const nlohmann::json& j, const char* name, const std::string& where) {
  auto it = j.find(name);
  if (it == j.end()) throw Error(where + ": missing field \"" + name + "\"");
  if (!it->is_string()) throw Error(where + ": field \"" + name + "\" must be a string");
  return it->get<std::string>();
}

std::string answer_list(const Tokenizer& tok, const std::vector<int>& ids) {
  std::string s;
  for (int id : ids) s += (s.empty() ? "" : " ") + std::string("'") + tok.piece(id) + "'";
  return s;
}

}  // namespace

PairedDataset load_paired_dataset(const std::string& path, const Tokenizer& tok, size_t limit) {
  PairedDataset d;
  const bool bos = tok.default_add_bos();
  for_each_json_line(path, "the data file", [&](const nlohmann::json& j, const std::string& where) {
    const std::string clean = field(j, "clean_prefix", where), patch = field(j, "patch_prefix", where);
    const std::string ca = field(j, "clean_answer", where), pa = field(j, "patch_answer", where);
    ++d.lines;
    if (limit > 0 && d.examples.size() >= limit) return true;  // keep validating every line
    auto [c_ids, c_ans] = split_prompt_answer(tok, bos, clean, ca);
    auto [p_ids, p_ans] = split_prompt_answer(tok, bos, patch, pa);
    // The contrast answer is scored after the clean prompt, so tokenize it there.
    const std::vector<int> contrast = split_prompt_answer(tok, bos, clean, pa).second;
    if (c_ans.size() != 1 || contrast.size() != 1) {
      ++d.multi_token;
      return true;
    }
    if (c_ids.size() != p_ids.size()) {
      ++d.unequal_length;
      return true;
    }
    if (c_ans[0] == contrast[0]) {
      ++d.same_answer;
      return true;
    }
    AttributionExample e;
    e.clean = std::move(c_ids);
    e.patch = std::move(p_ids);
    e.answer = c_ans[0];
    e.contrast = contrast[0];
    e.label = j.contains("case") && j["case"].is_string() ? j["case"].get<std::string>() : clean;
    d.examples.push_back(std::move(e));
    return true;
  });
  if (d.lines == 0) throw Error(path + ": the data file has no examples");
  if (d.examples.empty()) {
    throw Error(path + ": no usable example among " + std::to_string(d.lines) + " (" +
                std::to_string(d.multi_token) + " with a multi-token answer, " +
                std::to_string(d.unequal_length) +
                " with clean and patch prefixes of unequal token length, " + std::to_string(d.same_answer) +
                " with equal answers)");
  }
  return d;
}

std::vector<int> prompt_ids(const Tokenizer& tok, const std::string& text, PromptFormat format) {
  if (format == PromptFormat::Chat) return format_chat_prompt(tok, text);
  return tok.encode(text, tok.default_add_bos());
}

std::vector<int> answer_ids(const Tokenizer& tok, const std::string& text, const std::string& answer,
                            PromptFormat format) {
  if (format != PromptFormat::Chat) return split_prompt_answer(tok, tok.default_add_bos(), text, answer).second;
  // In a chat the answer starts the assistant's reply (format_chat_prompt's prefix, after which Llama 2 puts
  // its own space).
  const std::vector<int> clean = prompt_ids(tok, text, format);
  const std::string prefix = tok.kind() == "sentencepiece"
                                 ? answer.substr(std::min(answer.find_first_not_of(' '), answer.size()))
                                 : answer;
  const std::vector<int> joint = format_chat_prompt(tok, text, "", prefix);
  if (joint.size() > clean.size() && std::equal(clean.begin(), clean.end(), joint.begin()))
    return std::vector<int>(joint.begin() + static_cast<std::ptrdiff_t>(clean.size()), joint.end());
  return tok.encode(answer, false);
}

AttributionExample make_example(const Tokenizer& tok, const std::string& text, const std::string& answer,
                                const std::string& contrast, const std::string& patch_text,
                                PromptFormat format) {
  AttributionExample e;
  e.label = text;
  e.clean = prompt_ids(tok, text, format);
  if (e.clean.empty()) throw Error("the prompt is empty");
  auto one = [&](const std::string& what, const std::string& a) {
    const std::vector<int> ids = answer_ids(tok, text, a, format);
    if (ids.size() != 1) {
      throw Error(what + " '" + a + "' is " + std::to_string(ids.size()) + " tokens (" +
                  answer_list(tok, ids) + "); it must be exactly one");
    }
    return ids[0];
  };
  if (!answer.empty()) e.answer = one("the answer", answer);
  if (!contrast.empty()) e.contrast = one("the contrast answer", contrast);
  if (!patch_text.empty()) {
    e.patch = prompt_ids(tok, patch_text, format);
    if (e.patch.size() != e.clean.size()) {
      throw Error("the patch prompt is " + std::to_string(e.patch.size()) + " tokens and the prompt " +
                  std::to_string(e.clean.size()) + "; they must be equally long");
    }
  }
  return e;
}

std::string paired_test_file(const std::string& train_path) {
  for (const char* ext : {".json", ".jsonl"}) {
    const std::string suffix = std::string("_train") + ext;
    if (train_path.size() > suffix.size() &&
        train_path.compare(train_path.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return train_path.substr(0, train_path.size() - suffix.size()) + "_test" + ext;
    }
  }
  return {};
}

TrainTest load_train_test(const std::string& path, const Tokenizer& tok, size_t limit) {
  TrainTest out;
  const std::string test = paired_test_file(path);
  if (!test.empty()) {
    out.train = load_paired_dataset(path, tok, limit).examples;
    out.test = load_paired_dataset(test, tok, limit).examples;
    return out;
  }
  std::vector<AttributionExample> all = load_paired_dataset(path, tok, 2 * limit).examples;
  if (all.size() < 2) throw Error(path + ": fewer than two usable examples");
  const auto half = static_cast<std::ptrdiff_t>(all.size() / 2);
  out.train.assign(all.begin(), all.begin() + half);
  out.test.assign(all.begin() + half, all.end());
  return out;
}

}  // namespace ce::core
