// Synthetic world of the demo model: the state/city/capital table, the held-out split, the training
// corpus (determinism, held-out two-hop facts, no evaluation prompt verbatim, tokenizer-friendly words)
// and the dataset files.
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>
#include <QTemporaryDir>
#include <QtTest/QtTest>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ce/demo/corpus_generator.h"
#include "ce/demo/data_split.h"
#include "ce/demo/dataset_writer.h"
#include "ce/core/base/error.h"
#include "ce/demo/sva_vocabulary.h"
#include "ce/demo/world.h"

using ce::core::City;
using ce::core::CorpusGenerator;
using ce::core::CorpusOptions;
using ce::core::DatasetOptions;
using ce::core::DatasetSplit;
using ce::core::DatasetWriter;
using ce::core::DataSplit;
using ce::core::DataSplitOptions;
using ce::core::Error;
using ce::core::NumberForms;
using ce::core::PairedExample;
using ce::core::SvaTask;
using ce::core::SvaVocabulary;
using ce::core::UsState;
using ce::core::World;

namespace {

const World& world() { return World::united_states(); }
const SvaVocabulary& vocabulary() { return SvaVocabulary::standard(); }

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::string strip_punctuation(std::string word) {
  while (!word.empty() && std::string(".,:;!?").find(word.back()) != std::string::npos) word.pop_back();
  return word;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool contains_words(const std::string& text, const std::string& phrase) {
  for (size_t at = text.find(phrase); at != std::string::npos; at = text.find(phrase, at + 1)) {
    const size_t end = at + phrase.size();
    if ((at == 0 || !is_word_char(text[at - 1])) && (end == text.size() || !is_word_char(text[end])))
      return true;
  }
  return false;
}

// Sentences of a document, each with its final period ("A b. C d." -> "A b.", "C d.").
std::vector<std::string> sentences_of(const std::string& doc) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < doc.size()) {
    size_t end = doc.find(". ", start);
    if (end == std::string::npos) {
      out.push_back(doc.substr(start));
      break;
    }
    out.push_back(doc.substr(start, end + 1 - start));
    start = end + 2;
  }
  return out;
}

std::vector<QJsonObject> read_jsonl(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return {};
  std::vector<QJsonObject> rows;
  for (const QByteArray& line : file.readAll().split('\n')) {
    if (line.isEmpty()) continue;
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) return {};
    rows.push_back(doc.object());
  }
  return rows;
}

std::string str(const QJsonObject& row, const char* key) { return row.value(key).toString().toStdString(); }

QByteArray file_bytes(const QString& path) {
  QFile file(path);
  return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// The four SVA files of ../shared/data (Marks et al.); empty when the directory is absent.
QStringList shared_sva_files(const QString& pattern) {
  const QDir dir(QString(CE_SHARED_DATA_DIR) + "/sva");
  if (!dir.exists()) return {};
  QStringList out;
  for (const QString& name : dir.entryList({pattern}, QDir::Files, QDir::Name)) out << dir.filePath(name);
  return out;
}

// Number of a noun or verb form in the vocabulary: 0 singular, 1 plural, -1 unknown.
int number_of(const std::vector<NumberForms>& forms, const std::string& word) {
  for (const NumberForms& f : forms) {
    if (f.singular == word) return 0;
    if (f.plural == word) return 1;
  }
  return -1;
}

std::vector<NumberForms> all_nouns() {
  std::vector<NumberForms> out = vocabulary().subjects();
  out.insert(out.end(), vocabulary().pp_objects().begin(), vocabulary().pp_objects().end());
  out.insert(out.end(), vocabulary().rc_subjects().begin(), vocabulary().rc_subjects().end());
  return out;
}

// The default corpus is generated once and shared by the tests that only read it.
struct Fixture {
  DataSplit split{world(), vocabulary()};
  CorpusGenerator generator{world(), vocabulary(), split};
  std::vector<std::string> training = generator.training_documents();
  std::vector<std::string> exemplars = generator.exemplar_documents();
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

}  // namespace

class TestWorld : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void statesCapitalsAndCitiesAreUnambiguous();
  void worldRejectsDuplicateNames();
  void heldOutCitiesAreAboutAFifthAndSpread();
  void invalidSplitOptionsThrow();
  void corpusIsDeterministicForASeed();
  void corpusSizeFollowsTarget();
  void heldOutTwoHopAbsentOneHopPresent();
  void sharedSvaTestLinesNeverInTraining();
  void sharedSvaVocabularyIsCovered();
  void generatedSvaTestPrefixesNeverInTraining();
  void singlePieceSymbolsNeverSplitCorpusWords();
  void datasetFilesParseWithExpectedFields();
};

