// Neuron exemplars on the shipped demo model: the index's top-K equals a brute force over every token of a
// small corpus (both polarities, both bases), shards merge into the single run byte for byte, `activations`
// recomputes stored exemplars, and corrupted or mismatched indexes fail with clear errors.
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/base/error.h"
#include "ce/core/exemplars/exemplar_builder.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/exemplars/exemplar_label.h"
#include "ce/core/exemplars/layer_activations.h"
#include "ce/core/model/model.h"
#include "ce/core/tokenizer/tokenizer.h"
#include "test_support.h"

using namespace ce::core;
namespace fs = std::filesystem;

using ce::test::CliResult;
using ce::test::error_of;
using ce::test::run_cli;

namespace {

const std::string kSource = CE_SOURCE_DIR;
const std::string kGeo = kSource + "/resources/models/geo";
const std::string kShipped = kSource + "/resources/exemplars/geo_mlp_act.cexi";
constexpr int kContext = 12, kTopK = 5, kBatch = 4;
// A batch of windows and a single window run through different matmul shapes: values agree to float rounding.
constexpr float kTol = 2e-4f;

QByteArray read_bytes(const std::string& path) {
  QFile f(QString::fromStdString(path));
  if (!f.open(QIODevice::ReadOnly)) return {};
  return f.readAll();
}

void write_bytes(const std::string& path, const QByteArray& bytes) {
  QFile f(QString::fromStdString(path));
  QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
  QCOMPARE(f.write(bytes), bytes.size());
}

struct Token {
  float value;
  uint64_t window;
  uint32_t position;
};

}  // namespace

