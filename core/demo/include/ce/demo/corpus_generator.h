// Training text for the embedded demo model: facts of the synthetic world, subject-verb agreement
// sentences and varied filler, one document per line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ce/demo/data_split.h"
#include "ce/demo/sva_vocabulary.h"
#include "ce/demo/world.h"

namespace ce::core {

struct CorpusOptions {
  uint64_t seed = kDefaultWorldSeed;
  // The training corpus grows document by document until it holds at least this many bytes (newlines
  // included). The default, about 3 MB (~32k documents), suits a ~30-minute CPU training run.
  size_t target_chars = 3'000'000;
  // Same for the exemplar corpus (text to find a neuron's top activations on, never trained on).
  size_t exemplar_target_chars = 400'000;
};

struct CorpusStats {
  size_t documents = 0;
  size_t chars = 0;  // bytes, newlines included
};

// Writes deterministic text about a World. Document kinds, by share of documents:
//   city -> state facts in ten phrasings ("Dallas is a city in Texas.", "Fact: the state containing
//   Dallas is Texas.")                                                                              ~20 %
//   state -> capital facts in seven phrasings ("The capital of Texas is Austin.")                 ~8 %
//   two-hop facts ("Fact: the capital of the state containing Dallas is Austin.", worked chains)  ~16 %
//   mixed "Fact:" lists and state profiles                                                        ~9 %
//   subject-verb agreement sentences of the four Marks et al. task types                         ~28 %
//   filler: people, arithmetic and counting, short stories, city profiles, general facts          ~19 %
// Held-out cities (DataSplit) keep their one-hop facts, but no document names a held-out city together
// with its state's capital, so their two-hop answers can only come from composition. SVA sentences always
// continue past the agreeing verb ("The uncle near the dogs has a red car."), so no training sentence
// equals an evaluation prompt or prompt + answer, and test-only noun combinations (DataSplit) never occur.
// Words are chosen so that no word of the corpus starts with a single-piece symbol unless it is one
// (e.g. no "many", which a "▁man" piece would split), see single_piece_symbols().
// Output is ASCII, and identical for equal inputs on every platform (own PRNG, no <random>).
// Thread rules: immutable after construction; const methods may run concurrently. Copies what it needs.
class CorpusGenerator {
 public:
  CorpusGenerator(const World& world, const SvaVocabulary& vocabulary, const DataSplit& split,
                  const CorpusOptions& options = {});

  // The training corpus, one document per element (no newline inside).
  std::vector<std::string> training_documents() const;
  // A different stream of the same distribution, for neuron exemplars; it shares no generator draws
  // with the training corpus (it still keeps held-out two-hop facts out).
  std::vector<std::string> exemplar_documents() const;

  // Write the corpus to `path`, one document per line ('\n'), replacing the file. Throw Error when the
  // file cannot be written.
  CorpusStats write_training_corpus(const std::string& path) const;
  CorpusStats write_exemplar_corpus(const std::string& path) const;

  // Strings the tokenizer must keep as single pieces (for SentencePiece's user_defined_symbols): every
  // word of every state, capital and city name, every SVA noun (singular and plural), preposition and
  // verb form, each with the leading "▁" (U+2581) that marks a preceding space. No duplicates; fixed
  // order (world words first). With these as pieces, a name of k words is k tokens, so prompts whose
  // names have equal word counts have equal token counts.
  std::vector<std::string> single_piece_symbols() const;

  // The two-hop prompt for a city ("Fact: the capital of the state containing Dallas is"), shared with
  // the dataset writer so datasets and training text use the same words.
  static std::string two_hop_prompt(std::string_view city);
  // The U+2581 piece marker used by single_piece_symbols(), in UTF-8.
  static constexpr std::string_view kPieceMarker = "\xe2\x96\x81";

 private:
  std::vector<std::string> generate(uint64_t stream, size_t target_chars) const;

  World world_;
  SvaVocabulary vocabulary_;
  DataSplit split_;
  CorpusOptions options_;
};

}  // namespace ce::core