void TestWorld::statesCapitalsAndCitiesAreUnambiguous() {
  const std::vector<UsState>& states = world().states();
  QCOMPARE(states.size(), size_t{50});
  std::set<std::string> names;
  std::set<std::string> capital_first_words;
  size_t total = 0;
  for (const UsState& state : states) {
    QVERIFY2(state.cities.size() >= 4, state.name.c_str());
    QVERIFY2(names.insert(state.name).second, state.name.c_str());
    QVERIFY2(names.insert(state.capital).second, state.capital.c_str());
    // Distinct first words keep the top-1 check of multi-word capitals unambiguous.
    QVERIFY2(capital_first_words.insert(split_words(state.capital)[0]).second, state.capital.c_str());
    for (const std::string& city : state.cities) {
      QVERIFY2(city != state.capital, city.c_str());
      QVERIFY2(names.insert(city).second, ("city name used twice: " + city).c_str());
      ++total;
    }
  }
  for (const std::string& name : names) {
    for (char c : name) QVERIFY2(c >= 0x20 && c < 0x7f, name.c_str());
  }
  QCOMPARE(world().cities().size(), total);
  // Cities famous in two states must not be in the list.
  for (const char* ambiguous : {"Portland", "Kansas City", "Columbus", "Springfield", "Augusta", "Charleston",
                                "Salem", "Lexington", "Aurora", "Arlington", "Rochester"}) {
    const City* city = world().find_city(ambiguous);
    QVERIFY2(city == nullptr, ambiguous);
  }
  QCOMPARE(world().find_state("Texas")->capital, std::string("Austin"));
  QCOMPARE(world().find_city("Dallas")->state, std::string("Texas"));
  QCOMPARE(world().find_city("Dallas")->capital, std::string("Austin"));
  QCOMPARE(world().find_state("Utah")->capital, std::string("Salt Lake City"));
  QCOMPARE(world().find_state("California")->capital, std::string("Sacramento"));
  QCOMPARE(world().find_state("New York")->capital, std::string("Albany"));
  QVERIFY(world().find_city("Austin") == nullptr);  // capitals are not listed as cities
}

void TestWorld::worldRejectsDuplicateNames() {
  using States = std::vector<UsState>;
  QVERIFY_THROWS_EXCEPTION(Error, World(States{{"A", "B", {"C"}}, {"D", "E", {"C"}}}));
  QVERIFY_THROWS_EXCEPTION(Error, World(States{{"A", "B", {"A"}}}));
  QVERIFY_THROWS_EXCEPTION(Error, World(States{{"A", "B", {}}}));
  QVERIFY_THROWS_EXCEPTION(Error, World(States{{"A", "B", {"Caf\xc3\xa9"}}}));
  QCOMPARE(World(States{{"A", "B", {"C", "D"}}}).cities().size(), size_t{2});
}

