// SentencePiece training for the demo model (spm_training.h): the trainer's arguments, a silenced stderr,
// and the protocol-buffer rewrite that makes the model file reproducible.
#include "spm_training.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ce/core/base/files.h"
#include "ce/core/base/error.h"
#include "tokenizer/spm_plugin_loader.h"
#include "training_files.h"

namespace ce::core::training {

namespace fs = std::filesystem;

namespace {

// SentencePiece's trainer logs its whole command line to stderr before it reads --minloglevel. Silence fd 2
// around the call (process-wide for its few seconds; failures still come back as the returned message).
class QuietStderr {
 public:
  QuietStderr() {
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null >= 0) dup2(null, STDERR_FILENO);
    if (null >= 0) close(null);
  }
  ~QuietStderr() {
    std::fflush(stderr);
    if (saved_ >= 0) {
      dup2(saved_, STDERR_FILENO);
      close(saved_);
    }
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  int saved_ = -1;
};

// Protocol-buffer wire format, just enough to rewrite two strings of a SentencePiece ModelProto.
bool read_varint(const std::string& b, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64 && pos < b.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(b[pos++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

void write_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Calls `field(number, wire_type, raw bytes of the whole field including its key)` for each top-level field
// of a message. Returns false on malformed input.
template <typename Fn>
bool for_each_field(const std::string& b, Fn&& field) {
  size_t pos = 0;
  while (pos < b.size()) {
    const size_t start = pos;
    uint64_t key = 0, n = 0;
    if (!read_varint(b, pos, key)) return false;
    switch (key & 7) {
      case 0:
        if (!read_varint(b, pos, n)) return false;
        break;
      case 1:
        pos += 8;
        break;
      case 2:
        if (!read_varint(b, pos, n) || n > b.size() - pos) return false;
        pos += n;
        break;
      case 5:
        pos += 4;
        break;
      default:
        return false;
    }
    if (pos > b.size()) return false;
    field(key >> 3, static_cast<int>(key & 7), start, pos);
  }
  return true;
}

void append_string_field(std::string& out, uint64_t number, const std::string& value) {
  write_varint(out, number << 3 | 2);
  write_varint(out, value.size());
  out += value;
}

// The trained ModelProto with TrainerSpec.input (field 1) and .model_prefix (field 2) replaced by fixed
// names, so that the file does not carry the random temporary folder and equal runs give equal bytes.
std::string without_temp_paths(const std::string& model) {
  std::string out;
  bool ok = for_each_field(model, [&](uint64_t number, int wire, size_t start, size_t end) {
    if (number != 2 || wire != 2) {  // not trainer_spec
      out.append(model, start, end - start);
      return;
    }
    size_t pos = start;
    uint64_t key = 0, length = 0;
    read_varint(model, pos, key);
    read_varint(model, pos, length);
    const std::string spec = model.substr(pos, static_cast<size_t>(length));
    std::string rewritten;
    bool inputs_done = false;
    for_each_field(spec, [&](uint64_t n, int w, size_t s, size_t e) {
      if (n == 1 && w == 2) {
        if (!inputs_done) append_string_field(rewritten, 1, "corpus.txt");
        inputs_done = true;
      } else if (n == 2 && w == 2) {
        append_string_field(rewritten, 2, "tokenizer");
      } else {
        rewritten.append(spec, s, e - s);
      }
    });
    write_varint(out, 2 << 3 | 2);
    write_varint(out, rewritten.size());
    out += rewritten;
  });
  if (!ok) throw Error("the trained SentencePiece model is not a valid protocol buffer");
  return out;
}

std::string spm_arguments(const fs::path& corpus, const fs::path& prefix, int vocab_size,
                          const std::vector<std::string>& symbols) {
  std::string joined;
  for (const std::string& s : symbols) {
    if (s.find_first_of(", \t\n") != std::string::npos)
      throw Error("single-piece symbol '" + s + "' has a separator");
    if (!joined.empty()) joined += ',';
    joined += s;
  }
  std::ostringstream a;
  a << "--input=" << corpus.string() << " --model_prefix=" << prefix.string() << " --model_type=bpe"
    << " --vocab_size=" << vocab_size << " --character_coverage=1.0 --byte_fallback=true --split_digits=true"
    << " --normalization_rule_name=identity --num_threads=1 --max_sentence_length=16384"
    << " --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --minloglevel=2"
    << " --user_defined_symbols=" << joined;
  return a.str();
}

}  // namespace

std::string tokenizer_config_json(int64_t max_length) {
  nlohmann::ordered_json j;
  j["tokenizer_class"] = "LlamaTokenizer";
  j["add_bos_token"] = true;
  j["add_eos_token"] = false;
  j["bos_token"] = "<s>";
  j["eos_token"] = "</s>";
  j["unk_token"] = "<unk>";
  j["pad_token"] = nullptr;
  j["model_max_length"] = max_length;
  j["clean_up_tokenization_spaces"] = false;
  j["legacy"] = true;
  return j.dump(2) + "\n";
}

void train_spm_tokenizer(const fs::path& corpus, const fs::path& work_dir, int vocab_size,
                         const std::vector<std::string>& symbols, const fs::path& model_path) {
  const fs::path prefix = work_dir / "spm";
  {
    QuietStderr quiet;
    train_sentencepiece(spm_arguments(corpus, prefix, vocab_size, symbols));
  }
  write_text(model_path, without_temp_paths(read_file(prefix.string() + ".model", uint64_t{1} << 30, "a SentencePiece model")));
}

}  // namespace ce::core::training
