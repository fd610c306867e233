// The circuit graph view alone, on a hand-made circuit whose numbers are known: the layout's order and
// columns, fitting and resizing, wheel zoom anchored under the cursor, captions and labels, edge hover
// text, edge lists and highlighting, find, focus and keyboard moves, collapsing groups, a hand-written
// circuit-tracer graph shown read-only, and a large circuit built over several event-loop turns. No model:
// each case builds its own view (init()).

#include <QApplication>
#include <QContextMenuEvent>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QMenu>
#include <QScrollBar>
#include <QTest>
#include <QTimer>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>
#include <string>
#include <memory>

#include "ce/core/graphs/attribution_graph.h"
#include "graph/circuit_graph_view.h"
#include "graph/graph_layout.h"
#include "graph/graph_legend.h"
#include "graph/graph_style.h"
#include "graph/node_caption_item.h"
#include "graph/node_item.h"
#include "state/intervention_state.h"

using ce::ui::CircuitGraphView;
using ce::ui::GraphEdgeRef;
using ce::ui::NodeItem;
using ce::ui::NodeKey;

namespace {

NodeKey key(int layer, int pos, int index) { return NodeKey{ce::core::Basis::MlpAct, {layer, pos, index}}; }

ce::core::NodeEffect node(int layer, int pos, int index, float effect) {
  ce::core::NodeEffect n;
  n.node = {layer, pos, index};
  n.effect = effect;
  n.activation = effect * 2;
  return n;
}

ce::core::EdgeEnd neuron(int layer, int pos, int index) {
  ce::core::EdgeEnd e;
  e.node = {layer, pos, index};
  return e;
}

ce::core::Edge edge(ce::core::EdgeEnd src, ce::core::EdgeEnd dst, float weight, float score) {
  ce::core::Edge e;
  e.src = src;
  e.dst = dst;
  e.weight = weight;
  e.score = score;
  return e;
}

// A = L3/N701@3 (the top node), B = L3/N5@3, C = L3/N9@3 share a cell; D = L1/N23@2, E = L1/N23@1,
// F = L0/N7@2.
const NodeKey A = key(3, 3, 701), B = key(3, 3, 5), C = key(3, 3, 9), D = key(1, 2, 23), E = key(1, 1, 23),
              F = key(0, 2, 7);

// The circuit-tracer-style file: an embedding, two transcoder features and an error node kept, one feature
// (influence 0.95) pruned at 0.8, a target logit; a pin and a supernode in qParams.
// (Single quotes stand for double quotes, swapped back by importedJson(): moc cannot read raw strings.)
const char* kImported =
    "{\n"
    "  'metadata': {'slug': 'dallas', 'scan': 'gemma-2-2b', 'prompt': 'Dallas is',\n"
    "               'prompt_tokens': ['<bos>', ' Dallas', ' is'], 'schema_version': 1},\n"
    "  'qParams': {'pinnedIds': ['0_12_1'], 'supernodes': [['Texas', '1_40_2', '1_-1_1']], 'linkType': 'both'},\n"
    "  'nodes': [\n"
    "    {'node_id': 'E_651_1', 'feature': 1, 'layer': 'E', 'ctx_idx': 1, 'feature_type': 'embedding'},\n"
    "    {'node_id': '0_12_1', 'feature': 12, 'layer': '0', 'ctx_idx': 1, 'feature_type': 'cross layer transcoder',\n"
    "     'clerp': 'Dallas', 'influence': 0.3, 'activation': 2.5},\n"
    "    {'node_id': '1_40_2', 'feature': 40, 'layer': '1', 'ctx_idx': 2, 'feature_type': 'cross layer transcoder',\n"
    "     'clerp': 'Texas', 'influence': 0.5, 'activation': 1.0},\n"
    "    {'node_id': '1_-1_1', 'feature': -1, 'layer': '1', 'ctx_idx': 1, 'feature_type': 'mlp reconstruction error',\n"
    "     'influence': 0.6},\n"
    "    {'node_id': '0_99_2', 'feature': 99, 'layer': '0', 'ctx_idx': 2, 'feature_type': 'cross layer transcoder',\n"
    "     'clerp': 'faint', 'influence': 0.95, 'activation': 0.1},\n"
    "    {'node_id': '3_1234_2', 'feature': 1234, 'layer': '3', 'ctx_idx': 2, 'feature_type': 'logit',\n"
    "     'clerp': 'Output \\u0022 Austin\\u0022 (p=0.870)', 'token_prob': 0.87, 'is_target_logit': true}\n"
    "  ],\n"
    "  'links': [\n"
    "    {'source': 'E_651_1', 'target': '0_12_1', 'weight': 0.7},\n"
    "    {'source': '0_12_1', 'target': '1_40_2', 'weight': 1.2},\n"
    "    {'source': '1_-1_1', 'target': '1_40_2', 'weight': -0.2},\n"
    "    {'source': '0_99_2', 'target': '1_40_2', 'weight': 0.1},\n"
    "    {'source': '1_40_2', 'target': '3_1234_2', 'weight': 2.0},\n"
    "    {'source': '0_12_1', 'target': '3_1234_2', 'weight': -0.4}\n"
    "  ]\n"
    "}\n";

std::string importedJson() {
  std::string text = kImported;
  std::replace(text.begin(), text.end(), '\'', '"');
  return text;
}

}  // namespace

