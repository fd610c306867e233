// MainWindow's graph JSON files (circuit-tracer / Neuronpedia format): File › Export Graph JSON… writes the traced
// circuit with its pins, groups and labels; File › Open Graph JSON… shows such a file read-only.
#include <QAction>
#include <algorithm>
#include <QDir>
#include <QFileInfo>
#include <QPushButton>
#include <QSaveFile>
#include <QSlider>
#include <QStatusBar>
#include <set>

#include "ce/core/base/error.h"
#include "ce/core/dictionaries/dictionary_set.h"
#include "ce/core/graphs/attribution_graph.h"
#include "ce/core/graphs/cantor.h"
#include "ce/core/graphs/feature_file.h"
#include "ce/core/graphs/model_graph.h"
#include "controllers/job_runner.h"
#include "graph/circuit_graph_view.h"
#include "panels/prompt_panel.h"
#include "panels/stale_banner.h"
#include "panels/steering_panel.h"
#include "window/main_window.h"

namespace ce::ui {

namespace {
// Pins, groups and labels in the file's terms. Only nodes the graph holds (the traced edge nodes of the trace's
// basis) can be pinned or grouped there; an every-position group member stands for each of its node's positions.
// Labels are of neurons: a feature graph takes none.
void addAnnotations(const InterventionState& state, const std::vector<ce::core::NodeEffect>& nodes,
                    ce::core::Basis basis, int errorIndex, ce::core::GraphExportOptions& o) {
  std::set<std::string> ids;
  for (const auto& n : nodes) ids.insert(ce::core::graph_node_id(n.node, errorIndex));
  for (const auto& k : state.pins()) {
    const std::string id = ce::core::graph_node_id(k.node, errorIndex);
    if (k.basis == basis && ids.count(id)) o.pinned_ids.push_back(id);
  }
  for (const auto& g : state.groups()) {
    ce::core::GraphSupernode s;
    s.label = g.name.toStdString();
    for (const auto& n : nodes) {
      const bool member = std::any_of(g.nodes.begin(), g.nodes.end(), [&n, basis](const NodeKey& k) {
        return k.basis == basis && k.node.layer == n.node.layer && k.node.index == n.node.index &&
               (k.node.pos == n.node.pos || k.node.pos < 0);
      });
      if (member) s.node_ids.push_back(ce::core::graph_node_id(n.node, errorIndex));
    }
    if (!s.node_ids.empty()) o.supernodes.push_back(std::move(s));
  }
  if (basis != ce::core::Basis::MlpAct) return;
  for (const auto& [neuron, text] : state.labels())
    o.clerps.emplace_back(std::to_string(neuron.first) + "_" + std::to_string(neuron.second), text.toStdString());
}
void writeFeatureFiles(const ce::core::Model& model, const ce::core::ExemplarIndex& index,
                       const std::vector<ce::core::NodeEffect>& nodes, const QString& folder,
                       const ce::core::JobControl& control) {
  if (!QDir().mkpath(folder)) throw ce::core::Error(folder.toStdString() + ": cannot create the folder");
  std::set<std::pair<int, int>> done;
  for (const auto& n : nodes) {
    if (!done.insert({n.node.layer, n.node.index}).second) continue;
    control.check();
    const std::string text = ce::core::feature_json(model, index, n.node.layer, n.node.index);
    const QString file = QDir(folder).filePath(
        QString::number(ce::core::cantor_pair(static_cast<uint64_t>(n.node.layer), static_cast<uint64_t>(n.node.index))) +
        QStringLiteral(".json"));
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly) || out.write(text.data(), static_cast<qint64>(text.size())) < 0 ||
        !out.commit())
      throw ce::core::Error(file.toStdString() + ": " + out.errorString().toStdString());
  }
}
}  // namespace

QString MainWindow::featureFolderOf(const QString& graphPath) {
  const QFileInfo info(graphPath);
  return info.dir().filePath(info.completeBaseName() + QStringLiteral("_features"));
}

