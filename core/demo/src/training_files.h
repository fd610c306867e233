// The files of a demo training run: a scratch folder for the corpus and SentencePiece's output, and
// all-or-nothing text writes for the model folder.
#pragma once

#include <filesystem>
#include <string>

namespace ce::core::training {

// A private folder under the system temp dir, removed with everything in it when the run ends.
class TempDir {
 public:
  // Throws Error when no folder can be created.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `text` to `path` through a temporary file and a rename, so that a failed run never leaves a
// half-written file under the final name. Throws Error on failure.
void write_text(const std::filesystem::path& path, const std::string& text);

}  // namespace ce::core::training
