// The user's edits of the model: single-node ablations/steering and named groups with a multiplier.
#pragma once

#include <QColor>
#include <QObject>
#include <QString>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "ce/core/circuits/basis.h"
#include "ce/core/circuits/intervention.h"

namespace ce::ui {

struct NodeKey {
  ce::core::Basis basis = ce::core::Basis::MlpAct;
  ce::core::NodeRef node;
  bool operator<(const NodeKey& o) const {
    if (basis != o.basis) return basis < o.basis;
    return node < o.node;
  }
  bool operator==(const NodeKey& o) const { return basis == o.basis && node == o.node; }
};

struct SteeringGroup {
  QString name;
  QColor color;
  std::vector<NodeKey> nodes;
  double factor = 1.0;  // 1 = no change, 0 = ablate, negative flips
};

// A neuron of the model, every position: (layer, index). User labels attach to neurons, as circuit-tracer's
// clerps attach to features.
using NeuronId = std::pair<int, int>;

// The whole edited circuit in one value: what one undo step restores. The threshold lives in the prompt
// panel; CircuitHistory fills it in.
struct CircuitSnapshot {
  std::vector<SteeringGroup> groups;
  std::map<NodeKey, double> nodeFactors;
  std::map<NodeKey, float> nodeValues;
  std::map<NeuronId, QString> labels;
  std::set<NodeKey> pins;
  double threshold = 0;
  bool operator==(const CircuitSnapshot& o) const;
  bool operator!=(const CircuitSnapshot& o) const { return !(*this == o); }
};

// Single source of truth for every edit of the circuit: the interventions (groups, node factors, mean
// ablations) and the annotations (user labels by neuron, pinned nodes). The graph, the steering panel and the
// live next-token computation read it; changed() tells them the interventions moved, annotationsChanged()
// that only labels or pins did (no forward pass needed). GUI thread only.
class InterventionState : public QObject {
  Q_OBJECT
 public:
  explicit InterventionState(QObject* parent = nullptr);

  const std::vector<SteeringGroup>& groups() const { return groups_; }
  const std::map<NodeKey, double>& nodeFactors() const { return nodeFactors_; }
  // Mean ablations: the node's activation replaced by a value (its mean over a dataset's patch prompts).
  const std::map<NodeKey, float>& nodeValues() const { return nodeValues_; }

  // Returns the index of the new group. Colours cycle through a palette that reads on light and dark.
  int addGroup(const QString& name, const std::vector<NodeKey>& nodes);
  void removeGroup(int index);
  void setGroupFactor(int index, double factor);
  // An empty name is refused (ignored).
  void renameGroup(int index, const QString& name);
  // Group `from`'s nodes join group `into` (keeping its name, colour and factor; nodes it already holds are not
  // repeated) and `from` is removed. Out-of-range or equal indices are ignored.
  void mergeGroups(int into, int from);
  // The groups holding `key` itself or its neuron at every position (pos -1), in order.
  std::vector<int> groupsOf(const NodeKey& key) const;
  // factor 1 removes the node's own edit. A node has one own edit: a factor replaces a value and back.
  void setNodeFactor(const NodeKey& key, double factor);
  void setNodeValue(const NodeKey& key, float value);
  // Every factor back to 1 (groups are kept, node edits removed).
  void reset();
  // Everything removed (new model or session).
  void clear();
  void setAll(std::vector<SteeringGroup> groups, std::map<NodeKey, double> nodeFactors,
              std::map<NodeKey, float> nodeValues = {});

  // The product of the factors of the entries for exactly this key (1 when untouched). An entry with
  // pos -1 means every position and is a key of its own: the core applies it on top of per-position ones.
  double effectiveFactor(const NodeKey& key) const;
  // What a node at one position undergoes in total: its own factor times that of the every-position
  // (pos -1) entry of the same neuron. The graph draws this.
  double displayFactor(const NodeKey& key) const;
  // The group colour of a node, invalid when in no group (first group wins; every-position entries count).
  QColor groupColor(const NodeKey& key) const;
  // What the core forward applies: one Intervention per node whose effective factor is not 1, and one with
  // `value` per mean-ablated node (the value wins over its groups' factors there).
  std::vector<ce::core::Intervention> interventions() const;
  bool isEmpty() const { return interventions().empty(); }
  QString nextGroupName() const;

  // User labels by neuron; an empty (or blank) text removes the label. A group's name is its label.
  const std::map<NeuronId, QString>& labels() const { return labels_; }
  QString label(int layer, int index) const;
  void setLabel(int layer, int index, const QString& text);
  // Pinned nodes stay in the graph and the circuit whatever the threshold.
  const std::set<NodeKey>& pins() const { return pins_; }
  bool isPinned(const NodeKey& key) const { return pins_.count(key) > 0; }
  void setPinned(const NodeKey& key, bool pinned);

  // Everything but the threshold (left 0). restore() replaces it all and emits changed() and
  // annotationsChanged() for the parts that differ.
  CircuitSnapshot snapshot() const;
  void restore(const CircuitSnapshot& s);

 Q_SIGNALS:
  void changed();
  void annotationsChanged();

 private:
  std::vector<SteeringGroup> groups_;
  std::map<NodeKey, double> nodeFactors_;
  std::map<NodeKey, float> nodeValues_;
  std::map<NeuronId, QString> labels_;
  std::set<NodeKey> pins_;
};

}  // namespace ce::ui
