// One node of the circuit graph: an MLP neuron (or basis coordinate), a token embedding or the logit.
#pragma once

#include <QColor>
#include <QGraphicsItem>
#include <QString>

#include "state/intervention_state.h"

namespace ce::ui {

class NodeItem : public QGraphicsItem {
 public:
  enum class Kind { Node, Embedding, Logit };
  enum { Type = UserType + 1 };

  // `radius` in scene units; `effect` signs the colour.
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

 private:
  Kind kind_;
  NodeKey key_;
  double radius_;
  float effect_, activation_;
  QString label_;
  double factor_ = 1.0;
  QColor groupColor_;
};

}  // namespace ce::ui
