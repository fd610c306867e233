#include "prompt_sets/groups_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPixmap>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>
#include <set>

#include "prompt_sets/set_groups.h"

namespace ce::ui {

namespace {
QPixmap swatch(const QColor& c) {
  QPixmap p(12, 12);
  p.fill(c);
  return p;
}
}  // namespace

GroupsPanel::GroupsPanel(SetGroups* groups, QWidget* parent)
    : QWidget(parent),
      groups_(groups),
      cut_(new QComboBox(this)),
      on_(new QComboBox(this)),
      count_(new QSpinBox(this)),
      distance_(new QDoubleSpinBox(this)),
      suggest_(new QPushButton(tr("Suggest Groups"), this)),
      merge_(new QPushButton(tr("Merge"), this)),
      split_(new QPushButton(tr("Split"), this)),
      delete_(new QPushButton(tr("Delete"), this)),
      table_(new QTableWidget(this)) {
  cut_->addItem(tr("groups:"));
  cut_->addItem(tr("distance:"));
  cut_->setToolTip(tr("Cut the clustering at a number of groups, or at a cosine distance (average linkage)"));
  count_->setRange(1, 200);
  count_->setValue(8);
  distance_->setRange(0, 2);
  distance_->setSingleStep(0.05);
  distance_->setDecimals(3);
  distance_->setValue(0.5);
  distance_->hide();
  for (auto on : {ce::core::ClusterOn::Attribution, ce::core::ClusterOn::Contribution, ce::core::ClusterOn::Both})
    on_->addItem(QString::fromLatin1(ce::core::cluster_on_name(on)), static_cast<int>(on));
  on_->setToolTip(tr("Cluster the attribution profiles (attr), the contribution profiles through the edges "
                     "(contrib), or both"));
  connect(cut_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int i) {
    count_->setVisible(i == 0);
    distance_->setVisible(i == 1);
  });

