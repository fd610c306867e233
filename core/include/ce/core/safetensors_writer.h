// Writes .safetensors files (model export, the demo trainer, test fixtures).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ce/core/dtype.h"

namespace ce::core {

class SafetensorsWriter {
 public:
  // Adds a tensor; `bytes` is copied and must hold exactly numel(shape) * dtype_size(dtype) bytes
  // (throws Error otherwise, or on a duplicate name).
  void add(const std::string& name, DType dtype, const std::vector<int64_t>& shape, const void* bytes);
  void set_metadata(const std::string& key, const std::string& value);
  // Writes header (keys sorted, padded to 8 bytes) and data to `path` atomically (temp file + rename).
  // Throws Error on I/O failure.
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
