#include "panels/neuron_links.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QTimer>

namespace ce::ui {

namespace {
// Tokens shown with their spaces visible: " Austin" and "Austin" are different tokens.
QString tokenText(const std::string& text) {
  QString t = QString::fromStdString(text);
  t.replace(QLatin1Char(' '), QChar(0x2423));
  t.replace(QLatin1Char('\n'), QStringLiteral("\\n"));
  return t;
}

QTreeWidget* tokenTable(const QString& heading, QWidget* parent) {
  auto* t = new QTreeWidget(parent);
  t->setColumnCount(2);
  t->setHeaderLabels({heading, QObject::tr("\u0394logit")});
  t->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  t->setRootIsDecorated(false);
  t->header()->setSectionResizeMode(0, QHeaderView::Stretch);
  t->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
  return t;
}

std::vector<std::pair<QString, double>> rowsOf(const QTreeWidget* t) {
  std::vector<std::pair<QString, double>> out;
  for (int i = 0; i < t->topLevelItemCount(); ++i) {
    const QTreeWidgetItem* item = t->topLevelItem(i);
    if (item->data(1, Qt::UserRole).isValid())
      out.emplace_back(item->data(0, Qt::UserRole).toString(), item->data(1, Qt::UserRole).toDouble());
  }
  return out;
}
}  // namespace

EdgeList::EdgeList(QWidget* parent) : QTreeWidget(parent) {
  setColumnCount(2);
  setHeaderLabels({tr("Edge"), tr("Weight")});
  setRootIsDecorated(false);
  header()->setSectionResizeMode(0, QHeaderView::Stretch);
  header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
  setToolTip(tr("The node's edges in the graph, strongest first (\u2190 into it, \u2192 out of it); click one "
                "to go to the node at its other end"));
  auto go = [this](QTreeWidgetItem* item) {
    const int i = indexOfTopLevelItem(item);
    if (i < 0 || i >= static_cast<int>(edges_.size())) return;
    // Queued: going to the node refills this list, which must not happen inside its own click handler.
    const NodeKey key = edges_[static_cast<size_t>(i)].other;
    QTimer::singleShot(0, this, [this, key] { Q_EMIT nodeRequested(key); });
  };
  connect(this, &QTreeWidget::itemClicked, this, go);
  connect(this, &QTreeWidget::itemActivated, this, go);
}

void EdgeList::setEdges(std::vector<GraphEdgeRef> edges) {
  edges_ = std::move(edges);
  clear();
  for (const auto& e : edges_) {
    auto* item = new QTreeWidgetItem(this);
    item->setText(0, QStringLiteral("%1 %2").arg(e.incoming ? QChar(0x2190) : QChar(0x2192)).arg(e.name));
    item->setText(1, QString::asprintf("%+.4g", static_cast<double>(e.weight)));
    item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
  }
}

LogitLists::LogitLists(QWidget* parent)
    : QWidget(parent), top_(tokenTable(tr("Promotes"), this)), bottom_(tokenTable(tr("Suppresses"), this)) {
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(top_);
  layout->addWidget(bottom_);
  setToolTip(tr("The direct logit effect: the neuron's output direction (its down-projection column) through "
                "the final norm's weight and the unembedding, per unit of activation"));
}

void LogitLists::setEffect(const ce::core::LogitEffect& effect) {
  auto fill = [](QTreeWidget* t, const std::vector<ce::core::LogitToken>& tokens) {
    t->clear();
    for (const auto& tok : tokens) {
      auto* item = new QTreeWidgetItem(t);
      item->setText(0, tokenText(tok.text));
      item->setText(1, QString::asprintf("%+.2f", static_cast<double>(tok.value)));
      item->setToolTip(1, QString::asprintf("%+.5f per unit of activation", static_cast<double>(tok.value)));
      item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
      item->setData(0, Qt::UserRole, QString::fromStdString(tok.text));
      item->setData(1, Qt::UserRole, static_cast<double>(tok.value));
    }
  };
  fill(top_, effect.top);
  fill(bottom_, effect.bottom);
}

void LogitLists::setMessage(const QString& text) {
  for (QTreeWidget* t : {top_, bottom_}) t->clear();
  auto* item = new QTreeWidgetItem(top_);
  item->setText(0, text);
  item->setToolTip(0, text);
}

std::vector<std::pair<QString, double>> LogitLists::promoted() const { return rowsOf(top_); }
std::vector<std::pair<QString, double>> LogitLists::suppressed() const { return rowsOf(bottom_); }

}  // namespace ce::ui
