// The caption beside a graph node: its id with the edit beside it ("L3/N701 ×0") and, on a second line,
// its label (user labels upright, automatic ones in dimmer italics). Drawn at a fixed pixel size whatever
// the zoom (ItemIgnoresTransformations), so that it stays legible zoomed out; the view hides captions that
// would overlap a more important one.
#pragma once

#include <QColor>
#include <QFont>
#include <QGraphicsItem>
#include <QString>

namespace ce::ui {

class NodeCaptionItem : public QGraphicsItem {
 public:
  enum { Type = UserType + 3 };
  static constexpr int kMaxLabelChars = 28;  // labels past this are elided with "…"

  // A child of `parent` (which owns it); the view places it beside the parent.
  explicit NodeCaptionItem(QGraphicsItem* parent);

  int type() const override { return Type; }
  // `id` and `edit` make the first line; `label` (may be empty) the second, elided past kMaxLabelChars.
  void setText(const QString& id, const QString& edit, const QString& label, bool automatic);
  void setColors(const QColor& text, const QColor& background);
  // Drawn to the left of its anchor (right-aligned) instead of to the right.
  void setLeft(bool left);
  bool left() const { return left_; }
  // "L3/N701 ×0": the first line as drawn.
  const QString& firstLine() const { return first_; }
  // The label as drawn (elided); empty without one.
  const QString& secondLine() const { return second_; }
  bool automatic() const { return automatic_; }

  // In device pixels relative to the anchor (the parent's right or left edge, vertically centred).
  QRectF boundingRect() const override { return bounds_; }
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

 private:
  QString first_, second_;
  bool automatic_ = false;
  bool left_ = false;
  QFont font_, labelFont_;
  QColor text_, background_;
  QRectF bounds_;
};

}  // namespace ce::ui