class TestGuiGraphView : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init();
  void cleanup();
  void columnWidthsByHand();
  void largestNearestLayerLine();
  void tokenLabelsDoNotOverlap();
  void fitsOnResizeUntilUserZooms();
  void wheelZoomKeepsPointUnderCursor();
  void captionsShowIdsEditsAndLabels();
  void legendStatesConvention();
  void edgeHoverText();
  void edgesOfListsSignedSorted();
  void selectionHighlightsEdges();
  void findNodesByNameAndLabel();
  void focusAndKeyboard();
  void collapseSumsEdges();
  void importedGraphReadOnly();
  void largeCircuitBuiltInTurns();

 private:
  void show();
  std::unique_ptr<CircuitGraphView> v_;
};

void TestGuiGraphView::init() {
  v_ = std::make_unique<CircuitGraphView>();
  v_->resize(900, 640);
}

void TestGuiGraphView::cleanup() { v_.reset(); }

void TestGuiGraphView::show() {
  const QStringList tokens = {QStringLiteral("<s>"), QStringLiteral(" Fact"), QStringLiteral(" Dallas"),
                              QStringLiteral(" is")};
  const std::vector<ce::core::NodeEffect> nodes = {node(3, 3, 701, 2.0f), node(3, 3, 5, -1.0f),
                                                   node(3, 3, 9, 0.5f),   node(1, 2, 23, 0.8f),
                                                   node(1, 1, 23, -0.3f), node(0, 2, 7, 0.6f)};
  ce::core::EdgeEnd emb2;
  emb2.kind = ce::core::EdgeEnd::Kind::Embedding;
  emb2.node.pos = 2;
  ce::core::EdgeEnd logit;
  logit.kind = ce::core::EdgeEnd::Kind::Logit;
  const std::vector<ce::core::Edge> edges = {
      edge(emb2, neuron(0, 2, 7), 0.5f, 0.3f),          edge(neuron(0, 2, 7), neuron(1, 2, 23), 0.25f, 0.2f),
      edge(neuron(1, 2, 23), neuron(3, 3, 701), -0.0123f, -0.05f),
      edge(neuron(1, 1, 23), neuron(3, 3, 701), 0.4f, 0.12f),
      edge(neuron(1, 2, 23), neuron(3, 3, 5), 0.1f, -0.1f),
      edge(neuron(3, 3, 701), logit, 0.9f, 1.8f),       edge(neuron(3, 3, 5), logit, -0.3f, -1.0f),
      edge(neuron(3, 3, 9), logit, 0.05f, 0.5f)};
  v_->setCircuit(ce::core::Basis::MlpAct, 4, tokens, nodes, edges);
  v_->show();
  QVERIFY(QTest::qWaitForWindowExposed(v_.get()));
}

