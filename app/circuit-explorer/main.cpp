// circuit-explorer: the Qt front end. Options: --model DIR, --session FILE (open a saved session: model,
// prompt, groups and interventions), --screenshot FILE (render the window after the start-up trace and exit),
// --select NODE (inspect a node after that trace), --plot-sweep CSV --out FIG (draw a saved sweep and exit),
// --export-graph FIG (the printed graph figure of the start-up trace, then exit).
#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QPixmap>
#include <QTimer>
#include <cstdio>
#include <memory>

#include "ce/core/base/error.h"
#include "ce/core/base/files.h"
#include "ce/core/circuits/basis.h"
#include "ce/core/prompt_sets/sweep.h"
#include "figures/chart_figures.h"
#include "figures/figure_export_dialog.h"
#include "figures/figure_writer.h"
#include "state/intervention_state.h"
#include "controllers/job_runner.h"
#include "window/main_window.h"
#include "panels/token_chart.h"
#include "prompt_sets/prompt_set_view.h"
#include "heap_reuse.h"
#include "passive_wait.h"

namespace {

// The printed sweep figure (ui/figures, as the Prompt Set tab's Export draws it) of a CSV that
// `circuit-trace sweep --csv` wrote, at the sweep's default size (12 × 8 cm, PNG at 300 DPI): the README's
// sweep figures.
int plotSweep(const QString& csv, const QString& out, const QString& group) {
  try {
    ce::ui::figures::SweepFigure figure;
    figure.result = ce::core::parse_sweep_csv(ce::core::read_file(csv.toStdString(), 1 << 20, "a sweep CSV"),
                                              csv.toStdString());
    figure.group = group;
    ce::ui::figures::FigureSpec spec = ce::ui::figures::defaultSpec(ce::ui::figures::FigureKind::Sweep);
    spec.path = out;
    ce::ui::figures::writeFigure(spec, [&](QPainter& painter, const QRectF& page) {
      ce::ui::figures::drawSweepFigure(painter, page, figure);
    });
  } catch (const ce::core::Error& e) {
    std::fprintf(stderr, "circuit-explorer: %s\n", e.what());
    return 2;
  }
  std::printf("circuit-explorer: saved %s\n", qPrintable(out));
  return 0;
}

void addOptions(QCommandLineParser& parser, QCommandLineOption& model, QCommandLineOption& session,
                QCommandLineOption& screenshot, QCommandLineOption& select) {
  parser.setApplicationDescription(
      QStringLiteral("Explore, ablate and steer the neuron circuits of a language model."));
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addOption(model);
  parser.addOption(session);
  parser.addOption(screenshot);
  parser.addOption(select);
}

}  // namespace

