// Prompt JSON Lines as the exemplar builder reads its corpus: {"text": ...} per line, read to the end.
#include "exemplars/corpus_reader.h"
#include "fuzz_target.h"

CE_FUZZ_TARGET(corpus) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string path = ce::fuzz::write_scratch("corpus.jsonl", data, size);
  ce::fuzz::run_guarded(
      [&] {
        ce::core::CorpusReader reader(path);
        std::string doc;
        while (reader.next(doc)) {
        }
        (void)reader.fraction();
      },
      path, input);
}
