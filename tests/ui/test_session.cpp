// Session files as a pure unit: no model, no window. Every field survives the JSON round trip, the file is
// replaced atomically, and each malformed file is refused with the message the user will read.
#include <sys/stat.h>
#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "ce/core/base/error.h"
#include "node_key.h"
#include "state/session.h"
#include "test_support.h"

using ce::core::Basis;
using ce::test::key;
using ce::ui::NodeKey;
using ce::ui::Session;

namespace {

// A session where no field has its default value, so a field lost on the way cannot go unnoticed.
Session fullSession() {
  Session s;
  s.modelDir = QStringLiteral("/models/some llama");
  s.modelHash = QString(64, QLatin1Char('a'));
  s.programVersion = QStringLiteral("9.8.7");
  s.trace.prompt = QStringLiteral("Fact: the capital of the state containing Dallas is");
  s.trace.answer = QStringLiteral(" Austin");
  s.trace.contrast = QStringLiteral(" Sacramento");
  s.trace.patch = QStringLiteral("Fact: the capital of the state containing Fresno is \u00e9\u4e2d");
  s.trace.method = ce::core::Method::AtP;
  s.trace.basis = Basis::Attn;
  s.trace.metric = ce::core::Metric::TopK;
  s.trace.topK = 17;
  s.trace.threshold = 0.125;
  s.trace.edges = false;
  s.trace.chat = true;
  ce::ui::SteeringGroup a;
  a.name = QStringLiteral("Austin-specific");
  a.color = QColor(0x12, 0x34, 0x56);
  a.factor = 0.0;
  a.nodes = {key(0, -1, 5), key(3, 10, 701)};
  ce::ui::SteeringGroup b;
  b.name = QStringLiteral("resid");
  b.color = QColor(0xfe, 0xdc, 0xba);
  b.factor = -2.5;
  b.nodes = {key(1, 2, 3, Basis::Resid), key(2, 0, 9, Basis::MlpOut)};
  s.groups = {a, b};
  s.nodeFactors = {{key(1, 4, 100), 4.0}, {key(2, 7, 8, Basis::Attn), -8.0}};
  s.nodeValues = {{key(3, 9, 11), -3.25f}, {key(0, 0, 0), 1.0e-3f}};
  s.labels = {{{3, 701}, QStringLiteral("say a capital \u00e9")}, {{0, 5}, QStringLiteral("Dallas")}};
  s.pins = {key(3, 10, 701), key(1, 2, 3, Basis::Resid)};
  auto& p = s.promptSet;
  p.data = QStringLiteral("/data/my capitals.jsonl");
  p.profiles = QStringLiteral("/data/profiles \u00e9.json");
  p.target = ce::core::Metric::Diff;
  p.baseline = QStringLiteral("patch");
  p.keep = 0.0125;
  p.chat = true;
  p.traced = true;
  p.groups = {{QStringLiteral("say Austin"), QColor(0x1f, 0x9e, 0x89), {QStringLiteral("L3/N701"), QStringLiteral("L0/N5")}},
              {QStringLiteral("Texas"), QColor(0xe6, 0x7e, 0x22), {QStringLiteral("L1/N2")}}};
  p.column = QStringLiteral("state");
  p.value = QStringLiteral("Texas");
  p.position = QStringLiteral("-1");
  p.threshold = 0.9;
  p.sweepGroup = QStringLiteral("Texas");
  p.multipliers = {-8, 0.5, 3};
  p.classes = {QStringLiteral("capital"), QStringLiteral("city")};
  p.complement = true;
  p.top1 = true;
  return s;
}

void writeFile(const QString& path, const QByteArray& bytes) {
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
  f.write(bytes);
}

QByteArray json(const QJsonObject& o) { return QJsonDocument(o).toJson(); }

ino_t inode(const QString& path) {
  struct stat st {};
  return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace

class TestSession : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void everyFieldRoundTrips();
  void jsonNamesTheFields();
  void missingFieldsTakeDefaults();
  void promptSetRoundTrips();
  void labelsAndPinsRoundTrip();
  void promptSetDefaults();
  void saveReplacesTheFileAtomically();
  void saveFailureNamesThePath();
  void missingFileNamesThePath();
  void fifoIsRefusedAtOnce();
  void badFilesAreRefused_data();
  void badFilesAreRefused();
  void hashCoversConfigAndWeightSizes();

 private:
  QTemporaryDir tmp_;
};

void TestSession::everyFieldRoundTrips() {
  const Session a = fullSession();
  const QString path = tmp_.filePath(QStringLiteral("full.json"));
  a.save(path);
  const Session b = Session::load(path);
  QCOMPARE(b.modelDir, a.modelDir);
  QCOMPARE(b.modelHash, a.modelHash);
  QCOMPARE(b.programVersion, a.programVersion);
  QCOMPARE(b.trace.prompt, a.trace.prompt);
  QCOMPARE(b.trace.answer, a.trace.answer);
  QCOMPARE(b.trace.contrast, a.trace.contrast);
  QCOMPARE(b.trace.patch, a.trace.patch);
  QVERIFY(b.trace.method == ce::core::Method::AtP);
  QVERIFY(b.trace.basis == Basis::Attn);
  QVERIFY(b.trace.metric == ce::core::Metric::TopK);
  QCOMPARE(b.trace.topK, 17);
  QCOMPARE(b.trace.threshold, 0.125);
  QCOMPARE(b.trace.edges, false);
  QCOMPARE(b.trace.chat, true);
  QCOMPARE(b.groups.size(), size_t{2});
  for (size_t i = 0; i < 2; ++i) {
    QCOMPARE(b.groups[i].name, a.groups[i].name);
    QCOMPARE(b.groups[i].color, a.groups[i].color);
    QCOMPARE(b.groups[i].factor, a.groups[i].factor);
    QVERIFY(b.groups[i].nodes == a.groups[i].nodes);
  }
  QVERIFY(b.groups[1].nodes[0].basis == Basis::Resid);
  QCOMPARE(b.groups[0].nodes[0].node.pos, -1);
  QVERIFY(b.nodeFactors == a.nodeFactors);
  QVERIFY(b.nodeValues == a.nodeValues);
  QVERIFY(b.toJson() == a.toJson());
  // Every Method, Basis and Metric survives, not only the ones above.
  for (auto m :
       {ce::core::Method::AtP, ce::core::Method::IG, ce::core::Method::RelP, ce::core::Method::Exact}) {
    Session s;
    s.trace.method = m;
    QVERIFY(Session::fromJson(s.toJson()).trace.method == m);
  }
  for (auto basis : {Basis::MlpAct, Basis::MlpOut, Basis::Attn, Basis::Resid}) {
    Session s;
    s.trace.basis = basis;
    s.nodeFactors[key(0, 1, 2, basis)] = 0.0;
    const Session back = Session::fromJson(s.toJson());
    QVERIFY(back.trace.basis == basis);
    QVERIFY(back.nodeFactors.begin()->first.basis == basis);
  }
  for (auto metric : {ce::core::Metric::Diff, ce::core::Metric::Logit, ce::core::Metric::TopK}) {
    Session s;
    s.trace.metric = metric;
    QVERIFY(Session::fromJson(s.toJson()).trace.metric == metric);
  }
  // The feature basis keeps its dictionaries' folder; without one the file is refused.
  Session f;
  f.trace.basis = Basis::Features;
  f.trace.dictionaries = QStringLiteral("/data/saes/layer_set");
  f.nodeFactors[key(1, 2, 1024, Basis::Features)] = 0.0;
  const Session back = Session::fromJson(f.toJson());
  QVERIFY(back.trace.basis == Basis::Features);
  QCOMPARE(back.trace.dictionaries, f.trace.dictionaries);
  QVERIFY(back.nodeFactors.begin()->first.basis == Basis::Features);
  QJsonObject bare = f.toJson();
  QJsonObject trace = bare[QStringLiteral("trace")].toObject();
  trace.remove(QStringLiteral("dictionaries"));
  bare[QStringLiteral("trace")] = trace;
  QCOMPARE(ce::test::error_of([&] { Session::fromJson(bare); }),
           std::string("trace.dictionaries: the feature basis needs the folder of its dictionaries"));
}

void TestSession::jsonNamesTheFields() {
  // Other tools read these files: the names are the format, not an implementation detail.
  const QJsonObject o = fullSession().toJson();
  QCOMPARE(o[QStringLiteral("format")].toInt(), Session::kFormat);
  QCOMPARE(Session::kFormat, 1);
  QCOMPARE(o[QStringLiteral("program")].toString(), QStringLiteral("circuit-explorer"));
  QCOMPARE(o[QStringLiteral("program_version")].toString(), QStringLiteral("9.8.7"));
  QCOMPARE(o[QStringLiteral("model_dir")].toString(), QStringLiteral("/models/some llama"));
  const QJsonObject t = o[QStringLiteral("trace")].toObject();
  QCOMPARE(t[QStringLiteral("patch_prompt")].toString(), fullSession().trace.patch);
  QCOMPARE(t[QStringLiteral("method")].toString(), QStringLiteral("atp"));
  QCOMPARE(t[QStringLiteral("basis")].toString(), QStringLiteral("attn"));
  QCOMPARE(t[QStringLiteral("metric")].toString(), QStringLiteral("topk"));
  QCOMPARE(t[QStringLiteral("top_k")].toInt(), 17);
  QCOMPARE(t[QStringLiteral("chat_template")].toBool(), true);
  const QJsonObject g = o[QStringLiteral("groups")].toArray()[0].toObject();
  QCOMPARE(g[QStringLiteral("color")].toString(), QStringLiteral("#123456"));
  const QJsonObject n = g[QStringLiteral("nodes")].toArray()[1].toObject();
  QCOMPARE(n[QStringLiteral("basis")].toString(), QStringLiteral("mlp_act"));
  QCOMPARE(n[QStringLiteral("layer")].toInt(), 3);
  QCOMPARE(n[QStringLiteral("pos")].toInt(), 10);
  QCOMPARE(n[QStringLiteral("index")].toInt(), 701);
  // Factors and mean-ablation values share one list; a value entry carries "value" and no factor.
  const QJsonArray edits = o[QStringLiteral("node_interventions")].toArray();
  QCOMPARE(edits.size(), 4);
  int values = 0;
  for (const auto& e : edits) {
    const QJsonObject x = e.toObject();
    QVERIFY(x.contains(QStringLiteral("value")) != x.contains(QStringLiteral("factor")));
    values += x.contains(QStringLiteral("value"));
  }
  QCOMPARE(values, 2);
}

void TestSession::missingFieldsTakeDefaults() {
  // Only the format: what an older or hand-written file may hold.
  const Session s = Session::fromJson(QJsonObject{{QStringLiteral("format"), 1}});
  QVERIFY(s.modelDir.isEmpty());  // the demo model
  QVERIFY(s.trace.prompt.isEmpty());
  QVERIFY(s.trace.method == ce::core::Method::RelP);
  QVERIFY(s.trace.basis == Basis::MlpAct);
  QVERIFY(s.trace.metric == ce::core::Metric::Diff);
  QCOMPARE(s.trace.topK, 60);
  QCOMPARE(s.trace.threshold, 0.0);
  QCOMPARE(s.trace.edges, true);
  QCOMPARE(s.trace.chat, false);
  QVERIFY(s.groups.empty() && s.nodeFactors.empty() && s.nodeValues.empty());
  // A group without a factor is unchanged (1); a node without a basis is an MLP neuron; an edit without a
  // value or factor is a factor of 1.
  const QJsonObject node{
      {QStringLiteral("layer"), 2}, {QStringLiteral("pos"), 4}, {QStringLiteral("index"), 6}};
  const Session t = Session::fromJson(QJsonObject{
      {QStringLiteral("format"), 1},
      {QStringLiteral("groups"), QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("g")},
                                                        {QStringLiteral("nodes"), QJsonArray{node}}}}},
      {QStringLiteral("node_interventions"), QJsonArray{node}}});
  QCOMPARE(t.groups.size(), size_t{1});
  QCOMPARE(t.groups[0].factor, 1.0);
  QVERIFY(t.groups[0].nodes[0] == key(2, 4, 6));
  QCOMPARE(t.nodeFactors.at(key(2, 4, 6)), 1.0);
  QVERIFY(t.nodeValues.empty());
}

