// The circuit graph's legend: a fixed overlay in the view's corner (a child widget, not a scene item, so it
// neither scales with the zoom nor scrolls). It states the colour convention in words, shows reference
// circles at the size |effect| values are drawn at the current zoom, and the markers for edits, pins,
// labels and (imported graphs) error nodes. Mouse events pass through it.
#pragma once

#include <QString>
#include <QStringList>
#include <QWidget>

namespace ce::ui {

class GraphLegend : public QWidget {
  Q_OBJECT
 public:
  explicit GraphLegend(QWidget* parent);

  // `maxEffect` is drawn at `maxRadius` scene units with area ∝ |effect|; `pixelsPerUnit` is the zoom.
  void setScale(double maxEffect, double maxRadius, double pixelsPerUnit);
  // The answer the metric favours (e.g. " Austin"), named in the colour key; empty for none.
  void setAnswer(const QString& answer);
  // The view's width: the key goes in two columns where they take at most half of it, else in one.
  void setAvailableWidth(int width);
  bool twoColumns() const { return twoColumns_; }
  // Imported graphs: colour = feature type, with the error node's marker.
  void setImported(bool imported);
  // The |effect| of each reference circle, largest first (for tests).
  std::vector<double> referenceEffects() const;
  const QString& positiveText() const { return positive_; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  void relayout();
  // The widest of `title` and the key rows `rows` (swatch and text), in pixels.
  int columnWidth(const QStringList& rows, const QString& title) const;

  double maxEffect_ = 0, maxRadius_ = 0, pixelsPerUnit_ = 1;
  QString answer_, positive_;
  bool imported_ = false;
  int leftWidth_ = 0;  // the colour key's column
  int availableWidth_ = 0;
  bool twoColumns_ = true;
};

}  // namespace ce::ui
