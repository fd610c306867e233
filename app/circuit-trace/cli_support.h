// What the command files share: option groups several commands take, model and prompt loading from those
// options, JSON output and Ctrl-C cancellation.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ce/core/base/job.h"
#include "command_table.h"

#include "ce/core/circuits/basis.h"
#include "ce/core/model/device.h"

namespace ce::core {
class DictionarySet;
}

namespace ce::core {
class Model;
class Tokenizer;
}  // namespace ce::core

namespace ce::trace {

using nlohmann::json;

// --model, --dtype, --threads, --device, --bf16-matmul: every command that loads a model (open_model reads
// them).
std::vector<Option> model_options();
// --text, --ids, --chat, --system: a prompt typed or given as ids (prompt_ids reads them).
std::vector<Option> prompt_options();
// The help line of --threads, shared with the commands that take --threads without a model.
Option threads_option();
// --progress: the long commands' progress on stderr (InterruptCancels prints it).
Option progress_option();
// --device, for the commands that open a model without model_options(); device_from parses it (an Error
// that names --device for a bad spelling; whether the GPU exists is Model::open's check).
Option device_option();
ce::core::Device device_from(const Args& a);

std::unique_ptr<ce::core::Model> open_model(const Args& a);

// --basis as every command reads it: a basis name, or sae:PATH / sae:NAME, whose dictionaries are then loaded
// for `model` (null for the other bases). Throws Error for a bad name or set.
struct BasisArg {
  ce::core::Basis basis = ce::core::Basis::MlpAct;
  std::shared_ptr<const ce::core::DictionarySet> dictionaries;
};
BasisArg basis_arg(const Args& a, const ce::core::Model& model);
// --ids verbatim, or --text tokenized (in the chat format with --chat).
std::vector<int> prompt_ids(const Args& a, const ce::core::Tokenizer& tok, bool add_bos);
std::vector<int> parse_ids(const std::string& text);
json pieces_json(const ce::core::Tokenizer& tok, const std::vector<int>& ids);

// The one JSON document of a command, on stdout.
void print(const json& j);

// While it lives, Ctrl-C and SIGTERM cancel the computation given control() (it throws Cancelled at its next
// check, leaving no half-written file); afterwards they terminate the process again, so a later step that
// does not check (the evaluation after training) stays interruptible.
class InterruptCancels {
 public:
  // With `progress_on_stderr`, control() also prints "[ 42%] message" on stderr at most twice a second.
  explicit InterruptCancels(bool progress_on_stderr = false);
  ~InterruptCancels();
  InterruptCancels(const InterruptCancels&) = delete;
  InterruptCancels& operator=(const InterruptCancels&) = delete;
  const ce::core::JobControl& control() const { return control_; }

 private:
  ce::core::JobControl control_;
};

std::string format_seconds(double seconds);  // "4m05s", "1h02m"; "?" when unknown (negative)
double seconds_since(std::chrono::steady_clock::time_point t0);

}  // namespace ce::trace
