#include "ce/demo/corpus_generator.h"

#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <utility>

#include "ce/core/base/error.h"
#include "split_mix64.h"

namespace ce::core {
namespace {

// Sub-streams of the corpus seed (DataSplit uses 11-13). Fixed forever: changing one changes the
// shipped model's training text.
constexpr uint64_t kTrainingStream = 21;
constexpr uint64_t kExemplarStream = 22;

// ---------------------------------------------------------------------------------------------------
// Word lists. Every word here was checked against the single-piece symbols (the SVA nouns and verbs and
// the words of place names): none may start with a symbol unless it is that symbol, because
// SentencePiece matches user-defined symbols inside longer words ("many" -> "▁man" + "y"). Hence
// "lots of" instead of "many", "nice" instead of "good", no "going", "done", "down", "area", "island",
// "nearly", "liked", "friendly". tests/test_world.cpp enforces this on the whole corpus.

const std::vector<std::string> kOneHopTemplates = {
    "{C} is a city in {S}.",
    "{C} is located in {S}.",
    "The city of {C} is in the state of {S}.",
    "{C} is in {S}.",
    "{C} lies in the state of {S}.",
    "You can find {C} in {S}.",
    "{C} is one of the cities of {S}.",
    "Fact: the state containing {C} is {S}.",
    "The state containing {C} is {S}.",
    "{C} belongs to the state of {S}.",
};

const std::vector<std::string> kCapitalTemplates = {
    "The capital of {S} is {K}.",       "{K} is the capital of {S}.",
    "The capital city of {S} is {K}.",  "{S} has its capital in {K}.",
    "Fact: the capital of {S} is {K}.", "{K} is the state capital of {S}.",
    "The state capital of {S} is {K}.",
};

// Two-hop phrasings, only ever filled with trained cities. The first is the evaluation prompt's form and
// carries most of the weight; the worked chain shows the composition step by step.
const std::vector<std::string> kTwoHopTemplates = {
    "Fact: the capital of the state containing {C} is {K}.",
    "The capital of the state containing {C} is {K}.",
    "{C} is in {S}, and the capital of {S} is {K}.",
    "{C} is a city in the state whose capital is {K}.",
    "Fact: the state containing {C} is {S}. Fact: the capital of {S} is {K}. "
    "Fact: the capital of the state containing {C} is {K}.",
};
const std::vector<unsigned> kTwoHopWeights = {12, 3, 2, 1, 3};

// Predicates after the agreeing main verb, per SvaVocabulary::agreement_verbs() entry (is/are, has/have,
// does/do, goes/go). Each fits both numbers, so the verb form alone carries agreement.
const std::vector<std::vector<std::string>> kMainContinuations = {
    {"happy", "tall", "tired", "busy", "hungry", "ready", "kind", "at home", "in the park", "very calm",
     "late today", "still asleep", "quite young", "very strong", "at the beach", "in the kitchen"},
    {"a dog", "a red car", "a big house", "two cats", "a new job", "lots of books", "a small garden",
     "a blue bike", "three sisters", "a cold", "a nice smile", "a busy week"},
    {"the dishes", "not sleep much", "the work", "well at school", "not like rain", "the shopping on Sunday",
     "yoga every morning", "the laundry", "not eat meat", "a lot of reading"},
    {"home", "to school", "to the park", "to work early", "to the store", "to bed late", "out at night",
     "to the beach", "to the lake", "to church on Sunday", "for a walk"},
};

// Relative-clause bodies after the clause's own agreeing verb; each leaves the object gap that N1 fills
// ("The athlete that the chefs have met is tall.").
const std::vector<std::vector<std::string>> kClauseContinuations = {
    {"watching", "helping", "waiting for", "talking to", "looking at"},
    {"met", "seen", "called", "helped", "invited"},
    {"not trust", "not remember", "not like", "not know"},
    {"to see", "out with", "to meet", "to visit"},
};

// Given names: none is a place-name word or starts with one ("Anna" would split as "▁Ann" + "a").
const std::vector<std::string> kFemaleNames = {"Mia",  "Lucy", "Emma",   "Olivia", "Sophie", "Grace", "Chloe",
                                               "Ruby", "Nora", "Hannah", "Zoe",    "Ivy",    "Julia", "Maya",
                                               "Rosa", "Tina", "Kate",   "Laura",  "Fiona",  "Wendy"};
const std::vector<std::string> kMaleNames = {"Tom",  "Sam",   "Ben",   "Max",  "Leo",    "Jack",  "Oscar",
                                             "Hugo", "Jonah", "Noah",  "Liam", "Ethan",  "Owen",  "Lucas",
                                             "Adam", "Peter", "Simon", "Ryan", "Victor", "Daniel"};
const std::vector<std::string> kPetNames = {"Rex",  "Bella",  "Coco",   "Milo",    "Daisy", "Buddy",
                                            "Luna", "Pepper", "Shadow", "Biscuit", "Ziggy", "Mochi"};
const std::vector<std::string> kJobs = {"nurse",  "baker",     "pilot",  "painter",  "writer",    "teacher",
                                        "doctor", "farmer",    "lawyer", "singer",   "chef",      "driver",
                                        "dancer", "architect", "guard",  "mechanic", "librarian", "plumber"};
const std::vector<NumberForms> kPets = {{"cat", "cats"},       {"dog", "dogs"},  {"bird", "birds"},
                                        {"rabbit", "rabbits"}, {"fish", "fish"}, {"hamster", "hamsters"}};
const std::vector<std::string> kStoryAnimals = {"cat",  "dog",   "rabbit", "fox",
                                                "bird", "puppy", "kitten", "horse"};
const std::vector<std::string> kObjects = {"ball",  "kite", "book", "hat", "box",   "shell",
                                           "stone", "drum", "lamp", "map", "clock", "ring"};
const std::vector<std::string> kColors = {"red",   "blue",  "green",  "yellow",
                                          "white", "black", "purple", "orange"};
const std::vector<std::string> kPlaces = {"park",    "lake",   "beach",  "river", "farm",   "market",
                                          "library", "school", "garden", "zoo",   "bakery", "museum"};
const std::vector<std::string> kDays = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};
const std::vector<std::string> kSeasons = {"spring", "summer", "fall", "winter"};
const std::vector<std::string> kCityAdjectives = {"large",  "small", "busy",  "quiet",  "old",
                                                  "pretty", "sunny", "windy", "famous", "clean"};
const std::vector<std::string> kStreetAdjectives = {"full of people", "quiet", "warm", "cold",
                                                    "bright",         "wet",   "calm", "crowded"};
const std::vector<std::string> kActivities = {
    "music",    "long walks", "football", "fishing",   "fresh bread", "art",
    "baseball", "hiking",     "dancing",  "old films", "street food", "the local theater"};
const std::vector<std::string> kSights = {"old churches",  "a long river",  "tall buildings",
                                          "a busy harbor", "green hills",   "a large stadium",
                                          "wide streets",  "a small museum"};
const std::vector<NumberForms> kCountables = {{"apple", "apples"}, {"book", "books"}, {"cup", "cups"},
                                              {"pen", "pens"},     {"egg", "eggs"},   {"coin", "coins"}};
const std::vector<std::string> kNumberWords = {
    "zero",     "one",     "two",     "three",     "four",     "five",     "six",
    "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};
const std::vector<std::string> kGeneralFacts = {
    "There are seven days in a week.",
    "A year has twelve months.",
    "Water freezes when it is very cold.",
    "The sun rises in the east.",
    "The sun sets in the west.",
    "Snow falls in winter.",
    "Birds can fly.",
    "Fish live in water.",
    "The moon shines at night.",
    "Monday comes before Tuesday.",
    "Friday comes after Thursday.",
    "January is the first month of the year.",
    "December is the last month of the year.",
    "A week has seven days and a day has twenty four hours.",
    "Bread is made from flour.",
    "Lemons taste sour.",
    "An hour has sixty minutes.",
    "Trains run on rails.",
    "Bees make honey.",
    "Leaves turn yellow in the fall.",
    "The ocean is full of salt water.",
    "Apples grow on trees.",
    "A triangle has three sides.",
    "A square has four sides.",
};

struct Pronouns {
  std::string subject;     // she / he
  std::string possessive;  // her / his
};

std::string capitalize(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

std::string with_article(const std::string& noun) {
  const char c = noun.empty() ? 'x' : noun[0];
  const bool vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
  return (vowel ? "an " : "a ") + noun;
}

// Replaces {C}, {S} and {K} with city, state and capital.
std::string fill(const std::string& pattern, const std::string& city, const std::string& state,
                 const std::string& capital) {
  std::string out;
  out.reserve(pattern.size() + 32);
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{' && i + 2 < pattern.size() && pattern[i + 2] == '}') {
      const char key = pattern[i + 1];
      if (key == 'C' || key == 'S' || key == 'K') {
        out += key == 'C' ? city : key == 'S' ? state : capital;
        i += 2;
        continue;
      }
    }
    out += pattern[i];
  }
  return out;
}

// "A", "A and B", "A, B and C".
std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

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

// Draws items in shuffled rounds so every item appears equally often, whatever the corpus size.
class Deck {
 public:
  explicit Deck(size_t size) : order_(size) {
    for (size_t i = 0; i < size; ++i) order_[i] = i;
    next_ = size;
  }
  size_t draw(SplitMix64& rng) {
    if (next_ == order_.size()) {
      rng.shuffle(order_);
      next_ = 0;
    }
    return order_[next_++];
  }

