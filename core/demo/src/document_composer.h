// The demo corpus's document kinds (world facts, subject-verb agreement, filler), each drawn from one PRNG
// stream so that a seed gives the same documents everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ce/demo/data_split.h"
#include "ce/demo/sva_vocabulary.h"
#include "ce/demo/world.h"
#include "split_mix64.h"

namespace ce::core::corpus {

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

struct Pronouns {
  std::string subject;     // she / he
  std::string possessive;  // her / his
};

// Produces documents one by one from one PRNG stream. Keeps references to its arguments.
class DocumentComposer {
 public:
  DocumentComposer(const World& world, const SvaVocabulary& vocabulary, const DataSplit& split,
                   uint64_t seed);

  // One document of a kind drawn by the shares listed in corpus_generator.h.
  std::string next_document();

 private:
  template <typename F>
  std::string sentences(int count, F make);

  const City& any_city() { return world_.cities()[cities_.draw(rng_)]; }
  const City& trained_city() { return world_.cities()[trained_city_indices_[trained_cities_.draw(rng_)]]; }
  const UsState& any_state() { return world_.states()[states_.draw(rng_)]; }

  // World facts.
  std::string one_hop_sentence();
  std::string capital_sentence();
  std::string two_hop_document();
  std::string fact_item();
  // Names the capital, so it lists trained cities only.
  std::string state_profile();

  // Subject-verb agreement. The agreeing main verb and its predicate: " has a red car".
  std::string predicate(bool plural);
  std::string sva_sentence();

  // Filler.
  std::pair<std::string, Pronouns> person_name();
  std::string count_of(int n, const NumberForms& noun);
  std::string person();
  std::string number_word_or_digits(int n, bool words);
  std::string number_sentence();
  std::string story();
  std::string city_profile();

  const World& world_;
  const SvaVocabulary& vocabulary_;
  const DataSplit& split_;
  SplitMix64 rng_;
  Deck cities_;
  Deck states_;
  std::vector<size_t> trained_city_indices_;
  Deck trained_cities_{0};
};

}  // namespace ce::core::corpus
