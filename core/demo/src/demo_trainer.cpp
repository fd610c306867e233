// The demo model's training run: the recipes, train_demo_model as a sequence of phases (corpus, tokenizer,
// token ids, initial weights, training, model folder, datasets) and the recipe's Markdown. The pieces each
// phase leans on live beside it: training_files, spm_training, row_stream, micro_batch_pool.
#include "ce/demo/demo_trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <utility>

#include "ce/core/base/threading.h"
#include "ce/core/model/model_config.h"
#include "ce/core/tokenizer/tokenizer.h"
#include "ce/demo/corpus_generator.h"
#include "ce/demo/dataset_writer.h"
#include "engine/llama.h"
#include "io/llama_weight_spec.h"
#include "io/safetensors_writer.h"
#include "micro_batch_pool.h"
#include "row_stream.h"
#include "split_mix64.h"
#include "spm_training.h"
#include "training_files.h"

namespace ce::core {

namespace fs = std::filesystem;
namespace F = torch::nn::functional;

namespace {

using training::kIgnoreTarget;
using training::MicroBatchPool;
using training::RowStream;
using training::TempDir;
using training::TensorThreadsScope;
using training::write_text;

// Sub-stream of DemoTrainOptions::seed for the initial weights (the data order uses row_stream.h's
// kOrderStream). Fixed forever: changing it changes the shipped model.
constexpr uint64_t kInitStream = 31;

constexpr int kBosId = 1;
constexpr int kEosId = 2;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Phase boundaries on the overall progress bar; training gets the bulk.
constexpr double kCorpusEnd = 0.01, kTokenizerEnd = 0.05, kTokenizeEnd = 0.06, kTrainEnd = 0.98,
                 kSaveEnd = 0.99;

// Sends each report both to the JobControl (fraction and message, what a GUI shows) and to the options'
// callback (step, loss and ETA, what the command line prints).
class Reporter {
 public:
  Reporter(const DemoTrainOptions& options, const JobControl& control)
      : options_(options), control_(control) {}

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

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The preset's recipe with the options' overrides, after checking the options.
DemoRecipe run_recipe(const DemoTrainOptions& options) {
  if (options.out_dir.empty()) throw Error("train-demo: no output folder given");
  if (options.steps < 0) throw Error("train-demo: steps must be >= 0");
  DemoRecipe recipe = demo_recipe(options.preset);
  if (options.steps > 0) recipe.steps = options.steps;
  if (options.corpus_chars > 0) recipe.corpus_chars = options.corpus_chars;
  if (options.threads < 0) throw Error("train-demo: threads must be >= 0");
  return recipe;
}

DataSplitOptions split_options(uint64_t world_seed) {
  DataSplitOptions o;
  o.seed = world_seed;
  return o;
}

CorpusOptions corpus_options(uint64_t world_seed, size_t corpus_chars) {
  CorpusOptions o;
  o.seed = world_seed;
  o.target_chars = corpus_chars;
  return o;
}

// The world split of a run: the corpus is generated from it and the datasets are written from it.
struct DemoWorld {
  DemoWorld(uint64_t world_seed, size_t corpus_chars)
      : split(world, vocabulary, split_options(world_seed)),
        generator(world, vocabulary, split, corpus_options(world_seed, corpus_chars)) {}

