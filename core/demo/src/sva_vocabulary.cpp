#include "ce/demo/sva_vocabulary.h"

namespace ce::core {

const std::vector<SvaTask>& all_sva_tasks() {
  static const std::vector<SvaTask> tasks = {SvaTask::kSimple, SvaTask::kNounPP, SvaTask::kAcrossRc,
                                             SvaTask::kWithinRc};
  return tasks;
}

std::string_view sva_task_stem(SvaTask task) {
  switch (task) {
    case SvaTask::kSimple:
      return "simple";
    case SvaTask::kNounPP:
      return "nounpp";
    case SvaTask::kAcrossRc:
      return "rc";
    case SvaTask::kWithinRc:
      return "within_rc";
  }
  return "simple";
}

// The noun, preposition and verb lists are exactly those of the upstream simple/nounpp/within_rc files;
// the rc verbs (absent upstream here) follow Finlayson et al.'s across-RC template. Every form is one
// word so that, with each form a single tokenizer piece, clean and patch prompts have equal length.
SvaVocabulary::SvaVocabulary()
    : subjects_{{"athlete", "athletes"}, {"aunt", "aunts"},
                {"boy", "boys"},         {"carpenter", "carpenters"},
                {"doctor", "doctors"},   {"farmer", "farmers"},
                {"father", "fathers"},   {"friend", "friends"},
                {"girl", "girls"},       {"guy", "guys"},
                {"kid", "kids"},         {"lawyer", "lawyers"},
                {"man", "men"},          {"mother", "mothers"},
                {"poet", "poets"},       {"singer", "singers"},
                {"teacher", "teachers"}, {"uncle", "uncles"},
                {"victim", "victims"},   {"woman", "women"}},
      pp_objects_{{"bike", "bikes"},   {"car", "cars"},      {"cat", "cats"},     {"chair", "chairs"},
                  {"desk", "desks"},   {"dog", "dogs"},      {"table", "tables"}, {"tree", "trees"},
                  {"truck", "trucks"}, {"window", "windows"}},
      rc_subjects_{{"architect", "architects"}, {"assistant", "assistants"}, {"chef", "chefs"},
                   {"dancer", "dancers"},       {"driver", "drivers"},       {"executive", "executives"},
                   {"guard", "guards"},         {"minister", "ministers"},   {"parent", "parents"},
                   {"skater", "skaters"}},
      prepositions_{"near", "behind", "beside"},
      agreement_verbs_{{"is", "are"}, {"has", "have"}, {"does", "do"}, {"goes", "go"}},
      rc_verbs_{
          {"likes", "like"}, {"loves", "love"}, {"knows", "know"}, {"admires", "admire"}, {"hates", "hate"}} {
}

const SvaVocabulary& SvaVocabulary::standard() {
  static const SvaVocabulary vocabulary;
  return vocabulary;
}

}  // namespace ce::core
