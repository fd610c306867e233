// Labelled prompt sets (JSON Lines: "prompt", "answer", label columns), as trace-set and the explorer read
// them: the whole set and its first two prompts, then the label values of every column and of one that is
// missing.
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "ce/core/base/error.h"
#include "ce/core/prompt_sets/prompt_set.h"
#include "fuzz_target.h"

namespace {

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "ce-fuzz: prompt set: %s\n", what);
  std::abort();
}

}  // namespace

CE_FUZZ_TARGET(prompt_set) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string path = ce::fuzz::write_scratch("prompts.jsonl", data, size);
  ce::fuzz::run_guarded(
      [&] {
        // The limited read first: the full read's rejection (if any) is the one the replay suite sees.
        std::vector<ce::core::LabelledPrompt> head;
        ce::fuzz::run_guarded(
            [&] {
              head = ce::core::load_prompt_set(path, 2).prompts;
              if (head.empty() || head.size() > 2)
                finding("load_prompt_set(path, 2) kept 0 or more than 2 prompts");
            },
            path, input);
        const ce::core::PromptSet set = ce::core::load_prompt_set(path);
        if (set.prompts.empty()) finding("a set that loads has no prompts");
        if (head.size() != std::min<size_t>(2, set.prompts.size())) {
          finding("the limit does not keep the first prompts");
        }
        for (size_t i = 0; i < head.size(); ++i) {
          if (head[i].prompt != set.prompts[i].prompt || head[i].labels != set.prompts[i].labels) {
            finding("the limited read differs from the full read");
          }
        }
        if (!std::is_sorted(set.columns.begin(), set.columns.end()))
          finding("columns are not in alphabetical order");
        // Every column is on every prompt, so its values must come back, one per prompt.
        for (const std::string& column : set.columns) {
          try {
            if (ce::core::label_values(set, column).size() != set.prompts.size())
              finding("one value per prompt");
          } catch (const ce::core::Error& e) {
            std::fprintf(stderr, "ce-fuzz: label_values refused a column of the set: %s\n", e.what());
            std::abort();
          }
        }
        // A column the set lacks (unless the input names it): values, or one Error under the message rule.
        // Not a rejection of the file, so it is checked here rather than through run_guarded.
        try {
          if (ce::core::label_values(set, "no-such-column").size() != set.prompts.size()) {
            finding("one value per prompt");
          }
        } catch (const ce::core::Error& e) {
          const std::string problem = ce::fuzz::message_problem(e.what(), path, input);
          if (!problem.empty()) {
            std::fprintf(stderr, "ce-fuzz: bad label_values message (%s):\n%s\n", problem.c_str(), e.what());
            std::abort();
          }
        }
      },
      path, input);
}