  const World& world = World::united_states();
  const SvaVocabulary& vocabulary = SvaVocabulary::standard();
  const DataSplit split;
  const CorpusGenerator generator;
};

// Phase 1: the training documents, one per line, as SentencePiece reads them.
void write_corpus(const std::vector<std::string>& documents, const fs::path& path, DemoTrainResult& result) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const std::string& d : documents) {
    out << d << '\n';
    result.corpus_chars += d.size() + 1;
  }
  out.close();
  if (!out) throw Error(path.string() + ": cannot write the corpus");
  result.corpus_documents = documents.size();
}

// Phase 2: SentencePiece BPE on the corpus, written to `model_path` and loaded back. Checked rather than
// trusted: the config hard-codes BOS/EOS ids, and the circuits need every world and SVA word as one piece.
std::unique_ptr<Tokenizer> train_tokenizer(const CorpusGenerator& generator, int vocab_size,
                                           const fs::path& corpus, const fs::path& work_dir,
                                           const fs::path& model_path, DemoTrainResult& result) {
  const auto tokenizer_start = Clock::now();
  const std::vector<std::string> symbols = generator.single_piece_symbols();
  training::train_spm_tokenizer(corpus, work_dir, vocab_size, symbols, model_path);
  std::unique_ptr<Tokenizer> tokenizer = Tokenizer::from_file(model_path.string());
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
  result.vocab_size = tokenizer->vocab_size();
  return tokenizer;
}

// Phase 3: token ids of every document, BOS doc EOS.
std::vector<std::vector<int32_t>> tokenize_documents(const Tokenizer& tokenizer,
                                                     const std::vector<std::string>& documents,
                                                     DemoTrainResult& result) {
  std::vector<std::vector<int32_t>> docs;
  docs.reserve(documents.size());
  for (const std::string& d : documents) {
    const std::vector<int> ids = tokenizer.encode(d, true);
    std::vector<int32_t> doc(ids.begin(), ids.end());
    doc.push_back(kEosId);
    result.corpus_tokens += static_cast<int64_t>(doc.size());
    docs.push_back(std::move(doc));
  }
  return docs;
}

// The trained float32 tensors by HF name, and the same tensors as AdamW's two groups.
struct DemoWeights {
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;  // llama_weight_shapes order
  std::map<std::string, torch::Tensor> by_name;
  std::vector<torch::Tensor> decay;     // matrices (dim >= 2): weight decay applies
  std::vector<torch::Tensor> no_decay;  // norm vectors
  std::vector<torch::Tensor> all;       // every tensor, in `shapes` order
};

// Phase 4: normal(0, init_std) matrices, with the residual-stream writers (o_proj, down_proj) at
// init_std / sqrt(2 * layers) so the residual's variance does not grow with depth; norms start at one.
DemoWeights init_weights(const ModelConfig& config, const DemoRecipe& recipe, uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(SplitMix64::derive(seed, kInitStream));
  DemoWeights w;
  w.shapes = llama_weight_shapes(config, false);
  const double residual_std = recipe.init_std / std::sqrt(2.0 * static_cast<double>(recipe.layers));
  for (const auto& [name, shape] : w.shapes) {
    torch::Tensor t;
    if (ends_with(name, "norm.weight")) {
      t = torch::ones(shape, torch::kFloat32);
    } else {
      const bool residual = ends_with(name, "o_proj.weight") || ends_with(name, "down_proj.weight");
      t = torch::randn(shape, generator, torch::kFloat32) * (residual ? residual_std : recipe.init_std);
    }
    t.set_requires_grad(true);
    (t.dim() >= 2 ? w.decay : w.no_decay).push_back(t);
    w.all.push_back(t);
    w.by_name.emplace(name, t);
  }
  return w;
}

std::unique_ptr<torch::optim::AdamW> make_optimizer(const DemoWeights& w, const DemoRecipe& recipe) {
  auto group_options = [&](double weight_decay) {
    auto o = std::make_unique<torch::optim::AdamWOptions>(recipe.peak_lr);
    o->betas({recipe.beta1, recipe.beta2}).eps(recipe.adam_eps).weight_decay(weight_decay);
    return o;
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(w.decay, group_options(recipe.weight_decay));
  groups.emplace_back(w.no_decay, group_options(0.0));
  return std::make_unique<torch::optim::AdamW>(std::move(groups), torch::optim::AdamWOptions(recipe.peak_lr));
}

// The gradient of one batch: its rows split into DemoRecipe::micro_batches parts computed on the pool's
// threads, each part's summed token loss divided by the whole batch's target count, so that the parts'
// gradients add up to the gradient of the batch's mean loss.
class BatchGradient {
 public:
  BatchGradient(const LlamaModel& model, const DemoRecipe& recipe, int vocab_size,
                const std::vector<torch::Tensor>& params, int threads)
      : model_(model),
        params_(params),
        seq_len_(recipe.seq_len),
        batch_rows_(recipe.batch_rows),
        micro_(recipe.micro_batches),
        micro_rows_(recipe.batch_rows / recipe.micro_batches),
        vocab_size_(vocab_size),
        micro_grads_(static_cast<size_t>(micro_)),
        micro_losses_(static_cast<size_t>(micro_)),
        pool_(threads, [this](int i) { micro_batch(i); }) {}

  // Takes the next batch from `stream`, sets every parameter's grad to the gradient of the batch's mean
  // token loss and returns that loss; `predicted` gets the batch's target count.
  double compute(RowStream& stream, int64_t& predicted) {
    predicted = stream.next_batch(batch_rows_, kEosId, inputs_, targets_);
    predicted_in_batch_ = static_cast<double>(std::max<int64_t>(1, predicted));
    pool_.run(micro_);
    // Sum in micro-batch order whatever thread computed what: the same bytes for any thread count.
    double value = 0;
    for (size_t j = 0; j < params_.size(); ++j) {
      torch::Tensor g = micro_grads_[0][j];
      for (size_t i = 1; i < micro_grads_.size(); ++i) g = g + micro_grads_[i][j];
      params_[j].mutable_grad() = g;
    }
    for (double l : micro_losses_) value += l;
    return value;
  }

 private:
  void micro_batch(int i) {
    const size_t offset = static_cast<size_t>(i * micro_rows_ * seq_len_);
    const torch::Tensor in =
        torch::from_blob(inputs_.data() + offset, {micro_rows_, seq_len_}, torch::kInt64);  // [rows, t]
    const torch::Tensor tg =
        torch::from_blob(targets_.data() + offset, {micro_rows_, seq_len_}, torch::kInt64);  // [rows, t]
    ForwardOptions fo;
    fo.logits = LogitsMode::All;
    const torch::Tensor logits = model_.forward(in, fo).logits;  // [rows, t, vocab]
    const torch::Tensor loss =  // [] summed over predicted targets / batch targets
        F::cross_entropy(logits.reshape({-1, vocab_size_}), tg.reshape({-1}),
                         F::CrossEntropyFuncOptions().ignore_index(kIgnoreTarget).reduction(torch::kSum)) /
        predicted_in_batch_;
    micro_grads_[static_cast<size_t>(i)] = torch::autograd::grad({loss}, params_);
    micro_losses_[static_cast<size_t>(i)] = loss.item<double>();
  }

  const LlamaModel& model_;
  const std::vector<torch::Tensor>& params_;
  const int64_t seq_len_, batch_rows_;
  const int micro_;
  const int64_t micro_rows_;
  const int vocab_size_;
  std::vector<int64_t> inputs_, targets_;  // [batch_rows * seq_len] row-major
  double predicted_in_batch_ = 1;
  std::vector<std::vector<torch::Tensor>> micro_grads_;  // [micro][param]
  std::vector<double> micro_losses_;                     // [micro]
  MicroBatchPool pool_;                                  // last: its threads use every member above
};

DemoTrainProgress step_progress(int done, int steps, double loss, double smoothed, double lr, double elapsed,
                                const DemoTrainResult& result) {
  DemoTrainProgress p;
  p.phase = "train";
  p.step = done;
  p.steps = steps;
  p.fraction = kTokenizeEnd + (kTrainEnd - kTokenizeEnd) * done / steps;
  p.loss = loss;
  p.smoothed_loss = smoothed;
  p.tokens_per_second = static_cast<double>(result.tokens_trained) / std::max(elapsed, 1e-9);
  p.eta_seconds = elapsed / done * (steps - done);
  char line[160];
  std::snprintf(line, sizeof line, "step %d/%d  loss %.3f  lr %.2e  %.0f tok/s  epoch %.2f", done, steps,
                smoothed, lr, p.tokens_per_second,
                static_cast<double>(result.tokens_trained) / std::max<int64_t>(1, result.corpus_tokens));
  p.message = line;
  return p;
}

// Phase 5: `steps` optimizer steps, a progress report after each. Fills result's losses, tokens_trained,
// train_seconds and seconds_per_step; returns the smoothed loss of the last step.
double train_steps(BatchGradient& gradient, const std::vector<torch::Tensor>& params,
                   torch::optim::AdamW& optimizer, RowStream& stream, const DemoRecipe& recipe,
                   const Reporter& reporter, DemoTrainResult& result) {
  const int steps = recipe.steps;
  const auto train_start = Clock::now();
  double smoothed = 0;
  for (int step = 0; step < steps; ++step) {
    reporter.check_cancel();
    const double lr = learning_rate(recipe, step, steps);
    for (auto& group : optimizer.param_groups())
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    int64_t predicted = 0;
    const double value = gradient.compute(stream, predicted);
    torch::nn::utils::clip_grad_norm_(params, recipe.grad_clip);
    optimizer.step();

    if (!std::isfinite(value))
      throw Error("training diverged at step " + std::to_string(step + 1) + " (loss is not finite)");
    result.losses.push_back(static_cast<float>(value));
    result.tokens_trained += predicted;
    smoothed = step == 0 ? value : 0.9 * smoothed + 0.1 * value;
    reporter.report(step_progress(step + 1, steps, value, smoothed, lr, seconds_since(train_start), result));
  }
  result.train_seconds = seconds_since(train_start);
  result.seconds_per_step = steps > 0 ? result.train_seconds / steps : 0;
  return smoothed;
}

// The loss of the first step, the mean of the last 50, and the epochs trained.
void summarize_losses(DemoTrainResult& result) {
  if (!result.losses.empty()) {
    result.initial_loss = result.losses.front();
    const size_t tail = std::min<size_t>(50, result.losses.size());
    double sum = 0;
    for (size_t i = result.losses.size() - tail; i < result.losses.size(); ++i) sum += result.losses[i];
    result.final_loss = sum / static_cast<double>(tail);
  }
  result.epochs = static_cast<double>(result.tokens_trained) / std::max<int64_t>(1, result.corpus_tokens);
}

// Phase 6: the Hugging Face model folder; result.files gets its four files.
void write_model_folder(const std::string& out_dir, const ModelConfig& config, const DemoWeights& weights,
                        const fs::path& spm_model, int64_t max_length, DemoTrainResult& result) {
  const fs::path out(out_dir);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec || !fs::is_directory(out)) throw Error(out_dir + ": cannot create the folder");
  SafetensorsWriter writer;
  writer.set_metadata("format", "pt");
  for (const auto& [name, shape] : weights.shapes) {
    const torch::Tensor t = weights.by_name.at(name).detach().contiguous();
    writer.add(name, DType::F32, shape, t.data_ptr<float>());
  }
  const fs::path weights_path = out / "model.safetensors";
  writer.write(weights_path.string());
  write_text(out / "config.json", config.to_json());
  const fs::path tokenizer_path = out / "tokenizer.model";
  fs::copy_file(spm_model, tokenizer_path, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error(tokenizer_path.string() + ": cannot write: " + ec.message());
  write_text(out / "tokenizer_config.json", training::tokenizer_config_json(max_length));
  result.files = {(out / "config.json").string(), weights_path.string(), tokenizer_path.string(),
                  (out / "tokenizer_config.json").string()};
}

// Phase 7: the evaluation datasets of the same world split.
void write_datasets(const DemoWorld& world, uint64_t world_seed, const std::string& datasets_dir,
                    DemoTrainResult& result) {
  DatasetOptions dataset_options;
  dataset_options.seed = world_seed;
  const DatasetWriter datasets(world.world, world.vocabulary, world.split, dataset_options);
  for (std::string& path : datasets.write_all(datasets_dir)) result.files.push_back(std::move(path));
}

DemoTrainProgress done_progress(const DemoTrainResult& result, double smoothed, const std::string& out_dir) {
  const int steps = result.recipe.steps;
  DemoTrainProgress done;
  done.phase = "done";
  done.fraction = 1.0;
  done.step = steps;
  done.steps = steps;
  done.loss = result.losses.empty() ? 0 : result.losses.back();
  done.smoothed_loss = smoothed;
  done.eta_seconds = 0;
  done.message = "wrote " + out_dir;
  return done;
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
  const DemoRecipe recipe = run_recipe(options);
  const int steps = recipe.steps;
  // Micro-batches run one per thread, each single-threaded; see MicroBatchPool.
  const int threads =
      std::max(1, std::min(options.threads > 0 ? options.threads : hardware_threads(), recipe.micro_batches));
  const TensorThreadsScope single_threaded(1);
  DemoTrainResult result;
  result.seed = options.seed;
  result.world_seed = options.world_seed;
  result.threads = threads;
  const Reporter reporter(options, control);

  reporter.phase("corpus", 0.0, "generating the training corpus", steps);
  const DemoWorld world(options.world_seed, recipe.corpus_chars);
  const std::vector<std::string> documents = world.generator.training_documents();
  const TempDir temp;
  const fs::path corpus_path = temp.path() / "corpus.txt";
  write_corpus(documents, corpus_path, result);

  reporter.phase("tokenizer", kCorpusEnd,
                 "training the SentencePiece tokenizer on " + std::to_string(documents.size()) + " documents",
                 steps);
  const fs::path spm_model = temp.path() / "tokenizer.model";
  const std::unique_ptr<Tokenizer> tokenizer =
      train_tokenizer(world.generator, recipe.vocab_size, corpus_path, temp.path(), spm_model, result);

  reporter.phase("tokenize", kTokenizerEnd, "tokenizing the corpus", steps);
  const std::vector<std::vector<int32_t>> docs = tokenize_documents(*tokenizer, documents, result);
  RowStream stream(docs, recipe.seq_len + 1, options.seed);

  const ModelConfig config = make_config(recipe, result.vocab_size);
  result.parameters = config.parameter_count();
  const DemoWeights weights = init_weights(config, recipe, options.seed);
  const LlamaModel model(config, weights.by_name);
  const std::unique_ptr<torch::optim::AdamW> optimizer = make_optimizer(weights, recipe);

  reporter.phase(
      "train", kTokenizeEnd,
      "training " + std::to_string(result.parameters) + " parameters for " + std::to_string(steps) + " steps",
      steps);
  BatchGradient gradient(model, recipe, result.vocab_size, weights.all, threads);
  const double smoothed = train_steps(gradient, weights.all, *optimizer, stream, recipe, reporter, result);
  summarize_losses(result);

  reporter.phase("save", kTrainEnd, "writing " + options.out_dir, steps);
  write_model_folder(options.out_dir, config, weights, spm_model, recipe.seq_len, result);

  if (!options.datasets_dir.empty()) {
    reporter.phase("datasets", kSaveEnd, "writing datasets to " + options.datasets_dir, steps);
    write_datasets(world, options.world_seed, options.datasets_dir, result);
  }

  result.recipe = recipe;
  result.total_seconds = seconds_since(start);
  reporter.report(done_progress(result, smoothed, options.out_dir));
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
                static_cast<long long>(r.seq_len), r.micro_batches,
                static_cast<long long>(result.tokens_trained), result.epochs);
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
  std::snprintf(buf, sizeof buf, "%.0f s training (%.2f s/step) on %d threads; %.0f s in all",
                result.train_seconds, result.seconds_per_step, result.threads, result.total_seconds);
  md << "| Time | " << buf << " |\n";
  return md.str();
}

}  // namespace ce::core
