// Every edge of the circuit graph in one item: 10^3..10^4 separate line items would dominate the
// scene's index and hit tests, while one painter pass is cheap.
#pragma once

#include <QGraphicsItem>
#include <QPointF>
#include <set>
#include <vector>

namespace ce::ui {

class NodeItem;

class EdgeLayerItem : public QGraphicsItem {
 public:
  struct Line {
    QPointF from, to;  // the endpoints' positions; taken from src and dst when both are given
    float score = 0;   // its contribution to the metric (> 0 raises it): colour by sign, width by size
    float weight = 0;  // the edge's signed weight (shown on hover)
    const NodeItem* src = nullptr;  // not owned; items of the same scene, or null for bare lines
    const NodeItem* dst = nullptr;
  };
  enum { Type = UserType + 2 };

  EdgeLayerItem();
  int type() const override { return Type; }
  // Replaces the lines; where a line names its endpoint items, their positions now are its ends.
  void setLines(std::vector<Line> lines);
  const std::vector<Line>& lines() const { return lines_; }
  // Lines touching any of `nodes` are drawn strong and on top, every other line dimmed; an empty set draws
  // all as usual.
  void setHighlighted(std::set<const NodeItem*> nodes);
  int highlightedCount() const { return highlightedCount_; }
  bool isHighlighted(const Line& l) const { return highlight_.count(l.src) > 0 || highlight_.count(l.dst) > 0; }
  // The index of the drawn line nearest `scenePoint` within `tolerance` scene units (the strongest on a
  // tie), or -1. A linear scan: called on tooltip events only, ~1 ms for 10^4 lines.
  int lineAt(const QPointF& scenePoint, double tolerance) const;

  QRectF boundingRect() const override { return bounds_; }
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

 private:
  bool drawn(const Line& l) const;

  std::vector<Line> lines_;
  std::set<const NodeItem*> highlight_;
  int highlightedCount_ = 0;
  QRectF bounds_;
  float maxScore_ = 0;
};

}  // namespace ce::ui
