// SentencePiece through the dlopen plugin: Llama 2's and stories260K's tokenizers against llama.cpp's and
// llama2.c's ids, control tokens, the Llama 2 chat format, the plugin loader's errors and the trainer the demo
// model uses. Reference ids come from ../shared/data; tests skip when it is absent.
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/tokenizer/chat_format.h"
#include "ce/core/tokenizer/tokenizer.h"
// White-box: the plugin loader.
#include "tokenizer/spm_plugin_loader.h"
#include "tokenizer_support.h"

using ce::core::Tokenizer;
using namespace ce::test::tokenizers;

class TestSentencePiece : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir temp_;

 private Q_SLOTS:
  void initTestCase() { QVERIFY(temp_.isValid()); }

  void llama2Cases() {
    REQUIRE_DATA(QString::fromLatin1(kLlama2Model));
    const auto tokenizer = Tokenizer::from_file(path_of(kLlama2Model));
    QCOMPARE(tokenizer->kind(), std::string("sentencepiece"));
    QCOMPARE(tokenizer->vocab_size(), 32000);
    QCOMPARE(tokenizer->bos_id(), 1);
    QCOMPARE(tokenizer->eos_id(), 2);
    const QJsonArray cases = read_json(data_path(
        QString::fromLatin1(kLlama2Vectors)))[QStringLiteral("llama_cpp_cases")][QStringLiteral("cases")]
                                 .toArray();
    QCOMPARE(cases.size(), 46);
    int index = 0;
    for (const QJsonValue& entry : cases) {
      const std::string text = entry[QStringLiteral("text")].toString().toStdString();
      const std::vector<int> expected = to_ids(entry[QStringLiteral("ids")]);
      const std::vector<int> ids = tokenizer->encode(text, false);
      COMPARE_IDS(ids, expected,
                  QStringLiteral("Llama 2 case %1 \"%2\"").arg(index).arg(QString::fromStdString(text)));
      const std::vector<std::string> pieces = to_strings(entry[QStringLiteral("pieces")]);
      QCOMPARE(pieces.size(), ids.size());
      for (size_t i = 0; i < ids.size(); ++i) QCOMPARE(tokenizer->piece(ids[i]), pieces[i]);
      COMPARE_IDS(tokenizer->encode(text, true), concat({1}, expected), QStringLiteral("with BOS"));
      ++index;
    }
  }

  void stories260KCases() {
    REQUIRE_DATA(QString::fromLatin1(kStoriesModel));
    REQUIRE_DATA(QString::fromLatin1(kStoriesReference));
    const auto tokenizer = Tokenizer::from_file(path_of(kStoriesModel));
    QCOMPARE(tokenizer->vocab_size(), 512);
    const QJsonObject reference = read_json(data_path(QString::fromLatin1(kStoriesReference)));
    const QJsonArray cases = reference[QStringLiteral("tokenizer_cases")].toArray();
    QCOMPARE(cases.size(), 13);
    for (const QJsonValue& entry : cases) {
      const std::string text = entry[QStringLiteral("text")].toString().toStdString();
      const std::vector<int> expected = to_ids(entry[QStringLiteral("ids")]);
      const std::vector<int> ids = tokenizer->encode(text, false);
      COMPARE_IDS(ids, expected, QStringLiteral("stories260K \"%1\"").arg(QString::fromStdString(text)));
      const std::vector<std::string> pieces = to_strings(entry[QStringLiteral("pieces")]);
      QCOMPARE(pieces.size(), ids.size());
      for (size_t i = 0; i < ids.size(); ++i) QCOMPARE(tokenizer->piece(ids[i]), pieces[i]);
      QCOMPARE(tokenizer->decode(ids), entry[QStringLiteral("decoded")].toString().toStdString());
    }
    const QJsonArray sequences = reference[QStringLiteral("sequences")].toArray();
    QCOMPARE(sequences.size(), 4);
    for (const QJsonValue& sequence : sequences) {
      const std::string text = sequence[QStringLiteral("text")].toString().toStdString();  // null -> ""
      COMPARE_IDS(tokenizer->encode(text, true), to_ids(sequence[QStringLiteral("input_ids")]),
                  QStringLiteral("sequence ") + sequence[QStringLiteral("name")].toString());
    }
  }

  void sentencePieceSpecials() {
    REQUIRE_DATA(QString::fromLatin1(kStoriesModel));
    const auto tokenizer = Tokenizer::from_file(path_of(kStoriesModel));
    QCOMPARE(tokenizer->special_id("<s>").value_or(-1), 1);
    QCOMPARE(tokenizer->special_id("</s>").value_or(-1), 2);
    QCOMPARE(tokenizer->special_id("<unk>").value_or(-1), 0);
    QVERIFY(!tokenizer->special_id("<0x0A>").has_value());
    // Control strings are plain text unless parse_special; each text segment gets the "▁" prefix.
    const std::string text = "<s>Hello</s> world";
    const std::vector<int> plain = tokenizer->encode(text, false, false);
    QVERIFY(std::find(plain.begin(), plain.end(), 1) == plain.end());
    COMPARE_IDS(tokenizer->encode(text, false, true),
                concat(concat(concat({1}, tokenizer->encode("Hello", false)), {2}),
                       tokenizer->encode(" world", false)),
                QStringLiteral("SentencePiece parse_special"));
    // Control tokens decode to their strings; the rest through SentencePiece.
    QCOMPARE(tokenizer->decode(concat({1}, tokenizer->encode("Hello world", false))),
             std::string("<s>Hello world"));
    QCOMPARE(tokenizer->piece(1), std::string("<s>"));
    QCOMPARE(tokenizer->piece(13), std::string("<0x0A>"));
  }

  void llama2ChatFormat() {
    REQUIRE_DATA(QString::fromLatin1(kStoriesModel));
    const auto tokenizer = Tokenizer::from_file(path_of(kStoriesModel));
    COMPARE_IDS(ce::core::format_chat_prompt(*tokenizer, " Hi there ", "Be brief.", "Answer:"),
                // Meta strips system + user as one string, so the user's leading space stays.
                concat({1}, tokenizer->encode(
                                "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n Hi there [/INST] Answer:", false)),
                QStringLiteral("Llama 2 prompt"));
    COMPARE_IDS(ce::core::format_chat(*tokenizer, {{"user", "a"}, {"assistant", "b"}, {"user", "c"}}),
                concat(concat(concat({1}, tokenizer->encode("[INST] a [/INST] b ", false)), {2, 1}),
                       tokenizer->encode("[INST] c [/INST]", false)),
                QStringLiteral("Llama 2 dialog"));
    QVERIFY(error_of([&] {
              ce::core::format_chat(*tokenizer, {{"user", "a"}, {"user", "b"}});
            }).contains(QStringLiteral("alternate")));
    QVERIFY(
        error_of([&] { ce::core::format_chat(*tokenizer, {}); }).contains(QStringLiteral("user message")));
  }

  // A typed prompt in chat form (the explorer's chat-template toggle): the ids are format_chat_prompt's, and an
  // answer is the first token of the assistant's reply.

  void pluginLoader() {
    // The suite itself found the plugin beside the test binary (build/bin).
    const auto& plugin = ce::core::spm_plugin();
    QVERIFY(QFileInfo::exists(QString::fromStdString(plugin.path)));
    const auto candidates = ce::core::spm_plugin_candidates();
    QVERIFY(!candidates.empty());
    const QString missing = error_of([] { ce::core::open_spm_plugin({"/nonexistent/libce_spm.so"}); });
    QVERIFY2(missing.contains(QStringLiteral("/nonexistent/libce_spm.so (not found)")) &&
                 missing.contains(QStringLiteral("CE_SPM_PLUGIN")),
             qPrintable(missing));
    // A file that is not a shared object: the message carries dlerror()'s text.
    const QString fake = temp_.filePath(QStringLiteral("libce_spm.so"));
    QVERIFY(write_file(fake, "not an ELF file"));
    const QString fake_error = error_of([&] { ce::core::open_spm_plugin({fake.toStdString()}); });
    QVERIFY2(fake_error.contains(QStringLiteral("dlopen failed")) && fake_error.contains(fake),
             qPrintable(fake_error));
  }

  void sentencePieceTraining() {
    // The demo-model trainer drives SentencePieceTrainer through the plugin; check that path end to end.
    QString corpus_text;
    for (int i = 0; i < 200; ++i) {
      corpus_text +=
          QStringLiteral("Once upon a time there was a little cat number %1. The cat liked milk.\n").arg(i);
    }
    const QString corpus = temp_.filePath(QStringLiteral("corpus.txt"));
    QVERIFY(write_file(corpus, corpus_text.toUtf8()));
    const QString prefix = temp_.filePath(QStringLiteral("trained"));
    ce::core::train_sentencepiece(
        "--input=" + corpus.toStdString() + " --model_prefix=" + prefix.toStdString() +
        " --vocab_size=300 --model_type=bpe --byte_fallback=true --character_coverage=1.0"
        " --minloglevel=2 --num_threads=1");
    const auto tokenizer = Tokenizer::from_file((prefix + QStringLiteral(".model")).toStdString());
    QCOMPARE(tokenizer->vocab_size(), 300);
    const std::string text = "Once upon a time there was a cat. \xe2\x82\xac";
    QCOMPARE(tokenizer->decode(tokenizer->encode(text, false)), text);
    const QString bad = error_of(
        [] { ce::core::train_sentencepiece("--input=/nonexistent/corpus.txt --model_prefix=/tmp/x"); });
    QVERIFY2(bad.contains(QStringLiteral("SentencePiece training failed")), qPrintable(bad));
  }
};

QTEST_APPLESS_MAIN(TestSentencePiece)
#include "test_sentencepiece.moc"
