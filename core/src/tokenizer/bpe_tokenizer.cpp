#include "tokenizer/bpe_tokenizer.h"
#include "base/file_util.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "ce/core/base/error.h"

namespace ce::core {

const char* const kLlama3PreTokenizerRegex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*)"
    R"(|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kGpt2PreTokenizerRegex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

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

namespace {

using json = nlohmann::json;

// ---- UTF-8 ---------------------------------------------------------------------------------------------

// Length of the valid UTF-8 character at p (n bytes available), or 0 if the bytes there are not one.
// Strict (no overlongs, surrogates or code points above U+10FFFF), the same rules as PCRE2's UTF check.
size_t utf8_char_length(const unsigned char* p, size_t n) {
  const unsigned c0 = p[0];
  if (c0 < 0x80) return 1;
  auto cont = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  if (c0 < 0xC2) return 0;
  if (c0 < 0xE0) return cont(1) ? 2 : 0;
  if (c0 < 0xF0) {
    if (!cont(1) || !cont(2)) return 0;
    if (c0 == 0xE0 && p[1] < 0xA0) return 0;
    if (c0 == 0xED && p[1] >= 0xA0) return 0;
    return 3;
  }
  if (c0 < 0xF5) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c0 == 0xF0 && p[1] < 0x90) return 0;
    if (c0 == 0xF4 && p[1] >= 0x90) return 0;
    return 4;
  }
  return 0;
}

size_t utf8_char_length(std::string_view text, size_t offset) {
  return utf8_char_length(reinterpret_cast<const unsigned char*>(text.data()) + offset, text.size() - offset);
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the valid character at `offset` (the caller checked its length).
uint32_t decode_utf8(std::string_view text, size_t offset, size_t length) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data()) + offset;
  switch (length) {
    case 1:
      return p[0];
    case 2:
      return (uint32_t{p[0]} & 0x1F) << 6 | (p[1] & 0x3F);
    case 3:
      return (uint32_t{p[0]} & 0x0F) << 12 | (uint32_t{p[1]} & 0x3F) << 6 | (p[2] & 0x3F);
    default:
      return (uint32_t{p[0]} & 0x07) << 18 | (uint32_t{p[1]} & 0x3F) << 12 | (uint32_t{p[2]} & 0x3F) << 6 |
             (p[3] & 0x3F);
  }
}

// Bytes as display text: valid UTF-8 kept, every other byte written as "\xNN".
std::string escape_invalid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    const size_t length = utf8_char_length(bytes, i);
    if (length > 0) {
      out.append(bytes.data() + i, length);
      i += length;
    } else {
      static const char kHex[] = "0123456789ABCDEF";
      const auto byte = static_cast<unsigned char>(bytes[i]);
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
      ++i;
    }
  }
  return out;
}

// ---- GPT-2 bytes_to_unicode ----------------------------------------------------------------------------

// HF byte-level vocabularies spell each byte as one printable code point; this is GPT-2's table.
struct ByteUnicodeTable {
  std::array<uint32_t, 256> byte_to_cp{};
  std::unordered_map<uint32_t, unsigned char> cp_to_byte;

  ByteUnicodeTable() {
    std::array<bool, 256> printable{};
    for (int b = '!'; b <= '~'; ++b) printable[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) printable[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) printable[b] = true;
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      byte_to_cp[b] = printable[b] ? static_cast<uint32_t>(b) : next++;
      cp_to_byte.emplace(byte_to_cp[b], static_cast<unsigned char>(b));
    }
  }
};

const ByteUnicodeTable& byte_unicode() {
  static const ByteUnicodeTable table;
  return table;
}

std::string bytes_to_unicode_string(std::string_view bytes) {
  const auto& table = byte_unicode();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) append_utf8(out, table.byte_to_cp[static_cast<unsigned char>(c)]);
  return out;
}

