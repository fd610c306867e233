// The Llama forward against llama2.c's reference outputs for stories260K, sharded bf16 folders with llama3
// RoPE scaling against one f32 file, hook sites (read, write, gradients), padded batches and RelP rules.
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <cmath>
#include <cstring>
#include <random>

#include "ce/core/base/error.h"
#include "ce/core/model/model.h"
#include "ce/core/model/model_config.h"
#include "io/safetensors_writer.h"
#include "engine/llama.h"
#include "test_support.h"
#include "engine/model_access.h"

using namespace ce::core;

namespace {

using ce::test::read_json;
using ce::test::to_ints;

// Rounds a float to the nearest bf16 value (round-to-nearest-even), returning the bf16 bits.
uint16_t to_bf16_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t rounding = 0x7FFF + ((u >> 16) & 1);
  return static_cast<uint16_t>((u + rounding) >> 16);
}
float from_bf16_bits(uint16_t b) {
  uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

ModelConfig fixture_config() {
  ModelConfig c;
  c.hidden_size = 64;
  c.intermediate_size = 96;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 16;
  c.vocab_size = 512;  // the stories260K tokenizer is copied in
  c.max_position_embeddings = 256;
  c.rms_norm_eps = 1e-5;
  c.rope_theta = 500000.0;
  // A short original context so the llama3 rule really rescales some of the 8 frequencies.
  c.rope_scaling = RopeScaling{8.0, 1.0, 4.0, 64};
  c.tie_word_embeddings = false;
  c.bos_token_ids = {1};
  c.eos_token_ids = {2};
  return c;
}

struct FixtureTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;  // bf16-representable
};

std::vector<FixtureTensor> fixture_weights(const ModelConfig& c, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<FixtureTensor> out;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, float scale, float offset) {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    FixtureTensor t{name, shape, {}};
    for (int64_t i = 0; i < n; ++i) t.values.push_back(from_bf16_bits(to_bf16_bits(offset + scale * normal(rng))));
    out.push_back(std::move(t));
  };
  const int64_t d = c.hidden_size, m = c.intermediate_size, q = c.num_attention_heads * c.head_dim;
  const int64_t kv = c.num_key_value_heads * c.head_dim;
  const float s = 1.0f / std::sqrt(static_cast<float>(d));
  add("model.embed_tokens.weight", {c.vocab_size, d}, 1.0f, 0.0f);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {d}, 0.1f, 1.0f);
    add(p + "self_attn.q_proj.weight", {q, d}, s * 2, 0.0f);
    add(p + "self_attn.k_proj.weight", {kv, d}, s * 2, 0.0f);
    add(p + "self_attn.v_proj.weight", {kv, d}, s, 0.0f);
    add(p + "self_attn.o_proj.weight", {d, q}, s, 0.0f);
    add(p + "post_attention_layernorm.weight", {d}, 0.1f, 1.0f);
    add(p + "mlp.gate_proj.weight", {m, d}, s, 0.0f);
    add(p + "mlp.up_proj.weight", {m, d}, s, 0.0f);
    add(p + "mlp.down_proj.weight", {d, m}, 1.0f / std::sqrt(static_cast<float>(m)), 0.0f);
  }
  add("model.norm.weight", {d}, 0.1f, 1.0f);
  add("lm_head.weight", {c.vocab_size, d}, s, 0.0f);
  return out;
}

void write_text(const QString& path, const std::string& text) {
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(text.data(), static_cast<qint64>(text.size()));
}

