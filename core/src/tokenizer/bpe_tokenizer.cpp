// BpeTokenizer: encoding (added tokens, pre-tokenizer regexes, then BPE per pre-token) and decoding. The
// files it is read from are parsed in tiktoken.cpp and tokenizer_json.cpp, the merge loop is bpe_merges.cpp.
#include "tokenizer/bpe_tokenizer.h"

#include "io/loader_util.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>

#include "ce/core/base/error.h"
#include "tokenizer/bpe_tokenizer_impl.h"
#include "tokenizer/utf8.h"

namespace ce::core {

void BpeTokenizer::Impl::finish(const std::vector<int>& regular_ids) {
  index_regular_tokens(regular_ids);
  for (auto& bucket : added_by_first_byte) bucket.clear();
  for (size_t i = 0; i < added.size(); ++i) {
    if (added[i].content.empty()) continue;
    added_ids.emplace(added[i].content, added[i].id);
    added_by_first_byte[static_cast<unsigned char>(added[i].content[0])].push_back(static_cast<int>(i));
  }
  for (auto& bucket : added_by_first_byte) {
    std::stable_sort(bucket.begin(), bucket.end(),
                     [&](int a, int b) { return added[a].content.size() > added[b].content.size(); });
  }
}

void BpeTokenizer::Impl::check_id(int id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens.size()) {
    throw Error(name + ": token id " + std::to_string(id) + " is out of range [0, " +
                std::to_string(tokens.size()) + ")");
  }
  if (!present[static_cast<size_t>(id)]) {
    throw Error(name + ": token id " + std::to_string(id) + " has no token");
  }
}

// Splits valid UTF-8 `piece` with regexes[level..] (HF "Isolated": matches and the gaps between them
// both become pieces), then BPE's each final piece.
void BpeTokenizer::Impl::split(std::string_view piece, size_t level, std::vector<int>& out,
                               bpe::Workspace& ws) const {
  if (piece.empty()) return;
  if (level == regexes.size()) {
    bpe(piece, out, ws);
    return;
  }
  const bpe::Regex& regex = *regexes[level];
  pcre2_match_data* data = ws.match_data[level].data;
  size_t last = 0;
  size_t offset = 0;
  while (offset < piece.size()) {
    const auto match = regex.match(piece, offset, data);
    if (!match) break;
    size_t begin = match->first;
    size_t end = match->second;
    if (begin == SIZE_MAX) {
      // A PCRE2 resource limit: take one character as its own piece and go on rather than fail.
      begin = offset;
      end = offset + std::max<size_t>(1, utf8_char_length(piece, offset));
    }
    if (begin > last) split(piece.substr(last, begin - last), level + 1, out, ws);
    if (end == begin) {
      // Empty matches add nothing; step over one character so the scan advances.
      offset = begin + std::max<size_t>(1, utf8_char_length(piece, begin));
      last = begin;
      continue;
    }
    split(piece.substr(begin, end - begin), level + 1, out, ws);
    last = offset = end;
  }
  if (last < piece.size()) split(piece.substr(last), level + 1, out, ws);
}

// Plain text (no added tokens): valid UTF-8 runs go through the regexes; each maximal run of invalid
// bytes is one pre-token of its own (PCRE2 in UTF mode cannot match across them).
void BpeTokenizer::Impl::encode_text(std::string_view text, std::vector<int>& out, bpe::Workspace& ws) const {
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    if (utf8_char_length(text, i) > 0) {
      size_t length = 0;
      while (j < text.size() && (length = utf8_char_length(text, j)) > 0) j += length;
      split(text.substr(i, j - i), 0, out, ws);
    } else {
      while (j < text.size() && utf8_char_length(text, j) == 0) ++j;
      bpe(text.substr(i, j - i), out, ws);
    }
    i = j;
  }
}

std::vector<int> BpeTokenizer::Impl::encode(const std::string& text, bool add_bos, bool parse_special) const {
  std::vector<int> out;
  out.reserve(text.size() / 3 + 2);
  if (add_bos && bos >= 0) out.push_back(bos);
  bpe::Workspace ws;
  ws.match_data = std::vector<bpe::MatchData>(regexes.size());
  size_t segment = 0;
  size_t position = 0;
  const std::string_view view(text);
  while (position < text.size()) {
    const Added* match = nullptr;
    for (int index : added_by_first_byte[static_cast<unsigned char>(text[position])]) {
      const Added& candidate = added[static_cast<size_t>(index)];
      if (candidate.special && !parse_special) continue;
      if (text.compare(position, candidate.content.size(), candidate.content) == 0) {
        match = &candidate;
        break;
      }
    }
    if (match == nullptr) {
      ++position;
      continue;
    }
    encode_text(view.substr(segment, position - segment), out, ws);
    out.push_back(match->id);
    position += match->content.size();
    segment = position;
  }
  encode_text(view.substr(segment), out, ws);
  return out;
}

std::optional<int> BpeTokenizer::Impl::lookup(const std::string& text) const {
  if (const auto found = added_ids.find(text); found != added_ids.end()) return found->second;
  if (const auto found = encoder.find(text); found != encoder.end()) return found->second;
  return std::nullopt;
}

BpeTokenizer::BpeTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BpeTokenizer::~BpeTokenizer() = default;

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_tiktoken(const std::string& content,
                                                          const std::string& name) {
  return std::unique_ptr<BpeTokenizer>(new BpeTokenizer(bpe::parse_tiktoken(content, name)));
}

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_tokenizer_json(const std::string& content,
                                                                const std::string& name) {
  return std::unique_ptr<BpeTokenizer>(new BpeTokenizer(bpe::parse_tokenizer_json(content, name)));
}

void BpeTokenizer::set_bos_eos(const std::string& bos, const std::string& eos, const std::string& source) {
  auto resolve = [&](const std::string& text, const char* what) {
    const auto id = impl_->lookup(text);
    if (!id) {
      throw Error(source + ": " + what + " \"" + detail::printable(text, false, 80) + "\" is not in the vocabulary of " +
                  impl_->name);
    }
    return *id;
  };
  if (!bos.empty()) impl_->bos = resolve(bos, "bos_token");
  if (!eos.empty()) impl_->eos = resolve(eos, "eos_token");
}

std::vector<int> BpeTokenizer::encode(const std::string& text, bool add_bos, bool parse_special) const {
  return impl_->encode(text, add_bos, parse_special);
}

std::string BpeTokenizer::decode(const std::vector<int>& ids) const {
  size_t size = 0;
  for (int id : ids) {
    impl_->check_id(id);
    size += impl_->tokens[static_cast<size_t>(id)].size();
  }
  std::string text;
  text.reserve(size);
  for (int id : ids) text += impl_->tokens[static_cast<size_t>(id)];
  return text;
}

std::string BpeTokenizer::piece(int id) const {
  impl_->check_id(id);
  return escape_invalid_utf8(impl_->tokens[static_cast<size_t>(id)]);
}

int BpeTokenizer::vocab_size() const { return static_cast<int>(impl_->tokens.size()); }
int BpeTokenizer::bos_id() const { return impl_->bos; }
int BpeTokenizer::eos_id() const { return impl_->eos; }

std::optional<int> BpeTokenizer::special_id(const std::string& text) const {
  const auto found = impl_->added_ids.find(text);
  if (found == impl_->added_ids.end()) return std::nullopt;
  return found->second;
}

}  // namespace ce::core
