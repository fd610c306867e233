// Writing a figure: a drawing in points rendered to SVG or PDF (vector) or PNG at a DPI, then written to
// disk by the one write path that every export of the explorer uses. GUI-thread (or the one thread of a
// QGuiApplication) only: fonts and painters are not thread-safe.
#pragma once

#include <QByteArray>
#include <QPainter>
#include <QRectF>
#include <QString>
#include <functional>

#include "figures/figure_style.h"

namespace ce::ui::figures {

// Draws the figure on `page`, a rectangle in points (0, 0, width, height) of the painter's coordinates.
using DrawPage = std::function<void(QPainter& painter, const QRectF& page)>;

enum class Format { Svg, Pdf, Png };
// By the path's suffix (case ignored). Throws ce::core::Error "<path>: unknown figure format '<suffix>' (use
// .svg, .pdf or .png)".
Format formatOf(const QString& path);
// The spec's size and DPI checked: Error "<path>: the figure size must be positive and at most 100 cm (got
// W × H cm)" or "<path>: DPI must be between 36 and 2400 (got N)".
void checkSpec(const FigureSpec& spec);

// The file's bytes: SVG and PDF of the spec's physical size, PNG of round(width × dpi) pixels across with the
// DPI recorded in the file. Throws ce::core::Error as checkSpec and formatOf.
QByteArray renderFigure(const FigureSpec& spec, const DrawPage& draw);
// renderFigure, then writeFileAtomically to spec.path.
void writeFigure(const FigureSpec& spec, const DrawPage& draw);

// The exports' one write path: `bytes` replace `path` whole or not at all (a temporary file renamed over
// it). Throws ce::core::Error "<path>: <the operating system's reason>" (e.g. "No such file or directory").
void writeFileAtomically(const QString& path, const QByteArray& bytes);

}  // namespace ce::ui::figures
