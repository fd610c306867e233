// All weight tensors of a model folder: one model.safetensors, or shards listed by
// model.safetensors.index.json.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/safetensors_file.h"

namespace ce::core {

class WeightStore {
 public:
  // Opens DIR/model.safetensors, or DIR/model.safetensors.index.json and every shard it names.
  // Throws Error naming the file (and tensor) when the index is invalid, a shard is missing, a tensor the
  // index maps to a shard is absent from it, or a tensor name appears in two shards.
  static std::unique_ptr<WeightStore> open_dir(const std::string& dir);
  ~WeightStore();

  // nullptr when absent. The entry (and its data pointer) lives as long as the store.
  const TensorEntry* find(const std::string& name) const;
  // Like find, but throws Error("<dir>: missing tensor <name>").
  const TensorEntry& get(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
  const std::string& dir() const { return dir_; }
  uint64_t total_bytes() const;

 private:
  WeightStore() = default;
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorEntry*> index_;
};

}  // namespace ce::core
