// Plain C interface of the SentencePiece plugin libce_spm.so.
//
// Why a plugin: Debian's libsentencepiece embeds protobuf 3.14 and exports its symbols, while LibTorch
// links protobuf 3.21; both in one symbol namespace crash at start-up. So only this module links
// sentencepiece; ce_core opens it with dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND) (sanitized builds:
// dlmopen(LM_ID_NEWLM), as sanitizers refuse DEEPBIND) and calls the functions below, found with dlsym
// by name. Nothing C++ crosses the boundary: no exceptions, no std:: types, and no memory that the caller
// must free with its own allocator (the plugin may even run with its own libc in another namespace).
//
// Memory ownership, one rule for every function:
//   - Inputs are caller-owned and only read during the call.
//   - Outputs that the plugin allocates (error strings, encodings, decoded text) belong to the caller
//     afterwards and must be released with the matching ce_spm_free_* function of this plugin, never with
//     free()/delete of the caller.
//   - ce_spm_id_to_piece returns a pointer into the model; it stays valid until ce_spm_free(model).
//
// Errors: functions that can fail return a `char*` error message (NUL-terminated, plugin-allocated,
// release with ce_spm_free_string) or NULL on success. No function throws or aborts, except that
// SentencePiece's trainer itself may abort the process on some invalid arguments (its CHECK macros).
//
// Threads: a loaded model is immutable; every function taking `const ce_spm_model*` may be called from
// several threads at once. ce_spm_free must not race with other calls on the same model.
#ifndef CE_SPM_PLUGIN_API_H_
#define CE_SPM_PLUGIN_API_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CE_SPM_EXPORT __attribute__((visibility("default")))

// Bumped whenever a signature or a struct below changes; the loader refuses other versions.
#define CE_SPM_API_VERSION 1
// File name of the module that the loader searches for.
#define CE_SPM_PLUGIN_FILE_NAME "libce_spm.so"

// Opaque handle of one loaded SentencePiece model (a SentencePieceProcessor).
typedef struct ce_spm_model ce_spm_model;

// Result of ce_spm_encode. All arrays are plugin-allocated; release with ce_spm_free_encoding.
typedef struct ce_spm_encoding {
  int32_t* ids;  // `count` token ids
  size_t count;
  // Piece strings (SentencePiece's pieces, e.g. "\xe2\x96\x81Once"), only when requested:
  // piece i is pieces[piece_ends[i - 1] .. piece_ends[i]) with piece_ends[-1] taken as 0.
  // Both are NULL when pieces were not requested or count is 0.
  char* pieces;
  size_t* piece_ends;
} ce_spm_encoding;

// Returns CE_SPM_API_VERSION of the plugin build.
CE_SPM_EXPORT int ce_spm_api_version(void);

// Loads a serialized ModelProto from a file (`path`, NUL-terminated) or from memory (`data`, `size`
// bytes). Returns the model, or NULL with *error set (plugin-allocated) when it cannot be loaded.
// `error` may be NULL if the caller does not want the message.
CE_SPM_EXPORT ce_spm_model* ce_spm_load(const char* path, char** error);
CE_SPM_EXPORT ce_spm_model* ce_spm_load_from_bytes(const char* data, size_t size, char** error);
// Releases a model (NULL is ignored). Pointers from ce_spm_id_to_piece die with it.
CE_SPM_EXPORT void ce_spm_free(ce_spm_model* model);

// Encodes `text` (`size` bytes, need not be NUL-terminated; any bytes, SentencePiece handles invalid
// UTF-8 itself) without BOS/EOS; control-token strings in the text are not parsed. Fills *out (whose
// previous content is ignored); want_pieces != 0 also fills the piece arrays. Returns NULL or an error;
// on error *out is left empty (all NULL / 0).
CE_SPM_EXPORT char* ce_spm_encode(const ce_spm_model* model, const char* text, size_t size, int want_pieces,
                                  ce_spm_encoding* out);
// Releases the arrays of an encoding (not the struct itself, which is caller-owned) and zeroes it.
CE_SPM_EXPORT void ce_spm_free_encoding(ce_spm_encoding* encoding);

// Decodes ids to text (SentencePiece's rules: control tokens give "", the leading dummy-prefix space is
// removed, byte pieces are joined). On success *text (plugin-allocated, NUL-terminated; release with
// ce_spm_free_string) and *size (bytes, without the NUL) are set. Ids out of range are an error.
CE_SPM_EXPORT char* ce_spm_decode(const ce_spm_model* model, const int32_t* ids, size_t count, char** text,
                                  size_t* size);

// Vocabulary queries. Out-of-range ids give NULL / 0.
CE_SPM_EXPORT int32_t ce_spm_piece_size(const ce_spm_model* model);
// Piece of an id; *size (if not NULL) gets its length in bytes. Points into the model (see above).
CE_SPM_EXPORT const char* ce_spm_id_to_piece(const ce_spm_model* model, int32_t id, size_t* size);
// Id of a piece string, or the unknown id when the piece is not in the vocabulary.
CE_SPM_EXPORT int32_t ce_spm_piece_to_id(const ce_spm_model* model, const char* piece, size_t size);
// Reserved ids; -1 when the model defines none.
CE_SPM_EXPORT int32_t ce_spm_bos_id(const ce_spm_model* model);
CE_SPM_EXPORT int32_t ce_spm_eos_id(const ce_spm_model* model);
CE_SPM_EXPORT int32_t ce_spm_unk_id(const ce_spm_model* model);
CE_SPM_EXPORT int32_t ce_spm_pad_id(const ce_spm_model* model);
// Piece types: 1 if true, 0 if false or out of range.
CE_SPM_EXPORT int ce_spm_is_control(const ce_spm_model* model, int32_t id);
CE_SPM_EXPORT int ce_spm_is_byte(const ce_spm_model* model, int32_t id);
CE_SPM_EXPORT int ce_spm_is_unknown(const ce_spm_model* model, int32_t id);
CE_SPM_EXPORT int ce_spm_is_unused(const ce_spm_model* model, int32_t id);

// Trains a model: `args` is SentencePieceTrainer's command-line string, e.g.
// "--input=corpus.txt --model_prefix=/tmp/m --vocab_size=512 --model_type=bpe --byte_fallback=true",
// which writes <model_prefix>.model and <model_prefix>.vocab. Returns NULL on success or an error.
// SentencePiece logs progress to stderr (quiet it with --minloglevel=2). Blocking; not reentrant-safe
// with other trainings that share output files.
CE_SPM_EXPORT char* ce_spm_train(const char* args);

// Releases a string returned by this plugin (error messages, decoded text). NULL is ignored.
CE_SPM_EXPORT void ce_spm_free_string(char* text);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // CE_SPM_PLUGIN_API_H_
