// All weight tensors of a model folder: one model.safetensors, or shards listed by
// model.safetensors.index.json.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/safetensors_file.h"

namespace ce::core {

// Owns the mapped files; immutable after open_dir(), so const members are safe from several threads.
// Tensor bytes are read in place: get(name).data points into a read-only mapping (see TensorEntry).
class WeightStore {
 public:
  // Opens DIR/model.safetensors, or DIR/model.safetensors.index.json and every shard it names.
  // Throws Error naming the file (and tensor) when the index is invalid, a shard is missing, a tensor the
  // index maps to a shard is absent from it, or a tensor name appears in two shards; also when a shard name
  // is not a plain file name in DIR (contains "/" or ".."), when any file fails SafetensorsFile::open, and
  // Error("<dir>: no model.safetensors or model.safetensors.index.json") when neither exists.
  // model.safetensors wins when both exist. Tensors present in a shard but missing from the index are kept.
  // Checks only the safetensors layer: validate_llama_weights (llama_weight_spec.h) checks names and shapes.
  static std::unique_ptr<WeightStore> open_dir(const std::string& dir);
  // Unmaps every file: all TensorEntry pointers and data pointers from this store dangle afterwards.
  ~WeightStore();

  // nullptr when absent. The entry (and its data pointer) lives as long as the store.
  const TensorEntry* find(const std::string& name) const;
  // Like find, but throws Error("<dir>: missing tensor <name>").
  const TensorEntry& get(const std::string& name) const;
  // All tensor names, sorted.
  std::vector<std::string> names() const;
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
  // The folder exactly as passed to open_dir.
  const std::string& dir() const { return dir_; }
  // Sum of the tensors' byte sizes (headers excluded).
  uint64_t total_bytes() const;

 private:
  WeightStore() = default;
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorEntry*> index_;
};

}  // namespace ce::core
