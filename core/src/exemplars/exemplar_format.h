// Writing exemplar index files (format in ce/core/exemplar_index.h), shared by the builder and the merge.
// Internal to ce_core; torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ce/core/exemplars/exemplar_index.h"

namespace ce::core {

inline constexpr char kExemplarMagic[4] = {'C', 'E', 'X', 'I'};
inline constexpr uint32_t kExemplarVersion = 1;
inline constexpr uint32_t kExemplarHeaderBytes = 160;
inline constexpr uint32_t kNoWindow = 0xFFFFFFFFu;
inline constexpr uint32_t kRecordBytes = 12;

// One candidate exemplar while building or merging.
struct ExemplarCandidate {
  float activation = 0;
  uint64_t window = 0;    // corpus window number
  uint32_t position = 0;  // token index inside the window
};

// True when `a` ranks before `b`: larger activation first (Positive) or smaller first (Negative); ties go to
// the earlier corpus window, then the earlier position, so the order is total and every run, shard split or
// merge order gives the same list.
bool exemplar_before(const ExemplarCandidate& a, const ExemplarCandidate& b, Polarity polarity);

// Writes a complete index file. `slots` holds layers * neurons * 2 lists (slot = (layer * neurons + neuron) *
// 2 + polarity), each already sorted with exemplar_before and at most info.top_k long. `tokens_of` returns
// the token ids of a corpus window named by a candidate (at most info.context). Fills in info.window_count,
// info.file_bytes and version. The file is written to "<path>.tmp" and renamed over `path`, so a failed
// write never leaves a half index behind. Throws Error("<path>: ...") on I/O failure.
void write_exemplar_file(const std::string& path, ExemplarIndexInfo& info,
                         const std::vector<std::vector<ExemplarCandidate>>& slots,
                         const std::function<std::vector<int>(uint64_t window)>& tokens_of);

// 64-bit FNV-1a, continued from `hash`.
inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
inline uint64_t fnv1a(const void* data, size_t n, uint64_t hash = kFnvOffset) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace ce::core
