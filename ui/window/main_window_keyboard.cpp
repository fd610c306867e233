// MainWindow on small screens and from the keyboard (issue #15 item 5): the tab order through every control,
// and the View menu's actions that reopen the docks.
#include <QAction>
#include <QDockWidget>
#include <QMenu>
#include <QTabBar>
#include <QTabWidget>
#include <QTimer>

#include "graph/circuit_graph_view.h"
#include "panels/curves_view.h"
#include "panels/find_bar.h"
#include "panels/neuron_inspector.h"
#include "panels/prompt_panel.h"
#include "panels/steering_panel.h"
#include "prompt_sets/prompt_set_view.h"
#include "window/main_window.h"

namespace ce::ui {

namespace {
// A control whose focus goes to a child of its own (a spin box's line edit, a tab widget's bar). setTabOrder
// moves it together with that child; ordering the child on its own as well tears the chain into loops.
bool isCompound(const QWidget* w) { return w->focusProxy() && w->isAncestorOf(w->focusProxy()); }

// The controls under `panel` that Tab can reach, in the order they were made (the panels make them in
// reading order): compound controls whole, other controls that take tab focus themselves.
void collectFocusable(QWidget* panel, QList<QWidget*>& out) {
  for (QWidget* w : panel->findChildren<QWidget*>(Qt::FindDirectChildrenOnly)) {
    if (isCompound(w)) {
      out << w;
      continue;
    }
    if ((w->focusPolicy() & Qt::TabFocus) && !w->focusProxy()) out << w;
    collectFocusable(w, out);
  }
}

QList<QWidget*> focusableIn(QWidget* panel) {
  QList<QWidget*> out;
  collectFocusable(panel, out);
  return out;
}
}  // namespace

QList<QWidget*> MainWindow::tabOrder() const {
  // Left to right as the window reads: the prompt panel, the right docks' tabs and the front one's controls,
  // then the central tabs, the find bar and the graph. Hidden controls (other dock tabs, the Prompt Set tab)
  // keep their place and are skipped while hidden.
  QList<QWidget*> order = prompt_->focusOrder();
  for (QTabBar* bar : findChildren<QTabBar*>(Qt::FindDirectChildrenOnly)) order << bar;
  order << steering_->focusOrder() << focusableIn(curves_) << focusableIn(inspector_);
  order << central_->tabBar() << focusableIn(findBar_) << graph_ << focusableIn(promptSet_);
  return order;
}

void MainWindow::applyTabOrder() {
  // QMainWindow makes the dock tab bars as docks are tabified, without keyboard focus: they are how the
  // keyboard reaches Curves and Neuron behind Steering.
  for (QTabBar* bar : findChildren<QTabBar*>(Qt::FindDirectChildrenOnly)) {
    bar->setFocusPolicy(Qt::StrongFocus);
    if (bar->objectName().isEmpty()) bar->setObjectName(QStringLiteral("dockTabs"));
  }
  const QList<QWidget*> order = tabOrder();
  for (qsizetype i = 0; i + 1 < order.size(); ++i) QWidget::setTabOrder(order[i], order[i + 1]);
}

void MainWindow::wireKeyboard() {
  graph_->setObjectName(QStringLiteral("circuitGraph"));
  graph_->setFocusPolicy(Qt::StrongFocus);
  // Qt 6.4 tabs into a tab widget wherever it sits in the chain and hands the focus to its bar: here the bar is
  // ordered itself (before the graph, which the tab widget holds), so the tab widget must not stand in for it.
  central_->setFocusProxy(nullptr);
  central_->setFocusPolicy(Qt::NoFocus);
  central_->tabBar()->setObjectName(QStringLiteral("centralTabBar"));
  // Queued: the dock tab bars exist once the layout has run, and steering rows are replaced after their signal.
  auto later = [this] { QTimer::singleShot(0, this, &MainWindow::applyTabOrder); };
  connect(steering_, &SteeringPanel::rowsRebuilt, this, later);
  for (QDockWidget* d : findChildren<QDockWidget*>()) {
    // A dock behind another's tab stays "visible", only moved off-screen, and Tab would walk into it and seem
    // to lose the focus: its panel is disabled while its tab is not the front one (hiding it instead would cap
    // the height of the whole tab group at a title bar's).
    connect(d, &QDockWidget::visibilityChanged, d->widget(), &QWidget::setEnabled);
    connect(d, &QDockWidget::dockLocationChanged, this, later);
    connect(d, &QDockWidget::topLevelChanged, this, later);
  }
  connect(this, &QMainWindow::tabifiedDockWidgetActivated, this, later);
  later();
}

void MainWindow::addDockActions(QMenu* view) {
  // A closed dock comes back from here; shown again, it is also brought to the front of its tabs.
  QMenu* docks = view->addMenu(tr("&Docks"));
  for (QDockWidget* d : {promptDock_, chartDock_, steerDock_, curvesDock_, inspectorDock_}) {
    QAction* a = d->toggleViewAction();
    connect(a, &QAction::triggered, d, [d](bool shown) {
      if (shown) d->raise();
    });
    docks->addAction(a);
  }
}

}  // namespace ce::ui
