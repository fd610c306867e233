#include "state/session.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

#include "ce/core/base/error.h"
#include "ce/core/base/files.h"

namespace ce::ui {

namespace {

using ce::core::Error;

QJsonObject nodeJson(const NodeKey& k) {
  return QJsonObject{{QStringLiteral("basis"), QString::fromLatin1(ce::core::basis_name(k.basis))},
                     {QStringLiteral("layer"), k.node.layer},
                     {QStringLiteral("pos"), k.node.pos},
                     {QStringLiteral("index"), k.node.index}};
}

NodeKey nodeFromJson(const QJsonValue& v) {
  if (!v.isObject()) throw Error("session: a node is not an object");
  const QJsonObject o = v.toObject();
  NodeKey k;
  k.basis = ce::core::parse_basis(
      o.value(QStringLiteral("basis")).toString(QStringLiteral("mlp_act")).toStdString());
  for (const char* f : {"layer", "pos", "index"}) {
    if (!o.value(QLatin1String(f)).isDouble())
      throw Error(std::string("session: a node lacks the number '") + f + "'");
  }
  k.node.layer = o.value(QStringLiteral("layer")).toInt();
  k.node.pos = o.value(QStringLiteral("pos")).toInt();
  k.node.index = o.value(QStringLiteral("index")).toInt();
  return k;
}

}  // namespace

QJsonObject Session::toJson() const {
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
      {QStringLiteral("chat_template"), trace.chat}};
  return QJsonObject{{QStringLiteral("format"), kFormat},
                     {QStringLiteral("program"), QStringLiteral("circuit-explorer")},
                     {QStringLiteral("program_version"), programVersion},
                     {QStringLiteral("model_dir"), modelDir},
                     {QStringLiteral("model_hash"), modelHash},
                     {QStringLiteral("trace"), traceJson},
                     {QStringLiteral("groups"), groupArray},
                     {QStringLiteral("node_interventions"), edits}};
}

Session Session::fromJson(const QJsonObject& json) {
  if (json.value(QStringLiteral("format")).toInt() != kFormat)
    throw Error("session: unsupported format (expected " + std::to_string(kFormat) + ")");
  Session s;
  s.programVersion = json.value(QStringLiteral("program_version")).toString();
  s.modelDir = json.value(QStringLiteral("model_dir")).toString();
  s.modelHash = json.value(QStringLiteral("model_hash")).toString();
  const QJsonObject t = json.value(QStringLiteral("trace")).toObject();
  s.trace.prompt = t.value(QStringLiteral("prompt")).toString();
  s.trace.answer = t.value(QStringLiteral("answer")).toString();
  s.trace.contrast = t.value(QStringLiteral("contrast")).toString();
  s.trace.patch = t.value(QStringLiteral("patch_prompt")).toString();
  s.trace.method = ce::core::parse_method(
      t.value(QStringLiteral("method")).toString(QStringLiteral("relp")).toStdString());
  s.trace.basis = ce::core::parse_basis(
      t.value(QStringLiteral("basis")).toString(QStringLiteral("mlp_act")).toStdString());
  s.trace.metric = ce::core::parse_metric(
      t.value(QStringLiteral("metric")).toString(QStringLiteral("diff")).toStdString());
  s.trace.topK = t.value(QStringLiteral("top_k")).toInt(60);
  s.trace.threshold = t.value(QStringLiteral("threshold")).toDouble(0);
  if (!(s.trace.threshold >= 0)) throw Error("session: the threshold must be a number >= 0");
  s.trace.edges = t.value(QStringLiteral("edges")).toBool(true);
  s.trace.chat = t.value(QStringLiteral("chat_template")).toBool(false);
  for (const QJsonValue& gv : json.value(QStringLiteral("groups")).toArray()) {
    const QJsonObject g = gv.toObject();
    SteeringGroup group;
    group.name = g.value(QStringLiteral("name")).toString();
    group.color = QColor(g.value(QStringLiteral("color")).toString());
    group.factor = g.value(QStringLiteral("factor")).toDouble(1.0);
    for (const QJsonValue& n : g.value(QStringLiteral("nodes")).toArray())
      group.nodes.push_back(nodeFromJson(n));
    s.groups.push_back(std::move(group));
  }
  for (const QJsonValue& e : json.value(QStringLiteral("node_interventions")).toArray()) {
    const QJsonValue value = e.toObject().value(QStringLiteral("value"));
    if (value.isDouble()) {
      s.nodeValues[nodeFromJson(e)] = static_cast<float>(value.toDouble());
    } else {
      s.nodeFactors[nodeFromJson(e)] = e.toObject().value(QStringLiteral("factor")).toDouble(1.0);
    }
  }
  return s;
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
  file.write(QJsonDocument(toJson()).toJson(QJsonDocument::Indented));
  if (!file.commit()) throw Error(path.toStdString() + ": " + file.errorString().toStdString());
}

Session Session::load(const QString& path) {
  // A FIFO would block open() below; check_regular_file refuses it, a folder and a device by name.
  ce::core::refuse_special_file(path.toStdString());
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly))
    throw Error(path.toStdString() + ": " + file.errorString().toStdString());
  QJsonParseError err{};
  const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &err);
  if (err.error != QJsonParseError::NoError || !doc.isObject())
    throw Error(path.toStdString() + ": not a session file (" + err.errorString().toStdString() + ")");
  try {
    return fromJson(doc.object());
  } catch (const Error& e) {
    throw Error(path.toStdString() + ": " + e.what());
  }
}

}  // namespace ce::ui
