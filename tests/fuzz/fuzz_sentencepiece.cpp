// tokenizer.model as Tokenizer::from_file sees it: sniffed as tiktoken or SentencePiece, the latter parsed by
// the plugin (libsentencepiece, uninstrumented, in its own link-map namespace). Coverage guidance therefore
// stops at the plugin's C API; the target still checks that no input crashes it or escapes the error rule.
#include "ce/core/tokenizer/tokenizer.h"
#include "fuzz_target.h"
#include "fuzz_tokenizers.h"

CE_FUZZ_TARGET(sentencepiece) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string path = ce::fuzz::write_scratch("tokenizer.model", data, size);
  ce::fuzz::run_guarded(
      [&] {
        const auto tok = ce::core::Tokenizer::from_file(path);
        ce::fuzz::exercise_tokenizer(*tok);
      },
      path, input);
}
