// circuit-trace end to end: JSON on stdout for info/tokenize/logits/generate, help made from the command
// table, and one stderr line with exit code 2 for every kind of bad input.
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "ce/core/circuits/basis.h"
#include "ce/core/prompt_sets/hypothesis.h"
#include "ce/core/prompt_sets/set_trace.h"
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

QString capitals() { return QStringLiteral(CE_SOURCE_DIR "/resources/datasets/capitals.jsonl"); }

QStringList strings(const QJsonArray& a) {
  QStringList s;
  for (const auto& v : a) s << v.toString();
  return s;
}

// Probabilities of the next token after `text`, from `logits --all` (softmax in double), and its top-1 id.
std::vector<double> next_probabilities(const QString& text, int* top_id, QString* top_text) {
  const CliResult r = run_cli({"logits", "--text", text, "--top", "1", "--all"});
  if (r.code != 0) return {};
  const QJsonArray logits = r.json()["logits"].toArray();
  double max = -1e300, sum = 0;
  for (const auto& v : logits) max = std::max(max, v.toDouble());
  std::vector<double> p;
  for (const auto& v : logits) sum += p.emplace_back(std::exp(v.toDouble() - max));
  for (double& x : p) x /= sum;
  *top_id = r.json()["top"].toArray()[0].toObject()["id"].toInt();
  *top_text = r.json()["top"].toArray()[0].toObject()["text"].toString();
  return p;
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
                               "activations", "trace-set", "cluster", "hypothesis", "sweep"};
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
                              "--threads N"};
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

  // trace-set: the profiles file it writes loads, with the prompts asked for and the neurons it reports.
  void traceSetWritesProfiles() {
    const QString path = profiles();
    QVERIFY(!path.isEmpty());
    const QJsonObject j = trace_json_;
    QCOMPARE(j["prompts"].toInt(), 12);
    QCOMPARE(j["target"].toString(), QString("topk"));
    QCOMPARE(j["method"].toString(), QString("relp"));
    QCOMPARE(j["out"].toString(), path);
    const ce::core::SetTrace t = ce::core::load_set_trace(path.toStdString());
    QCOMPARE(t.prompts.size(), size_t{12});
    QCOMPARE(t.prompts[0].text.labels.at("city"), std::string("Birmingham"));
    QCOMPARE(j["neurons"].toInt(), static_cast<int>(t.neurons.size()));
    QCOMPARE(j["edges"].toInt(), static_cast<int>(t.edges.size()));
    QVERIFY(t.neurons.size() > 10);
    // The top list: the ten largest totals, named L/N, in descending order.
    std::vector<double> totals;
    for (const auto& n : t.neurons) totals.push_back(n.total);
    std::sort(totals.rbegin(), totals.rend());
    const QJsonArray top = j["top"].toArray();
    QCOMPARE(top.size(), 10);
    for (int i = 0; i < 10; ++i) {
      const QJsonObject n = top[i].toObject();
      const int k = t.neuron_of(n["layer"].toInt(), n["index"].toInt());
      QVERIFY(k >= 0);
      QCOMPARE(n["name"].toString(), QString("L%1/N%2").arg(n["layer"].toInt()).arg(n["index"].toInt()));
      QCOMPARE(n["total"].toDouble(), t.neurons[static_cast<size_t>(k)].total);
      QCOMPARE(n["total"].toDouble(), totals[static_cast<size_t>(i)]);
    }
  }

  // cluster: the groups partition the kept neurons, the same run gives the same groups, and a cut at the
  // largest cosine distance leaves one group.
  void clusterPartitionsKeptNeurons() {
    const ce::core::SetTrace t = ce::core::load_set_trace(profiles().toStdString());
    const CliResult r = run_cli({"cluster", "--profiles", profiles(), "--groups", "3"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonArray groups = r.json()["groups"].toArray();
    QCOMPARE(groups.size(), 3);
    std::set<std::string> seen;
    size_t members = 0;
    for (const auto& v : groups) {
      const QJsonObject g = v.toObject();
      QVERIFY(!g["label"].toString().isEmpty());
      const QStringList names = strings(g["neurons"].toArray());
      QCOMPARE(g["size"].toInt(), names.size());
      const int lo = g["layers"].toArray()[0].toInt(), hi = g["layers"].toArray()[1].toInt();
      for (const QString& name : names) {
        const ce::core::NodeRef n = ce::core::parse_node_name(name.toStdString());
        QVERIFY2(t.neuron_of(n.layer, n.index) >= 0, qPrintable(name));
        QVERIFY(n.layer >= lo && n.layer <= hi);
        seen.insert(name.toStdString());
      }
      members += static_cast<size_t>(names.size());
    }
    QCOMPARE(members, t.neurons.size());
    QCOMPARE(seen.size(), t.neurons.size());
    QCOMPARE(run_cli({"cluster", "--profiles", profiles(), "--groups", "3"}).json()["groups"], r.json()["groups"]);
    const CliResult one = run_cli({"cluster", "--profiles", profiles(), "--distance", "2"});
    QVERIFY2(one.code == 0, one.err.constData());
    QCOMPARE(one.json()["groups"].toArray().size(), 1);
    QCOMPARE(one.json()["groups"].toArray()[0].toObject()["size"].toInt(), static_cast<int>(t.neurons.size()));
  }

  // hypothesis: at threshold 0.5 every kept neuron is listed, with the AUC counted by hand from the profiles
  // file's activations (the maximum over positions; state = Alabama on 4 of the 12 prompts).
  void hypothesisAucs() {
    const ce::core::SetTrace t = ce::core::load_set_trace(profiles().toStdString());
    CliResult r = run_cli({"hypothesis", "--profiles", profiles(), "--column", "state", "--value", "Alabama",
                           "--threshold", "0.5"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json()["positives"].toInt(), 4);
    const QJsonArray listed = r.json()["neurons"].toArray();
    QCOMPARE(listed.size(), static_cast<int>(t.neurons.size()));
    for (const auto& v : listed) {
      const QJsonObject n = v.toObject();
      QVERIFY(n["auc"].toDouble() >= 0 && n["auc"].toDouble() <= 1);
      const auto& act = t.neurons[static_cast<size_t>(t.neuron_of(n["layer"].toInt(), n["index"].toInt()))].activation;
      double pairs = 0, right = 0;
      for (size_t i = 0; i < act.size(); ++i) {
        for (size_t k = 0; k < act.size(); ++k) {
          if (t.prompts[i].text.labels.at("state") != "Alabama" || t.prompts[k].text.labels.at("state") == "Alabama") continue;
          const float a = *std::max_element(act[i].begin(), act[i].end()), b = *std::max_element(act[k].begin(), act[k].end());
          pairs += 1;
          right += a > b ? 1 : a == b ? 0.5 : 0;
        }
      }
      QVERIFY2(std::abs(n["auc"].toDouble() - right / pairs) < 1e-9, qPrintable(n["name"].toString()));
    }
    r = run_cli({"hypothesis", "--profiles", profiles(), "--column", "state", "--value", "Alabama"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject j = r.json();
    QCOMPARE(j["neurons"].toArray().size(), j["high"].toInt() + j["low"].toInt());
    for (const auto& v : j["neurons"].toArray()) {
      const double auc = v.toObject()["auc"].toDouble();
      QVERIFY(auc >= 0.8 - 1e-9 || auc <= 0.2 + 1e-9);
    }
  }

  // sweep at multiplier 1 is the unsteered model: the probabilities of each prompt's capital and of any
  // capital equal those from `logits --all`.
  void sweepAtOneIsUnsteered() {
    QTemporaryDir dir;
    const QString data = dir.path() + "/two.jsonl", csv = dir.path() + "/sweep.csv";
    const QString dallas = "Fact: the capital of the state containing Dallas is";
    const QString fresno = "Fact: the capital of the state containing Fresno is";
    QFile f(data);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(("{\"prompt\": \"" + dallas + "\", \"answer\": \" Austin\", \"capital\": \"Austin\"}\n" +
             "{\"prompt\": \"" + fresno + "\", \"answer\": \" Sacramento\", \"capital\": \"Sacramento\"}\n")
                .toUtf8());
    f.close();
    int austin = -1, sacramento = -1;
    QString top_d, top_f;
    const std::vector<double> pd = next_probabilities(dallas, &austin, &top_d);
    const std::vector<double> pf = next_probabilities(fresno, &sacramento, &top_f);
    QCOMPARE(top_d, QString(" Austin"));
    QCOMPARE(top_f, QString(" Sacramento"));
    const CliResult r = run_cli({"sweep", "--data", data, "--neurons", "2/636,0/617", "--multipliers", "0,1",
                                 "--classes", "capital", "--csv", csv});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject j = r.json();
    QCOMPARE(j["prompts"].toInt(), 2);
    QCOMPARE(strings(j["class_names"].toArray()), (QStringList{"capital", "any capital"}));
    const QJsonObject p = j["classes"].toObject();
    const double own = (pd[size_t(austin)] + pf[size_t(sacramento)]) / 2;
    const double any = (pd[size_t(austin)] + pd[size_t(sacramento)] + pf[size_t(austin)] + pf[size_t(sacramento)]) / 2;
    QVERIFY2(std::abs(p["capital"].toArray()[1].toDouble() - own) < 1e-5, qPrintable(QString::number(own)));
    QVERIFY2(std::abs(p["any capital"].toArray()[1].toDouble() - any) < 1e-5, qPrintable(QString::number(any)));
    QCOMPARE(j["top1"].toObject()["capital"].toArray()[1].toDouble(), 1.0);
    QFile c(csv);
    QVERIFY(c.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = c.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines[0].startsWith("multiplier,"));
  }

  // --complement ablates the profiles' kept neurons outside the group: all but the group's one kept neuron.
  void sweepComplement() {
    const ce::core::SetTrace t = ce::core::load_set_trace(profiles().toStdString());
    const QString top = trace_json_["top"].toArray()[0].toObject()["name"].toString();
    const QStringList common{"sweep", "--data", capitals(), "--limit", "4", "--neurons", top, "--multipliers", "1", "--classes", "capital"};
    const CliResult plain = run_cli(common);
    const CliResult comp = run_cli(common + QStringList{"--complement", "--profiles", profiles()});
    QVERIFY2(plain.code == 0, plain.err.constData());
    QVERIFY2(comp.code == 0, comp.err.constData());
    QCOMPARE(plain.json()["ablated"].toInt(), 0);
    QCOMPARE(comp.json()["ablated"].toInt(), static_cast<int>(t.neurons.size()) - 1);
    const double p0 = plain.json()["classes"].toObject()["capital"].toArray()[0].toDouble();
    const double p1 = comp.json()["classes"].toObject()["capital"].toArray()[0].toDouble();
    QVERIFY2(std::abs(p0 - p1) > 1e-3, qPrintable(QString("%1 vs %2").arg(p0).arg(p1)));
  }

  // steer-pairs --profiles: each prompt's group is its state's high-AUC neurons from the trace-set file.
  void steerPairsWithValueGroups() {
    QTemporaryDir dir;
    const QString pairs = dir.path() + "/pairs.jsonl";
    QFile f(pairs);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"clean_prefix": "Fact: the capital of the state containing Sitka is", "patch_prefix": "Fact: the capital of the state containing Tempe is", "clean_answer": " Juneau", "patch_answer": " Phoenix"})"
            "\n");
    f.close();
    const CliResult r = run_cli({"steer-pairs", "--data", pairs, "--profiles", profiles(), "--auc", "0.9"});
    QVERIFY2(r.code == 0, r.err.constData());
    const ce::core::SetTrace t = ce::core::load_set_trace(profiles().toStdString());
    const QJsonObject e = r.json()["examples"].toArray()[0].toObject();
    QCOMPARE(e["suppressed"].toInt(), static_cast<int>(ce::core::value_neurons(t, "state", "Alaska", 0.9).size()));
    QCOMPARE(e["boosted"].toInt(), static_cast<int>(ce::core::value_neurons(t, "state", "Arizona", 0.9).size()));
    QCOMPARE(r.json()["groups"].toString(), QString("hypothesis state auc >= 0.9"));
    const CliResult bad = run_cli({"steer-pairs", "--limit", "1", "--profiles", profiles()});
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains("a prompt of the pairs is not among the traced prompts"), bad.err.constData());
  }

  void traceSetEmptyFile() {
    QTemporaryDir dir;
    QFile f(dir.path() + "/empty.jsonl");
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("\n\n");
    f.close();
    const CliResult r = run_cli({"trace-set", "--data", f.fileName(), "--out", dir.path() + "/p.json"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(f.fileName().toUtf8() + ": the prompt set has no prompts"), r.err.constData());
    QVERIFY(!QFile::exists(dir.path() + "/p.json"));
  }

  // Ctrl-C during trace-set: "cancelled", exit code 2, and no half-written profiles file.
  void traceSetCancelled() {
    QTemporaryDir dir;
    QProcess p;
    p.start(QStringLiteral(CE_BIN_DIR "/circuit-trace"), {"trace-set", "--progress", "--out", dir.path() + "/p.json"});
    p.setReadChannel(QProcess::StandardError);
    QVERIFY(p.waitForReadyRead(60000));  // the first progress line: the trace has begun
    ::kill(static_cast<pid_t>(p.processId()), SIGINT);
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains("circuit-trace: error: cancelled"));
    QVERIFY(!QFile::exists(dir.path() + "/p.json"));
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
    QTest::newRow("bad scale") << QStringList{"steer", "--text", "a", "--scale", "2/x=1"} << "bad intervention '2/x=1'";
    QTest::newRow("scale out of range") << QStringList{"steer", "--text", "a", "--scale", "2/99999=1"}
                                        << "index out of range for mlp_act (0..767)";
    QTest::newRow("bad rules") << QStringList{"attribute", "--text", "a", "--answer", " is", "--rules", "half,x"}
                               << "unknown RelP rule 'x'";
    QTest::newRow("chat with a data file")
        << QStringList{"attribute", "--data", CE_SOURCE_DIR "/resources/datasets/sva/simple_train.json", "--chat"}
        << "--chat applies to --text only";
    QTest::newRow("bad dtype") << QStringList{"info", "--dtype", "f8"} << "--dtype must be f32 or bf16";
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
 private:
  // One trace-set run of the first 12 capitals prompts, shared by the prompt-set tests (made by the first).
  QString profiles() {
    if (trace_path_.isEmpty()) {
      const QString path = trace_dir_.path() + "/profiles.json";
      const CliResult r = run_cli({"trace-set", "--data", capitals(), "--limit", "12", "--out", path});
      if (r.code != 0) qWarning("trace-set failed: %s", r.err.constData());
      if (r.code != 0) return {};
      trace_json_ = r.json();
      trace_path_ = path;
    }
    return trace_path_;
  }
  QTemporaryDir trace_dir_;
  QString trace_path_;
  QJsonObject trace_json_;
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
