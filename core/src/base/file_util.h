// Whole-file reads shared by the tokenizer and demo-model code. Internal to ce_core.
#pragma once

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "ce/core/base/error.h"

namespace ce::core {

// The bytes of `path`. Throws Error("<path>: is a folder, not a file" / "cannot open file: <reason>" /
// "read error"). For files without a size bound; config and index readers keep their own size limits.
inline std::string read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a folder, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open file: " + std::strerror(errno));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(path + ": read error");
  return content;
}

}  // namespace ce::core
