#include "graph/graph_layout.h"

#include <algorithm>
#include <cmath>

namespace ce::ui::layout {

QPointF Grid::slot(int row, int pos, int i) const {
  const int per = std::max(1, perRow[static_cast<size_t>(pos)]);
  const double x = left[static_cast<size_t>(pos)] + kLabelPadding / 2 + (i % per + 0.5) * kPitch;
  return QPointF(x, lineY[static_cast<size_t>(row)] - (i / per + 0.5) * kPitch);
}

double Grid::anchorX(int pos) const {
  const auto p = static_cast<size_t>(pos);
  if (perRow[p] == 0) return left[p] + width[p] / 2;
  return left[p] + kLabelPadding / 2 + perRow[p] * kPitch / 2;
}

Grid makeGrid(const std::vector<double>& labelWidths, const std::map<std::pair<int, int>, int>& cellCounts,
              int rows) {
  const size_t positions = labelWidths.size();
  std::vector<int> crowd(positions, 0);  // each column's most crowded cell
  for (const auto& [cell, count] : cellCounts) {
    if (cell.second < 0 || static_cast<size_t>(cell.second) >= positions) continue;
    crowd[static_cast<size_t>(cell.second)] = std::max(crowd[static_cast<size_t>(cell.second)], count);
  }
  Grid g;
  g.left.resize(positions);
  g.width.resize(positions);
  g.perRow.resize(positions);
  double x = 0;
  for (size_t p = 0; p < positions; ++p) {
    const int c = crowd[p];
    g.perRow[p] = c == 0 ? 0 : std::max((c + kMaxRows - 1) / kMaxRows, std::min(c, kMinPerRow));
    const double nodes = g.perRow[p] > 0 ? g.perRow[p] * kPitch + kLabelPadding + kCaptionRoom : 0;
    g.width[p] = std::max({kEmptyColumn, labelWidths[p] + kLabelPadding, nodes});
    g.left[p] = x;
    x += g.width[p];
  }
  // Each band as tall as its most crowded cell's rows, plus the gap above them.
  std::vector<int> stacked(static_cast<size_t>(std::max(rows, 0)), 0);
  for (const auto& [cell, count] : cellCounts) {
    if (cell.first < 0 || cell.first >= rows || cell.second < 0 || static_cast<size_t>(cell.second) >= positions)
      continue;
    const int per = std::max(1, g.perRow[static_cast<size_t>(cell.second)]);
    auto& s = stacked[static_cast<size_t>(cell.first)];
    s = std::max(s, (count + per - 1) / per);
  }
  g.lineY.resize(static_cast<size_t>(std::max(rows, 0)));
  double y = 0;
  for (int r = 0; r < rows; ++r) {
    g.lineY[static_cast<size_t>(r)] = y;
    y -= stacked[static_cast<size_t>(r)] * kPitch + kBandGap;
  }
  return g;
}

}  // namespace ce::ui::layout
