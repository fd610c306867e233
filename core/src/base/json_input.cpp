#include "base/json_input.h"

#include <climits>
#include <cstring>
#include <fstream>

#include "ce/core/base/files.h"
#include "io/loader_util.h"

namespace ce::core {

std::string json_error_text(const std::exception& e) {
  const char* text = e.what();
  if (std::strncmp(text, "[json.exception.", 16) == 0) {
    const char* end = std::strstr(text, "] ");
    if (end) text = end + 2;
  }
  return detail::printable(text, true);  // nlohmann quotes the raw bytes it choked on
}

nlohmann::json parse_json(const std::string& text, const std::string& name) {
  try {
    return nlohmann::json::parse(text, [&name](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > kMaxJsonDepth) {
        throw Error(name + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
      }
      return true;
    });
  } catch (const nlohmann::json::exception& e) {
    throw Error(name + ": not valid JSON (" + json_error_text(e) + ")");
  }
}

namespace {

[[noreturn]] void wrong_kind(const nlohmann::json& value, const std::string& where, const char* expected) {
  const std::string found = value.type_name();
  const bool vowel = found[0] == 'o' || found[0] == 'a';
  throw Error(where + ": expected " + expected + ", found " +
              (value.is_null() ? found : (vowel ? "an " : "a ") + found));
}

// The `where` of a member: "tokenizer.json: model" + "vocab" -> "tokenizer.json: model.vocab", and for a
// file's top level "tokenizer_config.json" + "bos_token" -> "tokenizer_config.json: bos_token".
std::string member_where(const std::string& where, const char* key) {
  return where + (where.find(": ") == std::string::npos ? ": " : ".") + key;
}

}  // namespace

std::string json_string(const nlohmann::json& value, const std::string& where) {
  if (!value.is_string()) wrong_kind(value, where, "a string");
  return value.get_ref<const std::string&>();
}

long long json_integer(const nlohmann::json& value, const std::string& where) {
  if (value.is_number_unsigned()) {
    const auto u = value.get<nlohmann::json::number_unsigned_t>();
    if (u > static_cast<nlohmann::json::number_unsigned_t>(LLONG_MAX)) {
      throw Error(where + ": " + std::to_string(u) + " is out of range");
    }
    return static_cast<long long>(u);
  }
  if (!value.is_number_integer()) wrong_kind(value, where, "an integer");
  return value.get<long long>();
}

bool json_bool(const nlohmann::json& value, const std::string& where) {
  if (!value.is_boolean()) wrong_kind(value, where, "true or false");
  return value.get<bool>();
}

const nlohmann::json* json_optional(const nlohmann::json& object, const char* key, const std::string& where) {
  if (!object.is_object()) wrong_kind(object, where, "an object");
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

const nlohmann::json& json_member(const nlohmann::json& object, const char* key, const std::string& where) {
  if (!object.is_object()) wrong_kind(object, where, "an object");
  const auto it = object.find(key);
  if (it == object.end()) throw Error(where + ": missing \"" + key + "\"");
  return *it;
}

std::string json_string_or(const nlohmann::json& object, const char* key, const std::string& fallback,
                           const std::string& where) {
  const nlohmann::json* v = json_optional(object, key, where);
  return v ? json_string(*v, member_where(where, key)) : fallback;
}

bool json_bool_or(const nlohmann::json& object, const char* key, bool fallback, const std::string& where) {
  const nlohmann::json* v = json_optional(object, key, where);
  return v ? json_bool(*v, member_where(where, key)) : fallback;
}

void for_each_json_line(const std::string& path, const std::string& what,
                        const std::function<bool(const nlohmann::json& line, const std::string& where)>& each) {
  refuse_special_file(path);  // a FIFO would block the stream below
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open " + what);
  std::string line;
  for (size_t number = 1; std::getline(f, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(number);
    const nlohmann::json j = parse_json(line, where);
    if (!j.is_object()) throw Error(where + ": not a JSON object");
    if (!each(j, where)) return;
  }
}

}  // namespace ce::core
