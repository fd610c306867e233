// Model-folder loader: config.json parsing, safetensors mapping and validation, sharded folders, the
// writer, and the LlamaForCausalLM tensor check. Hostile inputs are hand-crafted byte by byte so each
// test exercises exactly one defect.
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest/QtTest>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ce/core/model/dtype.h"
#include "ce/core/base/error.h"
#include "io/llama_weight_spec.h"
#include "ce/core/model/model_config.h"
#include "io/safetensors_file.h"
#include "io/safetensors_writer.h"
#include "io/weight_store.h"
#include "test_support.h"

using ce::core::DType;
using ce::core::Error;
using ce::core::ModelConfig;
using ce::core::SafetensorsFile;
using ce::core::SafetensorsWriter;
using ce::core::TensorEntry;
using ce::core::WeightStore;

using ce::test::error_of;

namespace {

using Shapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

// Asserts that `expr` throws Error and that its message contains every listed fragment.
#define EXPECT_ERROR(expr, ...)                                                                        \
  do {                                                                                                 \
    const std::string ce_msg = error_of([&] { expr; });                                                \
    QVERIFY2(!ce_msg.empty(), "no ce::core::Error thrown by: " #expr);                                 \
    for (const std::string& ce_part : std::vector<std::string>{__VA_ARGS__}) {                         \
      QVERIFY2(ce_msg.find(ce_part) != std::string::npos,                                              \
               qPrintable(QString("message \"%1\" lacks \"%2\"")                                       \
                              .arg(QString::fromStdString(ce_msg), QString::fromStdString(ce_part)))); \
    }                                                                                                  \
  } while (0)

void write_file(const std::string& path, const std::string& bytes) {
  QFile f(QString::fromStdString(path));
  QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
  QCOMPARE(f.write(bytes.data(), static_cast<qint64>(bytes.size())), static_cast<qint64>(bytes.size()));
}

std::string le64(uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i, n >>= 8) out[static_cast<std::size_t>(i)] = static_cast<char>(n & 0xff);
  return out;
}

// A safetensors file: length prefix, `header` padded with spaces to a multiple of 8 (so the data section
// is 8-aligned, as real writers do), then `data_bytes` bytes of a recognisable pattern.
std::string safetensors_bytes(std::string header, std::size_t data_bytes) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string data(data_bytes, '\0');
  for (std::size_t i = 0; i < data_bytes; ++i) data[i] = static_cast<char>(i * 7 + 1);
  return le64(header.size()) + header + data;
}

std::string shared_dir() { return CE_SHARED_DATA_DIR; }

bool shared_stories_present() {
  return QFile::exists(QString::fromStdString(shared_dir() + "/stories260K/hf"));
}

// The smallest config with every feature the spec check cares about (GQA, several layers, untied head).
ModelConfig tiny_config() {
  ModelConfig c;
  c.hidden_size = 4;
  c.intermediate_size = 6;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.num_key_value_heads = 1;
  c.head_dim = 2;
  c.vocab_size = 5;
  c.tie_word_embeddings = false;
  return c;
}

// Writes `shapes` as zero-filled F32 tensors to `path`.
void write_tensors(const std::string& path, const Shapes& shapes) {
  SafetensorsWriter w;
  for (const auto& [name, shape] : shapes) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> zeros(static_cast<std::size_t>(n), 0.0f);
    w.add(name, DType::F32, shape, zeros.data());
  }
  w.write(path);
}

std::string index_json(const std::vector<std::pair<std::string, std::string>>& map) {
  std::string s = R"({"metadata": {"total_size": 0}, "weight_map": {)";
  for (std::size_t i = 0; i < map.size(); ++i) {
    if (i) s += ", ";
    s += "\"" + map[i].first + "\": \"" + map[i].second + "\"";
  }
  return s + "}}";
}

// A valid config.json text with `replace` applied as "key": value overrides (value is raw JSON; the
// literal "<drop>" removes the key).
std::string config_text(const std::vector<std::pair<std::string, std::string>>& replace) {
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

}  // namespace

class TestLoader : public QObject {
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