void TestWorld::heldOutCitiesAreAboutAFifthAndSpread() {
  const DataSplit& split = fixture().split;
  const size_t cities = world().cities().size();
  const size_t held = split.held_out_cities().size();
  QCOMPARE(held, static_cast<size_t>(std::llround(0.2 * static_cast<double>(cities))));
  std::map<std::string, int> per_state;
  for (const std::string& name : split.held_out_cities()) {
    QVERIFY(split.is_held_out(name));
    per_state[world().find_city(name)->state] += 1;
  }
  for (const auto& [state, count] : per_state) QVERIFY2(count == 1, state.c_str());
  QVERIFY(!split.is_held_out("Dallas"));
  qInfo("held out (%zu of %zu cities):", held, cities);
  std::string list;
  for (const std::string& name : split.held_out_cities()) list += name + ", ";
  qInfo("  %s", list.c_str());

  QCOMPARE(DataSplit(world(), vocabulary()).held_out_cities(), split.held_out_cities());
  DataSplitOptions other;
  other.seed = 99;
  QVERIFY(DataSplit(world(), vocabulary(), other).held_out_cities() != split.held_out_cities());
  QVERIFY(!split.test_nounpp().empty() && !split.train_nounpp().empty());
  QVERIFY(!split.test_rc().empty() && !split.train_rc().empty());
  for (const auto& combo : split.test_rc()) QVERIFY(split.is_test_only(combo));
  for (const auto& combo : split.train_nounpp()) QVERIFY(!split.is_test_only(combo));
}

void TestWorld::invalidSplitOptionsThrow() {
  DataSplitOptions bad;
  bad.held_out_fraction = 1.5;
  QVERIFY_THROWS_EXCEPTION(Error, DataSplit(world(), vocabulary(), bad));
  bad = DataSplitOptions();
  bad.never_held_out = {"Atlantis"};
  QVERIFY_THROWS_EXCEPTION(Error, DataSplit(world(), vocabulary(), bad));
  bad = DataSplitOptions();
  bad.sva_test_fraction = 0.0;
  QVERIFY_THROWS_EXCEPTION(Error, DataSplit(world(), vocabulary(), bad));
}

void TestWorld::corpusIsDeterministicForASeed() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  CorpusOptions options;
  options.target_chars = 200'000;
  options.exemplar_target_chars = 50'000;
  auto write = [&](uint64_t seed, const QString& name) {
    CorpusOptions o = options;
    o.seed = seed;
    DataSplitOptions s;
    s.seed = seed;
    const DataSplit split(world(), vocabulary(), s);
    CorpusGenerator(world(), vocabulary(), split, o).write_training_corpus(dir.filePath(name).toStdString());
    return file_bytes(dir.filePath(name));
  };
  const QByteArray first = write(7, "a.txt");
  const QByteArray again = write(7, "b.txt");
  const QByteArray other = write(8, "c.txt");
  QVERIFY(first.size() >= 200'000);
  QVERIFY(first == again);
  QVERIFY(first != other);

  // The exemplar corpus is another stream: its documents are not the training documents.
  const Fixture& f = fixture();
  QVERIFY(f.exemplars.size() > 100);
  size_t same_position = 0;
  for (size_t i = 0; i < 100; ++i) same_position += f.exemplars[i] == f.training[i] ? 1 : 0;
  QVERIFY(same_position < 20);
  QVERIFY_THROWS_EXCEPTION(Error, f.generator.write_training_corpus("/nonexistent-dir/x/corpus.txt"));
}

void TestWorld::corpusSizeFollowsTarget() {
  const Fixture& f = fixture();
  size_t chars = 0;
  size_t longest = 0;
  for (const std::string& doc : f.training) {
    QVERIFY(!doc.empty() && doc.find('\n') == std::string::npos);
    chars += doc.size() + 1;
    longest = std::max(longest, doc.size() + 1);
    for (char c : doc) QVERIFY2(c >= 0x20 && c < 0x7f, doc.c_str());
  }
  const CorpusOptions defaults;
  QVERIFY(chars >= defaults.target_chars && chars < defaults.target_chars + longest);
  size_t exemplar_chars = 0;
  for (const std::string& doc : f.exemplars) exemplar_chars += doc.size() + 1;
  qInfo("training corpus: %zu documents, %zu chars; exemplar corpus: %zu documents, %zu chars",
        f.training.size(), chars, f.exemplars.size(), exemplar_chars);
}

