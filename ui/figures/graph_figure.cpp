#include "figures/graph_figure.h"

#include <QFontMetricsF>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

#include "ce/core/base/error.h"
#include "figures/chart_figures.h"
#include "figures/figure_plot.h"
#include "graph/circuit_graph_view.h"
#include "graph/graph_style.h"
#include "graph/node_item.h"

namespace ce::ui::figures {

std::vector<double> sizeReferences(double maxEffect) {
  std::vector<double> out;
  if (!(maxEffect > 0) || !std::isfinite(maxEffect)) return out;
  const double decade = std::pow(10.0, std::floor(std::log10(maxEffect)));
  double v = decade;
  for (double f : {5.0, 2.0, 1.0}) {
    if (decade * f <= maxEffect * (1 + 1e-9)) {
      v = decade * f;
      break;
    }
  }
  // Down the 1-2-5 ladder: 5 → 2 → 1 → 0.5 …, three circles.
  while (out.size() < 3 && v >= maxEffect / 12) {
    out.push_back(v);
    const double lead = v / std::pow(10.0, std::floor(std::log10(v) + 1e-9));
    v = lead > 4 ? v * 0.4 : v * 0.5;
  }
  return out;
}

DrawnFigure drawGraphFigure(QPainter& painter, const QRectF& page, const CircuitGraphView& view,
                            const GraphFigureText& words) {
  const FigureStyle& style = figureStyle();
  QGraphicsScene* scene = view.scene();
  QRectF source = view.contentRect();
  if (!scene || view.nodeItems().empty() || source.isEmpty()) throw ce::core::Error("the graph is empty");
  source = source.adjusted(-8, -8, 8, 8);
  DrawnFigure drawn;
  const double margin = 4;
  const double inner = page.width() - 2 * margin;
  const QFont titleFont = style.font(style.titlePt, true), subFont = style.font(style.axisPt),
              legendFont = style.font(style.legendPt), captionFont = style.font(style.captionPt);
  const QFontMetricsF tf(titleFont, painter.device()), sf(subFont, painter.device()),
      lf(legendFont, painter.device()), cf(captionFont, painter.device());
  QString title = tokenLabel(words.prompt);
  if (!words.answer.isEmpty()) title += QStringLiteral(" \u2192 ") + tokenLabel(words.answer);
  drawn.titleLines = wrapText(title, tf, inner);
  const QStringList subLines = wrapText(words.metric.isEmpty() ? QString() : QStringLiteral("effects on ") + words.metric, sf, inner);

  // The largest neuron fixes the size scale: radius = maxR·sqrt(|effect| / maxAbs) (the view's rule).
  double maxAbs = 0, maxR = 0;
  for (const NodeItem* n : view.nodeItems()) {
    if (n->kind() != NodeItem::Kind::Node || !n->isVisible()) continue;
    if (std::fabs(n->effect()) > maxAbs) maxAbs = std::fabs(n->effect()), maxR = n->radius();
  }
  const std::vector<double> refs = sizeReferences(maxAbs);
  const QString answer = words.answer.isEmpty() ? QStringLiteral("the answer") : tokenLabel(words.answer);
  const QString raises = QStringLiteral("raises the metric (for %1)").arg(answer);
  const QString lowers = words.contrast.isEmpty() ? QStringLiteral("lowers it")
                                                  : QStringLiteral("lowers it (for %1)").arg(tokenLabel(words.contrast));
  const QStringList captionLines = wrapText(words.caption, cf, inner);

  // The legend's items flow into rows as wide as the page: colour key, then the size key's circles at the
  // scale the graph is drawn at (known once the graph's band is, so the circles' widths use an upper bound).
  struct Item {
    double width;
    std::function<void(double x, double cy, double scale)> draw;
  };
  std::vector<Item> items;
  auto colourKey = [&](const QColor& color, const QString& text) {
    items.push_back({10 + lf.horizontalAdvance(text) + 10, [&, color, text](double x, double cy, double) {
                       painter.setPen(QPen(color.darker(130), 0.5));
                       painter.setBrush(color);
                       painter.drawEllipse(QPointF(x + 3.5, cy), 3.5, 3.5);
                       painter.setPen(style.text);
                       painter.drawText(QRectF(x + 10, cy - lf.lineSpacing() / 2, lf.horizontalAdvance(text) + 2,
                                               lf.lineSpacing()),
                                        Qt::AlignLeft | Qt::AlignVCenter, text);
                       drawn.legend << text;
                       drawn.texts << text;
                     }});
  };
  if (view.isImported()) {
    // An imported graph's features carry no sign: one hue, and grey for reconstruction errors.
    colourKey(ce::ui::style::feature(), QStringLiteral("feature"));
    colourKey(ce::ui::style::error(), QStringLiteral("reconstruction error"));
  } else {
    colourKey(FigureStyle::signColor(1), raises);
    colourKey(FigureStyle::signColor(-1), lowers);
  }
  const double maxCircle = 14;  // the size key's largest circle across, in points, at most
  if (!refs.empty() && maxR > 0) {
    const QString head = QStringLiteral("|effect|:");
    double width = lf.horizontalAdvance(head) + 4;
    for (double v : refs) width += maxCircle + 2 + lf.horizontalAdvance(QString::number(v, 'g', 3)) + 8;
    items.push_back({width, [&, head](double x, double cy, double scale) {
                       painter.setPen(style.text);
                       painter.drawText(QRectF(x, cy - lf.lineSpacing() / 2, lf.horizontalAdvance(head) + 2, lf.lineSpacing()),
                                        Qt::AlignLeft | Qt::AlignVCenter, head);
                       drawn.texts << head;
                       x += lf.horizontalAdvance(head) + 4;
                       for (double v : refs) {
                         const double r = std::min(maxCircle / 2, std::max(1.5, maxR * std::sqrt(v / maxAbs)) * scale);
                         painter.setPen(QPen(style.axis, 0.5));
                         painter.setBrush(Qt::NoBrush);
                         painter.drawEllipse(QPointF(x + r, cy), r, r);
                         const QString label = QString::number(v, 'g', 3);
                         painter.setPen(style.text);
                         painter.drawText(QRectF(x + 2 * r + 2, cy - lf.lineSpacing() / 2, lf.horizontalAdvance(label) + 2,
                                                 lf.lineSpacing()),
                                          Qt::AlignLeft | Qt::AlignVCenter, label);
                         drawn.legend << label;
                         drawn.texts << label;
                         x += 2 * r + 2 + lf.horizontalAdvance(label) + 8;
                       }
                     }});
  }
  std::vector<int> rowOf;
  int rows = 1;
  double used = 0;
  for (const Item& item : items) {
    if (used > 0 && used + item.width > inner) ++rows, used = 0;
    rowOf.push_back(rows - 1);
    used += item.width;
  }
  const double legendRow = std::max(lf.lineSpacing(), maxCircle) + 2;
  double top = page.top() + margin + drawn.titleLines.size() * tf.lineSpacing() + subLines.size() * sf.lineSpacing() + 4;
  const double bottom = page.bottom() - margin - captionLines.size() * cf.lineSpacing() - (captionLines.isEmpty() ? 0 : 3);
  const double legendTop = bottom - rows * legendRow;
  QRectF target(page.left() + margin, top, inner, std::max(10.0, legendTop - 4 - top));
  // Keep the scene's aspect: centre the graph in its band.
  const double scale = std::min(target.width() / source.width(), target.height() / source.height());
  const QSizeF drawnSize(source.width() * scale, source.height() * scale);
  target = QRectF(QPointF(target.center().x() - drawnSize.width() / 2, target.top()), drawnSize);

  painter.save();
  painter.fillRect(page, style.background);
  painter.setPen(style.text);
  painter.setFont(titleFont);
  double y = page.top() + margin;
  for (const QString& line : drawn.titleLines) {
    painter.drawText(QRectF(page.left() + margin, y, inner, tf.lineSpacing()), Qt::AlignHCenter | Qt::AlignTop, line);
    drawn.texts << line;
    y += tf.lineSpacing();
  }
  painter.setFont(subFont);
  for (const QString& line : subLines) {
    painter.drawText(QRectF(page.left() + margin, y, inner, sf.lineSpacing()), Qt::AlignHCenter | Qt::AlignTop, line);
    drawn.texts << line;
    y += sf.lineSpacing();
  }
  // The scene's axis labels follow the desktop palette (light on a dark theme): print them dark.
  std::vector<std::pair<QGraphicsSimpleTextItem*, QBrush>> recoloured;
  for (QGraphicsItem* item : scene->items()) {
    if (auto* t = qgraphicsitem_cast<QGraphicsSimpleTextItem*>(item)) {
      recoloured.emplace_back(t, t->brush());
      t->setBrush(style.text);
    }
  }
  // Captions keep a fixed size on screen (they ignore the view's zoom), which on a painter of another
  // resolution would mean another size relative to the graph (tiny at 300 DPI, huge in SVG): for the
  // figure they scale with the scene as the view's zoom shows them, so the figure looks like the view.
  const double zoom = view.transform().m11() > 0 ? view.transform().m11() : 1.0;
  struct Fixed {
    QGraphicsItem* item;
    QTransform transform;
  };
  std::vector<Fixed> fixed;
  for (QGraphicsItem* item : scene->items()) {
    if (!(item->flags() & QGraphicsItem::ItemIgnoresTransformations)) continue;
    fixed.push_back({item, item->transform()});
    item->setFlag(QGraphicsItem::ItemIgnoresTransformations, false);
    item->setTransform(QTransform::fromScale(1 / zoom, 1 / zoom), true);
  }
  painter.setRenderHint(QPainter::Antialiasing);
  scene->render(&painter, target, source, Qt::KeepAspectRatio);
  for (auto& [item, brush] : recoloured) item->setBrush(brush);
  for (const Fixed& f : fixed) {
    f.item->setTransform(f.transform);
    f.item->setFlag(QGraphicsItem::ItemIgnoresTransformations, true);
  }

  painter.setFont(legendFont);
  double x = page.left() + margin;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0 && rowOf[i] != rowOf[i - 1]) x = page.left() + margin;
    items[i].draw(x, legendTop + rowOf[i] * legendRow + legendRow / 2, scale);
    x += items[i].width;
  }
  painter.setFont(captionFont);
  y = page.bottom() - margin - captionLines.size() * cf.lineSpacing();
  for (const QString& line : captionLines) {
    painter.drawText(QRectF(page.left() + margin, y, inner, cf.lineSpacing()), Qt::AlignLeft | Qt::AlignTop, line);
    drawn.texts << line;
    y += cf.lineSpacing();
  }
  painter.restore();
  return drawn;
}

}  // namespace ce::ui::figures
