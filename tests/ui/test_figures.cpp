// Figures for print (ui/figures, issue #15): clean ticks, the curves figure's legend and title as written in
// the SVG, physical sizes of PNG and PDF, the graph and sweep figures, the export dialog's memory, the one
// write path's OS reasons, and `circuit-trace plot-curves`.
#include <QApplication>
#include <QBarCategoryAxis>
#include <QChart>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QImage>
#include <QLineEdit>
#include <QProcess>
#include <QRegularExpression>
#include <QSettings>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>
#include <algorithm>
#include <cmath>

#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/graphs/attribution_graph.h"
#include "figures/chart_figures.h"
#include "figures/curves_figure.h"
#include "figures/figure_export_dialog.h"
#include "figures/figure_plot.h"
#include "figures/figure_writer.h"
#include "figures/graph_figure.h"
#include "graph/circuit_graph_view.h"
#include "gui_support.h"
#include "panels/token_chart.h"
#include "test_support.h"
#include "window/exporter.h"

using namespace ce::ui::figures;
using ce::core::Ablation;
using ce::core::Basis;
using ce::core::CurveRecord;
using ce::core::Method;

namespace {

std::vector<double> values(const Ticks& t) { return t.values; }

void compareTicks(const std::vector<double>& got, const std::vector<double>& want) {
  QCOMPARE(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) QVERIFY2(std::abs(got[i] - want[i]) < 1e-12, qPrintable(QString::number(got[i])));
}

// Three methods × four bases, each a made-up curve of 6 points (faithfulness rising, completeness falling).
std::vector<CurveRecord> twelveCurves() {
  std::vector<CurveRecord> out;
  for (Basis b : {Basis::MlpAct, Basis::MlpOut, Basis::Attn, Basis::Resid}) {
    for (Method m : {Method::RelP, Method::IG, Method::AtP}) {
      CurveRecord r;
      r.method = m;
      r.basis = b;
      int k = 0;
      for (int n : {1, 5, 20, 100, 400, 1500}) {
        ce::core::CurvePoint p;
        p.threshold = 0.1 / (k + 1);
        p.nodes = n;
        p.faithfulness = std::min(1.0, 0.1 * ++k + 0.05 * static_cast<int>(b));
        p.completeness = 1 - p.faithfulness;
        r.curve.points.push_back(p);
      }
      out.push_back(r);
    }
  }
  return out;
}

// The text content of every <text> element of an SVG (QSvgGenerator may split a run into <tspan>s).
QStringList svgTexts(const QByteArray& svg) {
  QStringList out;
  QXmlStreamReader xml(svg);
  while (!xml.atEnd()) {
    if (xml.readNext() == QXmlStreamReader::StartElement && xml.name() == QLatin1String("text"))
      out << xml.readElementText(QXmlStreamReader::IncludeChildElements).trimmed();
  }
  return out;
}

QByteArray readAll(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QString writeCsv(const QString& path, const std::vector<CurveRecord>& curves) {
  std::vector<ce::core::LabelledCurve> labelled;
  for (const auto& c : curves) labelled.push_back({c.method, c.basis, c.ablation, &c.curve, c.dictionaries});
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly)) return QString();
  f.write(QByteArray::fromStdString(ce::core::curves_csv(labelled)));
  return path;
}

}  // namespace

