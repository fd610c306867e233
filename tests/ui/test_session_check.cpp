// Sessions against a model: unknown keys refused by path, ranges checked against the demo model's config
// (what the window runs before applying anything), the model folder stored relative to the session file, the
// demo model by name, and the files of older versions still loading. No window.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "ce/core/model/model_config.h"
#include "node_key.h"
#include "state/session.h"
#include "test_support.h"

using ce::test::key;
using ce::ui::Session;

namespace {

void writeFile(const QString& path, const QByteArray& bytes) {
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
  f.write(bytes);
}

QByteArray json(const QJsonObject& o) { return QJsonDocument(o).toJson(); }

Session smallSession() {
  Session s;
  s.modelDir = QStringLiteral("/models/some llama");
  s.trace.prompt = QStringLiteral("Fact: the capital of the state containing Dallas is");
  ce::ui::SteeringGroup g;
  g.name = QStringLiteral("g");
  g.nodes = {key(3, 10, 701)};
  s.groups = {g};
  return s;
}

}  // namespace

class TestSessionCheck : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void unknownKeysAreRefused_data();
  void unknownKeysAreRefused();
  void rangesAreCheckedAgainstTheModel_data();
  void rangesAreCheckedAgainstTheModel();
  void modelBesideTheSessionMovesWithIt();
  void demoModelIsStoredByName();
  void shippedAndOlderSessionsStillLoad();

 private:
  QTemporaryDir tmp_;
};

namespace {
const char* const kTopKeys =
    "format, program, program_version, model, model_dir, model_hash, trace, groups, node_interventions, labels, "
    "pins, prompt_set";

ce::core::ModelConfig demoConfig() { return ce::core::ModelConfig::from_dir(ce::core::default_model_dir()); }

QJsonObject nodeAt(int layer, int pos, int index, const char* basis = "mlp_act") {
  return QJsonObject{{QStringLiteral("basis"), QLatin1String(basis)},
                     {QStringLiteral("layer"), layer},
                     {QStringLiteral("pos"), pos},
                     {QStringLiteral("index"), index}};
}
}  // namespace

void TestSessionCheck::unknownKeysAreRefused_data() {
  QTest::addColumn<QByteArray>("contents");
  QTest::addColumn<QString>("message");
  QTest::newRow("top level") << json(QJsonObject{{QStringLiteral("format"), 1}, {QStringLiteral("grops"), QJsonArray{}}})
                             << QStringLiteral("grops: unknown key (known here: %1)").arg(QLatin1String(kTopKeys));
  QTest::newRow("trace") << json(QJsonObject{{QStringLiteral("format"), 1},
                                             {QStringLiteral("trace"), QJsonObject{{QStringLiteral("promt"), QStringLiteral("x")}}}})
                         << QStringLiteral("trace.promt: unknown key (known here: prompt, answer, contrast, patch_prompt, "
                                           "method, basis, metric, top_k, threshold, edges, chat_template, dictionaries)");
  QJsonObject node = nodeAt(1, 2, 3);
  node.insert(QStringLiteral("factor"), 2);  // a factor belongs to an intervention, not to a group's node
  QTest::newRow("group node") << json(QJsonObject{
      {QStringLiteral("format"), 1},
      {QStringLiteral("groups"), QJsonArray{QJsonObject{{QStringLiteral("nodes"), QJsonArray{nodeAt(0, 1, 2), node}}}}}})
                              << QStringLiteral("groups[0].nodes[1].factor: unknown key (known here: basis, layer, pos, index)");
  QTest::newRow("sweep") << json(QJsonObject{
      {QStringLiteral("format"), 1},
      {QStringLiteral("prompt_set"), QJsonObject{{QStringLiteral("sweep"), QJsonObject{{QStringLiteral("top"), true}}}}}})
                         << QStringLiteral("prompt_set.sweep.top: unknown key (known here: group, multipliers, classes, complement, top1)");
  // A key that is not a plain name is quoted, its control characters escaped: unquoted, "xstd:" would read
  // "trace.xstd:: unknown key" and a NUL would end the message early (both found by the fuzz campaign).
  QTest::newRow("odd key") << QByteArray("{\"format\": 1, \"trace\": {\"xstd:\\u0000\\\"q\": true}}")
                           << QStringLiteral("trace.\"xstd:\\u0000\\\"q\": unknown key (known here: prompt, answer, "
                                             "contrast, patch_prompt, method, basis, metric, top_k, threshold, edges, "
                                             "chat_template, dictionaries)");
  QTest::newRow("model name") << json(QJsonObject{{QStringLiteral("format"), 1}, {QStringLiteral("model"), QStringLiteral("llama")}})
                              << QStringLiteral("model: 'llama' is not a model this program ships (only \"demo\"; other models go in model_dir)");
}