 private:
  std::vector<size_t> order_;
  size_t next_;
};

// Produces documents one by one from one PRNG stream.
class Composer {
 public:
  Composer(const World& world, const SvaVocabulary& vocabulary, const DataSplit& split, uint64_t seed)
      : world_(world),
        vocabulary_(vocabulary),
        split_(split),
        rng_(seed),
        cities_(world.cities().size()),
        states_(world.states().size()) {
    for (size_t i = 0; i < world.cities().size(); ++i) {
      if (!split.is_held_out(world.cities()[i].name)) trained_city_indices_.push_back(i);
    }
    trained_cities_ = Deck(trained_city_indices_.size());
  }

  std::string next_document() {
    enum Kind {
      kCityFacts,
      kCapitalFacts,
      kTwoHop,
      kFactList,
      kStateProfile,
      kSva,
      kPerson,
      kNumbers,
      kStory,
      kCityProfile,
      kGeneral
    };
    static const std::vector<unsigned> weights = {20, 8, 16, 6, 3, 28, 5, 4, 6, 3, 1};
    switch (static_cast<Kind>(rng_.weighted(weights))) {
      case kCityFacts:
        return sentences(rng_.between(1, 3), [this] { return one_hop_sentence(); });
      case kCapitalFacts:
        return sentences(rng_.between(1, 3), [this] { return capital_sentence(); });
      case kTwoHop:
        return two_hop_document();
      case kFactList:
        return sentences(rng_.between(2, 4), [this] { return fact_item(); });
      case kStateProfile:
        return state_profile();
      case kSva:
        return sentences(rng_.between(1, 3), [this] { return sva_sentence(); });
      case kPerson:
        return person();
      case kNumbers:
        return sentences(rng_.between(1, 3), [this] { return number_sentence(); });
      case kStory:
        return story();
      case kCityProfile:
        return city_profile();
      case kGeneral:
        return sentences(rng_.between(2, 3), [this] { return rng_.pick(kGeneralFacts); });
    }
    return "";
  }

