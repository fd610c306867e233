// The demo-model trainer on its "tiny" preset (seconds): the loss falls, the same seed gives the same bytes,
// the trained tokenizer keeps world and SVA words whole, the folder loads and generates, cancel is prompt.
// Also the evaluator's bookkeeping on that (untrained-quality) model.
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ce/demo/demo_evaluator.h"
#include "ce/demo/demo_trainer.h"
#include "ce/core/base/error.h"
#include "ce/core/model/model.h"
#include "ce/core/tokenizer/tokenizer.h"

using ce::core::DemoTrainOptions;
using ce::core::DemoTrainResult;

namespace {

QByteArray read_bytes(const std::string& path) {
  QFile f(QString::fromStdString(path));
  if (!f.open(QIODevice::ReadOnly)) return {};
  return f.readAll();
}

DemoTrainOptions tiny_options(const QString& out, uint64_t seed) {
  DemoTrainOptions o;
  o.out_dir = out.toStdString();
  o.preset = "tiny";
  o.seed = seed;
  o.threads = 1;
  return o;
}

}  // namespace

class TestDemoTrainer : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir temp_;
  QString first_, second_, datasets_;
  DemoTrainResult first_result_, second_result_;
  std::vector<std::string> phases_;
  double train_seconds_ = 0;

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(temp_.isValid());
    first_ = temp_.filePath(QStringLiteral("first"));
    second_ = temp_.filePath(QStringLiteral("second"));
    datasets_ = temp_.filePath(QStringLiteral("datasets"));
    DemoTrainOptions o = tiny_options(first_, 1);
    o.datasets_dir = datasets_.toStdString();
    o.progress = [this](const ce::core::DemoTrainProgress& p) {
      if (phases_.empty() || phases_.back() != p.phase) phases_.push_back(p.phase);
    };
    const auto start = std::chrono::steady_clock::now();
    first_result_ = ce::core::train_demo_model(o);
    train_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    DemoTrainOptions two_threads = tiny_options(second_, 1);
    two_threads.threads = 2;  // micro-batches in parallel: the same bytes as one thread
    second_result_ = ce::core::train_demo_model(two_threads);
    qInfo("tiny run: %.1f s in all (%.1f s tokenizer, %.3f s/step), %lld parameters, vocab %d, loss %.3f -> %.3f",
          train_seconds_, first_result_.tokenizer_seconds, first_result_.seconds_per_step,
          static_cast<long long>(first_result_.parameters), first_result_.vocab_size, first_result_.initial_loss,
          first_result_.final_loss);
  }

  void lossFallsOverTwentySteps() {
    const std::vector<float>& l = first_result_.losses;
    QCOMPARE(static_cast<int>(l.size()), 20);
    const double start = (l[0] + l[1] + l[2]) / 3.0;
    const double end = (l[15] + l[16] + l[17] + l[18] + l[19]) / 5.0;
    // Untrained, the loss is about ln(vocab) = 6.9; twenty steps of the tiny preset take it well below.
    QVERIFY2(start > 6.0, qPrintable(QString::number(start)));
    QVERIFY2(end < start - 1.0, qPrintable(QStringLiteral("%1 -> %2").arg(start).arg(end)));
    QVERIFY(first_result_.tokens_trained > 0);
    QVERIFY(first_result_.corpus_tokens > first_result_.tokens_trained / 10);
    const std::vector<std::string> expected = {"corpus", "tokenizer", "tokenize", "train", "save", "datasets", "done"};
    QVERIFY(phases_ == expected);
  }

  void sameSeedGivesIdenticalFilesOnAnyThreadCount() {
    for (const char* file : {"model.safetensors", "tokenizer.model", "config.json", "tokenizer_config.json"}) {
      const QByteArray a = read_bytes(first_.toStdString() + "/" + file);
      const QByteArray b = read_bytes(second_.toStdString() + "/" + file);
      QVERIFY2(!a.isEmpty() && a == b, file);
    }
    QVERIFY(first_result_.losses == second_result_.losses);
    QCOMPARE(first_result_.threads, 1);
    QCOMPARE(second_result_.threads, 2);
    // Another seed: other initial weights and data order, same tokenizer.
    const QString third = temp_.filePath(QStringLiteral("third"));
    DemoTrainOptions o = tiny_options(third, 2);
    o.steps = 2;
    ce::core::train_demo_model(o);
    QVERIFY(read_bytes(third.toStdString() + "/model.safetensors") !=
            read_bytes(first_.toStdString() + "/model.safetensors"));
    QCOMPARE(read_bytes(third.toStdString() + "/tokenizer.model"), read_bytes(first_.toStdString() + "/tokenizer.model"));
  }

  void tokenizerKeepsWorldWordsWhole() {
    const auto tok = ce::core::Tokenizer::from_model_dir(first_.toStdString());
    QCOMPARE(tok->kind(), std::string("sentencepiece"));
    QCOMPARE(tok->bos_id(), 1);
    QCOMPARE(tok->eos_id(), 2);
    QVERIFY(tok->default_add_bos());
    QCOMPARE(tok->vocab_size(), first_result_.vocab_size);
    for (const char* word : {" Austin", " Texas", " Dallas", " are", " is", " has", " have", " Salt", " York"}) {
      const std::vector<int> ids = tok->encode(word, false);
      QVERIFY2(ids.size() == 1, word);
      QCOMPARE(tok->piece(ids[0]), "\xe2\x96\x81" + std::string(word + 1));
    }
    // In context, too: the prompt ends in one piece per word.
    const std::vector<int> ids = tok->encode("Fact: the capital of the state containing Dallas is Austin", true);
    QCOMPARE(ids.front(), 1);
    QCOMPARE(tok->piece(ids.back()), std::string("\xe2\x96\x81" "Austin"));
    QCOMPARE(tok->piece(ids[ids.size() - 2]), std::string("\xe2\x96\x81" "is"));
    QCOMPARE(tok->piece(ids[ids.size() - 3]), std::string("\xe2\x96\x81" "Dallas"));
    // Byte fallback: nothing is unknown.
    const std::string odd = "caf\xc3\xa9 \xe2\x82\xac 42";
    QCOMPARE(tok->decode(tok->encode(odd, false)), odd);
  }

  void folderLoadsAndGenerates() {
    const std::string dir = first_.toStdString();
    const auto model = ce::core::Model::open(dir);
    const ce::core::ModelInfo info = model->info();
    QCOMPARE(info.layers, int64_t{2});
    QCOMPARE(info.d_model, int64_t{64});
    QCOMPARE(info.heads, int64_t{4});
    QCOMPARE(info.kv_heads, int64_t{2});
    QCOMPARE(info.d_mlp, int64_t{128});
    QCOMPARE(info.params, first_result_.parameters);
    QVERIFY(model->config().tie_word_embeddings);
    QCOMPARE(model->config().bos_token_ids, std::vector<int64_t>{1});
    QCOMPARE(model->config().eos_token_ids, std::vector<int64_t>{2});
    const std::vector<int> prompt = model->encode("Dallas is a city in");
    const std::vector<int> out = model->generate(prompt, 6);
    QVERIFY(!out.empty() && out.size() <= 6);
    QVERIFY(model->next_logits(prompt).size() == static_cast<size_t>(info.vocab));

    QFile config(first_ + QStringLiteral("/config.json"));
    QVERIFY(config.open(QIODevice::ReadOnly));
    const QJsonObject c = QJsonDocument::fromJson(config.readAll()).object();
    QCOMPARE(c["model_type"].toString(), QStringLiteral("llama"));
    QCOMPARE(c["torch_dtype"].toString(), QStringLiteral("float32"));
    QCOMPARE(c["tie_word_embeddings"].toBool(), true);
    QFile tc(first_ + QStringLiteral("/tokenizer_config.json"));
    QVERIFY(tc.open(QIODevice::ReadOnly));
    const QJsonObject t = QJsonDocument::fromJson(tc.readAll()).object();
    QCOMPARE(t["tokenizer_class"].toString(), QStringLiteral("LlamaTokenizer"));
    QCOMPARE(t["bos_token"].toString(), QStringLiteral("<s>"));
    // Tied: the weights hold no lm_head (its name would appear in the safetensors header).
    QVERIFY(!read_bytes(dir + "/model.safetensors").contains("lm_head"));

    for (const char* file : {"capitals.jsonl", "capitals_paired.jsonl", "sva/simple_test.json", "sva/rc_train.json"}) {
      QVERIFY2(QFile::exists(datasets_ + "/" + file), file);
    }
  }

  void evaluatorCountsEverySet() {
    const auto model = ce::core::Model::open(first_.toStdString());
    ce::core::DemoEvalOptions o;
    o.max_per_set = 4;
    o.shared_sva_dir = CE_SHARED_DATA_DIR "/sva";
    const ce::core::DemoEvaluation ev = ce::core::evaluate_demo_model(*model, o);
    QCOMPARE(ev.city_state.accuracy.total, 4);
    QCOMPARE(ev.state_capital.accuracy.total, 4);
    QCOMPARE(ev.two_hop_trained.accuracy.total, 4);
    QCOMPARE(ev.two_hop_held_out.accuracy.total, 4);
    QCOMPARE(static_cast<int>(ev.sva_generated.size()), 4);
    for (const auto& s : ev.sva_generated) QCOMPARE(s.accuracy.total, 4);
    for (const auto& s : ev.sva_shared) QCOMPARE(s.accuracy.total, 4);
    // The datasets written by the trainer give the same sets as the in-memory ones.
    o.datasets_dir = datasets_.toStdString();
    const ce::core::DemoEvaluation from_files = ce::core::evaluate_demo_model(*model, o);
    QCOMPARE(from_files.two_hop_held_out.accuracy.correct, ev.two_hop_held_out.accuracy.correct);
    QCOMPARE(from_files.sva_generated[2].accuracy.correct, ev.sva_generated[2].accuracy.correct);
    const QJsonObject j =
        QJsonDocument::fromJson(QByteArray::fromStdString(ce::core::demo_evaluation_json(ev))).object();
    QCOMPARE(j["city_state"].toObject()["total"].toInt(), 4);
    QVERIFY(j["sva"].toObject().contains(QStringLiteral("within_rc")));
    const std::string md = ce::core::demo_evaluation_markdown(ev);
    QVERIFY(md.find("Two-hop, held-out cities") != std::string::npos);
    QVERIFY(ce::core::demo_recipe_markdown(first_result_, "circuit-trace train-demo --config tiny").find("--config tiny") !=
            std::string::npos);
  }

  void cancelStopsPromptly() {
    const QString out = temp_.filePath(QStringLiteral("cancelled"));
    std::atomic<bool> cancel{false};
    DemoTrainOptions o = tiny_options(out, 1);
    o.steps = 100000;
    ce::core::JobControl control;
    control.cancel = &cancel;
    std::chrono::steady_clock::time_point cancelled_at;
    o.progress = [&](const ce::core::DemoTrainProgress& p) {
      if (p.phase == "train" && p.step == 3) {
        cancel.store(true);
        cancelled_at = std::chrono::steady_clock::now();
      }
    };
    bool thrown = false;
    try {
      ce::core::train_demo_model(o, control);
    } catch (const ce::core::Cancelled&) {
      thrown = true;
    }
    QVERIFY(thrown);
    const double after = std::chrono::duration<double>(std::chrono::steady_clock::now() - cancelled_at).count();
    QVERIFY2(after < 1.0, qPrintable(QString::number(after)));
    QVERIFY(!QFile::exists(out + QStringLiteral("/model.safetensors")));

    // Set before the start: nothing runs.
    DemoTrainOptions early = tiny_options(out, 1);
    QVERIFY_THROWS_EXCEPTION(ce::core::Cancelled, ce::core::train_demo_model(early, control));
  }

  void rejectsBadOptions() {
    DemoTrainOptions o = tiny_options(temp_.filePath(QStringLiteral("bad")), 1);
    o.preset = "huge";
    QVERIFY_THROWS_EXCEPTION(ce::core::Error, ce::core::train_demo_model(o));
    QVERIFY_THROWS_EXCEPTION(ce::core::Error, ce::core::demo_recipe("medium"));
    o = tiny_options(QString(), 1);
    QVERIFY_THROWS_EXCEPTION(ce::core::Error, ce::core::train_demo_model(o));
    QCOMPARE(ce::core::demo_recipe("small").layers, int64_t{4});
  }
};

QTEST_APPLESS_MAIN(TestDemoTrainer)
#include "test_demo_trainer.moc"
