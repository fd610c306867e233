// What every chart of the explorer shares (curves, sweeps): the one place that styles Qt Charts.
#pragma once

#include <QAbstractAxis>
#include <QChart>
#include <QColor>
#include <QLegend>
#include <initializer_list>

namespace ce::ui {

// Qt Charts draws with its own theme; the text follows the widget's palette (`text`) so that a dark desktop
// shows light labels on the transparent background.
inline void applyChartText(QChart* chart, std::initializer_list<QAbstractAxis*> axes, const QColor& text) {
  chart->setTitleBrush(text);
  chart->legend()->setLabelColor(text);
  for (QAbstractAxis* axis : axes) {
    axis->setLabelsBrush(text);
    axis->setTitleBrush(text);
  }
}

}  // namespace ce::ui
