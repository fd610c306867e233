// The prompt, answer, contrast and patch-prompt fields, with the token strip and the trace settings.
#pragma once

#include <QWidget>

#include "ui/trace_settings.h"

class QLineEdit;
class QLabel;
class QComboBox;
class QSpinBox;
class QCheckBox;
class QPushButton;

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
  QPushButton* traceButton() const { return trace_; }

 Q_SIGNALS:
  // The prompt text changed (the live next-token chart follows it).
  void promptEdited();
  void traceRequested();

 private:
  QLineEdit *prompt_, *answer_, *contrast_, *patch_;
  QLabel* tokens_;
  QComboBox *method_, *basis_, *metric_;
  QSpinBox* topK_;
  QCheckBox* edges_;
  QPushButton* trace_;
};

}  // namespace ce::ui
