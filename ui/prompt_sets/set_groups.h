// The neuron groups of a traced prompt set as the user edits them: suggested by clustering, renamed, merged,
// split, deleted, made from a hypothesis. Members are indices into the trace's kept neurons.
#pragma once

#include <QColor>
#include <QObject>
#include <QString>
#include <QStringList>
#include <memory>
#include <vector>

#include "ce/core/prompt_sets/clustering.h"
#include "ce/core/prompt_sets/set_trace.h"
#include "state/prompt_set_settings.h"

namespace ce::ui {

struct SetGroup {
  QString label;
  QColor color;
  std::vector<int> members;  // ascending indices into SetTrace::neurons
  int layerLo = 0, layerHi = 0;
};

// One list per trace; every edit emits changed(). GUI thread only.
class SetGroups : public QObject {
  Q_OBJECT
 public:
  explicit SetGroups(QObject* parent = nullptr);

  const std::vector<SetGroup>& groups() const { return groups_; }
  int size() const { return static_cast<int>(groups_.size()); }
  const std::shared_ptr<const ce::core::SetTrace>& trace() const { return trace_; }

  // A new trace (or none): the groups refer to the old one's neurons, so they are cleared.
  void setTrace(std::shared_ptr<const ce::core::SetTrace> trace);
  // Replaces every group (a clustering's suggestion), colours assigned afresh.
  void setGroups(const std::vector<ce::core::NeuronGroup>& groups);
  // Returns the new group's row; members outside the trace are dropped, an empty group is refused (-1).
  int add(const QString& label, std::vector<int> members);
  // An empty label is refused.
  void rename(int row, const QString& label);
  // The rows' members joined into the first row's group (its label and colour); the others removed.
  void merge(std::vector<int> rows);
  // The group with exactly these members (if it still exists) replaced by `parts`, in place.
  bool replace(const std::vector<int>& members, const std::vector<ce::core::NeuronGroup>& parts);
  void remove(std::vector<int> rows);
  void clear();

  // The first group holding `neuron`, or -1.
  int groupOf(int neuron) const;
  // (layer, index) of a group's members, for the core's sweep.
  std::vector<std::pair<int, int>> neuronsOf(int row) const;
  // The kept neurons outside the group (complement mode).
  std::vector<std::pair<int, int>> complementOf(int row) const;
  QString neuronName(int neuron) const;

  // By neuron name, for sessions; fromSettings drops names the trace did not keep and returns how many.
  std::vector<SetGroupSettings> toSettings() const;
  int fromSettings(const std::vector<SetGroupSettings>& groups);

 Q_SIGNALS:
  void changed();

 private:
  SetGroup make(const QString& label, std::vector<int> members, QColor color) const;
  // A palette colour unused by the groups and by `more`.
  QColor nextColor(const std::vector<SetGroup>& more = {}) const;

  std::shared_ptr<const ce::core::SetTrace> trace_;
  std::vector<SetGroup> groups_;
};

}  // namespace ce::ui
