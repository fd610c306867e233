#include "io/weight_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

#include "ce/core/base/error.h"
#include "base/json_input.h"
#include "ce/core/base/files.h"
#include "io/loader_util.h"

namespace ce::core {

namespace {

using nlohmann::json;

// An index maps tensor names to shard names; even a 400B-parameter model's index is a few hundred KB.
constexpr std::streamoff kMaxIndexBytes = 64ll * 1024 * 1024;

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

// 0: absent, 1: regular file, 2: something else (folder, socket, ...).
int file_kind(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return S_ISREG(st.st_mode) ? 1 : 2;
}


}  // namespace

std::unique_ptr<WeightStore> WeightStore::open_dir(const std::string& dir) {
  std::unique_ptr<WeightStore> store(new WeightStore());
  store->dir_ = dir;

  const std::string single = join(dir, "model.safetensors");
  const std::string index_path = join(dir, "model.safetensors.index.json");
  const int single_kind = file_kind(single);
  if (single_kind == 1) {
    store->files_.push_back(SafetensorsFile::open(single));
    for (const auto& [name, entry] : store->files_.back()->tensors()) store->index_.emplace(name, &entry);
    return store;
  }
  if (single_kind == 2) throw Error(single + ": not a regular file");
  if (file_kind(index_path) == 0) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw Error(dir + ": not a folder");
    throw Error(dir + ": no model.safetensors or model.safetensors.index.json");
  }

  const json index = parse_json(read_file(index_path, kMaxIndexBytes, "an index"), index_path);
  if (!index.is_object()) throw Error(index_path + ": not a JSON object");
  const auto map_it = index.find("weight_map");
  if (map_it == index.end() || !map_it->is_object())
    throw Error(index_path + ": weight_map missing or not an object");
  if (map_it->empty()) throw Error(index_path + ": weight_map is empty");

  // shard file name -> tensors the index places there; std::map opens shards in a stable order.
  std::map<std::string, std::vector<std::string>> shards;
  for (auto it = map_it->begin(); it != map_it->end(); ++it) {
    const std::string& tensor = it.key();
    if (!it->is_string())
      throw Error(index_path + ": " + detail::printable(tensor) + ": shard name is not a string");
    const std::string shard = it->get<std::string>();
    // Shards must live in the model folder: an index must not make us map arbitrary files.
    if (shard.empty() || shard.find('/') != std::string::npos || shard.find("..") != std::string::npos ||
        std::any_of(shard.begin(), shard.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
      throw Error(index_path + ": " + detail::printable(tensor) + ": shard file name '" +
                  detail::printable(shard) + "' is not a plain file name in the model folder");
    }
    shards[shard].push_back(tensor);
  }

  for (const auto& [shard, tensors] : shards) {
    const std::string shard_path = join(dir, shard);
    if (file_kind(shard_path) != 1) {
      // Both cut short: the name comes from the index file (a fuzzer's 900-byte name was echoed twice).
      throw Error(index_path + ": " + detail::printable(tensors.front()) + ": shard " +
                  detail::printable(shard) + " does not exist (" + detail::printable(shard_path) + ")");
    }
    store->files_.push_back(SafetensorsFile::open(shard_path));
    const SafetensorsFile& file = *store->files_.back();
    for (const std::string& tensor : tensors) {
      if (file.tensors().count(tensor) == 0) {
        throw Error(shard_path + ": " + detail::printable(tensor) + ": listed in " + index_path +
                    " but absent from this shard");
      }
    }
    // Tensors a shard holds but the index omits are kept, as transformers does.
    for (const auto& [name, entry] : file.tensors()) {
      const auto [pos, inserted] = store->index_.emplace(name, &entry);
      if (!inserted) {
        throw Error(shard_path + ": " + detail::printable(name) + ": also present in " + pos->second->file +
                    " (a tensor must live in exactly one shard)");
      }
    }
  }
  return store;
}

WeightStore::~WeightStore() = default;

const TensorEntry* WeightStore::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

const TensorEntry& WeightStore::get(const std::string& name) const {
  const TensorEntry* entry = find(name);
  if (entry == nullptr) throw Error(dir_ + ": missing tensor " + detail::printable(name));
  return *entry;
}

std::vector<std::string> WeightStore::names() const {
  std::vector<std::string> out;
  out.reserve(index_.size());
  for (const auto& [name, entry] : index_) out.push_back(name);
  return out;
}

uint64_t WeightStore::total_bytes() const {
  uint64_t total = 0;
  for (const auto& [name, entry] : index_) total += entry->byte_size;
  return total;
}

}  // namespace ce::core
