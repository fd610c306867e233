// Which parts of the synthetic world are kept out of training: held-out cities and test-only SVA
// noun combinations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ce/demo/sva_vocabulary.h"
#include "ce/demo/world.h"

namespace ce::core {

// The seed every world generator uses unless told otherwise (the shipped demo model's seed).
inline constexpr uint64_t kDefaultWorldSeed = 1234;

struct DataSplitOptions {
  uint64_t seed = kDefaultWorldSeed;
  // Share of cities whose two-hop sentences never reach training (their one-hop facts do), rounded to
  // the nearest count. They are spread over states: a second city of a state is held out only once
  // every state has one, so each state keeps trained two-hop examples to compose from.
  double held_out_fraction = 0.2;
  // Share of noun combinations (N1, P, N2 of nounpp; N1, N2 of the two relative-clause tasks) that appear
  // only in the generated SVA test sets, never in the training corpus, so those sets measure agreement
  // on unseen prefixes.
  double sva_test_fraction = 0.1;
  // Cities that are never held out: the demo prompt ("... containing Dallas is") must be a trained fact.
  std::vector<std::string> never_held_out = {"Dallas"};
};

// Index triple into SvaVocabulary::subjects(), prepositions(), pp_objects().
struct NounPPCombo {
  size_t subject = 0;
  size_t preposition = 0;
  size_t object = 0;
};

// Index pair into SvaVocabulary::subjects(), rc_subjects().
struct RcCombo {
  size_t subject = 0;
  size_t rc_subject = 0;
};

// Deterministic for (world, vocabulary, options): the same seed picks the same cities and combinations
// on every platform. Thread rules: immutable after construction; every method may be called from any
// thread. Keeps no reference to the world or vocabulary.
class DataSplit {
 public:
  // Throws Error when a fraction is outside [0, 1), sva_test_fraction is too small to leave any test-only
  // combination, a never_held_out city is not in the world, or more cities must be held out than there
  // are cities not pinned by never_held_out.
  DataSplit(const World& world, const SvaVocabulary& vocabulary, const DataSplitOptions& options = {});

  const DataSplitOptions& options() const { return options_; }

  bool is_held_out(std::string_view city) const;
  // Held-out city names in world order.
  const std::vector<std::string>& held_out_cities() const { return held_out_; }

  bool is_test_only(const NounPPCombo& combo) const;
  bool is_test_only(const RcCombo& combo) const;
  // The combinations on each side of the split, in index order.
  const std::vector<NounPPCombo>& train_nounpp() const { return train_nounpp_; }
  const std::vector<NounPPCombo>& test_nounpp() const { return test_nounpp_; }
  const std::vector<RcCombo>& train_rc() const { return train_rc_; }
  const std::vector<RcCombo>& test_rc() const { return test_rc_; }

 private:
  DataSplitOptions options_;
  size_t prepositions_ = 0;
  size_t pp_objects_ = 0;
  size_t rc_subjects_ = 0;
  std::vector<std::string> held_out_;
  std::set<std::string, std::less<>> held_out_set_;
  std::set<size_t> test_nounpp_keys_;
  std::set<size_t> test_rc_keys_;
  std::vector<NounPPCombo> train_nounpp_;
  std::vector<NounPPCombo> test_nounpp_;
  std::vector<RcCombo> train_rc_;
  std::vector<RcCombo> test_rc_;
};

}  // namespace ce::core
