// Greedy generation with the KV cache against the full recompute per token it replaced: the same token ids
// on the demo model and stories260K with no intervention, a zero ablation, a x4 steer at every position and
// position-specific edits (in the prompt and on generated tokens); llama2.c's reference continuations; the
// context limit; cached logits against a full forward; a cancelled step; concurrent calls.
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <atomic>
#include <thread>

#include "ce/core/base/job.h"
#include "ce/core/base/resources.h"
#include "ce/core/circuits/intervention.h"
#include "ce/core/model/model.h"
#include "engine/decode.h"
#include "engine/llama.h"
#include "engine/model_access.h"
#include "test_support.h"

using namespace ce::core;
using ce::test::error_of;

namespace {

const char* kTexas = "Fact: the capital of the state containing Dallas is";

using ce::test::read_json;
using ce::test::to_ints;

std::vector<Intervention> parse_all(const QStringList& texts, Basis basis = Basis::MlpAct) {
  std::vector<Intervention> out;
  for (const QString& t : texts) out.push_back(Intervention::parse(t.toStdString(), basis));
  return out;
}

float max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<float>();
}

}  // namespace

class TestGeneration : public QObject {
  Q_OBJECT

  std::unique_ptr<Model> geo_;
  std::unique_ptr<Model> stories_;
  QJsonObject reference_;

  Model* model_named(const QString& name) { return name == "geo" ? geo_.get() : stories_.get(); }

  // The two paths on one case; the cached one is the default of generate_with.
  void compare_paths(const Model& m, const std::vector<int>& prompt, int n, const std::vector<Intervention>& ivs,
                     std::vector<int>* cached_out = nullptr) {
    const std::vector<int> recompute = generate_with(m, prompt, n, ivs, {}, Decoding::Recompute);
    const std::vector<int> cached = generate_with(m, prompt, n, ivs);
    QCOMPARE(cached, recompute);
    QVERIFY(!cached.empty());
    if (cached_out) *cached_out = cached;
  }

 private Q_SLOTS:
  void initTestCase() {
    geo_ = Model::open(default_model_dir());
    const QString dir = ce::test::shared_data("stories260K/hf");
    if (QFile::exists(dir + "/config.json")) {
      stories_ = Model::open(dir.toStdString());
      reference_ = read_json(ce::test::shared_data("stories260K/reference.json"));
    }
  }

