#include "ce/demo/demo_evaluator.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ce/core/circuits/attribution_example.h"
#include "ce/demo/corpus_generator.h"
#include "ce/demo/dataset_writer.h"
#include "ce/core/base/error.h"
#include "ce/demo/sva_vocabulary.h"
#include "ce/demo/world.h"
#include "base/json_input.h"
#include "ce/core/base/files.h"

namespace ce::core {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct FactItem {
  std::string prompt;
  std::string answer;  // with its leading space
};

// The indices evaluated of a set of n items: all, or `limit` spread evenly.
std::vector<size_t> pick(size_t n, size_t limit) {
  std::vector<size_t> out;
  const size_t k = limit == 0 ? n : std::min(n, limit);
  for (size_t i = 0; i < k; ++i) out.push_back(i * n / k);
  return out;
}

std::pair<std::vector<int>, std::vector<int>> split_ids(const Model& model, const std::string& prompt,
                                                        const std::string& answer) {
  return split_prompt_answer(model.tokenizer(), model.tokenizer().default_add_bos(), prompt, answer);
}

size_t argmax(const std::vector<float>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

void fail(DemoEvalSet& set, size_t max_failures, const std::string& text) {
  if (set.failures.size() < max_failures) set.failures.push_back(text);
}

DemoEvalSet eval_facts(const Model& model, const std::string& name, const std::string& description,
                       const std::vector<FactItem>& items, const DemoEvalOptions& o) {
  DemoEvalSet set;
  set.name = name;
  set.description = description;
  for (size_t i : pick(items.size(), o.max_per_set)) {
    const FactItem& item = items[i];
    auto [p, a] = split_ids(model, item.prompt, item.answer);
    ++set.accuracy.total;
    if (a.empty()) {
      fail(set, o.max_failures, item.prompt + " ->" + item.answer + " (answer has no tokens)");
      continue;
    }
    std::vector<int> ids = p;
    ids.insert(ids.end(), a.begin(), a.end() - 1);
    const std::vector<std::vector<float>> logits = model.all_logits(ids);  // [tokens][vocab]
    std::string got;
    bool ok = true;
    for (size_t k = 0; k < a.size(); ++k) {
      const size_t top = argmax(logits[p.size() - 1 + k]);
      got += model.tokenizer().decode({static_cast<int>(top)});
      if (static_cast<int>(top) != a[k]) {
        ok = false;
        break;
      }
    }
    if (ok) {
      ++set.accuracy.correct;
    } else {
      fail(set, o.max_failures, item.prompt + " ->" + item.answer + " (got \"" + got + "\")");
    }
  }
  return set;
}

DemoEvalSet eval_pairs(const Model& model, const std::string& name, const std::string& description,
                       const std::vector<PairedExample>& items, const DemoEvalOptions& o) {
  DemoEvalSet set;
  set.name = name;
  set.description = description;
  for (size_t i : pick(items.size(), o.max_per_set)) {
    const PairedExample& e = items[i];
    auto [p, clean] = split_ids(model, e.clean_prefix, e.clean_answer);
    const std::vector<int> patch = split_ids(model, e.clean_prefix, e.patch_answer).second;
    ++set.accuracy.total;
    const std::string what = e.clean_prefix + " ->" + e.clean_answer + " vs" + e.patch_answer;
    if (clean.empty() || patch.empty() || clean[0] == patch[0]) {
      fail(set, o.max_failures, what + " (answers share their first token)");
      continue;
    }
    const std::vector<float> logits = model.next_logits(p);
    const float lc = logits[static_cast<size_t>(clean[0])], lp = logits[static_cast<size_t>(patch[0])];
    if (lc > lp) {
      ++set.accuracy.correct;
    } else {
      char buf[96];
      std::snprintf(buf, sizeof buf, " (logits %.2f vs %.2f)", static_cast<double>(lc), static_cast<double>(lp));
      fail(set, o.max_failures, what + buf);
    }
  }
  return set;
}

// One JSON object per non-empty line.
std::vector<json> read_jsonl(const fs::path& path) {
  std::vector<json> out;
  std::istringstream in(read_file(path.string(), uint64_t{1} << 30, "a dataset"));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      json j = parse_json(line, path.string());
      if (!j.is_object()) throw Error("not an object");
      out.push_back(std::move(j));
    } catch (const std::exception&) {
      throw Error(path.string() + ":" + std::to_string(number) + ": invalid JSON line");
    }
  }
  return out;
}

std::string field(const json& j, const char* key, const fs::path& path) {
  if (!j.contains(key) || !j.at(key).is_string()) throw Error(path.string() + ": a line lacks the string field " + key);
  return j.at(key).get<std::string>();
}

std::vector<PairedExample> read_pairs(const fs::path& path) {
  std::vector<PairedExample> out;
  for (const json& j : read_jsonl(path)) {
    PairedExample e;
    e.clean_prefix = field(j, "clean_prefix", path);
    e.patch_prefix = field(j, "patch_prefix", path);
    e.clean_answer = field(j, "clean_answer", path);
    e.patch_answer = field(j, "patch_answer", path);
    if (j.contains("case") && j.at("case").is_string()) e.case_label = j.at("case").get<std::string>();
    out.push_back(std::move(e));
  }
  return out;
}

json accuracy_json(const DemoEvalSet& s) {
  json j = {{"correct", s.accuracy.correct}, {"total", s.accuracy.total}, {"accuracy", s.accuracy.rate()}};
  if (!s.failures.empty()) j["failures"] = s.failures;
  return j;
}

