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

// Real files each target must accept (absent ones are skipped: ../shared is optional). Paired datasets and
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
      {"prompt_set", {QStringLiteral(CE_SOURCE_DIR "/resources/datasets/capitals.jsonl")}},
  };
  return files;
}

// Targets this build leaves out: the session reader is part of ui/, which a build without the GUI lacks.
bool left_out(const std::string& target) {
#ifdef CE_FUZZ_NO_UI
  return target == "session";
#else
  (void)target;
  return false;
#endif
}

// A safetensors file: 8-byte little-endian header length, the header, then `data`.
QByteArray safetensors(const QByteArray& header, const QByteArray& data = {}) {
  QByteArray out(8, '\0');
  const quint64 n = static_cast<quint64>(header.size());
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

// The small seed index with 4 bytes at `offset` replaced by the little-endian `value`.
QByteArray patched_index(int offset, quint32 value) {
  QByteArray bytes = read_all(QString::fromStdString(ce::fuzz::source_dir()) + "/seeds/exemplar_index/small.cexi");
  for (int i = 0; i < 4; ++i) bytes[offset + i] = static_cast<char>((value >> (8 * i)) & 0xff);
  return bytes;
}

// The head of a profiles file, up to and with its options (valid ones by default); the caller closes it.
QByteArray profiles_head(const QByteArray& options = R"({"target": "diff", "baseline": "zero", "method": "relp", "rules": "all", "ig_steps": 10, "keep": 0.005, "chat": false, "edge_targets": 64})") {
  return R"({"format": "circuit-explorer prompt-set trace", "version": 1, "source": "s", "layers": 2, "width": 4, "options": )" + options;
}

}  // namespace