bool MainWindow::exportGraphJson(const QString& path) {
  const TraceOutput& t = lastTrace();
  const auto model = models_->model();
  if (!importedPath_.isEmpty()) {
    showError(tr("An imported graph is shown: trace a prompt to export its circuit"), true);
    return false;
  }
  if (!model || t.edgeNodes.empty() || t.edges.empty()) {
    showError(tr("Nothing to export: trace a prompt with edges (basis MLP activations or features, edges on)"),
              true);
    return false;
  }
  const bool featureGraph = t.basis == ce::core::Basis::Features && t.dictionaries;
  ce::core::EdgeResult edges;
  edges.basis = t.basis;
  edges.dictionaries = featureGraph ? t.dictionaries : nullptr;
  edges.m = t.m;
  edges.nodes = t.edgeNodes;
  edges.edges = t.edges;
  ce::core::GraphExportOptions options;
  options.generator_version = CE_VERSION;
  addAnnotations(*state_, t.edgeNodes, t.basis, featureGraph ? t.dictionaries->error_index() : -1, options);
  const auto example = t.example;
  const std::string prompt = t.prompt.toStdString();
  // With an exemplar index, one feature file per neuron beside the graph, as --feature-dir writes them (a
  // feature graph gets none: the files hold neuron exemplars and logit effects).
  const auto index = featureGraph ? nullptr : models_->index();
  const QString features = index ? featureFolderOf(path) : QString();
  graphFiles_->start<QString>(
      tr("Exporting graph JSON"),
      [model, index, edges, options, example, prompt, path, features](const ce::core::JobControl& control) {
        ce::core::GraphExportOptions o = options;
        ce::core::set_model_graph_options(*model, example, o);
        const std::string text = ce::core::write_graph_json(ce::core::graph_from_edges(
            edges, example.clean, ce::core::prompt_token_texts(*model, example), prompt, o));
        QSaveFile file(path);  // atomic: a failed write leaves any older file whole
        if (!file.open(QIODevice::WriteOnly) || file.write(text.data(), static_cast<qint64>(text.size())) < 0 ||
            !file.commit())
          throw ce::core::Error(path.toStdString() + ": " + file.errorString().toStdString());
        if (index) writeFeatureFiles(*model, *index, edges.nodes, features, control);
        return path;
      },
      [this](QString& written) {
        const QString features = models_->index() ? featureFolderOf(written) : QString();
        statusBar()->showMessage(features.isEmpty() ? tr("Exported graph JSON %1").arg(written)
                                                    : tr("Exported graph JSON %1 and its feature files in %2")
                                                          .arg(written, features),
                                 8000);
        Q_EMIT graphJsonSaved(written);
      });
  return true;
}

void MainWindow::openGraphJson(const QString& path) {
  graphFiles_->start<ce::core::AttributionGraph>(
      tr("Opening graph JSON"),
      [path](const ce::core::JobControl&) { return ce::core::read_graph_json(path.toStdString()); },
      [this, path](ce::core::AttributionGraph& graph) {
        // The live circuit's labels and pins name our neurons, not the file's features.
        graph_->setNodeLabels({}, {});
        graph_->setPinned({});
        graph_->showImportedGraph(graph, graph.metadata.node_threshold.value_or(0.8));
        setImportedMode(path);
        statusBar()->showMessage(tr("imported graph: %1 (read-only): %2 nodes, %3 links; trace a prompt to return "
                                    "to the live circuit")
                                     .arg(QFileInfo(path).fileName())
                                     .arg(graph.nodes.size())
                                     .arg(graph.links.size()),
                                 10000);
        Q_EMIT graphJsonOpened(path);
      });
}

void MainWindow::setImportedMode(const QString& path) {
  importedPath_ = path;
  const bool live = path.isEmpty();
  if (!live) {
    // Whatever the live circuit's collapsed groups are, the next live redraw gives them to the graph again.
    appliedCollapsed_ = {Supernode{QStringLiteral("\x01imported"), {}, {}}};
    annotationsStale_ = true;
    graphBanner_->clearReason();  // a failed trace's banner spoke of the circuit the imported graph replaces
  }
  for (QAction* a : editActions_) a->setEnabled(live);
  steering_->setEnabled(live);
  prompt_->thresholdSlider()->setEnabled(live);
  updateUndoActions();
  updateTitle();
}

void MainWindow::updateTitle() {
  if (!importedPath_.isEmpty()) {
    setWindowTitle(tr("imported graph: %1 (read-only)[*] — Circuit Explorer").arg(QFileInfo(importedPath_).fileName()));
  } else if (const auto model = models_->model()) {
    setWindowTitle(tr("%1[*] — Circuit Explorer").arg(QFileInfo(QString::fromStdString(model->dir())).fileName()));
  } else {
    setWindowTitle(tr("Circuit Explorer[*]"));
  }
}

}  // namespace ce::ui
