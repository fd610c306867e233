// A read-only, memory-mapped .safetensors file.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/dtype.h"

namespace ce::core {

// One tensor inside a mapped file. `data` points into the mapping and stays valid for the lifetime of the
// SafetensorsFile that produced it; it is never written to.
struct TensorEntry {
  std::string name;
  std::string file;  // path of the file holding it (for error messages)
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t byte_offset = 0;  // absolute offset in the file
  uint64_t byte_size = 0;
  const void* data = nullptr;

  int64_t numel() const;
};

class SafetensorsFile {
 public:
  // Maps `path` read-only and validates its header completely before returning: header length within
  // the file, valid JSON, known dtypes, non-negative shapes, data_offsets inside the data section,
  // no overlapping spans, spans aligned to their element size, shape x dtype size == span.
  // Throws Error("<path>: <tensor>: <problem>") otherwise. Never reads tensor data, so opening is O(header).
  static std::unique_ptr<SafetensorsFile> open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, TensorEntry>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  uint64_t file_size() const { return size_; }

 private:
  SafetensorsFile() = default;
  std::string path_;
  void* map_ = nullptr;
  uint64_t size_ = 0;
  std::map<std::string, TensorEntry> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace ce::core
