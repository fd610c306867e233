#include "exemplars/exemplar_format.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

#include "ce/core/base/error.h"

namespace ce::core {

namespace {

uint64_t align8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

// Appends little-endian bytes whatever the host order.
class LeBuffer {
 public:
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void f32(float v) {
    uint32_t bits = 0;
    std::memcpy(&bits, &v, 4);
    u32(bits);
  }
  void raw(const void* p, size_t n) { bytes_.append(static_cast<const char*>(p), n); }
  void pad_to(uint64_t offset) { bytes_.resize(static_cast<size_t>(offset), '\0'); }
  uint64_t size() const { return bytes_.size(); }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace

bool exemplar_before(const ExemplarCandidate& a, const ExemplarCandidate& b, Polarity polarity) {
  if (a.activation != b.activation) {
    return polarity == Polarity::Positive ? a.activation > b.activation : a.activation < b.activation;
  }
  if (a.window != b.window) return a.window < b.window;
  return a.position < b.position;
}

void write_exemplar_file(const std::string& path, ExemplarIndexInfo& info,
                         const std::vector<std::vector<ExemplarCandidate>>& slots,
                         const std::function<std::vector<int>(uint64_t window)>& tokens_of) {
  const uint64_t slot_count = static_cast<uint64_t>(info.layers) * static_cast<uint64_t>(info.neurons) * 2;
  if (slots.size() != slot_count) throw Error(path + ": internal error: slot count does not match the header");
  // Only windows that some record points at are stored; numbering them in corpus order makes the file a
  // function of the records alone (a merge writes the same bytes as a single run).
  std::map<uint64_t, uint32_t> local;
  for (const auto& slot : slots) {
    for (const ExemplarCandidate& c : slot) local.emplace(c.window, 0);
  }
  if (local.size() >= kNoWindow) throw Error(path + ": too many windows for one index file");
  uint32_t next = 0;
  for (auto& [window, index] : local) index = next++;

  const uint64_t k = static_cast<uint64_t>(info.top_k);
  const uint64_t ctx = static_cast<uint64_t>(info.context);
  const uint64_t shard_bytes = (static_cast<uint64_t>(info.shard_count) + 7) / 8;
  const uint64_t shards_offset = kExemplarHeaderBytes;
  const uint64_t records_offset = align8(shards_offset + shard_bytes);
  const uint64_t window_ids_offset = align8(records_offset + slot_count * k * kRecordBytes);
  const uint64_t tokens_offset = window_ids_offset + local.size() * 8;
  const uint64_t file_size = tokens_offset + local.size() * ctx * 4;
  info.version = kExemplarVersion;
  info.window_count = local.size();
  info.file_bytes = file_size;

  LeBuffer b;
  b.raw(kExemplarMagic, 4);
  b.u32(kExemplarVersion);
  b.u32(kExemplarHeaderBytes);
  b.u32(static_cast<uint32_t>(info.basis));
  for (int v : {info.layers, info.neurons, info.top_k, info.context, info.vocab, info.batch, info.shard_count}) {
    b.u32(static_cast<uint32_t>(v));
  }
  b.u32(info.dictionaries_hash);
  for (uint64_t v : {info.model_fingerprint, info.corpus_hash, info.max_tokens, info.tokens_seen,
                     info.windows_seen, info.window_count, shards_offset, records_offset, window_ids_offset,
                     tokens_offset, file_size}) {
    b.u64(v);
  }
  b.pad_to(kExemplarHeaderBytes);
  std::vector<unsigned char> bitmap(static_cast<size_t>(shard_bytes), 0);
  for (int s : info.shards) bitmap[static_cast<size_t>(s / 8)] |= static_cast<unsigned char>(1u << (s % 8));
  b.raw(bitmap.data(), bitmap.size());
  b.pad_to(records_offset);
  for (const auto& slot : slots) {
    if (slot.size() > k) throw Error(path + ": internal error: more records than top_k");
    for (const ExemplarCandidate& c : slot) {
      b.f32(c.activation);
      b.u32(local.at(c.window));
      b.u32(c.position);
    }
    for (uint64_t i = slot.size(); i < k; ++i) {
      b.f32(0);
      b.u32(kNoWindow);
      b.u32(0);
    }
  }
  b.pad_to(window_ids_offset);
  for (const auto& [window, index] : local) b.u64(window);
  for (const auto& [window, index] : local) {
    const std::vector<int> tokens = tokens_of(window);
    if (tokens.size() > ctx) throw Error(path + ": internal error: window longer than the context");
    for (uint64_t i = 0; i < ctx; ++i) b.u32(static_cast<uint32_t>(i < tokens.size() ? tokens[i] : -1));
  }
  if (b.size() != file_size) throw Error(path + ": internal error: file size does not match its layout");

  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error(path + ": cannot write: " + std::strerror(errno));
  const size_t written = std::fwrite(b.bytes().data(), 1, b.bytes().size(), f);
  const bool ok = written == b.bytes().size() && std::fflush(f) == 0;
  const int err = errno;
  std::fclose(f);
  std::error_code ec;
  if (!ok) {
    std::filesystem::remove(tmp, ec);
    throw Error(path + ": cannot write: " + std::strerror(err));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw Error(path + ": cannot write: " + ec.message());
  }
}

}  // namespace ce::core