void TestSessionCheck::unknownKeysAreRefused() {
  QFETCH(QByteArray, contents);
  QFETCH(QString, message);
  const QString path = tmp_.filePath(QStringLiteral("unknown.json"));
  writeFile(path, contents);
  QCOMPARE(QString::fromStdString(ce::test::error_of([&] { Session::load(path); })), path + QStringLiteral(": ") + message);
}

void TestSessionCheck::rangesAreCheckedAgainstTheModel_data() {
  QTest::addColumn<QJsonObject>("session");
  QTest::addColumn<QString>("message");
  auto group = [](const QJsonObject& n) {
    return QJsonObject{{QStringLiteral("format"), 1},
                       {QStringLiteral("groups"), QJsonArray{QJsonObject{{QStringLiteral("nodes"), QJsonArray{nodeAt(0, 1, 2), n}}}}}};
  };
  QTest::newRow("neuron index") << group(nodeAt(0, -1, 999999))
                                << QStringLiteral("groups[0].nodes[1].index: 999999 is out of range (the model has 768 neurons per layer)");
  QTest::newRow("layer") << group(nodeAt(4, 3, 1))
                         << QStringLiteral("groups[0].nodes[1].layer: 4 is out of range (the model has 4 layers, 0 to 3)");
  QTest::newRow("resid width") << group(nodeAt(1, 3, 256, "resid"))
                               << QStringLiteral("groups[0].nodes[1].index: 256 is out of range (the model's resid basis has 256 values per layer)");
  QJsonObject edit = nodeAt(2, 5, 800);
  edit.insert(QStringLiteral("factor"), 0);
  QTest::newRow("intervention") << QJsonObject{{QStringLiteral("format"), 1},
                                               {QStringLiteral("node_interventions"), QJsonArray{nodeAt(0, 1, 1), edit}}}
                                << QStringLiteral("node_interventions[1].index: 800 is out of range (the model has 768 neurons per layer)");
  QTest::newRow("pin") << QJsonObject{{QStringLiteral("format"), 1}, {QStringLiteral("pins"), QJsonArray{nodeAt(7, 0, 0)}}}
                       << QStringLiteral("pins[0].layer: 7 is out of range (the model has 4 layers, 0 to 3)");
  QTest::newRow("label") << QJsonObject{{QStringLiteral("format"), 1},
                                        {QStringLiteral("labels"), QJsonArray{QJsonObject{{QStringLiteral("layer"), 3},
                                                                                         {QStringLiteral("index"), 768},
                                                                                         {QStringLiteral("label"), QStringLiteral("x")}}}}}
                         << QStringLiteral("labels[0].index: 768 is out of range (the model has 768 neurons per layer)");
  QTest::newRow("set neuron") << QJsonObject{
      {QStringLiteral("format"), 1},
      {QStringLiteral("prompt_set"),
       QJsonObject{{QStringLiteral("groups"),
                    QJsonArray{QJsonObject{{QStringLiteral("neurons"), QJsonArray{QStringLiteral("L3/N701"), QStringLiteral("L9/N1")}}}}}}}}
                              << QStringLiteral("prompt_set.groups[0].neurons[1]: layer 9 is out of range (the model has 4 layers, 0 to 3)");
}

