// The live tokenization of an answer field ("' Austin' = 1 token", "'Austin' = 3 tokens: Aus|t|in") and, when
// the text is several tokens but the same text with a leading space is one, a button that makes it so.
#pragma once

#include <QStringList>
#include <QWidget>
#include <functional>
#include <memory>

class QLabel;
class QLineEdit;
class QPushButton;

namespace ce::core {
class Model;
}

namespace ce::ui {

// The pieces `answer` becomes after `prompt` (with the chat template when `chat`), as a trace would tokenize it
// (ce::core::answer_ids). May throw std::exception (e.g. a chat format the vocabulary lacks). Called on the GUI
// thread on every edit: it must be cheap (a tokenizer encodes a short answer in microseconds).
using AnswerPieces = std::function<QStringList(const QString& prompt, const QString& answer, bool chat)>;

// The pieces of `model`'s tokenizer through ce::core::answer_ids and Model::token_text. Holds the model weakly:
// once the model is gone it answers nothing. Thread-safe (a loaded tokenizer is immutable).
AnswerPieces answerPiecesOf(const std::shared_ptr<const ce::core::Model>& model);

class AnswerHint : public QWidget {
  Q_OBJECT
 public:
  // Shows the tokenization of `field`, a child of the caller's layout; the fix button sets `field`'s text (its
  // textChanged then refreshes the hints).
  AnswerHint(QLineEdit* field, QWidget* parent = nullptr);

  // Recomputes the hint for the field's text after `prompt`; no tokenizer (no model yet): the hint is empty.
  void refresh(const AnswerPieces& pieces, const QString& prompt, bool chat);

  QLabel* label() const { return label_; }
  // Visible only when the one-token spelling exists; its text says it ("Use ' Austin' (1 token)").
  QPushButton* fixButton() const { return fix_; }

 private:
  QLineEdit* field_;
  QLabel* label_;
  QPushButton* fix_;
  QString suggestion_;
};

}  // namespace ce::ui
