#include "state/session.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>
#include <algorithm>
#include <cmath>

#include "ce/core/base/error.h"
#include "ce/core/base/files.h"
#include "ce/core/base/resources.h"
#include "ce/core/prompt_sets/hypothesis.h"
#include "ce/core/prompt_sets/set_trace.h"

namespace ce::ui {

namespace {

using ce::core::Error;

QJsonObject nodeJson(const NodeKey& k) {
  return QJsonObject{{QStringLiteral("basis"), QString::fromLatin1(ce::core::basis_name(k.basis))},
                     {QStringLiteral("layer"), k.node.layer},
                     {QStringLiteral("pos"), k.node.pos},
                     {QStringLiteral("index"), k.node.index}};
}

// Typed reads of a session's fields, each error naming the field ("groups[0].nodes[2].layer: expected an
// integer, found a string"): a field of the wrong kind is refused, never defaulted, since a silently dropped
// group or edit would lose the user's work without a word. Absent or null fields take their defaults.
std::string kindOf(const QJsonValue& v) {
  switch (v.type()) {
    case QJsonValue::Null: return "null";
    case QJsonValue::Bool: return "true or false";
    case QJsonValue::Double: return "a number";
    case QJsonValue::String: return "a string";
    case QJsonValue::Array: return "an array";
    case QJsonValue::Object: return "an object";
    default: return "nothing";
  }
}

[[noreturn]] void wrongKind(const std::string& where, const char* expected, const QJsonValue& v) {
  throw Error(where + ": expected " + expected + ", found " + kindOf(v));
}

std::string at(const std::string& where, const char* key) { return where.empty() ? key : where + "." + key; }

// The field `key` of `o`, or an undefined value when it is absent or null.
QJsonValue field(const QJsonObject& o, const char* key) {
  const QJsonValue v = o.value(QLatin1String(key));
  return v.isNull() ? QJsonValue(QJsonValue::Undefined) : v;
}

QString textOr(const QJsonObject& o, const char* key, const QString& fallback, const std::string& where) {
  const QJsonValue v = field(o, key);
  if (v.isUndefined()) return fallback;
  if (!v.isString()) wrongKind(at(where, key), "a string", v);
  return v.toString();
}

double numberOr(const QJsonObject& o, const char* key, double fallback, const std::string& where) {
  const QJsonValue v = field(o, key);
  if (v.isUndefined()) return fallback;
  if (!v.isDouble()) wrongKind(at(where, key), "a number", v);
  return v.toDouble();
}

bool flagOr(const QJsonObject& o, const char* key, bool fallback, const std::string& where) {
  const QJsonValue v = field(o, key);
  if (v.isUndefined()) return fallback;
  if (!v.isBool()) wrongKind(at(where, key), "true or false", v);
  return v.toBool();
}

QJsonArray arrayOr(const QJsonObject& o, const char* key, const std::string& where) {
  const QJsonValue v = field(o, key);
  if (v.isUndefined()) return {};
  if (!v.isArray()) wrongKind(at(where, key), "an array", v);
  return v.toArray();
}

QJsonObject objectOf(const QJsonValue& v, const std::string& where) {
  if (!v.isObject()) wrongKind(where, "an object", v);
  return v.toObject();
}

// A required integer (layer, position, index; -1 is a position meaning "every position").
int integer(const QJsonObject& o, const char* key, const std::string& where) {
  const QJsonValue v = field(o, key);
  if (v.isUndefined()) throw Error(where + ": missing the number \"" + key + "\"");
  const double d = v.toDouble();
  // Range first: converting 4.9e124 to an integer is undefined behaviour (found by the fuzz campaign).
  if (!v.isDouble() || !(d >= -1 && d <= 1e9) || d != std::floor(d)) {
    if (v.isDouble()) throw Error(at(where, key) + ": " + QString::number(d).toStdString() + " is not an integer >= -1");
    wrongKind(at(where, key), "an integer", v);
  }
  return static_cast<int>(d);
}

// A C0 control character or DEL: what excerpt writes out and a colour may not hold.
bool isControl(QChar c) { return c.unicode() < 0x20 || c.unicode() == 0x7f; }

// Text from the file as a message quotes it: at most 40 characters, control characters written as \u0000 so
// that none ends the message early (what() stops at a NUL) or breaks its line; `quoted` also escapes " and \.
QString excerpt(const QString& text, bool quoted = false) {
  QString out;
  for (const QChar c : text.left(40)) {
    if (quoted && (c == QLatin1Char('"') || c == QLatin1Char('\\'))) {
      out += QLatin1Char('\\');
      out += c;
    } else if (isControl(c)) {
      out += QString::asprintf("\\u%04x", static_cast<unsigned>(c.unicode()));
    } else {
      out += c;
    }
  }
  return out;
}

// An input's key as a message names it: a plain name (letters, digits, _) as it is, anything else in quotes
// (excerpt's escapes, "…" when cut). Unquoted, a key "xstd:" would run into the ": " that follows.
std::string shownKey(const QString& key) {
  static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_]{1,40}$"));
  if (plain.match(key).hasMatch()) return key.toStdString();
  const QString end = key.size() > 40 ? QStringLiteral("…\"") : QStringLiteral("\"");
  return (QLatin1Char('"') + excerpt(key, true) + end).toStdString();
}

// A group's "color" (absent or "": no colour). QColor reads a name only up to a NUL, so "blue\u0000ish" would
// load as blue: text with control characters is refused with the rest.
QColor colourOr(const QJsonObject& o, const std::string& where) {
  const QString text = textOr(o, "color", {}, where);
  const QColor colour(text);
  if (text.isEmpty()) return colour;
  if (!colour.isValid() || std::any_of(text.begin(), text.end(), isControl)) {
    throw Error(at(where, "color") + ": '" + excerpt(text).toStdString() + "' is not a colour (#rrggbb)");
  }
  return colour;
}

// An unknown key is refused with the keys this object may have: a typo ("grops") must not load as an empty field.
void onlyKeys(const QJsonObject& o, std::initializer_list<const char*> known, const std::string& where) {
  for (auto it = o.begin(); it != o.end(); ++it) {
    const QString key = it.key();
    if (std::any_of(known.begin(), known.end(), [&key](const char* k) { return key == QLatin1String(k); }))
      continue;
    std::string list;
    for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
    throw Error(at(where, shownKey(key).c_str()) + ": unknown key (known here: " + list + ")");
  }
}

// The model's ranges, when a check has a model (Session::check); null while only the kinds are read.
using Limits = const ce::core::ModelConfig*;

// `noun` names the number when `where` is a neuron name's field ("layer "), empty when it is the number's own.
void checkLayer(int layer, Limits m, const std::string& where, const char* noun = "") {
  if (m && !(layer >= 0 && layer < m->num_hidden_layers)) {
    throw Error(where + ": " + noun + std::to_string(layer) + " is out of range (the model has " +
                std::to_string(m->num_hidden_layers) + " layers, 0 to " + std::to_string(m->num_hidden_layers - 1) +
                ")");
  }
}

void checkIndex(ce::core::Basis basis, int index, Limits m, const std::string& where, const char* noun = "") {
  // A feature's range is its dictionaries' (d_sae + 1), checked when a trace or a steering run loads them.
  if (!m || basis == ce::core::Basis::Features) return;
  const int64_t width = ce::core::basis_width(basis, *m);
  if (index >= 0 && index < width) return;
  const std::string what = basis == ce::core::Basis::MlpAct
                               ? "the model has " + std::to_string(width) + " neurons per layer"
                               : "the model's " + std::string(ce::core::basis_name(basis)) + " basis has " +
                                     std::to_string(width) + " values per layer";
  throw Error(where + ": " + noun + std::to_string(index) + " is out of range (" + what + ")");
}

double finite(double v, const std::string& where) {
  if (!std::isfinite(v)) throw Error(where + ": must be a finite number");
  return v;
}

// parse_basis and friends name the bad value; the field's path says where it is.
template <typename F>
auto named(const std::string& where, F&& parse) {
  try {
    return parse();
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
}

// A node: {basis, layer, pos, index}, and with `extra` keys (an intervention's factor or value).
NodeKey nodeFromJson(const QJsonValue& v, const std::string& where, Limits m,
                     std::initializer_list<const char*> keys = {"basis", "layer", "pos", "index"}) {
  const QJsonObject o = objectOf(v, where);
  NodeKey k;
  const std::string basis = textOr(o, "basis", QStringLiteral("mlp_act"), where).toStdString();
  k.basis = named(at(where, "basis"), [&] { return ce::core::parse_basis(basis); });
  k.node.layer = integer(o, "layer", where);
  k.node.pos = integer(o, "pos", where);
  k.node.index = integer(o, "index", where);
  onlyKeys(o, keys, where);
  checkLayer(k.node.layer, m, at(where, "layer"));
  checkIndex(k.basis, k.node.index, m, at(where, "index"));
  return k;
}

std::string indexed(const char* name, qsizetype i) { return std::string(name) + "[" + std::to_string(i) + "]"; }

QJsonObject promptSetJson(const PromptSetSettings& p) {
  QJsonArray groups;
  for (const auto& g : p.groups) {
    groups.append(QJsonObject{{QStringLiteral("label"), g.label},
                              {QStringLiteral("color"), g.color.isValid() ? g.color.name() : QString()},
                              {QStringLiteral("neurons"), QJsonArray::fromStringList(g.neurons)}});
  }
  QJsonArray multipliers;
  for (double m : p.multipliers) multipliers.append(m);
  return QJsonObject{
      {QStringLiteral("data"), p.data},
      {QStringLiteral("profiles"), p.profiles},
      {QStringLiteral("target"), QString::fromLatin1(ce::core::metric_name(p.target))},
      {QStringLiteral("baseline"), p.baseline},
      {QStringLiteral("keep"), p.keep},
      {QStringLiteral("chat_template"), p.chat},
      {QStringLiteral("dictionaries"), p.dictionaries},
      {QStringLiteral("traced"), p.traced},
      {QStringLiteral("groups"), groups},
      {QStringLiteral("hypothesis"), QJsonObject{{QStringLiteral("column"), p.column},
                                                 {QStringLiteral("value"), p.value},
                                                 {QStringLiteral("position"), p.position},
                                                 {QStringLiteral("threshold"), p.threshold}}},
      {QStringLiteral("sweep"), QJsonObject{{QStringLiteral("group"), p.sweepGroup},
                                            {QStringLiteral("multipliers"), multipliers},
                                            {QStringLiteral("classes"), QJsonArray::fromStringList(p.classes)},
                                            {QStringLiteral("complement"), p.complement},
                                            {QStringLiteral("top1"), p.top1}}}};
}

QString textAt(const QJsonArray& a, qsizetype i, const std::string& where) {
  if (!a[i].isString()) wrongKind(where + "[" + std::to_string(i) + "]", "a string", a[i]);
  return a[i].toString();
}

QJsonObject objectOr(const QJsonObject& o, const char* key, const std::string& where) {
  const QJsonValue v = field(o, key);
  return v.isUndefined() ? QJsonObject() : objectOf(v, at(where, key));
}

PromptSetSettings promptSetFromJson(const QJsonObject& o, Limits m) {
  const std::string where = "prompt_set";
  PromptSetSettings p;
  p.data = textOr(o, "data", {}, where);
  p.profiles = textOr(o, "profiles", {}, where);
  const std::string target = textOr(o, "target", QStringLiteral("topk"), where).toStdString();
  p.target = named(at(where, "target"), [&] { return ce::core::parse_metric(target); });
  p.baseline = textOr(o, "baseline", QStringLiteral("zero"), where);
  named(at(where, "baseline"), [&] { return ce::core::parse_set_baseline(p.baseline.toStdString()); });
  p.keep = numberOr(o, "keep", 0.005, where);
  if (!(p.keep > 0 && p.keep <= 1)) throw Error(at(where, "keep") + ": must be a fraction in (0, 1]");
  p.chat = flagOr(o, "chat_template", false, where);
  p.dictionaries = textOr(o, "dictionaries", {}, where);
  // A feature trace's groups hold features (L3/F412), whose range is the set's.
  const ce::core::Basis basis = p.dictionaries.isEmpty() ? ce::core::Basis::MlpAct : ce::core::Basis::Features;
  p.traced = flagOr(o, "traced", false, where);
  const QJsonArray groups = arrayOr(o, "groups", where);
  for (qsizetype i = 0; i < groups.size(); ++i) {
    const std::string g = at(where, indexed("groups", i).c_str());
    const QJsonObject go = objectOf(groups[i], g);
    SetGroupSettings group;
    group.label = textOr(go, "label", {}, g);
    group.color = colourOr(go, g);
    const QJsonArray neurons = arrayOr(go, "neurons", g);
    const std::string n = at(g, "neurons");
    for (qsizetype k = 0; k < neurons.size(); ++k) {
      const QString name = textAt(neurons, k, n);
      const std::string here = n + "[" + std::to_string(k) + "]";
      const auto ref = named(here, [&] { return ce::core::parse_node_name(name.toStdString()); });
      // A group of the set holds neurons, not nodes: positions are collapsed in the profiles.
      if (ref.pos >= 0) {
        throw Error(here + ": '" + excerpt(name).toStdString() + "' names a position; give L/N");
      }
      checkLayer(ref.layer, m, here, "layer ");
      checkIndex(basis, ref.index, m, here, "neuron ");
      group.neurons << QString::fromStdString(ce::core::node_name(basis, ref.layer, ref.index));
    }
    onlyKeys(go, {"label", "color", "neurons"}, g);
    p.groups.push_back(std::move(group));
  }
  const std::string h = at(where, "hypothesis");
  const QJsonObject ho = objectOr(o, "hypothesis", where);
  p.column = textOr(ho, "column", {}, h);
  p.value = textOr(ho, "value", {}, h);
  p.position = textOr(ho, "position", QStringLiteral("max"), h);
  named(at(h, "position"), [&] { return ce::core::ActivationPick::parse(p.position.toStdString()); });
  p.threshold = numberOr(ho, "threshold", 0.8, h);
  if (!(p.threshold >= 0.5 && p.threshold <= 1)) throw Error(at(h, "threshold") + ": must be a number from 0.5 to 1");
  onlyKeys(ho, {"column", "value", "position", "threshold"}, h);
  const std::string sw = at(where, "sweep");
  const QJsonObject so = objectOr(o, "sweep", where);
  p.sweepGroup = textOr(so, "group", {}, sw);
  if (!field(so, "multipliers").isUndefined()) {
    const QJsonArray values = arrayOr(so, "multipliers", sw);
    p.multipliers.clear();
    for (qsizetype i = 0; i < values.size(); ++i) {
      const std::string here = at(sw, indexed("multipliers", i).c_str());
      if (!values[i].isDouble()) wrongKind(here, "a number", values[i]);
      p.multipliers.push_back(finite(values[i].toDouble(), here));
    }
  }
  if (!field(so, "classes").isUndefined()) {
    const QJsonArray c = arrayOr(so, "classes", sw);
    p.classes.clear();
    for (qsizetype i = 0; i < c.size(); ++i) p.classes << textAt(c, i, at(sw, "classes"));
  }
  p.complement = flagOr(so, "complement", false, sw);
  p.top1 = flagOr(so, "top1", false, sw);
  onlyKeys(so, {"group", "multipliers", "classes", "complement", "top1"}, sw);
  onlyKeys(o, {"data", "profiles", "target", "baseline", "keep", "chat_template", "dictionaries", "traced", "groups",
               "hypothesis", "sweep"},
           where);
  return p;
}

// The embedded demo model's folder, canonical ("" when the resources cannot be found).
QString demoDir() {
  try {
    return QFileInfo(QString::fromStdString(ce::core::default_model_dir())).canonicalFilePath();
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace

QJsonObject Session::toJson(const QString& sessionDir) const {
  QJsonArray groupArray;
  for (const auto& g : groups) {
    QJsonArray nodes;
    for (const auto& n : g.nodes) nodes.append(nodeJson(n));
    groupArray.append(QJsonObject{{QStringLiteral("name"), g.name},
                                  {QStringLiteral("color"), g.color.name()},
                                  {QStringLiteral("factor"), g.factor},
                                  {QStringLiteral("nodes"), nodes}});
  }
  QJsonArray edits;
  for (const auto& [k, f] : nodeFactors) {
    QJsonObject o = nodeJson(k);
    o.insert(QStringLiteral("factor"), f);
    edits.append(o);
  }
  for (const auto& [k, v] : nodeValues) {
    QJsonObject o = nodeJson(k);
    o.insert(QStringLiteral("value"), static_cast<double>(v));
    edits.append(o);
  }
  QJsonArray labelArray;
  for (const auto& [neuron, text] : labels) {
    labelArray.append(QJsonObject{{QStringLiteral("layer"), neuron.first},
                                  {QStringLiteral("index"), neuron.second},
                                  {QStringLiteral("label"), text}});
  }
  QJsonArray pinArray;
  for (const auto& k : pins) pinArray.append(nodeJson(k));
  const QJsonObject traceJson{
      {QStringLiteral("prompt"), trace.prompt},
      {QStringLiteral("answer"), trace.answer},
      {QStringLiteral("contrast"), trace.contrast},
      {QStringLiteral("patch_prompt"), trace.patch},
      {QStringLiteral("method"), QString::fromLatin1(ce::core::method_name(trace.method))},
      {QStringLiteral("basis"), QString::fromLatin1(ce::core::basis_name(trace.basis))},
      {QStringLiteral("metric"), QString::fromLatin1(ce::core::metric_name(trace.metric))},
      {QStringLiteral("top_k"), trace.topK},
      {QStringLiteral("threshold"), trace.threshold},
      {QStringLiteral("edges"), trace.edges},
      {QStringLiteral("chat_template"), trace.chat},
      {QStringLiteral("dictionaries"), trace.basis == ce::core::Basis::Features ? trace.dictionaries : QString()}};
  // The demo by name and a model beside the session relative to it: both move with the file.
  const QString canonical = modelDir.isEmpty() ? QString() : QFileInfo(modelDir).canonicalFilePath();
  const bool demo = modelDir.isEmpty() || (!canonical.isEmpty() && canonical == demoDir());
  QString storedDir = demo ? QString() : modelDir;
  if (!demo && !sessionDir.isEmpty() && !canonical.isEmpty()) {
    const QString base = QFileInfo(sessionDir).canonicalFilePath();
    if (!base.isEmpty() && canonical.startsWith(base + QLatin1Char('/'))) storedDir = QDir(base).relativeFilePath(canonical);
  }
  QJsonObject json{{QStringLiteral("format"), kFormat},
                     {QStringLiteral("program"), QStringLiteral("circuit-explorer")},
                     {QStringLiteral("program_version"), programVersion},
                     {QStringLiteral("model_dir"), storedDir},
                     {QStringLiteral("model_hash"), modelHash},
                     {QStringLiteral("trace"), traceJson},
                     {QStringLiteral("groups"), groupArray},
                     {QStringLiteral("node_interventions"), edits},
                     {QStringLiteral("labels"), labelArray},
                     {QStringLiteral("pins"), pinArray},
                     {QStringLiteral("prompt_set"), promptSetJson(promptSet)}};
  if (demo) json.insert(QStringLiteral("model"), QStringLiteral("demo"));
  return json;
}

namespace {

Session parse(const QJsonObject& json, Limits m) {
  const QJsonValue format = field(json, "format");
  if (format.isUndefined()) throw Error("no \"format\" field: not a session file of this program");
  if (!format.isDouble() || format.toDouble() != Session::kFormat) {
    throw Error("format " + (format.isDouble() ? QString::number(format.toDouble()).toStdString() : kindOf(format)) +
                " is not supported (this program reads format " + std::to_string(Session::kFormat) + ")");
  }
  Session s;
  s.programVersion = textOr(json, "program_version", {}, "");
  s.modelDir = textOr(json, "model_dir", {}, "");
  const QString modelName = textOr(json, "model", {}, "");
  if (!modelName.isEmpty() && modelName != QLatin1String("demo")) {
    throw Error("model: '" + excerpt(modelName).toStdString() +
                "' is not a model this program ships (only \"demo\"; other models go in model_dir)");
  }
  if (!modelName.isEmpty() && !s.modelDir.isEmpty())
    throw Error("model_dir: must be empty when \"model\" names the demo model");
  s.modelHash = textOr(json, "model_hash", {}, "");
  const QJsonValue traceValue = field(json, "trace");
  const QJsonObject t = traceValue.isUndefined() ? QJsonObject() : objectOf(traceValue, "trace");
  s.trace.prompt = textOr(t, "prompt", {}, "trace");
  s.trace.answer = textOr(t, "answer", {}, "trace");
  s.trace.contrast = textOr(t, "contrast", {}, "trace");
  s.trace.patch = textOr(t, "patch_prompt", {}, "trace");
  const std::string method = textOr(t, "method", QStringLiteral("relp"), "trace").toStdString();
  s.trace.method = named("trace.method", [&] { return ce::core::parse_method(method); });
  const std::string basis = textOr(t, "basis", QStringLiteral("mlp_act"), "trace").toStdString();
  s.trace.basis = named("trace.basis", [&] { return ce::core::parse_basis(basis); });
  const std::string metric = textOr(t, "metric", QStringLiteral("diff"), "trace").toStdString();
  s.trace.metric = named("trace.metric", [&] { return ce::core::parse_metric(metric); });
  const double topK = numberOr(t, "top_k", 60, "trace");
  if (!(topK >= 1 && topK <= 1e6) || topK != static_cast<double>(static_cast<int>(topK))) {
    throw Error("trace.top_k: " + QString::number(topK).toStdString() + " is not an integer from 1 to 1000000");
  }
  s.trace.topK = static_cast<int>(topK);
  s.trace.threshold = numberOr(t, "threshold", 0, "trace");
  if (!(s.trace.threshold >= 0) || !std::isfinite(s.trace.threshold))
    throw Error("trace.threshold: must be a finite number >= 0");
  s.trace.edges = flagOr(t, "edges", true, "trace");
  s.trace.chat = flagOr(t, "chat_template", false, "trace");
  s.trace.dictionaries = textOr(t, "dictionaries", {}, "trace");
  if (s.trace.basis == ce::core::Basis::Features && s.trace.dictionaries.isEmpty())
    throw Error("trace.dictionaries: the feature basis needs the folder of its dictionaries");
  onlyKeys(t,
           {"prompt", "answer", "contrast", "patch_prompt", "method", "basis", "metric", "top_k", "threshold", "edges",
            "chat_template", "dictionaries"},
           "trace");
  const QJsonArray groups = arrayOr(json, "groups", "");
  for (qsizetype i = 0; i < groups.size(); ++i) {
    const std::string where = indexed("groups", i);
    const QJsonObject g = objectOf(groups[i], where);
    SteeringGroup group;
    group.name = textOr(g, "name", {}, where);
    group.color = colourOr(g, where);
    group.factor = finite(numberOr(g, "factor", 1.0, where), at(where, "factor"));
    const QJsonArray nodes = arrayOr(g, "nodes", where);
    for (qsizetype n = 0; n < nodes.size(); ++n)
      group.nodes.push_back(nodeFromJson(nodes[n], where + "." + indexed("nodes", n), m));
    onlyKeys(g, {"name", "color", "factor", "nodes"}, where);
    s.groups.push_back(std::move(group));
  }
  const QJsonArray edits = arrayOr(json, "node_interventions", "");
  for (qsizetype i = 0; i < edits.size(); ++i) {
    const std::string where = indexed("node_interventions", i);
    const QJsonObject e = objectOf(edits[i], where);
    const NodeKey key = nodeFromJson(e, where, m, {"basis", "layer", "pos", "index", "factor", "value"});
    if (!field(e, "value").isUndefined()) {
      s.nodeValues[key] = static_cast<float>(finite(numberOr(e, "value", 0, where), at(where, "value")));
    } else {
      s.nodeFactors[key] = finite(numberOr(e, "factor", 1.0, where), at(where, "factor"));
    }
  }
  const QJsonArray labels = arrayOr(json, "labels", "");
  for (qsizetype i = 0; i < labels.size(); ++i) {
    const std::string where = indexed("labels", i);
    const QJsonObject l = objectOf(labels[i], where);
    const int layer = integer(l, "layer", where), index = integer(l, "index", where);
    if (layer < 0 || index < 0) throw Error(where + ": a label belongs to a neuron (layer and index >= 0)");
    checkLayer(layer, m, at(where, "layer"));
    checkIndex(ce::core::Basis::MlpAct, index, m, at(where, "index"));
    onlyKeys(l, {"layer", "index", "label"}, where);
    const QString text = textOr(l, "label", {}, where).trimmed();
    if (!text.isEmpty()) s.labels[{layer, index}] = text;
  }
  const QJsonArray pins = arrayOr(json, "pins", "");
  for (qsizetype i = 0; i < pins.size(); ++i) s.pins.insert(nodeFromJson(pins[i], indexed("pins", i), m));
  s.promptSet = promptSetFromJson(objectOr(json, "prompt_set", ""), m);
  onlyKeys(json,
           {"format", "program", "program_version", "model", "model_dir", "model_hash", "trace", "groups",
            "node_interventions", "labels", "pins", "prompt_set"},
           "");
  return s;
}

}  // namespace

Session Session::fromJson(const QJsonObject& json) {
  Session s = parse(json, nullptr);
  s.source_ = json;
  return s;
}

void Session::check(const ce::core::ModelConfig& model) const {
  (void)parse(source_.isEmpty() ? toJson() : source_, &model);
}

QString Session::hashModelDir(const QString& dir) {
  QFile config(QDir(dir).filePath(QStringLiteral("config.json")));
  if (!config.open(QIODevice::ReadOnly)) return {};
  QCryptographicHash h(QCryptographicHash::Sha256);
  h.addData(config.readAll());
  const QDir d(dir);
  for (const QFileInfo& f :
       d.entryInfoList({QStringLiteral("*.safetensors"), QStringLiteral("*.safetensors.index.json")},
                       QDir::Files, QDir::Name)) {
    h.addData(f.fileName().toUtf8());
    h.addData(QByteArray::number(f.size()));
  }
  return QString::fromLatin1(h.result().toHex());
}

void Session::save(const QString& path) const {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly))
    throw Error(path.toStdString() + ": " + file.errorString().toStdString());
  file.write(QJsonDocument(toJson(QFileInfo(path).absolutePath())).toJson(QJsonDocument::Indented));
  if (!file.commit()) throw Error(path.toStdString() + ": " + file.errorString().toStdString());
}

Session Session::load(const QString& path) {
  // The one bounded reader of core (regular files only, opened non-blocking: a FIFO cannot hang the load): a
  // session is a few kilobytes, and /dev/zero-sized mistakes stay out of memory. (QFile::read(limit) would
  // allocate the whole limit on every load: 80 ms a load under ASan, found by the fuzz campaign.)
  constexpr uint64_t kMaxSessionBytes = uint64_t{64} << 20;
  const QByteArray bytes =
      QByteArray::fromStdString(ce::core::read_file(path.toStdString(), kMaxSessionBytes, "a session"));
  QJsonParseError err{};
  const QJsonDocument doc = QJsonDocument::fromJson(bytes, &err);
  if (err.error != QJsonParseError::NoError) {
    throw Error(path.toStdString() + ": not a session file (" + err.errorString().toStdString() + " at byte " +
                std::to_string(err.offset) + ")");
  }
  if (!doc.isObject()) throw Error(path.toStdString() + ": not a session file (a JSON array, not an object)");
  Session s;
  try {
    s = fromJson(doc.object());
  } catch (const Error& e) {
    throw Error(path.toStdString() + ": " + e.what());
  }
  // A relative folder was stored beside the session file (toJson): it is found from where the file is now.
  if (!s.modelDir.isEmpty() && QDir::isRelativePath(s.modelDir))
    s.modelDir = QDir::cleanPath(QFileInfo(path).absoluteDir().absoluteFilePath(s.modelDir));
  return s;
}

}  // namespace ce::ui