void TestGuiGraphView::columnWidthsByHand() {
  using namespace ce::ui::layout;
  // Column 0: no nodes, a 200-unit label: 216. Column 1: 13 nodes in its fullest cell, 3 per row:
  // 3·40 + 16 + 110 = 246. Column 2: 2 nodes, 2 per row: 80 + 126 = 206; column 3: nothing, a short label: 40.
  const Grid g = makeGrid({200, 10, 10, 5}, {{{1, 1}, 13}, {{2, 1}, 4}, {{1, 2}, 2}}, 4);
  QCOMPARE(g.width, (std::vector<double>{216, 246, 206, 40}));
  QCOMPARE(g.left, (std::vector<double>{0, 216, 462, 668}));
  QCOMPARE(g.perRow, (std::vector<int>{0, 3, 2, 0}));
  // Bands: row 0 (embeddings) 90; row 1 holds ceil(13/3) = 5 rows: 5·40 + 90; row 2 two rows: 80 + 90.
  QCOMPARE(g.lineY, (std::vector<double>{0, -90, -380, -550}));
  // Slot 0 sits half a pitch above the line at the column's left; slot 3 starts the second row.
  QCOMPARE(g.slot(1, 1, 0), QPointF(216 + 8 + 20, -110));
  QCOMPARE(g.slot(1, 1, 2), QPointF(216 + 8 + 100, -110));
  QCOMPARE(g.slot(1, 1, 3), QPointF(216 + 8 + 20, -150));
  QCOMPARE(g.anchorX(1), 216 + 8 + 60.0);  // over the nodes
  QCOMPARE(g.anchorX(0), 108.0);           // the middle of an empty column
  // 31 nodes force 6 per row (at most 6 rows).
  QCOMPARE(makeGrid({0}, {{{1, 0}, 31}}, 2).perRow, std::vector<int>{6});
}

void TestGuiGraphView::largestNearestLayerLine() {
  show();
  const double line = v_->rowLineY(4);  // layer 3's line
  const double dA = std::fabs(v_->nodeItem(A)->pos().y() - line);
  for (const NodeKey& k : {B, C}) QVERIFY(dA <= std::fabs(v_->nodeItem(k)->pos().y() - line));
  // Three fit one row, half a pitch above the line, left to right by |effect|: A (2), B (1), C (0.5).
  QCOMPARE(dA, ce::ui::layout::kPitch / 2);
  QVERIFY(v_->nodeItem(A)->pos().x() < v_->nodeItem(B)->pos().x());
  QVERIFY(v_->nodeItem(B)->pos().x() < v_->nodeItem(C)->pos().x());
  QVERIFY(v_->nodeItem(A)->pos().y() < line);                         // above the line
  // Larger |effect| draws a larger node (area ∝ |effect|): r(B)/r(A) = sqrt(1/2).
  QVERIFY(std::fabs(v_->nodeItem(B)->radius() / v_->nodeItem(A)->radius() - std::sqrt(0.5)) < 1e-9);
}

void TestGuiGraphView::tokenLabelsDoNotOverlap() {
  const QStringList tokens = {QStringLiteral(" Massachusetts"), QStringLiteral(" Commonwealth"), QStringLiteral("x")};
  v_->setCircuit(ce::core::Basis::MlpAct, 2, tokens, {node(0, 0, 1, 1.0f)}, {});
  std::vector<QRectF> boxes;
  for (QGraphicsItem* item : v_->scene()->items()) {
    auto* t = dynamic_cast<QGraphicsSimpleTextItem*>(item);
    if (t && tokens.contains(t->text())) boxes.push_back(t->sceneBoundingRect());
  }
  QCOMPARE(static_cast<int>(boxes.size()), 3);
  for (size_t i = 0; i < boxes.size(); ++i)
    for (size_t j = i + 1; j < boxes.size(); ++j) QVERIFY(!boxes[i].intersects(boxes[j]));
}

void TestGuiGraphView::fitsOnResizeUntilUserZooms() {
  show();
  auto inView = [this] {
    const QRectF visible = v_->mapToScene(v_->viewport()->rect()).boundingRect().adjusted(-1, -1, 1, 1);
    return visible.contains(v_->contentRect());
  };
  // Fitted, the content (nodes, row and token labels) stays clear of the legend in the corner.
  auto clearOfLegend = [this] {
    const QRect legend = v_->legend()->geometry().translated(-v_->viewport()->pos());
    return !v_->mapToScene(legend).boundingRect().intersects(v_->contentRect());
  };
  QVERIFY(inView());
  QVERIFY(clearOfLegend());
  QVERIFY(v_->legend()->twoColumns());  // 900 px: the key side by side
  const int wideHeight = v_->legend()->height();
  const double before = v_->transform().m11();
  v_->resize(500, 360);
  QTest::qWait(20);
  QVERIFY(inView());
  QVERIFY(v_->transform().m11() < before);  // shrunk to fit
  QVERIFY(clearOfLegend());
  // 500 px: one column, narrower than half the view, taller than the two-column key.
  QVERIFY(!v_->legend()->twoColumns());
  QVERIFY(v_->legend()->width() < v_->viewport()->width() / 2);
  QVERIFY(v_->legend()->height() > wideHeight);
  v_->zoomBy(2);
  QVERIFY(v_->userView());
  const double zoomed = v_->transform().m11();
  v_->resize(800, 600);
  QTest::qWait(20);
  QCOMPARE(v_->transform().m11(), zoomed);  // the user's zoom is kept
  v_->fitAll();
  QVERIFY(!v_->userView());
  QVERIFY(inView());
}

