// What the Prompt Set view keeps in a session: how its set was traced (or where the profiles are), the user's
// groups by neuron name, and the last hypothesis and sweep settings.
#pragma once

#include <QColor>
#include <QString>
#include <QStringList>
#include <vector>

#include "ce/core/circuits/attribution.h"

namespace ce::ui {

// A group by its members' names ("L3/N701"), not by index: indices into a trace's kept neurons change with
// the keep fraction and the data, names do not.
struct SetGroupSettings {
  QString label;
  QColor color;
  QStringList neurons;
};

struct PromptSetSettings {
  // The JSON Lines prompt set; empty means the shipped capitals.jsonl, so that a shipped session carries no
  // build path.
  QString data;
  // A saved profiles file: opened instead of tracing again when the session is opened. Empty: none.
  QString profiles;
  ce::core::Metric target = ce::core::Metric::TopK;
  QString baseline = QStringLiteral("zero");  // ce::core::set_baseline_name
  double keep = 0.005;
  bool chat = false;
  // The folder of the dictionary set whose features were traced; empty: MLP neurons.
  QString dictionaries;
  // A set was traced or opened when the session was saved: opening the session traces (or opens) it again.
  bool traced = false;
  std::vector<SetGroupSettings> groups;

  // Hypothesis scores: a label column and value, which activation ("max" or a position), the AUC threshold.
  QString column, value;
  QString position = QStringLiteral("max");
  double threshold = 0.8;

  // The steering sweep: the swept group's label (empty: none yet), multipliers, answer-class columns, whether
  // the kept neurons outside the group are ablated, whether top-1 shares are drawn.
  QString sweepGroup;
  std::vector<double> multipliers{-4, -2, -1, 0, 1, 2, 4};
  QStringList classes{QStringLiteral("capital"), QStringLiteral("state"), QStringLiteral("city")};
  bool complement = false;
  bool top1 = false;
};

}  // namespace ce::ui
