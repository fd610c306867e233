// Hostile files, as a mutational campaign found them: JSON nested tens of thousands of levels deep (it used to
// overflow the stack in the tokenizer.json pre-tokenizer walk), FIFOs where a file is expected (open() used to
// block forever), devices and huge files (read to exhaustion). Each must give one clear error, at once.

#include <sys/stat.h>
#include <unistd.h>

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest/QtTest>
#include <filesystem>
#include <fstream>
#include <string>

#include "ce/core/base/files.h"
#include "ce/core/base/resources.h"
#include "ce/core/circuits/attribution_example.h"
#include "ce/core/exemplars/exemplar_builder.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/model/model.h"
#include "ce/core/model/model_config.h"
#include "ce/core/tokenizer/tokenizer.h"
#include "io/safetensors_file.h"
#include "test_support.h"

using namespace ce::core;
using ce::test::error_of;
namespace fs = std::filesystem;

namespace {

// `levels` pre-tokenizer Sequences, each inside the previous one's list: 2 JSON levels per Sequence.
std::string deep_tokenizer_json(int levels) {
  std::string open, close;
  for (int i = 0; i < levels; ++i) {
    open += R"({"type": "Sequence", "pretokenizers": [)";
    close += "]}";
  }
  return R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": )" + open +
         R"({"type": "ByteLevel"})" + close + "}";
}

std::string nested_arrays(int levels) { return std::string(static_cast<size_t>(levels), '[') + std::string(static_cast<size_t>(levels), ']'); }

void write(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

}  // namespace

class TestFileLimits : public QObject {
  Q_OBJECT

  QTemporaryDir tmp_;
  std::string path(const std::string& name) const { return tmp_.filePath(QString::fromStdString(name)).toStdString(); }
  std::string fifo(const std::string& name) const {
    const std::string p = path(name);
    if (::mkfifo(p.c_str(), 0600) != 0) qFatal("mkfifo %s failed", p.c_str());
    return p;
  }

 private Q_SLOTS:
  void initTestCase() { QVERIFY(tmp_.isValid()); }

  void deepJsonIsRefusedBeforeAnyWalk() {
    // 30,000 Sequences crashed the tokenizer loader; 100 (200 levels) are still accepted.
    const std::string deep = path("deep_tokenizer.json");
    write(deep, deep_tokenizer_json(30000));
    const std::string e = error_of([&] { Tokenizer::from_file(deep); });
    QVERIFY2(e == deep + ": JSON nested deeper than 256 levels", e.c_str());
    const std::string fine = path("fine_tokenizer.json");
    write(fine, deep_tokenizer_json(100));
    // (It may fail for its toy vocabulary, but not for its depth.)
    const std::string f = error_of([&] { Tokenizer::from_file(fine); });
    QVERIFY2(f.find("nested") == std::string::npos, f.c_str());

    // The same bound for config.json, a dataset line and a safetensors header.
    const std::string ce = error_of([&] { ModelConfig::from_json(R"({"a": )" + nested_arrays(100000) + "}", "/m/config.json"); });
    QVERIFY2(ce == "/m/config.json: JSON nested deeper than 256 levels", ce.c_str());
    const std::string data = path("deep.jsonl");
    write(data, nested_arrays(100000) + "\n");
    const auto model = Model::open(default_model_dir());
    const std::string de = error_of([&] { load_paired_dataset(data, model->tokenizer()); });
    QVERIFY2(de == data + ":1: JSON nested deeper than 256 levels", de.c_str());
    const std::string header = "{\"m\": " + nested_arrays(100000) + "}";
    std::string st(8, '\0');
    for (int i = 0; i < 8; ++i) st[static_cast<size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    const std::string tensors = path("deep.safetensors");
    write(tensors, st + header);
    const std::string se = error_of([&] { SafetensorsFile::open(tensors); });
    QVERIFY2(se == tensors + ": header nested deeper than 256 levels", se.c_str());
  }

  void fifosAndDevicesAreRefusedAtOnce() {
    QElapsedTimer timer;
    timer.start();
    const auto model = Model::open(default_model_dir());
    const qint64 loaded = timer.elapsed();
    // Each of these used to block in open() until a writer came, i.e. forever.
    const std::string tok = fifo("tokenizer.model");
    QCOMPARE(error_of([&] { Tokenizer::from_file(tok); }), tok + ": not a regular file");
    const std::string tensors = fifo("model.safetensors");
    QCOMPARE(error_of([&] { SafetensorsFile::open(tensors); }), tensors + ": not a regular file");
    const std::string index = fifo("index.cexi");
    QCOMPARE(error_of([&] { ExemplarIndex::open(index); }), index + ": not a regular file");
    const std::string data = fifo("data.jsonl");
    QCOMPARE(error_of([&] { load_paired_dataset(data, model->tokenizer()); }), data + ": not a regular file");
    ExemplarBuildOptions o;
    o.corpus_path = fifo("corpus.txt");
    o.out_path = path("never.cexi");
    QCOMPARE(error_of([&] { build_exemplar_index(*model, o); }), o.corpus_path + ": not a regular file");
    // A model folder whose tokenizer_config.json is a FIFO.
    const std::string dir = path("fifo_model");
    fs::create_directories(dir);
    for (const auto& f : fs::directory_iterator(default_model_dir())) {
      if (f.is_regular_file() && f.path().filename() != "tokenizer_config.json")
        fs::copy_file(f.path(), dir / f.path().filename());
    }
    const std::string config = dir + "/tokenizer_config.json";
    QCOMPARE(::mkfifo(config.c_str(), 0600), 0);
    QCOMPARE(error_of([&] { Tokenizer::from_model_dir(dir); }), config + ": not a regular file");
    // Devices: /dev/zero used to be read until memory ran out.
    QCOMPARE(error_of([] { Tokenizer::from_file("/dev/zero"); }), std::string("/dev/zero: not a regular file"));
    QCOMPARE(error_of([] { ExemplarIndex::open("/dev/zero"); }), std::string("/dev/zero: not a regular file"));
    QVERIFY2(timer.elapsed() - loaded < 5000, qPrintable(QString::number(timer.elapsed() - loaded)));
  }

  void sizesAreCheckedBeforeReading() {
    // A sparse 600 MB "tokenizer": refused from its size, nothing allocated or read.
    const std::string big = path("big_tokenizer.json");
    write(big, "{");
    fs::resize_file(big, uint64_t{600} << 20);
    QElapsedTimer timer;
    timer.start();
    const std::string e = error_of([&] { Tokenizer::from_file(big); });
    QVERIFY2(e == big + ": 629145600 bytes is too large for a tokenizer file", e.c_str());
    QVERIFY(timer.elapsed() < 1000);
  }

  void readerMessages() {
    const std::string missing = path("absent.json");
    QCOMPARE(error_of([&] { read_file(missing, 10, "a test"); }), missing + ": cannot open file: No such file or directory");
    QCOMPARE(error_of([&] { check_regular_file(missing); }), missing + ": cannot open file: No such file or directory");
    const std::string folder = path("a_folder");
    fs::create_directories(folder);
    QCOMPARE(error_of([&] { read_file(folder, 10, "a test"); }), folder + ": is a folder, not a file");
    const std::string small = path("small.txt");
    write(small, "0123456789");
    QCOMPARE(read_file(small, 10, "a test"), std::string("0123456789"));
    QCOMPARE(error_of([&] { read_file(small, 9, "a test"); }), small + ": 10 bytes is too large for a test");
  }
};

QTEST_GUILESS_MAIN(TestFileLimits)
#include "test_file_limits.moc"
