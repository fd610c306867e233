// circuit-trace end to end: JSON on stdout for info/tokenize/logits/generate, and one stderr line with exit
// code 2 for every kind of bad input.
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

namespace {

QString shared(const QString& rel) { return QStringLiteral(CE_SHARED_DATA_DIR "/") + rel; }
QString stories() { return shared("stories260K/hf"); }
bool has_stories() { return QFile::exists(stories() + "/config.json"); }

struct Result {
  int code = -1;
  QByteArray out, err;
  QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
};

Result run(const QStringList& args) {
  QProcess p;
  p.start(QStringLiteral(CE_BIN_DIR "/circuit-trace"), args);
  p.waitForFinished(120000);
  return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

QJsonObject reference_sequence(const QString& name) {
  QFile f(shared("stories260K/reference.json"));
  if (!f.open(QIODevice::ReadOnly)) return {};
  for (const auto& s : QJsonDocument::fromJson(f.readAll()).object()["sequences"].toArray()) {
    if (s.toObject()["name"].toString() == name) return s.toObject();
  }
  return {};
}

}  // namespace

class TestCli : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void info() {
    if (!has_stories()) QSKIP("../shared/data/stories260K is absent");
    const Result r = run({"info", "--model", stories()});
    QCOMPARE(r.code, 0);
    const QJsonObject j = r.json();
    QCOMPARE(j["layers"].toInt(), 5);
    QCOMPARE(j["d_model"].toInt(), 64);
    QCOMPARE(j["d_mlp"].toInt(), 172);
    QCOMPARE(j["heads"].toInt(), 8);
    QCOMPARE(j["kv_heads"].toInt(), 4);
    QCOMPARE(j["vocab"].toInt(), 512);
    // 512*64 (tied embedding) + 5 * (4*64*64/… q,k,v,o + 3*64*172 + 2*64) + 64
    QCOMPARE(j["params"].toInt(), 512 * 64 + 5 * (64 * 64 + 2 * 32 * 64 + 64 * 64 + 3 * 64 * 172 + 2 * 64) + 64);
    QCOMPARE(j["dtype"].toString(), QString("f32"));
  }

  void tokenize() {
    if (!has_stories()) QSKIP("../shared/data/stories260K is absent");
    const QJsonObject ref = reference_sequence("once_upon_a_time");
    Result r = run({"tokenize", "--model", stories(), "--text", ref["text"].toString()});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.json()["ids"].toArray(), ref["input_ids"].toArray());
    QCOMPARE(r.json()["pieces"].toArray().size(), ref["input_ids"].toArray().size());
    r = run({"tokenize", "--tokenizer", stories() + "/tokenizer.model", "--text", ref["text"].toString(), "--no-bos"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.json()["ids"].toArray().size(), ref["input_ids"].toArray().size() - 1);
    QCOMPARE(r.json()["ids"].toArray()[0], ref["input_ids"].toArray()[1]);
  }

  void logitsTopMatchesReference() {
    if (!has_stories()) QSKIP("../shared/data/stories260K is absent");
    const QJsonObject ref = reference_sequence("lily_and_tom");
    const Result r = run({"logits", "--model", stories(), "--text", ref["text"].toString(), "--top", "5", "--all"});
    QCOMPARE(r.code, 0);
    const QJsonObject j = r.json();
    const QJsonArray top = j["top"].toArray(), expect = ref["final_top5"].toArray();
    QCOMPARE(top.size(), 5);
    for (int i = 0; i < 5; ++i) {
      QCOMPARE(top[i].toObject()["id"].toInt(), expect[i].toObject()["id"].toInt());
      QVERIFY(std::abs(top[i].toObject()["logit"].toDouble() - expect[i].toObject()["logit"].toDouble()) < 1e-4);
    }
    QCOMPARE(j["logits"].toArray().size(), 512);
    double p = 0;
    for (const auto& t : top) p += t.toObject()["prob"].toDouble();
    QVERIFY(p > 0 && p <= 1.0 + 1e-6);
    // --ids gives the same answer as --text.
    QStringList ids;
    for (const auto& v : ref["input_ids"].toArray()) ids << QString::number(v.toInt());
    const Result r2 = run({"logits", "--model", stories(), "--ids", ids.join(","), "--top", "1"});
    QCOMPARE(r2.json()["top"].toArray()[0].toObject()["id"].toInt(), expect[0].toObject()["id"].toInt());
  }

