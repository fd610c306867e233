// The phrasings and word lists of the demo corpus (document_templates.h).
#include "document_templates.h"

namespace ce::core::corpus {

// Word lists. Every word here was checked against the single-piece symbols (the SVA nouns and verbs and
// the words of place names): none may start with a symbol unless it is that symbol, because
// SentencePiece matches user-defined symbols inside longer words ("many" -> "▁man" + "y"). Hence
// "lots of" instead of "many", "nice" instead of "good", no "going", "done", "down", "area", "island",
// "nearly", "liked", "friendly". tests/demo/test_world.cpp enforces this on the whole corpus.

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

const std::vector<std::string> kTwoHopTemplates = {
    "Fact: the capital of the state containing {C} is {K}.",
    "The capital of the state containing {C} is {K}.",
    "{C} is in {S}, and the capital of {S} is {K}.",
    "{C} is a city in the state whose capital is {K}.",
    "Fact: the state containing {C} is {S}. Fact: the capital of {S} is {K}. "
    "Fact: the capital of the state containing {C} is {K}.",
};
const std::vector<unsigned> kTwoHopWeights = {12, 3, 2, 1, 3};

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

const std::vector<std::vector<std::string>> kClauseContinuations = {
    {"watching", "helping", "waiting for", "talking to", "looking at"},
    {"met", "seen", "called", "helped", "invited"},
    {"not trust", "not remember", "not like", "not know"},
    {"to see", "out with", "to meet", "to visit"},
};

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

}  // namespace ce::core::corpus
