// circuit-trace: the headless command line of Circuit Explorer. Every command prints one JSON document on
// stdout; on error it prints one line on stderr and exits with code 2.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ce/core/chat_format.h"
#include "ce/core/error.h"
#include "ce/core/model.h"
#include "ce/core/tokenizer.h"

using ce::core::Error;
using nlohmann::json;

namespace {

const char* kUsage =
    "usage: circuit-trace <command> [options]\n"
    "commands:\n"
    "  info      --model DIR\n"
    "  tokenize  (--model DIR | --tokenizer FILE) --text T [--no-bos] [--chat] [--system S]\n"
    "  logits    --model DIR (--text T | --ids 1,2,3) [--top K] [--all]\n"
    "  generate  --model DIR (--text T | --ids 1,2,3) --max-new-tokens N\n"
    "common options: --dtype f32|bf16, --threads N (0 = all cores), --chat, --system S\n";

// Parsed "--name value" and "--flag" options of one command; unknown options are errors so a typo never
// silently changes what runs.
class Args {
 public:
  Args(int argc, char** argv, int first, const std::set<std::string>& flags,
       const std::set<std::string>& valued) {
    for (int i = first; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) throw Error("unexpected argument '" + a + "'");
      std::string name = a.substr(2);
      if (flags.count(name)) {
        flags_.insert(name);
      } else if (valued.count(name)) {
        if (i + 1 >= argc) throw Error("option --" + name + " needs a value");
        values_[name] = argv[++i];
      } else {
        throw Error("unknown option --" + name);
      }
    }
  }
  bool flag(const std::string& n) const { return flags_.count(n) > 0; }
  bool has(const std::string& n) const { return values_.count(n) > 0; }
  std::string get(const std::string& n) const {
    auto it = values_.find(n);
    if (it == values_.end()) throw Error("missing required option --" + n);
    return it->second;
  }
  std::string get(const std::string& n, const std::string& fallback) const {
    return has(n) ? values_.at(n) : fallback;
  }
  int get_int(const std::string& n, int fallback) const {
    if (!has(n)) return fallback;
    return parse_int(values_.at(n), "--" + n);
  }
  static int parse_int(const std::string& s, const std::string& what) {
    try {
      size_t used = 0;
      long v = std::stol(s, &used);
      if (used != s.size() || v < -2147483647L || v > 2147483647L) throw std::invalid_argument(s);
      return static_cast<int>(v);
    } catch (const std::exception&) {
      throw Error(what + ": '" + s + "' is not an integer");
    }
  }

 private:
  std::set<std::string> flags_;
  std::map<std::string, std::string> values_;
};

std::vector<int> parse_ids(const std::string& s) {
  std::vector<int> ids;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) ids.push_back(Args::parse_int(item, "--ids"));
  if (ids.empty()) throw Error("--ids: no ids given");
  return ids;
}

void print(const json& j) {
  // Pieces of byte-level vocabularies can be partial UTF-8; replace rather than fail.
  std::cout << j.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
}

std::unique_ptr<ce::core::Model> open_model(const Args& a) {
  ce::core::LoadOptions o;
  if (a.has("dtype")) {
    auto d = ce::core::parse_dtype(a.get("dtype"));
    if (!d || *d == ce::core::DType::F16) throw Error("--dtype must be f32 or bf16, not '" + a.get("dtype") + "'");
    o.dtype = d;
  }
  o.threads = a.get_int("threads", 0);
  if (o.threads < 0) throw Error("--threads must be >= 0");
  return ce::core::Model::open(a.get("model"), o);
}

// Token ids of the prompt: --ids verbatim, or --text tokenized (optionally in the chat format).
std::vector<int> prompt_ids(const Args& a, const ce::core::Tokenizer& tok, bool add_bos) {
  if (a.has("ids")) {
    if (a.has("text")) throw Error("give either --text or --ids, not both");
    return parse_ids(a.get("ids"));
  }
  const std::string text = a.get("text");
  if (a.flag("chat")) return ce::core::format_chat_prompt(tok, text, a.get("system", ""));
  return tok.encode(text, add_bos);
}