void TestSession::labelsAndPinsRoundTrip() {
  const Session a = fullSession();
  const QString path = tmp_.filePath(QStringLiteral("labels.json"));
  a.save(path);
  const Session b = Session::load(path);
  QCOMPARE(b.labels.size(), size_t{2});
  QCOMPARE(b.labels.at({3, 701}), QStringLiteral("say a capital \u00e9"));
  QCOMPARE(b.labels.at({0, 5}), QStringLiteral("Dallas"));
  QVERIFY(b.pins == a.pins);
  QVERIFY(b.pins.count(key(1, 2, 3, Basis::Resid)) == 1);
  // An older session has neither: it loads with none.
  QJsonObject old = a.toJson();
  old.remove(QStringLiteral("labels"));
  old.remove(QStringLiteral("pins"));
  const Session c = Session::fromJson(old);
  QVERIFY(c.labels.empty() && c.pins.empty());
  QCOMPARE(c.groups.size(), size_t{2});
  // A label is a neuron's, at every position; a bad one is named.
  QJsonObject bad = a.toJson();
  bad[QStringLiteral("labels")] = QJsonArray{QJsonObject{{QStringLiteral("layer"), -1},
                                                         {QStringLiteral("index"), 3},
                                                         {QStringLiteral("label"), QStringLiteral("x")}}};
  try {
    Session::fromJson(bad);
    QFAIL("a label of layer -1 loaded");
  } catch (const ce::core::Error& e) {
    QCOMPARE(QString::fromUtf8(e.what()),
             QStringLiteral("labels[0]: a label belongs to a neuron (layer and index >= 0)"));
  }
  bad[QStringLiteral("pins")] = QJsonArray{QStringLiteral("L3/N701")};
  bad.remove(QStringLiteral("labels"));
  try {
    Session::fromJson(bad);
    QFAIL("a pin given as a string loaded");
  } catch (const ce::core::Error& e) {
    QCOMPARE(QString::fromUtf8(e.what()), QStringLiteral("pins[0]: expected an object, found a string"));
  }
}

