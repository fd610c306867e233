#include "ce/core/circuits/mean_ablation.h"

#include <algorithm>
#include <exception>

#include "ce/core/base/resources.h"
#include "ce/core/circuits/attribution_example.h"
#include "ce/core/circuits/circuit_evaluator.h"

namespace ce::core {

namespace {
std::string file_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}
}  // namespace

PromptMeanAblation prompt_mean_ablation(const Model& model, size_t length, Basis basis,
                                        const std::string& dataset, const std::vector<NodeRef>& nodes,
                                        const JobControl& control,
                                        std::shared_ptr<const DictionarySet> dictionaries) {
  std::vector<std::string> files;
  if (!dataset.empty()) files.push_back(dataset);
  try {
    files.push_back(default_datasets_dir() + "/capitals_paired.jsonl");
  } catch (const std::exception&) {
    // No resources folder: only the chosen dataset can serve.
  }
  PromptMeanAblation out;
  std::vector<std::string> tried, seen;
  for (const std::string& file : files) {
    if (std::find(seen.begin(), seen.end(), file) != seen.end()) continue;
    seen.push_back(file);
    const std::string name = file_name(file);
    try {
      std::vector<AttributionExample> fit;
      for (auto& e : load_paired_dataset(file, model.tokenizer()).examples) {
        if (e.patch.size() == length) fit.push_back(std::move(e));
      }
      if (fit.empty()) {
        tried.push_back("no patch prompt of " + name + " has this prompt's " + std::to_string(length) +
                        " tokens");
        continue;
      }
      const CircuitEvaluator ev(model, fit, basis, dictionaries, Ablation::Mean, control);
      const auto& v = ev.ablation_values();
      const size_t T = static_cast<size_t>(ev.positions()), W = static_cast<size_t>(ev.width());
      for (const auto& n : nodes) out.values.push_back(v[dense_offset(n, T, W)]);
      out.source = "mean over the " + std::to_string(fit.size()) + " patch prompts of " + name +
                   " with this prompt's length";
      if (!tried.empty()) out.source += " (" + joined(tried) + ")";
      return out;
    } catch (const Cancelled&) {
      throw;
    } catch (const std::exception& e) {
      tried.push_back(e.what());
    }
  }
  out.source = tried.empty() ? "no dataset to take means from" : joined(tried);
  return out;
}

}  // namespace ce::core
