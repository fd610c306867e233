// One fuzz target per parser, written once and built two ways:
//  - the `fuzz` preset (CE_FUZZ_LIBFUZZER): CE_FUZZ_TARGET defines LLVMFuzzerTestOneInput, linked with
//    -fsanitize=fuzzer,address,undefined into one libFuzzer program per parser;
//  - every other build: CE_FUZZ_TARGET registers the body under its name, and test_fuzz_regressions replays
//    the kept inputs (regressions/<name>/, seeds/<name>/) through it as an ordinary Qt Test suite.
//
// The property every target checks is the project's error rule, not only "no crash": an input is either
// accepted or rejected with ce::core::Error whose message names the file and reads as a sentence. Any other
// exception (std::bad_alloc, nlohmann's type_error, std::out_of_range...) or a message carrying raw library
// text is reported as a finding, so the fuzzer hunts bad messages as well as crashes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

namespace ce::fuzz {

using TargetFn = std::function<void(const uint8_t* data, size_t size)>;

// Targets registered by CE_FUZZ_TARGET in a replay build, by name. Not thread-safe (static registration).
std::map<std::string, TargetFn>& targets();

struct Registrar {
  Registrar(const char* name, TargetFn fn) { targets()[name] = std::move(fn); }
};

// A private scratch folder on tmpfs where one is writable (/dev/shm), created once per process. Parsers read
// real files (the file rules of ce/core/base/files.h are part of what is fuzzed), so each input is written to
// a file there first.
const std::string& scratch_dir();

// scratch_dir()/<name>, created once with copies of the named files of fixtures/ (a model folder that the
// fuzzed file joins), and returned.
std::string scratch_folder(const std::string& name, std::initializer_list<const char*> fixtures);

// Writes `size` bytes to scratch_dir()/<name> (replacing it) and returns that path.
std::string write_scratch(const std::string& name, const uint8_t* data, size_t size);

// Runs `body` on `input` (the target's bytes). ce::core::Error is an accepted rejection when its message passes
// message_problem(); anything else thrown aborts with the exception's text, which both libFuzzer and the
// replay suite report.
void run_guarded(const std::function<void()>& body, const std::string& must_name, std::string_view input);

// The message of the last Error run_guarded accepted on this thread since its outermost call began ("" when
// nothing was rejected): the
// replay suite requires seeds and real files to load, not only to be rejected politely.
const std::string& last_rejection();

// Why a rejection message breaks the error rule, or "" when it is fine: it must mention `must_name` (the
// file's path or name), be at most 1500 bytes and echo no 350 bytes of the input (a quoted value is cut
// short), and carry no raw library text
// ("[json.exception", "basic_string", "bad_alloc", "std::", a source location "x.cc(", torch's "Exception
// raised from") unless `input` holds that text itself (a message may quote the file).
std::string message_problem(const std::string& message, const std::string& must_name, std::string_view input);

// Where the fuzz seeds and dictionaries live in the source tree (tests/fuzz).
std::string source_dir();

}  // namespace ce::fuzz

#ifdef CE_FUZZ_LIBFUZZER
#define CE_FUZZ_TARGET(name)                                                         \
  static void ce_fuzz_body_##name(const uint8_t* data, size_t size);                 \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {          \
    ce_fuzz_body_##name(data, size);                                                 \
    return 0;                                                                        \
  }                                                                                  \
  static void ce_fuzz_body_##name(const uint8_t* data, size_t size)
#else
#define CE_FUZZ_TARGET(name)                                                         \
  static void ce_fuzz_body_##name(const uint8_t* data, size_t size);                 \
  static const ::ce::fuzz::Registrar ce_fuzz_registrar_##name(#name, ce_fuzz_body_##name); \
  static void ce_fuzz_body_##name(const uint8_t* data, size_t size)
#endif