// Inverse of bytes_to_unicode_string. A string with characters outside the table (e.g. an added token
// stored in the vocabulary) is taken as its raw UTF-8 bytes.
std::string unicode_string_to_bytes(std::string_view text) {
  const auto& table = byte_unicode();
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t length = utf8_char_length(text, i);
    if (length == 0) return std::string(text);
    const auto found = table.cp_to_byte.find(decode_utf8(text, i, length));
    if (found == table.cp_to_byte.end()) return std::string(text);
    out += static_cast<char>(found->second);
    i += length;
  }
  return out;
}

// ---- base64 --------------------------------------------------------------------------------------------

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with optional '=' padding; false on any other character or a bad length.
bool base64_decode(std::string_view text, std::string& out) {
  out.clear();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = base64_value(c);
    if (value < 0) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return true;
}

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

// ---- PCRE2 ---------------------------------------------------------------------------------------------

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  if (pcre2_get_error_message(code, buffer, sizeof(buffer)) < 0) return "PCRE2 error " + std::to_string(code);
  return std::string(reinterpret_cast<const char*>(buffer));
}

// A compiled pre-tokenizer pattern; immutable after construction, so one may serve many threads.
class Regex {
 public:
  Regex(const std::string& pattern, const std::string& name) {
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.c_str()), pattern.size(),
                          PCRE2_UTF | PCRE2_UCP, &error_code, &error_offset, nullptr);
    if (code_ == nullptr) {
      throw Error(name + ": pre-tokenizer regex does not compile (at offset " + std::to_string(error_offset) +
                  "): " + pcre2_message(error_code));
    }
    // JIT is a speed-up only; without it the interpreter gives the same matches.
    jit_ = pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE) == 0;
  }
  ~Regex() { pcre2_code_free(code_); }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Matches at or after `offset` in subject (valid UTF-8, already checked). Returns the match's
  // [begin, end) or nullopt for no match; a PCRE2 failure (resource limits) gives {SIZE_MAX, error}.
  std::optional<std::pair<size_t, size_t>> match(std::string_view subject, size_t offset,
                                                 pcre2_match_data* data) const {
    const auto* bytes = reinterpret_cast<PCRE2_SPTR>(subject.data());
    int rc = pcre2_match(code_, bytes, subject.size(), offset, PCRE2_NO_UTF_CHECK, data, nullptr);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && jit_) {
      // The JIT's small default stack can overflow on huge whitespace runs; the interpreter uses the heap.
      rc =
          pcre2_match(code_, bytes, subject.size(), offset, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, data, nullptr);
    }
    if (rc == PCRE2_ERROR_NOMATCH) return std::nullopt;
    if (rc < 0) return std::make_pair(SIZE_MAX, static_cast<size_t>(-rc));
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
    return std::make_pair(static_cast<size_t>(ovector[0]), static_cast<size_t>(ovector[1]));
  }

 private:
  pcre2_code* code_ = nullptr;
  bool jit_ = false;
};

struct MatchData {
  MatchData() : data(pcre2_match_data_create(8, nullptr)) {
    if (data == nullptr) throw std::bad_alloc();
  }
  ~MatchData() { pcre2_match_data_free(data); }
  MatchData(const MatchData&) = delete;
  MatchData& operator=(const MatchData&) = delete;
  pcre2_match_data* data;
};

struct Merge {
  int rank;
  int id;
};

uint64_t pair_key(int left, int right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// One part of a word during BPE: the bytes [start, end) of the word; dead parts have end = -1.
struct Symbol {
  int start;
  int end;
  int prev;
  int next;
  int id;
};

struct Candidate {
  int rank;
  int left;       // index (= start byte) of the left symbol
  int right_end;  // end of the right symbol when pushed: detects stale entries
  int id;         // token made by the merge
};

// Min-heap order: lowest rank first, then leftmost, as both tiktoken and HF merge.
struct CandidateAfter {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
  }
};

