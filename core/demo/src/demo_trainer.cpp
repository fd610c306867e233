#include "ce/demo/demo_trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "ce/demo/corpus_generator.h"
#include "ce/demo/dataset_writer.h"
#include "ce/core/io/llama_weight_spec.h"
#include "ce/core/model/model_config.h"
#include "ce/core/io/safetensors_writer.h"
#include "ce/core/base/threading.h"
#include "ce/core/tokenizer/tokenizer.h"
#include "base/file_util.h"
#include "engine/llama.h"
#include "tokenizer/spm_plugin_loader.h"
#include "split_mix64.h"

namespace ce::core {

namespace fs = std::filesystem;
namespace F = torch::nn::functional;

namespace {

// Sub-streams of DemoTrainOptions::seed. Fixed forever: changing one changes the shipped model.
constexpr uint64_t kInitStream = 31;
constexpr uint64_t kOrderStream = 32;  // + epoch

constexpr int kBosId = 1;
constexpr int kEosId = 2;
constexpr int64_t kIgnore = -100;  // cross_entropy's ignore_index: padding targets

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Phase boundaries on the overall progress bar; training gets the bulk.
constexpr double kCorpusEnd = 0.01, kTokenizerEnd = 0.05, kTokenizeEnd = 0.06, kTrainEnd = 0.98, kSaveEnd = 0.99;

// A private folder under the system temp dir, removed with everything in it when the run ends.
class TempDir {
 public:
  TempDir() {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    // SentencePiece splits its argument string at spaces, so the corpus path must have none.
    if (ec || base.string().find_first_of(" \t\n") != std::string::npos) base = "/tmp";
    std::string pattern = (base / "ce-train-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw Error("cannot create a temporary folder in " + base.string());
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class Reporter {
 public:
  Reporter(const DemoTrainOptions& options, const JobControl& control) : options_(options), control_(control) {}

  void check_cancel() const { control_.check(); }
  void report(const DemoTrainProgress& p) const {
    control_.report(p.fraction, p.message);
    if (options_.progress) options_.progress(p);
  }
  void phase(const std::string& name, double fraction, const std::string& message, int steps) const {
    check_cancel();
    DemoTrainProgress p;
    p.phase = name;
    p.fraction = fraction;
    p.steps = steps;
    p.message = message;
    report(p);
  }

 private:
  const DemoTrainOptions& options_;
  const JobControl& control_;
};

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

// Calls `field(number, wire_type, raw bytes of the whole field including its key)` for each top-level field of
// a message. Returns false on malformed input.
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

// The trained ModelProto with TrainerSpec.input (field 1) and .model_prefix (field 2) replaced by fixed names,
// so that the file does not carry the random temporary folder and equal runs give equal bytes.
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

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Rows of `row_tokens` = seq_len + 1 token ids (-1 = padding) in a deterministic, reshuffled-per-epoch order.
// Documents (BOS doc EOS) are packed whole: each goes into the first of up to kOpenRows partly filled rows
// where it fits, else opens a row (closing the fullest, padded, when too many are open). So every document
// starts after a document boundary, as evaluation prompts do, and padding stays at a few per cent. Documents
// longer than a row are streamed across rows, each continuation row starting with the last token of the
// previous one so that no prediction is lost.
class RowStream {
 public:
  static constexpr size_t kOpenRows = 8;

  RowStream(const std::vector<std::vector<int32_t>>& docs, int64_t row_tokens, uint64_t seed)
      : docs_(docs), row_tokens_(static_cast<size_t>(row_tokens)), seed_(seed) {}

  // Fills inputs/targets ([rows * seq_len] row-major) for the next `rows` rows; returns the number of
  // predicted (non-padding) targets.
  int64_t next_batch(int64_t rows, int pad_input, std::vector<int64_t>& inputs, std::vector<int64_t>& targets) {
    const size_t t = row_tokens_ - 1;
    inputs.assign(static_cast<size_t>(rows) * t, pad_input);
    targets.assign(static_cast<size_t>(rows) * t, kIgnore);
    int64_t predicted = 0;
    for (size_t r = 0; r < static_cast<size_t>(rows); ++r) {
      while (queue_.empty()) pack_epoch();
      const std::vector<int32_t>& row = queue_.front();
      for (size_t i = 0; i < t; ++i) {
        if (row[i] >= 0) inputs[r * t + i] = row[i];
        if (row[i] >= 0 && row[i + 1] >= 0) {
          targets[r * t + i] = row[i + 1];
          ++predicted;
        }
      }
      queue_.pop_front();
    }
    return predicted;
  }

 private:
  void close(std::vector<int32_t>&& row) {
    row.resize(row_tokens_, -1);
    queue_.push_back(std::move(row));
  }

  void pack_epoch() {
    std::vector<size_t> order(docs_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    SplitMix64 rng(SplitMix64::derive(seed_, kOrderStream + static_cast<uint64_t>(epoch_)));
    rng.shuffle(order);
    ++epoch_;
    std::vector<std::vector<int32_t>> open;
    auto add_open = [&](std::vector<int32_t>&& row) {
      if (row.size() == row_tokens_) return close(std::move(row));
      if (open.size() == kOpenRows) {
        size_t fullest = 0;
        for (size_t i = 1; i < open.size(); ++i) {
          if (open[i].size() > open[fullest].size()) fullest = i;
        }
        close(std::move(open[fullest]));
        open.erase(open.begin() + static_cast<std::ptrdiff_t>(fullest));
      }
      open.push_back(std::move(row));
    };
    for (size_t d : order) {
      const std::vector<int32_t>& doc = docs_[d];
      if (doc.size() > row_tokens_) {  // stream it over fresh rows; the tail stays open
        size_t pos = 0;
        std::vector<int32_t> row;
        while (pos < doc.size()) {
          const size_t take = std::min(row_tokens_ - row.size(), doc.size() - pos);
          row.insert(row.end(), doc.begin() + static_cast<std::ptrdiff_t>(pos),
                     doc.begin() + static_cast<std::ptrdiff_t>(pos + take));
          pos += take;
          if (row.size() == row_tokens_ && pos < doc.size()) {
            close(std::move(row));
            row = {doc[pos - 1]};
          }
        }
        add_open(std::move(row));
        continue;
      }
      bool placed = false;
      for (size_t i = 0; i < open.size() && !placed; ++i) {
        if (open[i].size() + doc.size() > row_tokens_) continue;
        open[i].insert(open[i].end(), doc.begin(), doc.end());
        if (open[i].size() == row_tokens_) {
          close(std::move(open[i]));
          open.erase(open.begin() + static_cast<std::ptrdiff_t>(i));
        }
        placed = true;
      }
      if (!placed) add_open(std::vector<int32_t>(doc.begin(), doc.end()));
    }
    for (std::vector<int32_t>& row : open) close(std::move(row));
  }

  const std::vector<std::vector<int32_t>>& docs_;
  size_t row_tokens_;
  uint64_t seed_;
  int epoch_ = 0;
  std::deque<std::vector<int32_t>> queue_;
};

// Runs work(0 .. count-1) on the calling thread and `threads - 1` helpers, each item exactly once, and waits.
// Every thread computes with one tensor thread: on two cores, two independent single-threaded micro-batches
// beat one two-threaded batch by far (LibTorch's per-op OpenMP barriers stall whenever the other core is
// busy, e.g. batched attention matmuls at 0.2 GFLOP/s), and the result does not depend on the thread count.
class MicroBatchPool {
 public:
  MicroBatchPool(int threads, std::function<void(int)> work) : work_(std::move(work)) {
    for (int i = 1; i < threads; ++i) helpers_.emplace_back([this] { helper(); });
  }
  ~MicroBatchPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : helpers_) t.join();
  }
  MicroBatchPool(const MicroBatchPool&) = delete;
  MicroBatchPool& operator=(const MicroBatchPool&) = delete;

  void run(int count) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      count_ = count;
      next_ = 0;
      busy_ = static_cast<int>(helpers_.size());
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    drain();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return busy_ == 0; });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void helper() {
    at::get_num_threads();  // ATen's lazy per-thread initialisation first, so that it cannot undo the next line
    at::set_num_threads(1);
    int seen = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      drain();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --busy_;
      }
      done_.notify_all();
    }
  }

