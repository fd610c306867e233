// The documents of the demo corpus, kind by kind (document_composer.h); the words come from
// document_templates.h.
#include "document_composer.h"

#include <algorithm>
#include <cctype>

#include "document_templates.h"

namespace ce::core::corpus {

namespace {

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

}  // namespace

DocumentComposer::DocumentComposer(const World& world, const SvaVocabulary& vocabulary,
                                   const DataSplit& split, uint64_t seed)
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

std::string DocumentComposer::next_document() {
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

template <typename F>
std::string DocumentComposer::sentences(int count, F make) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    if (i > 0) out += ' ';
    out += make();
  }
  return out;
}

std::string DocumentComposer::one_hop_sentence() {
  const City& city = any_city();
  return fill(rng_.pick(kOneHopTemplates), city.name, city.state, city.capital);
}

std::string DocumentComposer::capital_sentence() {
  const UsState& state = any_state();
  return fill(rng_.pick(kCapitalTemplates), "", state.name, state.capital);
}

std::string DocumentComposer::two_hop_document() {
  const City& city = trained_city();
  return fill(kTwoHopTemplates[rng_.weighted(kTwoHopWeights)], city.name, city.state, city.capital);
}

std::string DocumentComposer::fact_item() {
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
std::string DocumentComposer::state_profile() {
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
std::string DocumentComposer::predicate(bool plural) {
  const size_t verb = rng_.below(vocabulary_.agreement_verbs().size());
  return " " + vocabulary_.agreement_verbs()[verb].form(plural) + " " +
         rng_.pick(kMainContinuations[verb % kMainContinuations.size()]);
}

std::string DocumentComposer::sva_sentence() {
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

std::pair<std::string, Pronouns> DocumentComposer::person_name() {
  if (rng_.chance(0.5)) return {rng_.pick(kFemaleNames), {"she", "her"}};
  return {rng_.pick(kMaleNames), {"he", "his"}};
}

std::string DocumentComposer::count_of(int n, const NumberForms& noun) {
  const std::string amount = n <= 20 ? kNumberWords[static_cast<size_t>(n)] : std::to_string(n);
  return amount + " " + noun.form(n != 1);
}

std::string DocumentComposer::person() {
  const auto [name, pro] = person_name();
  const City& city = any_city();
  const std::string job = rng_.pick(kJobs);
  switch (rng_.below(3)) {
    case 0:
      return name + " is " + std::to_string(rng_.between(6, 80)) + " years old. " + capitalize(pro.subject) +
             " is " + with_article(job) + " and lives in " + city.name + ", " + city.state + ". " +
             capitalize(pro.subject) + " has " + count_of(rng_.between(1, 4), rng_.pick(kPets)) + ".";
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

std::string DocumentComposer::number_word_or_digits(int n, bool words) {
  return words && n >= 0 && n <= 20 ? kNumberWords[static_cast<size_t>(n)] : std::to_string(n);
}

std::string DocumentComposer::number_sentence() {
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
             number_word_or_digits(m, true) + ". Now " + pro.subject + " has " + count_of(n - m, thing) + ".";
    }
    default:
      return "There are " + count_of(rng_.between(2, 15), rng_.pick(kCountables)) + " on the table.";
  }
}

std::string DocumentComposer::story() {
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

std::string DocumentComposer::city_profile() {
  const City& city = any_city();
  std::string out = city.name + " is " + with_article(rng_.pick(kCityAdjectives)) + " city in " + city.state +
                    ". People in " + city.name + " enjoy " + rng_.pick(kActivities) + ".";
  if (rng_.chance(0.5)) {
    out += " In the " + rng_.pick(kSeasons) + ", the streets of " + city.name + " are " +
           rng_.pick(kStreetAdjectives) + ".";
  } else {
    out += " Visitors to " + city.name + " often see " + rng_.pick(kSights) + ".";
  }
  return out;
}

}  // namespace ce::core::corpus
