#include "io/safetensors_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "ce/core/base/error.h"

namespace ce::core {

namespace {

using nlohmann::json;

void write_all(int fd, const char* data, std::size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(path + ": write failed: " + std::strerror(errno));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

void SafetensorsWriter::add(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                            const void* bytes) {
  if (name.empty() || name == "__metadata__")
    throw Error("safetensors writer: invalid tensor name '" + name + "'");
  if (tensors_.count(name) != 0) throw Error("safetensors writer: " + name + ": added twice");
  uint64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error("safetensors writer: " + name + ": negative dimension " + std::to_string(d));
    if (__builtin_mul_overflow(numel, static_cast<uint64_t>(d), &numel)) {
      throw Error("safetensors writer: " + name + ": shape has too many elements");
    }
  }
  uint64_t size = 0;
  if (__builtin_mul_overflow(numel, dtype_size(dtype), &size) ||
      size > static_cast<uint64_t>(std::numeric_limits<std::ptrdiff_t>::max())) {
    throw Error("safetensors writer: " + name + ": shape has too many elements");
  }
  if (size > 0 && bytes == nullptr)
    throw Error("safetensors writer: " + name + ": no data for a non-empty tensor");
  Pending pending{dtype, shape, std::vector<char>(static_cast<std::size_t>(size))};
  if (size > 0) std::memcpy(pending.bytes.data(), bytes, static_cast<std::size_t>(size));
  tensors_.emplace(name, std::move(pending));
}

void SafetensorsWriter::set_metadata(const std::string& key, const std::string& value) {
  metadata_[key] = value;
}

void SafetensorsWriter::write(const std::string& path) const {
  // Data order: larger elements first, then by name. Spans stay contiguous (other readers, including the
  // reference safetensors crate, reject holes) and every span stays aligned to its element size, which
  // SafetensorsFile requires; plain name order would misalign an F32 after an odd-length BF16 tensor.
  std::vector<const std::pair<const std::string, Pending>*> order;
  for (const auto& item : tensors_) order.push_back(&item);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return dtype_size(a->second.dtype) > dtype_size(b->second.dtype);
  });

  json header = json::object();  // std::map-backed: keys come out sorted
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  uint64_t offset = 0;
  for (const auto* item : order) {
    const uint64_t end = offset + item->second.bytes.size();
    header[item->first] = {{"dtype", dtype_name(item->second.dtype)},
                           {"shape", item->second.shape},
                           {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text = header.dump();
  // Pad so the data section starts 8-byte aligned; the format allows trailing spaces in the header.
  text.append((8 - text.size() % 8) % 8, ' ');
  char length[8];
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i, n >>= 8) length[i] = static_cast<char>(n & 0xff);

  // Temp file in the target folder so rename() is atomic: readers see the old file or the whole new one.
  std::string tmpl = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw Error(path + ": cannot create temporary file: " + std::strerror(errno));
  bool open = true;  // never close twice: another thread may already own a reused descriptor number
  try {
    if (::fchmod(fd, 0644) != 0) throw Error(tmpl + ": chmod failed: " + std::strerror(errno));
    write_all(fd, length, sizeof length, tmpl);
    write_all(fd, text.data(), text.size(), tmpl);
    for (const auto* item : order) write_all(fd, item->second.bytes.data(), item->second.bytes.size(), tmpl);
    if (::fsync(fd) != 0) throw Error(tmpl + ": fsync failed: " + std::strerror(errno));
    open = false;
    if (::close(fd) != 0) throw Error(tmpl + ": close failed: " + std::strerror(errno));
  } catch (...) {
    if (open) ::close(fd);
    ::unlink(tmpl.c_str());
    throw;
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    throw Error(path + ": cannot rename " + tmpl + " into place: " + std::strerror(err));
  }
}

}  // namespace ce::core