void TestSession::promptSetRoundTrips() {
  const Session a = fullSession();
  const QString path = tmp_.filePath(QStringLiteral("prompt_set.json"));
  a.save(path);
  const auto& p = a.promptSet;
  const auto q = Session::load(path).promptSet;
  QCOMPARE(q.data, p.data);
  QCOMPARE(q.profiles, p.profiles);
  QVERIFY(q.target == ce::core::Metric::Diff);
  QCOMPARE(q.baseline, QStringLiteral("patch"));
  QCOMPARE(q.keep, 0.0125);
  QCOMPARE(q.chat, true);
  QCOMPARE(q.traced, true);
  QCOMPARE(q.groups.size(), size_t{2});
  for (size_t i = 0; i < 2; ++i) {
    QCOMPARE(q.groups[i].label, p.groups[i].label);
    QCOMPARE(q.groups[i].color, p.groups[i].color);
    QCOMPARE(q.groups[i].neurons, p.groups[i].neurons);
  }
  QCOMPARE(q.column, QStringLiteral("state"));
  QCOMPARE(q.value, QStringLiteral("Texas"));
  QCOMPARE(q.position, QStringLiteral("-1"));
  QCOMPARE(q.threshold, 0.9);
  QCOMPARE(q.sweepGroup, QStringLiteral("Texas"));
  QVERIFY(q.multipliers == p.multipliers);
  QCOMPARE(q.classes, p.classes);
  QCOMPARE(q.complement, true);
  QCOMPARE(q.top1, true);
  // The names are the format.
  const QJsonObject o = a.toJson()[QStringLiteral("prompt_set")].toObject();
  QCOMPARE(o[QStringLiteral("target")].toString(), QStringLiteral("diff"));
  QCOMPARE(o[QStringLiteral("groups")].toArray()[0].toObject()[QStringLiteral("neurons")].toArray()[0].toString(),
           QStringLiteral("L3/N701"));
  QCOMPARE(o[QStringLiteral("hypothesis")].toObject()[QStringLiteral("column")].toString(), QStringLiteral("state"));
  QCOMPARE(o[QStringLiteral("sweep")].toObject()[QStringLiteral("multipliers")].toArray().size(), 3);
}