int main(int argc, char** argv) {
  ce::app::ensure_passive_wait(argv);
  ce::app::keep_freed_heap();
  QCommandLineOption modelOption(
      QStringLiteral("model"),
      QStringLiteral("Hugging Face model folder (default: the embedded demo model)."), QStringLiteral("DIR"));
  QCommandLineOption sessionOption(
      QStringLiteral("session"),
      QStringLiteral("Open a saved session (model, prompt, groups, interventions) at start-up."),
      QStringLiteral("FILE"));
  QCommandLineOption screenshotOption(
      QStringLiteral("screenshot"),
      QStringLiteral("Save the window as FILE (PNG) after the start-up trace, then exit."),
      QStringLiteral("FILE"));
  QCommandLineOption selectOption(
      QStringLiteral("select"),
      QStringLiteral(
          "After the start-up trace, select NODE (LAYER/INDEX@POS, e.g. L3/N701@10) and show it in the "
          "Neuron panel with its exemplars."),
      QStringLiteral("NODE"));
  const QCommandLineOption plotOption(QStringLiteral("plot-sweep"),
                                      QStringLiteral("Draw the sweep CSV that circuit-trace sweep --csv wrote into --out "
                                                     "(PNG, SVG or PDF), then exit."),
                                      QStringLiteral("CSV"));
  const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("With --plot-sweep: the figure."),
                                     QStringLiteral("FIG"));
  const QCommandLineOption groupOption(QStringLiteral("group-label"),
                                       QStringLiteral("With --plot-sweep: the group's name in the title."),
                                       QStringLiteral("TEXT"));
  const QCommandLineOption graphFigureOption(
      QStringLiteral("export-graph"),
      QStringLiteral("After the start-up trace (or --session's), write the printed graph figure FIG (SVG, PDF or "
                     "PNG at 300 DPI; 17 × 12 cm), then exit."),
      QStringLiteral("FIG"));
  // --help and --version print and exit; they must work without a display, before QApplication needs one.
  for (int i = 1; i < argc; ++i) {
    const QByteArray a(argv[i]);
    if (a == "-h" || a == "--help" || a == "--help-all" || a == "-v" || a == "--version") {
      QCoreApplication core(argc, argv);
      QCoreApplication::setApplicationName(QStringLiteral("circuit-explorer"));
      QCoreApplication::setApplicationVersion(QStringLiteral(CE_VERSION));
      QCommandLineParser parser;
      addOptions(parser, modelOption, sessionOption, screenshotOption, selectOption);
      parser.addOptions({plotOption, outOption, groupOption, graphFigureOption});
      parser.process(core);
      return 0;
    }
  }

  // QGuiApplication takes "-session"/"--session" for itself (X11 session management) and removes it from the
  // arguments, so ours is taken out first.
  QString sessionFile;
  bool sessionSet = false;
  for (int i = 1; i < argc; ++i) {
    const QByteArray a(argv[i]);
    int used = 0;
    if ((a == "--session" || a == "-session") && i + 1 < argc) {
      sessionFile = QString::fromLocal8Bit(argv[i + 1]);
      used = 2;
    } else if (a.startsWith("--session=")) {
      sessionFile = QString::fromLocal8Bit(a.mid(10));
      used = 1;
    }
    if (used) {
      sessionSet = true;
      for (int j = i; j + used < argc; ++j) argv[j] = argv[j + used];
      argc -= used;
      argv[argc] = nullptr;
      --i;
    }
  }

  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("CircuitExplorer"));
  QApplication::setOrganizationDomain(QStringLiteral("circuitexplorer.github.io"));
  QApplication::setApplicationName(QStringLiteral("circuit-explorer"));
  QApplication::setApplicationDisplayName(QStringLiteral("Circuit Explorer"));
  QApplication::setApplicationVersion(QStringLiteral(CE_VERSION));
  QApplication::setDesktopFileName(QStringLiteral("io.github.circuitexplorer.CircuitExplorer"));

  QCommandLineParser parser;
  addOptions(parser, modelOption, sessionOption, screenshotOption, selectOption);
  parser.addOptions({plotOption, outOption, groupOption, graphFigureOption});
  parser.process(app);
  if (parser.isSet(plotOption)) {
    if (!parser.isSet(outOption)) {
      std::fprintf(stderr, "circuit-explorer: --plot-sweep needs --out FIG\n");
      return 2;
    }
    return plotSweep(parser.value(plotOption), parser.value(outOption), parser.value(groupOption));
  }
  ce::core::NodeRef selected;
  if (parser.isSet(selectOption)) {
    try {
      selected = ce::core::parse_node_name(parser.value(selectOption).toStdString());
      if (selected.pos < 0) throw ce::core::Error("a node needs its position here");
    } catch (const std::exception& e) {
      // The node syntax is the graph's (L3/N701@9), not the steering syntax of circuit-trace.
      std::fprintf(stderr, "circuit-explorer: --select: %s; give LAYER/INDEX@POS, e.g. --select L3/N701@9\n",
                   e.what());
      return 2;
    }
  }

  ce::ui::MainWindow window(parser.value(modelOption));
  window.show();
  // The session's model replaces the one loading (the runner drops the outdated load), its prompt is traced
  // and its interventions apply once that model is in.
  if (sessionSet && !window.openSession(sessionFile)) {
    if (parser.isSet(screenshotOption)) {
      std::fprintf(stderr, "circuit-explorer: %s\n", qPrintable(window.lastError()));
      return 1;
    }
  }

  if (parser.isSet(graphFigureOption)) {
    ce::ui::figures::FigureSpec spec = ce::ui::figures::defaultSpec(ce::ui::figures::FigureKind::Graph);
    spec.path = parser.value(graphFigureOption);
    auto* runner = window.heavyRunner();
    QObject::connect(&window, &ce::ui::MainWindow::traceFinished, &window, [&window, spec, runner] {
      // After the labels and exemplars that follow a trace, so the figure shows one settled state.
      auto* poll = new QTimer(&window);
      QObject::connect(poll, &QTimer::timeout, &window, [&window, spec, poll, runner] {
        if (runner->isBusy() || window.exemplarRunner()->isBusy()) return;
        poll->stop();
        const bool ok = window.exportFigure(ce::ui::figures::FigureKind::Graph, spec);
        if (ok) {
          std::printf("circuit-explorer: saved %s\n", qPrintable(spec.path));
        } else {
          std::fprintf(stderr, "circuit-explorer: %s\n", qPrintable(window.lastError()));
        }
        QApplication::exit(ok ? 0 : 1);
      });
      poll->start(200);
    });
    QObject::connect(runner, &ce::ui::JobRunner::failed, &window, [](const QString& name, const QString& message) {
      std::fprintf(stderr, "circuit-explorer: %s failed: %s\n", qPrintable(name), qPrintable(message));
      QApplication::exit(1);
    });
  }

  const bool screenshot = parser.isSet(screenshotOption);
  if (parser.isSet(selectOption)) {
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = QObject::connect(
        &window, &ce::ui::MainWindow::traceFinished, &window, [&window, selected, connection, screenshot] {
          QObject::disconnect(*connection);
          ce::ui::NodeKey key;
          key.basis = window.lastTrace().basis;  // the node of the trace shown: a neuron, or a feature (L3/F271@10)
          key.node = selected;
          if (!window.inspectNode(key) && screenshot) {
            std::fprintf(stderr, "circuit-explorer: %s\n", qPrintable(window.lastError()));
            QApplication::exit(1);
          }
        });
  }

  if (screenshot) {
    const QString file = parser.value(screenshotOption);
    auto* runner = window.heavyRunner();
    auto shoot = [&window, file, runner] {
      // Wait until the live chart, the exemplars and a session's prompt set have caught up too, so the image
      // shows one consistent state.
      auto* poll = new QTimer(&window);
      QObject::connect(poll, &QTimer::timeout, &window, [&window, file, poll, runner] {
        if (runner->isBusy() || window.liveUpdatePending() || window.exemplarRunner()->isBusy() ||
            window.promptSetView()->isBusy()) {
          return;
        }
        poll->stop();
        const bool ok = window.grab().save(file);
        if (!ok) std::fprintf(stderr, "circuit-explorer: cannot write %s\n", qPrintable(file));
        // What the image shows, for scripts and for a reader checking a regenerated figure.
        const auto& top = window.tokenChart()->tokens();
        if (ok && !top.empty()) {
          std::printf(
              "circuit-explorer: saved %s; top next token \"%s\" (p = %.3f) under %zu interventions\n",
              qPrintable(file), top[0].text.c_str(), static_cast<double>(top[0].prob),
              window.interventions()->interventions().size());
        }
        QApplication::exit(ok ? 0 : 1);
      });
      poll->start(200);
    };
    QObject::connect(&window, &ce::ui::MainWindow::traceFinished, &window, shoot);
    QObject::connect(
        runner, &ce::ui::JobRunner::failed, &window, [](const QString& name, const QString& message) {
          std::fprintf(stderr, "circuit-explorer: %s failed: %s\n", qPrintable(name), qPrintable(message));
          QApplication::exit(1);
        });
    QTimer::singleShot(300000, &window, [] {
      std::fprintf(stderr, "circuit-explorer: the start-up trace did not finish within 5 minutes\n");
      QApplication::exit(1);
    });
  }
  return QApplication::exec();
}
