// The tiktoken rank file (Meta's Llama 3 tokenizer.model): "<base64> <rank>" lines, then tokenization.
#include <string>

#include "fuzz_target.h"
#include "fuzz_tokenizers.h"
#include "tokenizer/bpe_tokenizer.h"

CE_FUZZ_TARGET(tiktoken) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string text(reinterpret_cast<const char*>(data), size);
  ce::fuzz::run_guarded(
      [&] {
        const auto tok = ce::core::BpeTokenizer::from_tiktoken(text, "tokenizer.model");
        ce::fuzz::exercise_tokenizer(*tok);
      },
      "tokenizer.model", input);
}
