// A banner laid over a view whose content is out of date: a failed job would have replaced what the view
// shows, so the view is dimmed and says why until the next success (issue #15 item 2). One class for the
// graph, the next-token chart and the continuation.
#pragma once

#include <QLabel>

namespace ce::ui {

class StaleBanner : public QLabel {
  Q_OBJECT
 public:
  // Covers `target` (a scroll area's viewport, or any widget) and follows its size. Hidden at first.
  explicit StaleBanner(QWidget* target);

  // Dims the target and shows `reason` over it; a second reason replaces the first.
  void showReason(const QString& reason);
  // The target's content is current again.
  void clearReason();
  // The reason shown, empty while the banner is hidden.
  QString reason() const { return reason_; }
  bool isShown() const { return !reason_.isEmpty(); }

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;
  void paintEvent(QPaintEvent* event) override;

 private:
  QWidget* target_;
  QString reason_;
};

}  // namespace ce::ui
