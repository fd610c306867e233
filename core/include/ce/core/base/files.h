// Reading the files users hand the program (model folders, tokenizers, indexes, datasets, sessions): one rule
// for what may be opened and how much of it is read, so that a FIFO cannot hang a load and /dev/zero cannot
// exhaust memory.
#pragma once

#include <cstdint>
#include <string>

namespace ce::core {

// Throws Error unless `path` names a regular file (links followed): "<path>: cannot open file: <reason>" when
// it does not exist or cannot be reached, "<path>: is a folder, not a file", "<path>: not a regular file" for a
// FIFO, socket or device. Opens nothing, so it never blocks. Thread-safe.
void check_regular_file(const std::string& path);

// check_regular_file for a path that may be absent: nothing happens when nothing is there (the caller reports a
// missing file in its own words), and Error as check_regular_file for a folder, FIFO, socket or device.
void refuse_special_file(const std::string& path);

// The bytes of the regular file `path`, at most `max_bytes` of them. The file is opened non-blocking and
// checked on the open descriptor, so a FIFO swapped in after check_regular_file cannot block either. Throws
// Error as check_regular_file, "<path>: N bytes is too large for <what>" (e.g. what = "a config") before
// anything is allocated, and "<path>: read error: <reason>". Thread-safe.
std::string read_file(const std::string& path, uint64_t max_bytes, const std::string& what);

}  // namespace ce::core