void TestWorld::heldOutTwoHopAbsentOneHopPresent() {
  const Fixture& f = fixture();
  std::set<std::string> lines(f.training.begin(), f.training.end());
  std::string all;
  for (const std::string& doc : f.training) all += doc + "\n";

  for (const City& city : world().cities()) {
    const std::string two_hop = CorpusGenerator::two_hop_prompt(city.name) + " " + city.capital + ".";
    if (!f.split.is_held_out(city.name)) {
      QVERIFY2(all.find(two_hop) != std::string::npos, two_hop.c_str());
      continue;
    }
    QVERIFY2(all.find(CorpusGenerator::two_hop_prompt(city.name)) == std::string::npos, city.name.c_str());
    // No document may even mention the city together with its capital.
    for (const std::vector<std::string>* corpus : {&f.training, &f.exemplars}) {
      for (const std::string& doc : *corpus) {
        if (contains_words(doc, city.name) && contains_words(doc, city.capital)) {
          QFAIL(("held-out city shares a document with its capital: " + doc).c_str());
        }
      }
    }
    size_t one_hop = 0;
    for (const std::string& fact :
         {city.name + " is a city in " + city.state + ".", city.name + " is located in " + city.state + ".",
          "The city of " + city.name + " is in the state of " + city.state + ".",
          "Fact: the state containing " + city.name + " is " + city.state + "."}) {
      if (all.find(fact) != std::string::npos) ++one_hop;
    }
    QVERIFY2(one_hop >= 2, city.name.c_str());
  }
  // Every state -> capital fact is trained.
  for (const UsState& state : world().states()) {
    const std::string fact = "The capital of " + state.name + " is " + state.capital + ".";
    QVERIFY2(all.find(fact) != std::string::npos, fact.c_str());
  }
}

void TestWorld::sharedSvaTestLinesNeverInTraining() {
  const QStringList files = shared_sva_files("*_test.json");
  if (files.isEmpty()) QSKIP("../shared/data/sva is absent: cannot compare with the upstream SVA test sets");
  const Fixture& f = fixture();
  std::set<std::string> lines(f.training.begin(), f.training.end());
  std::set<std::string> sentences;
  for (const std::string& doc : f.training) {
    for (const std::string& s : sentences_of(doc)) sentences.insert(s);
  }
  size_t checked = 0;
  for (const QString& file : files) {
    const std::vector<QJsonObject> rows = read_jsonl(file);
    QVERIFY2(!rows.empty(), qPrintable(file));
    for (const QJsonObject& row : rows) {
      for (const auto& [prefix, answer] : {std::pair(str(row, "clean_prefix"), str(row, "clean_answer")),
                                           std::pair(str(row, "patch_prefix"), str(row, "patch_answer"))}) {
        for (const std::string& text : {prefix, prefix + answer, prefix + answer + "."}) {
          QVERIFY2(lines.count(text) == 0, ("test line verbatim in training: " + text).c_str());
          QVERIFY2(sentences.count(text) == 0, ("test sentence verbatim in training: " + text).c_str());
          QVERIFY2(sentences.count(text + ".") == 0, ("test sentence verbatim in training: " + text).c_str());
        }
        ++checked;
      }
    }
  }
  qInfo("%zu upstream SVA test prompts checked against %zu training sentences", checked, sentences.size());
}

