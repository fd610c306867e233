// tokenizer_config.json beside a small valid tokenizer.json (fixtures/): add_bos_token, bos/eos tokens given as
// strings or objects, the chat template check, then tokenization with what it configured.
#include "ce/core/tokenizer/chat_format.h"
#include "ce/core/tokenizer/tokenizer.h"
#include "fuzz_target.h"
#include "fuzz_tokenizers.h"

CE_FUZZ_TARGET(tokenizer_config) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string dir = ce::fuzz::scratch_folder("tokcfg", {"tokenizer.json"});
  ce::fuzz::write_scratch("tokcfg/tokenizer_config.json", data, size);
  (void)ce::core::has_chat_template(dir);  // throws nothing, by contract
  ce::fuzz::run_guarded(
      [&] {
        const auto tok = ce::core::Tokenizer::from_model_dir(dir);
        ce::fuzz::exercise_tokenizer(*tok);
      },
      "tokenizer_config.json", input);
}
