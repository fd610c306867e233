#include "panels/exemplar_rows.h"

#include "ce/core/base/error.h"

namespace ce::ui {

std::vector<ExemplarRow> exemplarRows(const ce::core::Model& model, const ce::core::ExemplarIndex& index,
                                      int layer, int neuron, ce::core::Polarity polarity, int k) {
  std::vector<ExemplarRow> rows;
  // Orange for the strongest positive token, blue for the most negative: the same hues as the graph's
  // effect colours would suggest a sign of effect, which an activation is not.
  const QString colour =
      polarity == ce::core::Polarity::Positive ? QStringLiteral("#d35400") : QStringLiteral("#2471a3");
  const int bos = model.tokenizer().bos_id();
  for (const auto& e : ce::core::distinct_exemplars(index, layer, neuron, polarity, k)) {
    ExemplarRow row;
    row.activation = static_cast<double>(e.activation);
    for (int i = 0; i < static_cast<int>(e.tokens.size()); ++i) {
      const int id = e.tokens[static_cast<size_t>(i)];
      if (i == 0 && id == bos && i != e.position) continue;
      const QString piece = QString::fromStdString(model.token_text(id));
      if (i == e.position) {
        row.maxToken = piece;
        row.maxStart = static_cast<int>(row.text.size());
        row.html +=
            QStringLiteral("<b><span style=\"color:%1\">%2</span></b>").arg(colour, piece.toHtmlEscaped());
      } else {
        row.html += piece.toHtmlEscaped();
      }
      row.text += piece;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

FirstExemplars firstExemplarTexts(const ce::core::Model& model, const ce::core::ExemplarIndex& index,
                                  const std::vector<ce::core::NodeEffect>& nodes,
                                  const ce::core::JobControl& control) {
  FirstExemplars out;
  for (const auto& n : nodes) {
    const std::pair<int, int> key{n.node.layer, n.node.index};
    if (out.count(key)) continue;
    control.check();
    // A corrupted record costs that neuron its hover text, never the trace: the inspector reports it when the
    // neuron is opened.
    std::vector<ExemplarRow> rows;
    try {
      rows = exemplarRows(model, index, n.node.layer, n.node.index, ce::core::Polarity::Positive, 1);
    } catch (const ce::core::Error&) {
      continue;
    }
    if (!rows.empty())
      out[key] = QStringLiteral("%1 (%2 on \u201c%3\u201d)")
                     .arg(rows[0].text.trimmed())
                     .arg(rows[0].activation, 0, 'f', 1)
                     .arg(rows[0].maxToken);
  }
  return out;
}

}  // namespace ce::ui