json pieces_json(const ce::core::Tokenizer& tok, const std::vector<int>& ids) {
  json p = json::array();
  for (int id : ids) p.push_back(tok.piece(id));
  return p;
}

int cmd_info(const Args& a) {
  auto model = open_model(a);
  const ce::core::ModelInfo i = model->info();
  print({{"layers", i.layers}, {"d_model", i.d_model}, {"d_mlp", i.d_mlp}, {"heads", i.heads},
         {"kv_heads", i.kv_heads}, {"vocab", i.vocab}, {"params", i.params},
         {"dtype", ce::core::dtype_short_name(i.dtype)}});
  return 0;
}

int cmd_tokenize(const Args& a) {
  std::unique_ptr<ce::core::Model> model;
  std::unique_ptr<ce::core::Tokenizer> own;
  const ce::core::Tokenizer* tok = nullptr;
  if (a.has("tokenizer")) {
    if (a.has("model")) throw Error("give either --model or --tokenizer, not both");
    own = ce::core::Tokenizer::from_file(a.get("tokenizer"));
    tok = own.get();
  } else {
    if (!a.has("model")) throw Error("missing required option --model (or --tokenizer)");
    own = ce::core::Tokenizer::from_model_dir(a.get("model"));
    tok = own.get();
  }
  const bool bos = a.flag("no-bos") ? false : tok->default_add_bos();
  const std::vector<int> ids = prompt_ids(a, *tok, bos);
  print({{"ids", ids}, {"pieces", pieces_json(*tok, ids)}});
  return 0;
}

int cmd_logits(const Args& a) {
  auto model = open_model(a);
  const std::vector<int> ids = prompt_ids(a, model->tokenizer(), model->tokenizer().default_add_bos());
  const std::vector<float> logits = model->next_logits(ids);
  const int k = a.get_int("top", 10);
  if (k < 0) throw Error("--top must be >= 0");
  json top = json::array();
  for (const auto& t : model->top_k(logits, k)) {
    top.push_back({{"id", t.id}, {"piece", t.piece}, {"logit", t.logit}, {"prob", t.prob}});
  }
  json out = {{"ids", ids}, {"top", top}};
  if (a.flag("all")) out["logits"] = logits;
  print(out);
  return 0;
}

int cmd_generate(const Args& a) {
  auto model = open_model(a);
  const std::vector<int> ids = prompt_ids(a, model->tokenizer(), model->tokenizer().default_add_bos());
  const int n = Args::parse_int(a.get("max-new-tokens"), "--max-new-tokens");
  if (n < 0 || n > 100000) throw Error("--max-new-tokens must be in 0..100000");
  const std::vector<int> out = model->generate(ids, n);
  print({{"ids", out}, {"text", model->tokenizer().decode(out)}});
  return 0;
}

// First line only: LibTorch errors carry multi-line backtraces.
std::string first_line(const std::string& s) {
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cerr << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  const std::set<std::string> common_valued = {"model", "dtype", "threads"};
  auto with = [&](std::set<std::string> extra) {
    extra.insert(common_valued.begin(), common_valued.end());
    return extra;
  };
  try {
    if (cmd == "info") return cmd_info(Args(argc, argv, 2, {}, with({})));
    if (cmd == "tokenize") {
      return cmd_tokenize(Args(argc, argv, 2, {"no-bos", "chat"}, with({"tokenizer", "text", "system"})));
    }
    if (cmd == "logits") return cmd_logits(Args(argc, argv, 2, {"all", "chat"}, with({"text", "ids", "top", "system"})));
    if (cmd == "generate") {
      return cmd_generate(Args(argc, argv, 2, {"chat"}, with({"text", "ids", "max-new-tokens", "system"})));
    }
    std::cerr << "circuit-trace: unknown command '" << cmd << "'\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "circuit-trace: error: " << first_line(e.what()) << "\n";
    return 2;
  }
}
