// Meta's tiktoken rank files (Llama 3's tokenizer.model): recognising, parsing, and converting one to an
// equivalent HF tokenizer.json.
#include <algorithm>
#include <climits>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "ce/core/base/files.h"
#include "tokenizer/tokenizer_limits.h"
#include "ce/core/base/error.h"
#include "tokenizer/bpe_tokenizer_impl.h"
#include "tokenizer/byte_level.h"

namespace ce::core {

namespace {

using json = nlohmann::json;
using bpe::base64_value;
using bpe::bytes_to_unicode_string;
using bpe::kLlama3PreTokenizerRegex;

// Splits "base64 SP rank" into its parts; false when the line has another shape.
bool parse_tiktoken_line(std::string_view line, std::string_view& base64, long long& rank) {
  const size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 >= line.size()) return false;
  base64 = line.substr(0, space);
  const std::string_view digits = line.substr(space + 1);
  if (digits.size() > 12) return false;
  rank = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    rank = rank * 10 + (c - '0');
  }
  for (char c : base64) {
    if (base64_value(c) < 0 && c != '=') return false;
  }
  return true;
}

// Calls fn(line, line_number) for every line (without "\n" or a trailing "\r"), skipping empty ones.
template <typename Fn>
void for_each_line(const std::string& content, Fn&& fn) {
  size_t begin = 0;
  size_t number = 0;
  while (begin < content.size()) {
    size_t end = content.find('\n', begin);
    if (end == std::string::npos) end = content.size();
    ++number;
    std::string_view line(content.data() + begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) fn(line, number);
    begin = end + 1;
  }
}

}  // namespace

std::unique_ptr<BpeTokenizer::Impl> bpe::parse_tiktoken(const std::string& content, const std::string& name) {
  auto impl = std::make_unique<BpeTokenizer::Impl>();
  impl->name = name;
  impl->merge_by_token_rank = true;
  impl->ignore_merges = true;

  // Ranks are token ids, normally dense 0..n-1; allow gaps but not absurd ids that would only waste memory.
  std::vector<std::pair<std::string, int>> entries;
  entries.reserve(content.size() / 12);
  long long max_rank = -1;
  std::string bytes;
  for_each_line(content, [&](std::string_view line, size_t number) {
    std::string_view encoded;
    long long rank = 0;
    if (!parse_tiktoken_line(line, encoded, rank) || !base64_decode(encoded, bytes) || bytes.empty()) {
      throw Error(name + ": line " + std::to_string(number) + " is not \"<base64 token bytes> <rank>\"");
    }
    if (rank > INT_MAX / 2) throw Error(name + ": line " + std::to_string(number) + ": rank too large");
    max_rank = std::max(max_rank, rank);
    entries.emplace_back(bytes, static_cast<int>(rank));
  });
  if (entries.empty()) throw Error(name + ": no tiktoken ranks in the file");
  if (max_rank >= static_cast<long long>(entries.size()) * 2 + 1024) {
    throw Error(name + ": rank " + std::to_string(max_rank) + " is far beyond the number of ranks (" +
                std::to_string(entries.size()) + ")");
  }
  const std::vector<std::string> specials = llama3_special_tokens();
  const size_t base = static_cast<size_t>(max_rank) + 1;
  impl->tokens.resize(base + specials.size());
  impl->present.assign(impl->tokens.size(), 0);
  std::vector<int> regular_ids;
  regular_ids.reserve(entries.size());
  for (auto& [token, rank] : entries) {
    if (impl->present[static_cast<size_t>(rank)]) {
      throw Error(name + ": rank " + std::to_string(rank) + " repeats");
    }
    impl->tokens[static_cast<size_t>(rank)] = std::move(token);
    impl->present[static_cast<size_t>(rank)] = 1;
    regular_ids.push_back(rank);
  }
  for (size_t i = 0; i < specials.size(); ++i) {
    const int id = static_cast<int>(base + i);
    impl->tokens[base + i] = specials[i];
    impl->present[base + i] = 1;
    impl->added.push_back({specials[i], id, true});
  }
  impl->finish(regular_ids);
  if (impl->encoder.size() != regular_ids.size()) throw Error(name + ": the same token bytes appear twice");
  impl->regexes.push_back(std::make_unique<Regex>(kLlama3PreTokenizerRegex, name));
  impl->bos = static_cast<int>(base);
  impl->eos = static_cast<int>(base + 1);
  return impl;
}