// Writes the weights either as one F32 file or as `shards` BF16 shards with an index.
void write_folder(const QString& dir, const ModelConfig& c, const std::vector<FixtureTensor>& weights, bool bf16,
                  int shards) {
  write_text(dir + "/config.json", c.to_json());
  QFile::copy(ce::test::shared_data("stories260K/hf/tokenizer.model"), dir + "/tokenizer.model");
  if (!bf16) {
    SafetensorsWriter w;
    for (const auto& t : weights) w.add(t.name, DType::F32, t.shape, t.values.data());
    w.write((dir + "/model.safetensors").toStdString());
    return;
  }
  std::vector<SafetensorsWriter> writers(static_cast<size_t>(shards));
  std::string map;
  for (size_t i = 0; i < weights.size(); ++i) {
    const auto& t = weights[i];
    std::vector<uint16_t> bits;
    for (float v : t.values) bits.push_back(to_bf16_bits(v));
    const size_t shard = i * static_cast<size_t>(shards) / weights.size();
    writers[shard].add(t.name, DType::BF16, t.shape, bits.data());
    char file[64];
    std::snprintf(file, sizeof file, "model-%05zu-of-%05d.safetensors", shard + 1, shards);
    map += std::string(map.empty() ? "" : ",") + "\"" + t.name + "\":\"" + file + "\"";
  }
  for (size_t s = 0; s < writers.size(); ++s) {
    char file[64];
    std::snprintf(file, sizeof file, "/model-%05zu-of-%05d.safetensors", s + 1, shards);
    writers[s].write(dir.toStdString() + file);
  }
  write_text(dir + "/model.safetensors.index.json", "{\"metadata\":{},\"weight_map\":{" + map + "}}");
}

float max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat32) - b.to(torch::kFloat32)).abs().max().item<float>();
}

}  // namespace

class TestForward : public QObject {
  Q_OBJECT

  std::unique_ptr<Model> stories_;
  QJsonObject reference_;

 private Q_SLOTS:
  void initTestCase() {
    const QString dir = ce::test::shared_data("stories260K/hf");
    if (!QFile::exists(dir + "/config.json")) return;
    stories_ = Model::open(dir.toStdString());
    reference_ = read_json(ce::test::shared_data("stories260K/reference.json"));
  }

  void storiesLogitsAllPositions() {
    if (!stories_) QSKIP("../shared/data/stories260K is absent: reference checks skipped");
    QCOMPARE(stories_->info().dtype, DType::F32);
    float worst = 0;
    const QJsonArray seqs = reference_["sequences"].toArray();
    QCOMPARE(seqs.size(), 4);
    for (const auto& sv : seqs) {
      const QJsonObject s = sv.toObject();
      const std::vector<int> ids = to_ints(s["input_ids"].toArray());
      const auto logits = stories_->all_logits(ids);
      const QJsonArray ref = s["logits_all_positions"].toArray();
      QCOMPARE(static_cast<int>(logits.size()), ref.size());
      for (int p = 0; p < ref.size(); ++p) {
        const QJsonArray row = ref[p].toArray();
        QCOMPARE(static_cast<int>(logits[static_cast<size_t>(p)].size()), row.size());
        for (int v = 0; v < row.size(); ++v) {
          worst = std::max(worst, std::abs(logits[static_cast<size_t>(p)][static_cast<size_t>(v)] -
                                           static_cast<float>(row[v].toDouble())));
        }
      }
    }
    qInfo("stories260K: max |logit - llama2.c| over all positions = %g", static_cast<double>(worst));
    QVERIFY2(worst < 1e-4f, qPrintable(QString("max logit error %1").arg(worst)));
  }

  void storiesGreedyContinuations() {
    if (!stories_) QSKIP("../shared/data/stories260K is absent");
    for (const auto& sv : reference_["sequences"].toArray()) {
      const QJsonObject s = sv.toObject();
      const std::vector<int> ids = to_ints(s["input_ids"].toArray());
      const std::vector<int> expected = to_ints(s["greedy_continuation_ids"].toArray());
      const std::vector<int> got = stories_->generate(ids, static_cast<int>(expected.size()));
      QCOMPARE(got, expected);
      QCOMPARE(QString::fromStdString(stories_->tokenizer().decode(got)), s["greedy_continuation_text"].toString());
    }
  }

  void storiesUpstreamTestVector() {
    if (!stories_) QSKIP("../shared/data/stories260K is absent");
    const QJsonObject up = reference_["verification"].toObject()["upstream_test_vector"].toObject();
    const std::vector<int> expected = to_ints(up["greedy_ids_from_bos_200"].toArray());
    const std::vector<int> got = stories_->generate({1}, 200);
    QCOMPARE(got, expected);
  }