void TestSession::promptSetDefaults() {
  // A session from before the prompt sets has none: the view's defaults, nothing to retrace.
  const auto p = Session::fromJson(QJsonObject{{QStringLiteral("format"), 1}}).promptSet;
  QVERIFY(p.data.isEmpty() && p.profiles.isEmpty() && !p.traced && p.groups.empty());
  QVERIFY(p.target == ce::core::Metric::TopK);
  QCOMPARE(p.baseline, QStringLiteral("zero"));
  QCOMPARE(p.keep, 0.005);
  QCOMPARE(p.position, QStringLiteral("max"));
  QCOMPARE(p.threshold, 0.8);
  QVERIFY((p.multipliers == std::vector<double>{-4, -2, -1, 0, 1, 2, 4}));
  QCOMPARE(p.classes, (QStringList{QStringLiteral("capital"), QStringLiteral("state"), QStringLiteral("city")}));
  // The shipped Texas session still opens, with no prompt set.
  const Session shipped = Session::load(QStringLiteral(CE_SOURCE_DIR "/resources/sessions/texas_to_california.json"));
  QCOMPARE(shipped.groups.size(), size_t{2});
  // Named as Make Specific Groups names them and as the README's walkthrough says.
  QCOMPARE(shipped.groups[0].name, QStringLiteral("Austin-specific"));
  QCOMPARE(shipped.groups[1].name, QStringLiteral("Sacramento-specific"));
  QVERIFY(!shipped.promptSet.traced);
  // Neuron names are normalised ("3/701" reads as L3/N701).
  const auto named = Session::fromJson(QJsonObject{
      {QStringLiteral("format"), 1},
      {QStringLiteral("prompt_set"),
       QJsonObject{{QStringLiteral("groups"),
                    QJsonArray{QJsonObject{{QStringLiteral("neurons"), QJsonArray{QStringLiteral("3/701")}}}}}}}});
  QCOMPARE(named.promptSet.groups[0].neurons, QStringList{QStringLiteral("L3/N701")});
}

