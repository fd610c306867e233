#include "panels/neuron_inspector.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QLabel>
#include <QLineEdit>
#include <QTabWidget>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

#include "ce/core/dictionaries/dictionary_set.h"
#include "window/main_window.h"

namespace ce::ui {

NeuronInspector::NeuronInspector(QWidget* parent)
    : QWidget(parent),
      title_(new QLabel(this)),
      details_(new QLabel(this)),
      chart_(new QChartView(this)),
      activation_(new QBarSet(tr("activation"))),
      effect_(new QBarSet(tr("effect"))),
      series_(new QBarSeries()),
      positions_(new QBarCategoryAxis()),
      values_(new QValueAxis()),
      exemplars_(new QLabel(this)),
      label_(new QLineEdit(this)),
      tabs_(new QTabWidget(this)),
      edges_(new EdgeList(this)),
      logits_(new LogitLists(this)) {
  QFont f = title_->font();
  f.setBold(true);
  title_->setFont(f);
  details_->setWordWrap(true);
  details_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* chart = new QChart();
  series_->append(activation_);
  series_->append(effect_);
  activation_->setColor(QColor(0x7f, 0x8c, 0x8d));
  effect_->setColor(QColor(0xd1, 0x3c, 0x3c));
  chart->addSeries(series_);
  chart->addAxis(positions_, Qt::AlignBottom);
  chart->addAxis(values_, Qt::AlignLeft);
  series_->attachAxis(positions_);
  series_->attachAxis(values_);
  chart->setBackgroundVisible(false);
  chart->setAnimationOptions(QChart::NoAnimation);
  // Upright: Qt Charts turns a label about its centre, so at a slant its end, where the eye meets the axis,
  // sat a slot or two right of its bars (the bar of " is" read as "Dallas"'s).
  positions_->setLabelsAngle(-90);
  positions_->setTruncateLabels(false);  // short tokens read better whole than as "…"
  chart_->setChart(chart);
  applyPalette();
  chart_->setRenderHint(QPainter::Antialiasing);
  chart_->setMinimumHeight(220);
  chart_->setFocusPolicy(Qt::NoFocus);  // nothing to do with keys: Tab passes it by
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(title_);
  label_->setClearButtonEnabled(true);
  label_->setToolTip(tr("Your label for this neuron (its \u201cclerp\u201d), shown in the graph at every position; "
                        "empty: the automatic label from its exemplars"));
  connect(label_, &QLineEdit::editingFinished, this, [this] {
    if (hasKey_) Q_EMIT labelEdited(key_.node.layer, key_.node.index, label_->text());
  });
  connect(edges_, &EdgeList::nodeRequested, this, &NeuronInspector::nodeRequested);
  layout->addWidget(label_);
  layout->addWidget(details_);
  layout->addWidget(chart_, 1);
  exemplars_->setWordWrap(true);
  exemplars_->setTextFormat(Qt::RichText);
  exemplars_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  exemplars_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  // Ten wrapped exemplars are taller than the dock: they scroll, rather than squeezing the docks beside it.
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(exemplars_);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setMinimumHeight(120);
  tabs_->setDocumentMode(true);
  tabs_->addTab(scroll, tr("Exemplars"));
  tabs_->addTab(edges_, tr("Edges"));
  tabs_->addTab(logits_, tr("Top Logits"));
  layout->addWidget(tabs_, 2);
  clear();
}

void NeuronInspector::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::PaletteChange) applyPalette();
}

void NeuronInspector::applyPalette() {
  const QColor text = palette().color(QPalette::WindowText);
  chart_->chart()->legend()->setLabelColor(text);
  positions_->setLabelsBrush(text);
  values_->setLabelsBrush(text);
}

void NeuronInspector::clear() {
  title_->setText(tr("No neuron selected"));
  details_->setText(tr("Click a node in the graph to see its activation along the prompt."));
  activation_->remove(0, activation_->count());
  effect_->remove(0, effect_->count());
  positions_->clear();
  hasKey_ = false;
  positive_.clear();
  negative_.clear();
  showIndexStatus();
  const QSignalBlocker block(label_);
  label_->clear();
  label_->setPlaceholderText(QString());
  label_->setEnabled(false);
  edges_->setEdges({});
  logits_->setMessage(tr("No neuron selected"));
}

void NeuronInspector::setEdges(std::vector<GraphEdgeRef> edges) { edges_->setEdges(std::move(edges)); }

void NeuronInspector::showTab(int tab) { tabs_->setCurrentIndex(tab); }

void NeuronInspector::showLogitEffect(const NodeKey& key, const ce::core::LogitEffect& effect) {
  if (!hasKey_ || key.node.layer != key_.node.layer || key.node.index != key_.node.index) return;
  logits_->setEffect(effect);
}

void NeuronInspector::showLogitError(const NodeKey& key, const QString& message) {
  if (!hasKey_ || key.node.layer != key_.node.layer || key.node.index != key_.node.index) return;
  logits_->setMessage(message);
}

void NeuronInspector::setLabels(const QString& user, const QString& automatic) {
  const QSignalBlocker block(label_);
  if (!label_->hasFocus()) label_->setText(user);
  label_->setPlaceholderText(automatic.isEmpty() ? tr("Label this neuron") : automatic);
}