  // ---- dtype helpers ----

  void dtypeHelpers() {
    QCOMPARE(ce::core::dtype_size(DType::F32), std::size_t{4});
    QCOMPARE(ce::core::dtype_size(DType::BF16), std::size_t{2});
    QCOMPARE(ce::core::dtype_size(DType::F16), std::size_t{2});
    QCOMPARE(ce::core::dtype_name(DType::BF16), std::string("BF16"));
    QCOMPARE(ce::core::dtype_short_name(DType::F16), std::string("f16"));
    QVERIFY(ce::core::parse_dtype("bf16") == DType::BF16);
    QVERIFY(ce::core::parse_dtype("F32") == DType::F32);
    QVERIFY(ce::core::parse_dtype("Bf16") == DType::BF16);
    QVERIFY(!ce::core::parse_dtype("I64").has_value());
    QVERIFY(!ce::core::parse_dtype("").has_value());
  }

  // ---- the real stories260K checkpoint ----

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

  void storiesWeights() {
    if (!shared_stories_present()) QSKIP("shared/data/stories260K/hf is absent (see shared/data/README.md)");
    const std::string hf = CE_SHARED_DATA_DIR "/stories260K/hf";
    const ModelConfig c = ModelConfig::from_dir(hf);
    const auto store = WeightStore::open_dir(hf);
    QCOMPARE(store->names().size(), std::size_t{48});
    QCOMPARE(store->files().size(), std::size_t{1});
    QCOMPARE(store->files()[0]->metadata().at("format"), std::string("pt"));
    ce::core::validate_llama_weights(c, *store);

    const TensorEntry& embed = store->get("model.embed_tokens.weight");
    QVERIFY(embed.dtype == DType::F32);
    QCOMPARE(embed.shape, (std::vector<int64_t>{512, 64}));
    QCOMPARE(embed.numel(), int64_t{512 * 64});
    QCOMPARE(embed.byte_size, uint64_t{512 * 64 * 4});
    QCOMPARE(reinterpret_cast<uintptr_t>(embed.data) % 4, uintptr_t{0});

    const TensorEntry& norm = store->get("model.norm.weight");
    QCOMPARE(norm.shape, std::vector<int64_t>{64});
    float first = 0;
    std::memcpy(&first, norm.data, sizeof first);
    QVERIFY(std::isfinite(first));
    QCOMPARE(first, 2.4583089351654053f);  // as read by Python's struct from the same file

    // The export stores lm_head.weight although embeddings are tied; its bytes equal embed_tokens.
    const TensorEntry& head_w = store->get("lm_head.weight");
    QCOMPARE(head_w.byte_size, embed.byte_size);
    QVERIFY(std::memcmp(head_w.data, embed.data, embed.byte_size) == 0);

    // The mapped pointer must show the same bytes as a plain read at byte_offset.
    QFile raw(QString::fromStdString(hf + "/model.safetensors"));
    QVERIFY(raw.open(QIODevice::ReadOnly));
    QVERIFY(raw.seek(static_cast<qint64>(embed.byte_offset)));
    const QByteArray head = raw.read(256);
    QCOMPARE(head.size(), 256);
    QVERIFY(std::memcmp(head.constData(), embed.data, 256) == 0);

    // 48 F32 tensors and nothing else: 4 bytes per parameter, plus the stored (tied) lm_head.
    QCOMPARE(store->total_bytes(), uint64_t(c.parameter_count() + 512 * 64) * 4);
    QVERIFY(store->find("no.such.tensor") == nullptr);
    EXPECT_ERROR(store->get("no.such.tensor"), hf, "missing tensor no.such.tensor");
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

  // ---- writer ----

  void writerRoundTrip() {
    // Odd element counts in 2-byte dtypes would misalign a following F32 span if the writer were careless.
    const std::vector<float> f32 = {1.5f, -2.0f, 3.25f, 0.0f, 1e-3f, 7.0f};
    const std::vector<uint16_t> bf16 = {0x3f80, 0xc000, 0x4049};  // 1, -2, 3.14
    const std::vector<uint16_t> f16 = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000};
    SafetensorsWriter w;
    w.add("b.bf16", DType::BF16, {3}, bf16.data());
    w.add("a.f32", DType::F32, {2, 3}, f32.data());
    w.add("c.f16", DType::F16, {5, 1}, f16.data());
    w.add("d.empty", DType::F32, {0, 4}, nullptr);
    w.add("e.f32", DType::F32, {1}, f32.data() + 5);
    w.set_metadata("format", "pt");
    w.set_metadata("note", "round \"trip\"");
    const std::string path = file("rt.safetensors");
    w.write(path);
    QCOMPARE(QDir(tmp_->path()).entryList(QDir::Files), QStringList{"rt.safetensors"});  // no temp left

    const auto f = SafetensorsFile::open(path);
    QCOMPARE(f->tensors().size(), std::size_t{5});
    QCOMPARE(f->metadata().at("format"), std::string("pt"));
    QCOMPARE(f->metadata().at("note"), std::string("round \"trip\""));
    const auto check = [&](const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                           const void* bytes, std::size_t size) {
      const TensorEntry& e = f->tensors().at(name);
      QVERIFY(e.dtype == dtype);
      QCOMPARE(e.shape, shape);
      QCOMPARE(e.byte_size, uint64_t{size});
      QCOMPARE(e.byte_offset % ce::core::dtype_size(dtype), uint64_t{0});
      QCOMPARE(e.file, path);
      if (size > 0) QVERIFY(std::memcmp(e.data, bytes, size) == 0);
    };
    check("a.f32", DType::F32, {2, 3}, f32.data(), 24);
    check("b.bf16", DType::BF16, {3}, bf16.data(), 6);
    check("c.f16", DType::F16, {5, 1}, f16.data(), 10);
    check("d.empty", DType::F32, {0, 4}, nullptr, 0);
    check("e.f32", DType::F32, {1}, f32.data() + 5, 4);

    // Header layout: padded so the data section starts 8-aligned, keys sorted, file fully used.
    QFile raw(QString::fromStdString(path));
    QVERIFY(raw.open(QIODevice::ReadOnly));
    const QByteArray bytes = raw.readAll();
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    QCOMPARE(n % 8, uint64_t{0});
    QCOMPARE(uint64_t(bytes.size()), 8 + n + 24 + 6 + 10 + 4);
    const QByteArray header = bytes.mid(8, static_cast<int>(n));
    QVERIFY(header.indexOf("\"a.f32\"") < header.indexOf("\"b.bf16\""));
    QVERIFY(header.indexOf("\"b.bf16\"") < header.indexOf("\"c.f16\""));

    // Rewriting replaces the file atomically.
    SafetensorsWriter w2;
    w2.add("only", DType::F32, {1}, f32.data());
    w2.write(path);
    QCOMPARE(SafetensorsFile::open(path)->tensors().size(), std::size_t{1});
    QCOMPARE(QDir(tmp_->path()).entryList(QDir::Files), QStringList{"rt.safetensors"});
  }

