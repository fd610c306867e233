#!/usr/bin/env bash
# The paper's comparison on the demo model (issue #17 item 4): for the four SVA sets, RelP and IG circuits of
# SAE features (mlp_out, resid) and transcoder features, each at 4x and 8x, evaluated as the neuron curves of the README were
# (300 train examples for the effects, all 250 test examples, mean ablation, error nodes ablated unless kept),
# written to resources/figures/{set}_{method}_{dictionaries}.csv, then one table row per set and basis:
# nodes of the smallest circuit reaching faithfulness 0.9, and the faithfulness of the top 10 / top 100.
# Usage: packaging/feature-comparison.sh [BIN_DIR] (default build/bin). About 48 x 1-3 min on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/bin}
SVA=resources/datasets/sva
FIG=resources/figures
for set in simple nounpp rc within_rc; do
  for method in relp ig; do
    for dict in sae_mlp_out_4x sae_resid_4x transcoder_4x sae_mlp_out_8x sae_resid_8x transcoder_8x; do
      out=$FIG/${set}_${method}_${dict}.csv
      [ -s "$out" ] && continue  # resumable: a finished curve is kept
      "$BIN/circuit-trace" evaluate --data "$SVA/${set}_train.json" --limit 300 --test "$SVA/${set}_test.json" \
        --method "$method" --basis "sae:$dict" --counts 1,2,5,10,20,50,100,200,500,1000 --csv "$out.tmp" > /dev/null
      mv "$out.tmp" "$out"
      echo "$out"
    done
  done
done
python3 - "$FIG" <<'PY'
import csv, sys, os
fig = sys.argv[1]
def row(path):
    pts = [r for r in csv.DictReader(open(path))]
    at90 = min((int(r["nodes"]) for r in pts if float(r["faithfulness"]) >= 0.9 and int(r["nodes"]) > 0), default=None)
    top = {int(r["nodes"]): float(r["faithfulness"]) for r in pts if float(r["threshold"]) < 0}
    return at90, top.get(10), top.get(100)
for method in ("relp", "ig"):
    print(f"\n{method}: nodes to faithfulness 0.9 (top-10 / top-100 faithfulness)")
    print("| set | mlp_act | mlp_out | sae mlp_out 4x / 8x | sae resid 4x / 8x | transcoder 4x / 8x |")
    print("| --- | --- | --- | --- | --- | --- |")
    for s in ("simple", "nounpp", "rc", "within_rc"):
        def cell(b):
            p = os.path.join(fig, f"{s}_{method}_{b}.csv")
            if not os.path.exists(p):
                return "–"
            a, t10, t100 = row(p)
            fmt = lambda v: "–" if v is None else f"{v:.2f}".replace("-0.00", "0.00")
            return f"{a if a is not None else '>1000'} ({fmt(t10)} / {fmt(t100)})"
        cells = [cell("mlp_act"), cell("mlp_out")]
        for kind in ("sae_mlp_out", "sae_resid", "transcoder"):
            cells.append(cell(f"{kind}_4x") + " / " + cell(f"{kind}_8x"))
        print(f"| {s} | " + " | ".join(cells) + " |")
PY
