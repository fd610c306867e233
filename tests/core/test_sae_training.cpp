// TopK dictionary training (issue #17 item 3): on the demo model with a slice of the exemplar corpus and a
// few steps, equal seeds give equal bytes and different seeds different ones, FVU falls well below 1, the
// folder written reads back with Dictionary::load and encodes/decodes as the trainer does, cancellation
// stops the job, and bad options give their exact errors.
#include <QTemporaryDir>
#include <QtTest/QtTest>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ce/core/base/resources.h"
#include "ce/core/dictionaries/dictionary.h"
#include "ce/core/dictionaries/sae_training.h"
#include "ce/core/model/model.h"
#include "dictionaries/dictionary_ops.h"
#include "dictionaries/sae_training_ops.h"
#include "test_support.h"

using namespace ce::core;
using ce::test::error_of;

namespace {

std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

ModelConfig width_config(int64_t d) {
  ModelConfig c;
  c.hidden_size = d;
  c.num_hidden_layers = 4;
  return c;
}

}  // namespace

class TestSaeTraining : public QObject {
  Q_OBJECT

  QTemporaryDir tmp_;
  std::unique_ptr<Model> geo_;

  std::string dir(const std::string& name) const { return tmp_.path().toStdString() + "/" + name; }

  // A few seconds of training: 8192 tokens, 120 steps of 256, expansion 4 (d_sae 1024), k 16.
  SaeTrainingOptions small(const std::string& out, SaeTrainingSite site = SaeTrainingSite::MlpOut) const {
    SaeTrainingOptions o;
    o.corpus_path = default_datasets_dir() + "/exemplar_corpus.txt";
    o.out_dir = dir(out);
    o.site = site;
    o.layer = 1;
    o.expansion = 4;
    o.k = 16;
    o.steps = 120;
    o.batch = 256;
    o.train_tokens = 8192;
    o.heldout_tokens = 2048;
    o.context = 64;
    return o;
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    geo_ = Model::open(default_model_dir());
  }

  // (a) and (b): equal seeds write equal bytes, another seed other bytes; FVU well below 1 and below the
  // initialisation's; L0 at most k; metrics.json holds the result's numbers.
  void seedsAndFvu() {
    const SaeTrainingResult a = train_dictionary(*geo_, small("a"));
    const SaeTrainingResult b = train_dictionary(*geo_, small("b"));
    SaeTrainingOptions oc = small("c");
    oc.seed = 2;
    const SaeTrainingResult c = train_dictionary(*geo_, oc);
    const std::string wa = bytes_of(dir("a") + "/sae_weights.safetensors");
    QVERIFY(wa.size() > 4u * 1024 * 256 * 2);  // W_enc and W_dec in float32
    QVERIFY(wa == bytes_of(dir("b") + "/sae_weights.safetensors"));
    QVERIFY(wa != bytes_of(dir("c") + "/sae_weights.safetensors"));
    QCOMPARE(a.fvu, b.fvu);
    QCOMPARE(a.train_tokens, int64_t{8192});
    QCOMPARE(a.heldout_tokens, int64_t{2048});
    qInfo("mlp_out L1 x4 k16, 120 steps: fvu %.4f (init %.4f, seed 2: %.4f), L0 %.2f, dead %lld, CE %.4f -> "
          "%.4f, acc %.4f -> %.4f, %.1f s",
          a.fvu, a.fvu_init, c.fvu, a.mean_l0, static_cast<long long>(a.dead_features), a.ce_clean,
          a.ce_spliced, a.accuracy_clean, a.accuracy_spliced, a.seconds);
    // Measured 0.037 (seed 1) and 0.039 (seed 2) with LibTorch 1.13 on 2 threads; bound with 4x margin.
    QVERIFY2(a.fvu < 0.15, qPrintable(QString::number(a.fvu)));
    QVERIFY(c.fvu < 0.15);
    QVERIFY(a.fvu < 0.5 * a.fvu_init);
    QVERIFY(a.mean_l0 > 1 && a.mean_l0 <= 16.0);
    QVERIFY(a.dead_features >= 0 && a.dead_features < 1024);
    QCOMPARE(a.info.d_sae, int64_t{1024});
    QCOMPARE(a.info.k, int64_t{16});
    QCOMPARE(a.info.architecture, DictionaryArchitecture::TopK);
    QCOMPARE(a.info.site_in, DictionarySite::MlpOut);
    QCOMPARE(a.info.layer, 1);
    // Splicing the reconstruction costs some cross-entropy but keeps the model far better than chance
    // (ln 2048 = 7.6 nats).
    QVERIFY(a.ce_clean > 0 && a.ce_spliced >= a.ce_clean - 0.05 && a.ce_spliced < a.ce_clean + 2.0);
    QVERIFY(a.predictions > 1000);
    const QJsonObject m = ce::test::read_json(QString::fromStdString(dir("a") + "/metrics.json"));
    QCOMPARE(m.value("fvu").toDouble(), a.fvu);
    QCOMPARE(m.value("dead_features").toInt(), static_cast<int>(a.dead_features));
    const QJsonObject cfg = ce::test::read_json(QString::fromStdString(dir("a") + "/cfg.json"));
    QCOMPARE(cfg.value("architecture").toString(), QString("topk"));
    QCOMPARE(cfg.value("training").toObject().value("metrics").toObject().value("ce_spliced").toDouble(),
             a.ce_spliced);
  }

