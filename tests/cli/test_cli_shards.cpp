// `exemplars --shard auto`: the shard taken from a Slurm array job or a Kubernetes Indexed Job. The parsing
// checked on a fake environment (every rule and error text), then the shards run as separate processes with
// the scheduler's variables set and merged, byte for byte the index of one unsharded run.
#include <QFile>
#include <QMap>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QtTest/QtTest>
#include <map>
#include <string>

#include "shard_spec.h"
#include "test_support.h"

using ce::test::CliResult;
using ce::test::error_of;
using ce::test::run_cli;
using ce::trace::parse_shard;
using ce::trace::ShardSpec;

namespace {

using Env = QMap<QString, QString>;

ShardSpec shard_of(const std::string& spec, const Env& env) {
  // Keeps each value alive for the lookup's caller, as getenv's storage would be.
  std::map<std::string, std::string> vars;
  for (auto it = env.begin(); it != env.end(); ++it) vars[it.key().toStdString()] = it.value().toStdString();
  return parse_shard(spec, [&](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

// The scheduler variables a test run might itself inherit (a CI job inside Slurm), removed before `env`.
CliResult run_cli_with(const QStringList& args, const Env& env) {
  QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
  for (const char* v :
       {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "JOB_COMPLETION_INDEX"}) {
    e.remove(v);
  }
  e.insert("OMP_WAIT_POLICY", "PASSIVE");
  for (auto it = env.begin(); it != env.end(); ++it) e.insert(it.key(), it.value());
  QProcess p;
  p.setProcessEnvironment(e);
  p.start(QStringLiteral(CE_BIN_DIR "/circuit-trace"), args);
  if (!p.waitForFinished(600000)) {
    p.kill();
    p.waitForFinished();
    return {-1, p.readAllStandardOutput(), "circuit-trace did not finish: " + args.join(' ').toUtf8()};
  }
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
          p.readAllStandardError()};
}

QByteArray read_bytes(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

}  // namespace

class TestCliShards : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  QString corpus_;
  QByteArray single_;
  int single_windows_ = 0;

  QString path(const QString& name) const { return dir_.filePath(name); }

  // Small windows and batches so that even a tiny corpus gives every shard several batches.
  QStringList build_args(const QString& out) const {
    return {"exemplars", "--corpus", corpus_, "--out", out,         "--context", "8",
            "--batch",   "2",        "--top", "3",     "--threads", "1"};
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    corpus_ = path("corpus.txt");
    QFile f(corpus_);
    QVERIFY(f.open(QIODevice::WriteOnly));
    const char* states[] = {"Texas", "Ohio", "Maine", "Utah", "Iowa", "Idaho", "Nevada", "Oregon"};
    for (const char* s : states) {
      f.write(QByteArray("The capital of the state containing the city is in ") + s +
              ". The keys to the cabinet are on the table.\n");
    }
    f.close();
    const CliResult r = run_cli_with(build_args(path("single.cexi")), {});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json()["shard"].toString(), QString("0/1"));
    QCOMPARE(r.json()["shard_source"].toString(), QString("option"));
    single_windows_ = r.json()["windows"].toInt();
    single_ = read_bytes(path("single.cexi"));
    QVERIFY(!single_.isEmpty());
  }

  void parse_data() {
    QTest::addColumn<QString>("spec");
    QTest::addColumn<Env>("env");
    QTest::addColumn<int>("index");
    QTest::addColumn<int>("count");
    QTest::addColumn<QString>("source");
    QTest::newRow("given") << "2/5" << Env{{"SLURM_ARRAY_TASK_ID", "1"}} << 2 << 5 << "option";
    QTest::newRow("slurm from 0") << "auto"
                                  << Env{{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_COUNT", "4"}} << 3
                                  << 4 << "slurm";
    QTest::newRow("slurm from 1") << "auto"
                                  << Env{{"SLURM_ARRAY_TASK_ID", "4"},
                                         {"SLURM_ARRAY_TASK_COUNT", "4"},
                                         {"SLURM_ARRAY_TASK_MIN", "1"}}
                                  << 3 << 4 << "slurm";
    QTest::newRow("slurm, count agrees")
        << "auto/4" << Env{{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "4"}} << 0 << 4
        << "slurm";
    QTest::newRow("kubernetes") << "auto/8" << Env{{"JOB_COMPLETION_INDEX", "7"}} << 7 << 8 << "kubernetes";
    // An empty variable is as good as unset (`export X=` in a wrapper script).
    QTest::newRow("empty slurm id") << "auto/2"
                                    << Env{{"SLURM_ARRAY_TASK_ID", ""}, {"JOB_COMPLETION_INDEX", "1"}} << 1
                                    << 2 << "kubernetes";
  }

  void parse() {
    QFETCH(QString, spec);
    QFETCH(Env, env);
    QFETCH(int, index);
    QFETCH(int, count);
    QFETCH(QString, source);
    const ShardSpec s = shard_of(spec.toStdString(), env);
    QCOMPARE(s.index, index);
    QCOMPARE(s.count, count);
    QCOMPARE(QString::fromStdString(s.source), source);
  }

  void errors_data() {
    QTest::addColumn<QString>("spec");
    QTest::addColumn<Env>("env");
    QTest::addColumn<QString>("message");
    QTest::newRow("neither")
        << "auto" << Env{}
        << "--shard auto: neither a Slurm array job (SLURM_ARRAY_TASK_ID, "
           "SLURM_ARRAY_TASK_COUNT) nor a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) is set";
    QTest::newRow("bad id") << "auto" << Env{{"SLURM_ARRAY_TASK_ID", "x"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}
                            << "SLURM_ARRAY_TASK_ID='x' is not a number";
    QTest::newRow("bad count") << "auto"
                               << Env{{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "4x"}}
                               << "SLURM_ARRAY_TASK_COUNT='4x' is not a number";
    QTest::newRow("bad min") << "auto"
                             << Env{{"SLURM_ARRAY_TASK_ID", "1"},
                                    {"SLURM_ARRAY_TASK_COUNT", "4"},
                                    {"SLURM_ARRAY_TASK_MIN", "-1"}}
                             << "SLURM_ARRAY_TASK_MIN='-1' is not a number";
    QTest::newRow("no count") << "auto" << Env{{"SLURM_ARRAY_TASK_ID", "1"}}
                              << "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not";
    QTest::newRow("slurm out of range")
        << "auto" << Env{{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}
        << "--shard auto: shard SLURM_ARRAY_TASK_ID=4, SLURM_ARRAY_TASK_COUNT=4 is outside 0..3 (the array "
           "must "
           "be contiguous with step 1, e.g. --array=0-3)";
    QTest::newRow("slurm count differs")
        << "auto/8" << Env{{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}
        << "--shard auto/8: the Slurm array has 4 tasks (SLURM_ARRAY_TASK_COUNT)";
    QTest::newRow("kubernetes without count")
        << "auto" << Env{{"JOB_COMPLETION_INDEX", "2"}}
        << "--shard auto: a Kubernetes Indexed Job publishes no count; pass --shard auto/N with N the Job's "
           "completions";
    QTest::newRow("kubernetes out of range") << "auto/2" << Env{{"JOB_COMPLETION_INDEX", "2"}}
                                             << "--shard auto/2: JOB_COMPLETION_INDEX=2 is not below 2";
    QTest::newRow("bad index") << "auto/2" << Env{{"JOB_COMPLETION_INDEX", " 1"}}
                               << "JOB_COMPLETION_INDEX=' 1' is not a number";
    QTest::newRow("both") << "auto/4" << Env{{"SLURM_ARRAY_TASK_ID", "1"}, {"JOB_COMPLETION_INDEX", "1"}}
                          << "--shard auto: both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set; give "
                             "--shard i/n";
    QTest::newRow("auto count") << "auto/0" << Env{{"JOB_COMPLETION_INDEX", "0"}}
                                << "--shard: the count in 'auto/0' is not in 1..1048576";
    QTest::newRow("not i/n") << "3" << Env{} << "--shard: '3' is not i/n (e.g. 0/4), auto or auto/N";
    QTest::newRow("i >= n") << "4/4" << Env{} << "--shard: '4/4' needs 0 <= i < n";
    QTest::newRow("bad i") << "a/4" << Env{} << "--shard index: 'a' is not a number";
  }

  void errors() {
    QFETCH(QString, spec);
    QFETCH(Env, env);
    QFETCH(QString, message);
    const std::string e = error_of([&] { shard_of(spec.toStdString(), env); });
    QCOMPARE(QString::fromStdString(e), message);
  }

  // An array of 1..3 (Slurm's usual numbering): each task sees only its own variables.
  void slurmArrayMergesToTheSingleRun() {
    QStringList shards;
    for (int id = 1; id <= 3; ++id) {
      const QString out = path(QString("slurm%1.cexi").arg(id));
      const CliResult r = run_cli_with(build_args(out) << "--shard"
                                                       << "auto",
                                       {{"SLURM_ARRAY_TASK_ID", QString::number(id)},
                                        {"SLURM_ARRAY_TASK_COUNT", "3"},
                                        {"SLURM_ARRAY_TASK_MIN", "1"}});
      QVERIFY2(r.code == 0, r.err.constData());
      QCOMPARE(r.json()["shard"].toString(), QString("%1/3").arg(id - 1));
      QCOMPARE(r.json()["shard_source"].toString(), QString("slurm"));
      QVERIFY2(r.err.startsWith(QString("shard %1/3 from a Slurm array job (SLURM_ARRAY_TASK_ID=%2 - "
                                        "SLURM_ARRAY_TASK_MIN=1, SLURM_ARRAY_TASK_COUNT=3)\n")
                                    .arg(id - 1)
                                    .arg(id)
                                    .toUtf8()),
               r.err.constData());
      // Each shard holds a strict part of the corpus, so the merge below has something to prove.
      QVERIFY(r.json()["windows"].toInt() > 0 && r.json()["windows"].toInt() < single_windows_);
      shards << out;
    }
    const CliResult m = run_cli(QStringList{"exemplars-merge", "--out", path("slurm.cexi")} + shards);
    QVERIFY2(m.code == 0, m.err.constData());
    // A complete set of shards merges into an unsharded index.
    QCOMPARE(m.json()["shard_count"].toInt(), 1);
    QCOMPARE(m.json()["windows"].toInt(), single_windows_);
    QVERIFY(read_bytes(path("slurm.cexi")) == single_);
  }

  void kubernetesIndexedJobMergesToTheSingleRun() {
    QStringList shards;
    for (int i = 0; i < 2; ++i) {
      const QString out = path(QString("k8s%1.cexi").arg(i));
      const CliResult r = run_cli_with(build_args(out) << "--shard"
                                                       << "auto/2",
                                       {{"JOB_COMPLETION_INDEX", QString::number(i)}});
      QVERIFY2(r.code == 0, r.err.constData());
      QCOMPARE(r.json()["shard"].toString(), QString("%1/2").arg(i));
      QCOMPARE(r.json()["shard_source"].toString(), QString("kubernetes"));
      shards << out;
    }
    QVERIFY(run_cli(QStringList{"exemplars-merge", "--out", path("k8s.cexi")} + shards).code == 0);
    QVERIFY(read_bytes(path("k8s.cexi")) == single_);
  }

  // The whole command: one line on stderr, exit code 2, no output file, before the model loads.
  void commandErrors() {
    const QString out = path("never.cexi");
    CliResult r = run_cli_with(build_args(out) << "--shard"
                                               << "auto",
                               {});
    QCOMPARE(r.code, 2);
    QVERIFY(r.out.isEmpty());
    QCOMPARE(QString::fromUtf8(r.err),
             QString("circuit-trace: error: --shard auto: neither a Slurm array job (SLURM_ARRAY_TASK_ID, "
                     "SLURM_ARRAY_TASK_COUNT) nor a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) is set\n"));
    r = run_cli_with(build_args(out) << "--shard"
                                     << "auto",
                     {{"SLURM_ARRAY_TASK_ID", "x"}, {"SLURM_ARRAY_TASK_COUNT", "3"}});
    QCOMPARE(r.code, 2);
    QCOMPARE(QString::fromUtf8(r.err),
             QString("circuit-trace: error: SLURM_ARRAY_TASK_ID='x' is not a number\n"));
    QVERIFY(!QFile::exists(out));
  }
};

QTEST_GUILESS_MAIN(TestCliShards)
#include "test_cli_shards.moc"
