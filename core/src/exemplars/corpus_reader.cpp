#include "exemplars/corpus_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/json_input.h"
#include "ce/core/base/error.h"
#include "ce/core/base/files.h"
#include "exemplars/exemplar_format.h"

namespace ce::core {

CorpusReader::CorpusReader(const std::string& path) : path_(path), hash_(kFnvOffset) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a folder, not a corpus file");
  refuse_special_file(path);  // a FIFO would block the stream below
  in_.open(path, std::ios::binary);
  if (!in_) throw Error(path + ": cannot open corpus: " + std::strerror(errno));
  const auto size = std::filesystem::file_size(path, ec);
  size_ = ec ? 0 : static_cast<uint64_t>(size);
  jsonl_ = path.size() >= 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
}

bool CorpusReader::next(std::string& doc) {
  std::string line;
  while (std::getline(in_, line)) {
    ++line_number_;
    bytes_ += line.size() + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    hash_ = fnv1a(line.data(), line.size(), hash_);
    hash_ = fnv1a("\n", 1, hash_);
    if (!jsonl_) {
      doc = std::move(line);
      return true;
    }
    const std::string where = path_ + ":" + std::to_string(line_number_);
    const nlohmann::json j = parse_json(line, where);
    const auto text = j.is_object() ? j.find("text") : j.end();
    if (!j.is_object() || text == j.end() || !text->is_string()) {
      throw Error(where + ": no \"text\" string in this JSON line");
    }
    doc = text->get<std::string>();
    if (!doc.empty()) return true;
  }
  if (in_.bad()) throw Error(path_ + ": read error");
  return false;
}

double CorpusReader::fraction() const {
  return size_ ? std::min(1.0, static_cast<double>(bytes_) / static_cast<double>(size_)) : 0.0;
}

}  // namespace ce::core
