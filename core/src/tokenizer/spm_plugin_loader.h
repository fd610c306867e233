// Finds and opens the SentencePiece plugin (libce_spm.so) and exposes its C functions.
// Private to ce_core. ce_core never links sentencepiece itself; see spm_plugin_api.h for why.
#pragma once

#include <string>
#include <vector>

// Relative so that white-box tests can include this header without ce_core's private include paths.
#include "../../plugins/spm/spm_plugin_api.h"

namespace ce::core {

// The plugin's C functions, resolved with dlsym. Every pointer is non-null in a loaded SpmPlugin.
// The module is never closed: models created through it may live until process exit.
struct SpmPlugin {
  std::string path;  // the file that was opened

  int (*api_version)();
  ce_spm_model* (*load)(const char* path, char** error);
  ce_spm_model* (*load_from_bytes)(const char* data, size_t size, char** error);
  void (*free_model)(ce_spm_model* model);
  char* (*encode)(const ce_spm_model* model, const char* text, size_t size, int want_pieces,
                  ce_spm_encoding* out);
  void (*free_encoding)(ce_spm_encoding* encoding);
  char* (*decode)(const ce_spm_model* model, const int32_t* ids, size_t count, char** text, size_t* size);
  int32_t (*piece_size)(const ce_spm_model* model);
  const char* (*id_to_piece)(const ce_spm_model* model, int32_t id, size_t* size);
  int32_t (*piece_to_id)(const ce_spm_model* model, const char* piece, size_t size);
  int32_t (*bos_id)(const ce_spm_model* model);
  int32_t (*eos_id)(const ce_spm_model* model);
  int32_t (*unk_id)(const ce_spm_model* model);
  int32_t (*pad_id)(const ce_spm_model* model);
  int (*is_control)(const ce_spm_model* model, int32_t id);
  int (*is_byte)(const ce_spm_model* model, int32_t id);
  int (*is_unknown)(const ce_spm_model* model, int32_t id);
  int (*is_unused)(const ce_spm_model* model, int32_t id);
  char* (*train)(const char* args);
  void (*free_string)(char* text);

  // Takes ownership of a plugin-allocated error/text string and returns it as std::string ("" for null).
  std::string take_string(char* text) const;
};

// The process-wide plugin, found and opened on first use (thread-safe; later calls return the same
// object, or rethrow the same Error if the first attempt failed: the search runs once per process).
// Search order: $CE_SPM_PLUGIN (a full file path), the folder of the running executable,
// <exe dir>/../lib/circuit-explorer/, then the install folder CE_PLUGIN_INSTALL_DIR.
// Throws Error listing the places searched, with dlerror() text for files that failed to open.
const SpmPlugin& spm_plugin();

// The candidate files spm_plugin() tries, in order (reads the environment and /proc/self/exe now).
std::vector<std::string> spm_plugin_candidates();

// Opens the first candidate that exists and loads as a plugin of this API version, without caching.
// The caller owns the result; the module itself stays loaded. Throws Error as spm_plugin() does.
SpmPlugin open_spm_plugin(const std::vector<std::string>& candidates);

// Trains a SentencePiece model through the plugin (SentencePieceTrainer::Train(args); see
// ce_spm_train in spm_plugin_api.h). Throws Error with SentencePiece's message on failure.
void train_sentencepiece(const std::string& args);

}  // namespace ce::core
