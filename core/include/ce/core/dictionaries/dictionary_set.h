// A set of sparse dictionaries, at most one per layer, whose features form one node basis (Basis::Features,
// issue #17): the paper's "SAE features" or "transcoder features" beside the MLP neurons.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/dictionaries/dictionary.h"
#include "ce/core/model/model_config.h"

namespace ce::core {

// Immutable after load; shared read-only by attributions, evaluators and the explorer on any thread.
class DictionarySet {
 public:
  // Reads `path`, which is either one dictionary folder (cfg.json or hyperparams.json in it: a set of one
  // layer) or a folder of dictionary folders (each subfolder holding one; other entries ignored), read in name
  // order. Every dictionary is checked as Dictionary::load does. Throws Error, naming the path:
  // "<path>: not a folder", "<path>: no dictionary folders in it (each needs cfg.json or hyperparams.json)",
  // "<path>: two dictionaries for layer 3 (<a> and <b>)", "<path>: d_sae differs between dictionaries (512
  // in <a>, 1024 in <b>); a basis needs one width". Thread-safe.
  static std::shared_ptr<const DictionarySet> load(const std::string& path, const ModelConfig& config);

  // Resolves a basis argument's dictionary part: `spec` is a folder path, or a NAME of a folder under
  // `<model_dir>/dictionaries/` (shipped beside the model). Returns the path to load; throws Error when
  // neither exists: "dictionaries 'x': no such folder, and <model_dir>/dictionaries/x does not exist".
  static std::string resolve(const std::string& spec, const std::string& model_dir);

  // The dictionary at `layer`, or nullptr when the set has none there.
  const Dictionary* at(int layer) const;
  // Layers with a dictionary, ascending.
  std::vector<int> layers() const;
  // Features per dictionary (every dictionary of a set has the same).
  int64_t d_sae() const { return d_sae_; }
  // The index of a layer's error node in the feature basis (one past the features: d_sae), which the CLI, the
  // explorer and every method name it by.
  int error_index() const { return static_cast<int>(d_sae_); }
  // The path as loaded (for names in files and titles).
  const std::string& path() const { return path_; }
  // The last component of the path ("sae_mlp_out_4x"): what curve files and legends call the set.
  std::string name() const;
  // A 32-bit FNV-1a hash of what decides the features' values: every dictionary's layer, sites, architecture,
  // k, scales and encoder tensors. Exemplar indexes of features store it (exemplar_index.h).
  uint32_t fingerprint() const;
  // "sae", "transcoder" or "mixed" and the sites, e.g. "sae mlp_out L0-3" / "transcoder L0-3": for legends.
  std::string describe() const;

 private:
  DictionarySet() = default;
  std::string path_;
  int64_t d_sae_ = 0;
  std::vector<std::unique_ptr<Dictionary>> by_layer_;  // [layers]; null where none
};

}  // namespace ce::core
