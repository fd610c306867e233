#include "panels/find_bar.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QToolButton>

namespace ce::ui {

FindBar::FindBar(QWidget* parent) : QFrame(parent), field_(new QLineEdit(this)), result_(new QLabel(this)) {
  setObjectName(QStringLiteral("findBar"));
  setFrameShape(QFrame::StyledPanel);
  setAutoFillBackground(true);
  field_->setPlaceholderText(tr("Find L3/N701, L3/N701@9 or a label"));
  field_->setClearButtonEnabled(true);
  field_->setMinimumWidth(240);
  auto* close = new QToolButton(this);
  close->setText(QStringLiteral("\u00d7"));
  close->setToolTip(tr("Close (Esc)"));
  close->setAutoRaise(true);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(6, 3, 3, 3);
  layout->addWidget(new QLabel(tr("Find:"), this));
  layout->addWidget(field_);
  layout->addWidget(result_);
  layout->addWidget(close);
  connect(field_, &QLineEdit::returnPressed, this, [this] { Q_EMIT findRequested(field_->text()); });
  connect(close, &QToolButton::clicked, this, &QWidget::hide);
  parent->installEventFilter(this);
  hide();
}

void FindBar::open() {
  place();
  show();
  raise();
  field_->setFocus(Qt::ShortcutFocusReason);
  field_->selectAll();
}

void FindBar::setResult(const QString& text, bool found) {
  result_->setText(text);
  QPalette p = result_->palette();
  p.setColor(QPalette::WindowText, found ? palette().color(QPalette::WindowText) : QColor(0xc0, 0x39, 0x2b));
  result_->setPalette(p);
  adjustSize();
  place();
}

QString FindBar::result() const { return result_->text(); }

bool FindBar::eventFilter(QObject* watched, QEvent* event) {
  if (watched == parentWidget() && event->type() == QEvent::Resize) place();
  return QFrame::eventFilter(watched, event);
}

void FindBar::keyPressEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_Escape) {
    hide();
    parentWidget()->setFocus();
    return;
  }
  // The field ignores Return after returnPressed (for dialogs' default buttons): it must not reach the graph
  // below, where Return opens the selected node.
  if (event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) {
    event->accept();
    return;
  }
  QFrame::keyPressEvent(event);
}

void FindBar::place() {
  // Top right of the graph, clear of the legend in its lower corner.
  adjustSize();
  const int w = std::min(parentWidget()->width() - 16, std::max(sizeHint().width(), 420));
  setGeometry(parentWidget()->width() - w - 8, 8, w, sizeHint().height());
}

}  // namespace ce::ui
