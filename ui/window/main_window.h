// The explorer's main window: prompt panel, circuit graph, next-token chart and steering. It builds the
// docks and menus and wires them to the controllers, which compute on worker threads.
#pragma once

#include <QMainWindow>
#include <QStringList>
#include <functional>
#include <memory>
#include <set>
#include <vector>

#include "ce/core/exemplars/exemplar_index.h"
#include "ce/core/model/model.h"
#include "controllers/live_controller.h"
#include "controllers/model_controller.h"
#include "controllers/trace_controller.h"
#include "graph/circuit_graph_view.h"
#include "state/intervention_state.h"
#include "state/trace_settings.h"

class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QTabWidget;

namespace ce::ui {

namespace figures {
enum class FigureKind;
struct FigureSpec;
}  // namespace figures

class CircuitGraphView;
class CircuitHistory;
class CurvesView;
class FindBar;
class InterventionState;
class JobRunner;
class NeuronInspector;
class PromptPanel;
class PromptSetView;
class Session;
class StaleBanner;
class SteeringPanel;
class TokenChart;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  // An empty `modelDir` opens the embedded demo model. Loading starts at once, on a worker thread, and a
  // trace of the prompt follows it.
  explicit MainWindow(const QString& modelDir = QString(), QWidget* parent = nullptr);
  ~MainWindow() override;

  static TraceSettings texasPrompt();

  std::shared_ptr<const ce::core::Model> model() const { return models_->model(); }
  CircuitGraphView* graphView() const { return graph_; }
  TokenChart* tokenChart() const { return chart_; }
  CurvesView* curvesView() const { return curves_; }
  NeuronInspector* inspector() const { return inspector_; }
  SteeringPanel* steeringPanel() const { return steering_; }
  PromptPanel* promptPanel() const { return prompt_; }
  // The Prompt Set tab (a traced prompt set: its graph, groups, hypotheses and sweeps).
  PromptSetView* promptSetView() const { return promptSet_; }
  // Shows the Prompt Set tab (true) or the circuit graph (false).
  void showPromptSetTab(bool show);
  InterventionState* interventions() const { return state_; }
  // Model loading and tracing (progress bar, Cancel).
  JobRunner* heavyRunner() const { return models_->heavyRunner(); }
  // The live next-token chart and continuation.
  JobRunner* liveRunner() const { return live_->runner(); }
  // A live update is scheduled (the coalescing timer runs) or computing: the chart is not yet current.
  bool liveUpdatePending() const { return live_->pending(); }
  // Exemplar look-ups for the neuron inspector.
  JobRunner* exemplarRunner() const { return models_->exemplarRunner(); }
  // The exemplar index that fits the model (null when none does).
  std::shared_ptr<const ce::core::ExemplarIndex> exemplarIndex() const { return models_->index(); }
  const TraceOutput& lastTrace() const { return traces_->trace(); }
  QString lastError() const { return lastError_; }
  // Banners over the graph (a failed trace), the next-token chart and the continuation (a failed live
  // update): they say why the content under them is stale until the next success (issue #15 item 2).
  StaleBanner* graphBanner() const { return graphBanner_; }
  StaleBanner* chartBanner() const { return chartBanner_; }
  StaleBanner* continuationBanner() const { return continuationBanner_; }
  // Every control in the order Tab visits them (hidden ones are skipped while hidden).
  QList<QWidget*> tabOrder() const;
  // The graph keeps at least this width: docks shrink, scroll or tab first (issue #15 item 5: 1024×700).
  static constexpr int kMinGraphWidth = 320;
  // Docks narrower than this would show their panels as scroll bars.
  static constexpr int kMinDockWidth = 200;
  // Unsaved edits (prompt, groups, interventions) since the last session save or open.
  bool isDirty() const { return isWindowModified(); }
  // The traced nodes the threshold keeps (all of them at threshold 0), descending |effect|.
  std::vector<ce::core::NodeEffect> shownNodes() const;
  // The shown nodes that no intervention ablates: the circuit the curves mark and the score measures.
  int currentCircuitSize() const;
  // The last score of the current circuit on the traced prompt (recomputed on every edit).
  CircuitScore lastCircuitScore() const { return traces_->lastScore(); }
  JobRunner* scoreRunner() const { return traces_->scoreRunner(); }

