#include "ce/core/base/error.h"

namespace ce::core {

std::string user_message(const std::exception& e) {
  std::string text = e.what();
  if (!dynamic_cast<const Error*>(&e)) text = text.substr(0, text.find('\n'));
  return text.empty() ? "unknown error" : text;
}

}  // namespace ce::core
