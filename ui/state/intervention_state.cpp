#include "state/intervention_state.h"

#include <algorithm>

#include <set>

namespace ce::ui {

namespace {
const QColor kPalette[] = {QColor(0x1f, 0x9e, 0x89), QColor(0xe6, 0x7e, 0x22), QColor(0x8e, 0x44, 0xad),
                           QColor(0xd3, 0x3f, 0x8c), QColor(0x27, 0xae, 0x60), QColor(0xb7, 0x95, 0x0b)};
}

InterventionState::InterventionState(QObject* parent) : QObject(parent) {}

int InterventionState::addGroup(const QString& name, const std::vector<NodeKey>& nodes) {
  SteeringGroup g;
  g.name = name;
  g.color = kPalette[groups_.size() % (sizeof kPalette / sizeof kPalette[0])];
  g.nodes = nodes;
  groups_.push_back(std::move(g));
  Q_EMIT changed();
  return static_cast<int>(groups_.size()) - 1;
}

void InterventionState::removeGroup(int index) {
  if (index < 0 || index >= static_cast<int>(groups_.size())) return;
  groups_.erase(groups_.begin() + index);
  Q_EMIT changed();
}

void InterventionState::setGroupFactor(int index, double factor) {
  if (index < 0 || index >= static_cast<int>(groups_.size())) return;
  if (groups_[static_cast<size_t>(index)].factor == factor) return;
  groups_[static_cast<size_t>(index)].factor = factor;
  Q_EMIT changed();
}

void InterventionState::renameGroup(int index, const QString& name) {
  if (index < 0 || index >= static_cast<int>(groups_.size()) || name.trimmed().isEmpty()) return;
  if (groups_[static_cast<size_t>(index)].name == name.trimmed()) return;
  groups_[static_cast<size_t>(index)].name = name.trimmed();
  Q_EMIT changed();
}

void InterventionState::mergeGroups(int into, int from) {
  const int n = static_cast<int>(groups_.size());
  if (into < 0 || from < 0 || into >= n || from >= n || into == from) return;
  auto& target = groups_[static_cast<size_t>(into)].nodes;
  for (const auto& k : groups_[static_cast<size_t>(from)].nodes) {
    if (std::find(target.begin(), target.end(), k) == target.end()) target.push_back(k);
  }
  groups_.erase(groups_.begin() + from);
  Q_EMIT changed();
}

std::vector<int> InterventionState::groupsOf(const NodeKey& key) const {
  NodeKey every = key;
  every.node.pos = -1;
  std::vector<int> out;
  for (size_t i = 0; i < groups_.size(); ++i) {
    const auto& nodes = groups_[i].nodes;
    if (std::find(nodes.begin(), nodes.end(), key) != nodes.end() ||
        std::find(nodes.begin(), nodes.end(), every) != nodes.end())
      out.push_back(static_cast<int>(i));
  }
  return out;
}

void InterventionState::setNodeFactor(const NodeKey& key, double factor) {
  const bool hadValue = nodeValues_.erase(key) > 0;
  if (factor == 1.0) {
    if (nodeFactors_.erase(key) == 0 && !hadValue) return;
  } else {
    nodeFactors_[key] = factor;
  }
  Q_EMIT changed();
}

void InterventionState::setNodeValue(const NodeKey& key, float value) {
  nodeFactors_.erase(key);
  nodeValues_[key] = value;
  Q_EMIT changed();
}

void InterventionState::reset() {
  for (auto& g : groups_) g.factor = 1.0;
  nodeFactors_.clear();
  nodeValues_.clear();
  Q_EMIT changed();
}

void InterventionState::clear() {
  groups_.clear();
  nodeFactors_.clear();
  nodeValues_.clear();
  const bool annotated = !labels_.empty() || !pins_.empty();
  labels_.clear();
  pins_.clear();
  Q_EMIT changed();
  if (annotated) Q_EMIT annotationsChanged();
}

QString InterventionState::label(int layer, int index) const {
  const auto it = labels_.find({layer, index});
  return it == labels_.end() ? QString() : it->second;
}

void InterventionState::setLabel(int layer, int index, const QString& text) {
  const QString t = text.trimmed();
  if (t.isEmpty()) {
    if (labels_.erase({layer, index}) == 0) return;
  } else {
    QString& slot = labels_[{layer, index}];
    if (slot == t) return;
    slot = t;
  }
  Q_EMIT annotationsChanged();
}

void InterventionState::setPinned(const NodeKey& key, bool pinned) {
  const bool changedPins = pinned ? pins_.insert(key).second : pins_.erase(key) > 0;
  if (changedPins) Q_EMIT annotationsChanged();
}

bool CircuitSnapshot::operator==(const CircuitSnapshot& o) const {
  if (groups.size() != o.groups.size()) return false;
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto &a = groups[i], &b = o.groups[i];
    if (a.name != b.name || a.color != b.color || a.nodes != b.nodes || a.factor != b.factor) return false;
  }
  return nodeFactors == o.nodeFactors && nodeValues == o.nodeValues && labels == o.labels && pins == o.pins &&
         threshold == o.threshold;
}

