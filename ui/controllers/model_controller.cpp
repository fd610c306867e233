#include "controllers/model_controller.h"

#include "ce/core/base/resources.h"
#include "ce/core/model/memory_estimate.h"
#include "ce/core/tokenizer/chat_format.h"
#include "controllers/job_runner.h"

namespace ce::ui {

namespace {
struct LoadOutput {
  std::shared_ptr<const ce::core::Model> model;
  std::shared_ptr<const ce::core::ExemplarIndex> index;
  bool chatTemplate = false;
};

struct IndexOutput {
  std::shared_ptr<const ce::core::ExemplarIndex> index;
  FirstExemplars firstExemplars;
};

struct ExemplarOutput {
  NodeKey key;
  std::vector<ExemplarRow> positive, negative;
};
}  // namespace

ModelController::ModelController(QObject* parent)
    : QObject(parent), heavy_(new JobRunner(this)), exemplars_(new JobRunner(this)) {}

ModelController::~ModelController() {
  // Workers hold the model by shared_ptr; stop them before whoever listens to the signals goes.
  heavy_->cancel();
  exemplars_->cancel();
  heavy_->waitForIdle();
  exemplars_->waitForIdle();
}

void ModelController::open(const QString& dir) {
  const std::string path = dir.toStdString();
  const ce::core::Device device = device_;
  heavy_->start<LoadOutput>(
      tr("Loading model"),
      [path, device](const ce::core::JobControl& control) -> LoadOutput {
        const std::string dir = path.empty() ? ce::core::default_model_dir() : path;
        control.report(0, ce::core::check_model_fits(dir, device));
        ce::core::LoadOptions options;
        options.device = device;
        LoadOutput out;
        out.model = std::shared_ptr<const ce::core::Model>(ce::core::Model::open(dir, options));
        control.check();
        out.index = ce::core::find_exemplar_index(*out.model, ce::core::Basis::MlpAct);
        out.chatTemplate = ce::core::has_chat_template(dir);
        return out;
      },
      [this](LoadOutput& loaded) {
        model_ = loaded.model;
        index_ = loaded.index;
        exemplars_->cancel();
        Q_EMIT this->loaded(loaded.chatTemplate);
      });
}

void ModelController::openExemplarIndex(const QString& path, const std::vector<ce::core::NodeEffect>& nodes) {
  auto model = model_;
  const std::string file = path.toStdString();
  heavy_->start<IndexOutput>(
      tr("Opening exemplar index"),
      [model, file, nodes](const ce::core::JobControl& control) {
        IndexOutput out;
        auto index = ce::core::ExemplarIndex::open(file);
        index->check_basis(ce::core::Basis::MlpAct);
        index->check_model(*model);
        out.index = std::move(index);
        out.firstExemplars = firstExemplarTexts(*model, *out.index, nodes, control);
        return out;
      },
      [this](IndexOutput& out) {
        index_ = out.index;
        Q_EMIT indexOpened(out.firstExemplars);
      });
}

void ModelController::requestExemplars(const NodeKey& key, std::shared_ptr<const ce::core::ExemplarIndex> featureIndex) {
  const bool feature = key.basis == ce::core::Basis::Features;
  auto index = feature ? featureIndex : index_;
  if (!model_ || !index || (key.basis != ce::core::Basis::MlpAct && !feature)) return;
  if (key.node.index >= index->info().neurons) return;  // an error node: no feature to show
  auto model = model_;
  exemplars_->start<ExemplarOutput>(
      tr("Exemplars"),
      [model, index, key](const ce::core::JobControl&) {
        ExemplarOutput out;
        out.key = key;
        out.positive = exemplarRows(*model, *index, key.node.layer, key.node.index,
                                    ce::core::Polarity::Positive, kExemplarsShown);
        out.negative = exemplarRows(*model, *index, key.node.layer, key.node.index,
                                    ce::core::Polarity::Negative, kExemplarsShown);
        return out;
      },
      [this](ExemplarOutput& out) { Q_EMIT exemplarsReady(out.key, out.positive, out.negative); });
}

}  // namespace ce::ui