 private:
  template <typename F>
  std::string sentences(int count, F make) {
    std::string out;
    for (int i = 0; i < count; ++i) {
      if (i > 0) out += ' ';
      out += make();
    }
    return out;
  }

  const City& any_city() { return world_.cities()[cities_.draw(rng_)]; }
  const City& trained_city() { return world_.cities()[trained_city_indices_[trained_cities_.draw(rng_)]]; }
  const UsState& any_state() { return world_.states()[states_.draw(rng_)]; }

  std::string one_hop_sentence() {
    const City& city = any_city();
    return fill(rng_.pick(kOneHopTemplates), city.name, city.state, city.capital);
  }

  std::string capital_sentence() {
    const UsState& state = any_state();
    return fill(rng_.pick(kCapitalTemplates), "", state.name, state.capital);
  }

  std::string two_hop_document() {
    const City& city = trained_city();
    return fill(kTwoHopTemplates[rng_.weighted(kTwoHopWeights)], city.name, city.state, city.capital);
  }

  std::string fact_item() {
    static const std::vector<unsigned> weights = {40, 25, 35};
    switch (rng_.weighted(weights)) {
      case 0: {
        const City& city = any_city();
        return fill("Fact: the state containing {C} is {S}.", city.name, city.state, city.capital);
      }
      case 1: {
        const UsState& state = any_state();
        return fill("Fact: the capital of {S} is {K}.", "", state.name, state.capital);
      }
      default: {
        const City& city = trained_city();
        return fill(kTwoHopTemplates[0], city.name, city.state, city.capital);
      }
    }
  }

