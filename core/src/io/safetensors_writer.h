// Writes .safetensors files (model export, the demo trainer, test fixtures).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ce/core/model/dtype.h"

namespace ce::core {

// Collects tensors in memory, then writes them in one go. Not thread-safe; one writer per thread.
class SafetensorsWriter {
 public:
  // Adds a tensor; `bytes` is copied and must hold exactly numel(shape) * dtype_size(dtype) bytes (a raw
  // pointer cannot be checked: the caller guarantees it; nullptr is fine for a zero-size tensor).
  // Throws Error on a duplicate, empty or "__metadata__" name, a negative dimension or a size overflow.
  void add(const std::string& name, DType dtype, const std::vector<int64_t>& shape, const void* bytes);
  void set_metadata(const std::string& key, const std::string& value);
  // Writes header (keys sorted, padded to 8 bytes) and data to `path` atomically (temp file + rename).
  // Throws Error on I/O failure.
  // Data order is by element size (F32 first), then by name: spans stay contiguous, as other safetensors
  // readers require, and each span stays aligned to its element size, as SafetensorsFile requires.
  // May be called several times; the writer is not changed by it.
  void write(const std::string& path) const;

 private:
  struct Pending {
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<char> bytes;
  };
  std::map<std::string, Pending> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace ce::core
