// train_dictionary: the corpus's activations at one site, the TopK trainer, the folder, and its metrics
// measured through Dictionary::load (so that what is reported is what a user loads).
#include "ce/core/dictionaries/sae_training.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "ce/core/base/error.h"
#include "io/loader_util.h"
#include "ce/core/base/threading.h"
#include "ce/core/model/model.h"
#include "dictionaries/dictionary_ops.h"
#include "dictionaries/sae_training_ops.h"
#include "engine/llama.h"
#include "engine/model_access.h"
#include "exemplars/corpus_reader.h"

namespace ce::core {

namespace {

constexpr int64_t kWindowsPerForward = 32;

using Window = std::vector<int64_t>;  // token ids of one window

struct Corpus {
  std::vector<Window> train, heldout;
};

// Non-BOS tokens of a window: the positions whose activations are collected.
int64_t counted(const Window& w, int64_t bos) {
  int64_t n = 0;
  for (int64_t id : w) n += id != bos;
  return n;
}

// The first documents' windows until train_tokens counted tokens, then the next ones' until heldout_tokens.
// A document never straddles the two sets, so held-out text is text the dictionary never saw.
Corpus read_windows(const Model& model, const SaeTrainingOptions& o, const JobControl& control) {
  CorpusReader reader(o.corpus_path);
  const int64_t bos = model.tokenizer().bos_id();
  Corpus c;
  int64_t train = 0, heldout = 0;
  std::string doc;
  while ((train < o.train_tokens || heldout < o.heldout_tokens) && reader.next(doc)) {
    control.check();
    const std::vector<int> ids = model.encode(doc);
    const bool to_train = train < o.train_tokens;
    for (size_t i = 0; i < ids.size(); i += static_cast<size_t>(o.context)) {
      const size_t end = std::min(ids.size(), i + static_cast<size_t>(o.context));
      Window w(ids.begin() + static_cast<std::ptrdiff_t>(i), ids.begin() + static_cast<std::ptrdiff_t>(end));
      (to_train ? train : heldout) += counted(w, bos);
      (to_train ? c.train : c.heldout).push_back(std::move(w));
    }
  }
  if (train < o.train_tokens || heldout < o.heldout_tokens) {
    throw Error(o.corpus_path + ": " + std::to_string(train + heldout) + " tokens, fewer than the " +
                std::to_string(o.train_tokens + o.heldout_tokens) +
                " needed (train_tokens + heldout_tokens)");
  }
  return c;
}

// Windows [from, from + n) as one right-padded batch, on the model's device (the masks meet activations).
struct Batch {
  torch::Tensor ids;   // [b, t] int64, padding 0
  torch::Tensor mask;  // [b, t] int64: 1 = token
};

Batch make_batch(const std::vector<Window>& windows, size_t from, size_t n, torch::Device device) {
  size_t t = 0;
  for (size_t i = from; i < from + n; ++i) t = std::max(t, windows[i].size());
  Batch b;
  b.ids = torch::zeros({static_cast<int64_t>(n), static_cast<int64_t>(t)}, torch::kInt64);
  b.mask = torch::zeros_like(b.ids);
  for (size_t i = 0; i < n; ++i) {
    const Window& w = windows[from + i];
    const auto len = static_cast<int64_t>(w.size());
    b.ids[static_cast<int64_t>(i)].narrow(0, 0, len).copy_(torch::tensor(w, torch::kInt64));
    b.mask[static_cast<int64_t>(i)].narrow(0, 0, len).fill_(1);
  }
  b.ids = b.ids.to(device);
  b.mask = b.mask.to(device);
  return b;
}

struct Activations {  // on the model's device, where the dictionary trains
  torch::Tensor in;   // [n, d] what the dictionary reads
  torch::Tensor out;  // [n, d] what it reconstructs (the same tensor for an SAE)
};

// The site's activations at the counted positions of `windows`, the first `limit` of them in corpus order.
Activations collect(const Model& model, const std::vector<Window>& windows, const SaeTrainingOptions& o,
                    int64_t limit, const JobControl& control) {
  const LlamaModel& engine = engine_of(model);
  const int64_t bos = model.tokenizer().bos_id();
  const Site in_site = o.site == SaeTrainingSite::ResidPost    ? Site::ResidPost
                       : o.site == SaeTrainingSite::Transcoder ? Site::MlpIn
                                                               : Site::MlpOut;
  const bool transcoder = o.site == SaeTrainingSite::Transcoder;
  // ln2.hook_normalized, which a transcoder reads, is the engine's MlpIn before post_attention_layernorm's
  // weight (splice_hook divides the same way).
  const torch::Tensor norm_weight = engine.layer(o.layer).post_norm.to(torch::kFloat32);  // [d]
  if (transcoder && (norm_weight == 0).any().item<bool>()) {
    throw Error("post_attention_layernorm of layer " + std::to_string(o.layer) +
                " has a zero weight, so a transcoder cannot read ln2.hook_normalized");
  }
  std::vector<torch::Tensor> ins, outs;  // per forward: [rows, d]
  int64_t rows = 0;
  torch::NoGradGuard no_grad;
  for (size_t from = 0; from < windows.size() && rows < limit; from += kWindowsPerForward) {
    control.check();
    const size_t n = std::min(windows.size() - from, static_cast<size_t>(kWindowsPerForward));
    const Batch b = make_batch(windows, from, n, engine.device());
    const torch::Tensor keep = (b.mask == 1) & (b.ids != bos);  // [b, t] bool
    torch::Tensor in, out;  // [b, t, d]
    ForwardOptions fo;
    fo.logits = LogitsMode::None;
    fo.attention_mask = b.mask;
    fo.hook = [&](Site s, int l, const torch::Tensor& x) {
      if (l == o.layer && s == in_site) in = x.detach().to(torch::kFloat32);
      if (l == o.layer && transcoder && s == Site::MlpOut) out = x.detach().to(torch::kFloat32);
      return x;
    };
    engine.forward(b.ids, fo);
    ins.push_back(in.index({keep}));  // [rows, d]
    if (transcoder) outs.push_back(out.index({keep}));
    rows += ins.back().size(0);
    control.report(static_cast<double>(std::min(rows, limit)) / static_cast<double>(limit),
                   std::to_string(std::min(rows, limit)) + " tokens of activations");
  }
  Activations a;
  a.in = torch::cat(ins).narrow(0, 0, limit).contiguous();  // [limit, d]
  if (transcoder) {
    a.in = (a.in / norm_weight).contiguous();
    a.out = torch::cat(outs).narrow(0, 0, limit).contiguous();  // [limit, d]
  } else {
    a.out = a.in;
  }
  return a;
}

struct NextToken {
  double ce = 0, accuracy = 0;
  int64_t predictions = 0;
};

// Next-token cross-entropy and accuracy over the windows (every position whose successor is a token of the
// same window), with the hook `hook_for` makes for each batch in the forward when given.
NextToken next_token(const LlamaModel& engine, const std::vector<Window>& windows,
                     const std::function<HookFn(const Batch&)>& hook_for, const JobControl& control) {
  torch::NoGradGuard no_grad;
  double nll = 0;
  int64_t correct = 0, count = 0;
  for (size_t from = 0; from < windows.size(); from += kWindowsPerForward) {
    control.check();
    const size_t n = std::min(windows.size() - from, static_cast<size_t>(kWindowsPerForward));
    const Batch b = make_batch(windows, from, n, engine.device());
    ForwardOptions fo;
    fo.attention_mask = b.mask;
    if (hook_for) fo.hook = hook_for(b);
    const torch::Tensor logits = engine.forward(b.ids, fo).logits;  // [b, t, vocab]
    const int64_t t = b.ids.size(1);
    if (t < 2) continue;
    const torch::Tensor lp = torch::log_softmax(logits.narrow(1, 0, t - 1).to(torch::kFloat64), -1);
    const torch::Tensor target = b.ids.narrow(1, 1, t - 1);                      // [b, t-1]
    const torch::Tensor valid = b.mask.narrow(1, 1, t - 1) == 1;                 // [b, t-1]
    const torch::Tensor picked = lp.gather(-1, target.unsqueeze(-1)).squeeze(-1);  // [b, t-1]
    nll -= picked.masked_select(valid).sum().item<double>();
    correct += (lp.argmax(-1) == target).masked_select(valid).sum().item<int64_t>();
    count += valid.sum().item<int64_t>();
    control.report(static_cast<double>(from + n) / static_cast<double>(windows.size()),
                   hook_for ? "held-out next-token loss, dictionary spliced" : "held-out next-token loss");
  }
  NextToken r;
  r.predictions = count;
  if (count > 0) {
    r.ce = nll / static_cast<double>(count);
    r.accuracy = static_cast<double>(correct) / static_cast<double>(count);
  }
  return r;
}

void check_options(const Model& model, const SaeTrainingOptions& o) {
  const ModelConfig& c = model.config();
  if (o.out_dir.empty()) throw Error("no output folder");
  if (o.layer < 0 || o.layer >= c.num_hidden_layers) {
    throw Error("layer " + std::to_string(o.layer) + " is out of range (the model has " +
                std::to_string(c.num_hidden_layers) + " layers)");
  }
  if (o.expansion < 1) throw Error("expansion must be >= 1");
  const int64_t d_sae = static_cast<int64_t>(o.expansion) * c.hidden_size;
  if (o.k < 1 || o.k > d_sae) {
    throw Error("k = " + std::to_string(o.k) + " must be between 1 and d_sae = " + std::to_string(d_sae));
  }
  if (o.steps < 1) throw Error("steps must be >= 1");
  if (o.batch < 1) throw Error("batch must be >= 1");
  if (!(o.learning_rate > 0)) throw Error("learning rate must be > 0");
  if (o.context < 2) throw Error("context must be >= 2");
  if (c.max_position_embeddings > 0 && o.context > c.max_position_embeddings) {
    throw Error("context = " + std::to_string(o.context) + " exceeds the model's " +
                std::to_string(c.max_position_embeddings) + " positions (max_position_embeddings)");
  }
  if (o.train_tokens < o.batch) {
    throw Error("train_tokens must be >= batch (" + std::to_string(o.batch) + ")");
  }
  if (o.heldout_tokens < 1) throw Error("heldout_tokens must be >= 1");
}

std::string hook(int layer, const char* name) { return "blocks." + std::to_string(layer) + "." + name; }

nlohmann::json metrics_json(const SaeTrainingResult& r) {
  return {{"fvu", r.fvu},
          {"fvu_init", r.fvu_init},
          {"mean_l0", r.mean_l0},
          {"dead_features", r.dead_features},
          {"ce_clean", r.ce_clean},
          {"ce_spliced", r.ce_spliced},
          {"accuracy_clean", r.accuracy_clean},
          {"accuracy_spliced", r.accuracy_spliced},
          {"predictions", r.predictions},
          {"train_tokens", r.train_tokens},
          {"heldout_tokens", r.heldout_tokens},
          {"final_loss", r.final_loss},
          {"seconds", r.seconds}};
}

}  // namespace

SaeTrainingSite parse_sae_training_site(const std::string& name) {
  if (name == "mlp_out") return SaeTrainingSite::MlpOut;
  if (name == "resid" || name == "resid_post") return SaeTrainingSite::ResidPost;
  if (name == "transcoder") return SaeTrainingSite::Transcoder;
  throw Error("unknown site \"" + detail::printable(name, false, 60) + "\" (mlp_out, resid, transcoder)");
}

const char* sae_training_site_name(SaeTrainingSite site) {
  switch (site) {
    case SaeTrainingSite::MlpOut:
      return "mlp_out";
    case SaeTrainingSite::ResidPost:
      return "resid";
    case SaeTrainingSite::Transcoder:
      return "transcoder";
  }
  return "?";
}

SaeTrainingResult train_dictionary(const Model& model, const SaeTrainingOptions& o, const JobControl& control) {
  const auto t0 = std::chrono::steady_clock::now();
  check_options(model, o);
  ensure_compute_threads();
  const bool sae = o.site != SaeTrainingSite::Transcoder;

  // Progress: reading and activations 0-15%, training 15-85%, measuring 85-100%.
  const Corpus corpus = read_windows(model, o, control.sub(0.0, 0.02));
  const Activations train = collect(model, corpus.train, o, o.train_tokens, control.sub(0.02, 0.12));
  const Activations held = collect(model, corpus.heldout, o, o.heldout_tokens, control.sub(0.12, 0.15));
  const TopKTrainOutput trained = train_topk(train.in, train.out, sae, o, control.sub(0.15, 0.85));
  control.check();

  SaeTrainingResult r;
  r.train_tokens = train.in.size(0);
  r.heldout_tokens = held.in.size(0);
  r.final_loss = trained.final_loss;
  r.fvu_init = topk_fvu(trained.initial, held.in, held.out);

  const std::string hook_in = o.site == SaeTrainingSite::ResidPost    ? hook(o.layer, "hook_resid_post")
                              : o.site == SaeTrainingSite::Transcoder ? hook(o.layer, "ln2.hook_normalized")
                                                                      : hook(o.layer, "hook_mlp_out");
  const std::string hook_out = sae ? "" : hook(o.layer, "hook_mlp_out");
  const nlohmann::json training = {{"site", sae_training_site_name(o.site)},
                                   {"expansion", o.expansion},
                                   {"seed", o.seed},
                                   {"steps", o.steps},
                                   {"batch", o.batch},
                                   {"learning_rate", o.learning_rate},
                                   {"context", o.context},
                                   {"corpus", std::filesystem::path(o.corpus_path).filename().string()}};
  write_topk_folder(trained.trained, o.out_dir, hook_in, hook_out, o.layer,
                    nlohmann::json{{"training", training}}.dump());

  const Dictionary dict = Dictionary::load(o.out_dir, model.config());
  r.info = dict.info();
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor f = dictionary_encode(dict, held.in);  // [n, d_sae]
    const torch::Tensor y_hat = dictionary_decode(dict, f);    // [n, d]
    const torch::Tensor y = held.out.to(torch::kFloat64);      // [n, d]
    r.fvu = (y - y_hat.to(torch::kFloat64)).pow(2).sum().item<double>() /
            (y - y.mean(0)).pow(2).sum().item<double>();
    const torch::Tensor active = f > 0;  // [n, d_sae]
    r.mean_l0 = active.sum(1).to(torch::kFloat64).mean().item<double>();
    r.dead_features = (~active.any(0)).sum().item<int64_t>();
  }
  const LlamaModel& engine = engine_of(model);
  const NextToken clean = next_token(engine, corpus.heldout, {}, control.sub(0.85, 0.92));
  // The error term is kept only at BOS positions: training skipped them, so the dictionary is not meant to
  // reconstruct the attention sink's constant activation there.
  const int64_t bos = model.tokenizer().bos_id();
  const auto splice_for = [&](const Batch& b) {
    const torch::Tensor bos_rows = (b.ids == bos).to(torch::kFloat64).unsqueeze(-1);  // [b, t, 1]
    SpliceOptions so;
    so.keep_error = true;
    so.on_splice = [bos_rows](SpliceState& s) { s.error = s.error * bos_rows; };
    return splice_hook(dict, engine, so);
  };
  const NextToken spliced = next_token(engine, corpus.heldout, splice_for, control.sub(0.92, 1.0));
  r.ce_clean = clean.ce;
  r.accuracy_clean = clean.accuracy;
  r.ce_spliced = spliced.ce;
  r.accuracy_spliced = spliced.accuracy;
  r.predictions = clean.predictions;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // The metrics go into cfg.json's "training" object too, so that a folder carries its own report.
  const std::filesystem::path dir(o.out_dir);
  nlohmann::json with_metrics = training;
  with_metrics["metrics"] = metrics_json(r);
  write_topk_folder(trained.trained, o.out_dir, hook_in, hook_out, o.layer,
                    nlohmann::json{{"training", with_metrics}}.dump());
  const std::string metrics_path = (dir / "metrics.json").string();
  std::ofstream m(metrics_path, std::ios::binary | std::ios::trunc);
  m << metrics_json(r).dump(2) << "\n";
  if (!m.flush()) throw Error(metrics_path + ": write failed");
  control.report(1.0, "done");
  return r;
}

}  // namespace ce::core
