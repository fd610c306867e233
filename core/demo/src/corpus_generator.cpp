// The demo corpus generator: documents from DocumentComposer streams, held-out facts kept out, and the
// single-piece symbols the tokenizer must keep whole.
#include "ce/demo/corpus_generator.h"

#include <cctype>
#include <fstream>
#include <set>
#include <utility>

#include "ce/core/base/error.h"
#include "document_composer.h"
#include "split_mix64.h"

namespace ce::core {
namespace {

// Sub-streams of the corpus seed (DataSplit uses 11-13). Fixed forever: changing one changes the
// shipped model's training text.
constexpr uint64_t kTrainingStream = 21;
constexpr uint64_t kExemplarStream = 22;

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Whether `phrase` occurs in `text` as whole words ("Jackson" not inside "Jacksonville").
bool contains_words(const std::string& text, const std::string& phrase) {
  for (size_t at = text.find(phrase); at != std::string::npos; at = text.find(phrase, at + 1)) {
    const bool starts = at == 0 || !is_word_char(text[at - 1]);
    const size_t end = at + phrase.size();
    const bool ends = end == text.size() || !is_word_char(text[end]);
    if (starts && ends) return true;
  }
  return false;
}

CorpusStats write_lines(const std::vector<std::string>& documents, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("corpus: cannot open " + path + " for writing");
  CorpusStats stats;
  for (const std::string& doc : documents) {
    out << doc << '\n';
    stats.documents += 1;
    stats.chars += doc.size() + 1;
  }
  out.flush();
  if (!out) throw Error("corpus: writing " + path + " failed");
  return stats;
}

}  // namespace

CorpusGenerator::CorpusGenerator(const World& world, const SvaVocabulary& vocabulary, const DataSplit& split,
                                 const CorpusOptions& options)
    : world_(world), vocabulary_(vocabulary), split_(split), options_(options) {}

std::vector<std::string> CorpusGenerator::generate(uint64_t stream, size_t target_chars) const {
  // Pairs that must never share a document: a held-out city and its state's capital.
  std::vector<std::pair<std::string, std::string>> forbidden;
  for (const City& city : world_.cities()) {
    if (split_.is_held_out(city.name)) forbidden.emplace_back(city.name, city.capital);
  }
  corpus::DocumentComposer composer(world_, vocabulary_, split_, SplitMix64::derive(options_.seed, stream));
  std::vector<std::string> documents;
  size_t chars = 0;
  while (chars < target_chars) {
    std::string doc = composer.next_document();
    bool leaks = false;
    for (const auto& [city, capital] : forbidden) {
      if (contains_words(doc, city) && contains_words(doc, capital)) {
        leaks = true;
        break;
      }
    }
    if (leaks) continue;  // rejection keeps the stream deterministic: the draws are simply spent
    chars += doc.size() + 1;
    documents.push_back(std::move(doc));
  }
  return documents;
}

std::vector<std::string> CorpusGenerator::training_documents() const {
  return generate(kTrainingStream, options_.target_chars);
}

std::vector<std::string> CorpusGenerator::exemplar_documents() const {
  return generate(kExemplarStream, options_.exemplar_target_chars);
}

CorpusStats CorpusGenerator::write_training_corpus(const std::string& path) const {
  return write_lines(training_documents(), path);
}

CorpusStats CorpusGenerator::write_exemplar_corpus(const std::string& path) const {
  return write_lines(exemplar_documents(), path);
}

std::vector<std::string> CorpusGenerator::single_piece_symbols() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add_word = [&](const std::string& word) {
    std::string piece = std::string(kPieceMarker) + word;
    if (seen.insert(piece).second) out.push_back(std::move(piece));
  };
  auto add_words = [&](const std::string& name) {
    size_t start = 0;
    while (start <= name.size()) {
      const size_t space = name.find(' ', start);
      const size_t end = space == std::string::npos ? name.size() : space;
      if (end > start) add_word(name.substr(start, end - start));
      if (space == std::string::npos) break;
      start = space + 1;
    }
  };
  for (const UsState& state : world_.states()) {
    add_words(state.name);
    add_words(state.capital);
    for (const std::string& city : state.cities) add_words(city);
  }
  for (const auto* nouns : {&vocabulary_.subjects(), &vocabulary_.pp_objects(), &vocabulary_.rc_subjects()}) {
    for (const NumberForms& noun : *nouns) {
      add_word(noun.singular);
      add_word(noun.plural);
    }
  }
  for (const std::string& preposition : vocabulary_.prepositions()) add_word(preposition);
  for (const auto* verbs : {&vocabulary_.agreement_verbs(), &vocabulary_.rc_verbs()}) {
    for (const NumberForms& verb : *verbs) {
      add_word(verb.singular);
      add_word(verb.plural);
    }
  }
  return out;
}

std::string CorpusGenerator::two_hop_prompt(std::string_view city) {
  return "Fact: the capital of the state containing " + std::string(city) + " is";
}

}  // namespace ce::core