  table_->setColumnCount(4);
  table_->setHorizontalHeaderLabels({tr("Label"), tr("Size"), tr("Layers"), QString()});
  table_->verticalHeader()->hide();
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  table_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                          QAbstractItemView::SelectedClicked);
  table_->horizontalHeader()->setSectionResizeMode(LabelColumn, QHeaderView::Stretch);
  for (int c : {SizeColumn, LayersColumn, SweepColumn})
    table_->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
  table_->setToolTip(tr("Double-click a label to rename the group"));
  table_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() * 2 + 8);

  auto* cutRow = new QHBoxLayout();
  cutRow->addWidget(cut_);
  cutRow->addWidget(count_);
  cutRow->addWidget(distance_);
  cutRow->addWidget(new QLabel(tr("on"), this));
  cutRow->addWidget(on_);
  cutRow->addStretch(1);
  auto* editRow = new QHBoxLayout();
  editRow->addWidget(merge_);
  editRow->addWidget(split_);
  editRow->addWidget(delete_);
  editRow->addStretch(1);
  merge_->setToolTip(tr("Join the selected groups into the first one"));
  split_->setToolTip(tr("Split the selected group in two by the same clustering"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* suggestRow = new QHBoxLayout();
  suggestRow->addWidget(suggest_);
  suggestRow->addStretch(1);
  layout->addLayout(suggestRow);
  layout->addLayout(cutRow);
  layout->addWidget(table_, 1);
  layout->addLayout(editRow);

  connect(suggest_, &QPushButton::clicked, this, [this] {
    const bool byCount = cut_->currentIndex() == 0;
    Q_EMIT suggestRequested(clusterOn(), byCount ? count_->value() : 0, distance_->value());
  });
  connect(merge_, &QPushButton::clicked, this, [this] {
    const auto rows = selectedRows();
    if (rows.size() < 2) return;
    groups_->merge(rows);
    selectRows({rows.front()});  // the merged group, where the first of them was
  });
  connect(delete_, &QPushButton::clicked, this, [this] { groups_->remove(selectedRows()); });
  connect(split_, &QPushButton::clicked, this, [this] {
    const auto rows = selectedRows();
    if (rows.size() == 1) Q_EMIT splitRequested(rows.front());
  });
  connect(table_, &QTableWidget::itemChanged, this, [this](QTableWidgetItem* item) {
    if (rebuilding_ || item->column() != LabelColumn) return;
    // The rename may rebuild the table, deleting `item`: nothing of it is read after.
    const int row = item->row();
    const QString text = item->text();
    groups_->rename(row, text);
    // A refused (empty) name shows the old one again.
    if (row < groups_->size() && text != groups_->groups()[static_cast<size_t>(row)].label) rebuild();
  });
  connect(table_, &QTableWidget::itemSelectionChanged, this, [this] {
    updateButtons();
    if (!rebuilding_) Q_EMIT rowsSelected(selectedRows());
  });
  connect(groups_, &SetGroups::changed, this, &GroupsPanel::rebuild);
  rebuild();
}

ce::core::ClusterOn GroupsPanel::clusterOn() const {
  return static_cast<ce::core::ClusterOn>(on_->currentData().toInt());
}

QPushButton* GroupsPanel::sweepButton(int row) const {
  return qobject_cast<QPushButton*>(table_->cellWidget(row, SweepColumn));
}

std::vector<int> GroupsPanel::selectedRows() const {
  std::set<int> rows;
  for (const QModelIndex& i : table_->selectionModel()->selectedRows()) rows.insert(i.row());
  return {rows.begin(), rows.end()};
}

void GroupsPanel::selectRows(const std::vector<int>& rows) {
  table_->clearSelection();
  for (int r : rows) {
    if (r < 0 || r >= table_->rowCount()) continue;
    table_->selectionModel()->select(table_->model()->index(r, 0),
                                     QItemSelectionModel::Select | QItemSelectionModel::Rows);
  }
}

void GroupsPanel::rebuild() {
  rebuilding_ = true;
  const auto& groups = groups_->groups();
  // A rename keeps the selection; after a merge, split or delete the old rows name other groups.
  const auto keep = table_->rowCount() == static_cast<int>(groups.size()) ? selectedRows() : std::vector<int>();
  table_->setRowCount(static_cast<int>(groups.size()));
  for (int r = 0; r < static_cast<int>(groups.size()); ++r) {
    const SetGroup& g = groups[static_cast<size_t>(r)];
    auto* label = new QTableWidgetItem(QIcon(swatch(g.color)), g.label);
    label->setToolTip(g.label);
    auto* size = new QTableWidgetItem(QString::number(g.members.size()));
    size->setFlags(size->flags() & ~Qt::ItemIsEditable);
    size->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    auto* span = new QTableWidgetItem(g.layerLo == g.layerHi ? QStringLiteral("L%1").arg(g.layerLo)
                                                            : QStringLiteral("L%1–L%2").arg(g.layerLo).arg(g.layerHi));
    span->setFlags(span->flags() & ~Qt::ItemIsEditable);
    table_->setItem(r, LabelColumn, label);
    table_->setItem(r, SizeColumn, size);
    table_->setItem(r, LayersColumn, span);
    if (!sweepButton(r)) {
      auto* sweep = new QPushButton(tr("Sweep"), table_);
      sweep->setToolTip(tr("Steer this group over the whole set with each multiplier"));
      // The row is looked up when clicked: rows shift as groups are merged or deleted.
      connect(sweep, &QPushButton::clicked, this, [this, sweep] {
        for (int row = 0; row < table_->rowCount(); ++row) {
          if (table_->cellWidget(row, SweepColumn) == sweep) Q_EMIT sweepRequested(row);
        }
      });
      table_->setCellWidget(r, SweepColumn, sweep);
    }
  }
  selectRows(keep);
  rebuilding_ = false;
  updateButtons();
  // The graph shows the rows' neurons selected: after a merge or delete, none.
  Q_EMIT rowsSelected(selectedRows());
}

void GroupsPanel::updateButtons() {
  const auto rows = selectedRows();
  const bool traced = groups_->trace() != nullptr;
  suggest_->setEnabled(traced);
  merge_->setEnabled(rows.size() >= 2);
  split_->setEnabled(rows.size() == 1 && rows.front() < groups_->size() &&
                     groups_->groups()[static_cast<size_t>(rows.front())].members.size() >= 2);
  delete_->setEnabled(!rows.empty());
}

}  // namespace ce::ui
