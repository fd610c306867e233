// SentencePiece tokenizer (Llama 1/2, stories260K) on top of the libce_spm.so plugin. Private to ce_core.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ce/core/tokenizer/tokenizer.h"
#include "tokenizer/spm_plugin_loader.h"

namespace ce::core {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Loads a serialized SentencePiece ModelProto (`bytes`, e.g. the content of tokenizer.model).
  // `name` (usually the file path) prefixes error messages. Throws Error when the plugin is missing or
  // SentencePiece rejects the data.
  static std::unique_ptr<SentencePieceTokenizer> from_bytes(const std::string& bytes,
                                                            const std::string& name);

  ~SentencePieceTokenizer() override;

  // parse_special splits the text on control-token strings ("<s>", "</s>") first; each text segment is
  // then encoded by its own SentencePiece call, so each gets SentencePiece's dummy-prefix "▁" (as HF's
  // legacy LlamaTokenizer does).
  std::vector<int> encode(const std::string& text, bool add_bos, bool parse_special = false) const override;
  // Like encode(), and also returns SentencePiece's piece strings (for <unk>, the surface text).
  std::vector<int> encode_with_pieces(const std::string& text, bool add_bos, bool parse_special,
                                      std::vector<std::string>* pieces) const;
  // Control tokens are rendered as their piece strings ("<s>"); the ids between them are decoded by
  // SentencePiece (which drops the dummy-prefix space at the start of each such run).
  std::string decode(const std::vector<int>& ids) const override;
  std::string piece(int id) const override;
  int vocab_size() const override { return vocab_size_; }
  int bos_id() const override { return bos_id_; }
  int eos_id() const override { return eos_id_; }
  // Control tokens and the unknown token, by their piece strings.
  std::optional<int> special_id(const std::string& text) const override;
  std::string kind() const override { return "sentencepiece"; }

 private:
  SentencePieceTokenizer(const SpmPlugin& plugin, ce_spm_model* model, std::string name);
  void encode_plain(const std::string& text, std::vector<int>& ids, std::vector<std::string>* pieces) const;
  void check_id(int id) const;

  const SpmPlugin& plugin_;
  ce_spm_model* model_;  // owned; freed through the plugin
  std::string name_;
  int vocab_size_ = 0;
  int bos_id_ = -1;
  int eos_id_ = -1;
  std::vector<bool> is_control_;
  std::unordered_map<std::string, int> specials_;  // control + unknown pieces
  std::vector<std::string> control_strings_;       // non-empty control pieces, longest first
  std::array<bool, 256> control_first_bytes_{};    // quick reject while scanning for them
};

}  // namespace ce::core
