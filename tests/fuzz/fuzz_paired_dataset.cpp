// Paired JSON Lines datasets (Marks et al.'s format), tokenized with the small tokenizer of fixtures/.
#include <filesystem>

#include "ce/core/circuits/attribution_example.h"
#include "ce/core/tokenizer/tokenizer.h"
#include "fuzz_target.h"

CE_FUZZ_TARGET(paired_dataset) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const auto tokenizer =
      ce::core::Tokenizer::from_file(ce::fuzz::source_dir() + "/fixtures/tokenizer.json");
  const std::string path = ce::fuzz::write_scratch("data.jsonl", data, size);
  ce::fuzz::run_guarded([&] { (void)ce::core::load_paired_dataset(path, *tokenizer, 4); }, path, input);
}
