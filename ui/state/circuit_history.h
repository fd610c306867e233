// Undo and redo of every circuit edit (ablate, steer, mean-ablate, groups, labels, pins, threshold, Reset).
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <functional>

#include "state/intervention_state.h"

class QUndoStack;

namespace ce::ui {

// Watches the InterventionState and the threshold and turns each change into one step of a QUndoStack. A step
// holds the whole circuit before and after (CircuitSnapshot), so undo restores the exact state by
// construction, whichever panel, menu or context menu made the edit. Steps of the same kind on the same
// target (one group's slider, one node's factor, the threshold slider) made within kMergeMs of each other
// merge into one: a slider drag is one step. The stack is cleared (clear()) when a session is opened, a
// model loaded, or a prompt other than the last one traced. GUI thread only.
class CircuitHistory : public QObject {
  Q_OBJECT
 public:
  static constexpr int kMergeMs = 1500;

  // `state` must outlive this object; the threshold is read and written through the two functions (it lives
  // in the prompt panel).
  CircuitHistory(InterventionState* state, std::function<double()> threshold,
                 std::function<void(double)> setThreshold, QObject* parent = nullptr);

  // Owned by this object; its undo/redo actions name the step ("Undo Ablate L3/N701@9").
  QUndoStack* stack() const { return stack_; }

  // Records the change since the last step, if any (the threshold moved; the state's own signals call it).
  void record();
  // Runs `edit` (several state changes, e.g. one per selected node) and records them as one step.
  void edit(const std::function<void()>& edit);
  // Runs `change` without recording it and takes the result as the new base: a change that is not the
  // user's (a trace rescaling the threshold slider).
  void unrecorded(const std::function<void()>& change);
  // Forgets every step and takes the current circuit as the base.
  void clear();

  CircuitSnapshot current() const;
  // The step's text from `before` to `after`: "Ablate L3/N701@9", "Steer Group “Texas” ×4", "Pin L3/N701@9",
  // "Label L3/N701", "Threshold 0.05", "Reset", ...
  static QString describe(const CircuitSnapshot& before, const CircuitSnapshot& after);
  // Which steps merge: equal non-empty keys ("group-factor:1", "node-factor:L3/N701@9", "threshold").
  static QString mergeKey(const CircuitSnapshot& before, const CircuitSnapshot& after);

 private:
  friend class SnapshotCommand;
  void apply(const CircuitSnapshot& s);

  InterventionState* state_;
  std::function<double()> threshold_;
  std::function<void(double)> setThreshold_;
  QUndoStack* stack_;
  CircuitSnapshot last_;
  bool quiet_ = false;  // applying a step, batching an edit or an unrecorded change
};

}  // namespace ce::ui
