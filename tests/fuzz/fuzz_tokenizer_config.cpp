// tokenizer_config.json beside a small valid tokenizer.json (fixtures/): add_bos_token, bos/eos tokens given as
// strings or objects, the chat template check, and the chat format built from what it names.
#include <filesystem>

#include "ce/core/tokenizer/chat_format.h"
#include "ce/core/tokenizer/tokenizer.h"
#include "fuzz_target.h"
#include "fuzz_tokenizers.h"

namespace {

std::string model_dir() {
  static const std::string dir = [] {
    namespace fs = std::filesystem;
    const fs::path d = fs::path(ce::fuzz::scratch_dir()) / "tokcfg";
    fs::create_directories(d);
    fs::copy_file(fs::path(ce::fuzz::source_dir()) / "fixtures" / "tokenizer.json", d / "tokenizer.json",
                  fs::copy_options::overwrite_existing);
    return d.string();
  }();
  return dir;
}

}  // namespace

CE_FUZZ_TARGET(tokenizer_config) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string dir = model_dir();
  ce::fuzz::write_scratch("tokcfg/tokenizer_config.json", data, size);
  (void)ce::core::has_chat_template(dir);  // throws nothing, by contract
  ce::fuzz::run_guarded(
      [&] {
        const auto tok = ce::core::Tokenizer::from_model_dir(dir);
        ce::fuzz::exercise_tokenizer(*tok);
      },
      "tokenizer_config.json", input);
}
