// The fixed phrasings and word lists the demo corpus is made of. Data only: document_composer.cpp draws from
// them. Every word was checked against the single-piece symbols (see document_templates.cpp).
#pragma once

#include <string>
#include <vector>

#include "ce/demo/sva_vocabulary.h"

namespace ce::core::corpus {

// World facts; {C}, {S} and {K} stand for city, state and capital.
extern const std::vector<std::string> kOneHopTemplates;
extern const std::vector<std::string> kCapitalTemplates;
// Two-hop phrasings, only ever filled with trained cities. The first is the evaluation prompt's form and
// carries most of the weight (kTwoHopWeights); the worked chain shows the composition step by step.
extern const std::vector<std::string> kTwoHopTemplates;
extern const std::vector<unsigned> kTwoHopWeights;

// Subject-verb agreement. Predicates after the agreeing main verb, per SvaVocabulary::agreement_verbs()
// entry (is/are, has/have, does/do, goes/go). Each fits both numbers, so the verb form alone carries
// agreement.
extern const std::vector<std::vector<std::string>> kMainContinuations;
// Relative-clause bodies after the clause's own agreeing verb; each leaves the object gap that N1 fills
// ("The athlete that the chefs have met is tall.").
extern const std::vector<std::vector<std::string>> kClauseContinuations;

// Filler: people, pets, stories, numbers, city profiles and general facts. Given names: none is a
// place-name word or starts with one ("Anna" would split as "▁Ann" + "a").
extern const std::vector<std::string> kFemaleNames;
extern const std::vector<std::string> kMaleNames;
extern const std::vector<std::string> kPetNames;
extern const std::vector<std::string> kJobs;
extern const std::vector<NumberForms> kPets;
extern const std::vector<std::string> kStoryAnimals;
extern const std::vector<std::string> kObjects;
extern const std::vector<std::string> kColors;
extern const std::vector<std::string> kPlaces;
extern const std::vector<std::string> kDays;
extern const std::vector<std::string> kSeasons;
extern const std::vector<std::string> kCityAdjectives;
extern const std::vector<std::string> kStreetAdjectives;
extern const std::vector<std::string> kActivities;
extern const std::vector<std::string> kSights;
extern const std::vector<NumberForms> kCountables;
extern const std::vector<std::string> kNumberWords;  // "zero" .. "twenty", indexed by the number
extern const std::vector<std::string> kGeneralFacts;

}  // namespace ce::core::corpus