// Scratch memory of one encode() call, so that const methods share nothing mutable between threads.
struct Workspace {
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;
  std::vector<MatchData> match_data;
};

}  // namespace

struct BpeTokenizer::Impl {
  struct Added {
    std::string content;
    int id;
    bool special;
  };

  std::string name;
  // true: a pair merges when the concatenated bytes are a token, rank = its id (tiktoken).
  // false: a pair merges when it is in the HF merge list, rank = list position.
  bool merge_by_token_rank = true;
  bool ignore_merges = true;                          // a whole pre-token that is a token is emitted as is
  std::vector<std::string> tokens;                    // id -> bytes (added tokens: their text)
  std::vector<uint8_t> present;                       // id has a token (vocabularies may have holes)
  std::unordered_map<std::string_view, int> encoder;  // regular token bytes -> id (views into tokens)
  std::unordered_map<uint64_t, Merge> merges;         // HF: (left id, right id) -> merge
  std::array<int, 256> byte_ids{};                    // id of each single-byte token or -1
  std::vector<Added> added;                           // all added tokens
  std::array<std::vector<int>, 256> added_by_first_byte;  // indexes into `added`, longest first
  std::unordered_map<std::string, int> added_ids;         // added token text -> id
  std::vector<std::unique_ptr<Regex>> regexes;            // applied in sequence
  int bos = -1;
  int eos = -1;

