#include "prompt_sets/set_groups.h"

#include <algorithm>
#include <set>

#include "ce/core/circuits/basis.h"

namespace ce::ui {

namespace {
// Distinct from the blue and red of the effects' signs, and legible on light and dark backgrounds.
const QColor kGroupPalette[] = {QColor(0x1f, 0x9e, 0x89), QColor(0xe6, 0x7e, 0x22), QColor(0x8e, 0x44, 0xad),
                                QColor(0xd3, 0x3f, 0x8c), QColor(0x27, 0xae, 0x60), QColor(0xb7, 0x95, 0x0b),
                                QColor(0x8c, 0x56, 0x4b), QColor(0x17, 0xbe, 0xcf), QColor(0x80, 0x80, 0x00),
                                QColor(0xa0, 0x40, 0x00), QColor(0x5d, 0x6d, 0x7e), QColor(0xb3, 0x9d, 0xdb)};
constexpr size_t kPaletteSize = sizeof kGroupPalette / sizeof kGroupPalette[0];

std::vector<int> sortedRows(std::vector<int> rows, int size) {
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  rows.erase(std::remove_if(rows.begin(), rows.end(), [size](int r) { return r < 0 || r >= size; }), rows.end());
  return rows;
}
}  // namespace

SetGroups::SetGroups(QObject* parent) : QObject(parent) {}

void SetGroups::setTrace(std::shared_ptr<const ce::core::SetTrace> trace) {
  trace_ = std::move(trace);
  groups_.clear();
  Q_EMIT changed();
}

QColor SetGroups::nextColor(const std::vector<SetGroup>& more) const {
  // The first palette colour no group uses, so that deleting a group does not recolour the others.
  std::set<QRgb> used;
  for (const auto& g : groups_) used.insert(g.color.rgb());
  for (const auto& g : more) used.insert(g.color.rgb());
  for (const QColor& c : kGroupPalette) {
    if (used.count(c.rgb()) == 0) return c;
  }
  return kGroupPalette[(groups_.size() + more.size()) % kPaletteSize];
}

SetGroup SetGroups::make(const QString& label, std::vector<int> members, QColor color) const {
  const int n = trace_ ? static_cast<int>(trace_->neurons.size()) : 0;
  members = sortedRows(std::move(members), n);
  SetGroup g;
  g.label = label;
  g.color = color;
  g.members = std::move(members);
  if (!g.members.empty()) {
    g.layerLo = g.layerHi = trace_->neurons[static_cast<size_t>(g.members.front())].layer;
    for (int m : g.members) {
      const int l = trace_->neurons[static_cast<size_t>(m)].layer;
      g.layerLo = std::min(g.layerLo, l);
      g.layerHi = std::max(g.layerHi, l);
    }
  }
  return g;
}

void SetGroups::setGroups(const std::vector<ce::core::NeuronGroup>& groups) {
  groups_.clear();
  for (const auto& g : groups) {
    SetGroup made = make(QString::fromStdString(g.label), g.members, nextColor());
    if (!made.members.empty()) groups_.push_back(std::move(made));
  }
  Q_EMIT changed();
}

int SetGroups::add(const QString& label, std::vector<int> members) {
  SetGroup g = make(label, std::move(members), nextColor());
  if (g.members.empty()) return -1;
  groups_.push_back(std::move(g));
  Q_EMIT changed();
  return size() - 1;
}

void SetGroups::rename(int row, const QString& label) {
  if (row < 0 || row >= size() || label.trimmed().isEmpty()) return;
  if (groups_[static_cast<size_t>(row)].label == label.trimmed()) return;
  groups_[static_cast<size_t>(row)].label = label.trimmed();
  Q_EMIT changed();
}

void SetGroups::merge(std::vector<int> rows) {
  rows = sortedRows(std::move(rows), size());
  if (rows.size() < 2) return;
  const SetGroup& first = groups_[static_cast<size_t>(rows.front())];
  std::vector<int> members;
  for (int r : rows) {
    const auto& m = groups_[static_cast<size_t>(r)].members;
    members.insert(members.end(), m.begin(), m.end());
  }
  SetGroup merged = make(first.label, std::move(members), first.color);
  groups_[static_cast<size_t>(rows.front())] = std::move(merged);
  for (auto it = rows.rbegin(); it + 1 != rows.rend(); ++it) groups_.erase(groups_.begin() + *it);
  Q_EMIT changed();
}

bool SetGroups::replace(const std::vector<int>& members, const std::vector<ce::core::NeuronGroup>& parts) {
  auto it = std::find_if(groups_.begin(), groups_.end(), [&](const SetGroup& g) { return g.members == members; });
  if (it == groups_.end() || parts.empty()) return false;
  const QColor color = it->color;
  const size_t at = static_cast<size_t>(it - groups_.begin());
  groups_.erase(it);
  std::vector<SetGroup> made;
  for (size_t i = 0; i < parts.size(); ++i) {
    // The first part keeps the group's colour; the others take free ones.
    SetGroup g = make(QString::fromStdString(parts[i].label), parts[i].members, color);
    if (i > 0) g.color = nextColor(made);
    if (!g.members.empty()) made.push_back(std::move(g));
  }
  groups_.insert(groups_.begin() + static_cast<std::ptrdiff_t>(at), made.begin(), made.end());
  Q_EMIT changed();
  return true;
}

void SetGroups::remove(std::vector<int> rows) {
  rows = sortedRows(std::move(rows), size());
  if (rows.empty()) return;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) groups_.erase(groups_.begin() + *it);
  Q_EMIT changed();
}

