#include "window/file_dialogs.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QSettings>

namespace ce::ui {

namespace {
QString key(const QString& kind) { return QStringLiteral("dialogs/") + kind; }
}  // namespace

QString dialogFolder(const QString& kind, const QString& fallback) {
  const QString folder = QSettings().value(key(kind)).toString();
  return !folder.isEmpty() && QFileInfo(folder).isDir() ? folder : fallback;
}

void rememberDialogFolder(const QString& kind, const QString& chosen, bool isFolder) {
  if (chosen.isEmpty()) return;
  const QFileInfo info(chosen);
  QSettings().setValue(key(kind), isFolder ? info.absoluteFilePath() : info.absolutePath());
}

QString openFileIn(QWidget* parent, const QString& kind, const QString& title, const QString& filter) {
  const QString path = QFileDialog::getOpenFileName(parent, title, dialogFolder(kind), filter);
  rememberDialogFolder(kind, path);
  return path;
}

QString saveFileIn(QWidget* parent, const QString& kind, const QString& title, const QString& name,
                   const QString& filter) {
  const QString folder = dialogFolder(kind);
  const QString path =
      QFileDialog::getSaveFileName(parent, title, folder.isEmpty() ? name : QDir(folder).filePath(name), filter);
  rememberDialogFolder(kind, path);
  return path;
}

QString existingFolderIn(QWidget* parent, const QString& kind, const QString& title, const QString& fallback) {
  const QString dir = QFileDialog::getExistingDirectory(parent, title, dialogFolder(kind, fallback));
  rememberDialogFolder(kind, dir, true);
  return dir;
}

}  // namespace ce::ui
