// The live top-k next-token chart (horizontal bars of probability).
#pragma once

#include <QChartView>
#include <vector>

#include "ce/core/model/model.h"

class QBarSet;
class QHorizontalBarSeries;
class QBarCategoryAxis;
class QValueAxis;

namespace ce::ui {

class TokenChart : public QChartView {
  Q_OBJECT
 public:
  explicit TokenChart(QWidget* parent = nullptr);

  void setTokens(const std::vector<ce::core::TopToken>& tokens);
  const std::vector<ce::core::TopToken>& tokens() const { return tokens_; }
  // The probabilities as drawn, top first (what a test compares).
  std::vector<double> values() const;

 protected:
  // Follows a palette change (a dark desktop theme switched on while the program runs).
  void changeEvent(QEvent* event) override;

 private:
  void applyPalette();

  std::vector<ce::core::TopToken> tokens_;
  QBarSet* set_;
  QHorizontalBarSeries* series_;
  QBarCategoryAxis* categories_;
  QValueAxis* axis_;
};

}  // namespace ce::ui
