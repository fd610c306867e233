// model.safetensors.index.json: the fuzzed index sits in a folder beside two valid shards (fixtures/), so an
// index that parses goes on to open, cross-check and map them.
#include <filesystem>

#include "fuzz_target.h"
#include "io/weight_store.h"

namespace {

std::string shard_dir() {
  static const std::string dir = [] {
    namespace fs = std::filesystem;
    const fs::path d = fs::path(ce::fuzz::scratch_dir()) / "sharded";
    fs::create_directories(d);
    for (const char* shard : {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}) {
      fs::copy_file(fs::path(ce::fuzz::source_dir()) / "fixtures" / shard, d / shard,
                    fs::copy_options::overwrite_existing);
    }
    return d.string();
  }();
  return dir;
}

}  // namespace

CE_FUZZ_TARGET(shard_index) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string dir = shard_dir();
  ce::fuzz::write_scratch("sharded/model.safetensors.index.json", data, size);
  ce::fuzz::run_guarded([&] { (void)ce::core::WeightStore::open_dir(dir); }, "model.safetensors.index.json", input);
}