std::string percent(const Accuracy& a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", 100.0 * a.rate());
  return buf;
}

}  // namespace

DemoEvaluation evaluate_demo_model(const Model& model, const DemoEvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const World& world = World::united_states();
  const SvaVocabulary& vocabulary = SvaVocabulary::standard();
  DataSplitOptions split_options;
  split_options.seed = options.world_seed;
  const DataSplit split(world, vocabulary, split_options);
  DatasetOptions dataset_options;
  dataset_options.seed = options.world_seed;
  const DatasetWriter writer(world, vocabulary, split, dataset_options);
  DemoEvaluation ev;

  std::vector<FactItem> city_state, state_capital, trained, held_out;
  // Not "Dallas is a city in": the corpus also says "Dallas is a city in the state whose capital is Austin",
  // so " the" is a correct continuation there. The issue's own one-hop form has a single right answer.
  for (const City& c : world.cities()) city_state.push_back({"Fact: the state containing " + c.name + " is", " " + c.state});
  for (const UsState& s : world.states()) state_capital.push_back({"The capital of " + s.name + " is", " " + s.capital});
  if (options.datasets_dir.empty()) {
    for (const CapitalExample& e : writer.capitals()) (e.held_out ? held_out : trained).push_back({e.prompt, e.answer});
  } else {
    const fs::path path = fs::path(options.datasets_dir) / "capitals.jsonl";
    for (const json& j : read_jsonl(path)) {
      const bool h = j.contains("held_out") && j.at("held_out").is_boolean() && j.at("held_out").get<bool>();
      (h ? held_out : trained).push_back({field(j, "prompt", path), field(j, "answer", path)});
    }
  }
  const std::string fact_rule = "top-1 of every answer token (teacher-forced)";
  ev.city_state = eval_facts(model, "city_state", "\"Fact: the state containing Dallas is\" -> \" Texas\"; " + fact_rule, city_state, options);
  ev.state_capital =
      eval_facts(model, "state_capital", "\"The capital of Texas is\" -> \" Austin\"; " + fact_rule, state_capital, options);
  ev.two_hop_trained = eval_facts(model, "two_hop_trained",
                                  "\"Fact: the capital of the state containing Dallas is\" -> \" Austin\", trained "
                                  "cities; " + fact_rule,
                                  trained, options);
  ev.two_hop_held_out = eval_facts(model, "two_hop_held_out",
                                   "the two-hop prompt for cities whose two-hop facts were never trained; " + fact_rule,
                                   held_out, options);

  const std::string sva_rule = "logit(clean_answer) > logit(patch_answer) after clean_prefix";
  for (SvaTask task : all_sva_tasks()) {
    const std::string stem(sva_task_stem(task));
    const std::vector<PairedExample> pairs =
        options.datasets_dir.empty()
            ? writer.sva_pairs(task, DatasetSplit::kTest)
            : read_pairs(fs::path(options.datasets_dir) / "sva" / (stem + "_test.json"));
    ev.sva_generated.push_back(eval_pairs(model, "sva/" + stem, "generated " + stem + "_test; " + sva_rule, pairs, options));
  }
  if (!options.shared_sva_dir.empty()) {
    for (const char* file : {"simple_test", "nounpp_test", "within_rc_test"}) {
      const fs::path path = fs::path(options.shared_sva_dir) / (std::string(file) + ".json");
      std::error_code ec;
      if (!fs::exists(path, ec)) continue;
      ev.sva_shared.push_back(
          eval_pairs(model, std::string("shared/") + file, std::string(file) + ".json (Marks et al.); " + sva_rule,
                     read_pairs(path), options));
    }
  }
  ev.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return ev;
}

std::string demo_evaluation_json(const DemoEvaluation& ev) {
  json j;
  for (const DemoEvalSet* s : {&ev.city_state, &ev.state_capital, &ev.two_hop_trained, &ev.two_hop_held_out}) {
    j[s->name] = accuracy_json(*s);
  }
  json sva = json::object();
  for (const DemoEvalSet& s : ev.sva_generated) sva[s.name.substr(s.name.find('/') + 1)] = accuracy_json(s);
  j["sva"] = sva;
  json shared = json::object();
  for (const DemoEvalSet& s : ev.sva_shared) shared[s.name.substr(s.name.find('/') + 1)] = accuracy_json(s);
  j["shared_sva"] = shared;
  j["seconds"] = ev.seconds;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string demo_evaluation_markdown(const DemoEvaluation& ev) {
  std::ostringstream md;
  md << "## Measured accuracy\n\n";
  md << "| Set | Correct | Accuracy | Scored as |\n|---|---|---|---|\n";
  auto row = [&](const std::string& label, const DemoEvalSet& s) {
    md << "| " << label << " | " << s.accuracy.correct << " / " << s.accuracy.total << " | " << percent(s.accuracy)
       << " | " << s.description << " |\n";
  };
  row("City -> state", ev.city_state);
  row("State -> capital", ev.state_capital);
  row("Two-hop, trained cities", ev.two_hop_trained);
  row("Two-hop, held-out cities", ev.two_hop_held_out);
  for (const DemoEvalSet& s : ev.sva_generated) row("SVA " + s.name.substr(s.name.find('/') + 1) + " (generated test)", s);
  for (const DemoEvalSet& s : ev.sva_shared) row("SVA " + s.name.substr(s.name.find('/') + 1) + " (shared data)", s);
  md << "\nTwo-hop answers of held-out cities can only come from composing the trained one-hop facts: no "
        "training document names such a city together with its state's capital.\n";
  return md.str();
}

}  // namespace ce::core
