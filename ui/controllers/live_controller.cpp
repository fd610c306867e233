#include "controllers/live_controller.h"

#include <QTimer>

#include "ce/core/base/error.h"
#include "ce/core/model/continuation.h"
#include "controllers/job_runner.h"
#include "controllers/model_controller.h"

namespace ce::ui {

LiveController::LiveController(ModelController* models, std::function<LiveRequest()> request, QObject* parent)
    : QObject(parent),
      models_(models),
      request_(std::move(request)),
      runner_(new JobRunner(this)),
      timer_(new QTimer(this)) {
  timer_->setSingleShot(true);
  timer_->setInterval(40);
  connect(timer_, &QTimer::timeout, this, &LiveController::run);
  connect(runner_, &JobRunner::failed, this,
          [this](const QString&, const QString& message) { Q_EMIT failed(message); });
}

LiveController::~LiveController() {
  runner_->cancel();
  runner_->waitForIdle();
}

bool LiveController::pending() const { return timer_->isActive() || runner_->isBusy(); }

void LiveController::schedule() { timer_->start(); }

void LiveController::cancel() { runner_->cancel(); }

void LiveController::run() {
  auto model = models_->model();
  if (!model) return;
  const LiveRequest r = request_();
  runner_->start<LiveResult>(
      tr("Next token"),
      [model, r](const ce::core::JobControl& control) {
        LiveResult out;
        const std::vector<int> ids = ce::core::prompt_ids(model->tokenizer(), r.prompt, r.format);
        ce::core::validate_interventions(*model, r.interventions);
        for (const auto& iv : r.interventions) {
          if (iv.pos >= static_cast<int>(ids.size()))
            throw ce::core::Error("an intervention at position " + std::to_string(iv.pos) +
                                  " lies beyond the prompt's " + std::to_string(ids.size()) + " tokens");
        }
        out.top = model->top_k(ce::core::next_logits_with(*model, ids, r.interventions), kTopTokens);
        control.check();
        const auto gen = ce::core::generate_with(*model, ids, kContinuationTokens, r.interventions, control);
        // Shown as the text that follows the prompt: no "</s>", and the leading space of the first word.
        out.continuation = QString::fromStdString(ce::core::continuation_text(*model, gen));
        return out;
      },
      [this](LiveResult& out) { Q_EMIT updated(out); });
}

}  // namespace ce::ui
