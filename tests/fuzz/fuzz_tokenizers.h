// What the tokenizer targets do with a tokenizer that loaded: encode and decode text that reaches the
// special-token, byte-fallback and merge paths, and look up every piece, so a hostile vocabulary that
// parses but breaks tokenization is found too.
#pragma once

#include <string>

#include "ce/core/base/error.h"
#include "ce/core/tokenizer/tokenizer.h"

namespace ce::fuzz {

inline void exercise_tokenizer(const ce::core::Tokenizer& tok) {
  static const std::string kText = "Fact: the capital of the state containing Dallas is Austin. <|x|><|s|>"
                                   "<|begin_of_text|> 12345 h\xc3\xa9llo \xf0\x9f\x98\x80\n\n  ab ab c";
  const auto ids = tok.encode(kText, true, true);
  (void)tok.decode(ids);
  (void)tok.encode(kText, false, false);
  const int n = tok.vocab_size();
  for (int id = 0; id < n && id < 4096; ++id) {
    // An id between the file's ids has no piece: piece() says so with an Error, which is its contract, not a
    // rejection of the file.
    try {
      (void)tok.piece(id);
    } catch (const ce::core::Error&) {
    }
  }
  (void)tok.special_id("<|eot_id|>");
}

}  // namespace ce::fuzz