  void storiesResidualStream() {
    if (!stories_) QSKIP("../shared/data/stories260K is absent");
    float worst = 0;
    for (const auto& sv : reference_["sequences"].toArray()) {
      const QJsonObject s = sv.toObject();
      const auto resid = stories_->residual_stream(to_ints(s["input_ids"].toArray()));
      const QJsonArray ref = s["residual_stream"].toArray();
      QCOMPARE(static_cast<int>(resid.size()), ref.size());
      QCOMPARE(ref.size(), 6);
      for (int l = 0; l < ref.size(); ++l) {
        const QJsonArray pos = ref[l].toArray();
        for (int p = 0; p < pos.size(); ++p) {
          const QJsonArray vec = pos[p].toArray();
          for (int i = 0; i < vec.size(); ++i) {
            worst = std::max(worst, std::abs(resid[static_cast<size_t>(l)][static_cast<size_t>(p)][static_cast<size_t>(i)] -
                                             static_cast<float>(vec[i].toDouble())));
          }
        }
      }
    }
    qInfo("stories260K: max |resid - model.py| = %g", static_cast<double>(worst));
    QVERIFY(worst < 1e-4f);
  }

  void storiesTokenizerIds() {
    if (!stories_) QSKIP("../shared/data/stories260K is absent");
    for (const auto& sv : reference_["sequences"].toArray()) {
      const QJsonObject s = sv.toObject();
      if (s["name"].toString() == "bos_only") continue;
      QCOMPARE(stories_->encode(s["text"].toString().toStdString()), to_ints(s["input_ids"].toArray()));
    }
  }

