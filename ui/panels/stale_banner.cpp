#include "panels/stale_banner.h"

#include <QEvent>
#include <QPainter>

namespace ce::ui {

StaleBanner::StaleBanner(QWidget* target) : QLabel(target), target_(target) {
  setObjectName(QStringLiteral("staleBanner"));
  setAlignment(Qt::AlignCenter);
  setWordWrap(true);
  setMargin(12);
  setTextFormat(Qt::PlainText);  // a job's error text may hold '<' (token lists), never markup
  setTextInteractionFlags(Qt::TextSelectableByMouse);  // the reason can be copied into a report
  // The banner takes the clicks: the stale content under it must not be edited as if it were current.
  setAttribute(Qt::WA_NoMousePropagation);
  QFont f = font();
  f.setBold(true);
  setFont(f);
  target_->installEventFilter(this);
  hide();
}

void StaleBanner::showReason(const QString& reason) {
  reason_ = reason;
  setText(reason);
  setGeometry(target_->rect());
  raise();
  show();
}

void StaleBanner::clearReason() {
  reason_.clear();
  clear();
  hide();
}

bool StaleBanner::eventFilter(QObject* watched, QEvent* event) {
  if (watched == target_ && event->type() == QEvent::Resize) setGeometry(target_->rect());
  return QLabel::eventFilter(watched, event);
}

void StaleBanner::paintEvent(QPaintEvent* event) {
  // The palette's window colour at 80 % opacity, read at each paint so that a theme switched while the
  // program runs is followed: what lies under stays faintly visible (the user sees what is stale) but cannot
  // be read as the current answer.
  QPainter painter(this);
  QColor dim = palette().color(QPalette::Window);
  dim.setAlphaF(0.8);
  painter.fillRect(rect(), dim);
  painter.end();
  QLabel::paintEvent(event);
}

}  // namespace ce::ui
