// Sparse dictionaries (issue #17): SAELens and Llama Scope folders written here load and encode/decode
// hand-computed vectors; spliced into the demo model with their error term they leave the logits unchanged,
// without it they change them; bad folders give their exact errors.
#include <QTemporaryDir>
#include <QtTest/QtTest>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "ce/core/base/resources.h"
#include "ce/core/dictionaries/dictionary.h"
#include "ce/core/model/model.h"
#include "dictionaries/dictionary_ops.h"
#include "dictionary_files.h"
#include "engine/model_access.h"
#include "test_support.h"

using namespace ce::core;
using ce::test::error_of;

namespace {

using ce::test::Tensors;
using ce::test::write_tensors;
using ce::test::write_text;

torch::Tensor mat(std::vector<std::vector<float>> rows) {
  std::vector<float> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return torch::tensor(flat).view({static_cast<int64_t>(rows.size()), -1});
}

// The hand-sized dictionary: d_in 4, d_sae 6. Column j of kEnc is feature j's encoder; row j of kDec its
// decoder (for SAELens; Llama Scope stores both transposed).
torch::Tensor enc() {
  return mat({{1, 0, 0, 0, 1, -1}, {0, 1, 0, 0, 1, 0}, {0, 0, 1, 0, 0, 1}, {0, 0, 0, 1, 0, 0}});  // [4, 6]
}
torch::Tensor dec() {
  return mat(
      {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 2, 0}, {0, 0, 0, 1}, {1, 1, 1, 1}, {0, -1, 0, 2}});  // [6, 4]
}
// Llama Scope's decoder: rows of norms 0.5, 1, 2, 2, 2, sqrt(5), so that decoder norms change the result.
torch::Tensor scope_dec() {
  return mat(
      {{0.5f, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 2, 0}, {0, 0, 0, 2}, {1, 1, 1, 1}, {0, -1, 0, 2}});  // [6, 4]
}

ModelConfig tiny_config() {
  ModelConfig c;
  c.hidden_size = 4;
  c.num_hidden_layers = 4;
  return c;
}

std::string saelens_cfg(const std::string& arch, const std::string& extra = "") {
  return R"({"architecture": ")" + arch +
         R"(", "d_in": 4, "d_sae": 6, "hook_name": "blocks.2.hook_resid_post",
             "apply_b_dec_to_input": true, "normalize_activations": "none")" +
         extra + "}";
}

Tensors saelens_tensors() {
  return {{"W_enc", enc()},
          {"b_enc", torch::tensor({0.f, 0.f, -1.f, 0.f, 0.f, 0.5f})},
          {"W_dec", dec()},
          {"b_dec", torch::tensor({1.f, 0.f, 0.f, 0.f})}};
}

void compare(const std::vector<float>& got, const std::vector<float>& want) {
  QCOMPARE(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    QVERIFY2(std::abs(got[i] - want[i]) < 1e-5f,
             qPrintable(QString("[%1] %2 vs %3").arg(i).arg(got[i]).arg(want[i])));
  }
}

float max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<float>();
}

// Logits of a forward with one hook: [1, t, vocab].
torch::Tensor logits_with(const LlamaModel& e, const torch::Tensor& ids, HookFn hook) {
  ForwardOptions o;
  o.hook = std::move(hook);
  return e.forward(ids, o).logits;
}

}  // namespace

