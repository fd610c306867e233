// Data export: the circuit's nodes and edges to JSON/CSV, the curves to CSV; every file through the figures'
// one write path (figures::writeFileAtomically: atomic, with the OS's reason). Figures: ui/figures.
#pragma once

#include <QString>
#include <QStringList>
#include <vector>

#include "ce/core/circuits/attribution.h"
#include "ce/core/circuits/circuit_evaluator.h"
#include "ce/core/circuits/edge_attribution.h"

namespace ce::ui {

// One computed curve and what produced it ("relp", "mlp_act").
struct NamedCurve {
  QString method, basis;
  ce::core::CurveResult curve;
};

class Exporter {
 public:
  // By suffix: .json (nodes and edges with names and tokens) or .csv (one node per row).
  // Throws ce::core::Error with the reason.
  static void exportCircuit(const QString& path, ce::core::Basis basis, const QStringList& tokens,
                            const std::vector<ce::core::NodeEffect>& nodes,
                            const std::vector<ce::core::Edge>& edges);
  // One row per curve point, method and basis first (threshold -1 marks count-based points). Throws
  // ce::core::Error, also when there is no point to write.
  static void exportCurves(const QString& path, const std::vector<NamedCurve>& curves);
};

}  // namespace ce::ui
