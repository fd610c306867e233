// model.safetensors.index.json: the fuzzed index sits in a folder beside two valid shards (fixtures/), so an
// index that parses goes on to open, cross-check and map them.
#include "fuzz_target.h"
#include "io/weight_store.h"

CE_FUZZ_TARGET(shard_index) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string dir = ce::fuzz::scratch_folder(
      "sharded", {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"});
  ce::fuzz::write_scratch("sharded/model.safetensors.index.json", data, size);
  ce::fuzz::run_guarded([&] { (void)ce::core::WeightStore::open_dir(dir); }, "model.safetensors.index.json", input);
}
