// The profiles file of a traced prompt set: written by `circuit-trace trace-set` and the explorer, read by
// `cluster`, `hypothesis` and the explorer. Every field is checked on reading, so a damaged or hand-edited
// file fails with the field's path instead of a wrong picture.
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>

#include "base/json_input.h"
#include "ce/core/base/error.h"
#include "ce/core/base/files.h"
#include "ce/core/prompt_sets/set_trace.h"
#include "io/loader_util.h"

namespace ce::core {

namespace {

constexpr const char* kFormat = "circuit-explorer prompt-set trace";
constexpr int kVersion = 1;
constexpr uint64_t kMaxBytes = uint64_t{2} << 30;  // 2 GiB: 10^4 neurons x 10^3 prompts of short texts

// A float as the shortest decimal that reads back to the same float (nlohmann would print the widened double).
double compact(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  return std::strtod(buf, nullptr);
}

nlohmann::json float_array(const std::vector<float>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (float x : v) a.push_back(compact(x));
  return a;
}

const char* target_name(Metric m) { return metric_name(m); }

// "a number", "an object", "null": as json_input's messages name what they found.
std::string kind(const nlohmann::json& j) {
  const std::string t = j.type_name();
  return j.is_null() ? t : (t[0] == 'o' || t[0] == 'a' ? "an " : "a ") + t;
}

std::string at(const std::string& where, size_t i) { return where + "[" + std::to_string(i) + "]"; }

const nlohmann::json& array_of(const nlohmann::json& j, const std::string& where, size_t size = SIZE_MAX) {
  if (!j.is_array()) throw Error(where + ": expected an array, found " + kind(j));
  if (size != SIZE_MAX && j.size() != size) {
    throw Error(where + ": expected " + std::to_string(size) + " values, found " + std::to_string(j.size()));
  }
  return j;
}

double number(const nlohmann::json& j, const std::string& where) {
  if (!j.is_number()) throw Error(where + ": expected a number, found " + kind(j));
  const double v = j.get<double>();
  if (!std::isfinite(v)) throw Error(where + ": not a finite number");
  return v;
}

// A float of a profile: a finite double beyond float's range would load as infinity and be written back as null.
float single(const nlohmann::json& j, const std::string& where) {
  const double v = number(j, where);
  if (std::fabs(v) > std::numeric_limits<float>::max()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    throw Error(where + ": " + buf + " is beyond the range of a 32-bit float");
  }
  return static_cast<float>(v);
}

std::vector<float> floats(const nlohmann::json& j, const std::string& where, size_t size = SIZE_MAX) {
  std::vector<float> out;
  array_of(j, where, size);
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) out.push_back(single(j[i], at(where, i)));
  return out;
}

// A key or value of the file in a message: made printable and cut, so that a hostile one is not echoed whole.
std::string quote(const std::string& text) { return detail::printable(text, false, 100); }

// The option `key` as a string. The parsers' messages quote the name whole, and no valid name is long, so a long
// one is refused here with a cut quote.
std::string option_name(const nlohmann::json& j, const char* key, const std::string& where) {
  const std::string w = where + "." + key;
  std::string name = json_string(json_member(j, key, where), w);
  if (name.size() > 100) throw Error(w + ": unknown value '" + quote(name) + "'");
  return name;
}

int bounded(const nlohmann::json& j, const std::string& where, long long lo, long long hi) {
  const long long v = json_integer(j, where);
  if (v < lo || v > hi) {
    throw Error(where + ": " + std::to_string(v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return static_cast<int>(v);
}

SetTraceOptions read_options(const nlohmann::json& j, const std::string& where) {
  SetTraceOptions o;
  const std::string target = option_name(j, "target", where), baseline = option_name(j, "baseline", where),
                    method = option_name(j, "method", where), rules = option_name(j, "rules", where);
  try {
    o.target = parse_metric(target);
    o.baseline = parse_set_baseline(baseline);
    o.method = parse_method(method);
    o.rules = RelpRules::parse(rules);
  } catch (const Error& e) {
    const std::string what = e.what();
    throw Error(what.rfind(where, 0) == 0 ? what : where + ": " + what);
  }
  o.ig_steps = bounded(json_member(j, "ig_steps", where), where + ".ig_steps", 1, 1000);
  o.keep = number(json_member(j, "keep", where), where + ".keep");
  if (o.keep < 0 || o.keep > 1) throw Error(where + ".keep: must be in [0, 1]");
  o.format = json_bool(json_member(j, "chat", where), where + ".chat") ? PromptFormat::Chat : PromptFormat::Plain;
  o.edge_targets = bounded(json_member(j, "edge_targets", where), where + ".edge_targets", 0, 1 << 30);
  // Absent in files written before the feature basis: those traced neurons.
  const std::string basis = json_optional(j, "basis", where) ? option_name(j, "basis", where) : "mlp_act";
  try {
    o.basis = parse_basis(basis);
  } catch (const Error& e) {
    throw Error(where + ".basis: " + e.what());
  }
  if (o.basis != Basis::MlpAct && o.basis != Basis::Features) {
    throw Error(where + ".basis: a trace is of mlp_act or sae, not " + basis);
  }
  return o;
}

}  // namespace

void save_set_trace(const SetTrace& t, const std::string& path) {
  nlohmann::json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["source"] = t.source;
  j["layers"] = t.layers;
  j["width"] = t.width;
  j["options"] = {{"target", target_name(t.options.target)},
                  {"baseline", set_baseline_name(t.options.baseline)},
                  {"method", method_name(t.options.method)},
                  {"rules", t.options.rules.to_string()},
                  {"ig_steps", t.options.ig_steps},
                  {"keep", t.options.keep},
                  {"chat", t.options.format == PromptFormat::Chat},
                  {"edge_targets", t.options.edge_targets},
                  {"basis", basis_name(t.options.basis)}};
  if (t.options.basis == Basis::Features) {
    j["dictionaries"] = {{"path", t.dictionaries}, {"fingerprint", t.dictionaries_fingerprint}};
  }
  j["columns"] = t.columns;
  nlohmann::json prompts = nlohmann::json::array();
  for (const SetPrompt& p : t.prompts) {
    prompts.push_back({{"prompt", p.text.prompt},
                       {"answer", p.text.answer},
                       {"contrast", p.text.contrast},
                       {"patch_prompt", p.text.patch_prompt},
                       {"labels", p.text.labels},
                       {"ids", p.ids},
                       {"m", p.m}});
  }
  j["prompts"] = std::move(prompts);
  nlohmann::json neurons = nlohmann::json::array();
  for (const SetNeuron& n : t.neurons) {
    nlohmann::json acts = nlohmann::json::array();
    for (const auto& a : n.activation) acts.push_back(float_array(a));
    neurons.push_back({{"layer", n.layer},
                       {"index", n.index},
                       {"total", n.total},
                       {"profile", float_array(n.profile)},
                       {"contribution", float_array(n.contribution)},
                       {"peak", float_array(n.peak)},
                       {"activation", std::move(acts)}});
  }
  j["neurons"] = std::move(neurons);
  nlohmann::json edges = nlohmann::json::array();
  for (const SetEdge& e : t.edges) {
    edges.push_back({{"src", e.src}, {"dst", e.dst}, {"mean", e.mean}, {"profile", float_array(e.profile)}});
  }
  j["edges"] = std::move(edges);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error(path + ": cannot write the profiles file: " + std::strerror(errno));
  f << j.dump() << '\n';
  f.flush();
  if (!f) throw Error(path + ": cannot write the profiles file: " + std::strerror(errno));
}

SetTrace load_set_trace(const std::string& path) {
  const nlohmann::json j = parse_json(read_file(path, kMaxBytes, "a profiles file"), path);
  if (!j.is_object()) throw Error(path + ": expected a JSON object");
  const nlohmann::json* format = json_optional(j, "format", path);
  if (format == nullptr || !format->is_string() || format->get_ref<const std::string&>() != kFormat) {
    throw Error(path + ": not a prompt-set profiles file (\"format\" is not \"" + std::string(kFormat) + "\")");
  }
  const int version = bounded(json_member(j, "version", path), path + ": version", 0, 1 << 30);
  if (version != kVersion) throw Error(path + ": profiles format version " + std::to_string(version) + " is not supported (expected 1)");
  SetTrace t;
  t.source = json_string(json_member(j, "source", path), path + ": source");
  t.layers = bounded(json_member(j, "layers", path), path + ": layers", 1, 1 << 12);
  t.width = bounded(json_member(j, "width", path), path + ": width", 1, 1 << 24);
  t.options = read_options(json_member(j, "options", path), path + ": options");
  if (t.options.basis == Basis::Features) {
    const std::string w = path + ": dictionaries";
    const nlohmann::json& d = json_member(j, "dictionaries", path);
    if (!d.is_object()) throw Error(w + ": expected an object, found " + kind(d));
    t.dictionaries = json_string(json_member(d, "path", w), w + ".path");
    if (t.dictionaries.empty()) throw Error(w + ".path: empty");
    const long long fp = json_integer(json_member(d, "fingerprint", w), w + ".fingerprint");
    if (fp < 0 || fp > 0xffffffffLL) throw Error(w + ".fingerprint: " + std::to_string(fp) + " is not a 32-bit hash");
    t.dictionaries_fingerprint = static_cast<uint32_t>(fp);
  } else if (json_optional(j, "dictionaries", path)) {
    throw Error(path + ": dictionaries: only a trace of the sae basis has them");
  }
  const nlohmann::json& cols = array_of(json_member(j, "columns", path), path + ": columns");
  for (size_t i = 0; i < cols.size(); ++i) t.columns.push_back(json_string(cols[i], at(path + ": columns", i)));

  const std::string pw = path + ": prompts";
  const nlohmann::json& prompts = array_of(json_member(j, "prompts", path), pw);
  if (prompts.empty()) throw Error(pw + ": no prompts");
  for (size_t i = 0; i < prompts.size(); ++i) {
    const std::string w = at(pw, i);
    const nlohmann::json& p = prompts[i];
    SetPrompt sp;
    sp.text.prompt = json_string(json_member(p, "prompt", w), w + ".prompt");
    sp.text.answer = json_string_or(p, "answer", "", w);
    sp.text.contrast = json_string_or(p, "contrast", "", w);
    sp.text.patch_prompt = json_string_or(p, "patch_prompt", "", w);
    const nlohmann::json& labels = json_member(p, "labels", w);
    if (!labels.is_object()) throw Error(w + ".labels: expected an object, found " + kind(labels));
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      sp.text.labels[it.key()] = json_string(it.value(), w + ".labels." + quote(it.key()));
    }
    for (const std::string& c : t.columns) {
      if (!sp.text.labels.count(c)) throw Error(w + ".labels: missing column \"" + quote(c) + "\"");
    }
    const nlohmann::json& ids = array_of(json_member(p, "ids", w), w + ".ids");
    if (ids.empty()) throw Error(w + ".ids: no tokens");
    for (size_t k = 0; k < ids.size(); ++k) sp.ids.push_back(bounded(ids[k], at(w + ".ids", k), 0, 1 << 30));
    sp.m = number(json_member(p, "m", w), w + ".m");
    t.prompts.push_back(std::move(sp));
  }

  const size_t P = t.prompts.size();
  const std::string nw = path + ": neurons";
  const nlohmann::json& neurons = array_of(json_member(j, "neurons", path), nw);
  for (size_t i = 0; i < neurons.size(); ++i) {
    const std::string w = at(nw, i);
    const nlohmann::json& n = neurons[i];
    SetNeuron sn;
    sn.layer = bounded(json_member(n, "layer", w), w + ".layer", 0, t.layers - 1);
    sn.index = bounded(json_member(n, "index", w), w + ".index", 0, t.width - 1);
    if (!t.neurons.empty() && std::make_pair(sn.layer, sn.index) <= std::make_pair(t.neurons.back().layer, t.neurons.back().index)) {
      throw Error(w + ": neurons must be listed once each, by layer and index");
    }
    sn.total = number(json_member(n, "total", w), w + ".total");
    sn.profile = floats(json_member(n, "profile", w), w + ".profile", P);
    sn.contribution = floats(json_member(n, "contribution", w), w + ".contribution", P);
    sn.peak = floats(json_member(n, "peak", w), w + ".peak", P);
    const nlohmann::json& acts = array_of(json_member(n, "activation", w), w + ".activation", P);
    for (size_t k = 0; k < P; ++k) {
      sn.activation.push_back(floats(acts[k], at(w + ".activation", k), t.prompts[k].ids.size()));
    }
    t.neurons.push_back(std::move(sn));
  }

  const std::string ew = path + ": edges";
  const nlohmann::json& edges = array_of(json_member(j, "edges", path), ew);
  const long long last = static_cast<long long>(t.neurons.size()) - 1;
  for (size_t i = 0; i < edges.size(); ++i) {
    const std::string w = at(ew, i);
    const nlohmann::json& e = edges[i];
    SetEdge se;
    se.src = bounded(json_member(e, "src", w), w + ".src", 0, last);
    se.dst = bounded(json_member(e, "dst", w), w + ".dst", 0, last);
    if (t.neurons[static_cast<size_t>(se.src)].layer >= t.neurons[static_cast<size_t>(se.dst)].layer) {
      throw Error(w + ": the source must lie in an earlier layer than the target");
    }
    se.mean = number(json_member(e, "mean", w), w + ".mean");
    se.profile = floats(json_member(e, "profile", w), w + ".profile", P);
    t.edges.push_back(std::move(se));
  }
  return t;
}

}  // namespace ce::core