std::vector<std::string> llama3_special_tokens() {
  std::vector<std::string> tokens = {"<|begin_of_text|>",
                                     "<|end_of_text|>",
                                     "<|reserved_special_token_0|>",
                                     "<|reserved_special_token_1|>",
                                     "<|reserved_special_token_2|>",
                                     "<|reserved_special_token_3|>",
                                     "<|start_header_id|>",
                                     "<|end_header_id|>",
                                     "<|reserved_special_token_4|>",
                                     "<|eot_id|>"};
  for (int i = 5; i <= 250; ++i) tokens.push_back("<|reserved_special_token_" + std::to_string(i) + "|>");
  return tokens;
}

bool looks_like_tiktoken(const std::string& content) {
  // The first line decides: a rank file with one damaged line further down is still meant as one, and
  // from_tiktoken then names that line.
  bool first = true;
  bool ok = false;
  std::string_view encoded;
  long long rank = 0;
  for_each_line(content, [&](std::string_view line, size_t) {
    if (!first) return;
    first = false;
    std::string bytes;
    ok = parse_tiktoken_line(line, encoded, rank) && bpe::base64_decode(encoded, bytes) && !bytes.empty();
  });
  return ok;
}

std::string tiktoken_to_tokenizer_json(const std::string& path, bool merges_as_pairs) {
  const auto impl = bpe::parse_tiktoken(read_file(path, kMaxTokenizerBytes, "a tokenizer file"), path);
  const size_t base = impl->tokens.size() - impl->added.size();  // rank slots come before the specials

  json vocab = json::object();
  json merges = json::array();
  bpe::MergeScratch ws;
  for (size_t id = 0; id < base; ++id) {
    if (!impl->present[id]) continue;
    const std::string& bytes = impl->tokens[id];
    vocab[bytes_to_unicode_string(bytes)] = id;
    if (bytes.size() < 2) continue;
    impl->merge_parts(bytes, static_cast<int>(id), ws);
    const bpe::Symbol& first = ws.symbols[0];
    if (first.next < 0 || ws.symbols[static_cast<size_t>(first.next)].next >= 0) continue;  // not two parts
    const std::string left =
        bytes_to_unicode_string(std::string_view(bytes).substr(0, static_cast<size_t>(first.end)));
    const std::string right =
        bytes_to_unicode_string(std::string_view(bytes).substr(static_cast<size_t>(first.end)));
    if (merges_as_pairs) {
      merges.push_back(json::array({left, right}));
    } else {
      merges.push_back(left + " " + right);
    }
  }

  json added_tokens = json::array();
  for (const auto& added : impl->added) {
    added_tokens.push_back({{"id", added.id},
                            {"content", added.content},
                            {"single_word", false},
                            {"lstrip", false},
                            {"rstrip", false},
                            {"normalized", false},
                            {"special", true}});
  }
  json root = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added_tokens},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers", json::array({{{"type", "Split"},
                                        {"pattern", {{"Regex", kLlama3PreTokenizerRegex}}},
                                        {"behavior", "Isolated"},
                                        {"invert", false}},
                                       {{"type", "ByteLevel"},
                                        {"add_prefix_space", false},
                                        {"trim_offsets", true},
                                        {"use_regex", false}}})}}},
      {"post_processor", nullptr},
      {"decoder",
       {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", true},
        {"vocab", vocab},
        {"merges", merges}}}};
  return root.dump();
}

}  // namespace ce::core
