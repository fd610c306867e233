// Read-only memory maps of the large binary files (safetensors, exemplar indexes). Internal to ce_core.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace ce::core {

struct MappedFile {
  void* data = nullptr;  // the caller owns the mapping: munmap(data, size)
  uint64_t size = 0;
};

// Opens the regular file `path` non-blocking (a FIFO cannot block), hands its size to `check_size` (which throws
// Error for a file too short to be of its kind) and maps it read-only. Throws Error "<path>: <cannot_open>:
// <reason>", "<path>: cannot stat: <reason>", "<path>: not a regular file", "<path>: cannot mmap: <reason>".
MappedFile map_regular_file(const std::string& path, const std::string& cannot_open,
                            const std::function<void(uint64_t size)>& check_size);

}  // namespace ce::core
