// Every edge of the circuit graph in one item: 10^3..10^4 separate line items would dominate the
// scene's index and hit tests, while one painter pass is cheap.
#pragma once

#include <QGraphicsItem>
#include <QPointF>
#include <vector>

namespace ce::ui {

class EdgeLayerItem : public QGraphicsItem {
 public:
  struct Line {
    QPointF from, to;
    float score = 0;
  };
  enum { Type = UserType + 2 };

  EdgeLayerItem();
  int type() const override { return Type; }
  void setLines(std::vector<Line> lines);
  const std::vector<Line>& lines() const { return lines_; }
  QRectF boundingRect() const override { return bounds_; }
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

 private:
  std::vector<Line> lines_;
  QRectF bounds_;
  float maxScore_ = 0;
};

}  // namespace ce::ui
