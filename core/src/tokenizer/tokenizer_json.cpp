// Hugging Face tokenizer.json files of byte-level BPE models (Llama 3 and GPT-2 style): the vocabulary, the
// merge list, added tokens and the Split/ByteLevel pre-tokenizer steps.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "ce/core/base/error.h"
#include "base/json_input.h"
#include "io/loader_util.h"
#include "tokenizer/bpe_tokenizer_impl.h"
#include "tokenizer/byte_level.h"

namespace ce::core {

namespace {

using json = nlohmann::json;
using bpe::kGpt2PreTokenizerRegex;
using bpe::kLlama3PreTokenizerRegex;
using bpe::Regex;

// Adds the regex steps of one HF pre_tokenizer node (recursing into Sequence). Returns whether a
// ByteLevel step was seen.
// `where` names the node ("tokenizer.json: pre_tokenizer.pretokenizers[1]").
bool collect_pre_tokenizer(const json& node, BpeTokenizer::Impl& impl, const std::string& name,
                           const std::string& where) {
  if (node.is_null()) return false;
  const std::string type = json_string_or(node, "type", "", where);
  if (type == "Sequence") {
    const json& children = json_member(node, "pretokenizers", where);
    if (!children.is_array()) throw Error(where + ".pretokenizers: expected an array");
    bool byte_level = false;
    for (size_t i = 0; i < children.size(); ++i) {
      byte_level |= collect_pre_tokenizer(children[i], impl, name,
                                          where + ".pretokenizers[" + std::to_string(i) + "]");
    }
    return byte_level;
  }
  if (type == "Split") {
    const json& pattern = json_member(node, "pattern", where);
    std::string regex;
    if (json_optional(pattern, "Regex", where + ".pattern")) {
      regex = json_string(pattern.at("Regex"), where + ".pattern.Regex");
    } else {
      // A literal string: quote it for PCRE2 (\Q..\E cannot hold "\E" itself, so escape that part).
      const std::string literal = json_string(json_member(pattern, "String", where + ".pattern"),
                                              where + ".pattern.String");
      regex = "\\Q";
      size_t start = 0;
      size_t found = 0;
      while ((found = literal.find("\\E", start)) != std::string::npos) {
        regex += literal.substr(start, found - start) + "\\E\\\\E\\Q";
        start = found + 2;
      }
      regex += literal.substr(start) + "\\E";
    }
    const std::string behavior = json_string_or(node, "behavior", "Isolated", where);
    if (behavior != "Isolated" || json_bool_or(node, "invert", false, where)) {
      throw Error(where + ": Split with behavior \"" + detail::printable(behavior) +
                  "\"/invert is not supported (only Isolated)");
    }
    impl.regexes.push_back(std::make_unique<Regex>(regex, name));
    return false;
  }
  if (type == "ByteLevel") {
    if (json_bool_or(node, "add_prefix_space", false, where)) {
      throw Error(where + ": ByteLevel with add_prefix_space = true is not supported");
    }
    if (json_bool_or(node, "use_regex", true, where)) {
      impl.regexes.push_back(std::make_unique<Regex>(kGpt2PreTokenizerRegex, name));
    }
    return true;
  }
  throw Error(where + ": type \"" + detail::printable(type) +
              "\" is not supported (byte-level BPE needs Split/ByteLevel)");
}

}  // namespace

std::unique_ptr<BpeTokenizer::Impl> bpe::parse_tokenizer_json(const std::string& content,
                                                              const std::string& name) {
  const json root = parse_json(content, name);
  auto impl = std::make_unique<BpeTokenizer::Impl>();
  impl->name = name;
  impl->merge_by_token_rank = false;
  try {
    if (!root.is_object() || !root.contains("model")) throw Error(name + ": no \"model\" in tokenizer.json");
    const json& model = root.at("model");
    const std::string type = json_string_or(model, "type", "BPE", name + ": model");
    if (type != "BPE") {
      throw Error(name + ": model type \"" + detail::printable(type) + "\" is not supported (only byte-level BPE)");
    }
    if (json_bool_or(model, "byte_fallback", false, name + ": model")) {
      throw Error(name + ": SentencePiece-style BPE (byte_fallback) is not supported; use tokenizer.model");
    }
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
      if (!json_string_or(model, key, "", name + ": model").empty()) {
        throw Error(name + ": BPE " + key + " is not supported");
      }
    }
    impl->ignore_merges = json_bool_or(model, "ignore_merges", false, name + ": model");

    bool byte_level = false;
    if (root.contains("pre_tokenizer")) {
      byte_level = collect_pre_tokenizer(root.at("pre_tokenizer"), *impl, name, name + ": pre_tokenizer");
    }
    if (root.contains("decoder") && root.at("decoder").is_object()) {
      byte_level |= json_string_or(root.at("decoder"), "type", "", name + ": decoder") == "ByteLevel";
    }
    if (!byte_level) {
      throw Error(name +
                  ": not a byte-level BPE tokenizer (no ByteLevel pre-tokenizer or decoder); "
                  "SentencePiece-style tokenizer.json files are not supported");
    }
    if (impl->regexes.empty()) {
      impl->regexes.push_back(std::make_unique<Regex>(kLlama3PreTokenizerRegex, name));
    }

    const json* vocab_node = json_optional(model, "vocab", name + ": model");
    if (!vocab_node || !vocab_node->is_object() || vocab_node->empty()) {
      throw Error(name + ": model.vocab is missing or empty");
    }
    const json& vocab = *vocab_node;
    std::unordered_map<std::string, int> vocab_ids;  // vocabulary spelling -> id
    vocab_ids.reserve(vocab.size() * 2);
    long long max_id = -1;
    for (const auto& item : vocab.items()) {
      const std::string& text = item.key();  // named, not a structured binding: the lambda below captures it
      const json& id_value = item.value();
      // The field's name is built only for a message: Llama 3 has 128,000 entries.
      auto where = [&] { return name + ": model.vocab[\"" + detail::printable(text, false, 40) + "\"]"; };
      const long long id = id_value.is_number_integer() && !id_value.is_number_unsigned()
                               ? id_value.get<long long>()
                               : json_integer(id_value, where());
      if (id < 0 || id > INT_MAX / 2) {
        throw Error(where() + ": id " + std::to_string(id) + " is out of range");
      }
      vocab_ids.emplace(text, static_cast<int>(id));
      max_id = std::max(max_id, id);
    }
    struct AddedEntry {
      std::string content;
      int id;
      bool special;
    };
    std::vector<AddedEntry> added_entries;
    if (root.contains("added_tokens") && root.at("added_tokens").is_array()) {
      const json& tokens = root.at("added_tokens");
      for (size_t i = 0; i < tokens.size(); ++i) {
        const json& token = tokens[i];
        const std::string where = name + ": added_tokens[" + std::to_string(i) + "]";
        const long long id = json_integer(json_member(token, "id", where), where + ".id");
        if (id < 0 || id > INT_MAX / 2) {
          throw Error(where + ": id " + std::to_string(id) + " is out of range");
        }
        added_entries.push_back({json_string(json_member(token, "content", where), where + ".content"),
                                 static_cast<int>(id), json_bool_or(token, "special", false, where)});
        max_id = std::max(max_id, id);
      }
    }
    const size_t total = static_cast<size_t>(max_id) + 1;
    if (total > (vocab.size() + added_entries.size()) * 2 + 1024) {
      throw Error(name + ": token id " + std::to_string(max_id) + " is far beyond the vocabulary size");
    }
    impl->tokens.resize(total);
    impl->present.assign(total, 0);
    for (const auto& [text, id] : vocab_ids) {
      if (impl->present[static_cast<size_t>(id)]) {
        throw Error(name + ": vocab id " + std::to_string(id) + " repeats");
      }
      impl->tokens[static_cast<size_t>(id)] = unicode_string_to_bytes(text);
      impl->present[static_cast<size_t>(id)] = 1;
    }
    std::vector<uint8_t> is_added(total, 0);
    for (const AddedEntry& entry : added_entries) {
      const auto id = static_cast<size_t>(entry.id);
      // An added token that also sits in the vocabulary keeps its vocabulary bytes for BPE only if they
      // agree; decode renders added tokens as their content either way.
      if (impl->present[id] && impl->tokens[id] != entry.content) is_added[id] = 1;
      if (!impl->present[id]) is_added[id] = 1;
      impl->tokens[id] = entry.content;
      impl->present[id] = 1;
      impl->added.push_back({entry.content, entry.id, entry.special});
    }
    std::vector<int> regular_ids;
    regular_ids.reserve(vocab_ids.size());
    for (const auto& [text, id] : vocab_ids) {
      if (!is_added[static_cast<size_t>(id)]) regular_ids.push_back(id);
    }
    std::sort(regular_ids.begin(), regular_ids.end());

    const json* merges_node = json_optional(model, "merges", name + ": model");
    if (!merges_node || !merges_node->is_array()) throw Error(name + ": model.merges is missing or not an array");
    const json& merges = *merges_node;
    impl->merges.reserve(merges.size() * 2);
    int rank = 0;
    for (const json& merge : merges) {
      std::string left;
      std::string right;
      if (merge.is_string()) {
        const std::string& text = merge.get_ref<const std::string&>();
        const size_t space = text.find(' ');
        if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
          throw Error(name + ": merge " + std::to_string(rank) + " (\"" + detail::printable(text, false, 80) +
                      "\") is not \"a b\"");
        }
        left = text.substr(0, space);
        right = text.substr(space + 1);
      } else if (merge.is_array() && merge.size() == 2) {
        if (!merge[0].is_string() || !merge[1].is_string()) {
          const std::string where = name + ": model.merges[" + std::to_string(rank) + "]";
          (void)json_string(merge[0], where + "[0]");
          (void)json_string(merge[1], where + "[1]");
        }
        left = merge[0].get_ref<const std::string&>();
        right = merge[1].get_ref<const std::string&>();
      } else {
        throw Error(name + ": merge " + std::to_string(rank) + " is neither \"a b\" nor [a, b]");
      }
      const auto left_id = vocab_ids.find(left);
      const auto right_id = vocab_ids.find(right);
      const auto merged_id = vocab_ids.find(left + right);
      if (left_id == vocab_ids.end() || right_id == vocab_ids.end() || merged_id == vocab_ids.end()) {
        throw Error(name + ": merge " + std::to_string(rank) + " (\"" + detail::printable(left, false, 40) +
                    "\" + \"" + detail::printable(right, false, 40) + "\") uses a token that is not in the vocabulary");
      }
      impl->merges.emplace(pair_key(left_id->second, right_id->second), Merge{rank, merged_id->second});
      ++rank;
    }
    impl->finish(regular_ids);
  } catch (const json::exception& e) {
    // Every read above is typed; this is a safety net that still names the file, not a path for messages.
    throw Error(name + ": unexpected tokenizer.json structure (" + json_error_text(e) + ")");
  }
  if (auto id = impl->lookup("<|begin_of_text|>")) impl->bos = *id;
  if (auto id = impl->lookup("<|end_of_text|>")) impl->eos = *id;
  return impl;
}

}  // namespace ce::core