void TestWorld::sharedSvaVocabularyIsCovered() {
  const QStringList files = shared_sva_files("*.json");
  if (files.isEmpty()) QSKIP("../shared/data/sva is absent: cannot check vocabulary coverage");
  std::set<std::string> known = {"The", "the", "that"};
  for (const NumberForms& noun : all_nouns()) known.insert({noun.singular, noun.plural});
  for (const std::string& p : vocabulary().prepositions()) known.insert(p);
  std::set<std::string> verbs;
  for (const NumberForms& verb : vocabulary().agreement_verbs())
    verbs.insert({" " + verb.singular, " " + verb.plural});
  for (const QString& file : files) {
    for (const QJsonObject& row : read_jsonl(file)) {
      for (const char* key : {"clean_prefix", "patch_prefix"}) {
        for (const std::string& word : split_words(str(row, key))) {
          QVERIFY2(known.count(word) != 0, ("uncovered word: " + word).c_str());
        }
      }
      QVERIFY2(verbs.count(str(row, "clean_answer")) != 0, str(row, "clean_answer").c_str());
      QVERIFY2(verbs.count(str(row, "patch_answer")) != 0, str(row, "patch_answer").c_str());
    }
  }
}

void TestWorld::generatedSvaTestPrefixesNeverInTraining() {
  const Fixture& f = fixture();
  // Every lower-cased five-word window starting at "the": covers "the N1 P the N2" and "the N1 that the N2".
  std::set<std::string> windows;
  std::set<std::string> sentences;
  for (const std::string& doc : f.training) {
    std::vector<std::string> words = split_words(lower(doc));
    for (std::string& word : words) word = strip_punctuation(word);
    for (size_t i = 0; i + 5 <= words.size(); ++i) {
      if (words[i] != "the") continue;
      windows.insert(words[i] + " " + words[i + 1] + " " + words[i + 2] + " " + words[i + 3] + " " +
                     words[i + 4]);
    }
    for (const std::string& s : sentences_of(doc)) sentences.insert(s);
  }
  const DatasetWriter writer(world(), vocabulary(), f.split);
  for (SvaTask task : {SvaTask::kNounPP, SvaTask::kAcrossRc, SvaTask::kWithinRc}) {
    auto head = [](const std::string& prefix) {
      const std::vector<std::string> w = split_words(lower(prefix));
      return w[0] + " " + w[1] + " " + w[2] + " " + w[3] + " " + w[4];
    };
    for (const PairedExample& e : writer.sva_pairs(task, DatasetSplit::kTest)) {
      QVERIFY2(windows.count(head(e.clean_prefix)) == 0, e.clean_prefix.c_str());
      QVERIFY2(windows.count(head(e.patch_prefix)) == 0, e.patch_prefix.c_str());
    }
    size_t seen = 0;
    const std::vector<PairedExample> train = writer.sva_pairs(task, DatasetSplit::kTrain);
    for (const PairedExample& e : train) seen += windows.count(head(e.clean_prefix));
    // The train split uses trained combinations, so nearly all of its prefixes occur in the corpus.
    QVERIFY2(seen * 10 >= train.size() * 9, qPrintable(QString("%1 of %2").arg(seen).arg(train.size())));
  }
  for (DatasetSplit split : {DatasetSplit::kTrain, DatasetSplit::kTest}) {
    for (SvaTask task : ce::core::all_sva_tasks()) {
      for (const PairedExample& e : writer.sva_pairs(task, split)) {
        for (const std::string& text : {e.clean_prefix, e.clean_prefix + e.clean_answer}) {
          QVERIFY2(sentences.count(text) == 0 && sentences.count(text + ".") == 0, text.c_str());
        }
      }
    }
  }
}

