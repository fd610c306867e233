// MainWindow's figures for print: every figure export of the explorer (graph, next-token chart, curves,
// sweep) goes through the export dialog and ui/figures' one write path.
#include <QComboBox>
#include <QFileInfo>
#include <QSpinBox>

#include "ce/core/base/error.h"
#include "figures/chart_figures.h"
#include "figures/curves_figure.h"
#include "figures/figure_export_dialog.h"
#include "figures/figure_writer.h"
#include "figures/graph_figure.h"
#include "graph/circuit_graph_view.h"
#include "panels/curves_view.h"
#include "panels/prompt_panel.h"
#include "panels/token_chart.h"
#include "prompt_sets/prompt_set_view.h"
#include "prompt_sets/sweep_panel.h"
#include "window/exporter.h"
#include "window/main_window.h"

namespace ce::ui {

namespace {

QString quoted(const QString& token) { return figures::tokenLabel(token); }

QString modelName(const std::shared_ptr<const ce::core::Model>& model) {
  return model ? QFileInfo(QString::fromStdString(model->dir())).fileName() : QString();
}

}  // namespace

bool MainWindow::exportFigure(figures::FigureKind kind, const figures::FigureSpec& spec) {
  return reportExport(spec.path, [&] {
    using figures::FigureKind;
    if (kind == FigureKind::Graph) {
      const TraceOutput& t = lastTrace();
      figures::GraphFigureText text;
      text.prompt = t.prompt;
      text.answer = t.answer;
      text.contrast = t.contrast;
      const TraceSettings s = prompt_->settings();
      if (s.metric == ce::core::Metric::Diff && !t.contrast.isEmpty()) {
        text.metric = QStringLiteral("logit(%1) \u2212 logit(%2)").arg(quoted(t.answer), quoted(t.contrast));
      } else if (s.metric == ce::core::Metric::TopK) {
        text.metric = QStringLiteral("the sum of the top-5 logits");
      } else {
        text.metric = QStringLiteral("logit(%1)").arg(quoted(t.answer));
      }
      text.caption = QStringLiteral("%1 attribution, %2 basis, model %3; nodes: the top %4 by |effect|%5.")
                         .arg(QString::fromLatin1(ce::core::method_name(s.method)),
                              QString::fromLatin1(ce::core::basis_name(t.basis)), modelName(model()))
                         .arg(s.topK)
                         .arg(s.threshold > 0 ? QStringLiteral(" above %1").arg(s.threshold) : QString());
      figures::writeFigure(spec, [&](QPainter& painter, const QRectF& page) {
        figures::drawGraphFigure(painter, page, *graph_, text);
      });
    } else if (kind == FigureKind::NextToken) {
      figures::NextTokenFigure f;
      for (const auto& top : chart_->tokens())
        f.edited.push_back({QString::fromStdString(top.text), static_cast<double>(top.prob)});
      if (f.edited.empty()) throw ce::core::Error(spec.path.toStdString() + ": no next-token probabilities yet");
      const size_t edits = interventions()->interventions().size();
      f.title = QStringLiteral("Next token after %1").arg(quoted(prompt_->settings().prompt));
      f.caption = edits == 0 ? QStringLiteral("The model without interventions; model %1.").arg(modelName(model()))
                             : QStringLiteral("Under %1 interventions; model %2.").arg(edits).arg(modelName(model()));
      figures::writeFigure(spec, [&](QPainter& painter, const QRectF& page) {
        figures::drawNextTokenFigure(painter, page, f);
      });
    } else if (kind == FigureKind::Curves) {
      if (QFileInfo(spec.path).suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0) {
        Exporter::exportCurves(spec.path, curves_->namedCurves());
        return;
      }
      figures::CurvesFigure f;
      for (const NamedCurve& c : curves_->namedCurves()) {
        const auto [basis, set] = ce::core::split_basis_spec(c.basis.toStdString());
        f.curves.push_back({ce::core::parse_method(c.method.toStdString()), basis, ce::core::Ablation::Mean, set, c.curve});
      }
      if (f.curves.empty()) throw ce::core::Error(spec.path.toStdString() + ": no curves computed yet");
      f.countPoints = false;
      f.caption = QStringLiteral("Dataset %1, %2 examples; model %3.")
                      .arg(curves_->datasetBox()->currentText())
                      .arg(curves_->examplesBox()->value())
                      .arg(modelName(model()));
      figures::writeFigure(spec, [&](QPainter& painter, const QRectF& page) {
        figures::drawCurvesFigure(painter, page, f);
      });
    } else {
      promptSet_->sweepPanel()->exportTo(spec);
    }
  });
}

void MainWindow::askFigureExport(figures::FigureKind kind) {
  using figures::FigureKind;
  const QString title = kind == FigureKind::Graph       ? tr("Export Graph")
                        : kind == FigureKind::NextToken ? tr("Export Next-Token Chart")
                        : kind == FigureKind::Curves    ? tr("Export Curves")
                                                        : tr("Export Sweep");
  const bool data = kind == FigureKind::Curves || kind == FigureKind::Sweep;
  if (const auto spec = figures::FigureExportDialog::ask(this, kind, title, data)) exportFigure(kind, *spec);
}

}  // namespace ce::ui
