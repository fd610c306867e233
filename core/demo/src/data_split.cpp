#include "ce/demo/data_split.h"

#include <algorithm>
#include <cmath>

#include "ce/core/base/error.h"
#include "split_mix64.h"

namespace ce::core {
namespace {

// Sub-streams of the seed; fixed forever, since changing one changes the shipped model's data.
constexpr uint64_t kHeldOutStream = 11;
constexpr uint64_t kNounPPStream = 12;
constexpr uint64_t kRcStream = 13;

void check_fraction(double value, const char* name) {
  if (!(value >= 0.0 && value < 1.0)) {
    throw Error(std::string("data split: ") + name + " must be in [0, 1), got " + std::to_string(value));
  }
}

// Indices [0, n) of which round(fraction * n), drawn by `rng`, are marked.
std::set<size_t> draw_subset(size_t n, double fraction, SplitMix64& rng) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  rng.shuffle(order);
  const auto count = static_cast<size_t>(std::llround(fraction * static_cast<double>(n)));
  return std::set<size_t>(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(std::min(count, n)));
}

}  // namespace

DataSplit::DataSplit(const World& world, const SvaVocabulary& vocabulary, const DataSplitOptions& options)
    : options_(options),
      prepositions_(vocabulary.prepositions().size()),
      pp_objects_(vocabulary.pp_objects().size()),
      rc_subjects_(vocabulary.rc_subjects().size()) {
  check_fraction(options.held_out_fraction, "held_out_fraction");
  check_fraction(options.sva_test_fraction, "sva_test_fraction");
  std::set<std::string, std::less<>> pinned;
  for (const std::string& name : options.never_held_out) {
    if (world.find_city(name) == nullptr)
      throw Error("data split: never_held_out city \"" + name + "\" unknown");
    pinned.insert(name);
  }

  // Round-robin over states in a seeded order: each round takes one more candidate city per state.
  SplitMix64 rng(SplitMix64::derive(options.seed, kHeldOutStream));
  const std::vector<UsState>& states = world.states();
  std::vector<size_t> state_order(states.size());
  for (size_t i = 0; i < states.size(); ++i) state_order[i] = i;
  rng.shuffle(state_order);
  std::vector<std::vector<std::string>> candidates(states.size());
  size_t rounds = 0;
  for (size_t s : state_order) {
    for (const std::string& city : states[s].cities) {
      if (pinned.count(city) == 0) candidates[s].push_back(city);
    }
    rng.shuffle(candidates[s]);
    rounds = std::max(rounds, candidates[s].size());
  }
  std::vector<std::string> ranked;
  for (size_t round = 0; round < rounds; ++round) {
    for (size_t s : state_order) {
      if (round < candidates[s].size()) ranked.push_back(candidates[s][round]);
    }
  }
  const auto wanted = static_cast<size_t>(
      std::llround(options.held_out_fraction * static_cast<double>(world.cities().size())));
  if (wanted > ranked.size()) {
    throw Error("data split: cannot hold out " + std::to_string(wanted) + " cities, only " +
                std::to_string(ranked.size()) + " are not pinned");
  }
  held_out_set_.insert(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(wanted));
  for (const City& city : world.cities()) {
    if (held_out_set_.count(city.name) != 0) held_out_.push_back(city.name);
  }

  const size_t subjects = vocabulary.subjects().size();
  SplitMix64 nounpp_rng(SplitMix64::derive(options.seed, kNounPPStream));
  test_nounpp_keys_ =
      draw_subset(subjects * prepositions_ * pp_objects_, options.sva_test_fraction, nounpp_rng);
  for (size_t s = 0; s < subjects; ++s) {
    for (size_t p = 0; p < prepositions_; ++p) {
      for (size_t o = 0; o < pp_objects_; ++o) {
        const NounPPCombo combo{s, p, o};
        (is_test_only(combo) ? test_nounpp_ : train_nounpp_).push_back(combo);
      }
    }
  }
  SplitMix64 rc_rng(SplitMix64::derive(options.seed, kRcStream));
  test_rc_keys_ = draw_subset(subjects * rc_subjects_, options.sva_test_fraction, rc_rng);
  for (size_t s = 0; s < subjects; ++s) {
    for (size_t r = 0; r < rc_subjects_; ++r) {
      const RcCombo combo{s, r};
      (is_test_only(combo) ? test_rc_ : train_rc_).push_back(combo);
    }
  }
  // A test set needs at least one combination; a tiny fraction could round to none.
  if (test_nounpp_.empty() || test_rc_.empty()) {
    throw Error("data split: sva_test_fraction " + std::to_string(options.sva_test_fraction) +
                " leaves no test-only noun combination");
  }
}

bool DataSplit::is_held_out(std::string_view city) const { return held_out_set_.count(city) != 0; }

bool DataSplit::is_test_only(const NounPPCombo& combo) const {
  return test_nounpp_keys_.count((combo.subject * prepositions_ + combo.preposition) * pp_objects_ +
                                 combo.object) != 0;
}

bool DataSplit::is_test_only(const RcCombo& combo) const {
  return test_rc_keys_.count(combo.subject * rc_subjects_ + combo.rc_subject) != 0;
}

}  // namespace ce::core