class TestFuzzRegressions : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // Every folder under seeds/ and regressions/ names a target, and every target has seeds: a misspelt folder
  // would otherwise be skipped without a word.
  void foldersNameTargets() {
    const auto& targets = ce::fuzz::targets();
    QCOMPARE(targets.size(), left_out("session") ? size_t{13} : size_t{14});
    for (const char* kind : {"seeds", "regressions"}) {
      const QDir dir(QString::fromStdString(ce::fuzz::source_dir()) + "/" + kind);
      for (const QString& name : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QVERIFY2(targets.count(name.toStdString()) || left_out(name.toStdString()), qPrintable(QStringLiteral("%1/%2: no such fuzz target").arg(kind, name)));
      }
    }
    for (const auto& [name, fn] : targets) {
      const QDir seeds(QString::fromStdString(ce::fuzz::source_dir() + "/seeds/" + name));
      QVERIFY2(!seeds.entryList(QDir::Files).isEmpty(), qPrintable(QStringLiteral("no seeds for ") + name.c_str()));
    }
  }

  // The rule every target checks, on its own: a finding must be reported, a fine message must not.
  void messageRule() {
    using ce::fuzz::message_problem;
    QCOMPARE(message_problem("DIR/a.json: groups: expected an array, found a string", "a.json", "{}"), std::string());
    QVERIFY(!message_problem("DIR/b.json: bad", "a.json", "").empty());
    QVERIFY(!message_problem("a.json: [json.exception.type_error.302] type must be number", "a.json", "{}").empty());
    // Raw text the input itself holds may be quoted back.
    QCOMPARE(message_problem("a.json: unknown key 'std::x'", "a.json", R"({"std::x": 1})"), std::string());
    // Also when the input spells it with escapes, known ("\u0073td") or unknown ("std\:", which Qt reads as ':').
    QCOMPARE(message_problem("a.json: unknown key 'std::x'", "a.json", R"({"\u0073td\::x": 1})"), std::string());
    QVERIFY(!message_problem("a.json: unknown key 'std::x'", "a.json", R"({"std\u:x": 1})").empty());
    const std::string hostile(1000, 'q');
    QVERIFY(!message_problem("a.json: bad value '" + hostile + "'", "a.json", "{\"v\": \"" + hostile + "\"}").empty());
    QCOMPARE(message_problem("a.json: bad value '" + hostile.substr(0, 200) + "...'", "a.json", hostile), std::string());
    QVERIFY(!message_problem("a.json: " + std::string(2000, 'x'), "a.json", "").empty());
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

  // The five most common rejection kinds of each parser over the campaign's corpora (README, Robustness) and
  // the issue's cases, message by message: one line naming the file (scratch folder shown as DIR) and the field, in the program's words.
  void rejectionMessages_data() {
    QTest::addColumn<QString>("target");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("expected");
    auto row = [](const char* target, const char* tag, const QByteArray& input, const char* expected) {
      if (left_out(target)) return;
      QTest::addRow("%s: %s", target, tag) << QString::fromLatin1(target) << input << QString::fromUtf8(expected);
    };
    const QByteArray st = "DIR/model.safetensors: ";
    row("safetensors", "header not JSON", safetensors("{\"a\" 1}  "),
        "DIR/model.safetensors: header is not valid JSON (parse error at line 1, column 6: syntax error while parsing object separator - unexpected number literal; expected ':')");
    row("safetensors", "header beyond file", safetensors("{}").replace(0, 1, "\x40") ,
        "DIR/model.safetensors: header length 64 extends beyond the end of the file (10 bytes)");
    row("safetensors", "offsets beyond file",
        safetensors(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", QByteArray(4, 'x')),
        "DIR/model.safetensors: w: data_offsets [0, 8] extend beyond the end of the file (data section is 4 bytes)");
    row("safetensors", "dtype missing", safetensors(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", "abcd"),
        "DIR/model.safetensors: w: dtype missing or not a string");
    row("safetensors", "tensor twice",
        safetensors(R"({"w": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}})", "abcd"),
        "DIR/model.safetensors: w: appears twice in the header");
    row("shard_index", "not JSON", "{",
        "DIR/sharded/model.safetensors.index.json: not valid JSON (parse error at line 1, column 2: syntax error while parsing object key - unexpected end of input; expected string literal)");
    row("shard_index", "not an object", "[1]",
        "DIR/sharded/model.safetensors.index.json: not a JSON object");
    row("shard_index", "no weight_map", R"({"metadata": {}})",
        "DIR/sharded/model.safetensors.index.json: weight_map missing or not an object");
    row("shard_index", "shard outside the folder", R"({"weight_map": {"a.weight": "../x.safetensors"}})",
        "DIR/sharded/model.safetensors.index.json: a.weight: shard file name '../x.safetensors' is not a plain file name in the model folder");
    row("shard_index", "missing shard", R"({"weight_map": {"a.weight": "model-00009-of-00009.safetensors"}})",
        "DIR/sharded/model.safetensors.index.json: a.weight: shard model-00009-of-00009.safetensors does not exist (DIR/sharded/model-00009-of-00009.safetensors)");
    row("model_config", "not JSON", "{\"hidden_size\": }",
        "config.json: not valid JSON (parse error at line 1, column 17: syntax error while parsing value - unexpected '}'; expected '[', '{', or a literal)");
    row("model_config", "not an object", "42",
        "config.json: not a JSON object");
    row("model_config", "missing field", R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64})",
        "config.json: intermediate_size is missing");
    row("model_config", "wrong type", R"({"architectures": ["LlamaForCausalLM"], "hidden_size": "64"})",
        "config.json: hidden_size = \"64\" is not an integer");
    row("model_config", "number overflow", R"({"hidden_size": 1e999})",
        "config.json: not valid JSON (number overflow parsing '1e999')");
    row("tokenizer_json", "not JSON", "{\"model\": [}",
        "tokenizer.json: not valid JSON (parse error at line 1, column 12: syntax error while parsing value - unexpected '}'; expected '[', '{', or a literal)");
    row("tokenizer_json", "merge outside vocab",
        R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}, "decoder": {"type": "ByteLevel"}})",
        "tokenizer.json: merge 0 (\"a\" + \"b\") uses a token that is not in the vocabulary");
    row("tokenizer_json", "vocab id repeats",
        R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}, "decoder": {"type": "ByteLevel"}})",
        "tokenizer.json: vocab id 0 repeats");
    row("tokenizer_json", "not byte-level",
        R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Whitespace"}})",
        "tokenizer.json: pre_tokenizer: type \"Whitespace\" is not supported (byte-level BPE needs Split/ByteLevel)");
    row("tokenizer_json", "vocab id not a number",
        R"({"model": {"type": "BPE", "vocab": {"a": "0"}, "merges": []}, "decoder": {"type": "ByteLevel"}})",
        "tokenizer.json: model.vocab[\"a\"]: expected an integer, found a string");
    row("tiktoken", "no ranks", "\n\n",
        "tokenizer.model: no tiktoken ranks in the file");
    row("tiktoken", "bad line", "YQ== 0\nYg==1\n",
        "tokenizer.model: line 2 is not \"<base64 token bytes> <rank>\"");
    row("tiktoken", "rank repeats", "YQ== 0\nYg== 0\n",
        "tokenizer.model: rank 0 repeats");
    row("tiktoken", "same bytes twice", "YQ== 0\nYQ== 1\n",
        "tokenizer.model: the same token bytes appear twice");
    row("tiktoken", "rank far beyond", "YQ== 0\nYg== 99999\n",
        "tokenizer.model: rank 99999 is far beyond the number of ranks (2)");
    row("sentencepiece", "protobuf", QByteArray("\x0a\x05\x0a\x03" "abc\xff\xff", 9),
        "DIR/tokenizer.model: not a valid SentencePiece model: the protobuf does not parse (truncated or not a model)");
    row("sentencepiece", "not a tokenizer", "hello",
        "DIR/tokenizer.model: not a tokenizer file (expected a SentencePiece model, tiktoken ranks or an HF tokenizer.json)");
    row("sentencepiece", "JSON", "{\"model\": 1",
        "DIR/tokenizer.model: not valid JSON (parse error at line 1, column 12: syntax error while parsing object - unexpected end of input; expected '}')");
    row("sentencepiece", "empty", "",
        "DIR/tokenizer.model: empty file");
    row("sentencepiece", "tiktoken line", "YQ== 0\nnot base64\n",
        "DIR/tokenizer.model: line 2 is not \"<base64 token bytes> <rank>\"");
    row("exemplar_index", "window out of range", patched_index(168 + 4, 0xfffffffe),
        "DIR/index.cexi: corrupted exemplar index: window 4294967294 out of range");
    row("exemplar_index", "position beyond window", patched_index(168 + 8, 7),
        "DIR/index.cexi: corrupted exemplar index: position 7 is beyond its window of 4 tokens");
    row("exemplar_index", "bad magic", "CEXJ" + read_all(QString::fromStdString(ce::fuzz::source_dir()) + "/seeds/exemplar_index/small.cexi").mid(4),
        "DIR/index.cexi: not an exemplar index (bad magic)");
    row("exemplar_index", "truncated", read_all(QString::fromStdString(ce::fuzz::source_dir()) + "/seeds/exemplar_index/small.cexi").left(200),
        "DIR/index.cexi: corrupted exemplar index: header says 528 bytes, file has 200 (truncated)");
    row("exemplar_index", "too short", "CEXI",
        "DIR/index.cexi: not an exemplar index (4 bytes, shorter than the 160-byte header)");
    row("session", "not JSON", "{",
        "DIR/session.json: not a session file (unterminated object at byte 1)");
    row("session", "unknown format", R"({"format": 7})",
        "DIR/session.json: format 7 is not supported (this program reads format 1)");
    row("session", "groups not an array", R"({"format": 1, "groups": "oops", "trace": {}})",
        "DIR/session.json: groups: expected an array, found a string");
    row("session", "bad basis", R"({"format": 1, "groups": [{"name": "g", "nodes": [{"basis": "x", "layer": 0, "pos": 0, "index": 0}]}]})",
        "DIR/session.json: groups[0].nodes[0].basis: unknown basis 'x' (expected mlp_act, mlp_out, attn, resid or sae)");
    row("session", "node not an object", R"({"format": 1, "groups": [{"name": "g", "nodes": [3]}]})",
        "DIR/session.json: groups[0].nodes[0]: expected an object, found a number");
    row("paired_dataset", "not JSON", "{\"clean_prefix\": \n",
        "DIR/data.jsonl:1: not valid JSON (parse error at line 1, column 18: syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal)");
    row("paired_dataset", "missing field", R"({"clean_prefix": "a", "patch_prefix": "b", "clean_answer": " a"})",
        "DIR/data.jsonl:1: missing field \"patch_answer\"");
    row("paired_dataset", "field not a string", R"({"clean_prefix": 1, "patch_prefix": "b", "clean_answer": " a", "patch_answer": " b"})",
        "DIR/data.jsonl:1: field \"clean_prefix\" must be a string");
    row("paired_dataset", "no usable example", R"({"clean_prefix": "ab", "patch_prefix": "ab", "clean_answer": " ab", "patch_answer": " ab"})",
        "DIR/data.jsonl: no usable example among 1 (0 with a multi-token answer, 0 with clean and patch prefixes of unequal token length, 1 with equal answers)");
    row("paired_dataset", "no examples", "\n\n",
        "DIR/data.jsonl: the data file has no examples");
    row("corpus", "not JSON", "{\"text\": \"a\"\n",
        "DIR/corpus.jsonl:1: not valid JSON (parse error at line 1, column 13: syntax error while parsing object - unexpected end of input; expected '}')");
    row("corpus", "no text", R"({"txt": "a"})",
        "DIR/corpus.jsonl:1: no \"text\" string in this JSON line");
    row("corpus", "text not a string", R"({"text": 5})",
        "DIR/corpus.jsonl:1: no \"text\" string in this JSON line");
    row("tokenizer_config", "not JSON", "{bos_token}",
        "DIR/tokcfg/tokenizer_config.json: not valid JSON (parse error at line 1, column 2: syntax error while parsing object key - invalid literal; last read: '{b'; expected string literal)");
    row("tokenizer_config", "bos not in vocab", R"({"bos_token": "<s>"})",
        "DIR/tokcfg/tokenizer_config.json: bos_token \"<s>\" is not in the vocabulary of DIR/tokcfg/tokenizer.json");
    row("tokenizer_config", "eos not in vocab", R"({"eos_token": {"content": "</s>"}})",
        "DIR/tokcfg/tokenizer_config.json: eos_token \"</s>\" is not in the vocabulary of DIR/tokcfg/tokenizer.json");
    row("tokenizer_config", "add_bos_token not a bool", R"({"add_bos_token": "yes"})",
        "DIR/tokcfg/tokenizer_config.json: add_bos_token: expected true or false, found a string");
    row("tokenizer_config", "bos_token a number", R"({"bos_token": 1})",
        "DIR/tokcfg/tokenizer_config.json: bos_token: expected a string, found a number");
    row("model_config", "no architecture", R"({"hidden_size": 64})",
        "config.json: neither model_type nor architectures is given (only Llama / LlamaForCausalLM is supported)");
    row("model_config", "not llama", R"({"architectures": ["GPT2LMHeadModel"]})",
        "config.json: architectures = [\"GPT2LMHeadModel\"] does not name LlamaForCausalLM (the only supported architecture)");
    row("tokenizer_json", "no model", R"({"vocab": {}})",
        "tokenizer.json: no \"model\" in tokenizer.json");
    row("tiktoken", "rank too large", "YQ== 99999999999\n",
        "tokenizer.model: line 1: rank too large");
    row("exemplar_index", "token outside vocabulary", patched_index(528 - 16, 999),
        "DIR/index.cexi: corrupted exemplar index: token id 999 outside the vocabulary");
    row("exemplar_index", "version", patched_index(4, 9),
        "DIR/index.cexi: exemplar index version 9 is not supported (expected 1); rebuild it with circuit-trace exemplars");
    row("session", "huge layer", R"({"format": 1, "node_interventions": [{"layer": 4.9e124, "pos": 0, "index": 0}]})",
        "DIR/session.json: node_interventions[0].layer: 4.9e+124 is not an integer >= -1");
    row("paired_dataset", "not an object", "[1]\n",
        "DIR/data.jsonl:1: not a JSON object");
    row("corpus", "nested too deep", QByteArray("{\"text\": ") + QByteArray(300, '[') + QByteArray(300, ']') + "}\n",
        "DIR/corpus.jsonl:1: JSON nested deeper than 256 levels");
    row("tokenizer_config", "eos_token object without content", R"({"eos_token": {"id": 3}})",
        "DIR/tokcfg/tokenizer_config.json: eos_token: missing \"content\"");
    row("prompt_set", "not JSON", "{\"prompt\": \"a\"\n",
        "DIR/prompts.jsonl:1: not valid JSON (parse error at line 1, column 15: syntax error while parsing object - unexpected end of input; expected '}')");
    row("prompt_set", "not an object", "[1]\n",
        "DIR/prompts.jsonl:1: not a JSON object");
    row("prompt_set", "no prompt", "{\"prompt\": \"a\"}\n{\"answer\": \" b\"}\n",
        "DIR/prompts.jsonl:2: missing \"prompt\"");
    row("prompt_set", "answer not a string", R"({"prompt": "a", "answer": true})",
        "DIR/prompts.jsonl:1: \"answer\": expected a string, found a boolean");
    row("prompt_set", "label an array", R"({"prompt": "a", "state": ["Texas"]})",
        "DIR/prompts.jsonl:1: label \"state\" must be a string, number or boolean");
    const std::string k1000 = "DIR/prompts.jsonl:1: label \"" + std::string(100, 'k') + "...\" must be a string, number or boolean";
    row("prompt_set", "label key of 1000 characters", "{\"prompt\": \"a\", \"" + QByteArray(1000, 'k') + "\": [1]}", k1000.c_str());
    row("set_trace", "not JSON", "{\"format\": ",
        "DIR/profiles.json: not valid JSON (parse error at line 1, column 12: syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal)");
    row("set_trace", "not an object", "[]",
        "DIR/profiles.json: expected a JSON object");
    row("set_trace", "no version", R"({"format": "circuit-explorer prompt-set trace"})",
        "DIR/profiles.json: missing \"version\"");
    row("set_trace", "options empty", profiles_head("{}") + "}",
        "DIR/profiles.json: options: missing \"target\"");
    row("set_trace", "prompt without text", profiles_head() + R"(, "columns": [], "prompts": [{}]})",
        "DIR/profiles.json: prompts[0]: missing \"prompt\"");
    const QByteArray one_prompt = R"(, "prompts": [{"prompt": "p", "labels": {}, "ids": [1], "m": 0}])";
    const std::string q1000 = "DIR/profiles.json: options.method: unknown value '" + std::string(100, 'q') + "...'";
    row("set_trace", "method of 1000 characters",
        profiles_head("{\"target\": \"diff\", \"baseline\": \"zero\", \"method\": \"" + QByteArray(1000, 'q') + "\"}") + "}",
        q1000.c_str());
    const std::string c1000 = "DIR/profiles.json: prompts[0].labels: missing column \"" + std::string(100, 'c') + "...\"";
    row("set_trace", "column of 1000 characters",
        profiles_head() + ", \"columns\": [\"" + QByteArray(1000, 'c') + "\"]" + one_prompt + "}", c1000.c_str());
    row("set_trace", "profile beyond float",
        profiles_head() + R"(, "columns": [])" + one_prompt +
            R"(, "neurons": [{"layer": 0, "index": 0, "total": 1, "profile": [1e300]}]})",
        "DIR/profiles.json: neurons[0].profile[0]: 1e+300 is beyond the range of a 32-bit float");
    const QByteArray graph_meta = R"({"metadata": {"slug": "s", "prompt_tokens": ["a"], "prompt": "a"}, )";
    const QByteArray graph_node = R"({"node_id": "E_1_0", "feature": 0, "layer": "E", "ctx_idx": 0, "feature_type": "embedding"})";
    row("graph_json", "not JSON", R"({"metadata": {"slug" 1}})",
        "DIR/graph.json: not valid JSON (parse error at line 1, column 22: syntax error while parsing object separator - unexpected number literal; expected ':')");
    row("graph_json", "node without ctx_idx",
        graph_meta + R"("nodes": [{"node_id": "E_1_0", "feature": 0, "layer": "E", "feature_type": "embedding"}], "links": []})",
        "DIR/graph.json: nodes[0]: missing \"ctx_idx\"");
    row("graph_json", "supernode row an object", graph_meta + R"("qParams": {"supernodes": [{"a": 1}]}, "nodes": [], "links": []})",
        "DIR/graph.json: qParams.supernodes[0]: expected [label, node id, ...], found an object");
    row("graph_json", "nested too deep", "{\"metadata\": " + QByteArray(300, '[') + QByteArray(300, ']') + "}",
        "DIR/graph.json: JSON nested deeper than 256 levels");
    row("graph_json", "link to an unknown node",
        graph_meta + "\"nodes\": [" + graph_node + R"(], "links": [{"source": "E_1_0", "target": "3_9_2", "weight": 1}]})",
        "DIR/graph.json: links[0].target: unknown node \"3_9_2\"");
    row("graph_json", "nodes an object", graph_meta + R"("nodes": {}, "links": []})",
        "DIR/graph.json: nodes: expected an array, found an object");
    const std::string d1000 = "DIR/graph.json: nodes[1].node_id: duplicate node \"" + std::string(200, 'd') + "...\"";
    const QByteArray long_node = QByteArray(graph_node).replace("E_1_0", QByteArray(1000, 'd'));
    row("graph_json", "node id of 1000 characters twice",
        graph_meta + "\"nodes\": [" + long_node + ", " + long_node + "], \"links\": []}", d1000.c_str());
  }

  void rejectionMessages() {
    QFETCH(QString, target);
    QFETCH(QByteArray, input);
    QFETCH(QString, expected);
    ce::fuzz::targets().at(target.toStdString())(reinterpret_cast<const uint8_t*>(input.constData()),
                                                 static_cast<size_t>(input.size()));
    QString message = QString::fromStdString(ce::fuzz::last_rejection());
    message.replace(QString::fromStdString(ce::fuzz::scratch_dir()), QStringLiteral("DIR"));
    QCOMPARE(message, expected);
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