class TestExemplars : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir temp_;
  std::unique_ptr<Model> model_;
  std::string corpus_;                         // small .txt corpus
  std::vector<std::vector<int>> windows_;      // the corpus windows, as the builder cuts them
  std::string single_;                         // index of the whole corpus in one run (mlp_act)

  std::string path(const std::string& name) const { return temp_.filePath(QString::fromStdString(name)).toStdString(); }

  ExemplarBuildOptions options(const std::string& out, Basis basis = Basis::MlpAct) const {
    ExemplarBuildOptions o;
    o.corpus_path = corpus_;
    o.out_path = out;
    o.basis = basis;
    o.top_k = kTopK;
    o.context = kContext;
    o.batch = kBatch;
    return o;
  }

  // Every token's activation, one window at a time through the public per-layer API:
  // [layer][window][position][neuron].
  std::vector<std::vector<std::vector<std::vector<float>>>> brute_force(Basis basis) const {
    std::vector<std::vector<std::vector<std::vector<float>>>> acts(
        static_cast<size_t>(model_->config().num_hidden_layers));
    for (size_t layer = 0; layer < acts.size(); ++layer) {
      for (const std::vector<int>& w : windows_) {
        acts[layer].push_back(layer_activations(*model_, w, basis, static_cast<int>(layer)));
      }
    }
    return acts;
  }

  // min_ratio: exact matches per tie swap at least; swaps happen only between tokens of equal value.
  void compare_with_brute_force(const ExemplarIndex& index, Basis basis, int min_ratio = 20) {
    const auto acts = brute_force(basis);
    const auto neurons = static_cast<size_t>(basis_width(basis, model_->config()));
    const int bos = model_->tokenizer().bos_id();
    int exact = 0, swapped = 0;
    for (size_t layer = 0; layer < acts.size(); ++layer) {
      for (size_t n = 0; n < neurons; ++n) {
        std::vector<Token> all;  // every non-BOS token of the corpus
        for (size_t w = 0; w < windows_.size(); ++w) {
          for (size_t p = 0; p < windows_[w].size(); ++p) {
            if (windows_[w][p] != bos) all.push_back({acts[layer][w][p][n], w, static_cast<uint32_t>(p)});
          }
        }
        for (Polarity pol : {Polarity::Positive, Polarity::Negative}) {
          std::vector<Token> t = all;
          std::stable_sort(t.begin(), t.end(), [pol](const Token& a, const Token& b) {
            return pol == Polarity::Positive ? a.value > b.value : a.value < b.value;
          });
          const std::vector<Exemplar> got = index.exemplars(static_cast<int>(layer), static_cast<int>(n), pol);
          QCOMPARE(got.size(), std::min<size_t>(kTopK, t.size()));
          for (size_t r = 0; r < got.size(); ++r) {
            const Exemplar& e = got[r];
            // The stored value is the r-th best of all tokens, and it is the value of the token it names.
            QVERIFY2(std::fabs(e.activation - t[r].value) <= kTol,
                     qPrintable(QString("L%1/N%2 rank %3: %4 vs brute force %5").arg(layer).arg(n).arg(r)
                                    .arg(e.activation).arg(t[r].value)));
            QVERIFY(e.window < windows_.size());
            QCOMPARE(e.tokens, windows_[e.window]);
            QVERIFY(e.tokens[static_cast<size_t>(e.position)] != bos);
            const float own = acts[layer][e.window][static_cast<size_t>(e.position)][n];
            QVERIFY(std::fabs(e.activation - own) <= kTol);
            if (e.window == t[r].window && static_cast<uint32_t>(e.position) == t[r].position) {
              ++exact;
            } else {
              // Only a (near-)tie may swap two tokens: both hold the rank's value.
              QVERIFY(std::fabs(own - t[r].value) <= kTol);
              ++swapped;
            }
            if (r > 0) {
              QVERIFY(pol == Polarity::Positive ? got[r - 1].activation >= e.activation
                                                : got[r - 1].activation <= e.activation);
            }
          }
        }
      }
    }
    qInfo("%s: %d exemplars identical to the brute force, %d tie swaps", basis_name(basis), exact, swapped);
    QVERIFY(exact > min_ratio * swapped);
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(temp_.isValid());
    LoadOptions lo;
    lo.threads = 1;  // the build machine is shared: one thread gives steady timings
    model_ = Model::open(kGeo, lo);
    // 60 documents of the shipped exemplar corpus, one repeated (exact ties), one long (several windows).
    std::ifstream in(kSource + "/resources/datasets/exemplar_corpus.txt");
    std::vector<std::string> docs;
    std::string line;
    while (docs.size() < 60 && std::getline(in, line)) docs.push_back(line);
    QCOMPARE(docs.size(), size_t{60});
    docs.push_back(docs[3]);
    docs.push_back(docs[0] + " " + docs[1] + " " + docs[2]);
    corpus_ = path("corpus.txt");
    std::ofstream out(corpus_);
    for (const std::string& d : docs) out << d << "\n\n";  // blank lines are skipped
    out.close();
    for (const std::string& d : docs) {
      const std::vector<int> ids = model_->encode(d);
      for (size_t at = 0; at < ids.size(); at += kContext) {
        windows_.emplace_back(ids.begin() + static_cast<ptrdiff_t>(at),
                              ids.begin() + static_cast<ptrdiff_t>(std::min(ids.size(), at + kContext)));
      }
    }
    single_ = path("single.cexi");
    build_exemplar_index(*model_, options(path("mlp_out.cexi"), Basis::MlpOut));
    const ExemplarBuildResult r = build_exemplar_index(*model_, options(single_));
    QCOMPARE(r.documents, uint64_t{62});
    QCOMPARE(r.info.windows_seen, static_cast<uint64_t>(windows_.size()));
    qInfo("corpus: %zu windows, %llu tokens; index %llu bytes", windows_.size(),
          static_cast<unsigned long long>(r.info.tokens_seen), static_cast<unsigned long long>(r.info.file_bytes));
  }

  void topKEqualsBruteForceBothPolarities() {
    const auto index = ExemplarIndex::open(single_);
    QCOMPARE(index->info().layers, 4);
    QCOMPARE(index->info().neurons, 768);
    QCOMPARE(index->info().top_k, kTopK);
    QCOMPARE(index->info().context, kContext);
    QCOMPARE(index->info().basis, Basis::MlpAct);
    compare_with_brute_force(*index, Basis::MlpAct);
  }

  void mlpOutBasisEqualsBruteForce() {
    const auto index = ExemplarIndex::open(path("mlp_out.cexi"));
    QCOMPARE(index->info().neurons, 256);
    compare_with_brute_force(*index, Basis::MlpOut);
  }

  void attentionAndResidualBasesEqualBruteForce() {
    // The index covers every node basis: the attention heads' output and the residual stream as well.
    for (const Basis b : {Basis::Attn, Basis::Resid}) {
      const std::string file = path(std::string(basis_name(b)) + ".cexi");
      build_exemplar_index(*model_, options(file, b));
      const auto index = ExemplarIndex::open(file);
      QCOMPARE(index->info().basis, b);
      QCOMPARE(index->info().neurons, 256);
      // The attention output at the first token after BOS depends on that token alone, so documents that start
      // with the same word tie exactly there: about twice the swaps of the other bases (each checked as a tie).
      compare_with_brute_force(*index, b, b == Basis::Attn ? 10 : 20);
    }
  }

  void mergedShardsEqualOneRun() {
    std::vector<std::string> shards;
    for (int i = 0; i < 3; ++i) {
      ExemplarBuildOptions o = options(path("shard" + std::to_string(i) + ".cexi"));
      o.shard_index = i;
      o.shard_count = 3;
      const ExemplarBuildResult r = build_exemplar_index(*model_, o);
      QVERIFY(r.info.windows_seen > 0 && r.info.windows_seen < windows_.size());
      shards.push_back(o.out_path);
    }
    const QByteArray single = read_bytes(single_);
    QVERIFY(!single.isEmpty());
    merge_exemplar_indexes(shards, path("merged.cexi"));
    QVERIFY(read_bytes(path("merged.cexi")) == single);
    // Merging in steps (as array jobs might) and in another order gives the same file.
    const ExemplarIndexInfo part = merge_exemplar_indexes({shards[2], shards[0]}, path("part.cexi"));
    QCOMPARE(part.shard_count, 3);
    QCOMPARE(part.shards, (std::vector<int>{0, 2}));
    merge_exemplar_indexes({shards[1], path("part.cexi")}, path("merged2.cexi"));
    QVERIFY(read_bytes(path("merged2.cexi")) == single);

    const std::string twice = error_of([&] { merge_exemplar_indexes({shards[0], shards[0]}, path("bad.cexi")); });
    QVERIFY2(twice.find("shard 0/3 is already in another input") != std::string::npos, twice.c_str());
    const std::string basis = error_of([&] { merge_exemplar_indexes({single_, path("mlp_out.cexi")}, path("bad.cexi")); });
    QVERIFY2(basis.find("other basis") != std::string::npos || basis.find("neurons") != std::string::npos, basis.c_str());
    ExemplarBuildOptions other_k = options(path("k3.cexi"));
    other_k.top_k = 3;
    build_exemplar_index(*model_, other_k);
    const std::string k = error_of([&] { merge_exemplar_indexes({shards[0], path("k3.cexi")}, path("bad.cexi")); });
    QVERIFY2(k.find("top_k 3 vs 5") != std::string::npos, k.c_str());
    QVERIFY(!fs::exists(path("bad.cexi")));
  }

  void cliBuildsNeuronAndActivationsRecompute() {
    const std::string out = path("cli.cexi");
    CliResult r = run_cli({"exemplars", "--threads", "1", "--corpus", QString::fromStdString(corpus_), "--out",
                    QString::fromStdString(out), "--top", QString::number(kTopK), "--context", QString::number(kContext),
                    "--batch", QString::number(kBatch)});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json()["windows"].toInt(), static_cast<int>(windows_.size()));
    QVERIFY(read_bytes(out) == read_bytes(single_));  // the CLI is the library call

    // The best stored exemplar of one neuron, both polarities, recomputed on its window alone by `activations`
    // (each run is a process start; the library check below covers every rank of many neurons).
    int checked = 0;
    for (const QString neuron : {"L2/N117"}) {
      for (const QString pol : {"+", "-"}) {
        r = run_cli({"neuron", "--threads", "1", "--index", QString::fromStdString(out), "--neuron", neuron, "--polarity", pol});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject j = r.json();
        QCOMPARE(j["polarity"].toString(), pol);
        const QJsonArray ex = j["exemplars"].toArray();
        QCOMPARE(ex.size(), kTopK);
        const QStringList parts = QString(neuron).remove('L').remove('N').split('/');
        for (int rank = 0; rank < 1; ++rank) {
          const QJsonObject e = ex[rank].toObject();
          QStringList ids;
          for (const auto& id : e["ids"].toArray()) ids << QString::number(id.toInt());
          QCOMPARE(e["tokens"].toArray().size(), ids.size());
          const CliResult a = run_cli({"activations", "--threads", "1", "--ids", ids.join(','), "--layer", parts[0],
                                "--index", parts[1]});
          QVERIFY2(a.code == 0, a.err.constData());
          const QJsonArray values = a.json()["values"].toArray();
          QCOMPARE(values.size(), ids.size());
          const double recomputed = values[e["max_pos"].toInt()].toArray()[0].toDouble();
          QVERIFY2(std::fabs(recomputed - e["activation"].toDouble()) <= kTol,
                   qPrintable(QString("%1 %2: stored %3, recomputed %4").arg(neuron, pol)
                                  .arg(e["activation"].toDouble()).arg(recomputed)));
          ++checked;
        }
      }
    }
    QCOMPARE(checked, 2);

    // Every exemplar of every 64th neuron of every layer through the library call behind `activations`.
    const auto index = ExemplarIndex::open(out);
    checked = 0;
    for (int layer = 0; layer < 4; ++layer) {
      for (int n = 0; n < 768; n += 64) {
        for (Polarity pol : {Polarity::Positive, Polarity::Negative}) {
          for (const Exemplar& e : index->exemplars(layer, n, pol)) {
            const auto values = layer_activations(*model_, e.tokens, Basis::MlpAct, layer, n);
            QVERIFY(std::fabs(values[static_cast<size_t>(e.position)][0] - e.activation) <= kTol);
            ++checked;
          }
        }
      }
    }
    QCOMPARE(checked, 4 * 12 * 2 * kTopK);
  }

  void shippedIndexServesTheDemoModel() {
    const auto index = ExemplarIndex::open(kShipped);
    index->check_model(*model_);
    index->check_basis(Basis::MlpAct);
    QVERIFY(index->info().file_bytes <= 10u * 1024 * 1024);
    QCOMPARE(index->info().top_k, 20);
    // `neuron` uses the shipped index by default; a text exemplar re-encoded by `activations --text` gives the
    // stored value too (its window is a whole document, BOS first).
    const CliResult r = run_cli({"neuron", "--threads", "1", "--neuron", "1/42", "--top", "3"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonArray ex = r.json()["exemplars"].toArray();
    QCOMPARE(ex.size(), 3);
    QCOMPARE(r.json()["neuron"].toString(), QString("L1/N42"));
    int via_text = 0;
    for (const Exemplar& e : index->exemplars(1, 42, Polarity::Positive)) {
      if (e.tokens[0] != model_->tokenizer().bos_id()) continue;
      const std::vector<int> rest(e.tokens.begin() + 1, e.tokens.end());
      const std::string text = model_->tokenizer().decode(rest);
      if (model_->encode(text) != e.tokens) continue;
      const CliResult a = run_cli({"activations", "--threads", "1", "--text", QString::fromStdString(text), "--layer", "1",
                            "--index", "42"});
      QVERIFY2(a.code == 0, a.err.constData());
      const QJsonArray values = a.json()["values"].toArray();
      QCOMPARE(values.size(), static_cast<int>(e.tokens.size()));
      QVERIFY(std::fabs(values[e.position].toArray()[0].toDouble() - e.activation) <= kTol);
      QVERIFY(a.json()["pieces"].toArray().size() == values.size());
      if (++via_text == 1) break;
    }
    QVERIFY(via_text > 0);
    // All neurons at once: [tokens][768].
    const CliResult all = run_cli({"activations", "--threads", "1", "--text", "The capital of Texas is Austin.", "--layer", "0"});
    QCOMPARE(all.code, 0);
    QCOMPARE(all.json()["values"].toArray()[1].toArray().size(), 768);
  }

  void automaticLabelCountsMaxTokens() {
    // The graph's automatic label of L3/N701 from the shipped index: its top 20 exemplars of each polarity,
    // counted by the token each peaks on.
    const auto index = ExemplarIndex::open(kShipped);
    for (const Polarity p : {Polarity::Positive, Polarity::Negative}) {
      const auto ex = index->exemplars(3, 701, p, 20);
      const auto counts = max_token_counts(*model_, *index, 3, 701, p, 20);
      int total = 0;
      for (size_t i = 0; i < counts.size(); ++i) {
        total += counts[i].count;
        if (i) QVERIFY(counts[i - 1].count >= counts[i].count);
        const int id = counts[i].id;
        QCOMPARE(counts[i].count, static_cast<int>(std::count_if(ex.begin(), ex.end(), [id](const Exemplar& e) {
                   return e.tokens[static_cast<size_t>(e.position)] == id;
                 })));
        QCOMPARE(counts[i].text, model_->token_text(id));
      }
      QCOMPARE(total, static_cast<int>(ex.size()));
      QCOMPARE(total, 20);
    }
    QCOMPARE(QString::fromStdString(exemplar_label(*model_, *index, 3, 701)), QStringLiteral("+ in, is / \u2212 is"));
    QCOMPARE(QString::fromStdString(error_of([&] { exemplar_label(*model_, *index, 4, 0); })),
             QStringLiteral("layer 4 is out of range (index has 4 layers)"));
  }

  void corruptedIndexGivesClearErrors() {
    const QByteArray good = read_bytes(single_);
    struct Case {
      const char* name;
      QByteArray bytes;
      const char* expect;
    };
    auto with_u64 = [&good](int offset, quint64 v) {
      QByteArray b = good;
      for (int i = 0; i < 8; ++i) b[offset + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
      return b;
    };
    QByteArray magic = good;
    magic[0] = 'X';
    QByteArray version = good;
    version[4] = 99;
    QByteArray padded = good;
    padded.append(16, '\0');
    const std::vector<Case> cases = {
        {"empty", QByteArray(), "shorter than the 160-byte header"},
        {"truncated", good.left(good.size() - 100), "(truncated)"},
        {"padded", padded, "file has"},
        {"magic", magic, "not an exemplar index (bad magic)"},
        {"version", version, "version 99 is not supported"},
        {"windows", with_u64(88, 7), "section offsets or sizes are inconsistent"},
        {"records offset", with_u64(104, 176), "section offsets or sizes are inconsistent"},
    };
    for (const Case& c : cases) {
      const std::string p = path(std::string("bad_") + c.name + ".cexi");
      write_bytes(p, c.bytes);
      const std::string e = error_of([&] { ExemplarIndex::open(p); });
      QVERIFY2(e.find(p) == 0 && e.find(c.expect) != std::string::npos, (std::string(c.name) + ": " + e).c_str());
      if (std::string(c.name) != "truncated") continue;  // one CLI run: the command shows the same message
      const CliResult r = run_cli({"neuron", "--index", QString::fromStdString(p), "--neuron", "0/0"});
      QCOMPARE(r.code, 2);
      QVERIFY2(r.err.contains(c.expect) && r.err.count('\n') == 1, r.err.constData());
    }
    // A record pointing past the stored windows is caught when read.
    const auto index = ExemplarIndex::open(single_);
    QByteArray bad_record = good;
    const int record0 = 160 + 8;  // header, 1 byte of shard bitmap padded to 8
    for (int i = 0; i < 4; ++i) bad_record[record0 + 4 + i] = static_cast<char>(0x7F);
    write_bytes(path("bad_record.cexi"), bad_record);
    const auto opened = ExemplarIndex::open(path("bad_record.cexi"));
    const std::string e = error_of([&] { opened->exemplars(0, 0, Polarity::Positive); });
    QVERIFY2(e.find("corrupted exemplar index: window") != std::string::npos, e.c_str());
    QVERIFY(error_of([&] { index->exemplars(4, 0, Polarity::Positive); }).find("layer 4 is out of range") == 0);
    QVERIFY(error_of([&] { index->exemplars(0, 768, Polarity::Positive); }).find("neuron 768 is out of range") == 0);
  }

  void mismatchedModelAndBasisGiveClearErrors() {
    // The same folder with another RoPE base: same dimensions, other activations.
    const std::string other = path("other_model");
    fs::create_directories(other);
    for (const auto& f : fs::directory_iterator(kGeo))
      if (f.is_regular_file()) fs::copy_file(f.path(), fs::path(other) / f.path().filename());
    QByteArray config = read_bytes(other + "/config.json");
    QVERIFY(config.contains("\"rope_theta\": 10000.0"));
    config.replace("\"rope_theta\": 10000.0", "\"rope_theta\": 20000.0");
    write_bytes(other + "/config.json", config);
    LoadOptions one_thread;
    one_thread.threads = 1;
    const auto other_model = Model::open(other, one_thread);
    const auto index = ExemplarIndex::open(kShipped);
    QVERIFY(model_fingerprint(*other_model) != model_fingerprint(*model_));
    const std::string e = error_of([&] { index->check_model(*other_model); });
    QVERIFY2(e.find(kShipped + ": built for another model") == 0, e.c_str());
    CliResult r = run_cli({"neuron", "--model", QString::fromStdString(other), "--neuron", "0/0"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("built for another model"), r.err.constData());

    const std::string b = error_of([&] { index->check_basis(Basis::MlpOut); });
    QVERIFY2(b.find("built for basis mlp_act, not mlp_out") != std::string::npos, b.c_str());
    r = run_cli({"neuron", "--basis", "mlp_out", "--neuron", "0/0"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("built for basis mlp_act, not mlp_out"));
  }

  void corpusFormatsLimitsAndCancel() {
    // JSON Lines with the same documents give the same exemplars.
    const std::string jsonl = path("corpus.jsonl");
    {
      std::ifstream in(corpus_);
      std::ofstream out(jsonl);
      std::string line;
      while (std::getline(in, line)) {
        if (!line.empty()) out << QJsonDocument(QJsonObject{{"text", QString::fromStdString(line)}}).toJson(QJsonDocument::Compact).constData() << "\n";
      }
    }
    ExemplarBuildOptions o = options(path("jsonl.cexi"));
    o.corpus_path = jsonl;
    build_exemplar_index(*model_, o);
    const auto a = ExemplarIndex::open(single_);
    const auto b = ExemplarIndex::open(path("jsonl.cexi"));
    for (int n = 0; n < 768; n += 97) {
      const auto x = a->exemplars(2, n, Polarity::Negative), y = b->exemplars(2, n, Polarity::Negative);
      QCOMPARE(x.size(), y.size());
      for (size_t i = 0; i < x.size(); ++i) {
        QCOMPARE(x[i].activation, y[i].activation);
        QCOMPARE(x[i].window, y[i].window);
      }
    }
    // A JSON line without "text" names its line.
    std::ofstream(path("bad.jsonl")) << "{\"text\": \"The cat runs.\"}\n{\"body\": 1}\n";
    o.corpus_path = path("bad.jsonl");
    const std::string e = error_of([&] { build_exemplar_index(*model_, o); });
    QVERIFY2(e.find(path("bad.jsonl") + ":2: no \"text\" string") == 0, e.c_str());
    // --max-tokens stops before the window that would pass it.
    o = options(path("limited.cexi"));
    o.max_tokens = 100;
    const ExemplarBuildResult limited = build_exemplar_index(*model_, o);
    QVERIFY(limited.info.tokens_seen <= 100 && limited.info.tokens_seen > 100 - kContext);
    // Cancel: nothing is written.
    std::atomic<bool> cancel{true};
    o = options(path("cancelled.cexi"));
    JobControl cancelled;
    cancelled.cancel = &cancel;
    QVERIFY_THROWS_EXCEPTION(Cancelled, build_exemplar_index(*model_, o, cancelled));
    QVERIFY(!fs::exists(path("cancelled.cexi")));
  }
};

QTEST_GUILESS_MAIN(TestExemplars)
#include "test_exemplars.moc"