void TestWorld::singlePieceSymbolsNeverSplitCorpusWords() {
  const Fixture& f = fixture();
  const std::string marker(CorpusGenerator::kPieceMarker);
  const std::vector<std::string> symbols = f.generator.single_piece_symbols();
  std::set<std::string> words;
  for (const std::string& s : symbols) {
    QVERIFY2(s.compare(0, marker.size(), marker) == 0 && s.size() > marker.size(), s.c_str());
    QVERIFY2(words.insert(s.substr(marker.size())).second, ("duplicate symbol " + s).c_str());
  }
  for (const char* expected :
       {"Austin", "Texas", "Dallas", "Salt",    "Lake",   "Angeles", "New",   "York",
        "are",    "is",    "has",    "have",    "does",   "do",      "goes",  "go",
        "men",    "man",   "women",  "skaters", "trucks", "near",    "likes", "like"}) {
    QVERIFY2(words.count(expected) != 0, expected);
  }
  for (const UsState& state : world().states()) {
    for (const std::string& name : state.cities) {
      for (const std::string& w : split_words(name)) QVERIFY2(words.count(w) != 0, name.c_str());
    }
    QVERIFY(words.count(split_words(state.capital)[0]) != 0);
    QVERIFY(words.count(split_words(state.name)[0]) != 0);
  }
  for (const NumberForms& noun : all_nouns()) QVERIFY(words.count(noun.singular) && words.count(noun.plural));

  // SentencePiece matches user-defined symbols inside longer words ("▁man" in "▁many"), so a corpus word
  // must either be a symbol or start with none.
  std::set<std::string> corpus_words;
  for (const std::vector<std::string>* corpus : {&f.training, &f.exemplars}) {
    for (const std::string& doc : *corpus) {
      for (const std::string& w : split_words(doc)) corpus_words.insert(strip_punctuation(w));
    }
  }
  for (const std::string& w : corpus_words) {
    if (words.count(w) != 0) continue;
    for (size_t k = 1; k < w.size(); ++k) {
      QVERIFY2(words.count(w.substr(0, k)) == 0, ("word \"" + w + "\" starts with a symbol").c_str());
    }
  }
  qInfo("%zu single-piece symbols; %zu distinct corpus words", symbols.size(), corpus_words.size());
}

