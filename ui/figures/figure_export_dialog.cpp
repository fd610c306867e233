#include "figures/figure_export_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>
#include <cmath>

namespace ce::ui::figures {

namespace {
QString settingsKey(const QString& name) { return QStringLiteral("figureExport/") + name; }
}  // namespace

QString kindKey(FigureKind kind) {
  switch (kind) {
    case FigureKind::Graph:
      return QStringLiteral("graph");
    case FigureKind::NextToken:
      return QStringLiteral("next-token");
    case FigureKind::Curves:
      return QStringLiteral("curves");
    case FigureKind::Sweep:
      return QStringLiteral("sweep");
  }
  return QStringLiteral("figure");
}

FigureSpec defaultSpec(FigureKind kind) {
  FigureSpec s;
  s.path = kindKey(kind) + QStringLiteral(".svg");
  if (kind == FigureKind::Graph) s.width = 17, s.height = 12;
  if (kind == FigureKind::NextToken) s.width = 8.5, s.height = 6.5;
  return s;
}

FigureSpec rememberedSpec(FigureKind kind, const QString& path) {
  FigureSpec s = defaultSpec(kind);
  const QSettings settings;
  const QString k = kindKey(kind);
  s.unit = parseUnit(settings.value(settingsKey(QStringLiteral("unit")), unitName(s.unit)).toString()).value_or(Unit::Cm);
  // Sizes are stored in cm so that a unit change keeps the figure's size.
  const double cm = s.unit == Unit::Cm ? 1 : 1 / 2.54;
  s.width = settings.value(settingsKey(k + QStringLiteral("/widthCm")), s.width).toDouble() * cm;
  s.height = settings.value(settingsKey(k + QStringLiteral("/heightCm")), s.height).toDouble() * cm;
  s.dpi = settings.value(settingsKey(QStringLiteral("dpi")), s.dpi).toInt();
  s.path = path;
  return s;
}

FigureExportDialog::FigureExportDialog(FigureKind kind, const QString& title, bool allowCsv, QWidget* parent)
    : QDialog(parent),
      kind_(kind),
      allowCsv_(allowCsv),
      path_(new QLineEdit(this)),
      width_(new QDoubleSpinBox(this)),
      height_(new QDoubleSpinBox(this)),
      unit_(new QComboBox(this)),
      dpi_(new QSpinBox(this)),
      format_(new QLabel(this)),
      pixels_(new QLabel(this)),
      error_(new QLabel(this)) {
  setWindowTitle(title);
  unit_->addItem(QStringLiteral("cm"), unitName(Unit::Cm));
  unit_->addItem(QStringLiteral("in"), unitName(Unit::Inch));
  for (QDoubleSpinBox* box : {width_, height_}) {
    box->setDecimals(2);
    box->setSingleStep(0.5);
  }
  dpi_->setRange(36, 2400);
  dpi_->setSingleStep(50);
  dpi_->setSuffix(QStringLiteral(" DPI"));
  dpi_->setToolTip(tr("PNG only: pixels per inch (the image is width × DPI pixels across)"));
  path_->setMinimumWidth(320);
  error_->setStyleSheet(QStringLiteral("color: #b00020"));
  error_->setWordWrap(true);
  auto* browse = new QPushButton(tr("Browse…"), this);
  auto* fileRow = new QHBoxLayout();
  fileRow->addWidget(path_, 1);
  fileRow->addWidget(browse);
  auto* sizeRow = new QHBoxLayout();
  sizeRow->addWidget(width_);
  sizeRow->addWidget(new QLabel(QStringLiteral("\u00d7"), this));
  sizeRow->addWidget(height_);
  sizeRow->addWidget(unit_);
  sizeRow->addStretch(1);
  auto* form = new QFormLayout();
  form->addRow(tr("File:"), fileRow);
  form->addRow(tr("Format:"), format_);
  form->addRow(tr("Size:"), sizeRow);
  form->addRow(tr("Resolution:"), dpi_);
  form->addRow(QString(), pixels_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(error_);
  layout->addWidget(buttons);

  const QSettings settings;
  const QString folder = settings.value(settingsKey(QStringLiteral("folder")), QDir::currentPath()).toString();
  setSpec(rememberedSpec(kind, QDir(folder).filePath(defaultSpec(kind).path)));

  connect(browse, &QPushButton::clicked, this, &FigureExportDialog::browse);
  connect(buttons, &QDialogButtonBox::accepted, this, &FigureExportDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &FigureExportDialog::reject);
  connect(path_, &QLineEdit::textChanged, this, &FigureExportDialog::updateFormat);
  connect(unit_, qOverload<int>(&QComboBox::currentIndexChanged), this, &FigureExportDialog::convertUnit);
  for (QDoubleSpinBox* box : {width_, height_})
    connect(box, qOverload<double>(&QDoubleSpinBox::valueChanged), this, &FigureExportDialog::updateFormat);
  connect(dpi_, qOverload<int>(&QSpinBox::valueChanged), this, &FigureExportDialog::updateFormat);
  updateFormat();
}

FigureSpec FigureExportDialog::spec() const {
  FigureSpec s;
  s.path = path_->text().trimmed();
  s.width = width_->value();
  s.height = height_->value();
  s.unit = shownUnit_;
  s.dpi = dpi_->value();
  return s;
}

void FigureExportDialog::setSpec(const FigureSpec& spec) {
  shownUnit_ = spec.unit;
  {
    const QSignalBlocker block(unit_);
    unit_->setCurrentIndex(spec.unit == Unit::Cm ? 0 : 1);
  }
  // Ranges in the shown unit: 1 cm … 100 cm.
  const double perCm = spec.unit == Unit::Cm ? 1 : 1 / 2.54;
  for (QDoubleSpinBox* box : {width_, height_}) box->setRange(1 * perCm, 100 * perCm);
  width_->setValue(spec.width);
  height_->setValue(spec.height);
  dpi_->setValue(spec.dpi);
  path_->setText(spec.path);
  updateFormat();
}

void FigureExportDialog::convertUnit() {
  FigureSpec s = spec();
  const Unit to = unit_->currentIndex() == 0 ? Unit::Cm : Unit::Inch;
  if (to == s.unit) return;
  const double factor = to == Unit::Cm ? 2.54 : 1 / 2.54;
  s.width = std::round(s.width * factor * 100) / 100;
  s.height = std::round(s.height * factor * 100) / 100;
  s.unit = to;
  setSpec(s);
}

void FigureExportDialog::updateFormat() {
  const QString suffix = QFileInfo(path_->text().trimmed()).suffix().toLower();
  const bool png = suffix == QLatin1String("png"), csv = allowCsv_ && suffix == QLatin1String("csv");
  if (suffix == QLatin1String("svg")) {
    format_->setText(tr("SVG (vector)"));
  } else if (suffix == QLatin1String("pdf")) {
    format_->setText(tr("PDF (vector)"));
  } else if (png) {
    format_->setText(tr("PNG (raster)"));
  } else if (csv) {
    format_->setText(tr("CSV (the data, no figure)"));
  } else {
    format_->setText(tr("from the suffix: .svg, .pdf, .png%1").arg(allowCsv_ ? tr(" or .csv") : QString()));
  }
  dpi_->setEnabled(png);
  for (QWidget* w : std::initializer_list<QWidget*>{width_, height_, unit_}) w->setEnabled(!csv);
  const FigureSpec s = spec();
  pixels_->setText(png ? tr("%1 × %2 pixels")
                             .arg(std::lround(s.widthPt() / 72 * s.dpi))
                             .arg(std::lround(s.heightPt() / 72 * s.dpi))
                       : QString());
  error_->clear();
}

QString FigureExportDialog::problem() const {
  const QString path = path_->text().trimmed();
  if (path.isEmpty()) return tr("choose a file");
  const QString suffix = QFileInfo(path).suffix().toLower();
  const bool known = suffix == QLatin1String("svg") || suffix == QLatin1String("pdf") || suffix == QLatin1String("png") ||
                     (allowCsv_ && suffix == QLatin1String("csv"));
  if (!known) {
    return tr("unknown format '%1' (use .svg, .pdf, .png%2)").arg(suffix, allowCsv_ ? tr(" or .csv") : QString());
  }
  return QString();
}

void FigureExportDialog::accept() {
  const QString why = problem();
  if (!why.isEmpty()) {
    error_->setText(why);
    return;
  }
  remember();
  QDialog::accept();
}

void FigureExportDialog::remember() const {
  QSettings settings;
  const FigureSpec s = spec();
  const QString k = kindKey(kind_);
  const double toCm = s.unit == Unit::Cm ? 1 : 2.54;
  settings.setValue(settingsKey(k + QStringLiteral("/widthCm")), s.width * toCm);
  settings.setValue(settingsKey(k + QStringLiteral("/heightCm")), s.height * toCm);
  settings.setValue(settingsKey(QStringLiteral("unit")), unitName(s.unit));
  settings.setValue(settingsKey(QStringLiteral("dpi")), s.dpi);
  settings.setValue(settingsKey(QStringLiteral("folder")), QFileInfo(s.path).absolutePath());
}

void FigureExportDialog::browse() {
  const QString filter = allowCsv_ ? tr("Figures (*.svg *.pdf *.png);;Data (*.csv)") : tr("Figures (*.svg *.pdf *.png)");
  const QString path = QFileDialog::getSaveFileName(this, windowTitle(), path_->text(), filter);
  if (!path.isEmpty()) path_->setText(path);
}

std::optional<FigureSpec> FigureExportDialog::ask(QWidget* parent, FigureKind kind, const QString& title, bool allowCsv) {
  FigureExportDialog dialog(kind, title, allowCsv, parent);
  if (dialog.exec() != QDialog::Accepted) return std::nullopt;
  return dialog.spec();
}

}  // namespace ce::ui::figures