void TestGuiGraphView::wheelZoomKeepsPointUnderCursor() {
  show();
  for (const QPoint at : {QPoint(200, 150), QPoint(700, 500), QPoint(450, 320)}) {
    for (int delta : {120, 240, -120}) {
      const QPointF scenePoint = v_->mapToScene(at);
      QWheelEvent e(QPointF(at), QPointF(v_->viewport()->mapToGlobal(at)), QPoint(), QPoint(0, delta),
                    Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
      QApplication::sendEvent(v_->viewport(), &e);
      const QPointF back = v_->transform().map(scenePoint) -
                           QPointF(v_->horizontalScrollBar()->value(), v_->verticalScrollBar()->value());
      QVERIFY2(std::fabs(back.x() - at.x()) <= 1 && std::fabs(back.y() - at.y()) <= 1,
               qPrintable(QStringLiteral("(%1, %2) drifted to (%3, %4)").arg(at.x()).arg(at.y()).arg(back.x()).arg(back.y())));
    }
  }
  QVERIFY(v_->userView());
}

void TestGuiGraphView::captionsShowIdsEditsAndLabels() {
  show();
  QCOMPARE(v_->captionOf(A), QStringLiteral("L3/N701"));
  v_->setNodeLabels({{{3, 701}, QStringLiteral("Texas capital")}, {{1, 23}, QStringLiteral("says Dallas")}},
                    {{1, 23}});
  QCOMPARE(v_->captionOf(A), QStringLiteral("L3/N701\nTexas capital"));
  QCOMPARE(v_->labelOf(D), QStringLiteral("says Dallas"));
  QVERIFY(v_->nodeItem(D)->caption() && v_->nodeItem(D)->caption()->automatic());
  QVERIFY(!v_->nodeItem(A)->caption()->automatic());
  ce::ui::InterventionState state;
  state.setNodeFactor(A, 0.0);
  state.setNodeFactor(B, 2.0);
  state.setNodeValue(C, 0.25f);
  v_->showInterventions(state);
  QCOMPARE(v_->captionOf(A), QStringLiteral("L3/N701 ×0\nTexas capital"));  // the id kept beside the edit
  QCOMPARE(v_->nodeItem(B)->caption()->firstLine(), QStringLiteral("L3/N5 ×2"));
  QCOMPARE(v_->nodeItem(C)->caption()->firstLine(), QStringLiteral("L3/N9 mean"));
  // Long labels are elided to 28 characters with "…".
  v_->setNodeLabels({{{3, 701}, QStringLiteral("a label far longer than any caption should be")}}, {});
  QCOMPARE(v_->nodeItem(A)->caption()->secondLine(), QStringLiteral("a label far longer than any…"));
  v_->setPinned({A});
  QVERIFY(v_->nodeItem(A)->pinned());
  QVERIFY(!v_->nodeItem(B)->pinned());
}

void TestGuiGraphView::legendStatesConvention() {
  show();
  v_->setAnswer(QStringLiteral(" Austin"));
  QCOMPARE(v_->legend()->positiveText(), QStringLiteral("raises the metric (for \u201c Austin\u201d)"));
  // Reference circles at the largest |effect| (2.0), a quarter and a sixteenth of it.
  QCOMPARE(v_->legend()->referenceEffects(), (std::vector<double>{2.0, 0.5, 0.125}));
  QVERIFY(v_->legend()->isVisible());
  // Effects are m(patched) − m(clean): B (−1.0) raises the metric as it stands and is blue, A (+2.0) orange.
  QCOMPARE(v_->nodeItem(B)->fillColor(), ce::ui::style::raises());
  QCOMPARE(v_->nodeItem(A)->fillColor(), ce::ui::style::lowers());
  QVERIFY(ce::ui::style::raises() != ce::ui::style::lowers());
  QCOMPARE(v_->legend()->parentWidget(), v_.get());  // an overlay, not a scene item: no zoom, no scroll
}

void TestGuiGraphView::edgeHoverText() {
  show();
  const QPointF mid = (v_->nodeItem(D)->scenePos() + v_->nodeItem(A)->scenePos()) / 2;
  QCOMPARE(v_->toolTipAt(v_->mapFromScene(mid)),
           QStringLiteral("L1/N23@2 \u2192 L3/N701@3  weight \u22120.0123\ncontribution to the metric +0.05"));
  // On a node, the node's text wins; far from everything, nothing.
  QVERIFY(v_->toolTipAt(v_->mapFromScene(v_->nodeItem(A)->scenePos())).startsWith(QStringLiteral("L3/N701 (mlp_act)")));
  QCOMPARE(v_->toolTipAt(v_->mapFromScene(v_->contentRect().topLeft() + QPointF(2, 2))), QString());
}

void TestGuiGraphView::edgesOfListsSignedSorted() {
  show();
  const auto edges = v_->edgesOf(A);
  QCOMPARE(static_cast<int>(edges.size()), 3);
  QCOMPARE(edges[0].name, QStringLiteral("logit"));
  QCOMPARE(edges[0].weight, 0.9f);
  QVERIFY(!edges[0].incoming);
  QCOMPARE(edges[1].name, QStringLiteral("L1/N23@1"));
  QCOMPARE(edges[1].weight, 0.4f);
  QVERIFY(edges[1].incoming);
  QCOMPARE(edges[1].other, E);
  QCOMPARE(edges[2].name, QStringLiteral("L1/N23@2"));
  QCOMPARE(edges[2].weight, -0.0123f);
  const auto fromEmbedding = v_->edgesOf(F);
  QCOMPARE(static_cast<int>(fromEmbedding.size()), 2);
  QCOMPARE(fromEmbedding[0].name, QStringLiteral("emb ' Dallas'@2"));
  QCOMPARE(fromEmbedding[0].other, key(CircuitGraphView::kEmbeddingLayer, 2, 0));
  QVERIFY(v_->edgesOf(key(2, 0, 0)).empty());  // not in the graph
}

void TestGuiGraphView::selectionHighlightsEdges() {
  show();
  QCOMPARE(v_->highlightedEdgeCount(), 0);
  v_->selectNodes({A});
  QCOMPARE(v_->highlightedEdgeCount(), 3);  // D→A, E→A, A→logit
  v_->selectNodes({A, D});
  QCOMPARE(v_->highlightedEdgeCount(), 5);  // and F→D, D→B (D→A counted once)
  v_->selectNodes({});
  QCOMPARE(v_->highlightedEdgeCount(), 0);
}

void TestGuiGraphView::findNodesByNameAndLabel() {
  show();
  v_->setNodeLabels({{{3, 701}, QStringLiteral("Texas capital")}}, {});
  QCOMPARE(v_->findNodes(QStringLiteral("L1/N23")), (std::vector<NodeKey>{E, D}));
  QCOMPARE(v_->findNodes(QStringLiteral(" l1/n23 @ 2 ")), (std::vector<NodeKey>{D}));
  QCOMPARE(v_->findNodes(QStringLiteral("texas")), (std::vector<NodeKey>{A}));
  QCOMPARE(v_->findNodes(QStringLiteral("CAPITAL")), (std::vector<NodeKey>{A}));
  QVERIFY(v_->findNodes(QStringLiteral("xyzzy")).empty());
  QVERIFY(v_->findNodes(QStringLiteral("L2/N1")).empty());  // a well-formed name the graph lacks
  QVERIFY(v_->findNodes(QStringLiteral("  ")).empty());
}

void TestGuiGraphView::focusAndKeyboard() {
  show();
  v_->zoomBy(3);
  const double zoom = v_->transform().m11();
  v_->focusNodes({A});
  QCOMPARE(v_->selectedNodes(), std::vector<NodeKey>{A});
  QCOMPARE(v_->transform().m11(), zoom);  // fits: the zoom is kept
  const QPoint centre = v_->viewport()->rect().center();
  const QPoint at = v_->mapFromScene(v_->nodeItem(A)->scenePos());
  QVERIFY2((at - centre).manhattanLength() <= 2, qPrintable(QStringLiteral("%1,%2").arg(at.x()).arg(at.y())));
  // Arrow keys walk the graph; Enter opens the selection.
  v_->selectNodes({D});
  QTest::keyClick(v_.get(), Qt::Key_Up);
  QCOMPARE(v_->selectedNodes(), std::vector<NodeKey>{A});
  QTest::keyClick(v_.get(), Qt::Key_Right);
  QCOMPARE(v_->selectedNodes(), std::vector<NodeKey>{B});
  std::vector<NodeKey> activated;
  connect(v_.get(), &CircuitGraphView::nodeActivated, this, [&activated](const NodeKey& k) { activated.push_back(k); });
  QTest::keyClick(v_.get(), Qt::Key_Return);
  QCOMPARE(activated, std::vector<NodeKey>{B});
  // A double-click on a node opens it too.
  QTest::mouseDClick(v_->viewport(), Qt::LeftButton, Qt::NoModifier, v_->mapFromScene(v_->nodeItem(D)->scenePos()));
  QCOMPARE(activated, (std::vector<NodeKey>{B, D}));
}

void TestGuiGraphView::collapseSumsEdges() {
  show();
  QCOMPARE(v_->edgeCount(), 8);
  v_->setCollapsed({{QStringLiteral("Say Austin"), QColor(0, 158, 115), {A, B, C}}});
  QCOMPARE(static_cast<int>(v_->supernodeItems().size()), 1);
  const NodeKey s = key(CircuitGraphView::kSupernodeLayer, 0, 0);
  NodeItem* item = v_->anyItem(s);
  QVERIFY(item);
  for (const NodeKey& k : {A, B, C}) QVERIFY(!v_->nodeItem(k)->isVisible());
  const QPointF mean = (v_->nodeItem(A)->pos() + v_->nodeItem(B)->pos() + v_->nodeItem(C)->pos()) / 3;
  QCOMPARE(item->pos(), mean);
  // logit: 0.9 − 0.3 + 0.05; from E: 0.4; from D: −0.0123 + 0.1.
  const auto edges = v_->edgesOf(s);
  QCOMPARE(static_cast<int>(edges.size()), 3);
  QCOMPARE(edges[0].name, QStringLiteral("logit"));
  QVERIFY(std::fabs(edges[0].weight - 0.65f) < 1e-6f);
  QCOMPARE(edges[1].other, E);
  QVERIFY(std::fabs(edges[1].weight - 0.4f) < 1e-6f);
  QCOMPARE(edges[2].other, D);
  QVERIFY(std::fabs(edges[2].weight - 0.0877f) < 1e-6f);
  QCOMPARE(v_->edgeCount(), 5);  // emb→F, F→D kept; D→A and D→B one; E→A; the 3 into the logit one
  QCOMPARE(v_->findNodes(QStringLiteral("austin")), std::vector<NodeKey>{s});
  QCOMPARE(v_->captionOf(s), QStringLiteral("Say Austin"));
  // Edges inside a group are dropped: F with L1/N23 at every position (D and E) loses F→D, and D→A, E→A
  // merge: emb→S, S→A, S→B and the 3 into the logit.
  v_->setCollapsed({{QStringLiteral("low"), QColor(), {F, key(1, -1, 23)}}});
  QCOMPARE(v_->edgeCount(), 6);
  const auto intoA = v_->edgesOf(A);
  QCOMPARE(intoA[1].name, QStringLiteral("low"));
  QVERIFY(std::fabs(intoA[1].weight - (0.4f - 0.0123f)) < 1e-6f);
  QVERIFY(!v_->nodeItem(E)->isVisible());  // pos −1: every position of L1/N23
  v_->setCollapsed({});
  QCOMPARE(v_->edgeCount(), 8);
  QVERIFY(v_->supernodeItems().empty());
  for (const NodeKey& k : {A, B, C, D, E, F}) QVERIFY(v_->nodeItem(k)->isVisible());
  QCOMPARE(static_cast<int>(v_->edgesOf(A).size()), 3);
}

void TestGuiGraphView::importedGraphReadOnly() {
  const auto graph = ce::core::parse_graph_json(importedJson(), "dallas.json");
  v_->show();
  v_->showImportedGraph(graph, 0.8);
  QVERIFY(v_->isImported());
  const NodeKey dallas = key(0, 1, 12), texas = key(1, 2, 40), error = key(1, 1, -1), logit = key(3, 2, 1234);
  // Kept: two features and the error node (0_99_2 pruned at influence 0.95 > 0.8), the embedding, the logit.
  QCOMPARE(static_cast<int>(v_->nodeItems().size()), 3);
  QVERIFY(v_->nodeItem(dallas) && v_->nodeItem(texas) && v_->nodeItem(error));
  QCOMPARE(v_->nodeItem(error)->kind(), NodeItem::Kind::Error);
  // Named as a feature basis' error node is, by core's error_node_name.
  QCOMPARE(v_->nodeName(v_->nodeItem(error)), QStringLiteral("L1/error@1"));
  QVERIFY(!v_->nodeItem(key(0, 2, 99)));
  QCOMPARE(v_->importedNodeId(dallas), QStringLiteral("0_12_1"));
  QCOMPARE(v_->importedNodeId(logit), QStringLiteral("3_1234_2"));
  QCOMPARE(v_->anyItem(logit)->kind(), NodeItem::Kind::Logit);
  QCOMPARE(v_->importedNodeId(key(0, 2, 99)), QString());
  QCOMPARE(v_->labelOf(dallas), QStringLiteral("Dallas"));
  QCOMPARE(v_->captionOf(dallas), QStringLiteral("L0/N12\nDallas"));
  QVERIFY(v_->nodeItem(dallas)->pinned());
  // The supernode holds "1_40_2" and the error node: the link between them is dropped, the pruned node's
  // link too; 4 lines remain.
  QCOMPARE(static_cast<int>(v_->supernodeItems().size()), 1);
  QCOMPARE(v_->supernodeItems()[0]->label(), QStringLiteral("Texas"));
  QVERIFY(!v_->nodeItem(texas)->isVisible() && !v_->nodeItem(error)->isVisible());
  QCOMPARE(v_->edgeCount(), 4);
  const auto fromDallas = v_->edgesOf(dallas);
  QCOMPARE(static_cast<int>(fromDallas.size()), 3);
  QCOMPARE(fromDallas[0].name, QStringLiteral("Texas"));
  QCOMPARE(fromDallas[0].weight, 1.2f);
  QCOMPARE(fromDallas[1].weight, 0.7f);
  QCOMPARE(fromDallas[1].name, QStringLiteral("emb ' Dallas'@1"));
  QCOMPARE(fromDallas[2].weight, -0.4f);
  const QString tip = v_->toolTipFor(v_->nodeItem(dallas));
  QCOMPARE(tip, QStringLiteral("0_12_1\nDallas\nfeature type: cross layer transcoder\ninfluence: 0.3\nactivation: 2.5"));
  // The layers' rows: embedding at the bottom, the logit on top.
  QVERIFY(v_->anyItem(logit)->pos().y() < v_->supernodeItems()[0]->pos().y());
  QVERIFY(v_->nodeItem(dallas)->pos().y() < v_->anyItem(key(-1, 1, 0))->pos().y());
  // A wider threshold keeps 0_99_2 as well; expanded, the links to the Texas feature are its own again.
  v_->showImportedGraph(graph, 1.0);
  QVERIFY(v_->nodeItem(key(0, 2, 99)));
  v_->setCollapsed({});
  QCOMPARE(v_->edgeCount(), 6);
  // The context menu offers no edit.
  QString seen;
  bool anyEnabled = false;
  QTimer::singleShot(200, this, [&] {
    auto* menu = qobject_cast<QMenu*>(QApplication::activePopupWidget());
    if (!menu) return;
    for (QAction* a : menu->actions()) {
      seen += a->text() + QLatin1Char('|');
      if (!a->isSeparator() && a->isEnabled() && !a->text().isEmpty()) anyEnabled = true;
    }
    menu->close();
  });
  const QPoint at = v_->mapFromScene(v_->nodeItem(dallas)->scenePos());
  QContextMenuEvent e(QContextMenuEvent::Mouse, at, v_->viewport()->mapToGlobal(at));
  QApplication::sendEvent(v_->viewport(), &e);
  QVERIFY2(seen.contains(QStringLiteral("imported graph: read-only")), qPrintable(seen));
  QVERIFY2(!anyEnabled, qPrintable(seen));
  // A trace replaces it and is editable again.
  v_->setCircuit(ce::core::Basis::MlpAct, 1, {QStringLiteral("a")}, {node(0, 0, 1, 1.0f)}, {});
  QVERIFY(!v_->isImported());
  QVERIFY(v_->importedNodeId(dallas).isEmpty());
}

void TestGuiGraphView::largeCircuitBuiltInTurns() {
  // 6000 nodes on 8 layers × 6 positions, with an edge between two of them and one into the logit.
  const QStringList tokens = {QStringLiteral("<s>"), QStringLiteral(" a"), QStringLiteral(" b"),
                              QStringLiteral(" c"), QStringLiteral(" d"), QStringLiteral(" e")};
  std::vector<ce::core::NodeEffect> nodes;
  for (int i = 0; i < 6000; ++i)
    nodes.push_back(node(i % 8, (i / 8) % 6, i, (i % 2 ? 1.0f : -1.0f) * static_cast<float>(1 + i % 97) / 97));
  ce::core::EdgeEnd logit;
  logit.kind = ce::core::EdgeEnd::Kind::Logit;
  const std::vector<ce::core::Edge> edges = {edge(neuron(0, 0, 0), neuron(7, 5, 5999), 0.5f, 0.25f),
                                             edge(neuron(7, 5, 5999), logit, 0.9f, 1.0f)};
  v_->show();
  QVERIFY(QTest::qWaitForWindowExposed(v_.get()));

  // The synchronous build, as the reference for positions.
  v_->setCircuit(ce::core::Basis::MlpAct, 8, tokens, nodes, edges);
  std::map<NodeKey, QPointF> reference;
  for (const NodeItem* n : v_->nodeItems()) reference[n->key()] = n->pos();
  QCOMPARE(reference.size(), size_t{6000});
  const QRectF content = v_->contentRect();

  int done = 0;
  v_->setCircuitInTurns(ce::core::Basis::MlpAct, 8, tokens, nodes, edges, [&] { ++done; });
  // Nothing is made before the event loop runs, then at most kNodesPerTurn items a turn.
  QVERIFY(v_->building());
  QCOMPARE(done, 0);
  QCOMPARE(v_->nodeItems().size(), size_t{0});
  QVERIFY(!v_->viewport()->updatesEnabled());  // the half-built scene is not painted
  // Turn by turn: the items, then the rest of the graph, then the caller's `done` and painting again.
  std::vector<size_t> counts;
  std::vector<int> dones;
  while (v_->building() && counts.size() < 10) {
    QCoreApplication::processEvents(QEventLoop::AllEvents);
    counts.push_back(v_->nodeItems().size());
    dones.push_back(done);
  }
  QVERIFY(!v_->building());
  QCOMPARE(done, 1);
  QCOMPARE(counts, (std::vector<size_t>{2500, 5000, 6000, 6000}));
  QCOMPARE(dones, (std::vector<int>{0, 0, 0, 1}));
  QVERIFY(v_->viewport()->updatesEnabled());
  QCOMPARE(v_->contentRect(), content);
  QCOMPARE(v_->edgeCount(), 2);
  for (const NodeItem* n : v_->nodeItems()) QCOMPARE(n->pos(), reference.at(n->key()));

  // A new graph before the build completes abandons it: its `done` never runs and none of its items stay.
  int abandoned = 0;
  v_->setCircuitInTurns(ce::core::Basis::MlpAct, 8, tokens, nodes, edges, [&] { ++abandoned; });
  QCoreApplication::processEvents(QEventLoop::AllEvents);
  QVERIFY(v_->building());
  const std::vector<ce::core::NodeEffect> few(nodes.begin(), nodes.begin() + 10);
  int small = 0;
  v_->setCircuitInTurns(ce::core::Basis::MlpAct, 8, tokens, few, {}, [&] { ++small; });
  QCOMPARE(small, 1);  // one turn's worth is built at once
  QVERIFY(!v_->building());
  QTest::qWait(50);
  QCOMPARE(abandoned, 0);
  QCOMPARE(v_->nodeItems().size(), size_t{10});
  // clearCircuit abandons a build as well.
  v_->setCircuitInTurns(ce::core::Basis::MlpAct, 8, tokens, nodes, edges, [&] { ++abandoned; });
  v_->clearCircuit();
  QTest::qWait(50);
  QCOMPARE(abandoned, 0);
  QVERIFY(v_->nodeItems().empty());
  QVERIFY(v_->viewport()->updatesEnabled());
}

QTEST_MAIN(TestGuiGraphView)
#include "test_gui_graph_view.moc"
