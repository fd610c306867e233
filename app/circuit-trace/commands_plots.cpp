// plot-curves: the curves CSVs of `evaluate --csv` and the explorer's Export Curves drawn as one printed
// figure by the explorer's figure module (ui/figures), under an offscreen QGuiApplication. Built with the
// GUI only (CE_BUILD_GUI); without it the command says so.
#include <string>
#include <vector>

#include "ce/core/base/error.h"
#include "cli_support.h"
#include "commands.h"

#ifdef CE_HAVE_FIGURES
#include <QFileInfo>
#include <QGuiApplication>
#include <QString>

#include "ce/core/base/files.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "figures/curves_figure.h"
#include "figures/figure_writer.h"
#endif

namespace ce::trace {

namespace {

using ce::core::Error;

#ifdef CE_HAVE_FIGURES
void plot_curves(const Args& a) {
  const std::vector<std::string> files = a.operands();
  if (files.empty()) throw Error("plot-curves: give at least one CSV file (circuit-trace evaluate --csv FILE writes one)");
  ce::ui::figures::FigureSpec spec;
  spec.path = QString::fromStdString(a.get("out"));
  spec.width = a.get_double("width");
  spec.height = a.get_double("height");
  const auto unit = ce::ui::figures::parseUnit(QString::fromStdString(a.get("unit")));
  if (!unit) throw Error("--unit: '" + a.get("unit") + "' is not cm or in");
  spec.unit = *unit;
  spec.dpi = a.get_int("dpi");
  // The format and the size are checked before the CSVs are read: a typo fails at once.
  ce::ui::figures::formatOf(spec.path);
  ce::ui::figures::checkSpec(spec);
  ce::ui::figures::CurvesFigure figure;
  figure.title = QString::fromStdString(a.get_or("title", ""));
  figure.caption = QString::fromStdString(a.get_or("caption", ""));
  json sources = json::array();
  for (const std::string& file : files) {
    auto curves = ce::core::parse_curves_csv(ce::core::read_file(file, 64u << 20, "a curves CSV"), file);
    sources.push_back({{"file", file}, {"curves", curves.size()}});
    for (auto& c : curves) figure.curves.push_back(std::move(c));
  }
  // Fonts and painters need a QGuiApplication; the offscreen platform needs no display.
  if (!qEnvironmentVariableIsSet("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  int argc = 1;
  char name[] = "circuit-trace";
  char* argv[] = {name, nullptr};
  QGuiApplication app(argc, argv);
  ce::ui::figures::DrawnFigure drawn;
  ce::ui::figures::writeFigure(spec, [&](QPainter& painter, const QRectF& page) {
    drawn = ce::ui::figures::drawCurvesFigure(painter, page, figure);
  });
  json legend = json::array();
  for (const QString& s : drawn.legend) legend.push_back(s.toStdString());
  print({{"out", a.get("out")},
         {"width", spec.width},
         {"height", spec.height},
         {"unit", a.get("unit")},
         {"dpi", spec.dpi},
         {"bytes", QFileInfo(spec.path).size()},
         {"sources", sources},
         {"series", legend}});
}
#else
void plot_curves(const Args&) { throw Error("plot-curves needs the GUI build (-DCE_BUILD_GUI=ON)"); }
#endif

}  // namespace

std::vector<Command> plot_commands() {
  return {
      {"plot-curves",
       "draw curves CSVs (evaluate --csv, the explorer's Export Curves) as one figure for print: all their "
       "series together, faithfulness solid, completeness dashed, log x",
       {required("out", "FIG", "the figure: .svg or .pdf (vector) or .png"),
        value("width", "W", "the figure's width in --unit", "12"), value("height", "H", "its height", "8"),
        value("unit", "cm|in", "the unit of --width and --height", "cm"),
        value("dpi", "N", "pixels per inch of a PNG", "300"),
        value("title", "T", "the title (default: Faithfulness and completeness against circuit size)"),
        value("caption", "TEXT", "said under the figure after the line key (the dataset, the model)")},
       plot_curves, "CSV..."},
  };
}

}  // namespace ce::trace
