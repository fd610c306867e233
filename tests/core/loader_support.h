// Helpers of the loader suites (test_loader, test_model_config): config.json texts, files written byte by
// byte, and an assertion on Error messages.
#pragma once

#include <QFile>
#include <QtTest/QtTest>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"

namespace ce::test {

// Asserts that `expr` throws Error and that its message contains every listed fragment.
#define EXPECT_ERROR(expr, ...)                                                                        \
  do {                                                                                                 \
    const std::string ce_msg = ce::test::error_of([&] { expr; });                                      \
    QVERIFY2(!ce_msg.empty(), "no ce::core::Error thrown by: " #expr);                                 \
    for (const std::string& ce_part : std::vector<std::string>{__VA_ARGS__}) {                         \
      QVERIFY2(ce_msg.find(ce_part) != std::string::npos,                                              \
               qPrintable(QString("message \"%1\" lacks \"%2\"")                                       \
                              .arg(QString::fromStdString(ce_msg), QString::fromStdString(ce_part)))); \
    }                                                                                                  \
  } while (0)

// Writes `bytes` to `path`, replacing it.
inline void write_file(const std::string& path, const std::string& bytes) {
  QFile f(QString::fromStdString(path));
  QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
  QCOMPARE(f.write(bytes.data(), static_cast<qint64>(bytes.size())), static_cast<qint64>(bytes.size()));
}

inline std::string shared_dir() { return CE_SHARED_DATA_DIR; }

inline bool shared_stories_present() {
  return QFile::exists(QString::fromStdString(shared_dir() + "/stories260K/hf"));
}

// A valid config.json text with `replace` applied as "key": value overrides (value is raw JSON; the
// literal "<drop>" removes the key).
inline std::string config_text(const std::vector<std::pair<std::string, std::string>>& replace) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"architectures", R"(["LlamaForCausalLM"])"},
      {"model_type", R"("llama")"},
      {"hidden_size", "64"},
      {"intermediate_size", "172"},
      {"num_hidden_layers", "5"},
      {"num_attention_heads", "8"},
      {"num_key_value_heads", "4"},
      {"vocab_size", "512"},
      {"rms_norm_eps", "1e-05"},
      {"rope_theta", "10000.0"},
      {"rope_scaling", "null"},
      {"tie_word_embeddings", "true"},
      {"bos_token_id", "1"},
      {"eos_token_id", "2"},
      {"torch_dtype", R"("float32")"},
  };
  for (const auto& [key, value] : replace) {
    bool found = false;
    for (auto& field : fields) {
      if (field.first == key) {
        field.second = value;
        found = true;
      }
    }
    if (!found) fields.emplace_back(key, value);
  }
  std::string s = "{";
  bool first = true;
  for (const auto& [key, value] : fields) {
    if (value == "<drop>") continue;
    if (!first) s += ", ";
    first = false;
    s += "\"" + key + "\": " + value;
  }
  return s + "}";
}

}  // namespace ce::test
