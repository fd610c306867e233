// Where the circuit graph puts things, as pure arithmetic (no scene), so that the order is tested alone.
//
// The grid: x = token position, one column per position; y = layer, one band per row with the embeddings
// at the bottom (row 0), layer l at row l + 1 and the logits on top. Within a (row, position) cell the
// nodes sit just above the row's line: slot 0 (the largest |effect|) nearest the line, rows of perRow slots
// stacked upward from the line, each row filled left to right (largest first) from the column's left.
// The room right of the nodes is left for their captions. A column is as wide as its token label and as
// its most crowded cell needs (at most kMaxRows rows per cell; more nodes widen the column); a column
// without nodes is only as wide as its label. A band is as tall as its most crowded cell.
#pragma once

#include <QPointF>
#include <map>
#include <utility>
#include <vector>

namespace ce::ui::layout {

constexpr double kPitch = 40;         // node spacing inside a cell; the largest node fills most of it
constexpr int kMaxRows = 6;           // rows of nodes per cell before the column widens
constexpr int kMinPerRow = 3;         // nodes per row while the cell has that many
constexpr double kCaptionRoom = 110;  // right of a column's nodes, for their captions
constexpr double kLabelPadding = 16;  // between the token labels of neighbouring columns
constexpr double kEmptyColumn = 40;   // the narrowest column
constexpr double kBandGap = 90;       // above a band's top row of nodes, for edges and captions

struct Grid {
  std::vector<double> left, width;  // per position
  std::vector<int> perRow;          // per position: nodes per row in its cells (0 without nodes)
  std::vector<double> lineY;        // per row: the y of its line (scene y points down: upper rows negative)

  // Where a column's embedding and token label sit: over its nodes, or the middle of a column without.
  double anchorX(int pos) const;
  double right() const { return left.empty() ? 0 : left.back() + width.back(); }
  // The centre of slot `i` (0 = largest) of the cell (row, pos).
  QPointF slot(int row, int pos, int i) const;
};

// The grid for `labelWidths` (each position's token label, scene units) and the node count of each
// (row, position) cell; `rows` counts the rows, embeddings and logits included. Cells outside are ignored.
Grid makeGrid(const std::vector<double>& labelWidths, const std::map<std::pair<int, int>, int>& cellCounts,
              int rows);

}  // namespace ce::ui::layout
