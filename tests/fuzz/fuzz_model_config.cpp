// config.json: a config that parses must also survive what the loader does next with it (the parameter count,
// the memory estimate's arithmetic) and write itself back as JSON that parses to the same config.
#include <string>

#include "ce/core/model/model_config.h"
#include "fuzz_target.h"

CE_FUZZ_TARGET(model_config) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string text(reinterpret_cast<const char*>(data), size);
  ce::fuzz::run_guarded(
      [&] {
        const auto config = ce::core::ModelConfig::from_json(text, "config.json");
        (void)config.parameter_count();
        const std::string back = config.to_json();
        const auto again = ce::core::ModelConfig::from_json(back, "config.json (written back)");
        if (again.to_json() != back) {
          std::fprintf(stderr, "ce-fuzz: config.json does not round-trip:\n%s\n%s\n", back.c_str(),
                       again.to_json().c_str());
          std::abort();
        }
      },
      "config.json", input);
}
