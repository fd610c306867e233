#include "tokenizer/spm_plugin_loader.h"

#include <dlfcn.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <variant>

#include "ce/core/base/error.h"

namespace ce::core {
namespace {

std::optional<std::string> executable_dir() {
  std::string buffer(PATH_MAX, '\0');
  const ssize_t length = readlink("/proc/self/exe", buffer.data(), buffer.size());
  if (length <= 0 || static_cast<size_t>(length) >= buffer.size()) return std::nullopt;
  buffer.resize(static_cast<size_t>(length));
  const size_t slash = buffer.rfind('/');
  if (slash == std::string::npos) return std::nullopt;
  return buffer.substr(0, slash == 0 ? 1 : slash);
}

bool is_regular_file(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CE_SANITIZED_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CE_SANITIZED_BUILD 1
#endif
#endif

// RTLD_DEEPBIND makes libsentencepiece bind to its own embedded protobuf 3.14 before LibTorch's 3.21
// (without it, loading a model fails protobuf's version check, or worse). Sanitizer runtimes abort on
// DEEPBIND, so sanitized builds open the plugin in a fresh link-map namespace instead, which isolates it
// as well; the C API never lets memory cross allocators, so the namespace's own libc is harmless.
void* open_module(const std::string& path) {
#ifdef CE_SANITIZED_BUILD
  return dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
#else
  return dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
#endif
}

std::string last_dl_error() {
  const char* message = dlerror();
  return message == nullptr ? std::string("unknown dlopen error") : std::string(message);
}

// Resolves one symbol into a typed function pointer; returns an error message instead of throwing so
// that the caller can report every problem of a candidate at once.
template <typename Fn>
bool resolve(void* handle, const char* name, Fn*& target, std::string& error) {
  dlerror();
  void* symbol = dlsym(handle, name);
  if (symbol == nullptr) {
    if (!error.empty()) error += "; ";
    error += std::string("missing symbol ") + name;
    return false;
  }
  // POSIX guarantees that object and function pointers convert; the cast is how dlsym is meant to be used.
  target = reinterpret_cast<Fn*>(symbol);
  return true;
}

// Fills `plugin` from an opened module; returns "" or what is wrong with it.
std::string bind_plugin(void* handle, SpmPlugin& plugin) {
  std::string error;
  resolve(handle, "ce_spm_api_version", plugin.api_version, error);
  resolve(handle, "ce_spm_load", plugin.load, error);
  resolve(handle, "ce_spm_load_from_bytes", plugin.load_from_bytes, error);
  resolve(handle, "ce_spm_free", plugin.free_model, error);
  resolve(handle, "ce_spm_encode", plugin.encode, error);
  resolve(handle, "ce_spm_free_encoding", plugin.free_encoding, error);
  resolve(handle, "ce_spm_decode", plugin.decode, error);
  resolve(handle, "ce_spm_piece_size", plugin.piece_size, error);
  resolve(handle, "ce_spm_id_to_piece", plugin.id_to_piece, error);
  resolve(handle, "ce_spm_piece_to_id", plugin.piece_to_id, error);
  resolve(handle, "ce_spm_bos_id", plugin.bos_id, error);
  resolve(handle, "ce_spm_eos_id", plugin.eos_id, error);
  resolve(handle, "ce_spm_unk_id", plugin.unk_id, error);
  resolve(handle, "ce_spm_pad_id", plugin.pad_id, error);
  resolve(handle, "ce_spm_is_control", plugin.is_control, error);
  resolve(handle, "ce_spm_is_byte", plugin.is_byte, error);
  resolve(handle, "ce_spm_is_unknown", plugin.is_unknown, error);
  resolve(handle, "ce_spm_is_unused", plugin.is_unused, error);
  resolve(handle, "ce_spm_train", plugin.train, error);
  resolve(handle, "ce_spm_free_string", plugin.free_string, error);
  if (!error.empty()) return error;
  const int version = plugin.api_version();
  if (version != CE_SPM_API_VERSION) {
    return "plugin API version " + std::to_string(version) + ", expected " +
           std::to_string(CE_SPM_API_VERSION);
  }
  return {};
}

}  // namespace

std::string SpmPlugin::take_string(char* text) const {
  if (text == nullptr) return {};
  std::string result(text);
  free_string(text);
  return result;
}

std::vector<std::string> spm_plugin_candidates() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("CE_SPM_PLUGIN"); env != nullptr && env[0] != '\0') {
    candidates.emplace_back(env);
  }
  if (const auto dir = executable_dir()) {
    candidates.push_back(*dir + "/" CE_SPM_PLUGIN_FILE_NAME);
    candidates.push_back(*dir + "/../lib/circuit-explorer/" CE_SPM_PLUGIN_FILE_NAME);
  }
#ifdef CE_PLUGIN_INSTALL_DIR
  candidates.push_back(CE_PLUGIN_INSTALL_DIR "/" CE_SPM_PLUGIN_FILE_NAME);
#endif
  return candidates;
}

SpmPlugin open_spm_plugin(const std::vector<std::string>& candidates) {
  std::string searched;
  for (const std::string& path : candidates) {
    searched += "\n  " + path;
    if (!is_regular_file(path)) {
      searched += " (not found)";
      continue;
    }
    dlerror();
    void* handle = open_module(path);
    if (handle == nullptr) {
      searched += " (dlopen failed: " + last_dl_error() + ")";
      continue;
    }
    SpmPlugin plugin{};
    plugin.path = path;
    const std::string problem = bind_plugin(handle, plugin);
    if (problem.empty()) return plugin;
    // Not ours or a stale build: close it and keep looking.
    dlclose(handle);
    searched += " (unusable: " + problem + ")";
  }
  if (candidates.empty()) searched = "\n  (no candidate paths)";
  throw Error("SentencePiece plugin " CE_SPM_PLUGIN_FILE_NAME
              " not found or not loadable (set CE_SPM_PLUGIN to its full path); searched:" +
              searched);
}

const SpmPlugin& spm_plugin() {
  // The search runs once; a failure is remembered so that every caller gets the same clear message
  // instead of paying for the search again.
  static const std::variant<SpmPlugin, std::string> state = []() -> std::variant<SpmPlugin, std::string> {
    try {
      return open_spm_plugin(spm_plugin_candidates());
    } catch (const Error& e) {
      return std::string(e.what());
    }
  }();
  if (const auto* message = std::get_if<std::string>(&state)) throw Error(*message);
  return std::get<SpmPlugin>(state);
}

void train_sentencepiece(const std::string& args) {
  const SpmPlugin& plugin = spm_plugin();
  const std::string error = plugin.take_string(plugin.train(args.c_str()));
  if (!error.empty()) throw Error("SentencePiece training failed: " + error);
}

}  // namespace ce::core