  void drain() {
    while (true) {
      int item = 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (next_ >= count_ || error_) return;
        item = next_++;
      }
      try {
        work_(item);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  std::function<void(int)> work_;
  std::vector<std::thread> helpers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  bool stop_ = false;
  int generation_ = 0, count_ = 0, next_ = 0, busy_ = 0;
  std::exception_ptr error_;
};

// Sets the calling thread's tensor-thread count for a scope and restores it.
class TensorThreadsScope {
 public:
  explicit TensorThreadsScope(int threads) : saved_(at::get_num_threads()) { at::set_num_threads(threads); }
  ~TensorThreadsScope() { at::set_num_threads(saved_); }
  TensorThreadsScope(const TensorThreadsScope&) = delete;
  TensorThreadsScope& operator=(const TensorThreadsScope&) = delete;

 private:
  int saved_;
};

double learning_rate(const DemoRecipe& r, int step, int steps) {
  const int warmup = std::max(1, std::min(r.warmup_steps, steps / 10));
  if (step < warmup) return r.peak_lr * static_cast<double>(step + 1) / warmup;
  const double progress = static_cast<double>(step - warmup) / std::max(1, steps - warmup);
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
  return r.peak_lr * (r.min_lr_ratio + (1.0 - r.min_lr_ratio) * cosine);
}

ModelConfig make_config(const DemoRecipe& r, int vocab_size) {
  ModelConfig c;
  c.hidden_size = r.d_model;
  c.intermediate_size = r.d_mlp;
  c.num_hidden_layers = r.layers;
  c.num_attention_heads = r.heads;
  c.num_key_value_heads = r.kv_heads;
  c.head_dim = r.head_dim;
  c.vocab_size = vocab_size;
  c.max_position_embeddings = r.seq_len;
  c.rms_norm_eps = r.rms_norm_eps;
  c.rope_theta = r.rope_theta;
  c.tie_word_embeddings = true;
  c.bos_token_ids = {kBosId};
  c.eos_token_ids = {kEosId};
  c.torch_dtype = DType::F32;
  // Round trip through the loader's validation, so a bad recipe fails before training, not after.
  return ModelConfig::from_json(c.to_json(), "demo model config");
}

std::string spm_arguments(const fs::path& corpus, const fs::path& prefix, int vocab_size,
                          const std::vector<std::string>& symbols) {
  std::string joined;
  for (const std::string& s : symbols) {
    if (s.find_first_of(", \t\n") != std::string::npos) throw Error("single-piece symbol '" + s + "' has a separator");
    if (!joined.empty()) joined += ',';
    joined += s;
  }
  std::ostringstream a;
  a << "--input=" << corpus.string() << " --model_prefix=" << prefix.string() << " --model_type=bpe"
    << " --vocab_size=" << vocab_size
    << " --character_coverage=1.0 --byte_fallback=true --split_digits=true"
    << " --normalization_rule_name=identity --num_threads=1 --max_sentence_length=16384"
    << " --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --minloglevel=2"
    << " --user_defined_symbols=" << joined;
  return a.str();
}

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

}  // namespace

DemoRecipe demo_recipe(const std::string& preset) {
  DemoRecipe r;
  r.preset = preset;
  if (preset == "small") {
    r.layers = 4;
    r.d_model = 256;
    r.heads = 8;
    r.kv_heads = 4;
    r.head_dim = 32;
    r.d_mlp = 768;
    r.vocab_size = 2048;
    r.corpus_chars = 3'000'000;
    r.seq_len = 128;
    r.batch_rows = 16;
    r.micro_batches = 4;
    // Measured: 0.57 s per step on two idle cores (1.0 s on one), so about 24 minutes, 7.2 epochs of the
    // corpus. 1000 steps already gave >= 99 % on every acceptance set; the rest is margin.
    r.steps = 2500;
    r.peak_lr = 2e-3;
    r.warmup_steps = 100;
  } else if (preset == "tiny") {
    r.layers = 2;
    r.d_model = 64;
    r.heads = 4;
    r.kv_heads = 2;
    r.head_dim = 16;
    r.d_mlp = 128;
    r.vocab_size = 1024;
    r.corpus_chars = 200'000;
    r.seq_len = 64;
    r.batch_rows = 8;
    r.micro_batches = 2;
    r.steps = 20;
    r.peak_lr = 1e-2;
    r.warmup_steps = 2;
  } else {
    throw Error("unknown demo preset '" + preset + "' (expected small or tiny)");
  }
  return r;
}

DemoTrainResult train_demo_model(const DemoTrainOptions& options, const JobControl& control) {
  const auto start = Clock::now();
  if (options.out_dir.empty()) throw Error("train-demo: no output folder given");
  if (options.steps < 0) throw Error("train-demo: steps must be >= 0");
  DemoRecipe recipe = demo_recipe(options.preset);
  if (options.steps > 0) recipe.steps = options.steps;
  if (options.corpus_chars > 0) recipe.corpus_chars = options.corpus_chars;
  const int steps = recipe.steps;

  if (options.threads < 0) throw Error("train-demo: threads must be >= 0");
  // Micro-batches run one per thread, each single-threaded; see MicroBatchPool.
  const int threads =
      std::max(1, std::min(options.threads > 0 ? options.threads : hardware_threads(), recipe.micro_batches));
  const TensorThreadsScope single_threaded(1);
  DemoTrainResult result;
  result.seed = options.seed;
  result.world_seed = options.world_seed;
  result.threads = threads;
  Reporter reporter(options, control);

  // 1. Corpus.
  reporter.phase("corpus", 0.0, "generating the training corpus", steps);
  const World& world = World::united_states();
  const SvaVocabulary& vocabulary = SvaVocabulary::standard();
  DataSplitOptions split_options;
  split_options.seed = options.world_seed;
  const DataSplit split(world, vocabulary, split_options);
  CorpusOptions corpus_options;
  corpus_options.seed = options.world_seed;
  corpus_options.target_chars = recipe.corpus_chars;
  const CorpusGenerator generator(world, vocabulary, split, corpus_options);
  const std::vector<std::string> documents = generator.training_documents();
  TempDir temp;
  const fs::path corpus_path = temp.path() / "corpus.txt";
  {
    std::ofstream out(corpus_path, std::ios::binary | std::ios::trunc);
    for (const std::string& d : documents) {
      out << d << '\n';
      result.corpus_chars += d.size() + 1;
    }
    out.close();
    if (!out) throw Error(corpus_path.string() + ": cannot write the corpus");
  }
  result.corpus_documents = documents.size();

  // 2. Tokenizer.
  reporter.phase("tokenizer", kCorpusEnd,
                 "training the SentencePiece tokenizer on " + std::to_string(documents.size()) + " documents",
                 steps);
  const auto tokenizer_start = Clock::now();
  const fs::path prefix = temp.path() / "spm";
  const std::vector<std::string> symbols = generator.single_piece_symbols();
  {
    QuietStderr quiet;
    train_sentencepiece(spm_arguments(corpus_path, prefix, recipe.vocab_size, symbols));
  }
  const fs::path spm_model = temp.path() / "tokenizer.model";
  write_text(spm_model, without_temp_paths(read_file(prefix.string() + ".model")));
  const std::unique_ptr<Tokenizer> tokenizer = Tokenizer::from_file(spm_model.string());
  result.tokenizer_seconds = seconds_since(tokenizer_start);
  if (tokenizer->bos_id() != kBosId || tokenizer->eos_id() != kEosId) {
    throw Error("trained tokenizer has unexpected BOS/EOS ids");
  }
  const std::string marker(CorpusGenerator::kPieceMarker);
  for (const std::string& symbol : symbols) {
    const std::string word = " " + symbol.substr(marker.size());
    const std::vector<int> ids = tokenizer->encode(word, false);
    if (ids.size() != 1 || tokenizer->piece(ids[0]) != symbol) {
      throw Error("trained tokenizer splits \"" + word + "\" into " + std::to_string(ids.size()) + " pieces");
    }
  }
  const int vocab_size = tokenizer->vocab_size();
  result.vocab_size = vocab_size;

  // 3. Token ids, BOS doc EOS per document.
  reporter.phase("tokenize", kTokenizerEnd, "tokenizing the corpus", steps);
  std::vector<std::vector<int32_t>> docs;
  docs.reserve(documents.size());
  for (const std::string& d : documents) {
    const std::vector<int> ids = tokenizer->encode(d, true);
    std::vector<int32_t> doc(ids.begin(), ids.end());
    doc.push_back(kEosId);
    result.corpus_tokens += static_cast<int64_t>(doc.size());
    docs.push_back(std::move(doc));
  }
  RowStream stream(docs, recipe.seq_len + 1, options.seed);

  // 4. Model and optimizer.
  const ModelConfig config = make_config(recipe, vocab_size);
  result.parameters = config.parameter_count();
  auto generator_state = at::make_generator<at::CPUGeneratorImpl>(SplitMix64::derive(options.seed, kInitStream));
  std::map<std::string, torch::Tensor> weights;
  std::vector<torch::Tensor> decay, no_decay, all_params;
  const auto shapes = llama_weight_shapes(config, false);
  const double residual_std = recipe.init_std / std::sqrt(2.0 * static_cast<double>(recipe.layers));
  for (const auto& [name, shape] : shapes) {
    torch::Tensor t;
    if (ends_with(name, "norm.weight")) {
      t = torch::ones(shape, torch::kFloat32);
    } else {
      const bool residual = ends_with(name, "o_proj.weight") || ends_with(name, "down_proj.weight");
      t = torch::randn(shape, generator_state, torch::kFloat32) * (residual ? residual_std : recipe.init_std);
    }
    t.set_requires_grad(true);
    (t.dim() >= 2 ? decay : no_decay).push_back(t);
    all_params.push_back(t);
    weights.emplace(name, t);
  }
  const LlamaModel model(config, weights);

  auto group_options = [&](double weight_decay) {
    auto o = std::make_unique<torch::optim::AdamWOptions>(recipe.peak_lr);
    o->betas({recipe.beta1, recipe.beta2}).eps(recipe.adam_eps).weight_decay(weight_decay);
    return o;
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, group_options(recipe.weight_decay));
  groups.emplace_back(no_decay, group_options(0.0));
  torch::optim::AdamW optimizer(std::move(groups), torch::optim::AdamWOptions(recipe.peak_lr));

  // 5. Training.
  reporter.phase("train", kTokenizeEnd,
                 "training " + std::to_string(result.parameters) + " parameters for " + std::to_string(steps) +
                     " steps",
                 steps);
  const auto train_start = Clock::now();
  std::vector<int64_t> inputs, targets;
  const int micro = recipe.micro_batches;
  const int64_t micro_rows = recipe.batch_rows / micro;
  std::vector<std::vector<torch::Tensor>> micro_grads(static_cast<size_t>(micro));
  std::vector<double> micro_losses(static_cast<size_t>(micro));
  double predicted_in_batch = 1;
  // One micro-batch: its summed token losses over the whole batch's target count, so that the micro-batch
  // gradients add up to the gradient of the batch's mean loss.
  MicroBatchPool pool(threads, [&](int i) {
    const size_t offset = static_cast<size_t>(i * micro_rows * recipe.seq_len);
    const torch::Tensor in =
        torch::from_blob(inputs.data() + offset, {micro_rows, recipe.seq_len}, torch::kInt64);  // [rows, t]
    const torch::Tensor tg =
        torch::from_blob(targets.data() + offset, {micro_rows, recipe.seq_len}, torch::kInt64);  // [rows, t]
    ForwardOptions fo;
    fo.logits = LogitsMode::All;
    const torch::Tensor logits = model.forward(in, fo).logits;  // [rows, t, vocab]
    const torch::Tensor loss =
        F::cross_entropy(logits.reshape({-1, vocab_size}), tg.reshape({-1}),
                         F::CrossEntropyFuncOptions().ignore_index(kIgnore).reduction(torch::kSum)) /
        predicted_in_batch;
    micro_grads[static_cast<size_t>(i)] = torch::autograd::grad({loss}, all_params);
    micro_losses[static_cast<size_t>(i)] = loss.item<double>();
  });
  double smoothed = 0;
  for (int step = 0; step < steps; ++step) {
    reporter.check_cancel();
    const double lr = learning_rate(recipe, step, steps);
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    const int64_t predicted = stream.next_batch(recipe.batch_rows, kEosId, inputs, targets);
    predicted_in_batch = static_cast<double>(std::max<int64_t>(1, predicted));
    pool.run(micro);
    // Sum in micro-batch order whatever thread computed what: the same bytes for any thread count.
    double value = 0;
    for (size_t j = 0; j < all_params.size(); ++j) {
      torch::Tensor g = micro_grads[0][j];
      for (size_t i = 1; i < micro_grads.size(); ++i) g = g + micro_grads[i][j];
      all_params[j].mutable_grad() = g;
    }
    for (double l : micro_losses) value += l;
    torch::nn::utils::clip_grad_norm_(all_params, recipe.grad_clip);
    optimizer.step();

    if (!std::isfinite(value)) throw Error("training diverged at step " + std::to_string(step + 1) + " (loss is not finite)");
    result.losses.push_back(static_cast<float>(value));
    result.tokens_trained += predicted;
    smoothed = step == 0 ? value : 0.9 * smoothed + 0.1 * value;

    const double elapsed = seconds_since(train_start);
    const int done = step + 1;
    DemoTrainProgress p;
    p.phase = "train";
    p.step = done;
    p.steps = steps;
    p.fraction = kTokenizeEnd + (kTrainEnd - kTokenizeEnd) * done / steps;
    p.loss = value;
    p.smoothed_loss = smoothed;
    p.tokens_per_second = static_cast<double>(result.tokens_trained) / std::max(elapsed, 1e-9);
    p.eta_seconds = elapsed / done * (steps - done);
    char line[160];
    std::snprintf(line, sizeof line, "step %d/%d  loss %.3f  lr %.2e  %.0f tok/s  epoch %.2f", done, steps,
                  smoothed, lr, p.tokens_per_second,
                  static_cast<double>(result.tokens_trained) / std::max<int64_t>(1, result.corpus_tokens));
    p.message = line;
    reporter.report(p);
  }
  result.train_seconds = seconds_since(train_start);
  result.seconds_per_step = steps > 0 ? result.train_seconds / steps : 0;
  if (!result.losses.empty()) {
    result.initial_loss = result.losses.front();
    const size_t tail = std::min<size_t>(50, result.losses.size());
    double sum = 0;
    for (size_t i = result.losses.size() - tail; i < result.losses.size(); ++i) sum += result.losses[i];
    result.final_loss = sum / static_cast<double>(tail);
  }
  result.epochs = static_cast<double>(result.tokens_trained) / std::max<int64_t>(1, result.corpus_tokens);

  // 6. The model folder.
  reporter.phase("save", kTrainEnd, "writing " + options.out_dir, steps);
  const fs::path out(options.out_dir);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec || !fs::is_directory(out)) throw Error(options.out_dir + ": cannot create the folder");
  SafetensorsWriter writer;
  writer.set_metadata("format", "pt");
  for (const auto& [name, shape] : shapes) {
    const torch::Tensor t = weights.at(name).detach().contiguous();
    writer.add(name, DType::F32, shape, t.data_ptr<float>());
  }
  const fs::path weights_path = out / "model.safetensors";
  writer.write(weights_path.string());
  write_text(out / "config.json", config.to_json());
  const fs::path tokenizer_path = out / "tokenizer.model";
  fs::copy_file(spm_model, tokenizer_path, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error(tokenizer_path.string() + ": cannot write: " + ec.message());
  write_text(out / "tokenizer_config.json", tokenizer_config_json(recipe.seq_len));
  result.files = {(out / "config.json").string(), weights_path.string(), tokenizer_path.string(),
                  (out / "tokenizer_config.json").string()};

  // 7. Datasets of the same world split.
  if (!options.datasets_dir.empty()) {
    reporter.phase("datasets", kSaveEnd, "writing datasets to " + options.datasets_dir, steps);
    DatasetOptions dataset_options;
    dataset_options.seed = options.world_seed;
    const DatasetWriter datasets(world, vocabulary, split, dataset_options);
    for (std::string& path : datasets.write_all(options.datasets_dir)) result.files.push_back(std::move(path));
  }

  result.recipe = recipe;
  result.total_seconds = seconds_since(start);
  DemoTrainProgress done;
  done.phase = "done";
  done.fraction = 1.0;
  done.step = steps;
  done.steps = steps;
  done.loss = result.losses.empty() ? 0 : result.losses.back();
  done.smoothed_loss = smoothed;
  done.eta_seconds = 0;
  done.message = "wrote " + options.out_dir;
  reporter.report(done);
  return result;
}

std::string demo_recipe_markdown(const DemoTrainResult& result, const std::string& command) {
  const DemoRecipe& r = result.recipe;
  std::ostringstream md;
  char buf[256];
  md << "## Recipe\n\n";
  md << "Reproduce (the same command gives byte-identical files on the same kind of CPU, whatever the thread "
        "count):\n\n```\n"
     << command << "\n```\n\n";
  md << "| | |\n|---|---|\n";
  md << "| Architecture | Llama (LlamaForCausalLM): " << r.layers << " layers, d_model " << r.d_model << ", "
     << r.heads << " query heads / " << r.kv_heads << " key-value heads (GQA), head_dim " << r.head_dim
     << ", SwiGLU MLP of " << r.d_mlp << " neurons, RoPE (theta " << r.rope_theta
     << "), RMSNorm, tied embeddings, float32 |\n";
  md << "| Parameters | " << result.parameters << " |\n";
  md << "| Tokenizer | SentencePiece BPE, " << result.vocab_size
     << " pieces, byte fallback, split digits; every state, capital and city word and every SVA noun, "
        "preposition and verb is one piece |\n";
  md << "| Corpus | " << result.corpus_documents << " documents, " << result.corpus_chars << " characters, "
     << result.corpus_tokens << " tokens (world seed " << result.world_seed << ") |\n";
  std::snprintf(buf, sizeof buf,
                "%d steps x %lld rows x %lld tokens (%d micro-batches); %lld tokens trained (%.2f epochs)",
                static_cast<int>(result.losses.size()), static_cast<long long>(r.batch_rows),
                static_cast<long long>(r.seq_len), r.micro_batches, static_cast<long long>(result.tokens_trained),
                result.epochs);
  md << "| Training | " << buf << "; documents packed whole into rows, reshuffled every epoch (seed "
     << result.seed << ") |\n";
  std::snprintf(buf, sizeof buf,
                "AdamW (betas %.2f/%.3f, eps %.0e, weight decay %.2f on matrices), peak lr %.1e, %d warm-up "
                "steps, cosine to %.0f%%, gradient clip %.1f",
                r.beta1, r.beta2, r.adam_eps, r.weight_decay, r.peak_lr,
                std::max(1, std::min(r.warmup_steps, static_cast<int>(result.losses.size()) / 10)),
                r.min_lr_ratio * 100.0, r.grad_clip);
  md << "| Optimizer | " << buf << " |\n";
  std::snprintf(buf, sizeof buf, "%.3f -> %.3f nats/token (mean of the last 50 steps)", result.initial_loss,
                result.final_loss);
  md << "| Loss | " << buf << " |\n";
  std::snprintf(buf, sizeof buf, "%.0f s training (%.2f s/step) on %d threads; %.0f s in all", result.train_seconds,
                result.seconds_per_step, result.threads, result.total_seconds);
  md << "| Time | " << buf << " |\n";
  return md.str();
}

}  // namespace ce::core
