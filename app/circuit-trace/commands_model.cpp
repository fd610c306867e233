// The model itself: its dimensions, its tokenizer, its next-token logits and greedy continuations.
#include <memory>

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "ce/core/model/continuation.h"
#include "ce/core/model/model.h"
#include "ce/core/tokenizer/tokenizer.h"
#include "cli_support.h"
#include "commands.h"

namespace ce::trace {

using ce::core::Error;

namespace {

void info(const Args& a) {
  auto model = open_model(a);
  const ce::core::ModelInfo i = model->info();
  print({{"layers", i.layers},
         {"d_model", i.d_model},
         {"d_mlp", i.d_mlp},
         {"heads", i.heads},
         {"kv_heads", i.kv_heads},
         {"vocab", i.vocab},
         {"params", i.params},
         {"dtype", ce::core::dtype_short_name(i.dtype)},
         {"device", i.device.name()},
         {"bf16_matmul", ce::core::bf16_matmul_name(i.matmul)},
         {"bf16_matmul_reason", i.matmul_reason}});
}

void tokenize(const Args& a) {
  std::unique_ptr<ce::core::Tokenizer> tok;
  if (a.has("tokenizer")) {
    if (a.has("model")) throw Error("give either --model or --tokenizer, not both");
    tok = ce::core::Tokenizer::from_file(a.get("tokenizer"));
  } else {
    tok =
        ce::core::Tokenizer::from_model_dir(a.has("model") ? a.get("model") : ce::core::default_model_dir());
  }
  const bool bos = a.flag("no-bos") ? false : tok->default_add_bos();
  const std::vector<int> ids = prompt_ids(a, *tok, bos);
  print({{"ids", ids}, {"pieces", pieces_json(*tok, ids)}});
}

void logits(const Args& a) {
  auto model = open_model(a);
  const std::vector<int> ids = prompt_ids(a, model->tokenizer(), model->tokenizer().default_add_bos());
  const std::vector<float> logits = model->next_logits(ids);
  const int k = a.get_int("top");
  if (k < 0) throw Error("--top must be >= 0");
  json top = json::array();
  for (const auto& t : model->top_k(logits, k)) {
    top.push_back({{"id", t.id}, {"piece", t.piece}, {"text", t.text}, {"logit", t.logit}, {"prob", t.prob}});
  }
  json out = {{"ids", ids}, {"top", top}};
  if (a.flag("all")) out["logits"] = logits;
  print(out);
}

void generate(const Args& a) {
  auto model = open_model(a);
  const std::vector<int> ids = prompt_ids(a, model->tokenizer(), model->tokenizer().default_add_bos());
  const int n = a.get_int("max-new-tokens");
  if (n < 0 || n > 100000) throw Error("--max-new-tokens must be in 0..100000");
  const std::vector<int> out = model->generate(ids, n);
  // llama2.c's decode: no leading space added, so the text matches its reference continuations.
  print({{"ids", out}, {"text", ce::core::continuation_text(*model, out, false)}});
}

}  // namespace

std::vector<Command> model_commands() {
  return {
      {"info", "the model's dimensions, parameter count, dtype, device and bf16 matmul path", model_options(), info, ""},
      {"tokenize", "token ids and pieces of a text",
       options(
           {{value("tokenizer", "FILE", "a tokenizer file instead of a model folder's"),
             required("text", "T", "the text to tokenize"), flag("no-bos", "do not prepend the BOS token"),
             flag("chat", "wrap the text as a user message in the model's chat format"),
             value("system", "S", "with --chat: a system message before it")},
            model_options()}),
       tokenize, ""},
      {"logits", "the most likely next tokens after a prompt",
       options({prompt_options(),
                {value("top", "K", "how many of the most likely tokens to list", "10"),
                 flag("all", "add every logit of the vocabulary")},
                model_options()}),
       logits, ""},
      {"generate", "the greedy continuation of a prompt",
       options({prompt_options(),
                {required("max-new-tokens", "N", "tokens to generate, 0..100000")},
                model_options()}),
       generate, ""},
  };
}

}  // namespace ce::trace