CircuitSnapshot InterventionState::snapshot() const {
  CircuitSnapshot s;
  s.groups = groups_;
  s.nodeFactors = nodeFactors_;
  s.nodeValues = nodeValues_;
  s.labels = labels_;
  s.pins = pins_;
  return s;
}

void InterventionState::restore(const CircuitSnapshot& s) {
  CircuitSnapshot now = snapshot();
  now.threshold = s.threshold;
  if (now == s) return;
  const bool annotations = labels_ != s.labels || pins_ != s.pins;
  CircuitSnapshot interventionsOnly = now;
  interventionsOnly.labels = s.labels;
  interventionsOnly.pins = s.pins;
  const bool interventions = !(interventionsOnly == s);
  groups_ = s.groups;
  nodeFactors_ = s.nodeFactors;
  nodeValues_ = s.nodeValues;
  labels_ = s.labels;
  pins_ = s.pins;
  if (interventions) Q_EMIT changed();
  if (annotations) Q_EMIT annotationsChanged();
}

void InterventionState::setAll(std::vector<SteeringGroup> groups, std::map<NodeKey, double> nodeFactors,
                               std::map<NodeKey, float> nodeValues) {
  groups_ = std::move(groups);
  nodeFactors_ = std::move(nodeFactors);
  nodeValues_ = std::move(nodeValues);
  Q_EMIT changed();
}

double InterventionState::effectiveFactor(const NodeKey& key) const {
  double f = 1.0;
  if (auto it = nodeFactors_.find(key); it != nodeFactors_.end()) f *= it->second;
  for (const auto& g : groups_) {
    for (const auto& n : g.nodes) {
      if (n == key) {
        f *= g.factor;
        break;
      }
    }
  }
  return f;
}

double InterventionState::displayFactor(const NodeKey& key) const {
  if (nodeValues_.count(key)) return 0.0;  // drawn as ablated: mean ablation removes the node's own signal
  if (key.node.pos < 0) return effectiveFactor(key);
  NodeKey every = key;
  every.node.pos = -1;
  return effectiveFactor(key) * effectiveFactor(every);
}

QColor InterventionState::groupColor(const NodeKey& key) const {
  NodeKey every = key;
  every.node.pos = -1;
  for (const auto& g : groups_) {
    for (const auto& n : g.nodes) {
      if (n == key || n == every) return g.color;
    }
  }
  return {};
}

std::vector<ce::core::Intervention> InterventionState::interventions() const {
  std::set<NodeKey> keys;
  for (const auto& [k, f] : nodeFactors_) keys.insert(k);
  for (const auto& g : groups_) keys.insert(g.nodes.begin(), g.nodes.end());
  auto at = [](const NodeKey& k) {
    ce::core::Intervention iv;
    iv.basis = k.basis;
    iv.layer = k.node.layer;
    iv.index = k.node.index;
    iv.pos = k.node.pos;
    return iv;
  };
  std::vector<ce::core::Intervention> out;
  for (const auto& [k, v] : nodeValues_) {
    out.push_back(at(k));
    out.back().value = v;
  }
  for (const auto& k : keys) {
    if (nodeValues_.count(k)) continue;
    const double f = effectiveFactor(k);
    if (f == 1.0) continue;
    out.push_back(at(k));
    out.back().factor = f;
  }
  return out;
}

QString InterventionState::nextGroupName() const {
  return QStringLiteral("Group %1").arg(groups_.size() + 1);
}

}  // namespace ce::ui
