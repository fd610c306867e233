// How large a tokenizer's files may be. Internal to ce_core.
#pragma once

#include <cstdint>

namespace ce::core {

// tokenizer.json, tokenizer.model (SentencePiece or tiktoken): the largest published ones are tens of MB.
constexpr uint64_t kMaxTokenizerBytes = uint64_t{512} << 20;
// tokenizer_config.json: added tokens and chat templates, a few hundred kB at most.
constexpr uint64_t kMaxTokenizerConfigBytes = uint64_t{64} << 20;

}  // namespace ce::core
