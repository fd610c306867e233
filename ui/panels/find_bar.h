// The graph's find bar (Ctrl+F): a field for "L3/N701", "L3/N701@9" or a label, and the answer in the bar.
#pragma once

#include <QFrame>

class QLabel;
class QLineEdit;

namespace ce::ui {

// Floats over the top of its parent (the graph view) and follows its width. Enter emits findRequested with
// the text; the window answers with setResult(). Esc or the close button hides the bar. GUI thread only.
class FindBar : public QFrame {
  Q_OBJECT
 public:
  explicit FindBar(QWidget* parent);
  // Shows the bar with the field focused and its text selected.
  void open();
  // What the last search found, shown in the bar ("no node matches 'x'", "3 nodes").
  void setResult(const QString& text, bool found);
  QString result() const;
  QLineEdit* field() const { return field_; }

 Q_SIGNALS:
  void findRequested(const QString& query);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;

 private:
  void place();

  QLineEdit* field_;
  QLabel* result_;
};

}  // namespace ce::ui