void TestSession::saveReplacesTheFileAtomically() {
  QTemporaryDir dir;
  const QString path = dir.filePath(QStringLiteral("s.json"));
  Session first = fullSession();
  first.save(path);
  // A second name for the first file's data: an in-place rewrite would change what it shows.
  const QString keep = dir.filePath(QStringLiteral("first.json"));
  QCOMPARE(::link(QFile::encodeName(path).constData(), QFile::encodeName(keep).constData()), 0);
  const ino_t before = inode(path);
  QVERIFY(before != 0);
  Session second;
  second.trace.prompt = QStringLiteral("short");
  second.save(path);
  // The new contents were written to a file of their own and renamed over the old one.
  QVERIFY(inode(path) != before);
  QCOMPARE(Session::load(path).trace.prompt, QStringLiteral("short"));
  QCOMPARE(Session::load(keep).trace.prompt, first.trace.prompt);
  QCOMPARE(Session::load(keep).groups.size(), size_t{2});
  // No temporary file is left beside it.
  QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden, QDir::Name),
           (QStringList{QStringLiteral("first.json"), QStringLiteral("s.json")}));
}

void TestSession::saveFailureNamesThePath() {
  QTemporaryDir dir;
  // Into a folder that does not exist, and onto a folder: each names the path, and the folder survives.
  const QString missing = dir.filePath(QStringLiteral("no/such/dir/s.json"));
  std::string e = ce::test::error_of([&] { fullSession().save(missing); });
  QVERIFY2(e.rfind(missing.toStdString() + ": ", 0) == 0 && e.size() > missing.toStdString().size() + 2,
           e.c_str());
  const QString folder = dir.filePath(QStringLiteral("folder"));
  QVERIFY(QDir().mkpath(folder));
  e = ce::test::error_of([&] { fullSession().save(folder); });
  QVERIFY2(e.rfind(folder.toStdString() + ": ", 0) == 0, e.c_str());
  QVERIFY(QFileInfo(folder).isDir());
}

