#include "window/exporter.h"

#include <QFileInfo>
#include <QGraphicsScene>
#include <QGuiApplication>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPageSize>
#include <QPalette>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTextStream>
#include <cmath>

#include "ce/core/base/error.h"

namespace ce::ui {

namespace {

using ce::core::Error;

[[noreturn]] void fail(const QString& path, const QString& why) {
  throw Error(path.toStdString() + ": " + why.toStdString());
}

void writeAtomically(const QString& path, const QByteArray& bytes) {
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly)) fail(path, f.errorString());
  f.write(bytes);
  if (!f.commit()) fail(path, f.errorString());
}

QColor background() { return QGuiApplication::palette().color(QPalette::Base); }

}  // namespace

void Exporter::exportScene(QGraphicsScene* scene, const QString& path) {
  const QRectF source = scene->itemsBoundingRect().adjusted(-20, -20, 20, 20);
  if (source.isEmpty()) fail(path, QStringLiteral("the graph is empty"));
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == QLatin1String("png")) {
    // Paper figures want ~2000 px across whatever the scene's own units are.
    const double scale = std::min(4.0, 2400.0 / std::max(source.width(), source.height()));
    QImage image(QSize(static_cast<int>(std::ceil(source.width() * scale)),
                       static_cast<int>(std::ceil(source.height() * scale))),
                 QImage::Format_ARGB32_Premultiplied);
    // The background the scene is seen on (the palette's base, dark on a dark desktop), so that labels drawn
    // in the palette's text colour stay legible in the figure.
    image.fill(background());
    {
      QPainter p(&image);
      p.setRenderHint(QPainter::Antialiasing);
      p.setRenderHint(QPainter::TextAntialiasing);
      scene->render(&p, QRectF(image.rect()), source);
    }
    if (!image.save(path, "PNG")) fail(path, QStringLiteral("cannot write the PNG"));
  } else if (suffix == QLatin1String("svg")) {
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(source.size().toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), source.size()));
    svg.setTitle(QStringLiteral("Circuit"));
    svg.setDescription(QStringLiteral("Circuit Explorer graph"));
    QPainter p;
    if (!p.begin(&svg)) fail(path, QStringLiteral("cannot write the SVG"));
    p.fillRect(QRectF(QPointF(0, 0), source.size()), background());
    scene->render(&p, QRectF(QPointF(0, 0), source.size()), source);
    p.end();
  } else if (suffix == QLatin1String("pdf")) {
    QPdfWriter pdf(path);
    pdf.setTitle(QStringLiteral("Circuit"));
    pdf.setCreator(QStringLiteral("Circuit Explorer"));
    pdf.setResolution(72);
    pdf.setPageSize(QPageSize(source.size(), QPageSize::Point));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    QPainter p;
    if (!p.begin(&pdf)) fail(path, QStringLiteral("cannot write the PDF"));
    p.fillRect(p.viewport(), background());
    scene->render(&p, QRectF(), source);
    p.end();
  } else {
    fail(path, QStringLiteral("unknown figure format '%1' (use .png, .svg or .pdf)").arg(suffix));
  }
  if (QFileInfo(path).size() <= 0) fail(path, QStringLiteral("nothing was written"));
}

void Exporter::exportCircuit(const QString& path, ce::core::Basis basis, const QStringList& tokens,
                             const std::vector<ce::core::NodeEffect>& nodes,
                             const std::vector<ce::core::Edge>& edges) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  auto token = [&](int pos) { return pos >= 0 && pos < tokens.size() ? tokens[pos] : QString(); };
  if (suffix == QLatin1String("json")) {
    QJsonArray nodeArray;
    for (const auto& n : nodes) {
      nodeArray.append(QJsonObject{{QStringLiteral("name"), QString::fromStdString(ce::core::node_name(
                                                                n.node.layer, n.node.index, n.node.pos))},
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
      out << QString::fromStdString(ce::core::node_name(n.node.layer, n.node.index, n.node.pos)) << ','
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
    labelled.push_back({ce::core::parse_method(c.method.toStdString()), ce::core::parse_basis(c.basis.toStdString()),
                        ce::core::Ablation::Mean, &c.curve});
  }
  const QByteArray bytes = QByteArray::fromStdString(ce::core::curves_csv(labelled));
  writeAtomically(path, bytes);
}

}  // namespace ce::ui
