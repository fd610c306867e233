#include "tokenizer/sentencepiece_tokenizer.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "ce/core/base/error.h"

namespace ce::core {

namespace {

// SentencePiece's status text without its source location: "Internal: ./src/sentencepiece_processor.cc(232)
// [model_proto->ParseFromArray(...)] " says only that protobuf parsing failed; "... [cond] explanation" keeps
// the explanation.
std::string spm_reason(const std::string& message) {
  if (message.find("ParseFromArray") != std::string::npos) {
    return "the protobuf does not parse (truncated or not a model)";
  }
  const size_t source = message.find("./src/");
  const size_t bracket = source == std::string::npos ? std::string::npos : message.find("] ", source);
  std::string reason = bracket == std::string::npos ? message : message.substr(bracket + 2);
  // absl-style status codes ("Internal: ", "Invalid argument: ") name SentencePiece's category, not the problem.
  for (const char* code : {"Internal: ", "Invalid argument: ", "Out of range: ", "Not found: ", "Unknown: ",
                           "Failed precondition: ", "Data loss: "}) {
    if (reason.rfind(code, 0) == 0) reason.erase(0, std::strlen(code));
  }
  while (!reason.empty() && (reason.back() == ' ' || reason.back() == '\n')) reason.pop_back();
  if (reason.empty()) reason = "SentencePiece refused it";
  return reason.size() > 300 ? reason.substr(0, 300) + "..." : reason;
}

}  // namespace

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_bytes(const std::string& bytes,
                                                                           const std::string& name) {
  const SpmPlugin& plugin = spm_plugin();
  char* error = nullptr;
  ce_spm_model* model = plugin.load_from_bytes(bytes.data(), bytes.size(), &error);
  if (model == nullptr) {
    throw Error(name + ": not a valid SentencePiece model: " + spm_reason(plugin.take_string(error)));
  }
  return std::unique_ptr<SentencePieceTokenizer>(new SentencePieceTokenizer(plugin, model, name));
}

SentencePieceTokenizer::SentencePieceTokenizer(const SpmPlugin& plugin, ce_spm_model* model, std::string name)
    : plugin_(plugin), model_(model), name_(std::move(name)) {
  vocab_size_ = plugin_.piece_size(model_);
  bos_id_ = plugin_.bos_id(model_);
  eos_id_ = plugin_.eos_id(model_);
  is_control_.resize(static_cast<size_t>(vocab_size_), false);
  for (int id = 0; id < vocab_size_; ++id) {
    const bool control = plugin_.is_control(model_, id) != 0;
    is_control_[static_cast<size_t>(id)] = control;
    if (!control && plugin_.is_unknown(model_, id) == 0) continue;
    size_t size = 0;
    const char* text = plugin_.id_to_piece(model_, id, &size);
    if (text == nullptr || size == 0) continue;
    std::string piece_text(text, size);
    specials_.emplace(piece_text, id);
    if (control) control_strings_.push_back(std::move(piece_text));
  }
  for (const std::string& control : control_strings_) {
    control_first_bytes_[static_cast<unsigned char>(control[0])] = true;
  }
  // Longest first, so that a control string that is a prefix of another never wins.
  std::sort(control_strings_.begin(), control_strings_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

SentencePieceTokenizer::~SentencePieceTokenizer() { plugin_.free_model(model_); }

void SentencePieceTokenizer::encode_plain(const std::string& text, std::vector<int>& ids,
                                          std::vector<std::string>* pieces) const {
  if (text.empty()) return;
  ce_spm_encoding encoding{};
  const std::string error = plugin_.take_string(
      plugin_.encode(model_, text.data(), text.size(), pieces != nullptr ? 1 : 0, &encoding));
  // SentencePiece accepts any bytes; an error here means memory exhaustion or a broken plugin.
  if (!error.empty()) throw Error(name_ + ": encode failed: " + error);
  ids.insert(ids.end(), encoding.ids, encoding.ids + encoding.count);
  if (pieces != nullptr) {
    size_t begin = 0;
    for (size_t i = 0; i < encoding.count; ++i) {
      pieces->emplace_back(encoding.pieces + begin, encoding.piece_ends[i] - begin);
      begin = encoding.piece_ends[i];
    }
  }
  plugin_.free_encoding(&encoding);
}

std::vector<int> SentencePieceTokenizer::encode_with_pieces(const std::string& text, bool add_bos,
                                                            bool parse_special,
                                                            std::vector<std::string>* pieces) const {
  std::vector<int> ids;
  if (add_bos && bos_id_ >= 0) {
    ids.push_back(bos_id_);
    if (pieces != nullptr) pieces->push_back(piece(bos_id_));
  }
  if (!parse_special || control_strings_.empty()) {
    encode_plain(text, ids, pieces);
    return ids;
  }
  size_t segment_start = 0;
  size_t position = 0;
  while (position < text.size()) {
    const std::string* match = nullptr;
    if (control_first_bytes_[static_cast<unsigned char>(text[position])]) {
      for (const std::string& control : control_strings_) {
        if (text.compare(position, control.size(), control) == 0) {
          match = &control;
          break;
        }
      }
    }
    if (match == nullptr) {
      ++position;
      continue;
    }
    encode_plain(text.substr(segment_start, position - segment_start), ids, pieces);
    ids.push_back(specials_.at(*match));
    if (pieces != nullptr) pieces->push_back(*match);
    position += match->size();
    segment_start = position;
  }
  encode_plain(text.substr(segment_start), ids, pieces);
  return ids;
}

std::vector<int> SentencePieceTokenizer::encode(const std::string& text, bool add_bos,
                                                bool parse_special) const {
  return encode_with_pieces(text, add_bos, parse_special, nullptr);
}

void SentencePieceTokenizer::check_id(int id) const {
  if (id < 0 || id >= vocab_size_) {
    throw Error(name_ + ": token id " + std::to_string(id) + " is out of range [0, " +
                std::to_string(vocab_size_) + ")");
  }
}

std::string SentencePieceTokenizer::decode(const std::vector<int>& ids) const {
  for (int id : ids) check_id(id);
  std::string text;
  std::vector<int32_t> run;
  auto flush = [&]() {
    if (run.empty()) return;
    char* decoded = nullptr;
    size_t size = 0;
    const std::string error =
        plugin_.take_string(plugin_.decode(model_, run.data(), run.size(), &decoded, &size));
    if (!error.empty()) throw Error(name_ + ": decode failed: " + error);
    text.append(decoded, size);
    plugin_.free_string(decoded);
    run.clear();
  };
  for (int id : ids) {
    if (is_control_[static_cast<size_t>(id)]) {
      flush();
      text += piece(id);
    } else {
      run.push_back(id);
    }
  }
  flush();
  return text;
}

std::string SentencePieceTokenizer::piece(int id) const {
  check_id(id);
  size_t size = 0;
  const char* text = plugin_.id_to_piece(model_, id, &size);
  return text == nullptr ? std::string() : std::string(text, size);
}

std::optional<int> SentencePieceTokenizer::special_id(const std::string& text) const {
  const auto found = specials_.find(text);
  if (found == specials_.end()) return std::nullopt;
  return found->second;
}

}  // namespace ce::core
