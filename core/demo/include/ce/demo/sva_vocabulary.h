// Vocabulary of the subject-verb agreement (SVA) sentences, after Marks et al. 2025 (Sparse Feature
// Circuits) and Finlayson et al. 2021.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ce::core {

// Singular and plural form of a noun ("man"/"men") or verb ("is"/"are"), without spaces.
struct NumberForms {
  std::string singular;
  std::string plural;

  const std::string& form(bool plural_form) const { return plural_form ? plural : singular; }
};

// The four task types of Marks et al. (their file stems in brackets):
//   kSimple    "The N V"                          [simple]     verb agrees with N
//   kNounPP    "The N1 P the N2 V"                [nounpp]     verb agrees with N1, N2 attracts
//   kAcrossRc  "The N1 that the N2 V2 V"          [rc]         verb agrees with N1, across the clause
//   kWithinRc  "The N1 that the N2 V"             [within_rc]  verb (inside the clause) agrees with N2
enum class SvaTask { kSimple, kNounPP, kAcrossRc, kWithinRc };

// All four tasks, in the order above.
const std::vector<SvaTask>& all_sva_tasks();
// "simple", "nounpp", "rc" or "within_rc": the upstream file stem (rc_train.json is across-RC there).
std::string_view sva_task_stem(SvaTask task);

// The word lists, hard-coded so the product needs no external data. They cover every noun, preposition
// and verb of the upstream SVA files (checked by tests/test_world.cpp when ../shared/data is present).
// Thread rules: immutable; every method may be called from any thread.
class SvaVocabulary {
 public:
  // The built-in vocabulary; a static instance valid for the whole program.
  static const SvaVocabulary& standard();

  // Animate nouns: N of kSimple and N1 of every other task.
  const std::vector<NumberForms>& subjects() const { return subjects_; }
  // Things and animals: N2 of kNounPP (the attractor inside the prepositional phrase).
  const std::vector<NumberForms>& pp_objects() const { return pp_objects_; }
  // Occupations: N2 of kAcrossRc and kWithinRc (the subject of the relative clause).
  const std::vector<NumberForms>& rc_subjects() const { return rc_subjects_; }
  // P of kNounPP: "near", "behind", "beside".
  const std::vector<std::string>& prepositions() const { return prepositions_; }
  // The verbs whose agreement is measured (is/are, has/have, does/do, goes/go): the answers of every
  // dataset and the main verb of every training sentence.
  const std::vector<NumberForms>& agreement_verbs() const { return agreement_verbs_; }
  // Transitive verbs V2 of kAcrossRc ("likes"/"like"): they agree with N2 and leave a gap for N1.
  const std::vector<NumberForms>& rc_verbs() const { return rc_verbs_; }

 private:
  SvaVocabulary();

  std::vector<NumberForms> subjects_;
  std::vector<NumberForms> pp_objects_;
  std::vector<NumberForms> rc_subjects_;
  std::vector<std::string> prepositions_;
  std::vector<NumberForms> agreement_verbs_;
  std::vector<NumberForms> rc_verbs_;
};

}  // namespace ce::core
