// Scratch folder and atomic text writes of a demo training run (training_files.h).
#include "training_files.h"

#include <cstdlib>
#include <fstream>
#include <system_error>

#include "ce/core/base/error.h"

namespace ce::core::training {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  // SentencePiece splits its argument string at spaces, so the corpus path must have none.
  if (ec || base.string().find_first_of(" \t\n") != std::string::npos) base = "/tmp";
  std::string pattern = (base / "ce-train-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw Error("cannot create a temporary folder in " + base.string());
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_text(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw Error(path.string() + ": cannot write");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw Error(path.string() + ": cannot write: " + ec.message());
}

}  // namespace ce::core::training
