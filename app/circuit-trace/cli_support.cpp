#include "cli_support.h"

#include <atomic>
#include <csignal>
#include <cstdio>

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/model/model.h"
#include "ce/core/tokenizer/chat_format.h"
#include "ce/core/tokenizer/tokenizer.h"

namespace ce::trace {

using ce::core::Error;

Option threads_option() { return value("threads", "N", "compute threads, 0 = all cores", "0"); }

Option progress_option() { return flag("progress", "progress on stderr"); }

Option device_option() { return value("device", "cpu|cuda[:N]", "where the weights go and everything runs", "cpu"); }

ce::core::Device device_from(const Args& a) {
  try {
    return ce::core::parse_device(a.get("device"));
  } catch (const Error& e) {
    throw Error(std::string("--") + e.what());
  }
}

std::vector<Option> model_options() {
  return {value("model", "DIR", "model folder (default: the embedded demo model)"),
          value("dtype", "f32|bf16",
                "weights in memory (default: the stored dtype for models of >= 1B parameters, f32 below)"),
          threads_option(), device_option(),
          value("bf16-matmul", "auto|native|widen",
                "CPU products with bf16 weights: native bf16 kernels or widened to f32 (auto: the faster, timed at load)",
                "auto")};
}

std::vector<Option> prompt_options() {
  return {value("text", "T", "the prompt (or --ids)"),
          value("ids", "1,2,3", "the prompt as token ids (or --text)"),
          flag("chat", "wrap --text as a user message in the model's chat format"),
          value("system", "S", "with --chat: a system message before it")};
}

std::unique_ptr<ce::core::Model> open_model(const Args& a) {
  ce::core::LoadOptions o;
  if (a.has("dtype")) {
    auto d = ce::core::parse_dtype(a.get("dtype"));
    if (!d || *d == ce::core::DType::F16) {
      throw Error("--dtype must be f32 or bf16, not '" + a.get("dtype") + "'");
    }
    o.dtype = d;
  }
  o.threads = a.get_int("threads");
  if (o.threads < 0) throw Error("--threads must be >= 0");
  o.device = device_from(a);
  const auto matmul = ce::core::parse_bf16_matmul(a.get("bf16-matmul"));
  if (!matmul) throw Error("--bf16-matmul must be auto, native or widen, not '" + a.get("bf16-matmul") + "'");
  o.bf16_matmul = *matmul;
  return ce::core::Model::open(a.has("model") ? a.get("model") : ce::core::default_model_dir(), o);
}

BasisArg basis_arg(const Args& a, const ce::core::Model& model) {
  BasisArg out;
  const auto [basis, dictionaries] = ce::core::split_basis_spec(a.get("basis"));
  out.basis = basis;
  if (basis == ce::core::Basis::Features) {
    out.dictionaries =
        ce::core::DictionarySet::load(ce::core::DictionarySet::resolve(dictionaries, model.dir()), model.config());
  }
  return out;
}

std::vector<int> parse_ids(const std::string& s) {
  std::vector<int> ids = parse_int_list(s, "--ids");
  if (ids.empty()) throw Error("--ids: no ids given");
  return ids;
}

std::vector<int> prompt_ids(const Args& a, const ce::core::Tokenizer& tok, bool add_bos) {
  if (a.has("ids")) {
    if (a.has("text")) throw Error("give either --text or --ids, not both");
    return parse_ids(a.get("ids"));
  }
  const std::string text = a.get("text");
  if (a.flag("chat")) return ce::core::format_chat_prompt(tok, text, a.get_or("system", ""));
  return tok.encode(text, add_bos);
}

json pieces_json(const ce::core::Tokenizer& tok, const std::vector<int>& ids) {
  json p = json::array();
  for (int id : ids) p.push_back(tok.piece(id));
  return p;
}

// Through stdio, never std::cout: see main.cpp.
void print(const json& j) {
  // Pieces of byte-level vocabularies can be partial UTF-8; replace rather than fail.
  const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
}

namespace {

std::atomic<bool> g_cancel{false};
void on_interrupt(int) { g_cancel.store(true); }

}  // namespace

InterruptCancels::InterruptCancels(bool progress_on_stderr) {
  control_.cancel = &g_cancel;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  if (progress_on_stderr) {
    auto last = std::make_shared<std::chrono::steady_clock::time_point>();
    control_.progress = [last](double f, const std::string& msg) {
      const auto now = std::chrono::steady_clock::now();
      if (f < 1.0 && now - *last < std::chrono::milliseconds(500)) return;
      *last = now;
      std::fprintf(stderr, "[%3.0f%%] %s\n", 100.0 * f, msg.c_str());
    };
  }
}

InterruptCancels::~InterruptCancels() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

std::string format_seconds(double s) {
  if (s < 0) return "?";
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  }
  return buf;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace ce::trace
