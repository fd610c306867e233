// The printed bar and line charts besides the curves: the next-token chart (top-k probabilities, clean and
// edited side by side when both exist) and the steering sweep of the capitals case study (one colour and
// marker per answer column, its own value solid, any value dashed, top-1 shares dotted).
#pragma once

#include <QPainter>
#include <QRectF>
#include <QString>
#include <vector>

#include "ce/core/prompt_sets/sweep.h"
#include "figures/curves_figure.h"

namespace ce::ui::figures {

struct TokenBar {
  QString text;  // what the token adds to the text (" Austin")
  double probability = 0;
};

struct NextTokenFigure {
  std::vector<TokenBar> edited;  // the model under the interventions (or plain, when there are none)
  std::vector<TokenBar> clean;   // without interventions; empty = not drawn
  QString title;                 // empty: "Next token"
  QString caption;
};

// A token as the figure names it: in quotes, newlines as \n ("“ Austin”").
QString tokenLabel(const QString& text);
DrawnFigure drawNextTokenFigure(QPainter& painter, const QRectF& page, const NextTokenFigure& figure);

struct SweepFigure {
  ce::core::SweepResult result;
  QString group;  // named in the title
  bool complement = false;
  bool top1 = false;  // also the top-1 shares
  QString title;      // empty: "Steering <group> over N prompts"
  QString caption;
};

DrawnFigure drawSweepFigure(QPainter& painter, const QRectF& page, const SweepFigure& figure);

}  // namespace ce::ui::figures
