#include "fuzz_target.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <typeinfo>

#include "ce/core/base/error.h"

namespace ce::fuzz {

std::map<std::string, TargetFn>& targets() {
  static std::map<std::string, TargetFn> all;
  return all;
}

const std::string& scratch_dir() {
  static const std::string dir = [] {
    namespace fs = std::filesystem;
    const fs::path base = fs::is_directory("/dev/shm") && ::access("/dev/shm", W_OK) == 0
                              ? fs::path("/dev/shm")
                              : fs::temp_directory_path();
    const fs::path d = base / ("ce-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(d);
    // The folder outlives nothing: removed at exit (libFuzzer exits through exit(), which runs this).
    static struct Cleanup {
      fs::path path;
      ~Cleanup() {
        std::error_code ec;
        fs::remove_all(path, ec);
      }
    } cleanup{d};
    return d.string();
  }();
  return dir;
}

std::string write_scratch(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = scratch_dir() + "/" + name;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::perror(path.c_str());
    std::abort();
  }
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) {
      std::perror(path.c_str());
      std::abort();
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return path;
}

std::string message_problem(const std::string& message, const std::string& must_name) {
  if (message.find(must_name) == std::string::npos) return "the message does not name '" + must_name + "'";
  if (message.size() > 1500) return "the message is " + std::to_string(message.size()) + " bytes long";
  for (const char* raw : {"[json.exception", "basic_string", "bad_alloc", "std::", "Exception raised from",
                          "vector::", "_M_", ".cc("}) {
    if (message.find(raw) != std::string::npos) return std::string("the message carries raw library text '") + raw + "'";
  }
  return {};
}

namespace {
thread_local std::string g_last_rejection;
}  // namespace

const std::string& last_rejection() { return g_last_rejection; }

void run_guarded(const std::function<void()>& body, const std::string& must_name) {
  g_last_rejection.clear();
  try {
    body();
  } catch (const ce::core::Error& e) {
    g_last_rejection = e.what();
    const std::string problem = message_problem(e.what(), must_name);
    if (!problem.empty()) {
      std::fprintf(stderr, "ce-fuzz: bad rejection message (%s):\n%s\n", problem.c_str(), e.what());
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ce-fuzz: escaped the error rule: %s: %s\n", typeid(e).name(), e.what());
    std::abort();
  }
}

std::string source_dir() { return CE_FUZZ_SOURCE_DIR; }

}  // namespace ce::fuzz
