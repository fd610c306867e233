// Small helpers shared by the model-folder loader sources (not part of the public API).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ce::core::detail {

// "[172, 64]": the spelling every loader message uses for shapes.
inline std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

// ASCII lower case: names on the command line and in files are matched case-insensitively.
inline std::string ascii_lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// Text from a file, made safe for a one-line message shown in a terminal or a Qt label: control characters
// become '?', long text is cut. `ascii_only` also replaces bytes >= 0x80, for text that may not be valid
// UTF-8 (nlohmann's parse errors quote the raw bytes they choked on).
inline std::string printable(const std::string& text, bool ascii_only = false, std::size_t max_len = 200) {
  std::string out;
  for (char c : text) {
    if (out.size() >= max_len) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    const bool ok = u >= 0x20 && u != 0x7f && (!ascii_only || u < 0x80);
    out.push_back(ok ? c : '?');
  }
  return out;
}

// A JSON value for an error message. Arrays and objects are only named: dump() recurses, and a hostile
// file can nest a million levels deep within the size limits.
inline std::string json_excerpt(const nlohmann::json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_structured()) return "a nested array";
    }
  }
  return printable(value.dump());  // flat: dump() is one level deep
}

}  // namespace ce::core::detail