  void shardedBf16MatchesF32() {
    if (!QFile::exists(ce::test::shared_data("stories260K/hf/tokenizer.model"))) QSKIP("../shared/data absent: no tokenizer");
    QTemporaryDir tmp;
    const QString f32_dir = tmp.path() + "/f32", bf16_dir = tmp.path() + "/bf16";
    QDir().mkpath(f32_dir);
    QDir().mkpath(bf16_dir);
    const ModelConfig c = fixture_config();
    const auto weights = fixture_weights(c, 1234);
    write_folder(f32_dir, c, weights, false, 1);
    write_folder(bf16_dir, c, weights, true, 3);
    QVERIFY(QFile::exists(bf16_dir + "/model-00003-of-00003.safetensors"));

    auto a = Model::open(f32_dir.toStdString());
    LoadOptions f32_options, bf16_options;
    f32_options.dtype = DType::F32;
    bf16_options.dtype = DType::BF16;
    // Widened products on purpose: the native path (test_device) rounds activations to bf16.
    bf16_options.bf16_matmul = ce::core::Bf16Matmul::Widen;
    auto b = Model::open(bf16_dir.toStdString(), f32_options);
    auto h = Model::open(bf16_dir.toStdString(), bf16_options);
    QVERIFY(a->config().rope_scaling.has_value());
    QCOMPARE(a->info().stored, DType::F32);
    QCOMPARE(b->info().stored, DType::BF16);
    QCOMPARE(h->info().dtype, DType::BF16);
    // Below 1B parameters the default compute dtype is f32 even for bf16 weights.
    QCOMPARE(Model::open(bf16_dir.toStdString())->info().dtype, DType::F32);

    std::vector<int> ids;
    for (int i = 0; i < 100; ++i) ids.push_back((i * 37 + 5) % 512);  // long enough for scaled frequencies to matter
    const auto la = a->all_logits(ids), lb = b->all_logits(ids), lh = h->all_logits(ids);
    float exact = 0, approx = 0, scale = 0;
    for (size_t p = 0; p < la.size(); ++p) {
      for (size_t v = 0; v < la[p].size(); ++v) {
        exact = std::max(exact, std::abs(la[p][v] - lb[p][v]));
        approx = std::max(approx, std::abs(la[p][v] - lh[p][v]));
        scale = std::max(scale, std::abs(la[p][v]));
      }
    }
    qInfo("sharded bf16 vs f32: bf16 folder in f32 %g, bf16 weights in place %g (logit scale %g)", static_cast<double>(exact),
          static_cast<double>(approx), static_cast<double>(scale));
    QVERIFY(exact < 1e-5f);
    // bf16 weights are used in place (no conversion copy) and widened inside each matmul: the same values
    // as the f32 run up to summation order.
    QCOMPARE(engine_of(*h).converted_bytes(), uint64_t{0});
    QVERIFY(engine_of(*b).converted_bytes() > 0);
    QVERIFY(approx < 1e-4f * scale);

    // Gradients through the 16-bit weights (the widened-block backward) equal the f32 ones.
    auto grad_of = [&](const Model& m) {
      torch::Tensor leaf;
      ForwardOptions o;
      o.hook = [&](Site s, int layer, const torch::Tensor& x) -> torch::Tensor {
        if (s != Site::ResidPre || layer != 0) return x;
        leaf = x.detach().clone().requires_grad_(true);
        return leaf;
      };
      std::vector<int64_t> v(ids.begin(), ids.begin() + 20);
      torch::Tensor logits = engine_of(m).forward(torch::tensor(v).unsqueeze(0), o).logits;  // [1, 20, vocab]
      (logits[0][19][7] - logits[0][19][9]).backward();
      return leaf.grad();
    };
    const torch::Tensor ga = grad_of(*a), gh = grad_of(*h);
    QVERIFY(ga.abs().max().item<float>() > 0.0f);
    QVERIFY(max_abs_diff(ga, gh) < 1e-4f * ga.abs().max().item<float>());

    // The llama3 scaling must change the result on long inputs, or it was silently ignored.
    ModelConfig plain = c;
    plain.rope_scaling.reset();
    const QString plain_dir = tmp.path() + "/plain";
    QDir().mkpath(plain_dir);
    write_folder(plain_dir, plain, weights, false, 1);
    const auto lp = Model::open(plain_dir.toStdString())->all_logits(ids);
    float diff = 0;
    for (size_t v = 0; v < lp.back().size(); ++v) diff = std::max(diff, std::abs(lp.back()[v] - la.back()[v]));
    QVERIFY(diff > 1e-3f);
  }

  void llama3InvFreqMatchesFormula() {
    if (!QFile::exists(ce::test::shared_data("stories260K/hf/tokenizer.model"))) QSKIP("../shared/data absent: no tokenizer");
    QTemporaryDir tmp;
    const ModelConfig c = fixture_config();
    write_folder(tmp.path(), c, fixture_weights(c, 7), false, 1);
    auto m = Model::open(tmp.path().toStdString());
    const torch::Tensor inv = engine_of(*m).inv_freq();
    QCOMPARE(inv.size(0), 8);
    // head_dim 16, theta 5e5, factor 8, low 1, high 4, original 64: wavelengths below 16 are kept, above
    // 64 divided by 8, in between interpolated.
    for (int i = 0; i < 8; ++i) {
      const double f = 1.0 / std::pow(500000.0, 2.0 * i / 16.0);
      const double wl = 2 * M_PI / f;
      double expect = f;
      if (wl > 64) {
        expect = f / 8;
      } else if (wl >= 16) {
        const double smooth = (64 / wl - 1) / 3;
        expect = (1 - smooth) * f / 8 + smooth * f;
      }
      QVERIFY(std::abs(inv[i].item<double>() - expect) <= 1e-6 * expect);
    }
  }

