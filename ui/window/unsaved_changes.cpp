#include "window/unsaved_changes.h"

#include <QMessageBox>

#include "window/file_dialogs.h"

namespace ce::ui {

bool confirmUnsavedChanges(QWidget* parent, const QString& question,
                           const std::function<bool(const QString&)>& saveTo) {
  const auto answer =
      QMessageBox::question(parent, QObject::tr("Circuit Explorer"), question,
                            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
  if (answer == QMessageBox::Discard) return true;
  if (answer != QMessageBox::Save) return false;
  const QString path = saveFileIn(parent, QStringLiteral("session"), QObject::tr("Save Session"),
                                  QStringLiteral("session.json"), QObject::tr("Sessions (*.json)"));
  return !path.isEmpty() && saveTo(path);
}

}  // namespace ce::ui
