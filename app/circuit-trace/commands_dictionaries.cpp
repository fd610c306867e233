// Sparse dictionaries: training TopK SAEs and transcoders on a model's activations (train-sae).
#include <string>

#include "ce/core/base/error.h"
#include "ce/core/base/resources.h"
#include "ce/core/dictionaries/sae_training.h"
#include "ce/core/model/model.h"
#include "cli_support.h"
#include "commands.h"

namespace ce::trace {

using ce::core::Error;

namespace {

void train_sae(const Args& a) {
  auto model = open_model(a);
  ce::core::SaeTrainingOptions o;
  o.corpus_path = a.get_or("corpus", ce::core::default_datasets_dir() + "/exemplar_corpus.txt");
  o.out_dir = a.get("out");
  o.site = ce::core::parse_sae_training_site(a.get("site"));
  o.layer = a.get_int("layer");
  o.expansion = a.get_int("expansion");
  o.k = a.get_int("k");
  o.seed = a.get_u64("seed");
  o.steps = a.get_int("steps");
  o.batch = a.get_int("batch");
  o.learning_rate = a.get_double("lr");
  o.train_tokens = static_cast<int64_t>(a.get_u64("train-tokens"));
  o.heldout_tokens = static_cast<int64_t>(a.get_u64("heldout-tokens"));
  o.context = a.get_int("context");
  // Progress always goes to stderr: training takes minutes, and stdout holds only the JSON result.
  const ce::core::SaeTrainingResult r = [&] {
    const InterruptCancels interrupt(true);
    return ce::core::train_dictionary(*model, o, interrupt.control());
  }();
  print({{"out", o.out_dir},
         {"site", ce::core::sae_training_site_name(o.site)},
         {"hook_name", r.info.hook_in},
         {"hook_name_out", r.info.hook_out},
         {"layer", r.info.layer},
         {"d_sae", r.info.d_sae},
         {"k", r.info.k},
         {"seed", o.seed},
         {"train_tokens", r.train_tokens},
         {"heldout_tokens", r.heldout_tokens},
         {"fvu", r.fvu},
         {"fvu_init", r.fvu_init},
         {"mean_l0", r.mean_l0},
         {"dead_features", r.dead_features},
         {"ce_clean", r.ce_clean},
         {"ce_spliced", r.ce_spliced},
         {"accuracy_clean", r.accuracy_clean},
         {"accuracy_spliced", r.accuracy_spliced},
         {"predictions", r.predictions},
         {"final_loss", r.final_loss},
         {"seconds", r.seconds}});
}

}  // namespace

std::vector<Command> dictionary_commands() {
  const ce::core::SaeTrainingOptions d;
  return {
      {"train-sae",
       "train a TopK SAE or transcoder on the model's activations; writes a SAELens folder with its FVU, L0, "
       "dead features and spliced accuracy (progress on stderr)",
       options({{required("out", "DIR", "the dictionary folder to write (cfg.json, sae_weights.safetensors, "
                                        "metrics.json)"),
                 required("layer", "L", "the layer"),
                 value("site", "mlp_out|resid|transcoder",
                       "what it reads: the MLP's output, the layer's output (resid_post), or the MLP's "
                       "input mapped to its output",
                       "mlp_out"),
                 value("corpus", "FILE",
                       "the corpus: .txt (one document a line) or .jsonl (default: the shipped "
                       "exemplar_corpus.txt)"),
                 value("expansion", "E", "features per model dimension", std::to_string(d.expansion)),
                 value("k", "K", "active features per token", std::to_string(d.k)),
                 value("seed", "S", "seed of the initialisation and batch order", std::to_string(d.seed)),
                 value("steps", "N", "Adam steps", std::to_string(d.steps)),
                 value("batch", "B", "tokens per step", std::to_string(d.batch)),
                 value("lr", "X", "Adam's learning rate", "0.001"),
                 value("train-tokens", "N", "tokens of activations to train on", std::to_string(d.train_tokens)),
                 value("heldout-tokens", "N", "tokens after them for the metrics",
                       std::to_string(d.heldout_tokens)),
                 value("context", "C", "tokens per window", std::to_string(d.context))},
                model_options()}),
       train_sae, ""},
  };
}

}  // namespace ce::trace
