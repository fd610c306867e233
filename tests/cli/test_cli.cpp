// circuit-trace end to end: JSON on stdout for info/tokenize/logits/generate, help made from the command
// table, and one stderr line with exit code 2 for every kind of bad input.
#include <QtTest/QtTest>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <set>

#include "ce/core/circuits/basis.h"
#include "ce/core/graphs/attribution_graph.h"
#include "ce/core/graphs/cantor.h"
#include "test_support.h"

using ce::test::CliResult;
using ce::test::run_cli;

namespace {

QString shared(const QString& rel) { return QStringLiteral(CE_SHARED_DATA_DIR "/") + rel; }
QString stories() { return shared("stories260K/hf"); }
bool has_stories() { return QFile::exists(stories() + "/config.json"); }

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
    const CliResult r = run_cli({"info", "--model", stories()});
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
    QCOMPARE(j["device"].toString(), QString("cpu"));
    QCOMPARE(j["bf16_matmul"].toString(), QString("widen"));
    QCOMPARE(j["bf16_matmul_reason"].toString(), QString("f32 weights"));
    // bf16 weights with a forced path say so; auto reports the probe's timings behind its choice.
    const QJsonObject forced = run_cli({"info", "--model", stories(), "--dtype", "bf16", "--bf16-matmul", "native"}).json();
    QCOMPARE(forced["dtype"].toString(), QString("bf16"));
    QCOMPARE(forced["bf16_matmul"].toString(), QString("native"));
    QCOMPARE(forced["bf16_matmul_reason"].toString(), QString("forced"));
    const QJsonObject chosen = run_cli({"info", "--model", stories(), "--dtype", "bf16"}).json();
    QVERIFY2(chosen["bf16_matmul_reason"].toString().contains(
                 QRegularExpression("^native [0-9.]+ ms, widen [0-9.]+ ms for \\[32 x 1024\\]")),
             qPrintable(chosen["bf16_matmul_reason"].toString()));
    QVERIFY(chosen["bf16_matmul"].toString() == "native" || chosen["bf16_matmul"].toString() == "widen");
  }

  void tokenize() {
    if (!has_stories()) QSKIP("../shared/data/stories260K is absent");
    const QJsonObject ref = reference_sequence("once_upon_a_time");
    CliResult r = run_cli({"tokenize", "--model", stories(), "--text", ref["text"].toString()});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.json()["ids"].toArray(), ref["input_ids"].toArray());
    QCOMPARE(r.json()["pieces"].toArray().size(), ref["input_ids"].toArray().size());
    r = run_cli({"tokenize", "--tokenizer", stories() + "/tokenizer.model", "--text", ref["text"].toString(), "--no-bos"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.json()["ids"].toArray().size(), ref["input_ids"].toArray().size() - 1);
    QCOMPARE(r.json()["ids"].toArray()[0], ref["input_ids"].toArray()[1]);
  }

  void logitsTopMatchesReference() {
    if (!has_stories()) QSKIP("../shared/data/stories260K is absent");
    const QJsonObject ref = reference_sequence("lily_and_tom");
    const CliResult r = run_cli({"logits", "--model", stories(), "--text", ref["text"].toString(), "--top", "5", "--all"});
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
    const CliResult r2 = run_cli({"logits", "--model", stories(), "--ids", ids.join(","), "--top", "1"});
    QCOMPARE(r2.json()["top"].toArray()[0].toObject()["id"].toInt(), expect[0].toObject()["id"].toInt());
  }

  void generateMatchesReference() {
    if (!has_stories()) QSKIP("../shared/data/stories260K is absent");
    const QJsonObject ref = reference_sequence("dog_happy");
    const CliResult r = run_cli({"generate", "--model", stories(), "--text", ref["text"].toString(), "--max-new-tokens", "20"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.json()["ids"].toArray(), ref["greedy_continuation_ids"].toArray());
    QCOMPARE(r.json()["text"].toString(), ref["greedy_continuation_text"].toString());
  }

  // The embedded demo model is the default of every --model option and knows the Texas two-hop fact.
  void demoModelIsDefault() {
    const CliResult r = run_cli({"logits", "--text", "Fact: the capital of the state containing Dallas is", "--top", "1"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.json()["top"].toArray()[0].toObject()["piece"].toString(), QString("▁Austin"));
    QCOMPARE(r.json()["top"].toArray()[0].toObject()["text"].toString(), QString(" Austin"));
    const CliResult info = run_cli({"info"});
    QCOMPARE(info.code, 0);
    QVERIFY(info.json()["layers"].toInt() >= 4);
  }

  // A quick accuracy check of the shipped weights on a subset of every evaluation set.
  void demoModelAccuracySubset() {
    QStringList args{"eval-demo", "--max", "40"};
    if (QFile::exists(shared("sva/simple_test.json"))) args << "--sva" << shared("sva");
    const CliResult r = run_cli(args);
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

  // attribute: the documented fields, nodes sorted by |effect|, pos counted with BOS.
  void attributeJson() {
    const CliResult r = run_cli({"attribute", "--text", "Fact: the capital of the state containing Dallas is", "--answer",
                          " Austin", "--contrast", " Sacramento", "--patch-text",
                          "Fact: the capital of the state containing Fresno is", "--method", "relp", "--top", "20"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject j = r.json();
    QCOMPARE(j["method"].toString(), QString("relp"));
    QCOMPARE(j["basis"].toString(), QString("mlp_act"));
    QCOMPARE(j["metric"].toString(), QString("diff"));
    QCOMPARE(j["examples"].toInt(), 1);
    QVERIFY(j["m"].toDouble() > 5);  // " Austin" far above " Sacramento"
    const QJsonArray nodes = j["nodes"].toArray();
    QCOMPARE(nodes.size(), 20);
    double prev = 1e30;
    for (const auto& v : nodes) {
      const QJsonObject n = v.toObject();
      QVERIFY(n.contains("layer") && n.contains("pos") && n.contains("index") && n.contains("activation"));
      QVERIFY(std::abs(n["effect"].toDouble()) <= prev);
      prev = std::abs(n["effect"].toDouble());
      QVERIFY(n["pos"].toInt() >= 0 && n["pos"].toInt() <= 10);  // 11 tokens with BOS
      QVERIFY(n["index"].toInt() < 768);
    }
  }

  void evaluateWritesCurveAndCsv() {
    QTemporaryDir dir;
    const QString csv = dir.path() + "/curve.csv";
    const QString sva = QStringLiteral(CE_SOURCE_DIR "/resources/datasets/sva/");
    const CliResult r = run_cli({"evaluate", "--data", sva + "simple_train.json", "--test", sva + "simple_test.json", "--limit",
                          "20", "--test-limit", "20", "--method", "atp", "--basis", "mlp_out", "--csv", csv});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject j = r.json();
    QVERIFY(j["m_full"].toDouble() > j["m_empty"].toDouble());
    const QJsonArray pts = j["points"].toArray();
    QCOMPARE(pts.size(), 31);
    QCOMPARE(pts[0].toObject()["threshold"].toDouble(), 0.0);
    QVERIFY(pts[30].toObject()["nodes"].toInt() <= pts[0].toObject()["nodes"].toInt());
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 32);
    QCOMPARE(lines[0], QByteArray("method,basis,ablation,threshold,nodes,faithfulness,completeness,m_circuit,m_complement"));
    QVERIFY(lines[1].startsWith("atp,mlp_out,mean,0,"));
  }

  void edgesAndSteer() {
    const QString texas = "Fact: the capital of the state containing Dallas is";
    CliResult r = run_cli({"edges", "--text", texas, "--answer", " Austin", "--top-nodes", "5"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json()["nodes"].toArray().size(), 5);
    const QJsonArray edges = r.json()["edges"].toArray();
    QVERIFY(!edges.isEmpty());
    QVERIFY(edges[0].toObject().contains("src") && edges[0].toObject().contains("weight") &&
            edges[0].toObject().contains("score"));
    r = run_cli({"steer", "--text", texas, "--scale", "2/636=-8", "--scale", "0/617@9=0", "--max-new-tokens", "2"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject j = r.json();
    QCOMPARE(j["before"].toObject()["top"].toArray()[0].toObject()["text"].toString(), QString(" Austin"));
    QVERIFY(j["after"].toObject()["top"].toArray()[0].toObject()["logit"].toDouble() !=
            j["before"].toObject()["top"].toArray()[0].toObject()["logit"].toDouble());
    // The continuation reads as text after the prompt: its leading space kept, no "</s>" rendered.
    r = run_cli({"steer", "--text", texas, "--scale", "0/1=1"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json()["before"].toObject()["generated"].toString(), QString(" Austin."));
    QCOMPARE(r.json()["generated"].toString(), QString(" Austin."));
  }

  // --graph-json writes circuit-tracer's graph file (read back by core), --feature-dir one feature file per neuron.
  void edgesGraphJson() {
    QTemporaryDir dir;
    const QString graph = dir.path() + "/graph.json", features = dir.path() + "/features";
    const CliResult r = run_cli({"edges", "--text", "Fact: the capital of the state containing Dallas is", "--answer",
                                 " Austin", "--top-nodes", "6", "--graph-json", graph, "--feature-dir", features});
    QVERIFY2(r.code == 0, r.err.constData());
    const ce::core::AttributionGraph g = ce::core::read_graph_json(graph.toStdString());
    // 6 neurons, 11 embeddings (BOS included), the target logit " Austin" at the last position.
    QCOMPARE(g.nodes.size(), size_t{6 + 11 + 1});
    QCOMPARE(g.links.size(), static_cast<size_t>(r.json()["edges"].toArray().size()));
    QCOMPARE(g.metadata.prompt_tokens.back(), std::string(" is"));
    const ce::core::GraphNode& logit = g.nodes.back();
    QVERIFY(logit.is_target_logit);
    QVERIFY2(QString::fromStdString(logit.clerp).startsWith("Output \" Austin\" (p=0.99"), logit.clerp.c_str());
    std::set<QString> expected;
    for (const auto& n : r.json()["nodes"].toArray()) {
      const QJsonObject o = n.toObject();
      expected.insert(QString::number(ce::core::cantor_pair(o["layer"].toInt(), o["index"].toInt())) + ".json");
    }
    const QStringList written = QDir(features).entryList(QDir::Files);
    QCOMPARE(std::set<QString>(written.begin(), written.end()), expected);
    const CliResult lone = run_cli({"edges", "--text", "x", "--metric", "topk", "--top-nodes", "2", "--feature-dir", features});
    QCOMPARE(lone.code, 2);
    QVERIFY2(lone.err.contains("--feature-dir goes with --graph-json"), lone.err.constData());
  }

  // --chat: the typed prompt as one user turn of the chat format, the ids `tokenize --chat` gives.
  void attributeChat() {
    const QString texas = "Fact: the capital of the state containing Dallas is";
    const CliResult tok = run_cli({"tokenize", "--text", texas, "--chat"});
    QVERIFY2(tok.code == 0, tok.err.constData());
    const CliResult r = run_cli({"attribute", "--text", texas, "--answer", " Austin", "--contrast", " Sacramento", "--chat",
                          "--top", "3"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json()["data"].toObject()["ids"].toArray(), tok.json()["ids"].toArray());
    QVERIFY(tok.json()["ids"].toArray().size() > 20);  // [INST] ... [/INST] in byte pieces around 10 tokens
    QCOMPARE(r.json()["nodes"].toArray().size(), 3);
  }

  // The usage text comes from the command table: every command is listed, with its summary.
  void usageListsEveryCommand() {
    const QStringList commands{"info",        "tokenize",  "logits",          "generate",
                               "train-demo",  "eval-demo", "write-datasets",  "attribute",
                               "evaluate",    "edges",     "steer",           "steer-pairs",
                               "exemplars",   "exemplars-merge", "write-exemplar-corpus", "neuron",
                               "activations", "trace-set", "cluster", "hypothesis", "sweep", "train-sae"};
    for (const QStringList& args : {QStringList{"help"}, QStringList{"--help"}}) {
      const CliResult r = run_cli(args);
      QCOMPARE(r.code, 0);
      QVERIFY(r.err.isEmpty());
      const QString out = QString::fromUtf8(r.out);
      QVERIFY2(out.startsWith("usage: circuit-trace COMMAND"), qPrintable(out));
      for (const QString& c : commands) {
        const QRegularExpression listed("\n  " + QRegularExpression::escape(c) + " +\\S");
        QVERIFY2(out.contains(listed), qPrintable(c));
      }
      QVERIFY(out.contains("  evaluate               faithfulness and completeness"));
    }
    // Without a command it is a usage error: the same text on stderr, exit code 2.
    const CliResult bare = run_cli({});
    QCOMPARE(bare.code, 2);
    QVERIFY(bare.out.isEmpty());
    QVERIFY(bare.err.contains("\n  activations "));
  }

  // `help COMMAND` and `COMMAND --help` print the same text on stdout: the usage line, then each option
  // with its value, help, and default or "(required)".
  void commandHelp() {
    const CliResult help = run_cli({"help", "evaluate"});
    QCOMPARE(help.code, 0);
    QVERIFY(help.err.isEmpty());
    const QString out = QString::fromUtf8(help.out);
    QVERIFY2(out.startsWith("usage: circuit-trace evaluate --test TEST [options]\n"), qPrintable(out));
    const QStringList options{"--data TRAIN", "--test-limit N", "--ablation mean|zero", "--counts 1,10,100",
                              "--csv FILE",   "--progress",     "--model DIR",         "--dtype f32|bf16",
                              "--threads N",  "--device cpu|cuda[:N]", "--bf16-matmul auto|native|widen"};
    for (const QString& option : options) {
      QVERIFY2(out.contains("\n  " + option + " "), qPrintable(option));
    }
    QVERIFY(out.contains(QRegularExpression("\n  --test TEST +paired JSON Lines[^\n]*\\(required\\)\n")));
    QVERIFY(out.contains(
        QRegularExpression("\n  --method atp\\|ig\\|relp\\|exact +[^\n]*\\(default: relp\\)\n")));
    QVERIFY(out.contains(QRegularExpression("\n  --ablation mean\\|zero +[^\n]*\\(default: mean\\)\n")));
    QVERIFY(!out.contains("--neuron"));  // another command's option
    const CliResult flag = run_cli({"evaluate", "--help"});
    QCOMPARE(flag.code, 0);
    QCOMPARE(flag.out, help.out);

    // --help wins over a missing required option.
    const CliResult neuron = run_cli({"neuron", "--help"});
    QCOMPARE(neuron.code, 0);
    const QString n = QString::fromUtf8(neuron.out);
    QVERIFY2(n.startsWith("usage: circuit-trace neuron --neuron L/N [options]\n"), qPrintable(n));
    QVERIFY(n.contains(QRegularExpression("\n  --neuron L/N +[^\n]*\\(required\\)\n")));
    QVERIFY(n.contains(QRegularExpression("\n  --polarity \\+\\|- +[^\n]*\\(default: \\+\\)\n")));
    QVERIFY(n.contains(QRegularExpression("\n  --top K +[^\n]*\\(default: 0\\)\n")));
    QVERIFY(n.contains("\n  --index INDEX "));
    QVERIFY(!n.contains("--test"));
    QCOMPARE(run_cli({"help", "neuron"}).out, neuron.out);

    // A command with operands shows them; a repeatable option says so (its help wraps past 110 columns).
    QVERIFY(run_cli({"help", "exemplars-merge"})
                .out.startsWith("usage: circuit-trace exemplars-merge --out INDEX SHARD..."));
    QVERIFY(QString::fromUtf8(run_cli({"steer", "--help"}).out)
                .contains(QRegularExpression("(?s)\n  --scale L/N=F .*?\\(repeatable\\)\n  --basis ")));
  }

  // The defaults a command's help shows are the ones it runs with.
  void helpDefaultsAreUsed() {
    const CliResult help = run_cli({"help", "logits"});
    QVERIFY(QString::fromUtf8(help.out).contains(QRegularExpression("\n  --top K +[^\n]*\\(default: 10\\)\n")));
    const CliResult r = run_cli({"logits", "--text", "The capital of Texas is"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json()["top"].toArray().size(), 10);
  }

  // train-sae on a slice of the shipped corpus: the JSON result, the folder, progress on stderr.
  void trainSae() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString out = tmp.path() + "/sae";
    const CliResult r = run_cli({"train-sae", "--out", out, "--layer", "2", "--site", "resid", "--expansion", "2",
                                 "--k", "8", "--steps", "40", "--batch", "256", "--train-tokens", "2048",
                                 "--heldout-tokens", "512"});
    QCOMPARE(r.code, 0);
    const QJsonObject j = r.json();
    QCOMPARE(j.value("hook_name").toString(), QString("blocks.2.hook_resid_post"));
    QCOMPARE(j.value("d_sae").toInt(), 512);
    QCOMPARE(j.value("train_tokens").toInt(), 2048);
    QVERIFY(j.value("fvu").toDouble() > 0 && j.value("fvu").toDouble() < j.value("fvu_init").toDouble());
    QVERIFY(j.value("mean_l0").toDouble() > 0 && j.value("mean_l0").toDouble() <= 8);
    QVERIFY(QFile::exists(out + "/sae_weights.safetensors") && QFile::exists(out + "/metrics.json"));
    // Progress is printed at most twice a second, but its first line and the last (100%) always.
    QVERIFY2(r.err.contains("tokens of activations") && r.err.endsWith("[100%] done\n"), r.err.constData());
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
    QTest::newRow("bad method") << QStringList{"attribute", "--text", "a", "--answer", " is", "--method", "shap"}
                                << "unknown method 'shap' (expected atp, ig, relp or exact)";
    QTest::newRow("multi-token answer") << QStringList{"attribute", "--text", "The capital of Texas is", "--answer", " Austin Texas"}
                                        << "the answer ' Austin Texas' is 2 tokens";
    QTest::newRow("evaluate without test") << QStringList{"evaluate", "--data", CE_SOURCE_DIR "/resources/datasets/sva/simple_train.json"}
                                           << "missing required option --test";
    // 6 + 50 * 3 tokens (BOS included) against the demo model's 128 positions: the core's one context check.
    QTest::newRow("prompt past the context")
        << QStringList{"attribute", "--text", "The capital of Texas is" + QString(" and so on").repeated(50), "--answer", " Austin"}
        << "the prompt is 156 tokens; this model's context is 128 (max_position_embeddings)";
    QTest::newRow("bad scale") << QStringList{"steer", "--text", "a", "--scale", "2/x=1"} << "bad intervention '2/x=1'";
    QTest::newRow("scale out of range") << QStringList{"steer", "--text", "a", "--scale", "2/99999=1"}
                                        << "index out of range for mlp_act (0..767)";
    QTest::newRow("bad rules") << QStringList{"attribute", "--text", "a", "--answer", " is", "--rules", "half,x"}
                               << "unknown RelP rule 'x'";
    QTest::newRow("chat with a data file")
        << QStringList{"attribute", "--data", CE_SOURCE_DIR "/resources/datasets/sva/simple_train.json", "--chat"}
        << "--chat applies to --text only";
    QTest::newRow("bad dtype") << QStringList{"info", "--dtype", "f8"} << "--dtype must be f32 or bf16";
    QTest::newRow("bad device") << QStringList{"info", "--device", "gpu"}
                                << "--device must be cpu, cuda or cuda:N, not 'gpu'";
    QTest::newRow("bad device index") << QStringList{"logits", "--device", "cuda:x", "--text", "a"}
                                      << "--device must be cpu, cuda or cuda:N, not 'cuda:x'";
    // No machine has 100 GPUs: the message says what this one has (none on a CPU-only LibTorch), before
    // the model folder is read.
    QTest::newRow("missing GPU") << QStringList{"info", "--device", "cuda:99", "--model", "/no/such/model"}
                                 << "device cuda:99: ";
    QTest::newRow("missing GPU, eval-demo") << QStringList{"eval-demo", "--device", "cuda:99"} << "device cuda:99: ";
    QTest::newRow("bad bf16 matmul") << QStringList{"info", "--bf16-matmul", "fast"}
                                     << "--bf16-matmul must be auto, native or widen, not 'fast'";
    // Each command accepts only the options of its table entry.
    QTest::newRow("option of another command")
        << QStringList{"neuron", "--neuron", "1/42", "--test", "x.json"} << "unknown option --test";
    QTest::newRow("evaluate option on attribute")
        << QStringList{"attribute", "--text", "a", "--ablation", "zero"} << "unknown option --ablation";
    QTest::newRow("operand") << QStringList{"info", "extra"} << "unexpected argument 'extra'";
    QTest::newRow("missing required before load") << QStringList{"neuron", "--model", "/no/such/model"}
                                                  << "missing required option --neuron";
    QTest::newRow("neuron name") << QStringList{"neuron", "--neuron", "L1"} << "bad node 'L1'";
    QTest::newRow("neuron with a position") << QStringList{"neuron", "--neuron", "1/42@3"}
                                            << "--neuron: give L/N without a position, not '1/42@3'";
    QTest::newRow("cluster by both") << QStringList{"cluster", "--profiles", "p.json", "--groups", "3", "--distance", "0.5"}
                                     << "give exactly one of --groups K or --distance D";
    QTest::newRow("cluster by neither") << QStringList{"cluster", "--profiles", "p.json"}
                                        << "give exactly one of --groups K or --distance D";
    QTest::newRow("complement without profiles") << QStringList{"sweep", "--neurons", "1/2", "--complement"}
                                                 << "--complement needs --profiles PROFILES.json";
    QTest::newRow("sweep neuron with a position") << QStringList{"sweep", "--neurons", "1/2,1/3@4"}
                                                  << "--neurons: give L/N without a position, not '1/3@4'";
    QTest::newRow("sweep multiplier") << QStringList{"sweep", "--neurons", "1/2", "--multipliers", "1,x"}
                                      << "--multipliers: 'x' is not a number";
    QTest::newRow("sweep missing label column")
        << QStringList{"sweep", "--neurons", "1/2", "--limit", "2", "--classes", "capital,county"}
        << "capitals.jsonl: no label column 'county' (columns: ";
    QTest::newRow("hypothesis threshold") << QStringList{"hypothesis", "--profiles", "p.json", "--column", "state",
                                                         "--value", "Texas", "--threshold", "0.3"}
                                          << "--threshold must be in [0.5, 1]";
    QTest::newRow("train-sae site") << QStringList{"train-sae", "--out", "x", "--layer", "1", "--site", "attn"}
                                    << "unknown site \"attn\" (mlp_out, resid, transcoder)";
    QTest::newRow("train-sae layer") << QStringList{"train-sae", "--out", "x", "--layer", "4"}
                                     << "layer 4 is out of range (the model has 4 layers)";
    QTest::newRow("train-sae k") << QStringList{"train-sae", "--out", "x", "--layer", "0", "--k", "2049"}
                                 << "k = 2049 must be between 1 and d_sae = 2048";
    QTest::newRow("help of an unknown command")
        << QStringList{"help", "nosuch"} << "unknown command 'nosuch'";
  }

  void errors() {
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const CliResult r = run_cli(args);
    QCOMPARE(r.code, 2);
    QVERIFY(r.out.isEmpty());
    const QString err = QString::fromUtf8(r.err);
    QVERIFY2(err.contains(message), qPrintable(err));
    // One line; an unknown command adds the usage.
    if (!message.startsWith("unknown command")) QCOMPARE(err.count('\n'), 1);
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