void SetGroups::clear() {
  if (groups_.empty()) return;
  groups_.clear();
  Q_EMIT changed();
}

int SetGroups::groupOf(int neuron) const {
  for (size_t g = 0; g < groups_.size(); ++g) {
    const auto& m = groups_[g].members;
    if (std::binary_search(m.begin(), m.end(), neuron)) return static_cast<int>(g);
  }
  return -1;
}

std::vector<std::pair<int, int>> SetGroups::neuronsOf(int row) const {
  std::vector<std::pair<int, int>> out;
  if (row < 0 || row >= size() || !trace_) return out;
  for (int m : groups_[static_cast<size_t>(row)].members) {
    const auto& n = trace_->neurons[static_cast<size_t>(m)];
    out.emplace_back(n.layer, n.index);
  }
  return out;
}

std::vector<std::pair<int, int>> SetGroups::complementOf(int row) const {
  std::vector<std::pair<int, int>> out;
  if (row < 0 || row >= size() || !trace_) return out;
  const auto& m = groups_[static_cast<size_t>(row)].members;
  for (size_t i = 0; i < trace_->neurons.size(); ++i) {
    if (std::binary_search(m.begin(), m.end(), static_cast<int>(i))) continue;
    out.emplace_back(trace_->neurons[i].layer, trace_->neurons[i].index);
  }
  return out;
}

QString SetGroups::neuronName(int neuron) const {
  if (!trace_ || neuron < 0 || neuron >= static_cast<int>(trace_->neurons.size())) return {};
  return QString::fromStdString(trace_->name_of(static_cast<size_t>(neuron)));
}

std::vector<SetGroupSettings> SetGroups::toSettings() const {
  std::vector<SetGroupSettings> out;
  for (const auto& g : groups_) {
    SetGroupSettings s;
    s.label = g.label;
    s.color = g.color;
    for (int m : g.members) s.neurons << neuronName(m);
    out.push_back(std::move(s));
  }
  return out;
}

int SetGroups::fromSettings(const std::vector<SetGroupSettings>& groups) {
  groups_.clear();
  int dropped = 0;
  for (const auto& s : groups) {
    std::vector<int> members;
    for (const QString& name : s.neurons) {
      int i = -1;
      try {
        const auto ref = ce::core::parse_node_name(name.toStdString());
        if (trace_) i = trace_->neuron_of(ref.layer, ref.index);
      } catch (const std::exception&) {
        i = -1;
      }
      if (i < 0) {
        ++dropped;
      } else {
        members.push_back(i);
      }
    }
    SetGroup g = make(s.label, std::move(members), s.color.isValid() ? s.color : nextColor());
    if (!g.members.empty()) groups_.push_back(std::move(g));
  }
  Q_EMIT changed();
  return dropped;
}

}  // namespace ce::ui