class TestFigures : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir tmp_;

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    // The dialog's memory in a settings file of this suite's own, not the user's.
    QCoreApplication::setOrganizationName(QStringLiteral("CircuitExplorerTests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_figures"));
    QSettings().clear();
  }

  void niceTicksAreOneTwoFive() {
    compareTicks(values(niceTicks(0, 1)), {0, 0.2, 0.4, 0.6, 0.8, 1.0});
    // Widened outwards to the enclosing ticks.
    const Ticks inner = niceTicks(0.13, 0.97);
    compareTicks(inner.values, {0, 0.2, 0.4, 0.6, 0.8, 1.0});
    QCOMPARE(inner.lo, 0.0);
    QCOMPARE(inner.hi, 1.0);
    compareTicks(values(niceTicks(-0.2, 1.2)), {-0.2, 0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2});
    compareTicks(values(niceTicks(-4, 4, 9)), {-4, -3, -2, -1, 0, 1, 2, 3, 4});
    compareTicks(values(niceTicks(-4, 4)), {-4, -2, 0, 2, 4});
    // Degenerate input gives a usable axis, not a division by zero.
    QVERIFY(niceTicks(3, 3).values.size() >= 2);
    compareTicks(values(niceTicks(std::nan(""), 1)), {0, 0.2, 0.4, 0.6, 0.8, 1.0});
    QCOMPARE(tickLabel(-0.2, 0.2), QString(QChar(0x2212)) + QStringLiteral("0.2"));
    QCOMPARE(tickLabel(1, 0.2), QStringLiteral("1.0"));
    QCOMPARE(tickLabel(-4, 2), QString(QChar(0x2212)) + QStringLiteral("4"));
  }

  void logDecadesAreWhole() {
    compareTicks(values(logDecades(1, 1000)), {1, 10, 100, 1000});
    compareTicks(values(logDecades(3, 3328)), {1, 10, 100, 1000, 10000});
    QCOMPARE(decadeLabel(1000), QStringLiteral("1000"));
    QCOMPARE(decadeLabel(10000), QStringLiteral("10\u2074"));
    QCOMPARE(decadeLabel(100000), QStringLiteral("10\u2075"));
    QCOMPARE(decadeLabel(0.1), QStringLiteral("0.1"));
    // One notation per axis: powers for all once one decade needs them.
    QCOMPARE(decadeLabels({1, 10, 100, 1000}), (QStringList{QStringLiteral("1"), QStringLiteral("10"),
                                                            QStringLiteral("100"), QStringLiteral("1000")}));
    QCOMPARE(decadeLabels({1, 10, 100, 1000, 10000}),
             (QStringList{QStringLiteral("10\u2070"), QStringLiteral("10\u00b9"), QStringLiteral("10\u00b2"),
                          QStringLiteral("10\u00b3"), QStringLiteral("10\u2074")}));
    QCOMPARE(decadeLabel(0.1, true), QStringLiteral("10\u207b\u00b9"));
  }

  void curvesSvgNamesEverySeries() {
    CurvesFigure figure;
    figure.curves = twelveCurves();
    figure.title = QStringLiteral(
        "Faithfulness and completeness of nounpp circuits for three attribution methods and four bases, mean "
        "ablation, demo model");
    FigureSpec spec;
    spec.path = tmp_.filePath(QStringLiteral("curves.svg"));
    DrawnFigure drawn;
    writeFigure(spec, [&](QPainter& p, const QRectF& page) { drawn = drawCurvesFigure(p, page, figure); });
    const QStringList expected = {
        QStringLiteral("relp \u00b7 mlp_act"), QStringLiteral("ig \u00b7 mlp_act"), QStringLiteral("atp \u00b7 mlp_act"),
        QStringLiteral("relp \u00b7 mlp_out"), QStringLiteral("ig \u00b7 mlp_out"), QStringLiteral("atp \u00b7 mlp_out"),
        QStringLiteral("relp \u00b7 attn"),    QStringLiteral("ig \u00b7 attn"),    QStringLiteral("atp \u00b7 attn"),
        QStringLiteral("relp \u00b7 resid"),   QStringLiteral("ig \u00b7 resid"),   QStringLiteral("atp \u00b7 resid")};
    QCOMPARE(drawn.legend, expected);
    const QByteArray svg = readAll(spec.path);
    QVERIFY(svg.contains("<path"));
    QVERIFY(svg.contains("<text"));
    const QStringList texts = svgTexts(svg);
    for (const QString& name : expected) QVERIFY2(texts.count(name) == 1, qPrintable(name));
    for (const QString& t : texts) QVERIFY2(!t.contains(QChar(0x2026)) && !t.contains(QStringLiteral("...")), qPrintable(t));
    // The title wraps instead of being cut: its lines are the whole title, each one in the SVG.
    QVERIFY(drawn.titleLines.size() >= 2);
    QCOMPARE(drawn.titleLines.join(QLatin1Char(' ')), figure.title);
    for (const QString& line : drawn.titleLines) QVERIFY(texts.contains(line));
    // Decade ticks 10⁰ … 10⁴ in one notation, y ticks 0.0 … 1.0 (the data stay in [0, 1]).
    for (const char* tick : {"10\u2070", "10\u00b9", "10\u00b3", "10\u2074", "0.0", "0.2", "1.0"})
      QVERIFY2(texts.contains(QString::fromUtf8(tick)), tick);
    QVERIFY(!texts.contains(QStringLiteral("1000")));
    QVERIFY(!texts.contains(QStringLiteral("1.2")));
    // Physical size: 12 cm × 8 cm.
    const QRegularExpressionMatch size = QRegularExpression(QStringLiteral("width=\"([0-9.]+)mm\" height=\"([0-9.]+)mm\"")).match(QString::fromUtf8(svg));
    QVERIFY(size.hasMatch());
    QVERIFY(std::abs(size.captured(1).toDouble() - 120) < 0.5);
    QVERIFY(std::abs(size.captured(2).toDouble() - 80) < 0.5);
  }

  void pngIsWidthTimesDpi() {
    CurvesFigure figure;
    figure.curves = twelveCurves();
    FigureSpec spec;
    spec.path = tmp_.filePath(QStringLiteral("curves.png"));
    spec.width = 8.5;
    spec.height = 6;
    spec.dpi = 300;
    writeFigure(spec, [&](QPainter& p, const QRectF& page) { drawCurvesFigure(p, page, figure); });
    const QImage image(spec.path);
    QCOMPARE(image.width(), 1004);  // 8.5 / 2.54 × 300 = 1003.9
    QCOMPARE(image.height(), 709);  // 6 / 2.54 × 300 = 708.7
    QVERIFY(std::abs(image.dotsPerMeterX() * 0.0254 - 300) < 0.5);
    // Inches too: 3 in at 200 DPI.
    spec.unit = Unit::Inch;
    spec.width = 3;
    spec.height = 2;
    spec.dpi = 200;
    writeFigure(spec, [&](QPainter& p, const QRectF& page) { drawCurvesFigure(p, page, figure); });
    QCOMPARE(QImage(spec.path).size(), QSize(600, 400));
  }

  void pdfPageIsTheRequestedSize() {
    CurvesFigure figure;
    figure.curves = twelveCurves();
    FigureSpec spec;
    spec.path = tmp_.filePath(QStringLiteral("curves.pdf"));
    writeFigure(spec, [&](QPainter& p, const QRectF& page) { drawCurvesFigure(p, page, figure); });
    const QByteArray pdf = readAll(spec.path);
    QVERIFY(pdf.startsWith("%PDF"));
    const QRegularExpressionMatch box =
        QRegularExpression(QStringLiteral("/MediaBox \\[0 0 ([0-9.]+) ([0-9.]+)\\]")).match(QString::fromLatin1(pdf));
    QVERIFY(box.hasMatch());
    // 12 cm = 340.16 pt, 8 cm = 226.77 pt; Qt's PDF engine writes the page in whole points (340 × 227),
    // 0.2 mm at most from the request.
    QCOMPARE(box.captured(1).toDouble(), 340.0);
    QCOMPARE(box.captured(2).toDouble(), 227.0);
    spec.unit = Unit::Inch;
    spec.width = 5;
    spec.height = 3.5;
    writeFigure(spec, [&](QPainter& p, const QRectF& page) { drawCurvesFigure(p, page, figure); });
    const QRegularExpressionMatch inches =
        QRegularExpression(QStringLiteral("/MediaBox \\[0 0 ([0-9.]+) ([0-9.]+)\\]")).match(QString::fromLatin1(readAll(spec.path)));
    QCOMPARE(inches.captured(1).toDouble(), 360.0);
    QCOMPARE(inches.captured(2).toDouble(), 252.0);
  }

  void badSpecsAndFoldersGiveTheReason() {
    const QString missing = tmp_.filePath(QStringLiteral("no-such-folder/fig.svg"));
    FigureSpec spec;
    spec.path = missing;
    auto draw = [](QPainter&, const QRectF&) {};
    QCOMPARE(ce::test::error_of([&] { writeFigure(spec, draw); }),
             missing.toStdString() + ": No such file or directory");
    // The explorer's other exports share the write path.
    const std::string csv = tmp_.filePath(QStringLiteral("no-such-folder/c.csv")).toStdString();
    ce::ui::NamedCurve one{QStringLiteral("relp"), QStringLiteral("mlp_act"), twelveCurves()[0].curve};
    QCOMPARE(ce::test::error_of([&] { ce::ui::Exporter::exportCurves(QString::fromStdString(csv), {one}); }),
             csv + ": No such file or directory");
    spec.path = tmp_.filePath(QStringLiteral("fig.bmp"));
    QCOMPARE(ce::test::error_of([&] { writeFigure(spec, draw); }),
             spec.path.toStdString() + ": unknown figure format 'bmp' (use .svg, .pdf or .png)");
    spec.path = tmp_.filePath(QStringLiteral("fig.png"));
    spec.dpi = 5;
    QCOMPARE(ce::test::error_of([&] { writeFigure(spec, draw); }), spec.path.toStdString() + ": DPI must be between 36 and 2400 (got 5)");
    spec.dpi = 300;
    spec.width = 0;
    QCOMPARE(ce::test::error_of([&] { writeFigure(spec, draw); }),
             spec.path.toStdString() + ": the figure size must be positive and at most 100 cm (got 0 × 8 cm)");
    QVERIFY(!QFile::exists(spec.path));
  }

  void curvesCsvReadsBack() {
    const auto curves = twelveCurves();
    std::vector<ce::core::LabelledCurve> labelled;
    for (const auto& c : curves) labelled.push_back({c.method, c.basis, c.ablation, &c.curve, c.dictionaries});
    const auto back = ce::core::parse_curves_csv(ce::core::curves_csv(labelled), "x.csv");
    QCOMPARE(back.size(), size_t(12));
    QCOMPARE(back[4].method, Method::IG);
    QCOMPARE(back[4].basis, Basis::MlpOut);
    QCOMPARE(back[4].curve.points.size(), size_t(6));
    QCOMPARE(back[4].curve.points[3].nodes, 100);
    QCOMPARE(back[4].curve.points[3].faithfulness, curves[4].curve.points[3].faithfulness);
    // The older 7-column files of resources/figures read too.
    const auto old = ce::core::parse_curves_csv(
        "method,basis,ablation,threshold,nodes,faithfulness,completeness\nig,attn,mean,0,3328,1.000000,0.000000\n", "o.csv");
    QCOMPARE(old.size(), size_t(1));
    QCOMPARE(old[0].curve.points[0].nodes, 3328);
    QCOMPARE(ce::test::error_of([] { ce::core::parse_curves_csv("a,b\n1,2\n", "bad.csv"); }),
             std::string("bad.csv: line 1: the header is 'a,b', expected "
                         "'method,basis,ablation,threshold,nodes,faithfulness,completeness[,m_circuit,m_complement]' "
                         "(the CSV of circuit-trace evaluate --csv or the explorer's Export Curves)"));
    QCOMPARE(ce::test::error_of([] {
               ce::core::parse_curves_csv("method,basis,ablation,threshold,nodes,faithfulness,completeness\nig,attn,mean,0,x,1,0\n", "b.csv");
             }),
             std::string("b.csv: line 2: 'x' is not a number"));
    QCOMPARE(ce::test::error_of([] {
               ce::core::parse_curves_csv("method,basis,ablation,threshold,nodes,faithfulness,completeness\nig,attn,mean,0\n", "b.csv");
             }),
             std::string("b.csv: line 2: 4 values, expected 7"));
    QCOMPARE(ce::test::error_of([] { ce::core::parse_curves_csv("", "e.csv"); }), std::string("e.csv: empty file"));
    QCOMPARE(ce::test::error_of([] {
               ce::core::parse_curves_csv("method,basis,ablation,threshold,nodes,faithfulness,completeness\n", "n.csv");
             }),
             std::string("n.csv: no curve points"));
  }

  void sweepFigureNamesLineStyles() {
    SweepFigure f;
    f.result.multipliers = {-4, -2, 0, 2, 4};
    f.result.classes = {"capital", "any capital"};
    f.result.probability = {{0.1, 0.2, 0.3, 0.6, 0.9}, {0.2, 0.3, 0.5, 0.7, 0.95}};
    f.result.top1 = {{0, 0, 0.1, 0.5, 1}, {0, 0.1, 0.3, 0.6, 1}};
    f.result.prompts = 200;
    f.group = QStringLiteral("group 1");
    f.top1 = true;
    FigureSpec spec;
    spec.path = tmp_.filePath(QStringLiteral("sweep.svg"));
    DrawnFigure drawn;
    writeFigure(spec, [&](QPainter& p, const QRectF& page) { drawn = drawSweepFigure(p, page, f); });
    QCOMPARE(drawn.legend, (QStringList{QStringLiteral("capital"), QStringLiteral("any capital"),
                                        QStringLiteral("capital top-1"), QStringLiteral("any capital top-1")}));
    QCOMPARE(drawn.titleLines.join(QLatin1Char(' ')), QStringLiteral("Steering group 1 over 200 prompts"));
    // The multipliers on clean ticks: −4 … 4 in steps of 1.
    const QStringList texts = svgTexts(readAll(spec.path));
    QVERIFY(texts.contains(QString(QChar(0x2212)) + QStringLiteral("4")));
    QVERIFY(texts.contains(QStringLiteral("3")));
    // The legend's samples carry the dash patterns: a dashed pen differs from the solid one in the SVG.
    const QByteArray svg = readAll(spec.path);
    QVERIFY(svg.contains("stroke-dasharray"));
  }

  void nextTokenFigureShowsBothRuns() {
    NextTokenFigure f;
    f.edited = {{QStringLiteral(" Sacramento"), 0.905}, {QStringLiteral(" Austin"), 0.02}};
    f.clean = {{QStringLiteral(" Austin"), 0.998}, {QStringLiteral(" Dallas"), 0.001}};
    FigureSpec spec;
    spec.path = tmp_.filePath(QStringLiteral("next.svg"));
    spec.width = 8.5;
    spec.height = 6.5;
    DrawnFigure drawn;
    writeFigure(spec, [&](QPainter& p, const QRectF& page) { drawn = drawNextTokenFigure(p, page, f); });
    QCOMPARE(drawn.legend, (QStringList{QStringLiteral("clean"), QStringLiteral("edited")}));
    const QStringList texts = svgTexts(readAll(spec.path));
    for (const char* t : {"\u201c Sacramento\u201d", "\u201c Austin\u201d", "\u201c Dallas\u201d", "0.905", "0.998"})
      QVERIFY2(texts.contains(QString::fromUtf8(t)), t);
  }

  void graphFigureHasTitleAndLegend() {
    QCOMPARE(sizeReferences(3.7), (std::vector<double>{2, 1, 0.5}));
    QCOMPARE(sizeReferences(0.8), (std::vector<double>{0.5, 0.2, 0.1}));
    QVERIFY(sizeReferences(0).empty());
    ce::ui::CircuitGraphView view;
    view.resize(600, 400);
    const QStringList tokens = {QStringLiteral("Fact"), QStringLiteral(":"), QStringLiteral(" Dallas"), QStringLiteral(" is")};
    std::vector<ce::core::NodeEffect> nodes(3);
    nodes[0].node = {0, 2, 7};
    nodes[0].effect = 2.5f;
    nodes[1].node = {1, 3, 11};
    nodes[1].effect = -1.0f;
    nodes[2].node = {2, 3, 5};
    nodes[2].effect = 0.5f;
    view.setCircuit(Basis::MlpAct, 3, tokens, nodes, {});
    GraphFigureText text;
    text.prompt = QStringLiteral("Fact: Dallas is");
    text.answer = QStringLiteral(" Austin");
    text.contrast = QStringLiteral(" Sacramento");
    text.metric = QStringLiteral("logit(\u201c Austin\u201d) \u2212 logit(\u201c Sacramento\u201d)");
    FigureSpec spec;
    spec.path = tmp_.filePath(QStringLiteral("graph.svg"));
    spec.width = 17;
    spec.height = 12;
    DrawnFigure drawn;
    writeFigure(spec, [&](QPainter& p, const QRectF& page) { drawn = drawGraphFigure(p, page, view, text); });
    QCOMPARE(drawn.titleLines.join(QLatin1Char(' ')),
             QStringLiteral("\u201cFact: Dallas is\u201d \u2192 \u201c Austin\u201d"));
    QCOMPARE(drawn.legend, (QStringList{QStringLiteral("raises the metric (for \u201c Austin\u201d)"),
                                        QStringLiteral("lowers it (for \u201c Sacramento\u201d)"), QStringLiteral("2"),
                                        QStringLiteral("1"), QStringLiteral("0.5")}));
    const QStringList texts = svgTexts(readAll(spec.path));
    // The token axis of the scene is in the figure.
    QVERIFY(texts.contains(QStringLiteral("Dallas")) || texts.join(QLatin1Char('|')).contains(QStringLiteral("Dallas")));
    for (const QString& t : drawn.legend) QVERIFY2(texts.contains(t), qPrintable(t));
    // A circuit-tracer graph: its features have no sign, so the key names features and error nodes.
    std::string json =
        "{'metadata': {'slug': 'd', 'scan': 'gemma-2-2b', 'prompt': 'Dallas is', 'prompt_tokens': ['<bos>', ' Dallas', ' is']},"
        " 'nodes': [{'node_id': 'E_651_1', 'feature': 1, 'layer': 'E', 'ctx_idx': 1, 'feature_type': 'embedding'},"
        "  {'node_id': '0_12_1', 'feature': 12, 'layer': '0', 'ctx_idx': 1, 'feature_type': 'cross layer transcoder',"
        "   'clerp': 'Dallas', 'influence': 0.3, 'activation': 2.5},"
        "  {'node_id': '1_-1_1', 'feature': -1, 'layer': '1', 'ctx_idx': 1, 'feature_type': 'mlp reconstruction error', 'influence': 0.6},"
        "  {'node_id': '3_1234_2', 'feature': 1234, 'layer': '3', 'ctx_idx': 2, 'feature_type': 'logit', 'token_prob': 0.87,"
        "   'is_target_logit': true}],"
        " 'links': [{'source': 'E_651_1', 'target': '0_12_1', 'weight': 0.7},"
        "  {'source': '0_12_1', 'target': '3_1234_2', 'weight': 1.2}]}";
    std::replace(json.begin(), json.end(), '\'', '"');
    ce::ui::CircuitGraphView imported;
    imported.resize(600, 400);
    imported.showImportedGraph(ce::core::parse_graph_json(json, "d.json"), 0.8);
    writeFigure(spec, [&](QPainter& p, const QRectF& page) { drawn = drawGraphFigure(p, page, imported, text); });
    QCOMPARE(drawn.legend.mid(0, 2), (QStringList{QStringLiteral("feature"), QStringLiteral("reconstruction error")}));
    ce::ui::CircuitGraphView empty;
    QCOMPARE(ce::test::error_of([&] { writeFigure(spec, [&](QPainter& p, const QRectF& page) { drawGraphFigure(p, page, empty, text); }); }),
             std::string("the graph is empty"));
  }

  void exportGraphOption() {
    // `circuit-explorer --export-graph FIG`: the README's Texas graph figure, from the start-up trace.
    const QString svg = tmp_.filePath(QStringLiteral("texas.svg"));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(CE_BIN_DIR "/circuit-explorer"), {QStringLiteral("--export-graph"), svg});
    QVERIFY(p.waitForFinished(300000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    const QStringList texts = svgTexts(readAll(svg));
    QVERIFY(texts.contains(QStringLiteral("\u201cFact: the capital of the state containing Dallas is\u201d \u2192 \u201c Austin\u201d")));
    QVERIFY(texts.contains(QStringLiteral("raises the metric (for \u201c Austin\u201d)")));
    for (const char* token : {"Dallas", "containing", "capital"}) QVERIFY2(texts.contains(QString::fromLatin1(token)), token);
    const QString missing = tmp_.filePath(QStringLiteral("no-such-folder/texas.svg"));
    p.start(QStringLiteral(CE_BIN_DIR "/circuit-explorer"), {QStringLiteral("--export-graph"), missing});
    QVERIFY(p.waitForFinished(300000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY2(QString::fromLocal8Bit(p.readAllStandardError())
                 .contains(QStringLiteral("circuit-explorer: %1: No such file or directory\n").arg(missing)),
             "the OS's reason");
  }

  void nextTokenLabelsAreWhole() {
    // The Next Token dock of the explorer as it opens: Qt Charts elided every token to "…" (it measured
    // the labels before the dock had its width) and kept them so.
    std::unique_ptr<ce::ui::MainWindow> w;
    ce::test::openExplorer(w);
    QVERIFY(w);
    ce::ui::TokenChart* chart = w->tokenChart();
    chart->grab();
    const auto axes = chart->chart()->axes(Qt::Vertical);
    QCOMPARE(axes.size(), 1);
    auto* categories = qobject_cast<QBarCategoryAxis*>(axes[0]);
    QVERIFY(categories);
    QCOMPARE(categories->categories().last(), QStringLiteral("\u201c Austin\u201d"));
    QVERIFY(!categories->labelsTruncated());
  }

  void dialogRemembersSizeUnitAndDpi() {
    QSettings().clear();
    FigureExportDialog dialog(FigureKind::Curves, QStringLiteral("Export Curves"), true);
    QCOMPARE(dialog.spec().width, 12.0);
    QCOMPARE(dialog.spec().unit, Unit::Cm);
    dialog.pathEdit()->setText(tmp_.filePath(QStringLiteral("c.png")));
    QVERIFY(dialog.dpiBox()->isEnabled());
    dialog.widthBox()->setValue(8.5);
    dialog.heightBox()->setValue(6);
    dialog.dpiBox()->setValue(600);
    // Switching the unit converts the numbers, not the size.
    dialog.unitBox()->setCurrentIndex(1);
    QCOMPARE(dialog.spec().unit, Unit::Inch);
    QCOMPARE(dialog.spec().width, 3.35);
    QCOMPARE(dialog.spec().height, 2.36);
    dialog.pathEdit()->setText(tmp_.filePath(QStringLiteral("c.bmp")));
    QCOMPARE(dialog.problem(), QStringLiteral("unknown format 'bmp' (use .svg, .pdf, .png or .csv)"));
    dialog.pathEdit()->setText(tmp_.filePath(QStringLiteral("c.csv")));
    QVERIFY(!dialog.widthBox()->isEnabled());
    QVERIFY(dialog.problem().isEmpty());
    dialog.remember();
    const FigureSpec back = rememberedSpec(FigureKind::Curves, QStringLiteral("x.svg"));
    QCOMPARE(back.unit, Unit::Inch);
    QVERIFY(std::abs(back.width - 3.35) < 1e-9);
    QCOMPARE(back.dpi, 600);
    // Other kinds keep their own size.
    QCOMPARE(rememberedSpec(FigureKind::Graph, QStringLiteral("g.svg")).width, 17 / 2.54);
    FigureExportDialog again(FigureKind::Curves, QStringLiteral("Export Curves"), true);
    QCOMPARE(QFileInfo(again.pathEdit()->text()).absolutePath(), tmp_.path());
    QCOMPARE(again.dpiBox()->value(), 600);
    QSettings().clear();
  }

  void plotCurvesCli() {
    const auto curves = twelveCurves();
    const QString a = writeCsv(tmp_.filePath(QStringLiteral("a.csv")), {curves[0], curves[3]});
    const QString b = writeCsv(tmp_.filePath(QStringLiteral("b.csv")), {curves[6]});
    const QString out = tmp_.filePath(QStringLiteral("cli.png"));
    auto r = ce::test::run_cli({QStringLiteral("plot-curves"), a, b, QStringLiteral("--out"), out, QStringLiteral("--width"),
                                QStringLiteral("8.5"), QStringLiteral("--height"), QStringLiteral("6"), QStringLiteral("--dpi"),
                                QStringLiteral("300")});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(QImage(out).size(), QSize(1004, 709));
    const QJsonArray series = r.json().value(QStringLiteral("series")).toArray();
    QCOMPARE(series.size(), 3);
    QCOMPARE(series[0].toString(), QStringLiteral("relp \u00b7 mlp_act"));
    QCOMPARE(series[1].toString(), QStringLiteral("relp \u00b7 mlp_out"));
    QCOMPARE(series[2].toString(), QStringLiteral("relp \u00b7 attn"));
    const QString missing = tmp_.filePath(QStringLiteral("missing.csv"));
    r = ce::test::run_cli({QStringLiteral("plot-curves"), a, missing, QStringLiteral("--out"), out});
    QCOMPARE(r.code, 2);
    QCOMPARE(QString::fromUtf8(r.err),
             QStringLiteral("circuit-trace: error: %1: cannot open file: No such file or directory\n").arg(missing));
    QFile bad(tmp_.filePath(QStringLiteral("bad.csv")));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("nodes,faithfulness\n1,0.5\n");
    bad.close();
    r = ce::test::run_cli({QStringLiteral("plot-curves"), bad.fileName(), QStringLiteral("--out"), out});
    QCOMPARE(r.code, 2);
    QCOMPARE(QString::fromUtf8(r.err),
             QStringLiteral("circuit-trace: error: %1: line 1: the header is 'nodes,faithfulness', expected "
                            "'method,basis,ablation,threshold,nodes,faithfulness,completeness[,m_circuit,m_complement]' "
                            "(the CSV of circuit-trace evaluate --csv or the explorer's Export Curves)\n")
                 .arg(bad.fileName()));
    r = ce::test::run_cli({QStringLiteral("plot-curves"), a, QStringLiteral("--out"), tmp_.filePath(QStringLiteral("x.gif"))});
    QCOMPARE(r.code, 2);
    QCOMPARE(QString::fromUtf8(r.err), QStringLiteral("circuit-trace: error: %1: unknown figure format 'gif' (use .svg, .pdf or .png)\n")
                                           .arg(tmp_.filePath(QStringLiteral("x.gif"))));
    r = ce::test::run_cli({QStringLiteral("plot-curves"), a, QStringLiteral("--out"), out, QStringLiteral("--unit"), QStringLiteral("mm")});
    QCOMPARE(QString::fromUtf8(r.err), QStringLiteral("circuit-trace: error: --unit: 'mm' is not cm or in\n"));
  }
};

QTEST_MAIN(TestFigures)
#include "test_figures.moc"
