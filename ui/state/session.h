// A saved exploration: which model, which prompt and trace settings, which groups and interventions.
#pragma once

#include <QJsonObject>
#include <QString>
#include <map>
#include <set>
#include <vector>

#include "ce/core/model/model_config.h"
#include "state/intervention_state.h"
#include "state/prompt_set_settings.h"
#include "state/trace_settings.h"

namespace ce::ui {

class Session {
 public:
  static constexpr int kFormat = 1;

  // The model folder, absolute; empty: the embedded demo model. In the file the demo is named
  // ("model": "demo", "model_dir": ""), and a folder inside the session file's folder is stored relative to it,
  // so that the pair moves together to another place or machine (save and load convert).
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

  // `sessionDir`: the folder of the file being written; a model folder inside it is written relative to it.
  QJsonObject toJson(const QString& sessionDir = {}) const;
  // Every present field must have its kind (absent or null ones take defaults: an older or hand-written file
  // loads), and an unknown key is an error, not ignored: a misspelt "grops" would otherwise load an empty
  // circuit without a word. Throws ce::core::Error("<field path>: <problem>"), e.g. "groups[0].nodes[2].layer:
  // expected an integer, found a string", "trace.promt: unknown key (known here: prompt, answer, ...)", or for
  // a missing or unknown format. A relative model_dir is kept as written (load resolves it).
  static Session fromJson(const QJsonObject& json);
  // The ranges that need the model, checked before anything of the session is applied (a session loads
  // whole or not at all): layers 0..L-1, indices within the basis' width, positions >= -1, factors and values
  // finite, for groups, interventions, pins, labels and the prompt set's neurons. Throws ce::core::Error
  // naming the field as the file has it, e.g. "groups[0].nodes[0].index: 999999 is out of range (the model
  // has 768 neurons per layer)". Pure; any thread.
  void check(const ce::core::ModelConfig& model) const;

  // Written atomically (QSaveFile): a crash or a full disk never leaves half a session behind.
  // Throw ce::core::Error with the path and the reason.
  void save(const QString& path) const;
  // modelHash of the model folder `dir` (empty when it has no config.json).
  static QString hashModelDir(const QString& dir);
  // Reads at most 64 MiB; throws Error("<path>: <problem>"), where the problem is fromJson's or the file's.
  static Session load(const QString& path);

 private:
  QJsonObject source_;  // the JSON it was read from (check() names fields as the file has them)
};

}  // namespace ce::ui