  void generateMatchesReference() {
    if (!has_stories()) QSKIP("../shared/data/stories260K is absent");
    const QJsonObject ref = reference_sequence("dog_happy");
    const Result r = run({"generate", "--model", stories(), "--text", ref["text"].toString(), "--max-new-tokens", "20"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.json()["ids"].toArray(), ref["greedy_continuation_ids"].toArray());
    QCOMPARE(r.json()["text"].toString(), ref["greedy_continuation_text"].toString());
  }

  // The embedded demo model is the default of every --model option and knows the Texas two-hop fact.
  void demoModelIsDefault() {
    const Result r = run({"logits", "--text", "Fact: the capital of the state containing Dallas is", "--top", "1"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.json()["top"].toArray()[0].toObject()["piece"].toString(), QString("▁Austin"));
    QCOMPARE(r.json()["top"].toArray()[0].toObject()["text"].toString(), QString(" Austin"));
    const Result info = run({"info"});
    QCOMPARE(info.code, 0);
    QVERIFY(info.json()["layers"].toInt() >= 4);
  }

  // A quick accuracy check of the shipped weights on a subset of every evaluation set.
  void demoModelAccuracySubset() {
    QStringList args{"eval-demo", "--max", "40"};
    if (QFile::exists(shared("sva/simple_test.json"))) args << "--sva" << shared("sva");
    const Result r = run(args);
    QCOMPARE(r.code, 0);
    const QJsonObject j = r.json();
    auto acc = [&](const QJsonObject& o) { return o["correct"].toDouble() / o["total"].toDouble(); };
    QVERIFY(j["city_state"].toObject()["total"].toInt() >= 40);
    QVERIFY(acc(j["city_state"].toObject()) >= 0.95);
    QCOMPARE(acc(j["state_capital"].toObject()), 1.0);
    QVERIFY(acc(j["two_hop_trained"].toObject()) >= 0.95);
    for (const auto& v : j["sva"].toObject()) QVERIFY(acc(v.toObject()) >= 0.95);
    for (const auto& v : j["shared_sva"].toObject()) QVERIFY(acc(v.toObject()) >= 0.95);
  }

  void errors_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown command") << QStringList{"frobnicate"} << "unknown command 'frobnicate'";
    QTest::newRow("unknown option") << QStringList{"info", "--bogus"} << "unknown option --bogus";
    QTest::newRow("missing model dir") << QStringList{"info", "--model", "/no/such/model"} << "/no/such/model";
    QTest::newRow("bad ids") << QStringList{"logits", "--ids", "1,x"} << "'x' is not an integer";
    QTest::newRow("id out of range") << QStringList{"logits", "--ids", "1,9999"}
                                     << "token id 9999 is outside the vocabulary";
    QTest::newRow("missing value") << QStringList{"generate", "--text"} << "--text needs a value";
    QTest::newRow("missing max") << QStringList{"generate", "--text", "a"}
                                 << "missing required option --max-new-tokens";
    QTest::newRow("bad dtype") << QStringList{"info", "--dtype", "f8"} << "--dtype must be f32 or bf16";
  }

  void errors() {
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Result r = run(args);
    QCOMPARE(r.code, 2);
    QVERIFY(r.out.isEmpty());
    const QString err = QString::fromUtf8(r.err);
    QVERIFY2(err.contains(message), qPrintable(err));
    if (!args.startsWith("frobnicate")) QCOMPARE(err.count('\n'), 1);  // one line
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
