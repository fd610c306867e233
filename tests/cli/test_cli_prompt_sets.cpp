// circuit-trace's prompt-set commands end to end (trace-set, cluster, hypothesis, sweep, steer-pairs --profiles):
// their JSON checked against the profiles file read back through core, a hand-counted AUC and logits --all.
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
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

class TestCliPromptSets : public QObject {
  Q_OBJECT

 private Q_SLOTS:
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

  // The logit target needs one-token answers: " Little Rock" fails, its answer_first_word column traces.
  void traceSetAnswerColumn() {
    QTemporaryDir dir;
    const QString out = dir.path() + "/p.json";
    const QStringList common{"trace-set", "--limit", "14", "--target", "logit", "--edge-targets", "0", "--out", out};
    const CliResult multi = run_cli(common);
    QCOMPARE(multi.code, 2);
    QVERIFY2(multi.err.contains("prompt 13: the answer ' Little Rock' is 2 tokens"), multi.err.constData());
    const CliResult first = run_cli(common + QStringList{"--answer-column", "answer_first_word"});
    QVERIFY2(first.code == 0, first.err.constData());
    const ce::core::SetTrace t = ce::core::load_set_trace(out.toStdString());
    QCOMPARE(t.prompts[12].text.answer, std::string(" Little"));
    QCOMPARE(t.prompts[12].text.labels.at("capital"), std::string("Little Rock"));
  }

  // --group N sweeps the Nth group of cluster's listing for the same cut.
  void sweepClusterGroup() {
    const CliResult c = run_cli({"cluster", "--profiles", profiles(), "--groups", "3"});
    QVERIFY2(c.code == 0, c.err.constData());
    const QJsonArray second = c.json()["groups"].toArray()[1].toObject()["neurons"].toArray();
    const QStringList common{"sweep", "--data", capitals(), "--limit", "4", "--multipliers", "0", "--classes", "capital"};
    const CliResult by_group = run_cli(common + QStringList{"--group", "2", "--profiles", profiles(), "--groups", "3"});
    QVERIFY2(by_group.code == 0, by_group.err.constData());
    QCOMPARE(by_group.json()["neurons"].toArray(), second);
    const CliResult bad = run_cli(common + QStringList{"--group", "4", "--profiles", profiles(), "--groups", "3"});
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains("--group 4: the cut has groups 1..3"), bad.err.constData());
    const CliResult both = run_cli(common + QStringList{"--group", "1", "--neurons", "L0/N1"});
    QVERIFY2(both.err.contains("give the group as --neurons L/N,... or as --group N"), both.err.constData());
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

QTEST_GUILESS_MAIN(TestCliPromptSets)
#include "test_cli_prompt_sets.moc"
