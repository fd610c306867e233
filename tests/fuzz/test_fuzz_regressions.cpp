// Replays what the fuzz campaign keeps, in an ordinary build (ASan in the asan preset), so a fix stays fixed:
//  - regressions/<target>/: minimised inputs that once crashed or broke the error rule: each must now be
//    accepted or rejected with a clean message (the target aborts otherwise);
//  - seeds/<target>/ and the real files of resources/ and ../shared: each must load (not only be rejected).
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

#include "fuzz_target.h"

namespace {

QByteArray read_all(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Real files each target must accept (absent ones are skipped: ../shared is optional). Datasets and
// tokenizer_config.json files are left out: the targets pair them with the small tokenizer of fixtures/.
const std::map<std::string, QStringList>& real_files() {
  static const std::map<std::string, QStringList> files = {
      {"model_config",
       {QStringLiteral(CE_SOURCE_DIR "/resources/models/geo/config.json"),
        QStringLiteral(CE_SHARED_DATA_DIR "/stories260K/hf/config.json")}},
      {"sentencepiece",
       {QStringLiteral(CE_SOURCE_DIR "/resources/models/geo/tokenizer.model"),
        QStringLiteral(CE_SHARED_DATA_DIR "/stories260K/tok512.model"),
        QStringLiteral(CE_SHARED_DATA_DIR "/llama3-tokenizer/tokenizer.model")}},
      {"tiktoken", {QStringLiteral(CE_SHARED_DATA_DIR "/llama3-tokenizer/tokenizer.model")}},
      {"safetensors", {QStringLiteral(CE_SHARED_DATA_DIR "/stories260K/hf/model.safetensors")}},
      {"exemplar_index", {QStringLiteral(CE_SOURCE_DIR "/resources/exemplars/geo_mlp_act.cexi")}},
      {"session", {QStringLiteral(CE_SOURCE_DIR "/resources/sessions/texas_to_california.json")}},
  };
  return files;
}

}  // namespace

class TestFuzzRegressions : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // Every folder under seeds/ and regressions/ names a target, and every target has seeds: a misspelt folder
  // would otherwise be skipped without a word.
  void foldersNameTargets() {
    const auto& targets = ce::fuzz::targets();
    QCOMPARE(targets.size(), size_t{11});
    for (const char* kind : {"seeds", "regressions"}) {
      const QDir dir(QString::fromStdString(ce::fuzz::source_dir()) + "/" + kind);
      for (const QString& name : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QVERIFY2(targets.count(name.toStdString()), qPrintable(QStringLiteral("%1/%2: no such fuzz target").arg(kind, name)));
      }
    }
    for (const auto& [name, fn] : targets) {
      const QDir seeds(QString::fromStdString(ce::fuzz::source_dir() + "/seeds/" + name));
      QVERIFY2(!seeds.entryList(QDir::Files).isEmpty(), qPrintable(QStringLiteral("no seeds for ") + name.c_str()));
    }
  }

  void replay_data() {
    QTest::addColumn<QString>("target");
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("mustLoad");
    for (const auto& [name, fn] : ce::fuzz::targets()) {
      const QString target = QString::fromStdString(name);
      for (const char* kind : {"seeds", "regressions"}) {
        const QDir dir(QString::fromStdString(ce::fuzz::source_dir()) + "/" + kind + "/" + target);
        for (const QString& file : dir.entryList(QDir::Files, QDir::Name)) {
          QTest::addRow("%s/%s/%s", kind, name.c_str(), qPrintable(file))
              << target << dir.filePath(file) << (QByteArray(kind) == "seeds");
        }
      }
      const auto real = real_files().find(name);
      if (real == real_files().end()) continue;
      for (const QString& path : real->second) {
        if (QFile::exists(path)) {
          QTest::addRow("real/%s/%s", name.c_str(), qPrintable(QFileInfo(path).fileName())) << target << path << true;
        }
      }
    }
  }

  void replay() {
    QFETCH(QString, target);
    QFETCH(QString, path);
    QFETCH(bool, mustLoad);
    const QByteArray bytes = read_all(path);
    QVERIFY2(!bytes.isEmpty() || QFileInfo(path).size() == 0, qPrintable(path));
    // The target aborts on a crash-class finding; QTest's signal handler then names this row.
    ce::fuzz::targets().at(target.toStdString())(reinterpret_cast<const uint8_t*>(bytes.constData()),
                                                 static_cast<size_t>(bytes.size()));
    if (mustLoad) {
      QVERIFY2(ce::fuzz::last_rejection().empty(), ce::fuzz::last_rejection().c_str());
    }
  }
};

QTEST_GUILESS_MAIN(TestFuzzRegressions)
#include "test_fuzz_regressions.moc"
