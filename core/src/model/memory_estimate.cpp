#include "ce/core/model/memory_estimate.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "ce/core/base/error.h"

namespace ce::core {

namespace {
bool has_safetensors_suffix(const std::string& name) {
  static const std::string suffix = ".safetensors";
  if (name.size() < suffix.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), name.rbegin(),
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}
}  // namespace

double estimate_model_bytes(const std::string& dir) {
  namespace fs = std::filesystem;
  double files = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || !has_safetensors_suffix(name)) continue;
    std::error_code fec;
    if (!fs::is_regular_file(it->path(), fec)) continue;  // follows links, as the loader does
    const auto size = fs::file_size(it->path(), fec);
    if (!fec) files += static_cast<double>(size);
  }
  const double widened = files < 2.0e9 ? 2 * files : files;
  return widened * 1.1 + 256.0 * (1 << 20);
}

double available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024.0;
  }
  return -1;
}

std::string check_model_fits(const std::string& dir, const Device& device) {
  const double need = estimate_model_bytes(dir);
  double avail = available_memory_bytes();
  std::string where = "available";
  if (device.is_cuda()) {
    const auto gpu = device_memory(device);
    avail = gpu ? static_cast<double>(gpu->free) : -1;
    where = "free on " + device.name();
  }
  char text[160];
  std::snprintf(text, sizeof text, "about %.2f GB needed, %.2f GB %s", need / 1e9, avail < 0 ? 0.0 : avail / 1e9,
                where.c_str());
  if (avail > 0 && need > avail) {
    throw Error(dir + ": the model needs " + text + "; " +
                (device.is_cuda() ? "free the GPU or run on the CPU" : "close other programs or choose a smaller model"));
  }
  return text;
}

}  // namespace ce::core
