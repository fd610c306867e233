// The safetensors header and tensor table: SafetensorsFile::open validates everything before returning, so
// every tensor it returns must be readable end to end.
#include "fuzz_target.h"
#include "io/safetensors_file.h"

CE_FUZZ_TARGET(safetensors) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string path = ce::fuzz::write_scratch("model.safetensors", data, size);
  ce::fuzz::run_guarded(
      [&] {
        const auto file = ce::core::SafetensorsFile::open(path);
        unsigned sum = 0;
        for (const auto& [name, entry] : file->tensors()) {
          (void)entry.numel();
          if (entry.byte_size == 0) continue;
          const auto* bytes = static_cast<const unsigned char*>(entry.data);
          sum += bytes[0] + bytes[entry.byte_size - 1];  // ASan: both ends lie inside the mapping
        }
        (void)sum;
      },
      path, input);
}
