// The names and parsers of attribution's options, and the ranking of a result's nodes: no LibTorch here.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "ce/core/base/error.h"
#include "ce/core/circuits/attribution.h"
#include "io/loader_util.h"

namespace ce::core {

const char* method_name(Method method) {
  switch (method) {
    case Method::AtP: return "atp";
    case Method::IG: return "ig";
    case Method::RelP: return "relp";
    case Method::Exact: return "exact";
  }
  return "?";
}

Method parse_method(const std::string& name) {
  for (Method m : {Method::AtP, Method::IG, Method::RelP, Method::Exact}) {
    if (name == method_name(m)) return m;
  }
  throw Error("unknown method '" + detail::printable(name, false, 60) +
              "' (expected atp, ig, relp or exact)");
}

const char* metric_name(Metric metric) {
  switch (metric) {
    case Metric::Diff: return "diff";
    case Metric::Logit: return "logit";
    case Metric::TopK: return "topk";
  }
  return "?";
}

Metric parse_metric(const std::string& name) {
  for (Metric m : {Metric::Diff, Metric::Logit, Metric::TopK}) {
    if (name == metric_name(m)) return m;
  }
  throw Error("unknown metric '" + detail::printable(name, false, 60) + "' (expected diff, logit or topk)");
}

RelpRules RelpRules::parse(const std::string& text) {
  RelpRules r;
  if (text == "all" || text.empty()) return r;
  r = RelpRules{false, false, false, false};
  if (text == "none") return r;
  std::stringstream ss(text);
  std::string word;
  bool removing_only = true;
  std::vector<std::pair<std::string, bool>> words;
  while (std::getline(ss, word, ',')) {
    const bool minus = !word.empty() && word[0] == '-';
    if (minus) word = word.substr(1);
    if (!minus) removing_only = false;
    words.emplace_back(word, !minus);
  }
  if (removing_only) r = RelpRules{};
  for (const auto& [w, on] : words) {
    bool* flag = w == "norm" ? &r.norm : w == "gate" ? &r.gate : w == "half" ? &r.half : w == "attn" ? &r.attn : nullptr;
    if (!flag) {
      throw Error("unknown RelP rule '" + detail::printable(w, false, 60) + "' in --rules '" +
                  detail::printable(text, false, 100) +
                  "' (expected all, none or a comma list of norm, gate, half, attn, each optionally with a leading -)");
    }
    *flag = on;
  }
  return r;
}

std::string RelpRules::to_string() const {
  std::string s;
  auto add = [&s](bool on, const char* name) {
    if (on) s += (s.empty() ? "" : ",") + std::string(name);
  };
  add(norm, "norm");
  add(gate, "gate");
  add(half, "half");
  add(attn, "attn");
  return s.empty() ? "none" : s;
}

std::vector<NodeEffect> top_nodes(const AttributionResult& r, int n) {
  std::vector<size_t> order;
  order.reserve(r.effect.size());
  for (size_t i = 0; i < r.effect.size(); ++i) {
    if (r.evaluated.empty() || r.evaluated[i]) order.push_back(i);
  }
  const size_t k = n <= 0 ? order.size() : std::min(order.size(), static_cast<size_t>(n));
  auto cmp = [&r](size_t a, size_t b) {
    const float fa = std::abs(r.effect[a]), fb = std::abs(r.effect[b]);
    return fa != fb ? fa > fb : a < b;
  };
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), cmp);
  std::vector<NodeEffect> out;
  out.reserve(k);
  const size_t per_layer = static_cast<size_t>(r.positions) * static_cast<size_t>(r.width);
  for (size_t j = 0; j < k; ++j) {
    const size_t i = order[j];
    NodeEffect e;
    e.node.layer = static_cast<int>(i / per_layer);
    e.node.pos = static_cast<int>((i % per_layer) / static_cast<size_t>(r.width));
    e.node.index = static_cast<int>(i % static_cast<size_t>(r.width));
    e.effect = r.effect[i];
    e.activation = r.activation[i];
    out.push_back(e);
  }
  return out;
}

}  // namespace ce::core