void TestSession::missingFileNamesThePath() {
  const QString path = tmp_.filePath(QStringLiteral("never-saved.json"));
  const std::string e = ce::test::error_of([&] { Session::load(path); });
  QCOMPARE(QString::fromStdString(e), path + QStringLiteral(": cannot open file: No such file or directory"));
}

void TestSession::fifoIsRefusedAtOnce() {
  // A FIFO used to block QFile::open until a writer came, i.e. forever.
  const QString path = tmp_.filePath(QStringLiteral("fifo.json"));
  QCOMPARE(::mkfifo(QFile::encodeName(path).constData(), 0600), 0);
  const std::string e = ce::test::error_of([&] { Session::load(path); });
  QCOMPARE(QString::fromStdString(e), path + QStringLiteral(": not a regular file"));
}

void TestSession::badFilesAreRefused_data() {
  QTest::addColumn<QByteArray>("contents");
  QTest::addColumn<QString>("message");  // what follows "<path>: "
  const QJsonObject node{
      {QStringLiteral("layer"), 1}, {QStringLiteral("pos"), 2}, {QStringLiteral("index"), 3}};
  auto withGroupNode = [](const QJsonValue& n) {
    return json(QJsonObject{
        {QStringLiteral("format"), 1},
        {QStringLiteral("groups"), QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("g")},
                                                          {QStringLiteral("nodes"), QJsonArray{n}}}}}});
  };
  auto withTrace = [](const char* field, const QJsonValue& v) {
    return json(QJsonObject{{QStringLiteral("format"), 1},
                            {QStringLiteral("trace"), QJsonObject{{QLatin1String(field), v}}}});
  };
  QTest::newRow("not json") << QByteArray("{ not json")
                            << QStringLiteral("not a session file (unterminated object at byte 3)");
  QTest::newRow("empty") << QByteArray() << QStringLiteral("not a session file (illegal value at byte 0)");
  QTest::newRow("an array") << QByteArray("[1, 2]")
                            << QStringLiteral("not a session file (a JSON array, not an object)");
  QTest::newRow("no format") << json(QJsonObject{{QStringLiteral("model_dir"), QString()}})
                             << QStringLiteral("no \"format\" field: not a session file of this program");
  QTest::newRow("format 2") << json(QJsonObject{{QStringLiteral("format"), 2}})
                            << QStringLiteral("format 2 is not supported (this program reads format 1)");
  QTest::newRow("negative threshold")
      << withTrace("threshold", -0.5) << QStringLiteral("trace.threshold: must be a finite number >= 0");
  QTest::newRow("unknown method") << withTrace("method", QStringLiteral("magic"))
                                  << QStringLiteral(
                                         "trace.method: unknown method 'magic' (expected atp, ig, relp or exact)");
  QTest::newRow("unknown basis") << withTrace("basis", QStringLiteral("mlp"))
                                 << QStringLiteral(
                                        "trace.basis: unknown basis 'mlp' (expected mlp_act, mlp_out, attn, resid or sae)");
  QTest::newRow("unknown metric") << withTrace("metric", QStringLiteral("prob"))
                                  << QStringLiteral("trace.metric: unknown metric 'prob' (expected diff, logit or topk)");
  QTest::newRow("node not an object")
      << withGroupNode(QJsonValue(3)) << QStringLiteral("groups[0].nodes[0]: expected an object, found a number");
  QJsonObject noPos = node;
  noPos.remove(QStringLiteral("pos"));
  QTest::newRow("node without pos") << withGroupNode(noPos)
                                    << QStringLiteral("groups[0].nodes[0]: missing the number \"pos\"");
  QJsonObject textLayer = node;
  textLayer.insert(QStringLiteral("layer"), QStringLiteral("3"));
  QTest::newRow("node layer as text")
      << withGroupNode(textLayer) << QStringLiteral("groups[0].nodes[0].layer: expected an integer, found a string");
  QJsonObject badBasis = node;
  badBasis.insert(QStringLiteral("basis"), QStringLiteral("neurons"));
  QTest::newRow("node basis") << withGroupNode(badBasis)
                              << QStringLiteral(
                                     "groups[0].nodes[0].basis: unknown basis 'neurons' (expected mlp_act, mlp_out, attn, "
                                     "resid or sae)");
  QJsonObject noIndex = node;
  noIndex.remove(QStringLiteral("index"));
  noIndex.insert(QStringLiteral("factor"), 0);
  QTest::newRow("edit without index")
      << json(QJsonObject{{QStringLiteral("format"), 1},
                          {QStringLiteral("node_interventions"), QJsonArray{noIndex}}})
      << QStringLiteral("node_interventions[0]: missing the number \"index\"");
  QTest::newRow("groups not an array")  // used to load silently and wipe the groups
      << QByteArray(R"({"format": 1, "groups": "oops", "prompt": 42})")
      << QStringLiteral("groups: expected an array, found a string");
  QTest::newRow("prompt a number")
      << withTrace("prompt", 42) << QStringLiteral("trace.prompt: expected a string, found a number");
  QTest::newRow("fractional layer")
      << withGroupNode(QJsonObject{{QStringLiteral("layer"), 1.5}, {QStringLiteral("pos"), 2}, {QStringLiteral("index"), 3}})
      << QStringLiteral("groups[0].nodes[0].layer: 1.5 is not an integer >= -1");
  auto withSet = [](const QJsonObject& set) {
    return json(QJsonObject{{QStringLiteral("format"), 1}, {QStringLiteral("prompt_set"), set}});
  };
  QTest::newRow("prompt set not an object")
      << json(QJsonObject{{QStringLiteral("format"), 1}, {QStringLiteral("prompt_set"), 3}})
      << QStringLiteral("prompt_set: expected an object, found a number");
  QTest::newRow("prompt set target")
      << withSet({{QStringLiteral("target"), QStringLiteral("prob")}})
      << QStringLiteral("prompt_set.target: unknown metric 'prob' (expected diff, logit or topk)");
  QTest::newRow("prompt set keep")
      << withSet({{QStringLiteral("keep"), 0}}) << QStringLiteral("prompt_set.keep: must be a fraction in (0, 1]");
  QTest::newRow("prompt set neuron a number")
      << withSet({{QStringLiteral("groups"),
                   QJsonArray{QJsonObject{{QStringLiteral("neurons"), QJsonArray{QStringLiteral("L1/N2"), 7}}}}}})
      << QStringLiteral("prompt_set.groups[0].neurons[1]: expected a string, found a number");
  QTest::newRow("prompt set neuron with a position")
      << withSet({{QStringLiteral("groups"),
                   QJsonArray{QJsonObject{{QStringLiteral("neurons"), QJsonArray{QStringLiteral("L1/N2@3")}}}}}})
      << QStringLiteral("prompt_set.groups[0].neurons[0]: 'L1/N2@3' names a position; give L/N");
  QTest::newRow("prompt set threshold")
      << withSet({{QStringLiteral("hypothesis"), QJsonObject{{QStringLiteral("threshold"), 0.3}}}})
      << QStringLiteral("prompt_set.hypothesis.threshold: must be a number from 0.5 to 1");
  QTest::newRow("prompt set multiplier")
      << withSet({{QStringLiteral("sweep"), QJsonObject{{QStringLiteral("multipliers"), QJsonArray{1, QStringLiteral("x")}}}}})
      << QStringLiteral("prompt_set.sweep.multipliers[1]: expected a number, found a string");
  QTest::newRow("bad colour")
      << json(QJsonObject{{QStringLiteral("format"), 1},
                          {QStringLiteral("groups"), QJsonArray{QJsonObject{{QStringLiteral("color"), QStringLiteral("blue-ish")}}}}})
      << QStringLiteral("groups[0].color: 'blue-ish' is not a colour (#rrggbb)");
  // A control character in a quoted value is written out: a NUL would otherwise end the message there.
  QTest::newRow("colour with a NUL")
      << json(QJsonObject{{QStringLiteral("format"), 1},
                          {QStringLiteral("groups"),
                           QJsonArray{QJsonObject{{QStringLiteral("color"), QStringLiteral("blue") + QChar(0) + QStringLiteral("ish")}}}}})
      << QStringLiteral("groups[0].color: 'blue\\u0000ish' is not a colour (#rrggbb)");
}

