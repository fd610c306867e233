// Faithfulness and completeness of circuits under mean (or zero) ablation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ce/core/circuits/attribution.h"

namespace ce::core {

enum class Ablation {
  Mean,  // a node outside the kept set takes the mean of its activation over the test split's patch prompts
  Zero,
};
const char* ablation_name(Ablation ablation);
Ablation parse_ablation(const std::string& name);  // "mean", "zero"; Error otherwise

struct CurvePoint {
  double threshold = 0;  // |mean effect| > threshold; negative for count-based points
  int nodes = 0;         // circuit size
  double faithfulness = 0;
  double completeness = 0;
  double m_circuit = 0;     // m(C)
  double m_complement = 0;  // m(M \ C)
};

struct CurveResult {
  double m_full = 0;   // m(M): nothing ablated
  double m_empty = 0;  // m(∅): every node of the basis ablated in every layer
  int test_examples = 0;
  std::vector<CurvePoint> points;
};

// The paper's normalisation of a circuit's metric, written once for every caller (curves, edge curves, the
// explorer's score): (m - m_empty) / (m_full - m_empty). Faithfulness passes m(C), completeness m(M \ C).
// Infinite or NaN when m_full == m_empty; callers that show the value check that case themselves.
double normalized_metric(double m, double m_empty, double m_full);

// One curve with what produced it, for curves_csv.
struct LabelledCurve {
  Method method = Method::RelP;
  Basis basis = Basis::MlpAct;
  Ablation ablation = Ablation::Mean;
  const CurveResult* curve = nullptr;  // not owned; must outlive the call
  // Basis::Features: the set's name (its folder's name), written as the basis "sae:NAME" so that curves of
  // several sets stay apart; commas become '_'. Empty for the other bases.
  std::string dictionaries;
};
// The one curve CSV format, written by `circuit-trace evaluate --csv` and the explorer's Export Curves:
// header "method,basis,ablation,threshold,nodes,faithfulness,completeness,m_circuit,m_complement" (basis as
// basis_name, or "sae:NAME" for a feature basis), then one
// row per point of each curve in order (numbers with 8 significant digits; threshold -1 for count-based points).
std::string curves_csv(const std::vector<LabelledCurve>& curves);

// A curve read back from a curves CSV, owning its points.
struct CurveRecord {
  Method method = Method::RelP;
  Basis basis = Basis::MlpAct;
  Ablation ablation = Ablation::Mean;
  std::string dictionaries;  // the NAME of a "sae:NAME" basis; empty otherwise
  CurveResult curve;  // points only: the CSV holds no m_full / m_empty / test_examples
};
// Reads what curves_csv writes (also the older header without m_circuit,m_complement): one record per
// method × basis (with its dictionaries) × ablation, in the order each first appears, its points in file order. `source` names the
// file in errors. Throws Error "<source>: empty file", "<source>: line 1: the header is '<...>', expected
// 'method,basis,ablation,threshold,nodes,faithfulness,completeness[,m_circuit,m_complement]' (the CSV of
// circuit-trace evaluate --csv or the explorer's Export Curves)", "<source>: line N: <k> values, expected
// <n>", "<source>: line N: '<cell>' is not a number", an unknown method/basis/ablation as
// "<source>: line N: <parse error>", and "<source>: no curve points". Pure; thread-safe.
std::vector<CurveRecord> parse_curves_csv(const std::string& text, const std::string& source);

// The thresholds of the paper's curves: 0 followed by logspace(-6, 0, 30).
std::vector<double> default_thresholds();

// Evaluates circuits of `basis` on a test split, with m_eval = logit(answer) - logit(contrast) at the
// last position of the clean prompts, averaged over the test examples. Precomputes the ablation values
// once (mean over the test patch prompts, per layer, position and index), then for each circuit runs the
// clean prompts with every node outside the kept set (C, then M \ C) replaced by its ablation value.
// Positions of `effects` are aligned with the test prompts' positions (one template per file).
// Thread rules and errors as attribute(); throws Error when a test example lacks a contrast or a patch
// prompt (mean ablation), or the test set is empty.
class CircuitEvaluator {
 public:
  CircuitEvaluator(const Model& model, const std::vector<AttributionExample>& test, Basis basis,
                   Ablation ablation, const JobControl& control = {});
  // The same for any basis, the feature basis included: `dictionaries` is required for Basis::Features
  // (Error without) and ignored otherwise. There a feature outside the kept set takes its mean (or 0), and an
  // error node outside it takes the mean error vector (or 0), as the paper ablates error nodes unless kept.
  CircuitEvaluator(const Model& model, const std::vector<AttributionExample>& test, Basis basis,
                   std::shared_ptr<const DictionarySet> dictionaries, Ablation ablation,
                   const JobControl& control = {});
  ~CircuitEvaluator();
  CircuitEvaluator(const CircuitEvaluator&) = delete;
  CircuitEvaluator& operator=(const CircuitEvaluator&) = delete;

  double m_full() const;
  double m_empty() const;
  // Mean ablation values [layers][positions][width] (zeros for zero ablation).
  const std::vector<float>& ablation_values() const;
  int positions() const;
  int width() const;

  // m with exactly the nodes where keep[offset] is true left intact (layout of AttributionResult with
  // positions() positions). keep.size() must equal layers * positions() * width().
  double metric_with(const std::vector<bool>& keep, const JobControl& control = {}) const;
  // Faithfulness and completeness of exactly the nodes where keep[offset] is true (two metric passes: the
  // circuit and its complement); threshold -1. Same layout and errors as metric_with.
  CurvePoint score(const std::vector<bool>& keep, const JobControl& control = {}) const;
  // Faithfulness and completeness of the circuit {effect > threshold} for each threshold, and of the
  // top-n circuits for each count in `counts` (threshold -1 there).
  CurveResult curve(const AttributionResult& effects, const std::vector<double>& thresholds,
                    const std::vector<int>& counts = {}, const JobControl& control = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ce::core
