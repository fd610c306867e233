// MainWindow's central tabs: the circuit graph of one prompt, and the Prompt Set view of a traced set.
#include <QAction>
#include <QActionGroup>
#include <QDockWidget>
#include <QKeySequence>
#include <QMenu>
#include <QTabWidget>

#include "graph/circuit_graph_view.h"
#include "panels/curves_view.h"
#include "panels/prompt_panel.h"
#include "prompt_sets/prompt_set_view.h"
#include "window/main_window.h"

namespace ce::ui {

void MainWindow::buildCentralTabs() {
  central_ = new QTabWidget(this);
  central_->setObjectName(QStringLiteral("centralTabs"));
  central_->setDocumentMode(true);
  central_->addTab(graph_, tr("Circuit"));
  central_->addTab(promptSet_, tr("Prompt Set"));
  // The set's view needs ~400 px more than the circuit graph; its tab hides the docks to get them, so it must
  // not raise the window's minimum width while the circuit tab shows them.
  promptSet_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
  setCentralWidget(central_);
  connect(central_, &QTabWidget::currentChanged, this, [this](int index) {
    // The set's graph, groups and chart need the window's width; the one-prompt docks return with their tab.
    if (central_->widget(index) == promptSet_) {
      if (!hiddenDocks_.empty()) return;
      for (QDockWidget* d : findChildren<QDockWidget*>()) {
        if (!d->isVisible() || d->isFloating()) continue;
        hiddenDocks_.push_back(d);
        if (!d->visibleRegion().isEmpty()) raisedDocks_.push_back(d);
      }
      for (QDockWidget* d : hiddenDocks_) d->hide();
    } else {
      for (QDockWidget* d : hiddenDocks_) d->show();
      for (QDockWidget* d : raisedDocks_) d->raise();
      hiddenDocks_.clear();
      raisedDocks_.clear();
    }
  });
}

void MainWindow::showPromptSetTab(bool show) { central_->setCurrentWidget(show ? static_cast<QWidget*>(promptSet_) : graph_); }

void MainWindow::wirePromptSets() {
  connect(promptSet_, &PromptSetView::edited, this, [this] {
    if (!applyingSession_) setWindowModified(true);
  });
  connect(promptSet_, &PromptSetView::errorOccurred, this, [this](const QString& m) { showError(m, false); });
  connect(models_, &ModelController::indexOpened, promptSet_, [this] { promptSet_->setIndex(models_->index()); });
}

void MainWindow::shareDictionarySets() {
  curves_->setDictionarySets(prompt_->dictionarySets());
  promptSet_->setDictionarySets(prompt_->dictionarySets());
}

void MainWindow::addViewTabActions(QMenu* view) {
  auto* tabs = new QActionGroup(this);
  QAction* circuit = view->addAction(tr("&Circuit"), this, [this] { showPromptSetTab(false); });
  circuit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
  QAction* sets = view->addAction(tr("&Prompt Set"), this, [this] { showPromptSetTab(true); });
  sets->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
  for (QAction* a : {circuit, sets}) {
    a->setCheckable(true);
    tabs->addAction(a);
  }
  circuit->setChecked(true);
  connect(central_, &QTabWidget::currentChanged, this, [this, circuit, sets] {
    (central_->currentWidget() == promptSet_ ? sets : circuit)->setChecked(true);
  });
}

}  // namespace ce::ui
