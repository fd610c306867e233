#include "ce/core/base/resources.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "ce/core/base/error.h"

namespace ce::core {

namespace fs = std::filesystem;

namespace {

std::string executable_dir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  return fs::path(buf).parent_path().string();
}

}  // namespace

std::string resources_dir() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("CE_RESOURCES_DIR"); env && *env) candidates.emplace_back(env);
  const std::string exe = executable_dir();
  if (!exe.empty()) candidates.push_back((fs::path(exe) / ".." / "share" / "circuit-explorer").string());
  candidates.emplace_back(CE_SOURCE_RESOURCES_DIR);
  std::string tried;
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_directory(fs::path(c) / "models", ec)) return fs::weakly_canonical(c, ec).string();
    tried += (tried.empty() ? "" : ", ") + c;
  }
  throw Error("no Circuit Explorer resources folder found (searched " + tried +
              "); set CE_RESOURCES_DIR or pass --model DIR");
}

std::string default_model_dir() {
  const std::string dir = (fs::path(resources_dir()) / "models" / "geo").string();
  if (!fs::exists(fs::path(dir) / "config.json")) {
    throw Error("the demo model is missing from " + dir +
                " (retrain it with: circuit-trace train-demo --out " + dir + "), or pass --model DIR");
  }
  return dir;
}

std::string default_datasets_dir() { return (fs::path(resources_dir()) / "datasets").string(); }

}  // namespace ce::core