void NeuronInspector::setIndexStatus(const QString& text) {
  indexStatus_ = text;
  if (positive_.empty() && negative_.empty()) showIndexStatus();
}

void NeuronInspector::showIndexStatus() {
  exemplars_->setText(indexStatus_.isEmpty() ? QString()
                                             : QStringLiteral("<i>%1</i>").arg(indexStatus_.toHtmlEscaped()));
}

void NeuronInspector::showExemplars(const NodeKey& key, std::vector<ExemplarRow> positive,
                                    std::vector<ExemplarRow> negative) {
  if (!hasKey_ || !(key == key_)) return;
  positive_ = std::move(positive);
  negative_ = std::move(negative);
  if (positive_.empty() && negative_.empty()) {
    showIndexStatus();
    return;
  }
  QString html;
  auto section = [&html](const QString& heading, const std::vector<ExemplarRow>& rows) {
    html += QStringLiteral("<p><b>%1</b></p><table cellspacing=\"2\">").arg(heading.toHtmlEscaped());
    for (const auto& r : rows) {
      html += QStringLiteral("<tr><td align=\"right\"><tt>%1</tt>&nbsp;</td><td>%2</td></tr>")
                  .arg(r.activation, 0, 'f', 2)
                  .arg(r.html);
    }
    html += QStringLiteral("</table>");
  };
  section(tr("Top exemplars, positive"), positive_);
  section(tr("Top exemplars, negative"), negative_);
  exemplars_->setText(html);
}

QString NeuronInspector::exemplarHtml() const { return exemplars_->text(); }

void NeuronInspector::inspect(const TraceOutput& trace, const NodeKey& key) {
  const auto& n = key.node;
  if (trace.positions <= 0 || trace.width <= 0 || n.layer < 0 || n.layer >= trace.layers || n.index < 0 ||
      n.index >= trace.width ||
      trace.activation.size() != static_cast<size_t>(trace.layers) * static_cast<size_t>(trace.positions) *
                                     static_cast<size_t>(trace.width)) {
    clear();
    return;
  }
  if (!hasKey_ || !(key == key_)) {
    positive_.clear();
    negative_.clear();
    showIndexStatus();
    logits_->setMessage(tr("Computing\u2026"));
  }
  label_->setEnabled(true);
  key_ = key;
  hasKey_ = true;
  auto at = [&](const std::vector<float>& v, int pos) {
    return static_cast<double>(v[ce::core::dense_offset({n.layer, pos, n.index}, static_cast<size_t>(trace.positions),
                                                        static_cast<size_t>(trace.width))]);
  };
  QStringList labels;
  QList<qreal> acts, effects;
  double lo = 0, hi = 0;
  for (int p = 0; p < trace.positions; ++p) {
    const QString token = p < trace.tokens.size() ? trace.tokens[p] : QString();
    QString label = QStringLiteral("%1 %2").arg(p).arg(token);
    labels << label;
    acts << at(trace.activation, p);
    effects << at(trace.effect, p);
    lo = std::min({lo, acts.back(), effects.back()});
    hi = std::max({hi, acts.back(), effects.back()});
  }
  const int errorIndex = trace.dictionaries ? trace.dictionaries->error_index() : -1;
  const std::string name = ce::core::display_name(key.basis, n.layer, n.index, errorIndex);
  title_->setText(QStringLiteral("%1 (%2)").arg(QString::fromStdString(name),
                                                QString::fromLatin1(ce::core::basis_name(key.basis))));
  const QString token = n.pos >= 0 && n.pos < trace.tokens.size() ? trace.tokens[n.pos] : QString();
  details_->setText(
      tr("At position %1 (\u201c%2\u201d): activation %3, effect %4. Largest |activation| on "
         "the prompt: position %5.")
          .arg(n.pos)
          .arg(token)
          .arg(n.pos >= 0 && n.pos < trace.positions ? at(trace.activation, n.pos) : 0.0, 0, 'g', 4)
          .arg(n.pos >= 0 && n.pos < trace.positions ? at(trace.effect, n.pos) : 0.0, 0, 'g', 4)
          .arg(static_cast<int>(
              std::max_element(acts.begin(), acts.end(),
                               [](qreal a, qreal b) { return std::fabs(a) < std::fabs(b); }) -
              acts.begin())));
  // An empty slot at each end: Qt Charts blanks an end label whose unturned text is wider than half a slot,
  // which hid the last token (the one explained) and the first.
  labels.prepend(QStringLiteral(" "));
  labels.append(QStringLiteral("  "));
  acts.prepend(0);
  acts.append(0);
  effects.prepend(0);
  effects.append(0);
  positions_->clear();
  positions_->append(labels);
  activation_->remove(0, activation_->count());
  effect_->remove(0, effect_->count());
  activation_->append(acts);
  effect_->append(effects);
  const double pad = 0.05 * std::max(1e-6, hi - lo);
  values_->setRange(lo - pad, hi + pad);
}

std::vector<double> NeuronInspector::activations() const {
  std::vector<double> out;
  for (int i = 1; i + 1 < activation_->count(); ++i) out.push_back(activation_->at(i));  // without the end slots
  return out;
}

QString NeuronInspector::title() const { return title_->text(); }

}  // namespace ce::ui
