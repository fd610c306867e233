#include "figures/figure_writer.h"

#include <QBuffer>
#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "ce/core/base/error.h"

namespace ce::ui::figures {

namespace {

[[noreturn]] void fail(const QString& path, const QString& why) {
  throw ce::core::Error(path.toStdString() + ": " + why.toStdString());
}

// QSaveFile's own messages name its temporary file's troubles in Qt's words; the OS's reason for the
// folder is what tells the user what to fix.
QString folderProblem(const QString& path) {
  const QFileInfo info(path);
  const QFileInfo dir(info.absolutePath());
  if (!dir.exists()) return QString::fromLocal8Bit(std::strerror(ENOENT));
  if (!dir.isDir()) return QString::fromLocal8Bit(std::strerror(ENOTDIR));
  if (!dir.isWritable()) return QString::fromLocal8Bit(std::strerror(EACCES));
  if (info.isDir()) return QString::fromLocal8Bit(std::strerror(EISDIR));
  return QString();
}

}  // namespace

Format formatOf(const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == QLatin1String("svg")) return Format::Svg;
  if (suffix == QLatin1String("pdf")) return Format::Pdf;
  if (suffix == QLatin1String("png")) return Format::Png;
  fail(path, QStringLiteral("unknown figure format '%1' (use .svg, .pdf or .png)").arg(suffix));
}

void checkSpec(const FigureSpec& spec) {
  const double maxPt = toPoints(100, Unit::Cm);
  const double w = spec.widthPt(), h = spec.heightPt();
  if (!(w > 0 && h > 0 && w <= maxPt + 1e-9 && h <= maxPt + 1e-9)) {
    fail(spec.path, QStringLiteral("the figure size must be positive and at most 100 cm (got %1 × %2 %3)")
                        .arg(spec.width)
                        .arg(spec.height)
                        .arg(unitName(spec.unit)));
  }
  if (spec.dpi < 36 || spec.dpi > 2400)
    fail(spec.path, QStringLiteral("DPI must be between 36 and 2400 (got %1)").arg(spec.dpi));
}

QByteArray renderFigure(const FigureSpec& spec, const DrawPage& draw) {
  const Format format = formatOf(spec.path);
  checkSpec(spec);
  const QRectF page(0, 0, spec.widthPt(), spec.heightPt());
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  if (format == Format::Svg) {
    // 72 units per inch: the painter's unit is the point, fonts in points land at their size, and the
    // file's width and height attributes carry the physical size.
    QSvgGenerator svg;
    svg.setOutputDevice(&buffer);
    svg.setResolution(72);
    svg.setSize(QSize(static_cast<int>(std::lround(page.width())), static_cast<int>(std::lround(page.height()))));
    svg.setViewBox(page);
    svg.setTitle(QFileInfo(spec.path).completeBaseName());
    svg.setDescription(QStringLiteral("Circuit Explorer figure"));
    QPainter p;
    if (!p.begin(&svg)) fail(spec.path, QStringLiteral("cannot start the SVG"));
    draw(p, page);
    p.end();
  } else if (format == Format::Pdf) {
    QPdfWriter pdf(&buffer);
    pdf.setTitle(QFileInfo(spec.path).completeBaseName());
    pdf.setCreator(QStringLiteral("Circuit Explorer"));
    pdf.setResolution(72);
    pdf.setPageSize(QPageSize(page.size(), QPageSize::Point, QString(), QPageSize::ExactMatch));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    QPainter p;
    if (!p.begin(&pdf)) fail(spec.path, QStringLiteral("cannot start the PDF"));
    draw(p, page);
    p.end();
  } else {
    const double scale = spec.dpi / 72.0;
    const QSize pixels(static_cast<int>(std::lround(page.width() * scale)),
                       static_cast<int>(std::lround(page.height() * scale)));
    QImage image(pixels, QImage::Format_ARGB32_Premultiplied);
    if (image.isNull()) fail(spec.path, QStringLiteral("not enough memory for %1 × %2 pixels").arg(pixels.width()).arg(pixels.height()));
    // Painted at 72 logical DPI and scaled, so that a font's points are the page's points; the file then
    // records the real DPI.
    const int dpm72 = static_cast<int>(std::lround(72 / 0.0254));
    image.setDotsPerMeterX(dpm72);
    image.setDotsPerMeterY(dpm72);
    image.fill(Qt::white);
    {
      QPainter p(&image);
      p.setRenderHint(QPainter::Antialiasing);
      p.setRenderHint(QPainter::TextAntialiasing);
      p.setRenderHint(QPainter::SmoothPixmapTransform);
      p.scale(scale, scale);
      draw(p, page);
    }
    const int dpm = static_cast<int>(std::lround(spec.dpi / 0.0254));
    image.setDotsPerMeterX(dpm);
    image.setDotsPerMeterY(dpm);
    if (!image.save(&buffer, "PNG")) fail(spec.path, QStringLiteral("cannot encode the PNG"));
  }
  buffer.close();
  if (bytes.isEmpty()) fail(spec.path, QStringLiteral("nothing was drawn"));
  return bytes;
}

void writeFigure(const FigureSpec& spec, const DrawPage& draw) { writeFileAtomically(spec.path, renderFigure(spec, draw)); }

void writeFileAtomically(const QString& path, const QByteArray& bytes) {
  const QString folder = folderProblem(path);
  if (!folder.isEmpty()) fail(path, folder);
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly)) fail(path, f.errorString());
  if (f.write(bytes) != bytes.size()) {
    const QString why = f.errorString();
    f.cancelWriting();
    fail(path, why);
  }
  if (!f.commit()) fail(path, f.errorString());
}

}  // namespace ce::ui::figures
