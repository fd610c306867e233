// The one question before unsaved work is replaced (closing the window, opening another session).
#pragma once

#include <QString>
#include <functional>

class QWidget;

namespace ce::ui {

// Asks `question` with Save / Discard / Cancel (Save the default), window-modal over `parent`. Save asks for a
// session file and calls `saveTo(path)`. Returns true when the caller may go on (saved, or discarded), false
// on Cancel, a cancelled file dialog or a failed save (`saveTo` returning false reports its own error).
// GUI thread; runs a nested event loop while the dialogs are open.
bool confirmUnsavedChanges(QWidget* parent, const QString& question, const std::function<bool(const QString&)>& saveTo);

}  // namespace ce::ui