  // Undo/redo of every circuit edit (Edit menu). Cleared when a session is opened, a model loaded or another
  // prompt traced.
  CircuitHistory* history() const { return history_; }
  QAction* undoAction() const { return undo_; }
  QAction* redoAction() const { return redo_; }
  // The graph's find bar (Ctrl+F).
  FindBar* findBar() const { return findBar_; }
  // The direct logit effects of the Neuron panel.
  JobRunner* neuronRunner() const { return neuronRunner_; }
  // Exports and imports of graph JSON files.
  JobRunner* graphFileRunner() const { return graphFiles_; }
  // The graph JSON file shown read-only instead of the traced circuit; empty when the live circuit is shown.
  QString importedGraphPath() const { return importedPath_; }
  // The names of the groups drawn collapsed into one node.
  const std::set<QString>& collapsedGroups() const { return collapsed_; }
  void setGroupCollapsed(const QString& name, bool collapsed);

  Session currentSession() const;
  // Applies a session: its model is opened when it is not the current one, then its prompt is traced.
  void applySession(const Session& session);

 public Q_SLOTS:
  void openModel(const QString& dir);
  void trace();
  void cancelJob();
  // Throw nothing: failures are shown in the status bar and a message box, and returned.
  bool saveSession(const QString& path);
  bool openSession(const QString& path);
  // Opens an exemplar index on the worker; it replaces the current one only if it fits the model.
  void openExemplarIndex(const QString& path);
  // The Texas experiment in the GUI: traces the prompt and `otherPrompt` (its answer = our contrast and
  // vice versa) alone, and makes two every-position groups of the top-k neurons (layer, index) found in
  // only one of the two traces.
  void makeSpecificGroups(const QString& otherPrompt);
  // Selects a traced node, shows it in the Neuron panel and looks up its exemplars. False (and the
  // status bar says why) when the graph does not show it.
  bool inspectNode(const NodeKey& key);
  bool exportGraph(const QString& path);
  bool exportCircuit(const QString& path);
  // The next-token chart or the curves chart as a figure (.png, .svg, .pdf); curves also as .csv.
  bool exportNextTokenChart(const QString& path);
  bool exportCurves(const QString& path);
  // Figures for print (main_window_figures.cpp): the graph, the next-token chart, the curves (or, for a .csv
  // path, their data) and the sweep, drawn by ui/figures at spec's size. False, with the error shown, when
  // there is nothing to draw or the file cannot be written (the OS's reason).
  bool exportFigure(figures::FigureKind kind, const figures::FigureSpec& spec);
  // The export dialog for `kind` (size, unit, DPI, file), then exportFigure.
  void askFigureExport(figures::FigureKind kind);
  // Finds "L3/N701", "L3/N701@9" or a label in the graph, selects and centres what it finds, and says the
  // outcome in the find bar ("no node matches 'x'"). Returns the nodes found.
  std::vector<NodeKey> findInGraph(const QString& query);
  // Selects `key`, centres the graph on it and shows it in the Neuron panel (an edge row's click).
  void goToNode(const NodeKey& key);
  // The traced circuit as circuit-tracer's graph JSON (pins, groups as supernodes, labels as clerps) and, with
  // an exemplar index, its feature files, written on a worker; graphJsonSaved or an error box follows. False
  // when there is nothing to export.
  bool exportGraphJson(const QString& path);
  // Where exportGraphJson writes the feature files when an exemplar index is open: "<dir>/<name>_features"
  // beside the graph file, one "<cantor(layer, index)>.json" per neuron (core feature_json).
  static QString featureFolderOf(const QString& graphPath);
  // Reads a graph JSON file on a worker and shows it read-only (graphJsonOpened), or says in one message box
  // why it cannot (the current graph stays).
  void openGraphJson(const QString& path);

 Q_SIGNALS:
  void modelLoaded();
  void traceFinished();
  // The chart and the continuation show the current prompt under the current interventions.
  void liveUpdated();
  // lastCircuitScore() is current.
  void circuitScored();
  void graphJsonSaved(const QString& path);
  void graphJsonOpened(const QString& path);
  // The Neuron panel shows the direct logit effect of the inspected neuron.
  void logitEffectShown();

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;
  void closeEvent(QCloseEvent* event) override;

