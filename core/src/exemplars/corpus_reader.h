// The exemplar builder's corpus: documents of a .txt or .jsonl file, one per line, read as a stream so a
// corpus of any size costs one line of memory. Internal to ce_core; torch-free (fuzzed on its own).
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

namespace ce::core {

class CorpusReader {
 public:
  // Opens `path`: a ".jsonl" name means one {"text": "..."} object per line, anything else one document per
  // line. Throws Error("<path>: ...") for a folder, a FIFO or device, or a file that cannot be opened.
  explicit CorpusReader(const std::string& path);

  // The next non-empty document; false at the end of the file. Throws Error("<path>:<line>: ...") for a line
  // that is not JSON or has no "text" string, Error("<path>: read error") when the stream fails. A line is
  // read whole, so a document is bounded only by the file (the builder tokenizes it window by window).
  bool next(std::string& doc);

  // Bytes read so far over the file's size (0..1), for progress.
  double fraction() const;
  // FNV-1a of the documents' lines read so far (newline-terminated, '\r' dropped): equal for equal corpora.
  uint64_t hash() const { return hash_; }

 private:
  std::string path_;
  std::ifstream in_;
  bool jsonl_ = false;
  uint64_t size_ = 0, bytes_ = 0, line_number_ = 0;
  uint64_t hash_;
};

}  // namespace ce::core
