#include "ce/core/prompt_sets/hypothesis.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "ce/core/base/error.h"

namespace ce::core {

double roc_auc(const std::vector<float>& scores, const std::vector<bool>& positive) {
  if (scores.size() != positive.size()) throw Error("roc_auc: scores and labels differ in number");
  const size_t n = scores.size();
  const size_t pos = static_cast<size_t>(std::count(positive.begin(), positive.end(), true));
  if (pos == 0 || pos == n) throw Error("roc_auc: needs both positive and negative examples");
  // Mann-Whitney U from mid-ranks: ties share the mean of their ranks, which counts a tied pair as one half.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&scores](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double mid = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;  // ranks i+1..j
    for (size_t k = i; k < j; ++k)
      if (positive[order[k]]) rank_sum += mid;
    i = j;
  }
  const double p = static_cast<double>(pos), q = static_cast<double>(n - pos);
  return (rank_sum - p * (p + 1) / 2.0) / (p * q);
}

ActivationPick ActivationPick::parse(const std::string& text) {
  ActivationPick pick;
  if (text == "max") return pick;
  size_t used = 0;
  try {
    pick.position = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) {
    throw Error("position '" + text.substr(0, 40) + "' is neither max nor an integer (0 = first token, -1 = last)");
  }
  pick.max = false;
  return pick;
}

std::string ActivationPick::to_string() const { return max ? "max" : std::to_string(position); }

std::vector<HypothesisScore> hypothesis_scores(const SetTrace& trace, const std::string& column,
                                               const std::string& value, const ActivationPick& pick) {
  if (std::find(trace.columns.begin(), trace.columns.end(), column) == trace.columns.end()) {
    throw Error(missing_column_message(trace.columns, column));
  }
  std::vector<bool> positive;
  std::set<std::string> values;
  for (const SetPrompt& p : trace.prompts) {
    const std::string& v = p.text.labels.at(column);
    values.insert(v);
    positive.push_back(v == value);
  }
  const size_t pos = static_cast<size_t>(std::count(positive.begin(), positive.end(), true));
  if (pos == 0) throw Error("no prompt has " + column + " = '" + value + "'");
  if (pos == positive.size()) throw Error("every prompt has " + column + " = '" + value + "'; nothing to separate");
  std::vector<HypothesisScore> out;
  for (size_t k = 0; k < trace.neurons.size(); ++k) {
    const SetNeuron& n = trace.neurons[k];
    std::vector<float> score;
    for (size_t i = 0; i < n.activation.size(); ++i) {
      const std::vector<float>& a = n.activation[i];
      if (a.empty()) throw Error("the trace has no activations for prompt " + std::to_string(i + 1));
      if (pick.max) {
        score.push_back(*std::max_element(a.begin(), a.end()));
        continue;
      }
      const long long at = pick.position >= 0 ? pick.position : static_cast<long long>(a.size()) + pick.position;
      if (at < 0 || at >= static_cast<long long>(a.size())) {
        throw Error("position " + std::to_string(pick.position) + " is outside prompt " + std::to_string(i + 1) +
                    " (" + std::to_string(a.size()) + " tokens)");
      }
      score.push_back(a[static_cast<size_t>(at)]);
    }
    out.push_back({static_cast<int>(k), roc_auc(score, positive)});
  }
  std::stable_sort(out.begin(), out.end(), [](const HypothesisScore& a, const HypothesisScore& b) {
    return std::abs(a.auc - 0.5) > std::abs(b.auc - 0.5);
  });
  return out;
}

std::vector<std::pair<int, int>> value_neurons(const SetTrace& trace, const std::string& column,
                                               const std::string& value, double threshold,
                                               const ActivationPick& pick) {
  std::vector<std::pair<int, int>> out;
  for (const HypothesisScore& s : hypothesis_scores(trace, column, value, pick)) {
    if (s.auc >= threshold) out.emplace_back(trace.neurons[static_cast<size_t>(s.neuron)].layer,
                                             trace.neurons[static_cast<size_t>(s.neuron)].index);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const std::string& label_of(const SetTrace& trace, const std::vector<int>& ids, const std::string& column) {
  for (const SetPrompt& p : trace.prompts) {
    if (p.ids != ids) continue;
    auto it = p.text.labels.find(column);
    if (it == p.text.labels.end()) throw Error("the traced prompts have no label column '" + column + "'");
    return it->second;
  }
  throw Error("a prompt of the pairs is not among the traced prompts (" + trace.source + ")");
}

}  // namespace ce::core
