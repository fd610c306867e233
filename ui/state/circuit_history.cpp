#include "state/circuit_history.h"

#include <QUndoCommand>
#include <QUndoStack>
#include <algorithm>
#include <set>

#include "ce/core/circuits/basis.h"

namespace ce::ui {

namespace {
constexpr int kMergeableId = 1;

QString nameOf(const NodeKey& k) {
  return QString::fromStdString(ce::core::node_name(k.basis, k.node.layer, k.node.index, k.node.pos));
}

QString factorText(double f) { return QStringLiteral("\u00d7%1").arg(f, 0, 'g', 3); }

// The keys whose entry differs between two maps (present in one only, or with another value).
template <class M>
std::set<NodeKey> changedKeys(const M& a, const M& b) {
  std::set<NodeKey> out;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || it->second != v) out.insert(k);
  }
  for (const auto& [k, v] : b) {
    if (!a.count(k)) out.insert(k);
  }
  return out;
}

bool sameGroup(const SteeringGroup& a, const SteeringGroup& b) {
  return a.name == b.name && a.color == b.color && a.nodes == b.nodes && a.factor == b.factor;
}

// The one group whose factor alone changed, or -1.
int steeredGroup(const CircuitSnapshot& before, const CircuitSnapshot& after) {
  if (before.groups.size() != after.groups.size()) return -1;
  int found = -1;
  for (size_t i = 0; i < before.groups.size(); ++i) {
    const auto &a = before.groups[i], &b = after.groups[i];
    if (sameGroup(a, b)) continue;
    if (found >= 0 || a.name != b.name || a.nodes != b.nodes || a.color != b.color) return -1;
    found = static_cast<int>(i);
  }
  return found;
}

bool onlyThresholdDiffers(const CircuitSnapshot& before, const CircuitSnapshot& after) {
  CircuitSnapshot b = before;
  b.threshold = after.threshold;
  return b == after && before.threshold != after.threshold;
}

// What the node edits of `after` do to `key`, in the menu's words.
QString nodeEditText(const CircuitSnapshot& after, const NodeKey& key, int count) {
  const QString what = count == 1 ? nameOf(key) : QObject::tr("%1 Nodes").arg(count);
  if (after.nodeValues.count(key)) return QObject::tr("Mean-ablate %1").arg(what);
  const auto it = after.nodeFactors.find(key);
  if (it == after.nodeFactors.end()) return QObject::tr("Reset %1").arg(what);
  if (it->second == 0.0) return QObject::tr("Ablate %1").arg(what);
  return QObject::tr("Steer %1 %2").arg(what, factorText(it->second));
}
}  // namespace

// One step: the whole circuit before and after. The first redo() is the edit itself, already made.
class SnapshotCommand : public QUndoCommand {
 public:
  SnapshotCommand(CircuitHistory* history, CircuitSnapshot before, CircuitSnapshot after)
      : history_(history), before_(std::move(before)), after_(std::move(after)) {
    setText(CircuitHistory::describe(before_, after_));
    key_ = CircuitHistory::mergeKey(before_, after_);
    made_.start();
  }
  void undo() override { history_->apply(before_); }
  void redo() override {
    if (first_) {
      first_ = false;
      return;
    }
    history_->apply(after_);
  }
  int id() const override { return key_.isEmpty() ? -1 : kMergeableId; }
  bool mergeWith(const QUndoCommand* other) override {
    const auto* o = static_cast<const SnapshotCommand*>(other);
    if (o->key_ != key_ || made_.elapsed() > CircuitHistory::kMergeMs) return false;
    after_ = o->after_;
    made_.restart();  // a long drag stays one step: the window runs from the latest change
    setText(CircuitHistory::describe(before_, after_));
    // Dragged back to where it started: the step does nothing and Qt drops it.
    setObsolete(before_ == after_);
    return true;
  }

 private:
  CircuitHistory* history_;
  CircuitSnapshot before_, after_;
  QString key_;
  QElapsedTimer made_;
  bool first_ = true;
};

CircuitHistory::CircuitHistory(InterventionState* state, std::function<double()> threshold,
                               std::function<void(double)> setThreshold, QObject* parent)
    : QObject(parent),
      state_(state),
      threshold_(std::move(threshold)),
      setThreshold_(std::move(setThreshold)),
      stack_(new QUndoStack(this)) {
  last_ = current();
  connect(state_, &InterventionState::changed, this, &CircuitHistory::record);
  connect(state_, &InterventionState::annotationsChanged, this, &CircuitHistory::record);
}

CircuitSnapshot CircuitHistory::current() const {
  CircuitSnapshot s = state_->snapshot();
  s.threshold = threshold_();
  return s;
}

void CircuitHistory::record() {
  if (quiet_) return;
  CircuitSnapshot now = current();
  if (now == last_) return;
  CircuitSnapshot before = std::move(last_);
  last_ = now;
  stack_->push(new SnapshotCommand(this, std::move(before), std::move(now)));
}

void CircuitHistory::edit(const std::function<void()>& edit) {
  const bool was = quiet_;
  quiet_ = true;
  edit();
  quiet_ = was;
  record();
}

void CircuitHistory::unrecorded(const std::function<void()>& change) {
  const bool was = quiet_;
  quiet_ = true;
  change();
  quiet_ = was;
  last_ = current();
}

void CircuitHistory::clear() {
  stack_->clear();
  last_ = current();
}

void CircuitHistory::apply(const CircuitSnapshot& s) {
  unrecorded([&] {
    state_->restore(s);
    setThreshold_(s.threshold);
  });
}

