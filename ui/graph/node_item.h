// One node of the circuit graph: an MLP neuron (or basis coordinate), a token embedding, a logit, an
// imported graph's error node, or a collapsed supernode.
#pragma once

#include <QColor>
#include <QGraphicsItem>
#include <QString>

#include "state/intervention_state.h"

namespace ce::ui {

class NodeCaptionItem;

class NodeItem : public QGraphicsItem {
 public:
  // Node: a neuron (coloured by the sign of its effect, or neutral when imported); Error: an imported
  // graph's reconstruction error; Supernode: a collapsed group (setCollapsed).
  enum class Kind { Node, Embedding, Logit, Error, Supernode };
  enum { Type = UserType + 1 };

  // `radius` in scene units; `effect` signs the colour; `label` is the node's id ("L3/N701").
  NodeItem(Kind kind, const NodeKey& key, double radius, float effect, float activation,
           const QString& label);

  int type() const override { return Type; }
  QRectF boundingRect() const override;
  QPainterPath shape() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

  Kind kind() const { return kind_; }
  const NodeKey& key() const { return key_; }
  float effect() const { return effect_; }
  float activation() const { return activation_; }
  const QString& label() const { return label_; }
  double radius() const { return radius_; }

  // How the user's interventions show: 1 = untouched, 0 = ablated (grey, crossed), else steered.
  void setFactor(double factor, const QColor& groupColor);
  double factor() const { return factor_; }
  // Whether the edit is a mean ablation (drawn as ablated, captioned "mean").
  void setMeanAblated(bool mean) { mean_ = mean; }
  bool meanAblated() const { return mean_; }
  // The edit as the caption shows it beside the id: "×0", "×2", "mean"; empty when untouched.
  QString editText() const;

  void setPinned(bool pinned);
  bool pinned() const { return pinned_; }
  // Imported features have no sign: drawn in one neutral colour.
  void setNeutral(bool neutral) { neutral_ = neutral; }
  // A supernode's own colour (its group's).
  void setFill(const QColor& fill) { fill_ = fill; }

  // The caption beside the node (a child item, owned by this); null until the view gives it one.
  NodeCaptionItem* caption() const { return caption_; }
  NodeCaptionItem* ensureCaption();
  // The disc's colour as drawn now (graph_style.h's rules).
  QColor fillColor() const;

 private:
  Kind kind_;
  NodeKey key_;
  double radius_;
  float effect_, activation_;
  QString label_;
  double factor_ = 1.0;
  bool mean_ = false;
  bool pinned_ = false;
  bool neutral_ = false;
  QColor groupColor_;
  QColor fill_;
  NodeCaptionItem* caption_ = nullptr;
};

}  // namespace ce::ui
