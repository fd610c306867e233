// Model-folder loader: safetensors mapping and validation, sharded folders, the writer, and the
// LlamaForCausalLM tensor check (config.json: test_model_config). Hostile inputs are hand-crafted byte by byte so each
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
#include "loader_support.h"

using ce::core::DType;
using ce::core::Error;
using ce::core::ModelConfig;
using ce::core::SafetensorsFile;
using ce::core::SafetensorsWriter;
using ce::core::TensorEntry;
using ce::core::WeightStore;

using ce::test::config_text;
using ce::test::error_of;
using ce::test::shared_stories_present;
using ce::test::write_file;

namespace {

using Shapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

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
};

QTEST_GUILESS_MAIN(TestLoader)
#include "test_loader.moc"