  void writerRejectsBadInput() {
    const float x[2] = {1, 2};
    SafetensorsWriter w;
    w.add("t", DType::F32, {2}, x);
    EXPECT_ERROR(w.add("t", DType::F32, {2}, x), "t", "added twice");
    EXPECT_ERROR(w.add("neg", DType::F32, {-1}, x), "neg", "negative dimension -1");
    EXPECT_ERROR(w.add("__metadata__", DType::F32, {1}, x), "invalid tensor name");
    EXPECT_ERROR(w.write(file("no/such/folder/x.safetensors")), "no/such/folder/x.safetensors",
                 "temporary file");
  }

  // ---- sharded folders ----

  void shardedFolder() {
    write_tensors(file("model-00001-of-00002.safetensors"), {{"a", {2, 2}}, {"b", {3}}});
    write_tensors(file("model-00002-of-00002.safetensors"), {{"c", {4}}, {"extra", {1}}});
    write_file(file("model.safetensors.index.json"), index_json({{"a", "model-00001-of-00002.safetensors"},
                                                                 {"b", "model-00001-of-00002.safetensors"},
                                                                 {"c", "model-00002-of-00002.safetensors"}}));
    const auto store = WeightStore::open_dir(dir());
    QCOMPARE(store->files().size(), std::size_t{2});
    // "extra" is in a shard but not in weight_map: kept, as transformers does.
    QCOMPARE(store->names(), (std::vector<std::string>{"a", "b", "c", "extra"}));
    QCOMPARE(store->get("a").file, file("model-00001-of-00002.safetensors"));
    QCOMPARE(store->get("c").file, file("model-00002-of-00002.safetensors"));
    QCOMPARE(store->get("a").shape, (std::vector<int64_t>{2, 2}));
    QCOMPARE(store->total_bytes(), uint64_t{(4 + 3 + 4 + 1) * 4});
    QCOMPARE(store->dir(), dir());
  }

