// A saved exploration: which model, which prompt and trace settings, which groups and interventions.
#pragma once

#include <QJsonObject>
#include <QString>
#include <map>
#include <set>
#include <vector>

#include "state/intervention_state.h"
#include "state/prompt_set_settings.h"
#include "state/trace_settings.h"

namespace ce::ui {

class Session {
 public:
  static constexpr int kFormat = 1;

  QString modelDir;
  // SHA-256 over the model's config.json and the names and sizes of its weight files: tells a changed
  // or different model at the same path apart without hashing gigabytes of weights.
  QString modelHash;
  TraceSettings trace;
  std::vector<SteeringGroup> groups;
  std::map<NodeKey, double> nodeFactors;
  std::map<NodeKey, float> nodeValues;  // mean ablations ("value" in node_interventions)
  // "labels" [{layer, index, label}] and "pins" [node]; absent in older files (then none).
  std::map<NeuronId, QString> labels;
  std::set<NodeKey> pins;
  PromptSetSettings promptSet;          // "prompt_set"; absent in older files (then the defaults)
  QString programVersion;

  QJsonObject toJson() const;
  // Every present field must have its kind (absent or null ones take defaults: an older or hand-written file
  // loads). Throws ce::core::Error("<field path>: <problem>"), e.g. "groups[0].nodes[2].layer: expected an
  // integer, found a string", or for a missing or unknown format.
  static Session fromJson(const QJsonObject& json);

  // Written atomically (QSaveFile): a crash or a full disk never leaves half a session behind.
  // Throw ce::core::Error with the path and the reason.
  void save(const QString& path) const;
  // modelHash of the model folder `dir` (empty when it has no config.json).
  static QString hashModelDir(const QString& dir);
  // Reads at most 64 MiB; throws Error("<path>: <problem>"), where the problem is fromJson's or the file's.
  static Session load(const QString& path);
};

}  // namespace ce::ui
