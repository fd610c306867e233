#include "ce/demo/dataset_writer.h"

#include <filesystem>
#include <fstream>
#include <system_error>

#include "ce/demo/corpus_generator.h"
#include "ce/core/base/error.h"
#include "split_mix64.h"

namespace ce::core {
namespace {

// Sub-streams of the dataset seed (DataSplit uses 11-13, the corpus 21-22). Fixed forever.
constexpr uint64_t kPairedCapitalsStream = 31;
constexpr uint64_t kSvaStreamBase = 40;  // + 2 * task + split

size_t word_count(const std::string& text) {
  size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::string first_word(const std::string& text) { return text.substr(0, text.find(' ')); }

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[(c >> 4) & 0xf];
          out += hex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

const char* number_name(bool plural) { return plural ? "plural" : "singular"; }

void write_lines(const std::filesystem::path& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("datasets: cannot open " + path.string() + " for writing");
  for (const std::string& line : lines) out << line << '\n';
  out.flush();
  if (!out) throw Error("datasets: writing " + path.string() + " failed");
}

template <typename T>
std::vector<std::string> json_lines(const std::vector<T>& examples) {
  std::vector<std::string> lines;
  lines.reserve(examples.size());
  for (const T& example : examples) lines.push_back(DatasetWriter::to_json_line(example));
  return lines;
}

}  // namespace

DatasetWriter::DatasetWriter(const World& world, const SvaVocabulary& vocabulary, const DataSplit& split,
                             const DatasetOptions& options)
    : world_(world), vocabulary_(vocabulary), split_(split), options_(options) {}

std::vector<CapitalExample> DatasetWriter::capitals() const {
  std::vector<CapitalExample> out;
  for (const City& city : world_.cities()) {
    out.push_back({CorpusGenerator::two_hop_prompt(city.name), " " + city.capital,
                   " " + first_word(city.capital), city.state, city.capital, city.name,
                   split_.is_held_out(city.name)});
  }
  return out;
}

std::vector<PairedExample> DatasetWriter::paired_capitals() const {
  SplitMix64 rng(SplitMix64::derive(options_.seed, kPairedCapitalsStream));
  std::vector<const City*> trained;
  for (const City& city : world_.cities()) {
    if (!split_.is_held_out(city.name)) trained.push_back(&city);
  }
  std::vector<PairedExample> out;
  for (const City* clean : trained) {
    std::vector<const City*> partners;
    for (const City* other : trained) {
      if (other->state_index != clean->state_index && word_count(other->name) == word_count(clean->name)) {
        partners.push_back(other);
      }
    }
    if (partners.empty()) continue;  // a lone multi-word length; the built-in world has none
    const City* patch = rng.pick(partners);
    out.push_back({CorpusGenerator::two_hop_prompt(clean->name), CorpusGenerator::two_hop_prompt(patch->name),
                   " " + first_word(clean->capital), " " + first_word(patch->capital), "capital"});
  }
  return out;
}

std::vector<PairedExample> DatasetWriter::sva_pairs(SvaTask task, DatasetSplit split) const {
  const bool test = split == DatasetSplit::kTest;
  const size_t count = test ? options_.sva_test_examples : options_.sva_train_examples;
  SplitMix64 rng(
      SplitMix64::derive(options_.seed, kSvaStreamBase + 2 * static_cast<uint64_t>(task) + (test ? 1 : 0)));
  const std::vector<NounPPCombo>& nounpp = test ? split_.test_nounpp() : split_.train_nounpp();
  const std::vector<RcCombo>& rc = test ? split_.test_rc() : split_.train_rc();
  const std::vector<NumberForms>& subjects = vocabulary_.subjects();

  std::vector<PairedExample> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const NumberForms& verb = rng.pick(vocabulary_.agreement_verbs());
    // Cycling through the cases balances them exactly; the final shuffle hides the cycle.
    const bool plural1 = task == SvaTask::kSimple ? (i % 2 == 1) : (i % 4 >= 2);
    const bool plural2 = i % 2 == 1;
    PairedExample example;
    switch (task) {
      case SvaTask::kSimple: {
        const NumberForms& noun = rng.pick(subjects);
        example.clean_prefix = "The " + noun.form(plural1);
        example.patch_prefix = "The " + noun.form(!plural1);
        example.case_label = number_name(plural1);
        break;
      }
      case SvaTask::kNounPP: {
        const NounPPCombo& c = rng.pick(nounpp);
        const std::string tail = " " + vocabulary_.prepositions()[c.preposition] + " the " +
                                 vocabulary_.pp_objects()[c.object].form(plural2);
        example.clean_prefix = "The " + subjects[c.subject].form(plural1) + tail;
        example.patch_prefix = "The " + subjects[c.subject].form(!plural1) + tail;
        break;
      }
      case SvaTask::kAcrossRc: {
        const RcCombo& c = rng.pick(rc);
        const std::string tail = " that the " + vocabulary_.rc_subjects()[c.rc_subject].form(plural2) + " " +
                                 rng.pick(vocabulary_.rc_verbs()).form(plural2);
        example.clean_prefix = "The " + subjects[c.subject].form(plural1) + tail;
        example.patch_prefix = "The " + subjects[c.subject].form(!plural1) + tail;
        break;
      }
      case SvaTask::kWithinRc: {
        const RcCombo& c = rng.pick(rc);
        const std::string head = "The " + subjects[c.subject].form(plural1) + " that the ";
        example.clean_prefix = head + vocabulary_.rc_subjects()[c.rc_subject].form(plural2);
        example.patch_prefix = head + vocabulary_.rc_subjects()[c.rc_subject].form(!plural2);
        break;
      }
    }
    if (task != SvaTask::kSimple)
      example.case_label = std::string(number_name(plural1)) + "_" + number_name(plural2);
    const bool agrees_plural = task == SvaTask::kWithinRc ? plural2 : plural1;
    example.clean_answer = " " + verb.form(agrees_plural);
    example.patch_answer = " " + verb.form(!agrees_plural);
    out.push_back(std::move(example));
  }
  rng.shuffle(out);
  return out;
}

std::vector<std::string> DatasetWriter::write_all(const std::string& dir) const {
  namespace fs = std::filesystem;
  const fs::path root(dir);
  const fs::path sva = root / "sva";
  std::error_code ec;
  fs::create_directories(sva, ec);
  if (ec) throw Error("datasets: cannot create " + sva.string() + ": " + ec.message());

  std::vector<std::string> written;
  auto emit = [&written](const fs::path& path, const std::vector<std::string>& lines) {
    write_lines(path, lines);
    written.push_back(path.string());
  };
  emit(root / "capitals.jsonl", json_lines(capitals()));
  emit(root / "capitals_paired.jsonl", json_lines(paired_capitals()));
  for (SvaTask task : all_sva_tasks()) {
    const std::string stem(sva_task_stem(task));
    emit(sva / (stem + "_train.json"), json_lines(sva_pairs(task, DatasetSplit::kTrain)));
    emit(sva / (stem + "_test.json"), json_lines(sva_pairs(task, DatasetSplit::kTest)));
  }
  return written;
}

std::string DatasetWriter::to_json_line(const CapitalExample& e) {
  return "{\"prompt\": " + json_string(e.prompt) + ", \"answer\": " + json_string(e.answer) +
         ", \"answer_first_word\": " + json_string(e.answer_first_word) +
         ", \"state\": " + json_string(e.state) + ", \"capital\": " + json_string(e.capital) +
         ", \"city\": " + json_string(e.city) + ", \"held_out\": " + (e.held_out ? "true" : "false") + "}";
}

std::string DatasetWriter::to_json_line(const PairedExample& e) {
  return "{\"clean_prefix\": " + json_string(e.clean_prefix) +
         ", \"patch_prefix\": " + json_string(e.patch_prefix) +
         ", \"clean_answer\": " + json_string(e.clean_answer) +
         ", \"patch_answer\": " + json_string(e.patch_answer) + ", \"case\": " + json_string(e.case_label) +
         "}";
}

}  // namespace ce::core