class TestDictionary : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::unique_ptr<Model> geo_;
  int folders_ = 0;

  std::string folder() { return tmp_.path().toStdString() + "/d" + std::to_string(folders_++); }

  // A SAELens folder of the hand-sized dictionary; returns its path.
  std::string saelens(const std::string& cfg, const Tensors& tensors = saelens_tensors()) {
    const std::string dir = folder();
    write_text(dir + "/cfg.json", cfg);
    write_tensors(dir + "/sae_weights.safetensors", tensors);
    return dir;
  }

  // A SAELens folder of a random dictionary for the demo model (d 256, d_sae 512), seeded by the hook name.
  std::string random_sae(const std::string& hook, const std::string& arch, const std::string& extra) {
    uint64_t seed = 0;
    for (const char ch : hook) seed = seed * 31 + static_cast<unsigned char>(ch);
    torch::manual_seed(seed);
    const int64_t d = 256, n = 512;
    Tensors w{{"W_enc", torch::randn({d, n}) / 16.0},
              {"b_enc", torch::randn({n}) * 0.1},
              {"W_dec", torch::randn({n, d}) / std::sqrt(static_cast<double>(n))},
              {"b_dec", torch::randn({d}) * 0.1}};
    if (arch == "jumprelu") w["threshold"] = torch::rand({n}) * 0.5;
    return saelens(R"({"architecture": ")" + arch + R"(", "d_in": 256, "d_sae": 512, "hook_name": ")" + hook +
                       R"(", "apply_b_dec_to_input": true)" + extra + "}",
                   w);
  }

  torch::Tensor prompt_ids() const {
    const std::vector<int> prompt = geo_->encode("The capital of Texas is");
    return torch::tensor(std::vector<int64_t>(prompt.begin(), prompt.end())).unsqueeze(0);  // [1, t]
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    geo_ = Model::open(default_model_dir());
  }

  // x = (3, -2, 2, 0.5), b_dec = (1, 0, 0, 0) subtracted first: x' = (2, -2, 2, 0.5);
  // pre = x' W_enc + b_enc = (2, -2, 2 - 1, 0.5, 2 - 2, -2 + 2 + 0.5) = (2, -2, 1, 0.5, 0, 0.5).
  void saelensStandard() {
    const Dictionary d = Dictionary::load(saelens(saelens_cfg("standard")), tiny_config());
    QCOMPARE(d.info().kind, DictionaryKind::Sae);
    QCOMPARE(d.info().architecture, DictionaryArchitecture::Standard);
    QCOMPARE(d.info().site_in, DictionarySite::ResidPost);
    QCOMPARE(d.info().layer, 2);
    QCOMPARE(d.info().d_sae, int64_t{6});
    // ReLU: (2, 0, 1, 0.5, 0, 0.5).
    const std::vector<float> f = d.encode({3, -2, 2, 0.5f});
    compare(f, {2, 0, 1, 0.5f, 0, 0.5f});
    // 2 * (1,0,0,0) + 1 * (0,0,2,0) + 0.5 * (0,0,0,1) + 0.5 * (0,-1,0,2) + b_dec = (3, -0.5, 2, 1.5).
    compare(d.decode(f), {3, -0.5f, 2, 1.5f});
  }

  // Same pre; threshold (2.5, 0, 0.5, 0.5, -1, 0.4): f0 2 <= 2.5 off, f2 1 > 0.5 on, f3 0.5 is not > 0.5,
  // f4 passes its threshold but ReLU(0) = 0, f5 0.5 > 0.4 on: f = (0, 0, 1, 0, 0, 0.5).
  void saelensJumpRelu() {
    Tensors t = saelens_tensors();
    t["threshold"] = torch::tensor({2.5f, 0.f, 0.5f, 0.5f, -1.f, 0.4f});
    const Dictionary d = Dictionary::load(saelens(saelens_cfg("jumprelu"), t), tiny_config());
    QCOMPARE(d.info().architecture, DictionaryArchitecture::JumpRelu);
    const std::vector<float> f = d.encode({3, -2, 2, 0.5f});
    compare(f, {0, 0, 1, 0, 0, 0.5f});
    // (0,0,2,0) + 0.5 * (0,-1,0,2) + b_dec = (1, -0.5, 2, 1).
    compare(d.decode(f), {1, -0.5f, 2, 1});
  }

  void saelensTopK() {
    // k in activation_fn_kwargs (SAELens 4-5): ReLU(pre) = (2, 0, 1, 0.5, 0, 0.5), its top 2 are f0 and f2.
    const Dictionary a = Dictionary::load(
        saelens(saelens_cfg("topk", R"(, "activation_fn_kwargs": {"k": 2})")), tiny_config());
    QCOMPARE(a.info().k, int64_t{2});
    const std::vector<float> fa = a.encode({3, -2, 2, 0.5f});
    compare(fa, {2, 0, 1, 0, 0, 0});
    compare(a.decode(fa), {3, 0, 2, 0});  // 2 * (1,0,0,0) + (0,0,2,0) + b_dec
    // k at the top level (SAELens 6) and b_dec not subtracted: pre = (3, -2, 1, 0.5, 1, -0.5), top 1 = f0.
    std::string cfg = saelens_cfg("topk", R"(, "k": 1)");
    cfg.replace(cfg.find("\"apply_b_dec_to_input\": true"), 28, "\"apply_b_dec_to_input\": false");
    const Dictionary b = Dictionary::load(saelens(cfg), tiny_config());
    const std::vector<float> fb = b.encode({3, -2, 2, 0.5f});
    compare(fb, {3, 0, 0, 0, 0, 0});
    compare(b.decode(fb), {4, 0, 0, 0});
    // SAELens 4-5 also wrote TopK as architecture "standard" with activation_fn_str "topk".
    const Dictionary c = Dictionary::load(
        saelens(
            saelens_cfg("standard", R"(, "activation_fn_str": "topk", "activation_fn_kwargs": {"k": 2})")),
        tiny_config());
    QCOMPARE(c.info().architecture, DictionaryArchitecture::TopK);
    compare(c.encode({3, -2, 2, 0.5f}), fa);
  }

  // Llama Scope SAE, dataset-wise: s_in = s_out = sqrt(4) / 4 = 0.5. x = (6, -4, 4, 1): x_n = (3, -2, 2,
  // 0.5), no b_dec subtracted; b_enc = (0, 0, -1, 0, 0, 1.1): pre = (3, -2, 1, 0.5, 1, 0.1).
  // jump_relu_threshold 1.2 is in lm_saes' inference units (pre * |W_D[:, j]| / s_out), so feature j needs
  // pre > 1.2 * 0.5 / |W_D[:, j]| = (1.2, 0.6, 0.3, 0.3, 0.3, 0.268): f = (3, 0, 1, 0.5, 1, 0) (f5's 0.1
  // falls short).
  void llamaScopeSae() {
    const std::string dir = folder();
    write_text(dir + "/hyperparams.json", R"({"d_model": 4, "expansion_factor": 2, "d_sae": 6,
      "hook_point_in": "blocks.3.hook_mlp_out", "hook_point_out": "blocks.3.hook_mlp_out", "act_fn": "jumprelu",
      "jump_relu_threshold": 1.2, "top_k": 50, "norm_activation": "dataset-wise",
      "dataset_average_activation_norm": {"in": 4.0, "out": 4.0}, "use_decoder_bias": true,
      "apply_decoder_bias_to_pre_encoder": false, "sparsity_include_decoder_norm": true})");
    write_tensors(dir + "/checkpoints/final.safetensors",
                  {{"encoder.weight", enc().t()},
                   {"encoder.bias", torch::tensor({0.f, 0.f, -1.f, 0.f, 0.f, 1.1f})},
                   {"decoder.weight", scope_dec().t()},
                   {"decoder.bias", torch::tensor({1.f, 0.f, 0.f, 0.f})}});
    const Dictionary d = Dictionary::load(dir, tiny_config());
    QCOMPARE(d.info().format, DictionaryFormat::LlamaScope);
    QCOMPARE(d.info().architecture, DictionaryArchitecture::JumpRelu);
    QCOMPARE(d.info().site_in, DictionarySite::MlpOut);
    QCOMPARE(d.info().layer, 3);
    QCOMPARE(QString::fromStdString(d.info().weights_file),
             QString::fromStdString(dir + "/checkpoints/final.safetensors"));
    const std::vector<float> f = d.encode({6, -4, 4, 1});
    compare(f, {3, 0, 1, 0.5f, 1, 0});
    // y_n = 3 (0.5,0,0,0) + (0,0,2,0) + 0.5 (0,0,0,2) + (1,1,1,1) + b_dec (1,0,0,0) = (3.5, 1, 3, 2); /
    // s_out.
    compare(d.decode(f), {7, 2, 6, 4});
  }

  // Llama Scope transcoder, TopK 2 ranked by ReLU(pre) * |W_D[:, j]|: s_in = 2 / 1, s_out = 2 / 4.
  // x = (1.5, -1, 1, 0.25): x_n = (3, -2, 2, 0.5); b_enc = (0, 0, -1, 0, 0.2, 0.5): pre = (3, -2, 1,
  // 0.5, 1.2, -0.5); scores (1.5, 0, 2, 1, 2.4, 0) pick f4 and f2 (ReLU alone would pick f0 and f4): f =
  // (0,0,1,0,1.2,0).
  void llamaScopeTranscoder() {
    const std::string dir = folder();
    write_text(dir + "/hyperparams.json", R"({"d_model": 4, "expansion_factor": 2, "d_sae": 6,
      "hook_point_in": "blocks.1.ln2.hook_normalized", "hook_point_out": "blocks.1.hook_mlp_out",
      "act_fn": "topk", "top_k": 2, "jump_relu_threshold": 0.0, "norm_activation": "dataset-wise",
      "dataset_average_activation_norm": {"in": 1.0, "out": 4.0}, "apply_decoder_bias_to_pre_encoder": false})");
    write_tensors(dir + "/sae_weights.safetensors",
                  {{"encoder.weight", enc().t()},
                   {"encoder.bias", torch::tensor({0.f, 0.f, -1.f, 0.f, 0.2f, 0.5f})},
                   {"decoder.weight", scope_dec().t()},
                   {"decoder.bias", torch::tensor({1.f, 0.f, 0.f, 0.f})}});
    const Dictionary d = Dictionary::load(dir, tiny_config());
    QCOMPARE(d.info().kind, DictionaryKind::Transcoder);
    QCOMPARE(d.info().architecture, DictionaryArchitecture::TopK);
    QCOMPARE(d.info().site_in, DictionarySite::MlpIn);
    QCOMPARE(d.info().site_out, DictionarySite::MlpOut);
    QCOMPARE(d.info().layer, 1);
    const std::vector<float> f = d.encode({1.5f, -1, 1, 0.25f});
    compare(f, {0, 0, 1, 0, 1.2f, 0});
    // y_n = (0,0,2,0) + 1.2 (1,1,1,1) + (1,0,0,0) = (2.2, 1.2, 3.2, 1.2); y = y_n / 0.5.
    compare(d.decode(f), {4.4f, 2.4f, 6.4f, 2.4f});
  }

  // Splicing random dictionaries into the demo model: with the error term the logits stay (<= 1e-5), without
  // it they move; the callback sees the features and the error.
  void spliceKeepsLogits() {
    const LlamaModel& e = engine_of(*geo_);
    const ModelConfig& c = geo_->config();
    const torch::Tensor ids = prompt_ids();
    const int64_t t = ids.size(1);
    torch::NoGradGuard ng;
    const torch::Tensor clean = e.forward(ids).logits;  // [1, t, vocab]
    const int64_t d = c.hidden_size, n = 512;
    struct Case {
      std::string folder;
      int64_t nonzero_per_position;  // -1: not fixed
    };
    const std::vector<Case> cases = {
        {random_sae("blocks.1.hook_resid_post", "standard", ""), -1},
        {random_sae("blocks.2.hook_mlp_out", "topk", R"(, "k": 32)"), 32},
        {random_sae("blocks.0.hook_attn_out", "jumprelu", ""), -1},
        {random_sae("blocks.3.hook_resid_pre", "standard", ""), -1},
        {random_sae("blocks.2.ln2.hook_normalized", "standard", ""), -1},
    };
    for (const Case& k : cases) {
      const Dictionary dict = Dictionary::load(k.folder, c);
      SpliceState seen;
      SpliceOptions keep;
      keep.on_splice = [&](SpliceState& s) { seen = s; };
      const torch::Tensor spliced = logits_with(e, ids, splice_hook(dict, e, keep));
      QVERIFY2(max_abs_diff(spliced, clean) <= 1e-5f,
               qPrintable(QString::number(max_abs_diff(spliced, clean))));
      QCOMPARE(seen.features.sizes().vec(), (std::vector<int64_t>{1, t, n}));
      QCOMPARE(seen.error.sizes().vec(), (std::vector<int64_t>{1, t, d}));
      QVERIFY(seen.error.abs().max().item<float>() > 0.1f);
      if (k.nonzero_per_position > 0) {
        QVERIFY((seen.features != 0).sum(-1).le(k.nonzero_per_position).all().item<bool>());
      }
      SpliceOptions alone;
      alone.keep_error = false;
      const torch::Tensor recon = logits_with(e, ids, splice_hook(dict, e, alone));
      QVERIFY2(max_abs_diff(recon, clean) > 0.1f, qPrintable(QString::number(max_abs_diff(recon, clean))));
    }
  }

  // What the feature basis (issue #17 item 2) will do: features and error made leaves. The logits stay, and
  // d logit / d error = d logit / d x, d logit / d f = (d logit / d x) W_dec^T.
  void spliceLeavesCarryGradients() {
    const LlamaModel& e = engine_of(*geo_);
    const torch::Tensor ids = prompt_ids();
    const int64_t t = ids.size(1);
    const Dictionary dict =
        Dictionary::load(random_sae("blocks.1.hook_resid_post", "topk", R"(, "k": 32)"), geo_->config());
    torch::Tensor x_leaf;  // [1, t, d]
    ForwardOptions o;
    o.hook = [&](Site s, int l, const torch::Tensor& x) {
      if (s != Site::ResidPost || l != 1) return x;
      x_leaf = x.detach().requires_grad_(true);
      return x_leaf;
    };
    const torch::Tensor clean = e.forward(ids, o).logits;  // [1, t, vocab]
    const int64_t token = clean[0][t - 1].argmax().item<int64_t>();
    clean[0][t - 1][token].backward();
    const torch::Tensor g = x_leaf.grad();  // [1, t, d]
    torch::Tensor f_leaf, e_leaf;           // [1, t, d_sae], [1, t, d]
    SpliceOptions leaves;
    leaves.on_splice = [&](SpliceState& s) {
      f_leaf = s.features.detach().requires_grad_(true);
      e_leaf = s.error.detach().requires_grad_(true);
      s.features = f_leaf;
      s.error = e_leaf;
    };
    const torch::Tensor spliced = logits_with(e, ids, splice_hook(dict, e, leaves));
    QVERIFY(max_abs_diff(spliced.detach(), clean.detach()) <= 1e-5f);
    spliced[0][t - 1][token].backward();
    const float scale = g.abs().max().item<float>();
    QVERIFY(scale > 0);
    QVERIFY(max_abs_diff(e_leaf.grad().to(torch::kFloat32), g) <= 1e-6f * scale);
    const torch::Tensor by_hand = torch::matmul(g, dict.impl().w_dec.t());  // [1, t, d_sae]
    QVERIFY(max_abs_diff(f_leaf.grad(), by_hand) <= 1e-5f * by_hand.abs().max().item<float>());
  }

  // A Llama Scope transcoder at layer 2: reads ln2.hook_normalized (the MLP's input without the norm's
  // weight), writes the MLP's output; its features equal encode(rms_norm(resid_mid)) computed by hand.
  void spliceTranscoder() {
    const LlamaModel& e = engine_of(*geo_);
    const ModelConfig& c = geo_->config();
    const torch::Tensor ids = prompt_ids();
    torch::NoGradGuard ng;
    torch::Tensor resid_pre, attn_out;  // layer 2: [1, t, d]
    ForwardOptions read;
    read.hook = [&](Site s, int l, const torch::Tensor& x) {
      if (l == 2 && s == Site::ResidPre) resid_pre = x;
      if (l == 2 && s == Site::AttnOut) attn_out = x;
      return x;
    };
    const torch::Tensor clean = e.forward(ids, read).logits;
    torch::manual_seed(3);
    const int64_t d = c.hidden_size, n = 1024;
    const std::string dir = folder();
    write_text(dir + "/hyperparams.json", R"({"d_model": 256, "d_sae": 1024, "hook_point_in":
      "blocks.2.ln2.hook_normalized", "hook_point_out": "blocks.2.hook_mlp_out", "act_fn": "topk", "top_k": 16,
      "norm_activation": "dataset-wise", "dataset_average_activation_norm": {"in": 16.0, "out": 3.0},
      "apply_decoder_bias_to_pre_encoder": false})");
    write_tensors(dir + "/checkpoints/final.safetensors", {{"encoder.weight", torch::randn({n, d}) / 16.0},
                                                           {"encoder.bias", torch::randn({n}) * 0.1},
                                                           {"decoder.weight", torch::randn({d, n}) / 32.0},
                                                           {"decoder.bias", torch::randn({d}) * 0.1}});
    const Dictionary dict = Dictionary::load(dir, c);
    QCOMPARE(dict.info().kind, DictionaryKind::Transcoder);
    SpliceState seen;
    SpliceOptions keep;
    keep.on_splice = [&](SpliceState& s) { seen = s; };
    const torch::Tensor spliced = logits_with(e, ids, splice_hook(dict, e, keep));
    QVERIFY2(max_abs_diff(spliced, clean) <= 1e-5f,
             qPrintable(QString::number(max_abs_diff(spliced, clean))));
    const torch::Tensor normalized = e.rms_norm(resid_pre + attn_out, torch::ones({d}), {});  // [1, t, d]
    QVERIFY(max_abs_diff(seen.features, dictionary_encode(dict, normalized)) < 1e-4f);
    QVERIFY((seen.features != 0).sum(-1).eq(16).all().item<bool>());
    SpliceOptions alone;
    alone.keep_error = false;
    const torch::Tensor recon = logits_with(e, ids, splice_hook(dict, e, alone));
    QVERIFY2(max_abs_diff(recon, clean) > 0.1f, qPrintable(QString::number(max_abs_diff(recon, clean))));
    // The callback may replace the features: scaling feature activations by 0 leaves the decoder's bias.
    SpliceOptions zero;
    zero.on_splice = [](SpliceState& s) { s.features = torch::zeros_like(s.features); };
    torch::Tensor mlp_out;
    ForwardOptions o;
    o.hook = splice_hook(dict, e, zero, [&](Site s, int l, const torch::Tensor& x) {
      if (l == 2 && s == Site::MlpOut) mlp_out = x;
      return x;
    });
    e.forward(ids, o);
    QVERIFY(max_abs_diff(mlp_out - seen.error, dictionary_decode(dict, torch::zeros({n}))) < 1e-5f);
  }

  void badFolders() {
    const ModelConfig c = tiny_config();
    auto err = [&](const std::string& dir) { return error_of([&] { Dictionary::load(dir, c); }); };
    auto cfg_err = [&](const std::string& cfg, const Tensors& t = saelens_tensors()) {
      const std::string dir = saelens(cfg, t);
      return std::make_pair(dir, err(dir));
    };
    const std::string empty = folder();
    std::filesystem::create_directories(empty);
    QCOMPARE(err(empty), empty + ": no cfg.json (SAELens) or hyperparams.json (Llama Scope)");
    QCOMPARE(err(empty + "/nope"), empty + "/nope: not a folder");

    auto [d1, e1] = cfg_err(
        R"({"architecture": "standard", "d_in": 64, "d_sae": 6, "hook_name": "blocks.2.hook_resid_post"})");
    QCOMPARE(e1, d1 + "/cfg.json: d_in = 64, but the model's hidden_size is 4");
    auto [d2, e2] = cfg_err(saelens_cfg("gated"));
    QCOMPARE(e2,
             d2 + "/cfg.json: architecture \"gated\" is not supported (standard, jumprelu, topk, transcoder, "
                  "jumprelu_transcoder)");
    auto [d3, e3] = cfg_err(saelens_cfg("jumprelu"));
    QCOMPARE(e3, d3 + "/sae_weights.safetensors: missing tensor \"threshold\"");
    Tensors narrow = saelens_tensors();
    narrow["W_dec"] = torch::zeros({6, 3});
    auto [d4, e4] = cfg_err(saelens_cfg("standard"), narrow);
    QCOMPARE(e4, d4 + "/sae_weights.safetensors: W_dec is [6, 3], expected [6, 4] (d_sae, d_out)");
    std::string far = saelens_cfg("standard");
    far.replace(far.find("blocks.2"), 8, "blocks.7");
    auto [d5, e5] = cfg_err(far);
    QCOMPARE(e5, d5 + "/cfg.json: hook_name \"blocks.7.hook_resid_post\": layer 7 is out of range (the model "
                      "has 4 layers)");
    std::string z = saelens_cfg("standard");
    z.replace(z.find("hook_resid_post"), 15, "attn.hook_z");
    auto [d6, e6] = cfg_err(z);
    QCOMPARE(
        e6,
        d6 +
            "/cfg.json: hook_name \"blocks.2.attn.hook_z\" is not a supported hook (blocks.L.hook_resid_pre, "
            "blocks.L.hook_attn_out, blocks.L.ln2.hook_normalized, blocks.L.hook_mlp_out, "
            "blocks.L.hook_resid_post)");
    std::string scaled = saelens_cfg("standard");
    scaled.replace(scaled.find("\"none\""), 6, "\"expected_average_only_in\"");
    auto [d7, e7] = cfg_err(scaled);
    QCOMPARE(
        e7,
        d7 + "/cfg.json: normalize_activations \"expected_average_only_in\" is not supported (only \"none\"; "
             "a scaling factor must be folded into W_enc, W_dec and b_dec)");
    auto [d8, e8] = cfg_err(saelens_cfg("topk"));
    QCOMPARE(e8, d8 + "/cfg.json: missing \"k\" (topk)");
    auto [d9, e9] = cfg_err(saelens_cfg("topk", R"(, "k": 7)"));
    QCOMPARE(e9, d9 + "/cfg.json: k = 7 is out of range (1..d_sae = 6)");
    auto [d10, e10] = cfg_err(saelens_cfg("standard", R"(, "hook_layer": 1)"));
    QCOMPARE(e10,
             d10 + "/cfg.json: hook_layer = 1, but hook_name \"blocks.2.hook_resid_post\" is in layer 2");
    Tensors nan = saelens_tensors();
    nan["b_enc"][3] = NAN;
    auto [d11, e11] = cfg_err(saelens_cfg("standard"), nan);
    QCOMPARE(e11, d11 + "/sae_weights.safetensors: b_enc holds NaN or infinite values");
    auto [d12, e12] = cfg_err(R"({"architecture": "standard", "d_in": 4, "d_sae": 6})");
    QCOMPARE(e12, d12 + "/cfg.json: missing \"hook_name\"");
    const std::string no_weights = folder();
    write_text(no_weights + "/cfg.json", saelens_cfg("standard"));
    QCOMPARE(err(no_weights), no_weights + ": no sae_weights.safetensors");

    auto scope = [&](const std::string& json) {
      const std::string dir = folder();
      write_text(dir + "/hyperparams.json", json);
      return std::make_pair(dir, err(dir));
    };
    auto [s1, f1] =
        scope(R"({"d_model": 4, "d_sae": 6, "hook_point_in": "blocks.0.hook_resid_post", "act_fn": "relu",
                              "norm_activation": "token-wise"})");
    QCOMPARE(f1, s1 + "/hyperparams.json: norm_activation \"token-wise\" is not supported (dataset-wise, "
                      "inference, none)");
    auto [s2, f2] =
        scope(R"({"d_model": 4, "d_sae": 6, "hook_point_in": "blocks.0.hook_resid_post", "act_fn": "gelu"})");
    QCOMPARE(f2, s2 + "/hyperparams.json: act_fn \"gelu\" is not supported (relu, topk, jumprelu)");
    auto [s3, f3] = scope(R"({"d_model": 4, "d_sae": 6, "hook_point_in": "blocks.0.hook_resid_post",
                              "hook_point_out": "blocks.0.hook_mlp_out"})");
    QCOMPARE(
        f3,
        s3 + "/hyperparams.json: a transcoder must map blocks.L.ln2.hook_normalized to blocks.L.hook_mlp_out "
             "of the same layer (found hook_point_in \"blocks.0.hook_resid_post\", hook_point_out "
             "\"blocks.0.hook_mlp_out\")");
    auto [s4, f4] = scope(R"({"d_model": 4, "d_sae": 6, "hook_point_in": "blocks.0.hook_resid_post",
                              "norm_activation": "dataset-wise"})");
    QCOMPARE(f4, s4 + "/hyperparams.json: missing \"dataset_average_activation_norm\"");
    auto [s5, f5] = scope(R"({"d_model": 4, "d_sae": 6, "hook_point_in": "blocks.0.hook_resid_post",
                              "norm_activation": "inference"})");
    QCOMPARE(
        f5,
        s5 + ": no sae_weights.safetensors, checkpoints/pruned.safetensors or checkpoints/final.safetensors");

    // Inputs of the wrong width are refused by encode and decode.
    const Dictionary ok = Dictionary::load(saelens(saelens_cfg("standard")), c);
    QCOMPARE(error_of([&] {
               ok.encode({1, 2, 3});
             }),
             std::string("dictionary input: the last dimension must be d_in = 4, found 3"));
    QCOMPARE(error_of([&] { ok.decode({1}); }),
             std::string("dictionary features: the last dimension must be d_sae = 6, found 1"));
    // A dictionary for another model's width does not splice.
    QCOMPARE(error_of([&] { splice_hook(ok, engine_of(*geo_)); }),
             ok.info().folder +
                 ": the dictionary does not fit this model (d_in 4, layer 2; the model has hidden_size 256 "
                 "and 4 layers)");
  }
};

QTEST_GUILESS_MAIN(TestDictionary)
#include "test_dictionary.moc"
