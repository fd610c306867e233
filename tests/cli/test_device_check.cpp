// packaging/device-check.sh, the script the GPU machine runs, end to end on the CPU (CE_DEVICE=cpu: every
// comparison is the CPU against itself, so every error is 0), and its exit code and message when the device
// cannot run.
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include "test_support.h"

namespace {

struct ScriptResult {
  int code = -1;
  QString out;
};

ScriptResult run_check(const QString& device, const QString& out_dir) {
  QProcess p;
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.insert("CE_DEVICE", device);
  env.insert("CE_BIN", CE_BIN_DIR);
  env.insert("CE_STORIES", ce::test::shared_data("stories260K/hf"));
  env.insert("CE_OUT", out_dir);
  p.setProcessEnvironment(env);
  p.setProcessChannelMode(QProcess::MergedChannels);
  p.start("bash", {CE_SOURCE_DIR "/packaging/device-check.sh"});
  if (!p.waitForFinished(600000)) {
    p.kill();
    p.waitForFinished();
    return {-1, "timed out"};
  }
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAll())};
}

}  // namespace

class TestDeviceCheck : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void cpuAgainstItself() {
    QTemporaryDir out;
    const ScriptResult r = run_check("cpu", out.path());
    qInfo("%s", qPrintable(r.out));
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("ok   logits-demo float32 logits, max |cpu - cpu|: 0 (bound 0.001)\n"));
    if (QFile::exists(ce::test::shared_data("stories260K/hf/config.json"))) {
      QVERIFY(r.out.contains("ok   logits-stories float32 logits, max |cpu - cpu|: 0 (bound 0.001)\n"));
    }
    QVERIFY(r.out.contains("ok   relp effects of the Texas prompt, max relative error on the top 40: 0 (bound 0.001)\n"));
    QVERIFY(r.out.contains("ok   atp effects of the Texas prompt, max relative error on the top 40: 0 (bound 0.001)\n"));
    QVERIFY(r.out.contains("ok   steered continuation identical: "));
    QVERIFY(r.out.contains(QRegularExpression("device check on cpu: passed in [0-9]+ ms")));
    // The runs are kept: the steered continuation really differs from the plain one (the check compares
    // something), and RelP listed every node.
    const QJsonObject steer = ce::test::read_json(out.path() + "/steer.dev.json");
    QVERIFY(!steer["generated"].toString().isEmpty());
    QVERIFY(steer["generated"].toString() != steer["before"].toObject()["generated"].toString());
    QVERIFY(ce::test::read_json(out.path() + "/relp.cpu.json")["nodes"].toArray().size() > 1000);
  }

  // A device this machine lacks: the first run fails, and the script says which and why (exit 2).
  void missingDevice() {
    QTemporaryDir out;
    const ScriptResult r = run_check("cuda:99", out.path());
    QCOMPARE(r.code, 2);
    QVERIFY2(r.out.contains("FAIL logits-demo on cuda:99: circuit-trace exited with an error:\n"), qPrintable(r.out));
    QVERIFY(r.out.contains("device cuda:99: "));
    QVERIFY(!r.out.contains("passed"));
  }
};

QTEST_GUILESS_MAIN(TestDeviceCheck)
#include "test_device_check.moc"
