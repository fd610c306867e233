// Element types of stored and computed tensors.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace ce::core {

enum class DType { F32, BF16, F16 };

// All functions here are pure and thread-safe; none throws.

// Size of one element in bytes.
std::size_t dtype_size(DType dtype);
// Safetensors spelling: "F32", "BF16", "F16".
std::string dtype_name(DType dtype);
// CLI spelling: "f32", "bf16", "f16".
std::string dtype_short_name(DType dtype);
// Parses either spelling, case-insensitively; std::nullopt when unknown.
std::optional<DType> parse_dtype(const std::string& name);

}  // namespace ce::core