  // (c) on tensors: the trainer's own encode/decode and the loaded folder's agree, for an SAE and a
  // transcoder (whose input and output scales differ, so the folding of both is checked).
  void folderRoundTrip() {
    torch::manual_seed(7);
    const torch::Tensor x = torch::randn({2048, 16}) * 3 + 1;                                  // [n, 16]
    const torch::Tensor y = torch::matmul(torch::relu(x), torch::randn({16, 16})) * 0.01;     // [n, 16]
    for (const bool sae : {true, false}) {
      SaeTrainingOptions o;
      o.expansion = 2;
      o.k = 4;
      o.steps = 30;
      o.batch = 128;
      const TopKTrainOutput t = train_topk(x, sae ? x : y, sae, o, {});
      const std::string folder = dir(sae ? "rt_sae" : "rt_tc");
      write_topk_folder(t.trained, folder, sae ? "blocks.2.hook_resid_post" : "blocks.2.ln2.hook_normalized",
                        sae ? "" : "blocks.2.hook_mlp_out", 2, "");
      const Dictionary d = Dictionary::load(folder, width_config(16));
      QCOMPARE(d.info().kind, sae ? DictionaryKind::Sae : DictionaryKind::Transcoder);
      QCOMPARE(d.info().architecture, DictionaryArchitecture::TopK);
      QCOMPARE(d.info().k, int64_t{4});
      const torch::Tensor probe = x.narrow(0, 0, 64);                 // [64, 16]
      const torch::Tensor f_train = topk_encode(t.trained, probe);    // [64, 32]
      const torch::Tensor f_load = dictionary_encode(d, probe);       // [64, 32]
      QCOMPARE(f_load.sizes().vec(), (std::vector<int64_t>{64, 32}));
      QVERIFY(torch::allclose(f_train, f_load, 1e-5, 1e-5));
      QVERIFY((f_load > 0).sum().item<int64_t>() > 64);  // features do fire
      QVERIFY(torch::allclose(topk_decode(t.trained, f_train), dictionary_decode(d, f_load), 1e-5, 1e-6));
      // Training on these tensors lowers the FVU from the initialisation.
      const double before = topk_fvu(t.initial, x, sae ? x : y), after = topk_fvu(t.trained, x, sae ? x : y);
      QVERIFY2(after < before, qPrintable(QString("%1 -> %2").arg(before).arg(after)));
    }
  }

