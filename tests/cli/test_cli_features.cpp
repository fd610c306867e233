// The feature basis through circuit-trace, on the dictionaries shipped beside the demo model
// (resources/models/geo/dictionaries/): attribute, evaluate and steer with --basis sae:NAME and sae:PATH, and
// the capitals workflow (trace-set, cluster, sweep) on features, and the errors of bad basis arguments.
#include <QtTest/QtTest>

#include <QDir>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>

#include <cmath>

#include "test_support.h"

using ce::test::CliResult;
using ce::test::run_cli;

namespace {

const QString kTexas = QStringLiteral("Fact: the capital of the state containing Dallas is");
const QString kFresno = QStringLiteral("Fact: the capital of the state containing Fresno is");
const QString kShipped = QStringLiteral(CE_SOURCE_DIR "/resources/models/geo/dictionaries/");

QStringList texasArgs() {
  return {"--text", kTexas, "--answer", " Austin", "--contrast", " Sacramento", "--patch-text", kFresno};
}

}  // namespace

class TestCliFeatures : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // Six sets ship, 4 layers each: 1024 features (4 x 256) at 4x, 2048 at 8x.
  void shippedSets() {
    for (const char* set :
         {"sae_mlp_out_4x", "sae_resid_4x", "transcoder_4x", "sae_mlp_out_8x", "sae_resid_8x", "transcoder_8x"}) {
      for (int l = 0; l < 4; ++l) {
        const QString dir = kShipped + QLatin1String(set) + "/l" + QString::number(l);
        QVERIFY2(QFile::exists(dir + "/cfg.json") && QFile::exists(dir + "/sae_weights.safetensors"), qPrintable(dir));
      }
    }
  }

  // sae:NAME finds a set under the model's dictionaries/; the metric is the plain model's (the splices change
  // no value) and the nodes are features and error nodes.
  void attributeByName() {
    const CliResult plain = run_cli(QStringList{"attribute", "--method", "relp", "--top", "5"} + texasArgs());
    QVERIFY2(plain.code == 0, plain.err.constData());
    const CliResult r =
        run_cli(QStringList{"attribute", "--method", "relp", "--top", "30", "--basis", "sae:sae_mlp_out_4x"} + texasArgs());
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject j = r.json();
    QCOMPARE(j["basis"].toString(), QString("sae"));
    QVERIFY(std::abs(j["m"].toDouble() - plain.json()["m"].toDouble()) < 1e-4);
    const QJsonObject d = j["dictionaries"].toObject();
    QCOMPARE(d["d_sae"].toInt(), 1024);
    QCOMPARE(d["error_node_index"].toInt(), 1024);
    QCOMPARE(d["describe"].toString(), QString("sae mlp_out L0-3"));
    QCOMPARE(d["layers"].toArray().size(), 4);
    const QJsonArray nodes = j["nodes"].toArray();
    QCOMPARE(nodes.size(), 30);
    for (const auto& v : nodes) QVERIFY(v.toObject()["index"].toInt() <= 1024);
  }

  // sae:PATH with one dictionary folder: only its layer has nodes.
  void attributeOneFolder() {
    const CliResult r = run_cli(QStringList{"attribute", "--method", "atp", "--top", "10", "--basis",
                                            "sae:" + kShipped + "transcoder_4x/l2"} +
                                texasArgs());
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json()["dictionaries"].toObject()["describe"].toString(), QString("transcoder L2"));
    for (const auto& v : r.json()["nodes"].toArray()) QCOMPARE(v.toObject()["layer"].toInt(), 2);
  }

  void evaluateCurve() {
    QTemporaryDir dir;
    const QString csv = dir.path() + "/curve.csv";
    const QString sva = QStringLiteral(CE_SOURCE_DIR "/resources/datasets/sva/");
    const CliResult r = run_cli({"evaluate", "--data", sva + "simple_train.json", "--test", sva + "simple_test.json",
                                 "--limit", "10", "--test-limit", "10", "--method", "relp", "--basis",
                                 "sae:sae_resid_4x", "--counts", "10,100", "--csv", csv});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject j = r.json();
    QVERIFY(j["m_full"].toDouble() > j["m_empty"].toDouble());
    const QJsonArray pts = j["points"].toArray();
    QCOMPARE(pts.size(), 33);
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().split('\n')[1].startsWith("relp,sae:sae_resid_4x,mean,0,"));
  }

  // Scaling a feature changes the logits; scaling the error node by 1 changes nothing.
  void steerFeature() {
    CliResult r = run_cli({"steer", "--text", kTexas, "--basis", "sae:transcoder_4x", "--scale", "3/1024=1",
                           "--max-new-tokens", "2"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject same = r.json();
    QCOMPARE(same["after"].toObject()["top"].toArray()[0].toObject()["logit"].toDouble(),
             same["before"].toObject()["top"].toArray()[0].toObject()["logit"].toDouble());
    r = run_cli({"steer", "--text", kTexas, "--basis", "sae:transcoder_4x", "--scale", "3/1024=0", "--max-new-tokens",
                 "2"});
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY(std::abs(r.json()["after"].toObject()["top"].toArray()[0].toObject()["logit"].toDouble() -
                     same["before"].toObject()["top"].toArray()[0].toObject()["logit"].toDouble()) > 1e-3);
  }

  // Edges between transcoder features: named as nodes, never into an error node; --graph-json writes them with
  // error nodes as circuit-tracer's "mlp reconstruction error"; --feature-dir (neuron files) is refused.
  void edgesBetweenFeatures() {
    CliResult r = run_cli({"edges", "--text", kTexas, "--answer", " Austin", "--contrast", " Sacramento", "--basis",
                           "sae:transcoder_4x", "--top-nodes", "10", "--curve"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject j = r.json();
    QCOMPARE(j["basis"].toString(), QString("sae"));
    const QJsonArray edges = j["edges"].toArray();
    QVERIFY(!edges.isEmpty());
    for (const auto& v : edges) {
      const QString src = v.toObject()["src"].toString(), dst = v.toObject()["dst"].toString();
      QVERIFY2(!dst.contains("/F1024@"), qPrintable(dst));  // error nodes are sources only
      QVERIFY2(src.startsWith("E@") || src.contains("/F"), qPrintable(src));
    }
    QCOMPARE(j["curve"].toArray().size(), 7);
    QVERIFY(!j["nodes"].toArray().isEmpty());
    for (const auto& v : j["nodes"].toArray()) {
      const QJsonObject n = v.toObject();
      QCOMPARE(n["name"].toString(), QStringLiteral("L%1/F%2@%3")
                                         .arg(n["layer"].toInt())
                                         .arg(n["index"].toInt())
                                         .arg(n["pos"].toInt()));
    }
    QTemporaryDir tmp;
    const QString graph = tmp.filePath("features.json");
    r = run_cli({"edges", "--text", kTexas, "--answer", " Austin", "--basis", "sae:transcoder_4x", "--top-nodes",
                 "30", "--graph-json", graph});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject file = ce::test::read_json(graph);
    QVERIFY(file["metadata"].toObject()["transcoder_list"].toArray()[0].toString().endsWith("transcoder_4x"));
    QSet<QString> ids;
    int errors = 0;
    for (const auto& v : file["nodes"].toArray()) {
      const QJsonObject n = v.toObject();
      ids.insert(n["node_id"].toString());
      if (n["feature_type"].toString() != "mlp reconstruction error") continue;
      ++errors;
      QVERIFY2(n["node_id"].toString().contains("_-1_"), qPrintable(n["node_id"].toString()));
      QVERIFY(n["activation"].isNull());
    }
    QCOMPARE(ids.size(), file["nodes"].toArray().size());  // no two nodes share an id
    int fromErrors = 0;
    for (const auto& v : file["links"].toArray()) {
      const QJsonObject l = v.toObject();
      QVERIFY(ids.contains(l["source"].toString()) && ids.contains(l["target"].toString()));
      fromErrors += l["source"].toString().contains("_-1_");
    }
    QCOMPARE(file["links"].toArray().size(), r.json()["edges"].toArray().size());
    QVERIFY2(errors > 0 && fromErrors > 0, qPrintable(QString("%1 error nodes, %2 links").arg(errors).arg(fromErrors)));
    r = run_cli({"edges", "--text", kTexas, "--answer", " Austin", "--basis", "sae:transcoder_4x", "--graph-json", graph,
                 "--feature-dir", tmp.filePath("f")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--feature-dir writes neuron feature files (mlp_act)"), r.err.constData());
  }

    // A feature's exemplars from the index beside its set.
  void neuronExemplars() {
    const CliResult r = run_cli({"neuron", "--basis", "sae:transcoder_4x", "--neuron", "3/271", "--top", "3"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json()["basis"].toString(), QString("sae"));
    const QJsonArray ex = r.json()["exemplars"].toArray();
    QCOMPARE(ex.size(), 3);
    QVERIFY(ex[0].toObject()["activation"].toDouble() >= ex[2].toObject()["activation"].toDouble());
  }

  // The capitals workflow on features: trace-set keeps features and error nodes, cluster names them with the
  // set's own exemplar index, and a sweep of a group at x1 leaves the model's probabilities as they are.
  void capitalsWorkflow() {
    QTemporaryDir tmp;
    const QString profiles = tmp.path() + "/features.json";
    CliResult r = run_cli({"trace-set", "--limit", "12", "--basis", "sae:transcoder_4x", "--out", profiles});
    QVERIFY2(r.code == 0, r.err.constData());
    QJsonObject j = r.json();
    QCOMPARE(j["basis"].toString(), QString("sae"));
    QVERIFY(j["dictionaries"].toString().endsWith("transcoder_4x"));
    QVERIFY(j["neurons"].toInt() > 20);
    QVERIFY(j["edges"].toInt() > 20);
    for (const auto& n : j["top"].toArray()) QVERIFY(n.toObject()["name"].toString().contains("/F"));

    r = run_cli({"cluster", "--profiles", profiles, "--groups", "3"});
    QVERIFY2(r.code == 0, r.err.constData());
    j = r.json();
    QVERIFY(j["index"].toString().contains("transcoder_4x"));
    QCOMPARE(j["groups"].toArray().size(), 3);
    const QJsonObject first = j["groups"].toArray()[0].toObject();
    QVERIFY(first["neurons"].toArray()[0].toString().contains("/F"));
    QVERIFY2(first["label"].toString().contains("L"), qPrintable(first["label"].toString()));

    const CliResult plain = run_cli({"sweep", "--limit", "12", "--neurons", "L0/N0", "--multipliers", "1"});
    QVERIFY2(plain.code == 0, plain.err.constData());
    r = run_cli({"sweep", "--limit", "12", "--profiles", profiles, "--group", "1", "--groups", "3", "--multipliers",
                 "1,0"});
    QVERIFY2(r.code == 0, r.err.constData());
    j = r.json();
    QCOMPARE(j["basis"].toString(), QString("sae"));
    const double clean = plain.json()["classes"].toObject()["capital"].toArray()[0].toDouble();
    const QJsonArray capital = j["classes"].toObject()["capital"].toArray();
    QVERIFY(std::abs(capital[0].toDouble() - clean) < 1e-5);
    QVERIFY(std::abs(capital[1].toDouble() - clean) > 1e-3);  // the group ablated

    r = run_cli({"sweep", "--limit", "2", "--profiles", profiles, "--group", "1", "--groups", "3", "--basis", "mlp_act"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--basis mlp_act: " + profiles.toUtf8() + " was traced in the sae basis"), r.err.constData());
    r = run_cli({"trace-set", "--limit", "2", "--basis", "resid", "--out", profiles});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("trace-set: traces the mlp_act or sae basis, not resid"), r.err.constData());
  }

  void errors_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("sae alone") << QStringList{"attribute", "--text", kTexas, "--answer", " Austin", "--basis", "sae"}
                               << "basis 'sae' needs its dictionaries: sae:PATH (a dictionary folder or a folder of "
                                  "them) or sae:NAME (shipped beside the model)";
    QTest::newRow("empty") << QStringList{"attribute", "--text", kTexas, "--answer", " Austin", "--basis", "sae:"}
                           << "basis 'sae:': name the dictionaries (sae:PATH or sae:NAME)";
    QTest::newRow("missing") << QStringList{"attribute", "--text", kTexas, "--answer", " Austin", "--basis", "sae:nope"}
                             << "dictionaries 'nope': no such folder, and ";
    QTest::newRow("steer past the error node") << QStringList{"steer", "--text", kTexas, "--basis", "sae:sae_resid_4x", "--scale",
                                                      "0/1025=0"}
                                       << "intervention L0/F1025: index out of range for sae (0..1024)";
    QTest::newRow("exemplars of the error node")
        << QStringList{"neuron", "--basis", "sae:transcoder_4x", "--neuron", "3/1024"}
        << "--neuron 3/1024 is the error node of transcoder_4x: it stands for what the dictionary misses and has no "
           "exemplars";
  }
  void errors() {
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const CliResult r = run_cli(args);
    QCOMPARE(r.code, 2);
    QVERIFY(r.out.isEmpty());
    const QString err = QString::fromUtf8(r.err);
    QVERIFY2(err.contains(message) && err.count('\n') == 1, qPrintable(err));
  }
};

QTEST_GUILESS_MAIN(TestCliFeatures)
#include "test_cli_features.moc"