void TestSessionCheck::rangesAreCheckedAgainstTheModel() {
  QFETCH(QJsonObject, session);
  QFETCH(QString, message);
  // The kinds are right, so the file reads; the ranges need the model, checked before the window applies it.
  const Session s = Session::fromJson(session);
  QCOMPARE(QString::fromStdString(ce::test::error_of([&] { s.check(demoConfig()); })), message);
  // A session made in memory (no file) is checked the same way.
  Session copy;
  copy.groups = s.groups;
  copy.nodeFactors = s.nodeFactors;
  copy.pins = s.pins;
  copy.labels = s.labels;
  copy.promptSet = s.promptSet;
  QVERIFY(!ce::test::error_of([&] { copy.check(demoConfig()); }).empty());
}

void TestSessionCheck::modelBesideTheSessionMovesWithIt() {
  QTemporaryDir root;
  const QString a = root.filePath(QStringLiteral("A")), b = root.filePath(QStringLiteral("B"));
  QVERIFY(QDir().mkpath(a + QStringLiteral("/models/x")));
  writeFile(a + QStringLiteral("/models/x/config.json"), "{}");
  Session s = smallSession();
  s.modelDir = a + QStringLiteral("/models/x");
  s.save(a + QStringLiteral("/s.json"));
  QFile f(a + QStringLiteral("/s.json"));
  QVERIFY(f.open(QIODevice::ReadOnly));
  QCOMPARE(QJsonDocument::fromJson(f.readAll()).object()[QStringLiteral("model_dir")].toString(), QStringLiteral("models/x"));
  f.close();
  QVERIFY(QDir().rename(a, b));  // both move: the session still finds its model
  QCOMPARE(Session::load(b + QStringLiteral("/s.json")).modelDir, b + QStringLiteral("/models/x"));
  // A model outside the session's folder keeps its absolute path.
  s.modelDir = b + QStringLiteral("/models/x");
  QVERIFY(QDir().mkpath(root.filePath(QStringLiteral("C"))));
  s.save(root.filePath(QStringLiteral("C/s.json")));
  QCOMPARE(Session::load(root.filePath(QStringLiteral("C/s.json"))).modelDir, b + QStringLiteral("/models/x"));
}

void TestSessionCheck::demoModelIsStoredByName() {
  Session s = smallSession();
  s.modelDir = QString::fromStdString(ce::core::default_model_dir());
  const QJsonObject o = s.toJson(tmp_.path());
  QCOMPARE(o[QStringLiteral("model")].toString(), QStringLiteral("demo"));
  QCOMPARE(o[QStringLiteral("model_dir")].toString(), QString());
  const QString path = tmp_.filePath(QStringLiteral("demo.json"));
  s.save(path);
  QVERIFY(Session::load(path).modelDir.isEmpty());  // the demo, wherever this machine has it
  QVERIFY(!smallSession().toJson().contains(QStringLiteral("model")));
}

void TestSessionCheck::shippedAndOlderSessionsStillLoad() {
  // The shipped session predates "model" and unknown-key checks; it loads and fits the demo model.
  const Session shipped =
      Session::load(QString::fromStdString(ce::core::resources_dir()) + QStringLiteral("/sessions/texas_to_california.json"));
  QVERIFY(shipped.modelDir.isEmpty());
  QCOMPARE(shipped.groups.size(), size_t{2});
  shipped.check(demoConfig());
  // An older file with an absolute model_dir keeps it.
  const QString path = tmp_.filePath(QStringLiteral("old.json"));
  writeFile(path, R"({"format": 1, "model_dir": "/models/old", "trace": {"prompt": "p"}})");
  QCOMPARE(Session::load(path).modelDir, QStringLiteral("/models/old"));
}

QTEST_GUILESS_MAIN(TestSessionCheck)
#include "test_session_check.moc"
