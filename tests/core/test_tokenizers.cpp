// Tokenizer suite: Llama 3 byte-level BPE (tiktoken file and a tokenizer.json converted from it), tokenizers
// from model folders, chat formats, errors (SentencePiece's own cases: test_sentencepiece). Reference ids come from
// ../shared/data (see the PROVENANCE.md files there); the suite skips when that folder is absent.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ce/core/circuits/attribution_example.h"
#include "ce/core/tokenizer/chat_format.h"
#include "ce/core/base/error.h"
#include "ce/core/tokenizer/tokenizer.h"
// White-box: the tiktoken -> tokenizer.json converter.
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer_support.h"

using ce::core::ChatMessage;
using ce::core::Error;
using ce::core::Tokenizer;
using namespace ce::test::tokenizers;

class TestTokenizers : public QObject {
  Q_OBJECT

 private:
  // The three Llama 3 tokenizers under test, built once: the tiktoken file, and tokenizer.json files
  // converted from it with "a b" and [a, b] merges (the latter loaded through from_model_dir).
  struct Llama3Set {
    std::unique_ptr<Tokenizer> tiktoken;
    std::unique_ptr<Tokenizer> json_strings;
    std::unique_ptr<Tokenizer> json_pairs_dir;
  };
  QTemporaryDir temp_;
  std::unique_ptr<Llama3Set> llama3_;
  QString llama3_error_;

  const Llama3Set* llama3() {
    if (llama3_ || !llama3_error_.isEmpty()) return llama3_.get();
    try {
      auto set = std::make_unique<Llama3Set>();
      set->tiktoken = Tokenizer::from_file(path_of(kLlama3Model));
      const QString json_path = temp_.filePath(QStringLiteral("llama3-strings.json"));
      if (!write_file(json_path, QByteArray::fromStdString(
                                     ce::core::tiktoken_to_tokenizer_json(path_of(kLlama3Model))))) {
        llama3_error_ = QStringLiteral("cannot write ") + json_path;
        return nullptr;
      }
      set->json_strings = Tokenizer::from_file(json_path.toStdString());
      const QString dir = temp_.filePath(QStringLiteral("llama3-hf"));
      QDir().mkpath(dir);
      const bool written =
          write_file(
              dir + QStringLiteral("/tokenizer.json"),
              QByteArray::fromStdString(ce::core::tiktoken_to_tokenizer_json(path_of(kLlama3Model), true))) &&
          write_file(dir + QStringLiteral("/tokenizer_config.json"),
                     R"({"add_bos_token": false, "bos_token": "<|begin_of_text|>",
                         "eos_token": {"content": "<|eot_id|>", "special": true}})");
      if (!written) {
        llama3_error_ = QStringLiteral("cannot write ") + dir;
        return nullptr;
      }
      set->json_pairs_dir = Tokenizer::from_model_dir(dir.toStdString());
      llama3_ = std::move(set);
    } catch (const std::exception& e) {
      llama3_error_ = QString::fromStdString(e.what());
    }
    return llama3_.get();
  }

  std::vector<std::pair<QString, const Tokenizer*>> llama3_all() {
    const Llama3Set* set = llama3();
    if (set == nullptr) return {};
    return {{QStringLiteral("tiktoken"), set->tiktoken.get()},
            {QStringLiteral("tokenizer.json \"a b\" merges"), set->json_strings.get()},
            {QStringLiteral("tokenizer.json [a, b] merges via from_model_dir"), set->json_pairs_dir.get()}};
  }