  void shardedLlamaValidates() {
    const ModelConfig c = tiny_config();
    Shapes all = ce::core::llama_weight_shapes(c, true);
    QCOMPARE(all.size(), std::size_t{1 + 9 * 2 + 1 + 1});
    const Shapes first(all.begin(), all.begin() + 7);
    const Shapes second(all.begin() + 7, all.end());
    write_tensors(file("s1.safetensors"), first);
    write_tensors(file("s2.safetensors"), second);
    std::vector<std::pair<std::string, std::string>> map;
    for (const auto& t : first) map.emplace_back(t.first, "s1.safetensors");
    for (const auto& t : second) map.emplace_back(t.first, "s2.safetensors");
    write_file(file("model.safetensors.index.json"), index_json(map));
    const auto store = WeightStore::open_dir(dir());
    QCOMPARE(store->names().size(), all.size());
    ce::core::validate_llama_weights(c, *store);
  }

  // ---- hostile safetensors files ----

  void truncatedFile() {
    write_file(file("t.safetensors"), std::string("\x10\x00\x00", 3));
    EXPECT_ERROR(SafetensorsFile::open(file("t.safetensors")), file("t.safetensors"), "truncated",
                 "shorter than the 8-byte header length");
  }

  void headerLengthBeyondFile() {
    write_file(file("h.safetensors"), le64(1000) + "{}");
    EXPECT_ERROR(SafetensorsFile::open(file("h.safetensors")), file("h.safetensors"), "header length 1000",
                 "beyond the end of the file");
    // A huge length must be rejected as such, not attempted as an allocation.
    write_file(file("h2.safetensors"), le64(~0ull) + "{}");
    EXPECT_ERROR(SafetensorsFile::open(file("h2.safetensors")), file("h2.safetensors"),
                 "header length 18446744073709551615", "beyond the end of the file");
  }

  void headerNotJson() {
    write_file(file("j.safetensors"), safetensors_bytes("{\"a\": {\"dtype\": ", 0));
    EXPECT_ERROR(SafetensorsFile::open(file("j.safetensors")), file("j.safetensors"),
                 "header is not valid JSON");
    write_file(file("k.safetensors"), safetensors_bytes("[1, 2, 3]", 0));
    EXPECT_ERROR(SafetensorsFile::open(file("k.safetensors")), file("k.safetensors"), "not a JSON object");
  }

  void unknownDtype() {
    write_file(file("d.safetensors"),
               safetensors_bytes(R"({"ids": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}})", 16));
    EXPECT_ERROR(SafetensorsFile::open(file("d.safetensors")),
                 file("d.safetensors") + ": ids: ", "unsupported dtype I64");
  }

  void messagesAreOneLine() {
    // Names come from the file; control characters in them must not break the one-line message.
    write_file(file("c.safetensors"),
               safetensors_bytes(R"({"a\nb": {"dtype": "I8\r", "shape": [1], "data_offsets": [0, 1]}})", 8));
    EXPECT_ERROR(SafetensorsFile::open(file("c.safetensors")),
                 file("c.safetensors") + ": a?b: ", "unsupported dtype I8?");
    write_file(file("d.safetensors"), le64(8) + std::string("{\"\x01\xff\": ", 8));
    const std::string msg = error_of([&] { SafetensorsFile::open(file("d.safetensors")); });
    QVERIFY2(msg.find("header is not valid JSON") != std::string::npos, msg.c_str());
    for (char c : msg)
      QVERIFY2(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f, msg.c_str());
  }

