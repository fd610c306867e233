// tokenizer.json (byte-level BPE): vocabulary, merges in both spellings, added tokens, pre-tokenizer trees
// with user regexes; then tokenization with what was loaded.
#include <string>

#include "fuzz_target.h"
#include "fuzz_tokenizers.h"
#include "tokenizer/bpe_tokenizer.h"

CE_FUZZ_TARGET(tokenizer_json) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string text(reinterpret_cast<const char*>(data), size);
  ce::fuzz::run_guarded(
      [&] {
        const auto tok = ce::core::BpeTokenizer::from_tokenizer_json(text, "tokenizer.json");
        ce::fuzz::exercise_tokenizer(*tok);
      },
      "tokenizer.json", input);
}