#define REQUIRE_LLAMA3()                           \
  REQUIRE_DATA(QString::fromLatin1(kLlama3Model)); \
  if (llama3() == nullptr) QFAIL(qPrintable(QStringLiteral("loading Llama 3 tokenizers: ") + llama3_error_))

 private Q_SLOTS:
  void initTestCase() { QVERIFY(temp_.isValid()); }

  void llama3LlamaCppCases() {
    REQUIRE_LLAMA3();
    const QJsonObject vectors = read_json(data_path(QString::fromLatin1(kLlama3Vectors)));
    const QJsonArray cases = vectors[QStringLiteral("llama_cpp_cases")][QStringLiteral("cases")].toArray();
    QCOMPARE(cases.size(), 46);
    for (const auto& [label, tokenizer] : llama3_all()) {
      int index = 0;
      for (const QJsonValue& entry : cases) {
        const std::string text = entry[QStringLiteral("text")].toString().toStdString();
        const std::vector<int> expected = to_ids(entry[QStringLiteral("ids")]);
        COMPARE_IDS(
            tokenizer->encode(text, false), expected,
            QStringLiteral("%1, case %2 \"%3\"").arg(label).arg(index).arg(QString::fromStdString(text)));
        QCOMPARE(tokenizer->decode(expected), text);
        ++index;
      }
    }
  }

  void llama3MetaUnitTests() {
    REQUIRE_LLAMA3();
    const QJsonObject meta =
        read_json(data_path(QString::fromLatin1(kLlama3Vectors)))[QStringLiteral("meta_unit_tests")]
            .toObject();
    const QJsonObject encode_case = meta[QStringLiteral("encode_bos_eos")].toObject();
    const QJsonObject decode_case = meta[QStringLiteral("decode")].toObject();
    const QJsonObject message_case = meta[QStringLiteral("chat_encode_message")].toObject();
    const QJsonObject dialog_case = meta[QStringLiteral("chat_encode_dialog_prompt")].toObject();
    for (const auto& [label, tokenizer] : llama3_all()) {
      QCOMPARE(tokenizer->bos_id(), 128000);
      // Meta's encode(bos=True, eos=True); EOS is the base vocabulary's <|end_of_text|>.
      const int end_of_text = tokenizer->special_id("<|end_of_text|>").value_or(-1);
      QCOMPARE(end_of_text, 128001);
      COMPARE_IDS(
          concat(tokenizer->encode(encode_case[QStringLiteral("text")].toString().toStdString(), true),
                 {end_of_text}),
          to_ids(encode_case[QStringLiteral("ids")]), label + QStringLiteral(": encode_bos_eos"));
      QCOMPARE(tokenizer->decode(to_ids(decode_case[QStringLiteral("ids")])),
               decode_case[QStringLiteral("text")].toString().toStdString());

      // encode_message is what format_chat emits between <|begin_of_text|> and the open assistant header.
      const QJsonObject message = message_case[QStringLiteral("message")].toObject();
      const std::vector<int> assistant_header = {128006, 78191, 128007, 271};
      COMPARE_IDS(
          ce::core::format_chat(*tokenizer, {{message[QStringLiteral("role")].toString().toStdString(),
                                              message[QStringLiteral("content")].toString().toStdString()}}),
          concat(concat({128000}, to_ids(message_case[QStringLiteral("ids")])), assistant_header),
          label + QStringLiteral(": chat_encode_message"));

      std::vector<ChatMessage> dialog;
      for (const QJsonValue& m : dialog_case[QStringLiteral("dialog")].toArray()) {
        dialog.push_back({m[QStringLiteral("role")].toString().toStdString(),
                          m[QStringLiteral("content")].toString().toStdString()});
      }
      const std::vector<int> expected_dialog = to_ids(dialog_case[QStringLiteral("ids")]);
      COMPARE_IDS(ce::core::format_chat(*tokenizer, dialog), expected_dialog,
                  label + QStringLiteral(": chat_encode_dialog_prompt"));
      // The brief's literal expectation, independent of the data file.
      COMPARE_IDS(expected_dialog,
                  (std::vector<int>{128000, 128006, 9125,   128007, 271,    2028,   374,    264,  1296,
                                    11914,  13,     128009, 128006, 882,    128007, 271,    2028, 374,
                                    264,    2077,   13,     128009, 128006, 78191,  128007, 271}),
                  QStringLiteral("data file dialog ids"));
      COMPARE_IDS(ce::core::format_chat_prompt(*tokenizer, "This is a response.", "This is a test sentence."),
                  expected_dialog, label + QStringLiteral(": format_chat_prompt"));
      // Content is stripped as Meta's str.strip() does; the prefix follows the open assistant header.
      COMPARE_IDS(
          ce::core::format_chat_prompt(*tokenizer, " \n This is a response.\t\n", "", "Answer:"),
          concat(concat({128000, 128006, 882, 128007, 271}, tokenizer->encode("This is a response.", false)),
                 concat(concat({128009}, assistant_header), tokenizer->encode("Answer:", false))),
          label + QStringLiteral(": stripped content and assistant prefix"));
    }
  }

  void llama3SpecialTokens() {
    REQUIRE_LLAMA3();
    const QJsonObject specials =
        read_json(data_path(QString::fromLatin1(kLlama3Vectors)))[QStringLiteral("special_tokens")]
            .toObject();
    QCOMPARE(specials.size(), 256);
    for (const auto& [label, tokenizer] : llama3_all()) {
      QCOMPARE(tokenizer->vocab_size(), 128256);
      QCOMPARE(tokenizer->kind(), std::string("bpe"));
      for (auto it = specials.begin(); it != specials.end(); ++it) {
        const std::string text = it.key().toStdString();
        QCOMPARE(tokenizer->special_id(text).value_or(-1), it.value().toInt());
        QCOMPARE(tokenizer->piece(it.value().toInt()), text);
      }
      QVERIFY(!tokenizer->special_id("hello").has_value());
      // Specials are parsed only on request.
      const std::string text = "Hi<|eot_id|><|start_header_id|>";
      COMPARE_IDS(tokenizer->encode(text, false, true),
                  concat(tokenizer->encode("Hi", false), {128009, 128006}),
                  label + QStringLiteral(": parse_special"));
      const std::vector<int> plain = tokenizer->encode(text, false, false);
      QVERIFY(std::none_of(plain.begin(), plain.end(), [](int id) { return id >= 128000; }));
      QCOMPARE(tokenizer->decode(plain), text);
      QCOMPARE(tokenizer->piece(9906), std::string("Hello"));
      QCOMPARE(tokenizer->piece(22691), std::string(" Hello"));
    }
    const Llama3Set* set = llama3();
    QCOMPARE(set->tiktoken->eos_id(), 128001);
    QVERIFY(set->tiktoken->default_add_bos());
    // from_model_dir applied tokenizer_config.json: add_bos_token false, eos_token <|eot_id|>.
    QCOMPARE(set->json_pairs_dir->eos_id(), 128009);
    QVERIFY(!set->json_pairs_dir->default_add_bos());
  }

  void llama3PieceShowsInvalidBytes() {
    REQUIRE_LLAMA3();
    // Byte tokens that are not UTF-8 on their own are shown as \xNN; id 127 .. 255 hold such bytes.
    const Tokenizer& tokenizer = *llama3()->tiktoken;
    int escaped = 0;
    for (int id = 0; id < 256; ++id) {
      const std::string piece = tokenizer.piece(id);
      const std::string bytes = tokenizer.decode({id});
      if (bytes.size() == 1 && static_cast<unsigned char>(bytes[0]) >= 0x80) {
        char expected[8];
        std::snprintf(expected, sizeof(expected), "\\x%02X", static_cast<unsigned char>(bytes[0]));
        QCOMPARE(piece, std::string(expected));
        ++escaped;
      }
    }
    QCOMPARE(escaped, 128);
  }

  void llama3InvalidUtf8RoundTrips() {
    REQUIRE_LLAMA3();
    const std::vector<std::string> inputs = {
        std::string("\xff"),
        std::string("abc\xff\xfe def"),
        std::string("caf\xc3"),                     // truncated 2-byte character at the end
        std::string("\xe2\x82 euro \xe2\x82\xac"),  // truncated then complete
        std::string("\xed\xa0\x80 surrogate"),      // UTF-8-encoded surrogate (invalid)
        std::string("\xc0\xaf overlong"),           // overlong '/'
        std::string("\xf4\x90\x80\x80 too big"),    // above U+10FFFF
        std::string("  \xff  \n\n\x80\x80\x80"),
        std::string("<|eot_id|>\xff<|eot_id\xff|>"),
        std::string("\0\0 nul bytes \0", 15),
        std::string(5000, '\xff'),
        std::string(20000, ' ') + "x",
        std::string(20000, 'a'),
        std::string(6000, '\n'),
    };
    for (const auto& [label, tokenizer] : llama3_all()) {
      for (size_t i = 0; i < inputs.size(); ++i) {
        for (bool parse_special : {false, true}) {
          const std::vector<int> ids = tokenizer->encode(inputs[i], false, parse_special);
          QVERIFY2(!ids.empty(), qPrintable(label));
          QVERIFY2(tokenizer->decode(ids) == inputs[i],
                   qPrintable(QStringLiteral("%1: input %2 does not round-trip").arg(label).arg(i)));
          for (int id : ids) tokenizer->piece(id);  // every piece is printable without throwing
        }
      }
    }
    // All three implementations agree on invalid input too.
    const Llama3Set* set = llama3();
    for (const std::string& input : inputs) {
      QVERIFY(set->tiktoken->encode(input, false) == set->json_strings->encode(input, false));
      QVERIFY(set->tiktoken->encode(input, false) == set->json_pairs_dir->encode(input, false));
    }
  }

  void llama3ThreadSafety() {
    REQUIRE_LLAMA3();
    const QJsonArray cases = read_json(data_path(
        QString::fromLatin1(kLlama3Vectors)))[QStringLiteral("llama_cpp_cases")][QStringLiteral("cases")]
                                 .toArray();
    std::vector<std::pair<std::string, std::vector<int>>> expected;
    for (const QJsonValue& entry : cases) {
      expected.emplace_back(entry[QStringLiteral("text")].toString().toStdString(),
                            to_ids(entry[QStringLiteral("ids")]));
    }
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    const auto all = llama3_all();
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        const Tokenizer& tokenizer = *all[static_cast<size_t>(t) % all.size()].second;
        for (int round = 0; round < 50; ++round) {
          for (const auto& [text, ids] : expected) {
            if (tokenizer.encode(text, false) != ids) ++mismatches;
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    QCOMPARE(mismatches.load(), 0);
  }

  void llama3Timings() {
    REQUIRE_DATA(QString::fromLatin1(kLlama3Model));
    QElapsedTimer timer;
    timer.start();
    const auto tokenizer = Tokenizer::from_file(path_of(kLlama3Model));
    const qint64 load_ms = timer.elapsed();

    const QJsonArray cases = read_json(data_path(
        QString::fromLatin1(kLlama3Vectors)))[QStringLiteral("llama_cpp_cases")][QStringLiteral("cases")]
                                 .toArray();
    std::string corpus;
    while (corpus.size() < (1u << 20)) {
      for (const QJsonValue& entry : cases) {
        corpus += entry[QStringLiteral("text")].toString().toStdString() + "\n";
      }
      corpus += "The quick brown fox jumps over the lazy dog. It's 2024, and we'll tokenize 12345 numbers!\n";
    }
    timer.restart();
    const std::vector<int> ids = tokenizer->encode(corpus, false);
    const qint64 encode_ms = std::max<qint64>(1, timer.elapsed());
    QCOMPARE(tokenizer->decode(ids), corpus);

    timer.restart();
    const std::string json = ce::core::tiktoken_to_tokenizer_json(path_of(kLlama3Model));
    const qint64 convert_ms = timer.elapsed();
    timer.restart();
    const auto from_json = ce::core::BpeTokenizer::from_tokenizer_json(json, "converted tokenizer.json");
    const qint64 json_load_ms = timer.elapsed();
    timer.restart();
    QVERIFY(from_json->encode(corpus, false) == ids);
    const qint64 json_encode_ms = std::max<qint64>(1, timer.elapsed());

    qInfo("Llama 3 tiktoken load: %lld ms; encode %zu bytes -> %zu tokens: %lld ms (%.1f MB/s)", load_ms,
          corpus.size(), ids.size(), encode_ms, corpus.size() / 1e3 / static_cast<double>(encode_ms));
    qInfo(
        "tiktoken -> tokenizer.json conversion: %lld ms (%zu bytes); tokenizer.json load: %lld ms; "
        "encode: %lld ms",
        convert_ms, json.size(), json_load_ms, json_encode_ms);
  }

  void fromModelDir() {
    REQUIRE_DATA(QStringLiteral("stories260K/hf"));
    REQUIRE_DATA(QString::fromLatin1(kLlama3Model));
    const auto stories = Tokenizer::from_model_dir(data_path(QStringLiteral("stories260K/hf")).toStdString());
    QCOMPARE(stories->kind(), std::string("sentencepiece"));
    QVERIFY(stories->default_add_bos());
    QCOMPARE(stories->bos_id(), 1);
    // A folder with only Meta's tiktoken tokenizer.model.
    const auto llama3 =
        Tokenizer::from_model_dir(data_path(QStringLiteral("llama3-tokenizer")).toStdString());
    QCOMPARE(llama3->kind(), std::string("bpe"));
    QCOMPARE(llama3->bos_id(), 128000);
    QCOMPARE(llama3->eos_id(), 128001);
    // original/tokenizer.model layout of HF Llama 3 repositories, with add_bos_token false.
    const QString dir = temp_.filePath(QStringLiteral("original-layout"));
    QVERIFY(QDir().mkpath(dir + QStringLiteral("/original")));
    QVERIFY(QFile::copy(data_path(QString::fromLatin1(kLlama3Model)),
                        dir + QStringLiteral("/original/tokenizer.model")));
    QVERIFY(write_file(dir + QStringLiteral("/tokenizer_config.json"), R"({"add_bos_token": false})"));
    const auto original = Tokenizer::from_model_dir(dir.toStdString());
    QCOMPARE(original->kind(), std::string("bpe"));
    QVERIFY(!original->default_add_bos());
    COMPARE_IDS(original->encode("Hello world", false), (std::vector<int>{9906, 1917}),
                QStringLiteral("original/"));
  }

  void chatExamples() {
    REQUIRE_DATA(QString::fromLatin1(kStoriesModel));
    const auto spm = Tokenizer::from_file(path_of(kStoriesModel));
    auto e = ce::core::make_example(*spm, "Who is she?", " Lily", " mom", "Who is he?", ce::core::PromptFormat::Chat);
    COMPARE_IDS(e.clean, ce::core::format_chat_prompt(*spm, "Who is she?"), QStringLiteral("chat prompt"));
    COMPARE_IDS(e.patch, ce::core::format_chat_prompt(*spm, "Who is he?"), QStringLiteral("chat patch"));
    // Llama 2 puts its own space after [/INST]: " Lily" and "Lily" are the same word-initial token.
    const std::vector<int> lily = spm->encode("Lily", false);
    QCOMPARE(lily.size(), size_t{1});
    QCOMPARE(e.answer, lily[0]);
    QCOMPARE(ce::core::make_example(*spm, "Who is she?", "Lily", {}, {}, ce::core::PromptFormat::Chat).answer, lily[0]);
    COMPARE_IDS(ce::core::prompt_ids(*spm, "Who is she?", ce::core::PromptFormat::Plain),
                spm->encode("Who is she?", spm->default_add_bos()), QStringLiteral("plain prompt"));
    QVERIFY(error_of([&] {
              ce::core::make_example(*spm, "Who is she?", " Lily", {}, "Who is he, really?", ce::core::PromptFormat::Chat);
            }).contains(QStringLiteral("equally long")));

    REQUIRE_LLAMA3();
    const auto llama3 = Tokenizer::from_model_dir(data_path(QStringLiteral("llama3-tokenizer")).toStdString());
    e = ce::core::make_example(*llama3, "The capital of Texas?", "Austin", " Austin", {}, ce::core::PromptFormat::Chat);
    const std::vector<int> prompt = ce::core::format_chat_prompt(*llama3, "The capital of Texas?");
    COMPARE_IDS(e.clean, prompt, QStringLiteral("Llama 3 chat prompt"));
    // ... <|start_header_id|>assistant<|end_header_id|>"\n\n": the reply starts a new word without a space.
    QCOMPARE(e.clean[e.clean.size() - 2], *llama3->special_id("<|end_header_id|>"));
    QCOMPARE(e.answer, llama3->encode("Austin", false)[0]);
    QCOMPARE(e.contrast, llama3->encode(" Austin", false)[0]);
    QVERIFY(e.answer != e.contrast);
    QVERIFY(error_of([&] {
              ce::core::make_example(*llama3, "Q?", "Austin is", {}, {}, ce::core::PromptFormat::Chat);
            }).contains(QStringLiteral("must be exactly one")));
  }

  void errors() {
    // Missing file.
    const QString missing = error_of([] { Tokenizer::from_file("/nonexistent/dir/tokenizer.model"); });
    QVERIFY2(missing.contains(QStringLiteral("/nonexistent/dir/tokenizer.model")) &&
                 missing.contains(QStringLiteral("cannot open")),
             qPrintable(missing));
    // Garbage and near-miss files.
    const QString garbage = temp_.filePath(QStringLiteral("garbage.model"));
    QVERIFY(write_file(garbage, QByteArray("\x01\x02 this is not a tokenizer \xff\xfe", 29)));
    const QString garbage_error = error_of([&] { Tokenizer::from_file(garbage.toStdString()); });
    QVERIFY2(
        garbage_error.contains(garbage) && garbage_error.contains(QStringLiteral("not a tokenizer file")),
        qPrintable(garbage_error));
    const QString bad_proto = temp_.filePath(QStringLiteral("bad_proto.model"));
    QVERIFY(write_file(bad_proto, QByteArray("\x0a\xff\xff\xff\xff garbage", 14)));
    const QString proto_error = error_of([&] { Tokenizer::from_file(bad_proto.toStdString()); });
    QVERIFY2(proto_error.contains(bad_proto) && proto_error.contains(QStringLiteral("SentencePiece")),
             qPrintable(proto_error));
    const QString bad_tiktoken = temp_.filePath(QStringLiteral("bad_tiktoken.model"));
    QVERIFY(write_file(bad_tiktoken, "IQ== 0\nIg== 1\nI 2\n"));
    const QString tiktoken_error = error_of([&] { Tokenizer::from_file(bad_tiktoken.toStdString()); });
    QVERIFY2(tiktoken_error.contains(bad_tiktoken) && tiktoken_error.contains(QStringLiteral("line 3")),
             qPrintable(tiktoken_error));
    const QString bad_json = temp_.filePath(QStringLiteral("tokenizer.json"));
    QVERIFY(write_file(bad_json, "{\"model\": {\"type\": \"BPE\", "));
    const QString json_error = error_of([&] { Tokenizer::from_file(bad_json.toStdString()); });
    QVERIFY2(json_error.contains(bad_json) && json_error.contains(QStringLiteral("not valid JSON (parse error")),
             qPrintable(json_error));
    const QString empty_dir = temp_.filePath(QStringLiteral("empty"));
    QVERIFY(QDir().mkpath(empty_dir));
    const QString dir_error = error_of([&] { Tokenizer::from_model_dir(empty_dir.toStdString()); });
    QVERIFY2(dir_error.contains(empty_dir) && dir_error.contains(QStringLiteral("no usable tokenizer")),
             qPrintable(dir_error));
    // The reasons on the error's one line (the CLI prints only the first line of an error).
    QCOMPARE(dir_error, empty_dir + QStringLiteral(": no usable tokenizer: no tokenizer.model, tokenizer.json or "
                                                   "original/tokenizer.model"));
    QVERIFY(write_file(empty_dir + QStringLiteral("/tokenizer.json"), "{\"model\": {\"type\": \"WordPiece\"}}"));
    const QString why = error_of([&] { Tokenizer::from_model_dir(empty_dir.toStdString()); });
    QVERIFY2(!why.contains(QLatin1Char('\n')) && why.contains(QStringLiteral("no usable tokenizer: ")) &&
                 why.contains(QStringLiteral("model type \"WordPiece\" is not supported")),
             qPrintable(why));

    // Ids out of range.
    if (QFileInfo::exists(data_path(QString::fromLatin1(kLlama3Model))) && llama3() != nullptr) {
      const QString bpe_error = error_of([&] { llama3()->tiktoken->decode({9906, 128256}); });
      QVERIFY2(bpe_error.contains(QStringLiteral("token id 128256 is out of range [0, 128256)")),
               qPrintable(bpe_error));
      QVERIFY(error_of([&] { llama3()->tiktoken->piece(-1); }).contains(QStringLiteral("out of range")));
    }
    if (QFileInfo::exists(data_path(QString::fromLatin1(kStoriesModel)))) {
      const auto spm = Tokenizer::from_file(path_of(kStoriesModel));
      const QString spm_error = error_of([&] { spm->decode({1, 512}); });
      QVERIFY2(spm_error.contains(QStringLiteral("token id 512 is out of range [0, 512)")),
               qPrintable(spm_error));
      QVERIFY(error_of([&] { spm->piece(-3); }).contains(QStringLiteral("out of range")));
    }
  }

  void smallTokenizerJson() {
    // A hand-written GPT-2-style file: ByteLevel regex, both merge spellings, special and non-special
    // added tokens, no BOS, and bytes missing from the vocabulary.
    const QString dir = temp_.filePath(QStringLiteral("small"));
    QVERIFY(QDir().mkpath(dir));
    QVERIFY(write_file(dir + QStringLiteral("/tokenizer.json"), R"({
      "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\u0120": 3, "\u0120ab": 4, "<|x|>": 5},
                "merges": ["a b", ["\u0120", "ab"]]},
      "added_tokens": [{"id": 5, "content": "<|x|>", "special": false},
                       {"id": 6, "content": "<|s|>", "special": true}],
      "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
      "decoder": {"type": "ByteLevel"}})"));
    const auto tokenizer = Tokenizer::from_file((dir + QStringLiteral("/tokenizer.json")).toStdString());
    QCOMPARE(tokenizer->vocab_size(), 7);
    QCOMPARE(tokenizer->bos_id(), -1);
    COMPARE_IDS(tokenizer->encode("ab ab", true), (std::vector<int>{2, 4}), QStringLiteral("merges, no BOS"));
    COMPARE_IDS(tokenizer->encode("ab<|x|>ab", false), (std::vector<int>{2, 5, 2}),
                QStringLiteral("non-special"));
    COMPARE_IDS(tokenizer->encode("<|s|>", false, true), (std::vector<int>{6}), QStringLiteral("special"));
    COMPARE_IDS(tokenizer->encode("a<|s|>c", false, false), (std::vector<int>{0}),
                QStringLiteral("unknown bytes"));
    QCOMPARE(tokenizer->decode({6, 4, 5}), std::string("<|s|> ab<|x|>"));
    QCOMPARE(tokenizer->piece(3), std::string(" "));
    const QString chat_error = error_of([&] { ce::core::format_chat(*tokenizer, {{"user", "x"}}); });
    QVERIFY2(chat_error.contains(QStringLiteral("<|begin_of_text|>")), qPrintable(chat_error));
    // tokenizer_config.json naming a token the vocabulary lacks.
    QVERIFY(write_file(dir + QStringLiteral("/tokenizer_config.json"), R"({"bos_token": "<nope>"})"));
    const QString config_error = error_of([&] { Tokenizer::from_model_dir(dir.toStdString()); });
    QVERIFY2(config_error.contains(QStringLiteral("tokenizer_config.json")) &&
                 config_error.contains(QStringLiteral("<nope>")),
             qPrintable(config_error));
    QVERIFY(write_file(dir + QStringLiteral("/tokenizer_config.json"), R"({"eos_token": "<|s|>"})"));
    QCOMPARE(Tokenizer::from_model_dir(dir.toStdString())->eos_id(), 6);
  }
};

QTEST_APPLESS_MAIN(TestTokenizers)
#include "test_tokenizers.moc"
