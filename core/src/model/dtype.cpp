#include "ce/core/model/dtype.h"

#include "io/loader_util.h"

namespace ce::core {

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return 4;
    case DType::BF16:
    case DType::F16:
      return 2;
  }
  return 0;  // unreachable for valid enumerators; keeps -Wreturn-type quiet
}

std::string dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return "F32";
    case DType::BF16:
      return "BF16";
    case DType::F16:
      return "F16";
  }
  return "?";
}

std::string dtype_short_name(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return "f32";
    case DType::BF16:
      return "bf16";
    case DType::F16:
      return "f16";
  }
  return "?";
}

std::optional<DType> parse_dtype(const std::string& name) {
  const std::string lower = detail::ascii_lower(name);
  if (lower == "f32") return DType::F32;
  if (lower == "bf16") return DType::BF16;
  if (lower == "f16") return DType::F16;
  return std::nullopt;
}

}  // namespace ce::core
