// config.json: the real stories260K file, round trips through to_json, Hugging Face defaults and Llama 3
// fields, and hostile configs (each with its one message naming the file and the field).

#include <QTemporaryDir>
#include <QtTest/QtTest>
#include <memory>
#include <string>
#include <vector>

#include "ce/core/base/error.h"
#include "ce/core/model/dtype.h"
#include "ce/core/model/model_config.h"
#include "loader_support.h"

using ce::core::DType;
using ce::core::ModelConfig;
using ce::test::config_text;
using ce::test::error_of;
using ce::test::shared_stories_present;
using ce::test::write_file;

class TestModelConfig : public QObject {
  Q_OBJECT

 private:
  // Per-test scratch folder, removed by QTemporaryDir when the test ends.
  std::unique_ptr<QTemporaryDir> tmp_;
  std::string dir() const { return tmp_->path().toStdString(); }
  std::string file(const std::string& name) const { return dir() + "/" + name; }

 private Q_SLOTS:
  void init() {
    tmp_ = std::make_unique<QTemporaryDir>();
    QVERIFY(tmp_->isValid());
  }
  void cleanup() { tmp_.reset(); }

  // ---- the real stories260K file ----

  void storiesConfig() {
    if (!shared_stories_present()) QSKIP("shared/data/stories260K/hf is absent (see shared/data/README.md)");
    const ModelConfig c = ModelConfig::from_dir(CE_SHARED_DATA_DIR "/stories260K/hf");
    QCOMPARE(c.hidden_size, int64_t{64});
    QCOMPARE(c.intermediate_size, int64_t{172});
    QCOMPARE(c.num_hidden_layers, int64_t{5});
    QCOMPARE(c.num_attention_heads, int64_t{8});
    QCOMPARE(c.num_key_value_heads, int64_t{4});
    QCOMPARE(c.head_dim, int64_t{8});
    QCOMPARE(c.vocab_size, int64_t{512});
    QCOMPARE(c.max_position_embeddings, int64_t{512});
    QVERIFY(c.tie_word_embeddings);
    QCOMPARE(c.rms_norm_eps, 1e-5);
    QCOMPARE(c.rope_theta, 10000.0);
    QVERIFY(!c.rope_scaling.has_value());
    QCOMPARE(c.bos_token_ids, std::vector<int64_t>{1});
    QCOMPARE(c.eos_token_ids, std::vector<int64_t>{2});
    QVERIFY(c.torch_dtype == DType::F32);
    // 512*64 embeddings + 5 * (2*64 + 2*64*64 + 2*32*64 + 3*172*64) + 64, tied head counted once.
    QCOMPARE(c.parameter_count(), int64_t{32768 + 5 * (128 + 8192 + 4096 + 33024) + 64});
  }

  void configRoundTrip() {
    ModelConfig c = ModelConfig::from_json(config_text({}), "x/config.json");
    c.rope_scaling = ce::core::RopeScaling{8.0, 1.0, 4.0, 8192};
    c.eos_token_ids = {2, 3};
    c.torch_dtype = DType::BF16;
    const ModelConfig back = ModelConfig::from_json(c.to_json(), "round-trip");
    QCOMPARE(back.hidden_size, c.hidden_size);
    QCOMPARE(back.num_key_value_heads, c.num_key_value_heads);
    QCOMPARE(back.head_dim, c.head_dim);
    QCOMPARE(back.rms_norm_eps, c.rms_norm_eps);
    QVERIFY(back.rope_scaling.has_value());
    QCOMPARE(back.rope_scaling->factor, 8.0);
    QCOMPARE(back.rope_scaling->original_max_position_embeddings, int64_t{8192});
    QCOMPARE(back.eos_token_ids, (std::vector<int64_t>{2, 3}));
    QCOMPARE(back.bos_token_ids, std::vector<int64_t>{1});
    QVERIFY(back.torch_dtype == DType::BF16);
    QCOMPARE(back.tie_word_embeddings, true);
  }

