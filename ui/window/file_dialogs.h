// File dialogs that open where the user last answered one of the same kind ("session", "model",
// "exemplars", "circuit", "graph-json"), remembered across runs in QSettings ("dialogs/<kind>").
#pragma once

#include <QString>

class QWidget;

namespace ce::ui {

// The folder the last dialog of `kind` was answered in; `fallback` when none was (or it no longer exists).
QString dialogFolder(const QString& kind, const QString& fallback = {});
// Remembers the folder of `chosen` (a file, or a folder for folder dialogs) for `kind`; an empty one is ignored.
void rememberDialogFolder(const QString& kind, const QString& chosen, bool isFolder = false);

// QFileDialog's static dialogs started in dialogFolder(kind) and remembering the answer. GUI thread; modal.
// `name`: the suggested file name of a save dialog. Return the chosen path, empty when cancelled.
QString openFileIn(QWidget* parent, const QString& kind, const QString& title, const QString& filter);
QString saveFileIn(QWidget* parent, const QString& kind, const QString& title, const QString& name,
                   const QString& filter);
QString existingFolderIn(QWidget* parent, const QString& kind, const QString& title, const QString& fallback);

}  // namespace ce::ui
