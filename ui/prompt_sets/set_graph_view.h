// The aggregated graph of a traced prompt set: one node per kept neuron (positions collapsed) in its layer's
// row, the set's edges, and each group as a labelled box in its colour around its members.
#pragma once

#include <QGraphicsView>
#include <algorithm>
#include <memory>
#include <vector>

#include "ce/core/prompt_sets/set_trace.h"
#include "prompt_sets/set_groups.h"

class QGraphicsScene;
class QGraphicsSimpleTextItem;

namespace ce::ui {

class EdgeLayerItem;
class SetNodeItem;

class SetGraphView : public QGraphicsView {
  Q_OBJECT
 public:
  static constexpr double kPitch = 22;        // node spacing; the largest node fills most of it
  static constexpr int kMaxEdges = 300;        // the strongest edges by |mean score|; the rest are noise here

  explicit SetGraphView(QWidget* parent = nullptr);
  ~SetGraphView() override;

  // Lays the graph out afresh: a band per group (its members in it, each layer's by total |profile|, the strongest
  // top left), then a band of the ungrouped kept neurons. A neuron in several groups is drawn in each.
  void showSet(std::shared_ptr<const ce::core::SetTrace> trace, const std::vector<SetGroup>& groups);
  void clear();

  // Neurons drawn (once each, however many groups hold them).
  int nodeCount() const {
    return static_cast<int>(std::count_if(byNeuron_.begin(), byNeuron_.end(), [](const SetNodeItem* n) { return n; }));
  }
  int edgeCount() const;
  int groupBoxCount() const { return boxes_; }
  // Where a kept neuron is drawn (scene coordinates); a null point when it is not.
  QPointF nodePos(int neuron) const;
  // The group colour a neuron is drawn in (invalid when ungrouped).
  QColor nodeColor(int neuron) const;
  std::vector<int> selectedNeurons() const;
  void selectNeurons(const std::vector<int>& neurons);
  QString toolTipFor(const SetNodeItem* item) const;

 public Q_SLOTS:
  void fitAll();

 Q_SIGNALS:
  void selectionChanged(const std::vector<int>& neurons);
  // Context menu › Make Group from Selection.
  void groupRequested(const std::vector<int>& neurons);

 protected:
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void contextMenuEvent(QContextMenuEvent* event) override;
  bool viewportEvent(QEvent* event) override;
  void changeEvent(QEvent* event) override;
  // The whole set stays in view as the view is shown and resized, until the user zooms.
  void showEvent(QShowEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  QGraphicsSimpleTextItem* addLabel(const QString& text, double pixels);
  QGraphicsScene* freshScene();
  // Shows `scene` and deletes the one shown before.
  void adopt(QGraphicsScene* scene);

  QGraphicsScene* scene_;
  std::shared_ptr<const ce::core::SetTrace> trace_;
  std::vector<SetGroup> groups_;
  std::vector<SetNodeItem*> nodes_;
  std::vector<SetNodeItem*> byNeuron_;  // [kept neuron] its first drawing, or null
  std::vector<QGraphicsSimpleTextItem*> labels_;  // in the palette's text colour
  EdgeLayerItem* edges_ = nullptr;
  int boxes_ = 0;
  bool zoomed_ = false;      // the user zoomed: resizing keeps the zoom
  bool laidOutHidden_ = false;  // laid out for an unknown viewport (a session opened on the other tab)
};

}  // namespace ce::ui