  // Names the capital, so it lists trained cities only.
  std::string state_profile() {
    const UsState& state = any_state();
    std::vector<std::string> cities;
    for (const std::string& city : state.cities) {
      if (!split_.is_held_out(city)) cities.push_back(city);
    }
    rng_.shuffle(cities);
    cities.resize(std::min(cities.size(), static_cast<size_t>(rng_.between(2, 4))));
    std::string out;
    if (rng_.chance(0.5)) {
      out = state.name + " is a state in the United States. Its capital is " + state.capital + ".";
    } else {
      out = state.capital + " is the capital of " + state.name + ".";
    }
    if (cities.size() >= 2) {
      out += rng_.chance(0.5) ? " Some cities in " + state.name + " are " + join_list(cities) + "."
                              : " Other cities in " + state.name + " include " + join_list(cities) + ".";
    } else if (cities.size() == 1) {
      out += " Another city in " + state.name + " is " + cities[0] + ".";
    }
    return out;
  }

  // The agreeing main verb and its predicate: " has a red car".
  std::string predicate(bool plural) {
    const size_t verb = rng_.below(vocabulary_.agreement_verbs().size());
    return " " + vocabulary_.agreement_verbs()[verb].form(plural) + " " +
           rng_.pick(kMainContinuations[verb % kMainContinuations.size()]);
  }

  std::string sva_sentence() {
    static const std::vector<unsigned> weights = {20, 30, 25, 25};
    const bool plural1 = rng_.chance(0.5);
    const bool plural2 = rng_.chance(0.5);
    const std::vector<NumberForms>& subjects = vocabulary_.subjects();
    switch (rng_.weighted(weights)) {
      case 0:  // simple: The N V ...
        return "The " + rng_.pick(subjects).form(plural1) + predicate(plural1) + ".";
      case 1: {  // nounpp: The N1 P the N2 V ...
        const NounPPCombo& c = rng_.pick(split_.train_nounpp());
        return "The " + subjects[c.subject].form(plural1) + " " + vocabulary_.prepositions()[c.preposition] +
               " the " + vocabulary_.pp_objects()[c.object].form(plural2) + predicate(plural1) + ".";
      }
      case 2: {  // across rc: The N1 that the N2 V2 V ...
        const RcCombo& c = rng_.pick(split_.train_rc());
        return "The " + subjects[c.subject].form(plural1) + " that the " +
               vocabulary_.rc_subjects()[c.rc_subject].form(plural2) + " " +
               rng_.pick(vocabulary_.rc_verbs()).form(plural2) + predicate(plural1) + ".";
      }
      default: {  // within rc: The N1 that the N2 V(agrees with N2) ... V ...
        const RcCombo& c = rng_.pick(split_.train_rc());
        const size_t verb = rng_.below(vocabulary_.agreement_verbs().size());
        return "The " + subjects[c.subject].form(plural1) + " that the " +
               vocabulary_.rc_subjects()[c.rc_subject].form(plural2) + " " +
               vocabulary_.agreement_verbs()[verb].form(plural2) + " " +
               rng_.pick(kClauseContinuations[verb % kClauseContinuations.size()]) + predicate(plural1) + ".";
      }
    }
  }

