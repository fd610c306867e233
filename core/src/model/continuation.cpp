#include "ce/core/model/continuation.h"

#include <algorithm>

#include "ce/core/model/model_config.h"
#include "ce/core/tokenizer/tokenizer.h"

namespace ce::core {

std::string continuation_text(const Model& model, const std::vector<int>& generated, bool leading_space) {
  std::vector<int> shown = generated;
  const auto& eos = model.config().eos_token_ids;
  if (!shown.empty() && (shown.back() == model.tokenizer().eos_id() ||
                         std::find(eos.begin(), eos.end(), shown.back()) != eos.end()))
    shown.pop_back();
  std::string text = model.tokenizer().decode(shown);
  if (leading_space && !shown.empty() && model.token_text(shown[0]).rfind(' ', 0) == 0 &&
      text.rfind(' ', 0) != 0)
    text.insert(0, " ");
  return text;
}

}  // namespace ce::core