  void paddedBatchMatchesSingle() {
    if (!stories_) QSKIP("../shared/data/stories260K is absent");
    torch::NoGradGuard ng;
    const LlamaModel& e = engine_of(*stories_);
    const std::vector<int64_t> a = {1, 400, 261, 300, 270, 290}, b = {1, 500, 280};
    torch::Tensor ids = torch::zeros({2, 6}, torch::kInt64), mask = torch::zeros({2, 6}, torch::kInt64);
    for (int i = 0; i < 6; ++i) ids[0][i] = a[static_cast<size_t>(i)];
    for (int i = 0; i < 3; ++i) ids[1][3 + i] = b[static_cast<size_t>(i)];  // left padding
    mask[0].fill_(1);
    mask[1].narrow(0, 3, 3).fill_(1);
    ForwardOptions o;
    o.attention_mask = mask;
    const torch::Tensor batched = e.forward(ids, o).logits;                   // [2, 6, vocab]
    const torch::Tensor la = e.forward(torch::tensor(a).unsqueeze(0)).logits;  // [1, 6, vocab]
    const torch::Tensor lb = e.forward(torch::tensor(b).unsqueeze(0)).logits;  // [1, 3, vocab]
    QVERIFY(max_abs_diff(batched[0], la[0]) < 1e-4f);
    QVERIFY(max_abs_diff(batched[1].narrow(0, 3, 3), lb[0]) < 1e-4f);
    QVERIFY(!batched.isnan().any().item<bool>());
  }

  void hooksReadWriteAndGradient() {
    if (!stories_) QSKIP("../shared/data/stories260K is absent");
    const LlamaModel& e = engine_of(*stories_);
    const torch::Tensor ids = torch::tensor(std::vector<int64_t>{1, 400, 261, 300}).unsqueeze(0);
    int calls[kSiteCount] = {};
    int64_t widths[kSiteCount] = {};
    torch::Tensor seen[kSiteCount];  // layer 1's activations, [1, 4, width] each
    ForwardOptions read;
    read.hook = [&](Site s, int layer, const torch::Tensor& x) -> torch::Tensor {
      calls[static_cast<int>(s)]++;
      widths[static_cast<int>(s)] = x.size(2);
      if (layer == 1) seen[static_cast<int>(s)] = x;
      return x;
    };
    torch::Tensor clean;
    {
      torch::NoGradGuard ng;
      clean = e.forward(ids, read).logits;
    }
    for (int s = 0; s < kSiteCount; ++s) QCOMPARE(calls[s], 5);
    QCOMPARE(widths[static_cast<int>(Site::MlpAct)], 172);
    QCOMPARE(widths[static_cast<int>(Site::Attn)], 64);
    QCOMPARE(widths[static_cast<int>(Site::ResidPost)], 64);
    QCOMPARE(widths[static_cast<int>(Site::MlpIn)], 64);
    // MlpIn is what gate and up read: post_attention_layernorm of resid_pre + attn_out, its weight applied.
    {
      torch::NoGradGuard ng;
      const auto at = [&](Site s) { return seen[static_cast<int>(s)]; };
      const torch::Tensor mid = at(Site::ResidPre) + at(Site::AttnOut);  // [1, 4, 64]
      QVERIFY(max_abs_diff(at(Site::MlpIn), e.rms_norm(mid, e.layer(1).post_norm, {})) < 1e-6f);
      QVERIFY(max_abs_diff(at(Site::ResidPost), mid + at(Site::MlpOut)) < 1e-5f);
    }

    // Writing: zeroing one neuron at one position changes the logits from that position on only.
    ForwardOptions ablate;
    ablate.hook = [](Site s, int layer, const torch::Tensor& x) -> torch::Tensor {
      if (s != Site::MlpAct || layer != 1) return x;
      torch::Tensor y = x.clone();
      y.index_put_({0, 2, 17}, 0.0);
      return y;
    };
    torch::Tensor edited;
    {
      torch::NoGradGuard ng;
      edited = e.forward(ids, ablate).logits;
    }
    QVERIFY(max_abs_diff(edited.narrow(1, 0, 2), clean.narrow(1, 0, 2)) == 0.0f);
    QVERIFY(max_abs_diff(edited.narrow(1, 2, 2), clean.narrow(1, 2, 2)) > 0.0f);

    // Gradient of one logit w.r.t. a neuron equals the finite difference of that logit.
    torch::Tensor leaf;
    ForwardOptions grad;
    grad.hook = [&](Site s, int layer, const torch::Tensor& x) -> torch::Tensor {
      if (s != Site::MlpAct || layer != 2) return x;
      leaf = x.detach().clone().requires_grad_(true);
      return leaf;
    };
    torch::Tensor logit = e.forward(ids, grad).logits[0][3][395];
    logit.backward();
    const double g = leaf.grad()[0][3][5].item<double>();
    auto shifted = [&](double delta) {
      torch::NoGradGuard ng;
      ForwardOptions o;
      o.hook = [&](Site s, int layer, const torch::Tensor& x) -> torch::Tensor {
        if (s != Site::MlpAct || layer != 2) return x;
        torch::Tensor y = x.clone();
        y[0][3][5] += delta;
        return y;
      };
      return e.forward(ids, o).logits[0][3][395].item<double>();
    };
    const double fd = (shifted(1e-2) - shifted(-1e-2)) / 2e-2;
    QVERIFY2(std::abs(g - fd) < 1e-3 * std::max(1.0, std::abs(fd)), qPrintable(QString("%1 vs %2").arg(g).arg(fd)));
  }

