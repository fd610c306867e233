// Inputs of attribution: paired prompts (clean / patch) with single-token answers, from JSON Lines files or
// typed by the user.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "ce/core/tokenizer/tokenizer.h"

namespace ce::core {

// One example. Paired: `patch` has the same length as `clean` and gives the baseline activations.
// Unpaired: `patch` is empty and the baseline is zero. `contrast` < 0: the metric is logit(answer) alone.
struct AttributionExample {
  std::vector<int> clean;   // prompt ids, BOS included
  std::vector<int> patch;   // same length as clean, or empty
  int answer = -1;          // token id of the clean answer (-1: none, only for the topk metric)
  int contrast = -1;        // token id of the contrast (patch) answer, or -1
  std::string label;        // "case" of the data file ("plural"), or the prompt text
};

// Result of reading a paired file, with what was dropped and why.
struct PairedDataset {
  std::vector<AttributionExample> examples;
  size_t lines = 0;              // non-empty lines read (before --limit)
  size_t multi_token = 0;        // dropped: an answer is not exactly one token
  size_t unequal_length = 0;     // dropped: clean and patch prefixes tokenize to different lengths
  size_t same_answer = 0;        // dropped: clean and patch answers are the same token
};

// Ids of `prompt` (model's BOS rule) and of `answer` as it continues the prompt: prompt + answer is
// tokenized as one text and split where the prompt's own ids end (how the model saw it in training), else
// the answer is encoded alone. Thread-safe.
std::pair<std::vector<int>, std::vector<int>> split_prompt_answer(const Tokenizer& tok, bool add_bos,
                                                                  const std::string& prompt,
                                                                  const std::string& answer);

// Reads a JSON Lines file of {"clean_prefix","patch_prefix","clean_answer","patch_answer","case"} objects
// (the format of Marks et al.'s SVA data; "case" optional). Keeps the examples whose answers are single,
// distinct tokens and whose prefixes have equal token length; `limit` > 0 keeps at most that many. Throws
// Error "<path>:<line>: ..." for unreadable JSON or a missing/non-string field, and Error "<path>: ..."
// for a missing or empty file, or when no example is usable (the message counts each reason).
PairedDataset load_paired_dataset(const std::string& path, const Tokenizer& tok, size_t limit = 0);

// The naming rule of split datasets, kept in this one place: "<stem>_train.json" (or .jsonl) is paired with
// "<stem>_test.json" (.jsonl) beside it. Returns that test path, or "" for a file not named so (whether or not
// the test file exists: loading it reports a missing one).
std::string paired_test_file(const std::string& train_path);

// A dataset for a faithfulness curve: attribution examples and evaluation examples.
struct TrainTest {
  std::vector<AttributionExample> train, test;
};
// With a paired test file (paired_test_file), the first `limit` usable examples of each; otherwise the first
// 2 * limit of the one file split in halves, train first (limit 0: all). Throws Error as load_paired_dataset,
// and Error "<path>: fewer than two usable examples" for a single file that cannot be split.
TrainTest load_train_test(const std::string& path, const Tokenizer& tok, size_t limit);

// How typed text becomes a prompt's ids.
enum class PromptFormat {
  Plain,  // the text itself, with the model's BOS rule
  Chat,   // the text as one user message of the model's chat format, the assistant's turn opened after it
          // (format_chat_prompt: Llama 3 headers for BPE vocabularies, Llama 2 [INST] for SentencePiece)
};

// Ids of a typed prompt. Throws Error when the tokenizer lacks the chat format's special tokens. Thread-safe.
std::vector<int> prompt_ids(const Tokenizer& tok, const std::string& text, PromptFormat format);

// The ids of `answer` as the model sees it after the prompt `text`: continuing the prompt (split_prompt_answer),
// or with PromptFormat::Chat as the start of the assistant's reply. The one rule of make_example and of the
// explorer's live tokenization of its answer fields. Throws Error as prompt_ids. Thread-safe.
std::vector<int> answer_ids(const Tokenizer& tok, const std::string& text, const std::string& answer,
                            PromptFormat format);

// An example from typed text. `contrast` and `patch_text` may be empty. With PromptFormat::Chat both prompts
// are chat-formatted and an answer is what the assistant's turn starts with. Throws Error when an answer is
// not exactly one token, the patch prompt's length differs from the prompt's, or the chat format fails.
AttributionExample make_example(const Tokenizer& tok, const std::string& text, const std::string& answer,
                                const std::string& contrast = {}, const std::string& patch_text = {},
                                PromptFormat format = PromptFormat::Plain);

}  // namespace ce::core
