// The prompt, answer, contrast and patch-prompt fields, with the token strip and the trace settings.
#pragma once

#include <QList>
#include <QWidget>

#include "panels/answer_hint.h"
#include "state/trace_settings.h"

class QLineEdit;
class QLabel;
class QComboBox;
class QSpinBox;
class QCheckBox;
class QPushButton;
class QSlider;
class QDoubleSpinBox;

namespace ce::ui {

class PromptPanel : public QWidget {
  Q_OBJECT
 public:
  explicit PromptPanel(QWidget* parent = nullptr);

  TraceSettings settings() const;
  void setSettings(const TraceSettings& s);
  // Pieces of the prompt as the model tokenizes it, shown as chips.
  void setTokens(const QStringList& pieces);
  // Fills the answer and contrast fields where they are empty (the defaults a trace chose).
  void fillAnswers(const QString& answer, const QString& contrast);
  // The tokenizer behind the answer and contrast hints (answerPiecesOf the loaded model); set once a model
  // has loaded. Without one the hints are empty.
  void setAnswerTokenizer(AnswerPieces pieces);
  QLineEdit* answerField() const { return answer_; }
  QLineEdit* contrastField() const { return contrast_; }
  AnswerHint* answerHint() const { return answerHint_; }
  AnswerHint* contrastHint() const { return contrastHint_; }
  QPushButton* traceButton() const { return trace_; }
  QCheckBox* chatBox() const { return chat_; }
  QSlider* thresholdSlider() const { return threshold_; }
  // The threshold typed as a number, beside the slider (either moves the other).
  QDoubleSpinBox* thresholdField() const { return thresholdSpin_; }
  // The panel's controls in reading order, the window's tab order through them (hidden ones are skipped).
  QList<QWidget*> focusOrder() const;
  // Scales the threshold slider to a trace's largest |effect| (its right end shows only the top node) and
  // says how many of the traced nodes the threshold keeps.
  void setEffectRange(double maxAbsEffect);
  void setShownCount(int shown, int total);
  // Whether the model has a chat template (tokenizer_config.json): the chat box's tooltip says so, and
  // a model that has one starts with it checked.
  void setChatTemplateAvailable(bool available);
  // The dictionary sets offered as feature bases ("Features: <folder name>" in the basis list), replacing
  // the previous ones; a chosen set that is no longer offered falls back to MLP activations.
  void setDictionarySets(const QStringList& folders);
  // Offers one more set (a session's, or one the user opened) unless it is offered already; returns its row.
  int addDictionarySet(const QString& folder);
  // The folders offered, in list order.
  QStringList dictionarySets() const;

 Q_SIGNALS:
  // The prompt text changed (the live next-token chart follows it).
  void promptEdited();
  void traceRequested();
  // The threshold moved: the graph filters the traced nodes without a new trace.
  void thresholdChanged(double threshold);

 private:
  QLineEdit *prompt_, *answer_, *contrast_, *patch_;
  QLabel* tokens_;
  AnswerHint *answerHint_, *contrastHint_;
  AnswerPieces answerPieces_;
  void refreshHints();
  QComboBox *method_, *basis_, *metric_;
  QSpinBox* topK_;
  QSlider* threshold_;
  QDoubleSpinBox* thresholdSpin_;
  QLabel* thresholdLabel_;
  void showThreshold();
  double thresholdValue_ = 0;
  double maxEffect_ = 0;
  QCheckBox *edges_, *chat_;
  QPushButton* trace_;
};

}  // namespace ce::ui
