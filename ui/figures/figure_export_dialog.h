// The export dialog of every figure of the explorer (graph, next-token chart, curves, sweep): the file,
// its width and height in cm or inches, the DPI of a PNG, the format from the suffix. It remembers the last
// size (per kind of figure), unit, DPI and folder in QSettings. GUI thread only.
#pragma once

#include <QDialog>
#include <QString>
#include <optional>

#include "figures/figure_style.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace ce::ui::figures {

enum class FigureKind { Graph, NextToken, Curves, Sweep };

// "graph", "next-token", "curves", "sweep": the QSettings key and the default file name's stem.
QString kindKey(FigureKind kind);
// The size a figure of that kind starts at: a full text width for the graph (17 × 12 cm), a column for the
// next-token chart (8.5 × 6.5 cm), 12 × 8 cm for curves and sweeps; SVG in the current folder, 300 DPI.
FigureSpec defaultSpec(FigureKind kind);
// defaultSpec overlaid with what the dialog last remembered (size of that kind, unit, DPI), for `path`:
// what a non-interactive export (a test, a script) of that kind uses.
FigureSpec rememberedSpec(FigureKind kind, const QString& path);

class FigureExportDialog : public QDialog {
  Q_OBJECT
 public:
  // `allowCsv`: the figure's data may be saved as CSV instead (curves, sweep); the size fields then do not
  // apply.
  FigureExportDialog(FigureKind kind, const QString& title, bool allowCsv, QWidget* parent = nullptr);

  FigureSpec spec() const;
  void setSpec(const FigureSpec& spec);
  // Stores the size, unit, DPI and folder for the next time (done by accept()).
  void remember() const;
  // Why the current entries cannot be written ("unknown format 'bmp' (use .svg, .pdf, .png or .csv)"), or
  // empty when they can.
  QString problem() const;

  QLineEdit* pathEdit() const { return path_; }
  QDoubleSpinBox* widthBox() const { return width_; }
  QDoubleSpinBox* heightBox() const { return height_; }
  QComboBox* unitBox() const { return unit_; }
  QSpinBox* dpiBox() const { return dpi_; }
  QLabel* formatLabel() const { return format_; }

  // Runs the dialog; the spec on OK, nullopt on Cancel.
  static std::optional<FigureSpec> ask(QWidget* parent, FigureKind kind, const QString& title, bool allowCsv = false);

 public Q_SLOTS:
  void accept() override;

 private:
  void browse();
  void updateFormat();
  void convertUnit();

  FigureKind kind_;
  bool allowCsv_;
  Unit shownUnit_ = Unit::Cm;
  QLineEdit* path_;
  QDoubleSpinBox *width_, *height_;
  QComboBox* unit_;
  QSpinBox* dpi_;
  QLabel *format_, *pixels_, *error_;
};

}  // namespace ce::ui::figures
