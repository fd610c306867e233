// The live view of the prompt: the top next tokens and the greedy continuation under every intervention.
#pragma once

#include <QObject>
#include <QString>
#include <functional>
#include <string>
#include <vector>

#include "ce/core/circuits/attribution_example.h"
#include "ce/core/circuits/intervention.h"
#include "ce/core/model/model.h"

class QTimer;

namespace ce::ui {

class JobRunner;
class ModelController;

// What a live update computes from: read when the update runs, not when it is scheduled, so a burst of
// edits costs one computation of their final state.
struct LiveRequest {
  std::string prompt;
  ce::core::PromptFormat format = ce::core::PromptFormat::Plain;
  std::vector<ce::core::Intervention> interventions;
};

struct LiveResult {
  std::vector<ce::core::TopToken> top;
  QString continuation;
};

// Owns the live lane and its coalescing timer. GUI thread only.
class LiveController : public QObject {
  Q_OBJECT
 public:
  static constexpr int kTopTokens = 10;
  static constexpr int kContinuationTokens = 8;

  LiveController(ModelController* models, std::function<LiveRequest()> request, QObject* parent = nullptr);
  ~LiveController() override;

  JobRunner* runner() const { return runner_; }
  // An update is scheduled (the timer runs) or computing: what was last emitted is not yet current.
  bool pending() const;

 public Q_SLOTS:
  // Coalesces bursts (typing, slider drags) into one computation; the runner drops outdated answers anyway.
  void schedule();
  // Drops the running update (a new model: it would answer for the old one).
  void cancel();

 Q_SIGNALS:
  void updated(const ce::ui::LiveResult& result);
  void failed(const QString& message);

 private:
  void run();

  ModelController* models_;
  std::function<LiveRequest()> request_;
  JobRunner* runner_;
  QTimer* timer_;
};

}  // namespace ce::ui
