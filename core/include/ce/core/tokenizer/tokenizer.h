// Text <-> token ids for Llama-family models.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ce::core {

// Implementations: SentencePiece (tokenizer.model protobuf, loaded through a dlopen'ed plugin) and
// byte-level BPE (Llama 3: HF tokenizer.json or tiktoken-format tokenizer.model).
// Thread rules: a loaded Tokenizer is immutable; const methods may be called from any thread.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Encodes plain text. Special-token strings such as "<|eot_id|>" or "<s>" are NOT parsed unless
  // parse_special is true. add_bos prepends bos_id(). Never throws on any UTF-8 or invalid-UTF-8 input.
  virtual std::vector<int> encode(const std::string& text, bool add_bos, bool parse_special = false) const = 0;
  // Concatenated text of the ids (special tokens rendered as their strings, byte pieces merged).
  // Throws Error for an id outside [0, vocab_size()).
  virtual std::string decode(const std::vector<int>& ids) const = 0;
  // Human-readable piece of one id: SentencePiece's piece ("▁Once", "<0x0A>") or the BPE token's UTF-8
  // text (invalid UTF-8 bytes shown as "\xNN"). Throws Error for an id out of range.
  virtual std::string piece(int id) const = 0;
  virtual int vocab_size() const = 0;
  virtual int bos_id() const = 0;
  virtual int eos_id() const = 0;
  // Id of a special/control token by its string ("<|eot_id|>"), if the vocabulary has it.
  virtual std::optional<int> special_id(const std::string& text) const = 0;
  // "sentencepiece" or "bpe".
  virtual std::string kind() const = 0;

  // Whether encode() should add BOS by default (tokenizer_config.json add_bos_token; true when absent).
  bool default_add_bos() const { return default_add_bos_; }
  void set_default_add_bos(bool value) { default_add_bos_ = value; }

  // Loads a tokenizer file by content: SentencePiece protobuf, tiktoken ranks (base64 + rank lines) or
  // HF tokenizer.json (byte-level BPE). Throws Error naming the file when it is missing or unreadable.
  static std::unique_ptr<Tokenizer> from_file(const std::string& path);
  // Picks the tokenizer of a model folder: tokenizer.model if it is SentencePiece, else tokenizer.json
  // (byte-level BPE), else original/tokenizer.model or tokenizer.model as tiktoken ranks. Applies
  // tokenizer_config.json's add_bos_token and special tokens. Throws Error when none is usable.
  static std::unique_ptr<Tokenizer> from_model_dir(const std::string& dir);

 private:
  bool default_add_bos_ = true;
};

}  // namespace ce::core