  // Builds encoder/byte_ids/added_by_first_byte once tokens, present and added are final.
  void finish(const std::vector<int>& regular_ids) {
    encoder.clear();
    encoder.reserve(regular_ids.size() * 2);
    for (int id : regular_ids) encoder.emplace(tokens[static_cast<size_t>(id)], id);
    byte_ids.fill(-1);
    for (int b = 0; b < 256; ++b) {
      const char byte = static_cast<char>(b);
      const auto found = encoder.find(std::string_view(&byte, 1));
      if (found != encoder.end()) byte_ids[static_cast<size_t>(b)] = found->second;
    }
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

  void check_id(int id) const {
    if (id < 0 || static_cast<size_t>(id) >= tokens.size()) {
      throw Error(name + ": token id " + std::to_string(id) + " is out of range [0, " +
                  std::to_string(tokens.size()) + ")");
    }
    if (!present[static_cast<size_t>(id)]) {
      throw Error(name + ": token id " + std::to_string(id) + " has no token");
    }
  }

  std::optional<Merge> find_merge(std::string_view word, const Symbol& left, const Symbol& right) const {
    if (merge_by_token_rank) {
      const auto found = encoder.find(
          word.substr(static_cast<size_t>(left.start), static_cast<size_t>(right.end - left.start)));
      if (found == encoder.end()) return std::nullopt;
      return Merge{found->second, found->second};
    }
    if (left.id < 0 || right.id < 0) return std::nullopt;
    const auto found = merges.find(pair_key(left.id, right.id));
    if (found == merges.end()) return std::nullopt;
    return found->second;
  }

  // Runs BPE merges over `word` (non-empty) using only merges of rank < rank_limit. Leaves the parts in
  // ws.symbols as a list starting at index 0. O(n log n) with lazy deletion of stale heap entries.
  void merge_parts(std::string_view word, int rank_limit, Workspace& ws) const {
    const int n = static_cast<int>(word.size());
    auto& symbols = ws.symbols;
    auto& heap = ws.heap;
    symbols.resize(static_cast<size_t>(n));
    heap.clear();
    for (int i = 0; i < n; ++i) {
      symbols[static_cast<size_t>(i)] =
          Symbol{i, i + 1, i - 1, i + 1 < n ? i + 1 : -1, byte_ids[static_cast<unsigned char>(word[i])]};
    }
    auto push = [&](int left) {
      const Symbol& l = symbols[static_cast<size_t>(left)];
      if (l.next < 0) return;
      const Symbol& r = symbols[static_cast<size_t>(l.next)];
      const auto merge = find_merge(word, l, r);
      if (!merge || merge->rank >= rank_limit) return;
      heap.push_back(Candidate{merge->rank, left, r.end, merge->id});
      std::push_heap(heap.begin(), heap.end(), CandidateAfter());
    };
    for (int i = 0; i + 1 < n; ++i) push(i);
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), CandidateAfter());
      const Candidate candidate = heap.back();
      heap.pop_back();
      Symbol& left = symbols[static_cast<size_t>(candidate.left)];
      // Stale unless both parts still have the extents they had when the entry was pushed; the start of a
      // part never moves, so equal extents mean equal bytes and so the same merge.
      if (left.end < 0 || left.next < 0) continue;
      Symbol& right = symbols[static_cast<size_t>(left.next)];
      if (right.end != candidate.right_end) continue;
      left.end = right.end;
      left.id = candidate.id;
      left.next = right.next;
      if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = candidate.left;
      right.end = -1;
      if (left.prev >= 0) push(left.prev);
      push(candidate.left);
    }
  }

  void bpe(std::string_view word, std::vector<int>& out, Workspace& ws) const {
    if (word.empty()) return;
    if (ignore_merges || word.size() == 1) {
      const auto found = encoder.find(word);
      if (found != encoder.end()) {
        out.push_back(found->second);
        return;
      }
    }
    merge_parts(word, INT_MAX, ws);
    // A part without a token id can only come from a byte missing from the vocabulary; like HF without an
    // unk token, it is dropped (Llama-style byte-level vocabularies have all 256 bytes).
    for (int i = 0; i >= 0; i = ws.symbols[static_cast<size_t>(i)].next) {
      const int id = ws.symbols[static_cast<size_t>(i)].id;
      if (id >= 0) out.push_back(id);
    }
  }

  // Splits valid UTF-8 `piece` with regexes[level..] (HF "Isolated": matches and the gaps between them
  // both become pieces), then BPE's each final piece.
  void split(std::string_view piece, size_t level, std::vector<int>& out, Workspace& ws) const {
    if (piece.empty()) return;
    if (level == regexes.size()) {
      bpe(piece, out, ws);
      return;
    }
    const Regex& regex = *regexes[level];
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
  void encode_text(std::string_view text, std::vector<int>& out, Workspace& ws) const {
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

  std::vector<int> encode(const std::string& text, bool add_bos, bool parse_special) const {
    std::vector<int> out;
    out.reserve(text.size() / 3 + 2);
    if (add_bos && bos >= 0) out.push_back(bos);
    Workspace ws;
    ws.match_data = std::vector<MatchData>(regexes.size());
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

  std::optional<int> lookup(const std::string& text) const {
    if (const auto found = added_ids.find(text); found != added_ids.end()) return found->second;
    if (const auto found = encoder.find(text); found != encoder.end()) return found->second;
    return std::nullopt;
  }
};

namespace {

std::unique_ptr<BpeTokenizer::Impl> parse_tiktoken(const std::string& content, const std::string& name) {
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

// Adds the regex steps of one HF pre_tokenizer node (recursing into Sequence). Returns whether a
// ByteLevel step was seen.
bool collect_pre_tokenizer(const json& node, BpeTokenizer::Impl& impl, const std::string& name) {
  if (node.is_null()) return false;
  const std::string type = node.value("type", "");
  if (type == "Sequence") {
    bool byte_level = false;
    for (const json& child : node.at("pretokenizers")) byte_level |= collect_pre_tokenizer(child, impl, name);
    return byte_level;
  }
  if (type == "Split") {
    const json& pattern = node.at("pattern");
    std::string regex;
    if (pattern.contains("Regex")) {
      regex = pattern.at("Regex").get<std::string>();
    } else {
      // A literal string: quote it for PCRE2 (\Q..\E cannot hold "\E" itself, so escape that part).
      const std::string literal = pattern.at("String").get<std::string>();
      regex = "\\Q";
      size_t start = 0;
      size_t found = 0;
      while ((found = literal.find("\\E", start)) != std::string::npos) {
        regex += literal.substr(start, found - start) + "\\E\\\\E\\Q";
        start = found + 2;
      }
      regex += literal.substr(start) + "\\E";
    }
    const std::string behavior = node.value("behavior", "Isolated");
    if (behavior != "Isolated" || node.value("invert", false)) {
      throw Error(name + ": pre_tokenizer Split with behavior \"" + behavior +
                  "\"/invert is not supported (only Isolated)");
    }
    impl.regexes.push_back(std::make_unique<Regex>(regex, name));
    return false;
  }
  if (type == "ByteLevel") {
    if (node.value("add_prefix_space", false)) {
      throw Error(name + ": ByteLevel pre_tokenizer with add_prefix_space = true is not supported");
    }
    if (node.value("use_regex", true)) {
      impl.regexes.push_back(std::make_unique<Regex>(kGpt2PreTokenizerRegex, name));
    }
    return true;
  }
  throw Error(name + ": pre_tokenizer type \"" + type +
              "\" is not supported (byte-level BPE needs Split/ByteLevel)");
}

std::unique_ptr<BpeTokenizer::Impl> parse_tokenizer_json(const std::string& content,
                                                         const std::string& name) {
  json root;
  try {
    root = json::parse(content);
  } catch (const json::exception& e) {
    throw Error(name + ": invalid JSON: " + e.what());
  }
  auto impl = std::make_unique<BpeTokenizer::Impl>();
  impl->name = name;
  impl->merge_by_token_rank = false;
  try {
    if (!root.is_object() || !root.contains("model")) throw Error(name + ": no \"model\" in tokenizer.json");
    const json& model = root.at("model");
    const std::string type = model.value("type", "BPE");
    if (type != "BPE") {
      throw Error(name + ": model type \"" + type + "\" is not supported (only byte-level BPE)");
    }
    if (model.value("byte_fallback", false)) {
      throw Error(name + ": SentencePiece-style BPE (byte_fallback) is not supported; use tokenizer.model");
    }
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
      if (model.contains(key) && !model.at(key).is_null() && !model.at(key).get<std::string>().empty()) {
        throw Error(name + ": BPE " + key + " is not supported");
      }
    }
    impl->ignore_merges = model.value("ignore_merges", false);

    bool byte_level = false;
    if (root.contains("pre_tokenizer")) {
      byte_level = collect_pre_tokenizer(root.at("pre_tokenizer"), *impl, name);
    }
    if (root.contains("decoder") && root.at("decoder").is_object()) {
      byte_level |= root.at("decoder").value("type", "") == "ByteLevel";
    }
    if (!byte_level) {
      throw Error(name +
                  ": not a byte-level BPE tokenizer (no ByteLevel pre-tokenizer or decoder); "
                  "SentencePiece-style tokenizer.json files are not supported");
    }
    if (impl->regexes.empty()) {
      impl->regexes.push_back(std::make_unique<Regex>(kLlama3PreTokenizerRegex, name));
    }

    const json& vocab = model.at("vocab");
    if (!vocab.is_object() || vocab.empty()) throw Error(name + ": model.vocab is missing or empty");
    std::unordered_map<std::string, int> vocab_ids;  // vocabulary spelling -> id
    vocab_ids.reserve(vocab.size() * 2);
    long long max_id = -1;
    for (const auto& [text, id_value] : vocab.items()) {
      const long long id = id_value.get<long long>();
      if (id < 0 || id > INT_MAX / 2) {
        throw Error(name + ": vocab id " + std::to_string(id) + " is out of range");
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
      for (const json& token : root.at("added_tokens")) {
        const long long id = token.at("id").get<long long>();
        if (id < 0 || id > INT_MAX / 2) {
          throw Error(name + ": added token id " + std::to_string(id) + " out of range");
        }
        added_entries.push_back(
            {token.at("content").get<std::string>(), static_cast<int>(id), token.value("special", false)});
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

    const json& merges = model.at("merges");
    impl->merges.reserve(merges.size() * 2);
    int rank = 0;
    for (const json& merge : merges) {
      std::string left;
      std::string right;
      if (merge.is_string()) {
        const std::string text = merge.get<std::string>();
        const size_t space = text.find(' ');
        if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
          throw Error(name + ": merge " + std::to_string(rank) + " (\"" + text + "\") is not \"a b\"");
        }
        left = text.substr(0, space);
        right = text.substr(space + 1);
      } else if (merge.is_array() && merge.size() == 2) {
        left = merge.at(0).get<std::string>();
        right = merge.at(1).get<std::string>();
      } else {
        throw Error(name + ": merge " + std::to_string(rank) + " is neither \"a b\" nor [a, b]");
      }
      const auto left_id = vocab_ids.find(left);
      const auto right_id = vocab_ids.find(right);
      const auto merged_id = vocab_ids.find(left + right);
      if (left_id == vocab_ids.end() || right_id == vocab_ids.end() || merged_id == vocab_ids.end()) {
        throw Error(name + ": merge " + std::to_string(rank) + " (\"" + left + "\" + \"" + right +
                    "\") uses a token that is not in the vocabulary");
      }
      impl->merges.emplace(pair_key(left_id->second, right_id->second), Merge{rank, merged_id->second});
      ++rank;
    }
    impl->finish(regular_ids);
  } catch (const json::exception& e) {
    throw Error(name + ": unexpected tokenizer.json structure: " + e.what());
  }
  if (auto id = impl->lookup("<|begin_of_text|>")) impl->bos = *id;
  if (auto id = impl->lookup("<|end_of_text|>")) impl->eos = *id;
  return impl;
}

}  // namespace

bool looks_like_tiktoken(const std::string& content) {
  bool any = false;
  bool ok = true;
  std::string_view encoded;
  long long rank = 0;
  for_each_line(content, [&](std::string_view line, size_t) {
    if (!ok) return;
    ok = parse_tiktoken_line(line, encoded, rank);
    any = true;
  });
  return ok && any;
}

BpeTokenizer::BpeTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BpeTokenizer::~BpeTokenizer() = default;

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_tiktoken(const std::string& content,
                                                          const std::string& name) {
  return std::unique_ptr<BpeTokenizer>(new BpeTokenizer(parse_tiktoken(content, name)));
}

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_tokenizer_json(const std::string& content,
                                                                const std::string& name) {
  return std::unique_ptr<BpeTokenizer>(new BpeTokenizer(parse_tokenizer_json(content, name)));
}

void BpeTokenizer::set_bos_eos(const std::string& bos, const std::string& eos, const std::string& source) {
  auto resolve = [&](const std::string& text, const char* what) {
    const auto id = impl_->lookup(text);
    if (!id) {
      throw Error(source + ": " + what + " \"" + text + "\" is not in the vocabulary of " + impl_->name);
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

std::string tiktoken_to_tokenizer_json(const std::string& path, bool merges_as_pairs) {
  const auto impl = parse_tiktoken(read_file(path), path);
  const size_t base = impl->tokens.size() - impl->added.size();  // rank slots come before the specials

  json vocab = json::object();
  json merges = json::array();
  Workspace ws;
  for (size_t id = 0; id < base; ++id) {
    if (!impl->present[id]) continue;
    const std::string& bytes = impl->tokens[id];
    vocab[bytes_to_unicode_string(bytes)] = id;
    if (bytes.size() < 2) continue;
    impl->merge_parts(bytes, static_cast<int>(id), ws);
    const Symbol& first = ws.symbols[0];
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
