// A read-only, memory-mapped .safetensors file.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/model/dtype.h"

namespace ce::core {

// One tensor inside a mapped file. `data` points into the mapping and stays valid for the lifetime of the
// SafetensorsFile that produced it; it is never written to (the pages are PROT_READ: writing crashes).
// `data` is aligned to dtype_size(dtype) (open() rejects unaligned spans), so it may be read in place as
// float / uint16_t; element bytes are little-endian as the format defines. For a zero-size tensor
// `data` is non-null but must not be dereferenced.
struct TensorEntry {
  std::string name;
  std::string file;  // path of the file holding it (for error messages)
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t byte_offset = 0;  // absolute offset in the file
  uint64_t byte_size = 0;
  const void* data = nullptr;

  // Product of `shape` (1 for a scalar); cannot overflow for entries produced by open().
  int64_t numel() const;
};

// Immutable after open(): all const members may be used from several threads at once.
// The file is mapped MAP_PRIVATE, so later writes to it by others are not guaranteed to be seen; truncating
// it while mapped makes reads of the lost pages raise SIGBUS (as with any mmap reader).
class SafetensorsFile {
 public:
  // Maps `path` read-only and validates its header completely before returning: header length within
  // the file, valid JSON, known dtypes, non-negative shapes, data_offsets inside the data section,
  // no overlapping spans, spans aligned to their element size, shape x dtype size == span.
  // Throws Error("<path>: <tensor>: <problem>") otherwise ("<path>: <problem>" for file-level problems such
  // as a truncated file or a header that is not JSON). Supported dtypes: F32, BF16, F16. Zero-size tensors
  // and holes between spans are accepted. Never reads tensor data, so opening is O(header).
  static std::unique_ptr<SafetensorsFile> open(const std::string& path);
  // Unmaps the file: every TensorEntry::data from this object dangles afterwards.
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  // Tensors by name (the header's "__metadata__" entry is not a tensor).
  const std::map<std::string, TensorEntry>& tensors() const { return tensors_; }
  // The header's "__metadata__" string map; empty when absent.
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
