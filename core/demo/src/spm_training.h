// The demo model's SentencePiece tokenizer: training it through the plugin so that equal runs give
// byte-identical tokenizer.model files, and the tokenizer_config.json that goes beside it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ce::core::training {

// Trains SentencePiece BPE of `vocab_size` pieces on `corpus` (one document per line), keeping every
// string of `symbols` one piece, with SentencePiece's files under `work_dir`. Writes the model to
// `model_path` with the temporary paths it records replaced by fixed names. Throws Error on failure.
void train_spm_tokenizer(const std::filesystem::path& corpus, const std::filesystem::path& work_dir,
                         int vocab_size, const std::vector<std::string>& symbols,
                         const std::filesystem::path& model_path);

// The HF tokenizer_config.json of the demo model (LlamaTokenizer, BOS added, no EOS, no padding token).
std::string tokenizer_config_json(int64_t max_length);

}  // namespace ce::core::training