  void relpRulesKeepForwardValues() {
    if (!stories_) QSKIP("../shared/data/stories260K is absent");
    torch::NoGradGuard ng;
    const LlamaModel& e = engine_of(*stories_);
    const torch::Tensor ids = torch::tensor(std::vector<int64_t>{1, 400, 261, 300, 270}).unsqueeze(0);
    ForwardOptions relp;
    relp.rules = GradRules::relp();
    // Equal up to rounding: the gate is g * sigmoid(g).detach() under the rules and silu(g) without, which
    // differ by an ulp on some elements (a quarter of them in torch 2.11). Over the 5 layers that is a few
    // ulps of the logits (|logit| <= 17.9): 6.7e-6 with Debian's LibTorch 1.13, 1.05e-5 with 2.11. A rule
    // that changed values would be off by orders of magnitude more.
    const torch::Tensor plain = e.forward(ids).logits;
    QVERIFY(max_abs_diff(plain, e.forward(ids, relp).logits) < 2e-6f * plain.abs().max().item<float>());
  }

  void resumeFromLayerMatchesFullForward() {
    if (!stories_) QSKIP("../shared/data/stories260K is absent");
    torch::NoGradGuard ng;
    const LlamaModel& e = engine_of(*stories_);
    const torch::Tensor ids = torch::tensor(std::vector<int64_t>{1, 400, 261, 300, 270}).unsqueeze(0);
    torch::Tensor resid3;
    ForwardOptions o;
    o.hook = [&](Site s, int layer, const torch::Tensor& x) -> torch::Tensor {
      if (s == Site::ResidPre && layer == 3) resid3 = x;
      return x;
    };
    const torch::Tensor full = e.forward(ids, o).logits;
    ForwardOptions r;
    r.first_layer = 3;
    r.resid = resid3;
    QVERIFY(max_abs_diff(full, e.forward(ids, r).logits) == 0.0f);
  }

  void badInputsGiveErrors() {
    if (!stories_) QSKIP("../shared/data/stories260K is absent");
    try {
      stories_->next_logits({1, 512});
      QFAIL("no error for an id outside the vocabulary");
    } catch (const Error& e) {
      QVERIFY2(QString(e.what()).contains("token id 512 is outside the vocabulary (0..511)"), e.what());
    }
    try {
      stories_->next_logits({});
      QFAIL("no error for empty input");
    } catch (const Error& e) {
      QVERIFY(QString(e.what()).contains("empty"));
    }
    try {
      Model::open("/nonexistent/model/dir");
      QFAIL("no error for a missing folder");
    } catch (const Error& e) {
      QVERIFY(QString(e.what()).contains("/nonexistent/model/dir"));
    }
  }
};

QTEST_APPLESS_MAIN(TestForward)
#include "test_forward.moc"
