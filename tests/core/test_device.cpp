// Devices and the CPU's bf16 matmul path: --device spellings and the one clear error where no GPU can run,
// the GPU memory check, and native bf16 products against widened ones (same answers within bf16's
// rounding). White-box for the probe's timings behind an automatic choice.
#include <QtTest>

#include <algorithm>
#include <cmath>

#include "ce/core/base/resources.h"
#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/attribution_example.h"
#include "ce/core/model/device.h"
#include "ce/core/model/memory_estimate.h"
#include "ce/core/model/model.h"
#include "engine/matmul_choice.h"
#include "test_support.h"

using ce::core::Bf16Matmul;
using ce::core::Device;
using ce::core::DType;
using ce::core::LoadOptions;
using ce::core::Model;
using ce::test::error_of;

namespace {

std::unique_ptr<Model> demo_bf16(Bf16Matmul matmul) {
  LoadOptions o;
  o.dtype = DType::BF16;
  o.bf16_matmul = matmul;
  return Model::open(ce::core::default_model_dir(), o);
}

float max_abs(const std::vector<float>& v) {
  float m = 0;
  for (float x : v) m = std::max(m, std::abs(x));
  return m;
}

}  // namespace

class TestDevice : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void parseDevice_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("name");
    QTest::newRow("cpu") << "cpu" << "cpu";
    QTest::newRow("upper case") << "CPU" << "cpu";
    QTest::newRow("cuda") << "cuda" << "cuda:0";
    QTest::newRow("cuda:0") << "cuda:0" << "cuda:0";
    QTest::newRow("cuda:12") << "Cuda:12" << "cuda:12";
  }
  void parseDevice() {
    QFETCH(QString, text);
    QFETCH(QString, name);
    const Device d = ce::core::parse_device(text.toStdString());
    QCOMPARE(QString::fromStdString(d.name()), name);
    QCOMPARE(ce::core::parse_device(d.name()), d);  // name() reads back
  }

  void badDevice_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("quoted");
    QTest::newRow("empty") << "" << "";
    QTest::newRow("gpu") << "gpu" << "gpu";
    QTest::newRow("no index") << "cuda:" << "cuda:";
    QTest::newRow("negative") << "cuda:-1" << "cuda:-1";
    QTest::newRow("trailing") << "cuda:1x" << "cuda:1x";
    QTest::newRow("huge index") << "cuda:12345" << "cuda:12345";
    QTest::newRow("space") << " cuda" << " cuda";
    // A long value is cut: the message stays one short line.
    QTest::newRow("long") << QString("x").repeated(500) << QString("x").repeated(40) + "...";
  }
  void badDevice() {
    QFETCH(QString, text);
    QFETCH(QString, quoted);
    QCOMPARE(QString::fromStdString(error_of([&] { ce::core::parse_device(text.toStdString()); })),
             "device must be cpu, cuda or cuda:N, not '" + quoted + "'");
  }

  // Without a GPU --device cuda is one clear error, raised before the model folder is read; with GPUs a
  // missing ordinal names how many there are.
  void missingGpu() {
    const int gpus = ce::core::cuda_device_count();
    qInfo("CUDA GPUs seen by this LibTorch: %d", gpus);
    QVERIFY(error_of([] { ce::core::check_device(Device{}); }).empty());
    const Device far{Device::Kind::Cuda, 99};
    const std::string expected =
        gpus == 0 ? "device cuda:99: no CUDA GPU is available here (this build's LibTorch has no CUDA, or no "
                    "GPU/driver was found); use --device cpu"
                  : "device cuda:99: this machine has " + std::to_string(gpus) + " CUDA GPU" + (gpus == 1 ? "" : "s");
    QVERIFY2(error_of([&] { ce::core::check_device(far); }).rfind(expected, 0) == 0,
             error_of([&] { ce::core::check_device(far); }).c_str());
    LoadOptions o;
    o.device = far;
    QVERIFY(error_of([&] { Model::open("/no/such/model", o); }).rfind(expected, 0) == 0);
    QVERIFY(!ce::core::device_memory(Device{}));
    QVERIFY(!ce::core::device_memory(far));
    if (gpus > 0) return;
    // A GPU's free memory cannot be read here, so the check passes and says where it looked.
    const Device gpu{Device::Kind::Cuda, 0};
    QVERIFY(!ce::core::device_memory(gpu));
    const std::string text = ce::core::check_model_fits(ce::core::default_model_dir(), gpu);
    QVERIFY2(text.find("GB free on cuda:0") != std::string::npos, text.c_str());
    QVERIFY(ce::core::check_model_fits(ce::core::default_model_dir()).find("GB available") != std::string::npos);
  }

  void cpuModelReportsItsPath() {
    const auto f32 = Model::open(ce::core::default_model_dir());
    QCOMPARE(f32->info().device, Device{});
    QCOMPARE(f32->info().matmul, Bf16Matmul::Widen);
    QCOMPARE(f32->info().matmul_reason, std::string("f32 weights"));
    const auto forced = demo_bf16(Bf16Matmul::Native);
    QCOMPARE(forced->info().matmul, Bf16Matmul::Native);
    QCOMPARE(forced->info().matmul_reason, std::string("forced"));
    // Auto keeps whichever the probe timed faster, and says so with the timings.
    const auto chosen = demo_bf16(Bf16Matmul::Auto);
    const ce::core::Bf16Timing& t = ce::core::bf16_matmul_timing();
    qInfo("bf16 probe: %s -> %s", t.describe().c_str(), ce::core::bf16_matmul_name(chosen->info().matmul));
    QVERIFY(t.native_ms > 0 && t.widen_ms > 0);
    QCOMPARE(chosen->info().matmul, t.native_faster() ? Bf16Matmul::Native : Bf16Matmul::Widen);
    QCOMPARE(chosen->info().matmul_reason, t.describe());
    QCOMPARE(&ce::core::bf16_matmul_timing(), &t);  // measured once per process
  }

  void parseBf16Matmul() {
    QCOMPARE(ce::core::parse_bf16_matmul("auto"), std::optional<Bf16Matmul>(Bf16Matmul::Auto));
    QCOMPARE(ce::core::parse_bf16_matmul("Native"), std::optional<Bf16Matmul>(Bf16Matmul::Native));
    QCOMPARE(ce::core::parse_bf16_matmul("WIDEN"), std::optional<Bf16Matmul>(Bf16Matmul::Widen));
    QVERIFY(!ce::core::parse_bf16_matmul("fast"));
    QVERIFY(!ce::core::parse_bf16_matmul(""));
  }

  // Forced native and widened products give the same answers within bf16's rounding of the activations:
  // logits, the top token, and the RelP effects of the Texas prompt (gradients through both paths).
  void nativeMatchesWiden() {
    const auto widen = demo_bf16(Bf16Matmul::Widen);
    const auto native = demo_bf16(Bf16Matmul::Native);
    const std::string texas = "Fact: the capital of the state containing Dallas is";
    const std::vector<int> ids = widen->encode(texas);
    const std::vector<float> lw = widen->next_logits(ids), ln = native->next_logits(ids);
    float diff = 0;
    for (size_t v = 0; v < lw.size(); ++v) diff = std::max(diff, std::abs(lw[v] - ln[v]));
    const float scale = max_abs(lw);
    qInfo("next-token logits, native vs widen: max |diff| %g at logit scale %g", static_cast<double>(diff),
          static_cast<double>(scale));
    QVERIFY(diff > 0);  // really another path: activations are rounded to bf16 there
    QVERIFY(diff < 0.03f * scale);  // measured 0.0025
    QCOMPARE(widen->top_k(lw, 1)[0].id, native->top_k(ln, 1)[0].id);

    const ce::core::AttributionExample ex = ce::core::make_example(widen->tokenizer(), texas, " Austin");
    ce::core::AttributionOptions o;
    o.metric = ce::core::Metric::Logit;
    const auto rw = ce::core::attribute(*widen, {ex}, o), rn = ce::core::attribute(*native, {ex}, o);
    const auto top = ce::core::top_nodes(rw, 40);
    float worst = 0;
    for (const auto& n : top) worst = std::max(worst, std::abs(rn.effect_at(n.node) - n.effect));
    const float largest = std::abs(top.front().effect);
    qInfo("RelP top 40, native vs widen: max |diff| %g, largest |effect| %g", static_cast<double>(worst),
          static_cast<double>(largest));
    QVERIFY(largest > 0);
    QVERIFY(worst < 0.08f * largest);  // measured 0.03 on the AVX2 machines here
  }
};

QTEST_GUILESS_MAIN(TestDevice)
#include "test_device.moc"
