#include "ce/core/tokenizer/tokenizer.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "tokenizer/bpe_tokenizer.h"
#include "ce/core/base/error.h"
#include "base/json_input.h"
#include "ce/core/base/files.h"
#include "tokenizer/tokenizer_limits.h"
#include "tokenizer/sentencepiece_tokenizer.h"

namespace ce::core {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

enum class Format { kSentencePiece, kTiktoken, kTokenizerJson, kUnknown };

Format detect(const std::string& content) {
  const size_t first = content.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && content[first] == '{') return Format::kTokenizerJson;
  if (looks_like_tiktoken(content)) return Format::kTiktoken;
  // A serialized ModelProto starts with its repeated field 1 (pieces): tag byte 0x0A. Protobuf writes
  // fields in number order and a model without pieces is useless, so this is a reliable first check;
  // SentencePiece itself validates the rest.
  if (!content.empty() && content[0] == '\x0A') return Format::kSentencePiece;
  return Format::kUnknown;
}

std::unique_ptr<Tokenizer> load(const std::string& content, Format format, const std::string& path) {
  switch (format) {
    case Format::kSentencePiece:
      return SentencePieceTokenizer::from_bytes(content, path);
    case Format::kTiktoken:
      return BpeTokenizer::from_tiktoken(content, path);
    case Format::kTokenizerJson:
      return BpeTokenizer::from_tokenizer_json(content, path);
    case Format::kUnknown:
      break;
  }
  throw Error(path +
              ": not a tokenizer file (expected a SentencePiece model, tiktoken ranks or an HF "
              "tokenizer.json)");
}

// bos_token/eos_token of tokenizer_config.json: a string or an AddedToken object {"content": ...}; absent or
// null means "not named". Anything else is an error: ignoring it would silently change the prompt's ids.
std::string token_string(const json& config, const char* key, const std::string& config_path) {
  const json* value = json_optional(config, key, config_path);
  if (!value) return {};
  const std::string where = config_path + ": " + key;
  if (value->is_object()) return json_string(json_member(*value, "content", where), where + ".content");
  return json_string(*value, where);
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_file(const std::string& path) {
  const std::string content = read_file(path, kMaxTokenizerBytes, "a tokenizer file");
  if (content.empty()) throw Error(path + ": empty file");
  return load(content, detect(content), path);
}

std::unique_ptr<Tokenizer> Tokenizer::from_model_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir + ": not a folder");
  const fs::path root(dir);

  json config = json::object();
  const std::string config_path = (root / "tokenizer_config.json").string();
  if (fs::exists(config_path, ec)) {
    config = parse_json(read_file(config_path, kMaxTokenizerConfigBytes, "a tokenizer_config.json"), config_path);
    if (!config.is_object()) throw Error(config_path + ": not a JSON object");
  }

  std::unique_ptr<Tokenizer> tokenizer;
  std::string reasons;  // why candidates were passed over, for the final error
  const std::string model_path = (root / "tokenizer.model").string();
  const std::string json_path = (root / "tokenizer.json").string();

  if (fs::exists(model_path, ec)) {
    const std::string content = read_file(model_path, kMaxTokenizerBytes, "a tokenizer file");
    if (detect(content) == Format::kSentencePiece) {
      tokenizer = load(content, Format::kSentencePiece, model_path);
    }
  }
  if (!tokenizer && fs::exists(json_path, ec)) {
    try {
      tokenizer = BpeTokenizer::from_tokenizer_json(read_file(json_path, kMaxTokenizerBytes, "a tokenizer file"), json_path);
    } catch (const Error& e) {
      // Not byte-level BPE (or unreadable): a tiktoken file may still serve.
      reasons += std::string(reasons.empty() ? "" : "; ") + e.what();
    }
  }
  if (!tokenizer) {
    for (const fs::path& candidate : {root / "original" / "tokenizer.model", root / "tokenizer.model"}) {
      if (!fs::exists(candidate, ec)) continue;
      const std::string path = candidate.string();
      const std::string content = read_file(path, kMaxTokenizerBytes, "a tokenizer file");
      if (looks_like_tiktoken(content)) {
        tokenizer = BpeTokenizer::from_tiktoken(content, path);
        break;
      }
      reasons += (reasons.empty() ? "" : "; ") + path + ": neither a SentencePiece model nor tiktoken ranks";
    }
  }
  if (!tokenizer) {
    // One line: the CLI and the explorer's status show an error's first line, and the reasons are the point.
    if (reasons.empty()) reasons = "no tokenizer.model, tokenizer.json or original/tokenizer.model";
    throw Error(dir + ": no usable tokenizer: " + reasons);
  }

  tokenizer->set_default_add_bos(
      json_bool_or(config, "add_bos_token", tokenizer->default_add_bos(), config_path));
  // SentencePiece models carry their own BOS/EOS; byte-level BPE files do not, so the config decides
  // (e.g. Llama 3 Instruct names <|eot_id|> as its EOS).
  if (auto* bpe = dynamic_cast<BpeTokenizer*>(tokenizer.get())) {
    bpe->set_bos_eos(token_string(config, "bos_token", config_path), token_string(config, "eos_token", config_path),
                     config_path);
  }
  return tokenizer;
}

}  // namespace ce::core
