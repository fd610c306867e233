// JSON as the program reads it from users' files: bounded parsing and typed reads whose errors name the file
// and the field. Internal to ce_core.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "ce/core/base/error.h"

namespace ce::core {

// Deeper than any real config, tokenizer, index or dataset line. nlohmann's parser is iterative, but the code
// that walks a parsed document (nested pre-tokenizer sequences, error excerpts) recurses once per level, and
// tens of thousands of levels overflow the stack.
constexpr int kMaxJsonDepth = 256;

// nlohmann's message without its "[json.exception.parse_error.101] " tag, in printable ASCII and at most
// 200 characters (it quotes the bytes it choked on, which may be anything): "parse error at line 1, column 2:
// syntax error while parsing value - invalid literal; last read: 'x'".
std::string json_error_text(const std::exception& e);

// nlohmann::json::parse(text) for a file or line called `name`, throwing only Error:
// "<name>: JSON nested deeper than 256 levels" as soon as the parser reaches that depth, and
// "<name>: not valid JSON (<json_error_text>)" for a syntax error or an unrepresentable number (1e999).
nlohmann::json parse_json(const std::string& text, const std::string& name);

// Typed reads of a parsed document. `where` names the value for the message ("tokenizer.json: model.merges[3]",
// user-supplied keys already made printable); a value of the wrong kind throws
// Error("<where>: expected <kind>, found <nlohmann type name>") instead of nlohmann's type_error, which names
// neither the file nor the field. Integers must be JSON integers within the target type's range.
std::string json_string(const nlohmann::json& value, const std::string& where);
long long json_integer(const nlohmann::json& value, const std::string& where);
bool json_bool(const nlohmann::json& value, const std::string& where);

// The member `key` of `object`: Error("<where>: expected an object, found ...") when `object` is not one,
// Error("<where>: missing \"<key>\"") when the key is absent.
const nlohmann::json& json_member(const nlohmann::json& object, const char* key, const std::string& where);
// The member `key` when present and not null, else nullptr (an object is required as for json_member).
const nlohmann::json* json_optional(const nlohmann::json& object, const char* key, const std::string& where);
// json_string / json_bool of the member `key`, or `fallback` when it is absent or null. The member is named
// "<where>.<key>", or "<where>: <key>" when `where` is a bare file name (a document's top level).
std::string json_string_or(const nlohmann::json& object, const char* key, const std::string& fallback,
                           const std::string& where);
bool json_bool_or(const nlohmann::json& object, const char* key, bool fallback, const std::string& where);

// The one reader of JSON Lines files (paired datasets, prompt sets): every non-blank line of `path` must be a JSON
// object; `each` receives it with its name "<path>:<line>" and returns false to stop reading. Throws Error
// "<path>: cannot open <what>" (and refuses FIFOs and devices as refuse_special_file), parse_json's errors, and
// "<path>:<line>: not a JSON object"; whatever `each` throws passes through.
void for_each_json_line(const std::string& path, const std::string& what,
                        const std::function<bool(const nlohmann::json& line, const std::string& where)>& each);

}  // namespace ce::core
