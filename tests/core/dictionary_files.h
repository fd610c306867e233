// Dictionary folders written by the tests (SAELens layout), shared by the dictionary and feature-basis suites.
// White-box: includes torch and core's safetensors writer.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "io/safetensors_writer.h"

namespace ce::test {

using Tensors = std::map<std::string, torch::Tensor>;

inline void write_text(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// Every tensor as F32, in one safetensors file.
inline void write_tensors(const std::string& path, const Tensors& tensors) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  ce::core::SafetensorsWriter w;
  for (const auto& [name, t] : tensors) {
    const torch::Tensor c = t.to(torch::kFloat32).contiguous();
    w.add(name, ce::core::DType::F32, c.sizes().vec(), c.data_ptr<float>());
  }
  w.write(path);
}

// A SAELens folder `dir` (cfg.json + sae_weights.safetensors) of a random dictionary reading width d with n
// features at `hook`: architecture "standard", "jumprelu" (threshold) or "topk" (give k in `extra`), or
// "transcoder" (give d_out and hook_name_out in `extra`; b_dec is not applied to its input, as SAELens
// requires). Deterministic for a seed.
inline std::string random_saelens(const std::string& dir, int64_t d, int64_t n, const std::string& hook,
                                  const std::string& arch, const std::string& extra, uint64_t seed) {
  torch::manual_seed(seed);
  Tensors w{{"W_enc", torch::randn({d, n}) / std::sqrt(static_cast<double>(d))},
            {"b_enc", torch::randn({n}) * 0.1},
            {"W_dec", torch::randn({n, d}) / std::sqrt(static_cast<double>(n))},
            {"b_dec", torch::randn({d}) * 0.1}};
  if (arch == "jumprelu") w["threshold"] = torch::rand({n}) * 0.5;
  write_text(dir + "/cfg.json", R"({"architecture": ")" + arch + R"(", "d_in": )" + std::to_string(d) +
                                    R"(, "d_sae": )" + std::to_string(n) + R"(, "hook_name": ")" + hook +
                                    R"(", "apply_b_dec_to_input": )" +
                                    (arch.find("transcoder") == std::string::npos ? "true" : "false") + extra + "}");
  write_tensors(dir + "/sae_weights.safetensors", w);
  return dir;
}

}  // namespace ce::test