QString CircuitHistory::mergeKey(const CircuitSnapshot& before, const CircuitSnapshot& after) {
  if (onlyThresholdDiffers(before, after)) return QStringLiteral("threshold");
  if (before.threshold != after.threshold || before.labels != after.labels || before.pins != after.pins)
    return {};
  if (before.nodeFactors == after.nodeFactors && before.nodeValues == after.nodeValues) {
    const int g = steeredGroup(before, after);
    return g >= 0 ? QStringLiteral("group-factor:%1").arg(g) : QString();
  }
  if (before.groups.size() != after.groups.size()) return {};
  for (size_t i = 0; i < before.groups.size(); ++i) {
    if (!sameGroup(before.groups[i], after.groups[i])) return {};
  }
  if (before.nodeValues != after.nodeValues) return {};
  const auto keys = changedKeys(before.nodeFactors, after.nodeFactors);
  if (keys.size() != 1 || !after.nodeFactors.count(*keys.begin())) return {};
  return QStringLiteral("node-factor:") + nameOf(*keys.begin());
}

QString CircuitHistory::describe(const CircuitSnapshot& before, const CircuitSnapshot& after) {
  if (onlyThresholdDiffers(before, after))
    return tr("Threshold %1").arg(after.threshold, 0, 'g', 3);
  const auto& bg = before.groups;
  const auto& ag = after.groups;
  const bool nodesSame = before.nodeFactors == after.nodeFactors && before.nodeValues == after.nodeValues;
  // Reset: every node edit gone and every group back to x1, more than one thing undone at once (one alone is
  // named after what it undoes).
  if (ag.size() == bg.size() && after.nodeFactors.empty() && after.nodeValues.empty()) {
    int reset = static_cast<int>(before.nodeFactors.size() + before.nodeValues.size());
    bool onlyFactors = true;
    for (size_t i = 0; i < bg.size(); ++i) {
      onlyFactors = onlyFactors && ag[i].factor == 1.0 && bg[i].name == ag[i].name && bg[i].nodes == ag[i].nodes;
      reset += bg[i].factor != ag[i].factor ? 1 : 0;
    }
    if (onlyFactors && reset > 1) return tr("Reset");
  }
  if (ag.size() == bg.size() + 1) return tr("Add Group \u201c%1\u201d").arg(ag.back().name);
  if (ag.size() + 1 == bg.size()) {
    size_t i = 0;
    while (i < ag.size() && sameGroup(ag[i], bg[i])) ++i;
    // The group gone is the one whose name and colour no group after has (a merged group changed its nodes).
    for (size_t j = 0; j < bg.size(); ++j) {
      if (std::none_of(ag.begin(), ag.end(),
                       [&](const SteeringGroup& g) { return g.name == bg[j].name && g.color == bg[j].color; })) {
        i = j;
        break;
      }
    }
    // A group that grew while another went: a merge.
    for (const auto& grown : ag) {
      for (const auto& was : bg) {
        if (was.name == grown.name && grown.nodes.size() > was.nodes.size())
          return tr("Merge Group \u201c%1\u201d into \u201c%2\u201d").arg(bg[i].name, grown.name);
      }
    }
    return tr("Remove Group \u201c%1\u201d").arg(bg[i].name);
  }
  if (ag.size() > bg.size() + 1) return tr("Add %1 Groups").arg(ag.size() - bg.size());
  if (ag.size() < bg.size()) return tr("Remove %1 Groups").arg(bg.size() - ag.size());
  for (size_t i = 0; i < bg.size(); ++i) {
    if (sameGroup(bg[i], ag[i])) continue;
    if (bg[i].name != ag[i].name) return tr("Rename Group \u201c%1\u201d to \u201c%2\u201d").arg(bg[i].name, ag[i].name);
    if (bg[i].factor != ag[i].factor) {
      if (ag[i].factor == 0.0) return tr("Ablate Group \u201c%1\u201d").arg(ag[i].name);
      return tr("Steer Group \u201c%1\u201d %2").arg(ag[i].name, factorText(ag[i].factor));
    }
    return tr("Edit Group \u201c%1\u201d").arg(ag[i].name);
  }
  if (!nodesSame) {
    std::set<NodeKey> keys = changedKeys(before.nodeFactors, after.nodeFactors);
    const auto values = changedKeys(before.nodeValues, after.nodeValues);
    keys.insert(values.begin(), values.end());
    return nodeEditText(after, *keys.begin(), static_cast<int>(keys.size()));
  }
  if (before.labels != after.labels) {
    std::vector<NeuronId> changed;
    for (const auto& [k, v] : before.labels) {
      auto it = after.labels.find(k);
      if (it == after.labels.end() || it->second != v) changed.push_back(k);
    }
    for (const auto& [k, v] : after.labels) {
      if (!before.labels.count(k)) changed.push_back(k);
    }
    if (changed.size() > 1) return tr("Label %1 Neurons").arg(changed.size());
    const QString name = QString::fromStdString(ce::core::node_name(changed[0].first, changed[0].second));
    return after.labels.count(changed[0]) ? tr("Label %1").arg(name) : tr("Remove Label of %1").arg(name);
  }
  if (before.pins != after.pins) {
    std::vector<NodeKey> added, removed;
    for (const auto& k : after.pins)
      if (!before.pins.count(k)) added.push_back(k);
    for (const auto& k : before.pins)
      if (!after.pins.count(k)) removed.push_back(k);
    if (added.size() == 1 && removed.empty()) return tr("Pin %1").arg(nameOf(added[0]));
    if (removed.size() == 1 && added.empty()) return tr("Unpin %1").arg(nameOf(removed[0]));
    return removed.empty() ? tr("Pin %1 Nodes").arg(added.size()) : tr("Unpin %1 Nodes").arg(removed.size());
  }
  return tr("Edit Circuit");
}

}  // namespace ce::ui