  void configDefaultsAndVariants() {
    // head_dim and num_key_value_heads fall back to HF's defaults; Llama 3 style fields parse.
    const ModelConfig c = ModelConfig::from_json(
        config_text({{"num_key_value_heads", "<drop>"},
                     {"rope_theta", "<drop>"},
                     {"tie_word_embeddings", "<drop>"},
                     {"rope_scaling",
                      R"({"type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                          "original_max_position_embeddings": 8192})"},
                     {"eos_token_id", "[2, 7, 9]"},
                     {"bos_token_id", "null"},
                     {"torch_dtype", R"("bfloat16")"}}),
        "cfg");
    QCOMPARE(c.num_key_value_heads, int64_t{8});
    QCOMPARE(c.head_dim, int64_t{8});
    QCOMPARE(c.rope_theta, 10000.0);
    QCOMPARE(c.tie_word_embeddings, false);
    QVERIFY(c.rope_scaling.has_value());
    QCOMPARE(c.rope_scaling->factor, 32.0);
    QCOMPARE(c.rope_scaling->high_freq_factor, 4.0);
    QCOMPARE(c.eos_token_ids, (std::vector<int64_t>{2, 7, 9}));
    QVERIFY(c.bos_token_ids.empty());
    QVERIFY(c.torch_dtype == DType::BF16);
    QCOMPARE(c.max_position_embeddings, int64_t{0});
    // Explicit head_dim need not equal hidden/heads (e.g. Gemma-like shapes in Llama configs).
    const ModelConfig d = ModelConfig::from_json(config_text({{"head_dim", "16"}}), "cfg");
    QCOMPARE(d.head_dim, int64_t{16});
  }

  // ---- hostile config.json ----

  void badConfig_data() {
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QStringList>("fragments");
    const auto row = [](const char* name, const char* key, const char* value, QStringList fragments) {
      QTest::newRow(name) << QString(key) << QString(value) << fragments;
    };
    row("layers 1e9", "num_hidden_layers", "1e9",
        {"num_hidden_layers = 1000000000 is out of range (1..1024)"});
    row("layers 1000000000", "num_hidden_layers", "1000000000",
        {"num_hidden_layers = 1000000000 is out of range (1..1024)"});
    row("layers fractional", "num_hidden_layers", "2.5", {"num_hidden_layers = 2.5 is not an integer"});
    row("layers string", "num_hidden_layers", "\"5\"", {"num_hidden_layers = \"5\" is not an integer"});
    row("layers missing", "num_hidden_layers", "<drop>", {"num_hidden_layers is missing"});
    row("hidden 0", "hidden_size", "0", {"hidden_size = 0 is out of range (1..65536)"});
    row("hidden negative", "hidden_size", "-64", {"hidden_size = -64 is out of range"});
    row("hidden huge", "hidden_size", "1e300", {"hidden_size = 1e+300 is out of range"});
    row("intermediate huge", "intermediate_size", "2097152", {"intermediate_size = 2097152 is out of range"});
    row("vocab huge", "vocab_size", "8388608", {"vocab_size = 8388608 is out of range (1..4194304)"});
    row("heads not dividing", "num_attention_heads", "7",
        {"num_attention_heads = 7 does not divide hidden_size = 64"});
    row("kv not dividing", "num_key_value_heads", "3",
        {"num_key_value_heads = 3 does not divide num_attention_heads = 8"});
    row("kv above heads", "num_key_value_heads", "16", {"num_key_value_heads = 16 is out of range (1..8)"});
    row("head_dim odd", "head_dim", "9", {"head_dim = 9 is odd"});
    row("head_dim huge", "head_dim", "2048", {"head_dim = 2048 is out of range (1..1024)"});
    row("eps zero", "rms_norm_eps", "0", {"rms_norm_eps = 0 is out of range"});
    row("eps negative", "rms_norm_eps", "-1e-5", {"rms_norm_eps = -1e-05 is out of range"});
    row("theta zero", "rope_theta", "0.0", {"rope_theta = 0.0 is out of range"});
    row("rope linear", "rope_scaling", R"({"type": "linear", "factor": 2.0})",
        {"unsupported rope_scaling type 'linear'"});
    row("rope yarn", "rope_scaling", R"({"rope_type": "yarn", "factor": 2.0})",
        {"unsupported rope_scaling type 'yarn'"});
    row("rope llama3 incomplete", "rope_scaling", R"({"rope_type": "llama3", "factor": 8.0})",
        {"rope_scaling.low_freq_factor is missing"});
    row("rope untyped", "rope_scaling", R"({"factor": 8.0})", {"rope_scaling has no rope_type"});
    row("model_type gpt2", "model_type", "\"gpt2\"", {"model_type 'gpt2' is not supported"});
    row("architecture", "architectures", R"(["MistralForCausalLM"])", {"does not name LlamaForCausalLM"});
    row("tie not bool", "tie_word_embeddings", "\"yes\"",
        {"tie_word_embeddings = \"yes\" is not true or false"});
    row("eos out of vocab", "eos_token_id", "[2, 512]", {"eos_token_id = 512 is out of range (0..511)"});
    row("bos negative", "bos_token_id", "-1", {"bos_token_id = -1 is out of range"});
    row("torch_dtype", "torch_dtype", "\"float64\"", {"torch_dtype 'float64' is not supported"});
    row("activation", "hidden_act", "\"gelu\"", {"hidden_act 'gelu' is not supported"});
    row("bias", "attention_bias", "true", {"attention_bias = true is not supported"});
  }

  void badConfig() {
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QStringList, fragments);
    const std::string path = file("config.json");
    write_file(path, config_text({{key.toStdString(), value.toStdString()}}));
    const std::string msg = error_of([&] { ModelConfig::from_dir(dir()); });
    QVERIFY2(!msg.empty(), "config was accepted");
    QVERIFY2(msg.rfind(path + ": ", 0) == 0, msg.c_str());  // starts with the file path
    for (const QString& f : fragments) QVERIFY2(msg.find(f.toStdString()) != std::string::npos, msg.c_str());
  }

  void absurdParameterCount() {
    // Every field within its own bound, but together 2e14 parameters.
    const std::string text = config_text({{"hidden_size", "65536"},
                                          {"intermediate_size", "1048576"},
                                          {"num_hidden_layers", "1024"},
                                          {"num_attention_heads", "512"},
                                          {"num_key_value_heads", "8"}});
    EXPECT_ERROR(ModelConfig::from_json(text, "/x/config.json"), "/x/config.json: ", "parameters",
                 "more than the supported 1e12");
  }

  void configNotJsonOrMissing() {
    EXPECT_ERROR(ModelConfig::from_dir(dir()), file("config.json") + ": cannot open");
    write_file(file("config.json"), "{\"hidden_size\": 64,");
    EXPECT_ERROR(ModelConfig::from_dir(dir()), file("config.json") + ": not valid JSON");
    write_file(file("config.json"), "[]");
    EXPECT_ERROR(ModelConfig::from_dir(dir()), file("config.json") + ": not a JSON object");
    write_file(file("config.json"), R"({"hidden_size": 64})");
    EXPECT_ERROR(ModelConfig::from_dir(dir()),
                 file("config.json") + ": neither model_type nor architectures");
  }
};

QTEST_GUILESS_MAIN(TestModelConfig)
#include "test_model_config.moc"