  std::pair<std::string, Pronouns> person_name() {
    if (rng_.chance(0.5)) return {rng_.pick(kFemaleNames), {"she", "her"}};
    return {rng_.pick(kMaleNames), {"he", "his"}};
  }

  std::string count_of(int n, const NumberForms& noun) {
    const std::string amount = n <= 20 ? kNumberWords[static_cast<size_t>(n)] : std::to_string(n);
    return amount + " " + noun.form(n != 1);
  }

  std::string person() {
    const auto [name, pro] = person_name();
    const City& city = any_city();
    const std::string job = rng_.pick(kJobs);
    switch (rng_.below(3)) {
      case 0:
        return name + " is " + std::to_string(rng_.between(6, 80)) + " years old. " +
               capitalize(pro.subject) + " is " + with_article(job) + " and lives in " + city.name + ", " +
               city.state + ". " + capitalize(pro.subject) + " has " +
               count_of(rng_.between(1, 4), rng_.pick(kPets)) + ".";
      case 1:
        return name + " works as " + with_article(job) + " in " + city.name + ". " + capitalize(pro.subject) +
               " likes " + rng_.pick(kActivities) + " and visits " + pro.possessive + " family on " +
               rng_.pick(kDays) + ".";
      default: {
        const City& other = any_city();
        return name + " was born in " + city.name + ", a city in " + city.state + ". Now " + pro.subject +
               " lives in " + other.name + " and works as " + with_article(job) + ".";
      }
    }
  }

  std::string number_word_or_digits(int n, bool words) {
    return words && n >= 0 && n <= 20 ? kNumberWords[static_cast<size_t>(n)] : std::to_string(n);
  }

  std::string number_sentence() {
    const bool words = rng_.chance(0.5);
    switch (rng_.below(6)) {
      case 0: {
        const int a = rng_.between(0, 10), b = rng_.between(0, 10);
        return capitalize(number_word_or_digits(a, words)) + " plus " + number_word_or_digits(b, words) +
               " is " + number_word_or_digits(a + b, words) + ".";
      }
      case 1: {
        // Sentence-initial number words stay below eleven: "Eleven" would split as "▁El" + "even".
        const int a = rng_.between(1, words ? 10 : 20), b = rng_.between(0, a);
        return capitalize(number_word_or_digits(a, words)) + " minus " + number_word_or_digits(b, words) +
               " is " + number_word_or_digits(a - b, words) + ".";
      }
      case 2: {
        const int start = rng_.between(0, words ? 16 : 95);
        std::string out = "Count with me:";
        for (int i = 0; i < 5 && (!words || start + i <= 20); ++i) {
          out += (i == 0 ? " " : ", ") + number_word_or_digits(start + i, words);
        }
        return out + ".";
      }
      case 3: {
        const int a = rng_.between(1, 99), b = rng_.between(0, a - 1);
        return "The number " + std::to_string(a) + " is bigger than " + std::to_string(b) + ".";
      }
      case 4: {
        const auto [name, pro] = person_name();
        const NumberForms& thing = rng_.pick(kCountables);
        const int n = rng_.between(3, 12), m = rng_.between(1, n - 1);
        return name + " has " + count_of(n, thing) + ". " + capitalize(pro.subject) + " gives away " +
               number_word_or_digits(m, true) + ". Now " + pro.subject + " has " + count_of(n - m, thing) +
               ".";
      }
      default:
        return "There are " + count_of(rng_.between(2, 15), rng_.pick(kCountables)) + " on the table.";
    }
  }