  // Each case on each model: the same ids by both paths, and every edit marked to change the continuation
  // does (so that the comparison is not between two unedited runs; the demo model shrugs off most single-
  // neuron edits). Position 4 lies in every prompt; "@G" is prompt + 3, the fourth generated token's input,
  // edited only once generation reaches it.
  void cachedMatchesRecompute_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("prompt");
    QTest::addColumn<QStringList>("edits");
    QTest::addColumn<int>("basis");
    QTest::addColumn<bool>("changes");
    const int mlp = static_cast<int>(Basis::MlpAct);
    QStringList block;  // x4 on 64 neurons of layer 2 at every position
    for (int i = 0; i < 64; ++i) block << QString("2/%1=4").arg(i);
    for (const QString m : {"geo", "stories"}) {
      const bool geo = m == "geo";
      const QString p = geo ? "Once upon a time" : "Once upon a time, there was a little girl named Lily. She";
      const QByteArray tag = m.toUtf8();
      QTest::newRow(tag + " plain") << m << p << QStringList{} << mlp << false;
      QTest::newRow(tag + " zero ablation") << m << p << QStringList{"1/5=0", "2/7=0", "3/100=0"} << mlp << false;
      QTest::newRow(tag + " x4 every position") << m << p << QStringList{"1/5=4", "2/40=4", "3/11=4"} << mlp << !geo;
      QTest::newRow(tag + " x4 block every position") << m << p << block << mlp << true;
      QTest::newRow(tag + " prompt position") << m << p << QStringList{geo ? "1/716@4=-8" : "0/95@4=-8", "2/40@2=12"}
                                              << mlp << true;
      QTest::newRow(tag + " generated position") << m << p << QStringList{geo ? "0/3@G=-8" : "1/40@G=30", "2/9@G=-30"}
                                                 << mlp << true;
      QTest::newRow(tag + " resid") << m << p << QStringList{"1/3=4", "2/3@G=-6"} << static_cast<int>(Basis::Resid)
                                    << false;
      QTest::newRow(tag + " attn") << m << p << QStringList{"1/3=-3", "2/6@G=5"} << static_cast<int>(Basis::Attn)
                                   << false;
      QTest::newRow(tag + " mlp_out") << m << p << QStringList{"0/3=-4", "1/6@G=5"} << static_cast<int>(Basis::MlpOut)
                                      << false;
    }
  }
  void cachedMatchesRecompute() {
    QFETCH(QString, model);
    QFETCH(QString, prompt);
    QFETCH(QStringList, edits);
    QFETCH(int, basis);
    QFETCH(bool, changes);
    const Model* m = model_named(model);
    if (!m) QSKIP("../shared/data/stories260K is absent");
    const std::vector<int> ids = m->encode(prompt.toStdString());
    edits.replaceInStrings("@G", "@" + QString::number(ids.size() + 3));
    const std::vector<Intervention> ivs = parse_all(edits, static_cast<Basis>(basis));
    const int n = model == "geo" ? 16 : 32;
    std::vector<int> edited;
    compare_paths(*m, ids, n, ivs, &edited);
    if (changes) QVERIFY2(edited != m->generate(ids, n), "the edit should change the continuation");
  }

  // A mean ablation (a value in place of the activation) at every position and at a generated one.
  void meanAblationMatches() {
    std::vector<Intervention> ivs = parse_all({"1/5=0", "2/40@20=0"});
    ivs[0].value = 3.5f;
    ivs[1].value = -9.0f;
    compare_paths(*geo_, geo_->encode(kTexas), 16, ivs);
    if (!stories_) QSKIP("../shared/data/stories260K is absent");
    compare_paths(*stories_, {1}, 40, ivs);
  }

  // llama2.c (which decodes with a KV cache) gives these ids; both paths must.
  void storiesReferenceContinuations() {
    if (!stories_) QSKIP("../shared/data/stories260K is absent");
    for (const auto& sv : reference_["sequences"].toArray()) {
      const QJsonObject s = sv.toObject();
      const std::vector<int> ids = to_ints(s["input_ids"].toArray());
      const std::vector<int> expected = to_ints(s["greedy_continuation_ids"].toArray());
      const int n = static_cast<int>(expected.size());
      QCOMPARE(stories_->generate(ids, n, Decoding::Cached), expected);
      QCOMPARE(stories_->generate(ids, n, Decoding::Recompute), expected);
    }
    const QJsonObject up = reference_["verification"].toObject()["upstream_test_vector"].toObject();
    const std::vector<int> expected = to_ints(up["greedy_ids_from_bos_200"].toArray());
    QCOMPARE(stories_->generate({1}, 200, Decoding::Cached), expected);
    QCOMPARE(stories_->generate({1}, 200, Decoding::Recompute), expected);
  }

  // The context rule is the same on both paths: a continuation stops where the context (128 for the demo
  // model) ends, and only a prompt already past it is refused, with the same message.
  void contextEndsBothPathsAlike() {
    std::string text = kTexas;
    while (geo_->encode(text).size() <= 128) text += " and so on";
    const std::vector<int> longer = geo_->encode(text);
    const std::vector<int> full(longer.begin(), longer.begin() + 128);
    for (const Decoding d : {Decoding::Cached, Decoding::Recompute}) {
      QCOMPARE(geo_->generate(std::vector<int>(full.begin(), full.end() - 2), 8, d).size(), size_t{3});
      QCOMPARE(geo_->generate(full, 8, d).size(), size_t{1});
      QCOMPARE(error_of([&] { geo_->generate(longer, 8, d); }),
               "the prompt is " + std::to_string(longer.size()) +
                   " tokens; this model's context is 128 (max_position_embeddings)");
      QCOMPARE(error_of([&] { geo_->generate({}, 8, d); }), std::string("empty token sequence"));
      QVERIFY(geo_->generate(full, 0, d).empty());
    }
    compare_paths(*geo_, std::vector<int>(full.begin(), full.end() - 5), 8, parse_all({"1/5=4", "2/40@125=-20"}));
  }

  // White-box: prefill then one token per step gives the logits of one full forward at every position
  // (stories260K has grouped-query attention: 8 query heads on 4 kv heads).
  void cachedLogitsMatchFullForward() {
    const Model* m = stories_ ? stories_.get() : geo_.get();
    const LlamaModel& e = engine_of(*m);
    torch::NoGradGuard no_grad;
    const std::vector<int> ids = m->encode("Once upon a time, there was a little dog. It liked to run and play");
    const torch::Tensor all = torch::tensor(std::vector<int64_t>(ids.begin(), ids.end())).view({1, -1});  // [1, t]
    const int64_t t = all.size(1), prefill = 5;
    const torch::Tensor full = e.forward(all).logits;  // [1, t, vocab]
    KvCache cache;  // no reserve: the buffers must grow by doubling
    ForwardOptions o;
    o.cache = &cache;
    torch::Tensor got = e.forward(all.narrow(1, 0, prefill), o).logits;  // [1, prefill, vocab]
    QCOMPARE(cache.length, prefill);
    for (int64_t p = prefill; p < t; ++p) {
      got = torch::cat({got, e.forward(all.narrow(1, p, 1), o).logits}, 1);  // [1, p + 1, vocab]
    }
    QCOMPARE(cache.length, t);
    QVERIFY2(max_abs_diff(got, full) < 1e-4f, qPrintable(QString::number(max_abs_diff(got, full))));
    ForwardOptions padded = o;
    padded.attention_mask = torch::ones({1, 1}, torch::kInt64);
    QVERIFY(QString::fromStdString(error_of([&] { e.forward(all.narrow(1, 0, 1), padded); }))
                .contains("KV cache does not combine"));
  }

  // A step that throws half-way (a cancelled job) leaves the cache as it was: running the step again gives
  // the logits of the uninterrupted run.
  void interruptedStepLeavesTheCacheUsable() {
    const LlamaModel& e = engine_of(*geo_);
    torch::NoGradGuard no_grad;
    const std::vector<int> ids = geo_->encode(kTexas);
    const torch::Tensor all = torch::tensor(std::vector<int64_t>(ids.begin(), ids.end())).view({1, -1});  // [1, t]
    const int64_t t = all.size(1);
    KvCache cache;
    ForwardOptions o;
    o.logits = LogitsMode::Last;
    o.cache = &cache;
    e.forward(all.narrow(1, 0, t - 1), o);
    ForwardOptions failing = o;
    failing.hook = [](Site s, int layer, const torch::Tensor& x) {
      if (s == Site::MlpAct && layer == 2) throw Cancelled();
      return x;
    };
    QVERIFY_THROWS_EXCEPTION(Cancelled, e.forward(all.narrow(1, t - 1, 1), failing));
    QCOMPARE(cache.length, t - 1);
    const torch::Tensor resumed = e.forward(all.narrow(1, t - 1, 1), o).logits;  // [1, 1, vocab]
    ForwardOptions plain;
    plain.logits = LogitsMode::Last;
    QVERIFY(max_abs_diff(resumed, e.forward(all, plain).logits) < 1e-4f);
  }

  // Cancellation reaches inside a cached step; progress is reported per token.
  void cancelAndProgress() {
    std::atomic<bool> cancel{true};
    JobControl stop;
    stop.cancel = &cancel;
    QVERIFY_THROWS_EXCEPTION(Cancelled, generate_with(*geo_, geo_->encode(kTexas), 8, {}, stop));
    std::vector<double> fractions;
    JobControl watch;
    watch.progress = [&](double f, const std::string&) { fractions.push_back(f); };
    const std::vector<int> out = generate_with(*geo_, geo_->encode(kTexas), 4, {}, watch);
    QCOMPARE(fractions.size(), out.size());
    QCOMPARE(fractions.front(), 0.25);
  }

  // Generation runs on worker threads: concurrent cached calls on one model share no state.
  void concurrentCallsAgree() {
    const std::vector<int> ids = geo_->encode(kTexas);
    const std::vector<Intervention> ivs = parse_all({"1/5=4"});
    const std::vector<int> expected = generate_with(*geo_, ids, 12, ivs);
    std::vector<std::vector<int>> got(3);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < got.size(); ++i) {
      threads.emplace_back([&, i] { got[i] = generate_with(*geo_, ids, 12, i == 1 ? std::vector<Intervention>{} : ivs); });
    }
    for (auto& th : threads) th.join();
    QCOMPARE(got[0], expected);
    QCOMPARE(got[2], expected);
    QCOMPARE(got[1], geo_->generate(ids, 12));
  }
};

QTEST_GUILESS_MAIN(TestGeneration)
#include "test_generation.moc"