void TestWorld::datasetFilesParseWithExpectedFields() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const DataSplit& split = fixture().split;
  const DatasetOptions options;
  const DatasetWriter writer(world(), vocabulary(), split, options);
  const std::vector<std::string> written = writer.write_all(dir.path().toStdString());
  QCOMPARE(written.size(), size_t{10});

  const std::vector<QJsonObject> capitals = read_jsonl(dir.filePath("capitals.jsonl"));
  QCOMPARE(capitals.size(), world().cities().size());
  size_t held_out = 0;
  for (const QJsonObject& row : capitals) {
    for (const char* key : {"prompt", "answer", "answer_first_word", "state", "capital", "city"}) {
      QVERIFY2(row.value(key).isString(), key);
    }
    QVERIFY(row.value("held_out").isBool());
    const City* city = world().find_city(str(row, "city"));
    QVERIFY(city != nullptr);
    QCOMPARE(str(row, "state"), city->state);
    QCOMPARE(str(row, "answer"), " " + city->capital);
    QCOMPARE(str(row, "prompt"), "Fact: the capital of the state containing " + city->name + " is");
    QCOMPARE(row.value("held_out").toBool(), split.is_held_out(city->name));
    held_out += row.value("held_out").toBool() ? 1 : 0;
  }
  QCOMPARE(held_out, split.held_out_cities().size());
  QCOMPARE(
      QString::fromStdString(DatasetWriter::to_json_line(
          writer.capitals()[world().find_city("Dallas") - world().cities().data()])),
      QString(R"({"prompt": "Fact: the capital of the state containing Dallas is", "answer": " Austin", )"
              R"("answer_first_word": " Austin", "state": "Texas", "capital": "Austin", "city": "Dallas", )"
              R"("held_out": false})"));

  const std::vector<QJsonObject> paired = read_jsonl(dir.filePath("capitals_paired.jsonl"));
  QCOMPARE(paired.size(), world().cities().size() - split.held_out_cities().size());
  const std::string head = "Fact: the capital of the state containing ";
  for (const QJsonObject& row : paired) {
    const std::string clean = str(row, "clean_prefix");
    const std::string patch = str(row, "patch_prefix");
    QCOMPARE(split_words(clean).size(), split_words(patch).size());
    const City* a = world().find_city(clean.substr(head.size(), clean.size() - head.size() - 3));
    const City* b = world().find_city(patch.substr(head.size(), patch.size() - head.size() - 3));
    QVERIFY(a != nullptr && b != nullptr);
    QVERIFY(a->state != b->state);
    QVERIFY(!split.is_held_out(a->name) && !split.is_held_out(b->name));
    QCOMPARE(str(row, "clean_answer"), " " + split_words(a->capital)[0]);
    QCOMPARE(str(row, "patch_answer"), " " + split_words(b->capital)[0]);
    QCOMPARE(str(row, "case"), std::string("capital"));
  }

  const std::vector<NumberForms>& verbs = vocabulary().agreement_verbs();
  const std::set<std::string> two_noun_cases = {"singular_singular", "singular_plural", "plural_singular",
                                                "plural_plural"};
  for (SvaTask task : ce::core::all_sva_tasks()) {
    for (const auto& [suffix, count] : {std::pair("_train.json", options.sva_train_examples),
                                        std::pair("_test.json", options.sva_test_examples)}) {
      const QString path =
          dir.filePath("sva/" + QString::fromStdString(std::string(sva_task_stem(task))) + suffix);
      const std::vector<QJsonObject> rows = read_jsonl(path);
      QVERIFY2(rows.size() == count, qPrintable(path));
      std::map<std::string, size_t> cases;
      for (const QJsonObject& row : rows) {
        QCOMPARE(row.keys().size(), qsizetype{5});
        const std::vector<std::string> clean = split_words(str(row, "clean_prefix"));
        const std::vector<std::string> patch = split_words(str(row, "patch_prefix"));
        QCOMPARE(clean.size(), patch.size());
        size_t differing = 0;
        for (size_t i = 0; i < clean.size(); ++i) differing += clean[i] != patch[i] ? 1 : 0;
        QCOMPARE(differing, size_t{1});
        const std::string clean_answer = str(row, "clean_answer");
        const std::string patch_answer = str(row, "patch_answer");
        QVERIFY(clean_answer.size() > 1 && clean_answer[0] == ' ' && patch_answer[0] == ' ');
        const int answer_number = number_of(verbs, clean_answer.substr(1));
        QVERIFY(answer_number >= 0 && number_of(verbs, patch_answer.substr(1)) == 1 - answer_number);
        const size_t agreeing = task == SvaTask::kWithinRc ? 4 : 1;
        QCOMPARE(number_of(all_nouns(), clean[agreeing]), answer_number);
        const std::string label = str(row, "case");
        cases[label] += 1;
        if (task == SvaTask::kSimple) {
          QCOMPARE(clean.size(), size_t{2});
          QCOMPARE(label, std::string(answer_number ? "plural" : "singular"));
        } else {
          QVERIFY2(two_noun_cases.count(label) != 0, label.c_str());
          QCOMPARE(clean.size(), static_cast<size_t>(task == SvaTask::kAcrossRc ? 6 : 5));
          QCOMPARE(label.substr(0, label.find('_')),
                   std::string(number_of(all_nouns(), clean[1]) ? "plural" : "singular"));
        }
      }
      for (const auto& [label, n] : cases) QVERIFY2(n * cases.size() + cases.size() >= count, label.c_str());
    }
  }

  // Same inputs, same bytes.
  QTemporaryDir again;
  writer.write_all(again.path().toStdString());
  for (const std::string& path : written) {
    const QString relative = QDir(dir.path()).relativeFilePath(QString::fromStdString(path));
    QVERIFY2(file_bytes(QString::fromStdString(path)) == file_bytes(again.filePath(relative)),
             qPrintable(relative));
  }
}

QTEST_APPLESS_MAIN(TestWorld)
#include "test_world.moc"