  void deeplyNestedJson() {
    // Within the size limits but deep enough to overflow the stack of any recursive walk over the value: refused
    // while parsing, at the depth bound every JSON reader shares (base/json_input.h).
    const std::string deep = std::string(200000, '[') + "1" + std::string(200000, ']');
    write_file(
        file("n.safetensors"),
        safetensors_bytes(R"({"w": {"dtype": "F32", "shape": )" + deep + R"(, "data_offsets": [0, 4]}})", 8));
    EXPECT_ERROR(SafetensorsFile::open(file("n.safetensors")),
                 file("n.safetensors") + ": header nested deeper than 256 levels");
    EXPECT_ERROR(ModelConfig::from_json(config_text({{"hidden_size", deep}}), "/x/config.json"),
                 "/x/config.json: JSON nested deeper than 256 levels");
  }

  void negativeShape() {
    write_file(file("n.safetensors"),
               safetensors_bytes(R"({"w": {"dtype": "F32", "shape": [2, -3], "data_offsets": [0, 8]}})", 8));
    EXPECT_ERROR(SafetensorsFile::open(file("n.safetensors")),
                 file("n.safetensors") + ": w: ", "negative dimension -3");
  }

  void numelOverflow() {
    write_file(file("o.safetensors"),
               safetensors_bytes(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 16],
                                          "data_offsets": [0, 8]}})",
                                 8));
    EXPECT_ERROR(SafetensorsFile::open(file("o.safetensors")),
                 file("o.safetensors") + ": w: ", "too many elements");
  }

  void beginAfterEnd() {
    write_file(file("b.safetensors"),
               safetensors_bytes(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8));
    EXPECT_ERROR(SafetensorsFile::open(file("b.safetensors")),
                 file("b.safetensors") + ": w: ", "begin is after end");
  }

  void offsetsBeyondData() {
    write_file(file("e.safetensors"),
               safetensors_bytes(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 12));
    EXPECT_ERROR(SafetensorsFile::open(file("e.safetensors")),
                 file("e.safetensors") + ": w: ", "data_offsets [0, 16] extend beyond the end of the file");
  }

  void overlappingSpans() {
    write_file(file("v.safetensors"),
               safetensors_bytes(R"({"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                                     "y": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})",
                                 16));
    EXPECT_ERROR(SafetensorsFile::open(file("v.safetensors")), file("v.safetensors") + ": y: ", "overlap x",
                 "[8, 16]");
  }

  void unalignedSpan() {
    write_file(file("u.safetensors"),
               safetensors_bytes(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}})", 8));
    EXPECT_ERROR(SafetensorsFile::open(file("u.safetensors")), file("u.safetensors") + ": w: ", "unaligned",
                 "4-byte F32");
  }

  void spanSizeMismatch() {
    write_file(
        file("s.safetensors"),
        safetensors_bytes(R"({"w": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 24]}})", 24));
    EXPECT_ERROR(SafetensorsFile::open(file("s.safetensors")),
                 file("s.safetensors") + ": w: ", "span 24 bytes but shape [2, 3] x BF16 needs 12");
  }

  void badOffsetsAndMetadata() {
    write_file(file("a.safetensors"),
               safetensors_bytes(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", 4));
    EXPECT_ERROR(SafetensorsFile::open(file("a.safetensors")),
                 file("a.safetensors") + ": w: ", "data_offsets must be two non-negative integers");
    write_file(file("m.safetensors"), safetensors_bytes(R"({"__metadata__": {"format": 1}})", 0));
    EXPECT_ERROR(SafetensorsFile::open(file("m.safetensors")),
                 file("m.safetensors") + ": __metadata__: ", "'format' is not a string");
    write_file(file("d.safetensors"),
               safetensors_bytes(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                     "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                                 8));
    EXPECT_ERROR(SafetensorsFile::open(file("d.safetensors")),
                 file("d.safetensors") + ": w: ", "appears twice");
  }

  void zeroSizeAndEmptyFile() {
    write_file(file("z.safetensors"), safetensors_bytes(R"({"__metadata__": {"k": "v"},
                                     "empty": {"dtype": "F16", "shape": [0], "data_offsets": [0, 0]},
                                     "w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})",
                                                        4));
    const auto f = SafetensorsFile::open(file("z.safetensors"));
    QCOMPARE(f->tensors().at("empty").byte_size, uint64_t{0});
    QCOMPARE(f->tensors().at("w").numel(), int64_t{2});
    QCOMPARE(f->metadata().at("k"), std::string("v"));
    write_file(file("none.safetensors"), safetensors_bytes("{}", 0));
    QVERIFY(SafetensorsFile::open(file("none.safetensors"))->tensors().empty());
    EXPECT_ERROR(SafetensorsFile::open(file("absent.safetensors")), file("absent.safetensors"),
                 "cannot open");
  }

  // ---- LlamaForCausalLM tensor check ----

  void llamaMissingTensor() {
    const ModelConfig c = tiny_config();
    Shapes shapes = ce::core::llama_weight_shapes(c, true);
    shapes.erase(shapes.begin() + 5);  // model.layers.0.self_attn.o_proj.weight
    write_tensors(file("model.safetensors"), shapes);
    const auto store = WeightStore::open_dir(dir());
    EXPECT_ERROR(ce::core::validate_llama_weights(c, *store), dir(),
                 "missing tensor model.layers.0.self_attn.o_proj.weight", "[4, 4]");
    // Untied embeddings need lm_head.weight.
    write_tensors(file("model.safetensors"), ce::core::llama_weight_shapes(c, false));
    EXPECT_ERROR(ce::core::validate_llama_weights(c, *WeightStore::open_dir(dir())),
                 "missing tensor lm_head.weight");
  }

  void llamaUnexpectedTensor() {
    const ModelConfig c = tiny_config();
    Shapes shapes = ce::core::llama_weight_shapes(c, true);
    shapes.push_back({"model.layers.0.self_attn.q_proj.bias", {4}});
    shapes.push_back({"model.layers.0.self_attn.rotary_emb.inv_freq", {1}});  // ignored
    write_tensors(file("model.safetensors"), shapes);
    EXPECT_ERROR(ce::core::validate_llama_weights(c, *WeightStore::open_dir(dir())),
                 file("model.safetensors") + ": model.layers.0.self_attn.q_proj.bias: unexpected tensor");
    // A layer beyond num_hidden_layers is unexpected too.
    shapes.pop_back();
    shapes.pop_back();
    shapes.push_back({"model.layers.2.input_layernorm.weight", {4}});
    write_tensors(file("model.safetensors"), shapes);
    EXPECT_ERROR(ce::core::validate_llama_weights(c, *WeightStore::open_dir(dir())),
                 "model.layers.2.input_layernorm.weight: unexpected tensor");
  }

  void llamaWrongShape() {
    const ModelConfig c = tiny_config();
    Shapes shapes = ce::core::llama_weight_shapes(c, true);
    for (auto& [name, shape] : shapes) {
      if (name == "model.layers.1.mlp.up_proj.weight") shape = {6, 3};
    }
    write_tensors(file("model.safetensors"), shapes);
    EXPECT_ERROR(
        ce::core::validate_llama_weights(c, *WeightStore::open_dir(dir())),
        file("model.safetensors") + ": model.layers.1.mlp.up_proj.weight: shape [6, 3] expected [6, 4]");
  }

  void llamaTiedAndMixedDtypes() {
    ModelConfig c = tiny_config();
    c.tie_word_embeddings = true;
    // Tied: lm_head.weight optional; mixed dtypes allowed.
    SafetensorsWriter w;
    for (const auto& [name, shape] : ce::core::llama_weight_shapes(c, false)) {
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      const std::vector<uint16_t> zeros(static_cast<std::size_t>(n), 0);
      const std::vector<float> fzeros(static_cast<std::size_t>(n), 0.0f);
      if (name.find("norm") != std::string::npos) {
        w.add(name, DType::F32, shape, fzeros.data());
      } else {
        w.add(name, DType::BF16, shape, zeros.data());
      }
    }
    w.write(file("model.safetensors"));
    ce::core::validate_llama_weights(c, *WeightStore::open_dir(dir()));
    const auto store = WeightStore::open_dir(dir());
    QVERIFY(store->get("model.norm.weight").dtype == DType::F32);
    QVERIFY(store->get("model.embed_tokens.weight").dtype == DType::BF16);
  }

  // ---- hostile folders and indexes ----

  void noWeights() {
    EXPECT_ERROR(WeightStore::open_dir(dir()),
                 dir() + ": no model.safetensors or model.safetensors.index.json");
    EXPECT_ERROR(WeightStore::open_dir(file("nope")), file("nope"), "not a folder");
  }

  void indexMissingShard() {
    write_tensors(file("s1.safetensors"), {{"a", {1}}});
    write_file(file("model.safetensors.index.json"),
               index_json({{"a", "s1.safetensors"}, {"b", "s2.safetensors"}}));
    EXPECT_ERROR(WeightStore::open_dir(dir()), file("model.safetensors.index.json"), "b",
                 "shard s2.safetensors does not exist");
  }

  void indexTensorMissingFromShard() {
    write_tensors(file("s1.safetensors"), {{"a", {1}}});
    write_file(file("model.safetensors.index.json"),
               index_json({{"a", "s1.safetensors"}, {"b", "s1.safetensors"}}));
    EXPECT_ERROR(WeightStore::open_dir(dir()), file("s1.safetensors") + ": b: listed in",
                 "but absent from this shard");
  }

  void indexTensorInTwoShards() {
    write_tensors(file("s1.safetensors"), {{"a", {1}}, {"b", {1}}});
    write_tensors(file("s2.safetensors"), {{"b", {1}}});
    write_file(file("model.safetensors.index.json"),
               index_json({{"a", "s1.safetensors"}, {"b", "s2.safetensors"}}));
    EXPECT_ERROR(WeightStore::open_dir(dir()), ": b: also present in", "s1.safetensors", "s2.safetensors");
  }

  void indexShardOutsideFolder() {
    write_file(file("model.safetensors.index.json"), index_json({{"a", "../elsewhere.safetensors"}}));
    EXPECT_ERROR(WeightStore::open_dir(dir()), file("model.safetensors.index.json") + ": a: ",
                 "'../elsewhere.safetensors' is not a plain file name");
    write_file(file("model.safetensors.index.json"), index_json({{"a", "/etc/passwd"}}));
    EXPECT_ERROR(WeightStore::open_dir(dir()), "'/etc/passwd' is not a plain file name");
  }

  void indexInvalid() {
    write_file(file("model.safetensors.index.json"), "{\"weight_map\": ");
    EXPECT_ERROR(WeightStore::open_dir(dir()), file("model.safetensors.index.json"), "not valid JSON");
    write_file(file("model.safetensors.index.json"), R"({"metadata": {}})");
    EXPECT_ERROR(WeightStore::open_dir(dir()), file("model.safetensors.index.json"), "weight_map missing");
    write_file(file("model.safetensors.index.json"), R"({"weight_map": {"a": 3}})");
    EXPECT_ERROR(WeightStore::open_dir(dir()),
                 file("model.safetensors.index.json") + ": a: ", "shard name is not a string");
  }

  void shardErrorsNameTheShard() {
    write_file(file("s1.safetensors"), std::string("\x01\x02", 2));
    write_file(file("model.safetensors.index.json"), index_json({{"a", "s1.safetensors"}}));
    EXPECT_ERROR(WeightStore::open_dir(dir()), file("s1.safetensors"), "truncated");
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

QTEST_GUILESS_MAIN(TestLoader)
#include "test_loader.moc"
