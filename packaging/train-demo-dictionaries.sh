#!/usr/bin/env bash
# Trains the sparse dictionaries shipped beside the demo model (resources/models/geo/dictionaries/), the ones
# `--basis sae:NAME` names: TopK, k 32, 500 steps, seed 1, on the shipped corpus, at every layer:
#   sae_mlp_out_4x, sae_mlp_out_8x   SAEs on hook_mlp_out, 4x and 8x expansion
#   sae_resid_4x, sae_resid_8x       SAEs on hook_resid_post
#   transcoder_4x, transcoder_8x     transcoders from ln2.hook_normalized to hook_mlp_out
# Each folder holds cfg.json, sae_weights.safetensors and metrics.json (FVU, L0, dead features, CE and
# accuracy spliced); each set gets exemplars.cexi, its features' exemplars over the shipped corpus (as the
# neuron index resources/exemplars/geo_mlp_act.cexi is built). Deterministic for the seed and thread count;
# about 4 x 70 s per 4x set and 4 x 140 s per 8x set on two cores, and 30-60 s per index.
# Usage: packaging/train-demo-dictionaries.sh [BIN_DIR] [--indexes-only] [--only NAME]   (BIN_DIR default build/bin)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/bin
ONLY_INDEXES=
ONLY=
while [ $# -gt 0 ]; do
  case $1 in
    --indexes-only) ONLY_INDEXES=1 ;;
    --only) ONLY=${2:?--only needs a set name}; shift ;;
    *) BIN=$1 ;;
  esac
  shift
done
OUT=resources/models/geo/dictionaries
LAYERS=$("$BIN/circuit-trace" info | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"])')
for spec in mlp_out:4 resid:4 transcoder:4 mlp_out:8 resid:8 transcoder:8; do
  site=${spec%:*}
  expansion=${spec#*:}
  case $site in
    transcoder) name=transcoder_${expansion}x ;;
    *) name=sae_${site}_${expansion}x ;;
  esac
  [ -n "$ONLY" ] && [ "$ONLY" != "$name" ] && continue
  for ((l = 0; l < LAYERS; l++)); do
    [ -n "$ONLY_INDEXES" ] && continue
    rm -rf "$OUT/$name/l$l"
    mkdir -p "$OUT/$name"
    "$BIN/circuit-trace" train-sae --site "$site" --layer "$l" --expansion "$expansion" --k 32 --steps 500 --seed 1 \
      --out "$OUT/$name/l$l" > "$OUT/$name/l$l.log"
    python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(sys.argv[2], "L"+sys.argv[3], {k: m[k] for k in ("fvu","mean_l0","dead_features","ce_clean","ce_spliced","accuracy_spliced","seconds")})' \
      "$OUT/$name/l$l.log" "$name" "$l"
    rm "$OUT/$name/l$l.log"
  done
  "$BIN/circuit-trace" exemplars --corpus resources/datasets/exemplar_corpus.txt --basis "sae:$name" \
    --out "$OUT/$name/exemplars.cexi" --top 20 --context 24 --threads 1 > /dev/null
  echo "$name: $(du -h "$OUT/$name/exemplars.cexi" | cut -f1) exemplar index"
done
