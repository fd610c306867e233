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

std::string scratch_folder(const std::string& name, std::initializer_list<const char*> fixtures) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(scratch_dir()) / name;
  if (!fs::exists(dir)) {
    fs::create_directories(dir);
    for (const char* file : fixtures) fs::copy_file(fs::path(source_dir()) / "fixtures" / file, dir / file);
  }
  return dir.string();
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

namespace {

// The input as a JSON parser hands its strings on: "\u0073td" is the key "std" and a message that names the key
// quotes "std". Qt's parser also takes an unknown escape for its character ("std\::" is the key "std::", as the
// fuzzer found), so a backslash before any other character is dropped too. Escapes outside ASCII and
// malformed \u ones stay as written; that only makes the view larger.
std::string json_unescaped(std::string_view input) {
  static constexpr std::string_view kEscape = "\"\\/bfnrt", kMeaning = "\"\\/\b\f\n\r\t";
  std::string out;
  out.reserve(input.size());
  for (size_t i = 0; i < input.size(); ++i) {
    const size_t simple = i + 1 < input.size() ? kEscape.find(input[i + 1]) : std::string_view::npos;
    unsigned code = 0x80;  // not ASCII until four hex digits say otherwise
    if (input[i] == '\\' && i + 5 < input.size() && input[i + 1] == 'u') {
      const std::string hex(input.substr(i + 2, 4));
      if (hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) code = std::stoul(hex, nullptr, 16);
    }
    if (input[i] == '\\' && simple != std::string_view::npos) {
      out += kMeaning[simple];
      ++i;
    } else if (input[i] == '\\' && i + 1 < input.size() && input[i + 1] != 'u') {
      out += input[i + 1];
      ++i;
    } else if (code < 0x80) {
      out += static_cast<char>(code);
      i += 5;
    } else {
      out += input[i];
    }
  }
  return out;
}

}  // namespace

std::string message_problem(const std::string& message, const std::string& must_name, std::string_view input) {
  if (message.find(must_name) == std::string::npos) return "the message does not name '" + must_name + "'";
  if (message.size() > 1500) return "the message is " + std::to_string(message.size()) + " bytes long";
  // A message may quote a value, cut short (a few hundred bytes at most), never echo a hostile one whole:
  // any 300 bytes of the message found in the input mean an echo of 350 bytes or more.
  for (size_t at = 0; message.size() > 400 && at + 300 <= message.size(); at += 50) {
    if (input.find(std::string_view(message).substr(at, 300)) != std::string_view::npos) {
      return "the message echoes hundreds of bytes of the input";
    }
  }
  for (const char* raw : {"[json.exception", "basic_string", "bad_alloc", "std::", "Exception raised from",
                          "vector::", "_M_", ".cc("}) {
    if (message.find(raw) == std::string::npos || input.find(raw) != std::string_view::npos) continue;
    // A key or value that spells the text with JSON escapes is quoted decoded (the fuzzer found
    // "chat_templa\u0073td::" as a session key): that is the input's own text, not the library's.
    if (json_unescaped(input).find(raw) != std::string::npos) continue;
    return std::string("the message carries raw library text '") + raw + "'";
  }
  return {};
}

namespace {

thread_local std::string g_last_rejection;

// With CE_FUZZ_MESSAGES=FILE, every rejection's message is appended to FILE with digits folded to '#', so that
// a run over a corpus (-runs=0) counts the rejection kinds (the README's table, test_parser_errors' choice).
void log_rejection(const std::string& message) {
  static FILE* log = [] {
    const char* path = std::getenv("CE_FUZZ_MESSAGES");
    return path ? std::fopen(path, "a") : nullptr;
  }();
  if (!log) return;
  std::string folded = message;
  const std::string& dir = scratch_dir();
  for (size_t at; (at = folded.find(dir)) != std::string::npos;) folded.replace(at, dir.size(), "DIR");
  for (char& c : folded) {
    if (c >= '0' && c <= '9') c = '#';
    if (c == '\n') c = ' ';
  }
  std::fprintf(log, "%s\n", folded.c_str());
  std::fflush(log);
}

}  // namespace

const std::string& last_rejection() { return g_last_rejection; }

void run_guarded(const std::function<void()>& body, const std::string& must_name, std::string_view input) {
  // Nested calls (one per neuron list of an index) keep what an earlier sibling rejected.
  static thread_local int depth = 0;
  if (depth == 0) g_last_rejection.clear();
  struct Depth {
    Depth() { ++depth; }
    ~Depth() { --depth; }
  } nesting;
  try {
    body();
  } catch (const ce::core::Error& e) {
    g_last_rejection = e.what();
    log_rejection(g_last_rejection);
    const std::string problem = message_problem(e.what(), must_name, input);
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
