#include "panels/token_chart.h"

#include <QEvent>

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QHorizontalBarSeries>
#include <QValueAxis>

namespace ce::ui {

TokenChart::TokenChart(QWidget* parent)
    : QChartView(parent),
      set_(new QBarSet(tr("probability"))),
      series_(new QHorizontalBarSeries()),
      categories_(new QBarCategoryAxis()),
      axis_(new QValueAxis()) {
  setFocusPolicy(Qt::NoFocus);  // nothing to do with keys: Tab passes it by
  auto* chart = new QChart();
  series_->append(set_);
  series_->setLabelsVisible(true);
  series_->setLabelsFormat(QStringLiteral("@value"));
  series_->setLabelsPrecision(3);
  series_->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
  chart->addSeries(series_);
  chart->addAxis(categories_, Qt::AlignLeft);
  chart->addAxis(axis_, Qt::AlignBottom);
  series_->attachAxis(categories_);
  series_->attachAxis(axis_);
  // Room beyond 1 for the value label of a bar at p ≈ 1.
  axis_->setRange(0, 1.2);
  axis_->setTickCount(7);
  axis_->setLabelFormat(QStringLiteral("%.1f"));
  // Qt Charts elides category labels it measured before the tokens arrived ("…" for every token) and keeps
  // them so after the dock grows: the tokens are short, drawn whole.
  categories_->setTruncateLabels(false);
  chart->legend()->hide();
  chart->setTitle(tr("Next token"));
  // Follow the system palette (dark too) rather than the chart theme's fixed white.
  chart->setBackgroundVisible(false);
  set_->setColor(QColor(0x2b, 0x6c, 0xc4));
  chart->setAnimationOptions(QChart::NoAnimation);
  setChart(chart);
  applyPalette();
  setRenderHint(QPainter::Antialiasing);
  setMinimumSize(320, 300);
}

void TokenChart::changeEvent(QEvent* event) {
  QChartView::changeEvent(event);
  if (event->type() == QEvent::PaletteChange) applyPalette();
}

void TokenChart::applyPalette() {
  const QColor text = palette().color(QPalette::WindowText);
  chart()->setTitleBrush(text);
  categories_->setLabelsBrush(text);
  axis_->setLabelsBrush(text);
  set_->setLabelColor(text);
}

void TokenChart::setTokens(const std::vector<ce::core::TopToken>& tokens) {
  tokens_ = tokens;
  QStringList labels;
  QList<qreal> values;
  // Bars are laid out bottom-up: reversed so that the most likely token is on top.
  for (auto it = tokens.rbegin(); it != tokens.rend(); ++it) {
    QString text = QString::fromStdString(it->text);
    text.replace(QLatin1Char('\n'), QStringLiteral("\\n"));
    labels << QStringLiteral("\u201c%1\u201d").arg(text);
    values << static_cast<qreal>(it->prob);
  }
  // Category labels must be unique: two tokens can render alike (" a" vs "a" after trimming).
  for (int i = 0; i < labels.size(); ++i) {
    while (labels.indexOf(labels[i]) != i) labels[i] += QLatin1Char(' ');
  }
  categories_->clear();
  categories_->append(labels);
  set_->remove(0, set_->count());
  set_->append(values);
}

std::vector<double> TokenChart::values() const {
  std::vector<double> out;
  for (int i = set_->count() - 1; i >= 0; --i) out.push_back(set_->at(i));
  return out;
}

}  // namespace ce::ui
