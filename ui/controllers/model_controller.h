// The open model and its exemplar index: loading a model folder, opening an index, looking up exemplars.
#pragma once

#include <QObject>
#include <QString>
#include <memory>
#include <vector>

#include "ce/core/circuits/attribution.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/model/model.h"
#include "panels/exemplar_rows.h"
#include "state/intervention_state.h"

namespace ce::ui {

class JobRunner;

// Owns the heavy lane (loading, tracing, opening an index: one progress bar, and a new model cancels a
// trace of the old one) and the exemplar lane. model() and index() change only on the GUI thread, in the
// moment before loaded() or indexOpened(); jobs capture them by shared_ptr, never the controller.
class ModelController : public QObject {
  Q_OBJECT
 public:
  // Exemplar rows shown per polarity in the Neuron panel.
  static constexpr int kExemplarsShown = 5;

  explicit ModelController(QObject* parent = nullptr);
  ~ModelController() override;

  std::shared_ptr<const ce::core::Model> model() const { return model_; }
  // The exemplar index that fits the model (null when none does).
  std::shared_ptr<const ce::core::ExemplarIndex> index() const { return index_; }
  JobRunner* heavyRunner() const { return heavy_; }
  JobRunner* exemplarRunner() const { return exemplars_; }

  // An empty `dir` opens the embedded demo model on device(). A model that cannot fit in memory (the GPU's
  // free memory on a GPU) fails before loading.
  void open(const QString& dir);
  // Where the next open() puts the model; the open one stays where it is until reopened.
  void setDevice(const ce::core::Device& device) { device_ = device; }
  ce::core::Device device() const { return device_; }
  // Replaces the index if it was built for this model's mlp_act neurons, with the hover texts of `nodes`.
  void openExemplarIndex(const QString& path, const std::vector<ce::core::NodeEffect>& nodes);
  // The exemplars of an mlp_act neuron from the model's index, or of a feature from `featureIndex` (the trace's
  // set's, TraceOutput::featureIndex); nothing for other bases, error nodes or without an index.
  void requestExemplars(const NodeKey& key,
                        std::shared_ptr<const ce::core::ExemplarIndex> featureIndex = nullptr);

 Q_SIGNALS:
  // model() and index() are the new ones; `chatTemplate`: the folder names a chat template.
  void loaded(bool chatTemplate);
  void indexOpened(const ce::ui::FirstExemplars& firstExemplars);
  void exemplarsReady(const ce::ui::NodeKey& key, const std::vector<ce::ui::ExemplarRow>& positive,
                      const std::vector<ce::ui::ExemplarRow>& negative);

 private:
  std::shared_ptr<const ce::core::Model> model_;
  std::shared_ptr<const ce::core::ExemplarIndex> index_;
  ce::core::Device device_;
  JobRunner* heavy_;
  JobRunner* exemplars_;
};

}  // namespace ce::ui