  std::string story() {
    const auto [name, pro] = person_name();
    const std::string she = capitalize(pro.subject);
    const City& city = any_city();
    switch (rng_.below(8)) {
      case 0:
        return "Once upon a time, " + name + " lived in " + city.name + ". Every morning, " + pro.subject +
               " walked to the " + rng_.pick(kPlaces) + ". One day, " + pro.subject + " found " +
               with_article(rng_.pick(kObjects)) + " under a tree. " + she +
               " took it home and smiled. The end.";
      case 1: {
        auto [friend_name, unused] = person_name();
        if (friend_name == name) friend_name = name == "Tom" ? "Sam" : "Tom";
        return name + " and " + friend_name + " went to the " + rng_.pick(kPlaces) + " in " + city.name +
               ". They played with " + with_article(rng_.pick(kColors) + " " + rng_.pick(kObjects)) +
               ". Then it started to rain, so they ran home.";
      }
      case 2: {
        const std::string object = rng_.pick(kObjects);
        return name + " wanted a new " + object + ". " + she + " saved coins for " +
               kNumberWords[static_cast<size_t>(rng_.between(2, 12))] + " weeks. At last, " + pro.subject +
               " bought the " + object + " and showed it to " + pro.possessive + " friends.";
      }
      case 3: {
        const std::string animal = rng_.pick(kStoryAnimals);
        return "There was a little " + animal + " named " + rng_.pick(kPetNames) + ". The " + animal +
               " lived in a small house in " + city.name +
               ". Every night, it looked at the stars. One night, "
               "it saw a bright light in the sky.";
      }
      case 4:
        return name + " is " + with_article(rng_.pick(kJobs)) + " in " + city.name + ". " + she +
               " wakes up at " + kNumberWords[static_cast<size_t>(rng_.between(5, 9))] +
               " every day. After work, " + pro.subject + " reads a book and drinks tea.";
      case 5:
        return "It was a cold winter day in " + city.name + ". " + name +
               " put on a warm hat and went outside. The snow was deep and white. " + she +
               " made a big snowman.";
      case 6: {
        const std::string animal = rng_.pick(kStoryAnimals);
        return name + " has " + with_article(animal) + " named " + rng_.pick(kPetNames) + ". The " + animal +
               " likes to play in the garden. When " + name + " comes home, the " + animal +
               " runs to the gate.";
      }
      default: {
        const City& other = any_city();
        return "On " + rng_.pick(kDays) + ", " + name + " traveled from " + city.name + " to " + other.name +
               ". The trip took " + kNumberWords[static_cast<size_t>(rng_.between(2, 9))] + " hours. " + she +
               " was tired but happy.";
      }
    }
  }

  std::string city_profile() {
    const City& city = any_city();
    std::string out = city.name + " is " + with_article(rng_.pick(kCityAdjectives)) + " city in " +
                      city.state + ". People in " + city.name + " enjoy " + rng_.pick(kActivities) + ".";
    if (rng_.chance(0.5)) {
      out += " In the " + rng_.pick(kSeasons) + ", the streets of " + city.name + " are " +
             rng_.pick(kStreetAdjectives) + ".";
    } else {
      out += " Visitors to " + city.name + " often see " + rng_.pick(kSights) + ".";
    }
    return out;
  }

  const World& world_;
  const SvaVocabulary& vocabulary_;
  const DataSplit& split_;
  SplitMix64 rng_;
  Deck cities_;
  Deck states_;
  std::vector<size_t> trained_city_indices_;
  Deck trained_cities_{0};
};

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
  Composer composer(world_, vocabulary_, split_, SplitMix64::derive(options_.seed, stream));
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
