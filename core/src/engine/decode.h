// Greedy decoding on the engine, with a KV cache or by recomputing the whole sequence per token: the one
// loop behind Model::generate and generate_with, reachable without a tokenizer (the generation benchmark).
// Internal to ce_core (includes torch).
#pragma once

#include <functional>
#include <vector>

#include "ce/core/model/model.h"
#include "engine/llama.h"

namespace ce::core {

// A hook that also knows where x lies in the sequence: row i of x is position first + i. With the cache,
// x holds only the positions a step computes (the prompt in the first step, then one new token); without
// it, the whole sequence from position 0.
using PositionedHook =
    std::function<torch::Tensor(Site site, int layer, int64_t first, const torch::Tensor& x)>;

struct DecodeOptions {
  PositionedHook hook;               // optional; may throw (e.g. Cancelled), which ends the decoding
  std::vector<int64_t> stop_ids;     // a generated id in this list ends the continuation (it is included)
  Decoding decoding = Decoding::Cached;
  std::function<void(int generated)> on_token;  // optional: after each new token, with the count so far
};

// Appends up to max_new_tokens argmax tokens to `prompt` and returns only the new ones. A continuation
// stops after a stop id or where the context ends (max_position_embeddings); only a prompt already past
// the context is an error. The caller holds a NoGradGuard. The KV cache lives inside the call, so the
// function is thread-safe as LlamaModel::forward is. Throws Error for an empty prompt or ids outside the
// vocabulary, and whatever the hook throws.
std::vector<int> greedy_decode(const LlamaModel& engine, const std::vector<int>& prompt, int max_new_tokens,
                               const DecodeOptions& options);

}  // namespace ce::core
