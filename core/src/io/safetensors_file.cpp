#include "io/safetensors_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "ce/core/base/error.h"
#include "base/json_input.h"
#include "base/mapped_file.h"
#include "io/loader_util.h"

namespace ce::core {

namespace {

using detail::shape_string;
using nlohmann::json;

// A header this large is not a model, it is an attempt to make us parse gigabytes of JSON.
constexpr uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000;

std::string span_string(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// Reads a JSON integer that must be >= 0 and fit in uint64_t; false for anything else (floats included:
// 1e3 in an offset is a writer bug we do not want to paper over).
bool get_u64(const json& value, uint64_t* out) {
  if (value.is_number_unsigned()) {
    *out = value.get<uint64_t>();
    return true;
  }
  if (value.is_number_integer()) {
    const int64_t v = value.get<int64_t>();
    if (v < 0) return false;
    *out = static_cast<uint64_t>(v);
    return true;
  }
  return false;
}

struct Parsed {
  std::map<std::string, TensorEntry> tensors;
  std::map<std::string, std::string> metadata;
};

TensorEntry parse_entry(const std::string& path, const std::string& name, const json& info, const char* base,
                        uint64_t data_start, uint64_t data_size) {
  const std::string where = path + ": " + detail::printable(name) + ": ";
  if (!info.is_object()) throw Error(where + "header entry is not a JSON object");

  TensorEntry entry;
  entry.name = name;
  entry.file = path;

  const auto dtype_it = info.find("dtype");
  if (dtype_it == info.end() || !dtype_it->is_string()) throw Error(where + "dtype missing or not a string");
  const std::string dtype_text = dtype_it->get<std::string>();
  // parse_dtype is case-insensitive for CLI use; the file format is not.
  const std::optional<DType> dtype = parse_dtype(dtype_text);
  if (!dtype || dtype_name(*dtype) != dtype_text) {
    throw Error(where + "unsupported dtype " + detail::printable(dtype_text) +
                " (supported: F32, BF16, F16)");
  }
  entry.dtype = *dtype;
  const uint64_t elem = dtype_size(entry.dtype);

  const auto shape_it = info.find("shape");
  if (shape_it == info.end() || !shape_it->is_array()) throw Error(where + "shape missing or not an array");
  uint64_t numel = 1;
  bool numel_overflow = false;
  for (const json& dim : *shape_it) {
    if (dim.is_number_integer() && !dim.is_number_unsigned() && dim.get<int64_t>() < 0) {
      throw Error(where + "negative dimension " + std::to_string(dim.get<int64_t>()) +
                  " in shape (dimension " + std::to_string(entry.shape.size()) + ")");
    }
    uint64_t d = 0;
    if (!get_u64(dim, &d) || d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      throw Error(where + "shape dimension " + std::to_string(entry.shape.size()) + " = " +
                  detail::json_excerpt(dim) + " is not an integer in int64 range");
    }
    entry.shape.push_back(static_cast<int64_t>(d));
    if (__builtin_mul_overflow(numel, d, &numel)) numel_overflow = true;
  }
  uint64_t needed = 0;
  if (numel_overflow || numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
      __builtin_mul_overflow(numel, elem, &needed)) {
    throw Error(where + "shape " + shape_string(entry.shape) + " has too many elements (numel overflows)");
  }

  const auto off_it = info.find("data_offsets");
  uint64_t begin = 0;
  uint64_t end = 0;
  if (off_it == info.end() || !off_it->is_array() || off_it->size() != 2 || !get_u64((*off_it)[0], &begin) ||
      !get_u64((*off_it)[1], &end)) {
    throw Error(where + "data_offsets must be two non-negative integers [begin, end]");
  }
  if (begin > end) throw Error(where + "data_offsets " + span_string(begin, end) + ": begin is after end");
  if (end > data_size) {
    throw Error(where + "data_offsets " + span_string(begin, end) +
                " extend beyond the end of the file (data section is " + std::to_string(data_size) +
                " bytes)");
  }
  if (end - begin != needed) {
    throw Error(where + "data_offsets " + span_string(begin, end) + " span " + std::to_string(end - begin) +
                " bytes but shape " + shape_string(entry.shape) + " x " + dtype_text + " needs " +
                std::to_string(needed));
  }
  // The mapping is page-aligned, so an aligned file offset gives an aligned pointer: the forward code may
  // read elements in place without memcpy.
  const uint64_t absolute = data_start + begin;
  if (absolute % elem != 0) {
    throw Error(where + "unaligned data: absolute offset " + std::to_string(absolute) +
                " is not a multiple of the " + std::to_string(elem) + "-byte " + dtype_text +
                " element size");
  }
  entry.byte_offset = absolute;
  entry.byte_size = needed;
  entry.data = base + absolute;
  return entry;
}

Parsed parse_header(const std::string& path, const char* base, uint64_t size) {
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(base[i]);
  if (header_len > size - 8) {
    throw Error(path + ": header length " + std::to_string(header_len) +
                " extends beyond the end of the file (" + std::to_string(size) + " bytes)");
  }
  if (header_len > kMaxHeaderBytes) {
    throw Error(path + ": header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
  }
  const char* header_begin = base + 8;
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = size - data_start;

  // nlohmann keeps the last of duplicate keys silently; a header naming a tensor twice is corrupt.
  std::set<std::string> seen;
  std::string duplicate;
  json header;
  try {
    header = json::parse(header_begin, header_begin + header_len,
                         [&](int depth, json::parse_event_t event, json& parsed) {
                           if (depth > kMaxJsonDepth) {
                             throw Error(path + ": header nested deeper than " + std::to_string(kMaxJsonDepth) +
                                         " levels");
                           }
                           if (depth == 1 && event == json::parse_event_t::key && duplicate.empty()) {
                             const std::string key = parsed.get<std::string>();
                             if (!seen.insert(key).second) duplicate = key;
                           }
                           return true;
                         });
  } catch (const json::exception& e) {
    throw Error(path + ": header is not valid JSON (" + json_error_text(e) + ")");
  }
  if (!header.is_object()) throw Error(path + ": header is not a JSON object");
  if (!duplicate.empty())
    throw Error(path + ": " + detail::printable(duplicate) + ": appears twice in the header");

  Parsed out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") {
      if (!it->is_object()) throw Error(path + ": __metadata__: is not a JSON object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string())
          throw Error(path + ": __metadata__: value of '" + detail::printable(m.key()) + "' is not a string");
        out.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    if (name.empty()) throw Error(path + ": a tensor has an empty name");
    out.tensors.emplace(name, parse_entry(path, name, *it, base, data_start, data_size));
  }

  // Overlap check: sort spans by begin; each non-empty span must start at or after the previous end.
  // Zero-size tensors occupy no bytes and cannot overlap anything.
  std::vector<const TensorEntry*> spans;
  for (const auto& [name, entry] : out.tensors) {
    if (entry.byte_size > 0) spans.push_back(&entry);
  }
  std::sort(spans.begin(), spans.end(), [](const TensorEntry* a, const TensorEntry* b) {
    return a->byte_offset != b->byte_offset ? a->byte_offset < b->byte_offset : a->name < b->name;
  });
  for (std::size_t i = 1; i < spans.size(); ++i) {
    const TensorEntry& prev = *spans[i - 1];
    const TensorEntry& cur = *spans[i];
    if (cur.byte_offset < prev.byte_offset + prev.byte_size) {
      throw Error(path + ": " + detail::printable(cur.name) + ": data_offsets " +
                  span_string(cur.byte_offset - data_start, cur.byte_offset - data_start + cur.byte_size) +
                  " overlap " + detail::printable(prev.name) + " " +
                  span_string(prev.byte_offset - data_start, prev.byte_offset - data_start + prev.byte_size));
    }
  }
  return out;
}

}  // namespace

int64_t TensorEntry::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // validated at open: cannot overflow
  return n;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  const MappedFile mapped = map_regular_file(path, "cannot open", [&path](uint64_t size) {
    if (size < 8) {
      throw Error(path + ": truncated: file is " + std::to_string(size) +
                  " bytes, shorter than the 8-byte header length");
    }
  });
  void* map = mapped.data;
  const uint64_t size = mapped.size;

  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->map_ = map;  // owned from here: the destructor unmaps even if validation below throws
  file->size_ = size;
  Parsed parsed = parse_header(path, static_cast<const char*>(map), size);
  file->tensors_ = std::move(parsed.tensors);
  file->metadata_ = std::move(parsed.metadata);
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_ != nullptr) ::munmap(map_, size_);
}

}  // namespace ce::core
