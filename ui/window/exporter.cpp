#include "window/exporter.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include "ce/core/base/error.h"
#include "figures/figure_writer.h"

namespace ce::ui {

namespace {

using ce::core::Error;

[[noreturn]] void fail(const QString& path, const QString& why) {
  throw Error(path.toStdString() + ": " + why.toStdString());
}

// Every file of the exporter goes through the figures' one write path (atomic, with the OS's reason).
void writeAtomically(const QString& path, const QByteArray& bytes) { figures::writeFileAtomically(path, bytes); }

}  // namespace

void Exporter::exportCircuit(const QString& path, ce::core::Basis basis, const QStringList& tokens,
                             const std::vector<ce::core::NodeEffect>& nodes,
                             const std::vector<ce::core::Edge>& edges) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  auto token = [&](int pos) { return pos >= 0 && pos < tokens.size() ? tokens[pos] : QString(); };
  if (suffix == QLatin1String("json")) {
    QJsonArray nodeArray;
    for (const auto& n : nodes) {
      nodeArray.append(QJsonObject{{QStringLiteral("name"), QString::fromStdString(ce::core::node_name(
                                                                basis, n.node.layer, n.node.index, n.node.pos))},
                                   {QStringLiteral("layer"), n.node.layer},
                                   {QStringLiteral("pos"), n.node.pos},
                                   {QStringLiteral("index"), n.node.index},
                                   {QStringLiteral("token"), token(n.node.pos)},
                                   {QStringLiteral("effect"), static_cast<double>(n.effect)},
                                   {QStringLiteral("activation"), static_cast<double>(n.activation)}});
    }
    QJsonArray edgeArray;
    for (const auto& e : edges) {
      edgeArray.append(QJsonObject{{QStringLiteral("src"), QString::fromStdString(e.src.name())},
                                   {QStringLiteral("dst"), QString::fromStdString(e.dst.name())},
                                   {QStringLiteral("weight"), static_cast<double>(e.weight)},
                                   {QStringLiteral("score"), static_cast<double>(e.score)}});
    }
    const QJsonObject root{{QStringLiteral("basis"), QString::fromLatin1(ce::core::basis_name(basis))},
                           {QStringLiteral("tokens"), QJsonArray::fromStringList(tokens)},
                           {QStringLiteral("nodes"), nodeArray},
                           {QStringLiteral("edges"), edgeArray}};
    writeAtomically(path, QJsonDocument(root).toJson(QJsonDocument::Indented));
  } else if (suffix == QLatin1String("csv")) {
    QByteArray bytes;
    QTextStream out(&bytes);
    out << "name,layer,pos,index,token,effect,activation\n";
    for (const auto& n : nodes) {
      QString t = token(n.node.pos);
      t.replace(QLatin1Char('"'), QStringLiteral("\"\""));
      out << QString::fromStdString(ce::core::node_name(basis, n.node.layer, n.node.index, n.node.pos)) << ','
          << n.node.layer << ',' << n.node.pos << ',' << n.node.index << ",\"" << t << "\","
          << QString::number(static_cast<double>(n.effect), 'g', 8) << ','
          << QString::number(static_cast<double>(n.activation), 'g', 8) << '\n';
    }
    out.flush();
    writeAtomically(path, bytes);
  } else {
    fail(path, QStringLiteral("unknown data format '%1' (use .json or .csv)").arg(suffix));
  }
}

void Exporter::exportCurves(const QString& path, const std::vector<NamedCurve>& curves) {
  size_t points = 0;
  for (const auto& c : curves) points += c.curve.points.size();
  if (points == 0) fail(path, QStringLiteral("no curves computed yet"));
  std::vector<ce::core::LabelledCurve> labelled;
  for (const auto& c : curves) {
    const auto [basis, set] = ce::core::split_basis_spec(c.basis.toStdString());
    labelled.push_back({ce::core::parse_method(c.method.toStdString()), basis, ce::core::Ablation::Mean, &c.curve, set});
  }
  const QByteArray bytes = QByteArray::fromStdString(ce::core::curves_csv(labelled));
  writeAtomically(path, bytes);
}

}  // namespace ce::ui