  // A transcoder end to end: MLP in -> out at layer 1, loaded as a transcoder, better than its start.
  void transcoder() {
    const SaeTrainingResult r = train_dictionary(*geo_, small("tc", SaeTrainingSite::Transcoder));
    QCOMPARE(r.info.kind, DictionaryKind::Transcoder);
    QCOMPARE(r.info.site_in, DictionarySite::MlpIn);
    QCOMPARE(r.info.site_out, DictionarySite::MlpOut);
    qInfo("transcoder L1 x4 k16, 120 steps: fvu %.4f (init %.4f), L0 %.2f, dead %lld, CE %.4f -> %.4f", r.fvu,
          r.fvu_init, r.mean_l0, static_cast<long long>(r.dead_features), r.ce_clean, r.ce_spliced);
    // Measured 0.075 (from 1.44 at initialisation); bound with 4x margin.
    QVERIFY2(r.fvu < 0.3 && r.fvu < 0.2 * r.fvu_init, qPrintable(QString::number(r.fvu)));
    QVERIFY(std::isfinite(r.ce_spliced));
  }

  // (d) A cancel during training throws Cancelled and writes no folder; progress rises to where it stopped.
  void cancel() {
    std::atomic<bool> flag{false};
    double last = 0;
    JobControl control;
    control.cancel = &flag;
    control.progress = [&](double f, const std::string&) {
      QVERIFY(f >= last);
      last = f;
      if (f > 0.3) flag = true;
    };
    bool cancelled = false;
    try {
      train_dictionary(*geo_, small("cancelled"), control);
    } catch (const Cancelled&) {
      cancelled = true;
    }
    QVERIFY(cancelled);
    QVERIFY(last > 0.3 && last < 0.85);
    QVERIFY(!std::filesystem::exists(dir("cancelled") + "/cfg.json"));
  }

  // (e) Bad options, each with its message.
  void badOptions() {
    auto err = [&](auto change) {
      SaeTrainingOptions o = small("bad");
      change(o);
      return error_of([&] { train_dictionary(*geo_, o); });
    };
    QCOMPARE(err([](SaeTrainingOptions& o) { o.k = 1025; }),
             std::string("k = 1025 must be between 1 and d_sae = 1024"));
    QCOMPARE(err([](SaeTrainingOptions& o) { o.k = 0; }), std::string("k = 0 must be between 1 and d_sae = 1024"));
    QCOMPARE(err([](SaeTrainingOptions& o) { o.layer = 4; }),
             std::string("layer 4 is out of range (the model has 4 layers)"));
    QCOMPARE(err([](SaeTrainingOptions& o) { o.layer = -1; }),
             std::string("layer -1 is out of range (the model has 4 layers)"));
    QCOMPARE(err([](SaeTrainingOptions& o) { o.expansion = 0; }), std::string("expansion must be >= 1"));
    QCOMPARE(err([](SaeTrainingOptions& o) { o.steps = 0; }), std::string("steps must be >= 1"));
    QCOMPARE(err([](SaeTrainingOptions& o) { o.learning_rate = 0; }), std::string("learning rate must be > 0"));
    QCOMPARE(err([](SaeTrainingOptions& o) { o.train_tokens = 10; }),
             std::string("train_tokens must be >= batch (256)"));
    QCOMPARE(err([](SaeTrainingOptions& o) { o.out_dir.clear(); }), std::string("no output folder"));
    QCOMPARE(err([](SaeTrainingOptions& o) { o.context = 200; }),
             std::string("context = 200 exceeds the model's 128 positions (max_position_embeddings)"));
    QCOMPARE(error_of([] { parse_sae_training_site("attn"); }),
             std::string("unknown site \"attn\" (mlp_out, resid, transcoder)"));
    QCOMPARE(parse_sae_training_site("resid_post"), SaeTrainingSite::ResidPost);
    // A corpus too short for the tokens asked for.
    const std::string shortc = dir("short.txt");
    std::ofstream(shortc) << "The capital of Texas is Austin.\nOhio is a state.\n";
    const std::string msg = err([&](SaeTrainingOptions& o) { o.corpus_path = shortc; });
    QVERIFY2(msg.rfind(shortc + ": ", 0) == 0 &&
                 msg.find(" tokens, fewer than the 10240 needed (train_tokens + heldout_tokens)") !=
                     std::string::npos,
             msg.c_str());
    QVERIFY(!std::filesystem::exists(dir("bad")));
  }
};

QTEST_GUILESS_MAIN(TestSaeTraining)
#include "test_sae_training.moc"
