// The circuit graph's colours, shared by the nodes, the edges and the legend so that the legend cannot
// drift from what is drawn. Blue/orange is a pair that colour-blind readers tell apart (Okabe-Ito).
#pragma once

#include <QColor>

namespace ce::ui::style {

// What a node or edge does to the metric (logit(answer) − logit(contrast)) as it stands: blue raises it (the
// nodes that carry the answer, e.g. " Austin"), orange lowers it.
inline QColor raises() { return QColor(0x1f, 0x6f, 0xc5); }
inline QColor lowers() { return QColor(0xe0, 0x7b, 0x00); }
// `contribution` > 0: raises the metric.
inline QColor signColor(double contribution) { return contribution >= 0 ? raises() : lowers(); }
// A node's effect is the metric's change when the node is replaced by its baseline (m(patched) − m(clean),
// attribution.h): a negative effect means the node as it is raises the metric.
inline QColor effectColor(double effect) { return signColor(-effect); }
inline QColor ablated() { return QColor(0xc8, 0xc8, 0xc8); }
inline QColor embedding() { return QColor(0x90, 0x90, 0x90); }
inline QColor logit() { return QColor(0x5d, 0x6d, 0x7e); }  // mid-tone: visible on light and dark
// Imported graphs carry no sign for a feature: one neutral hue, and grey for reconstruction errors.
inline QColor feature() { return QColor(0x8a, 0x6f, 0xbf); }
inline QColor error() { return QColor(0x9a, 0x9a, 0x9a); }
inline QColor selection() { return QColor(0xff, 0xb3, 0x00); }
inline QColor pin() { return QColor(0xc0, 0x1c, 0x6b); }

}  // namespace ce::ui::style