void TestSession::badFilesAreRefused() {
  QFETCH(QByteArray, contents);
  QFETCH(QString, message);
  const QString path = tmp_.filePath(QStringLiteral("bad.json"));
  writeFile(path, contents);
  const std::string e = ce::test::error_of([&] { Session::load(path); });
  QCOMPARE(QString::fromStdString(e), path + QStringLiteral(": ") + message);
}

void TestSession::hashCoversConfigAndWeightSizes() {
  QTemporaryDir dir;
  QVERIFY(Session::hashModelDir(dir.path()).isEmpty());  // no config.json: not a model
  QVERIFY(Session::hashModelDir(dir.filePath(QStringLiteral("absent"))).isEmpty());
  writeFile(dir.filePath(QStringLiteral("config.json")), "{\"hidden_size\": 8}");
  writeFile(dir.filePath(QStringLiteral("model.safetensors")), QByteArray(100, 'x'));
  const QString h = Session::hashModelDir(dir.path());
  QCOMPARE(h.size(), 64);
  QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{64}$")).match(h).hasMatch());
  QCOMPARE(Session::hashModelDir(dir.path()), h);
  // Weights are known by name and size only (hashing gigabytes would stall every save).
  writeFile(dir.filePath(QStringLiteral("model.safetensors")), QByteArray(100, 'y'));
  QCOMPARE(Session::hashModelDir(dir.path()), h);
  writeFile(dir.filePath(QStringLiteral("README.md")), "not part of the model");
  QCOMPARE(Session::hashModelDir(dir.path()), h);
  writeFile(dir.filePath(QStringLiteral("model.safetensors")), QByteArray(101, 'y'));
  const QString resized = Session::hashModelDir(dir.path());
  QVERIFY(resized != h);
  writeFile(dir.filePath(QStringLiteral("model-2.safetensors")), QByteArray());
  const QString added = Session::hashModelDir(dir.path());
  QVERIFY(added != resized);
  writeFile(dir.filePath(QStringLiteral("config.json")), "{\"hidden_size\": 16}");
  QVERIFY(Session::hashModelDir(dir.path()) != added);
}

QTEST_GUILESS_MAIN(TestSession)
#include "test_session.moc"