 private:
  void buildDocks();
  // The central tabs (circuit graph, prompt set) and the prompt set's wiring (main_window_prompt_sets.cpp).
  void buildCentralTabs();
  void wirePromptSets();
  // The prompt panel's dictionary sets (shipped, opened, or a session's) offered by the Curves panel and the
  // Prompt Set tab too.
  void shareDictionarySets();
  void addViewTabActions(QMenu* view);
  void buildStatusBar();
  // The keyboard (main_window_keyboard.cpp): the tab order, set again whenever docks or steering rows change,
  // and View › Docks.
  void wireKeyboard();
  void applyTabOrder();
  void addDockActions(QMenu* view);
  void buildMenus();
  void wireControllers();
  void wireEdits();
  void onModelLoaded(bool chatTemplate);
  void onTraced();
  void showError(const QString& message, bool dialog);
  void addRecentModel(const QString& dir);
  void rebuildRecentMenu();
  void updateTokenStrip();
  void onGroupRequested(const std::vector<ce::ui::NodeKey>& nodes);
  void onNodeFactorRequested(const std::vector<ce::ui::NodeKey>& nodes, double factor);
  void onMeanAblationRequested(const std::vector<ce::ui::NodeKey>& nodes);
  void onGroupSelectionRequested(int group);
  // A group's actions (steering panel row or a grouped node's submenu in the graph).
  void fillGroupMenu(QMenu* menu, int group);
  // Redraws the graph with the shown nodes (after a trace or a threshold change); a large circuit completes
  // in later event-loop turns (CircuitGraphView::setCircuitInTurns), then circuitShown runs.
  void showCircuit();
  // The drawn circuit is complete: exemplars, mean values, interventions, annotations and the curves' marker
  // follow, then announceTrace.
  void circuitShown();
  // After a trace's circuit is drawn: the status bar's summary and traceFinished (once per trace).
  void announceTrace();
  // The circuit changed (threshold, ablations): the curves' marker and the prompt score follow.
  void circuitEdited();
  // Edit menu, annotations, find, collapse and the Neuron panel's wiring (main_window_circuit.cpp).
  void buildEditMenu();
  // File › Run On Device: the CPU and each CUDA GPU; absent where LibTorch sees no GPU.
  void addDeviceMenu(QMenu* file);
  void wireAnnotations();
  void updateUndoActions();
  void extendNodeMenu(QMenu* menu, const NodeKey& key);
  void addCollapseAction(QMenu* menu, int group);
  void applyCollapsed();
  void showLabels();
  void refreshInspectorLabel();
  void onNodeSelected(const NodeKey& key);
  void requestLogitEffect(const NodeKey& key);
  // Graph JSON (main_window_graph_json.cpp): read-only mode while an imported graph is shown.
  void setImportedMode(const QString& path);
  void updateTitle();
  // Runs `write` and reports it in the status bar, or shows its error: the exports' one way to end.
  bool reportExport(const QString& path, const std::function<void()>& write);

  QString lastError_;
  bool applyingSession_ = false;  // edits made by opening a session are not the user's unsaved changes

  InterventionState* state_;
  ModelController* models_;
  TraceController* traces_;
  LiveController* live_;
  CircuitGraphView* graph_;
  PromptPanel* prompt_;
  TokenChart* chart_;
  SteeringPanel* steering_;
  CurvesView* curves_;
  NeuronInspector* inspector_;
  PromptSetView* promptSet_;
  QTabWidget* central_ = nullptr;
  // The docks the Prompt Set tab hid to have the window's width, shown again when the circuit tab returns;
  // `raisedDocks_` were the front tabs of their dock areas.
  std::vector<QDockWidget*> hiddenDocks_, raisedDocks_;
  QProgressBar* progress_;
  QPushButton* cancel_;
  QLabel* jobLabel_;
  StaleBanner* graphBanner_ = nullptr;
  StaleBanner* chartBanner_ = nullptr;
  StaleBanner* continuationBanner_ = nullptr;
  QMenu* recentMenu_ = nullptr;
  QAction* edgesAction_ = nullptr;
  QDockWidget* promptDock_ = nullptr;
  QDockWidget* chartDock_ = nullptr;
  QDockWidget* steerDock_ = nullptr;
  QDockWidget* inspectorDock_ = nullptr;
  QDockWidget* curvesDock_ = nullptr;
  CircuitHistory* history_ = nullptr;
  FindBar* findBar_ = nullptr;
  JobRunner* neuronRunner_ = nullptr;
  JobRunner* graphFiles_ = nullptr;
  QAction* undo_ = nullptr;
  QAction* redo_ = nullptr;
  std::vector<QAction*> editActions_;  // disabled while an imported graph is shown
  std::set<QString> collapsed_;
  std::vector<Supernode> appliedCollapsed_;  // what the graph was last given
  std::vector<NodeKey> shownKeys_;           // the nodes showCircuit last drew (pins may change them)
  bool traceShowing_ = false;  // a trace's circuit is being drawn: traceFinished follows when it is
  bool annotationsStale_ = true;             // the graph lacks the state's labels and pins
  QString importedPath_;
  QString tracedPrompt_;  // another prompt's trace clears the undo stack
};

}  // namespace ce::ui
