#include "panels/answer_hint.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

#include "ce/core/circuits/attribution_example.h"
#include "ce/core/model/model.h"

namespace ce::ui {

AnswerPieces answerPiecesOf(const std::shared_ptr<const ce::core::Model>& model) {
  std::weak_ptr<const ce::core::Model> weak = model;
  return [weak](const QString& prompt, const QString& answer, bool chat) {
    QStringList pieces;
    const auto m = weak.lock();
    if (!m) return pieces;
    const auto format = chat ? ce::core::PromptFormat::Chat : ce::core::PromptFormat::Plain;
    for (int id : ce::core::answer_ids(m->tokenizer(), prompt.toStdString(), answer.toStdString(), format))
      pieces << QString::fromStdString(m->token_text(id));
    return pieces;
  };
}

AnswerHint::AnswerHint(QLineEdit* field, QWidget* parent)
    : QWidget(parent), field_(field), label_(new QLabel(this)), fix_(new QPushButton(this)) {
  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(0, 0, 0, 0);
  row->addWidget(label_, 1);
  row->addWidget(fix_);
  label_->setTextFormat(Qt::PlainText);
  label_->setWordWrap(true);
  fix_->hide();
  fix_->setToolTip(tr("A word inside a sentence is usually one token with its leading space"));
  connect(fix_, &QPushButton::clicked, this, [this] { field_->setText(suggestion_); });
}

void AnswerHint::refresh(const AnswerPieces& pieces, const QString& prompt, bool chat) {
  const QString text = field_->text();
  suggestion_.clear();
  if (!pieces || text.isEmpty()) {
    label_->clear();
    fix_->hide();
    return;
  }
  auto described = [](const QString& t, const QStringList& p) {
    return p.size() == 1 ? tr("'%1' = 1 token").arg(t)
                         : tr("'%1' = %2 tokens: %3").arg(t).arg(p.size()).arg(p.join(QLatin1Char('|')));
  };
  try {
    const QStringList p = pieces(prompt, text, chat);
    label_->setText(described(text, p));
    if (p.size() > 1 && !text.startsWith(QLatin1Char(' ')) &&
        pieces(prompt, QLatin1Char(' ') + text, chat).size() == 1) {
      suggestion_ = QLatin1Char(' ') + text;
    }
  } catch (const std::exception& e) {
    label_->setText(QString::fromStdString(e.what()));
  }
  fix_->setText(tr("Use '%1' (1 token)").arg(suggestion_));
  fix_->setVisible(!suggestion_.isEmpty());
}

}  // namespace ce::ui
