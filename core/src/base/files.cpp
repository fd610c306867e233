#include "ce/core/base/files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/mapped_file.h"
#include "ce/core/base/error.h"

namespace ce::core {

namespace {

void check_mode(const std::string& path, mode_t mode) {
  if (S_ISDIR(mode)) throw Error(path + ": is a folder, not a file");
  if (!S_ISREG(mode)) throw Error(path + ": not a regular file");
}

}  // namespace

void check_regular_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(path + ": cannot open file: " + std::strerror(errno));
  check_mode(path, st.st_mode);
}

void refuse_special_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) check_mode(path, st.st_mode);
}

MappedFile map_regular_file(const std::string& path, const std::string& cannot_open,
                            const std::function<void(uint64_t size)>& check_size) {
  // O_NONBLOCK: a FIFO would otherwise block open() until a writer appears; it is refused just below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error(path + ": " + cannot_open + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }  // the mapping keeps the file alive
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw Error(path + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw Error(path + ": not a regular file");
  const auto size = static_cast<uint64_t>(st.st_size);
  check_size(size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) throw Error(path + ": cannot mmap: " + std::strerror(errno));
  return {map, size};
}

std::string read_file(const std::string& path, uint64_t max_bytes, const std::string& what) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error(path + ": cannot open file: " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw Error(path + ": cannot open file: " + std::strerror(errno));
  check_mode(path, st.st_mode);
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) throw Error(path + ": " + std::to_string(size) + " bytes is too large for " + what);
  std::string bytes(static_cast<size_t>(size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(path + ": read error: " + std::strerror(errno));
    if (n == 0) break;  // the file shrank while we read it: what is there is what we have
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

}  // namespace ce::core
