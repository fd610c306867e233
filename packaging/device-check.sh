#!/usr/bin/env bash
# The device check: the same circuit-trace runs on the CPU and on CE_DEVICE (default cuda), compared.
#   - float32 next-token logits of the demo model and stories260K: max |device - cpu| <= 1e-3;
#   - RelP and AtP effects of the Texas prompt: relative error <= 1e-3 on the CPU's top 40 nodes;
#   - a steered greedy continuation (and the unsteered one): identical tokens.
# Prints one line per check and a summary; exits 1 when a check fails, 2 when a run fails. With
# CE_DEVICE=cpu it runs end to end on any machine (test_device_check does so), comparing the CPU to itself.
#
# Environment: CE_BIN (folder holding circuit-trace; default build/bin), CE_DEVICE (cpu, cuda, cuda:N),
# CE_STORIES (stories260K's hf folder; skipped when absent), CE_OUT (where the JSON of every run is kept;
# default a temporary folder). On the GPU machine, LD_LIBRARY_PATH must reach that machine's torch/lib.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${CE_BIN:-build/bin}
DEVICE=${CE_DEVICE:-cuda}
STORIES=${CE_STORIES:-../shared/data/stories260K/hf}
OUT=${CE_OUT:-$(mktemp -d)}
mkdir -p "$OUT"
# The resources (demo model, datasets) of this checkout, wherever it was copied to.
export CE_RESOURCES_DIR=${CE_RESOURCES_DIR:-$PWD/resources}
TEXAS="Fact: the capital of the state containing Dallas is"
start=$(date +%s%N)
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# run NAME ARGS...: circuit-trace ARGS on the CPU and on $DEVICE, into $OUT/NAME.cpu.json / NAME.dev.json.
run() {
  local name=$1
  shift
  for side in cpu dev; do
    local device=cpu
    [ "$side" = dev ] && device=$DEVICE
    local t0
    t0=$(date +%s%N)
    if ! "$BIN/circuit-trace" "$@" --device "$device" >"$OUT/$name.$side.json" 2>"$OUT/$name.$side.err"; then
      echo "FAIL $name on $device: circuit-trace exited with an error:"
      cat "$OUT/$name.$side.err"
      exit 2
    fi
    printf '  ran %-16s on %-7s %6d ms\n' "$name" "$device" "$(ms_since "$t0")"
  done
}

run logits-demo logits --text "$TEXAS" --all --top 5
if [ -f "$STORIES/config.json" ]; then
  run logits-stories logits --model "$STORIES" --text "Once upon a time, there was a little girl" --all --top 5
else
  echo "  stories260K: skipped ($STORIES absent)"
fi
run relp attribute --text "$TEXAS" --answer " Austin" --metric logit --method relp --top 0
run atp attribute --text "$TEXAS" --answer " Austin" --metric logit --method atp --top 0
run steer steer --text "$TEXAS" --scale 3/701=-5 --max-new-tokens 16

python3 - "$OUT" "$DEVICE" <<'EOF'
import json, os, sys
out, device = sys.argv[1], sys.argv[2]
def load(name, side):
    with open(os.path.join(out, f"{name}.{side}.json")) as f:
        return json.load(f)
failed = []
def check(label, value, bound, ok=None):
    ok = value <= bound if ok is None else ok
    print(f"{'ok  ' if ok else 'FAIL'} {label}: {value:.3g} (bound {bound:g})")
    if not ok:
        failed.append(label)
for name in ("logits-demo", "logits-stories"):
    if not os.path.exists(os.path.join(out, f"{name}.cpu.json")):
        continue
    a, b = load(name, "cpu")["logits"], load(name, "dev")["logits"]
    err = max(abs(x - y) for x, y in zip(a, b)) if len(a) == len(b) else float("inf")
    check(f"{name} float32 logits, max |{device} - cpu|", err, 1e-3)
for method in ("relp", "atp"):
    a, b = load(method, "cpu")["nodes"], load(method, "dev")["nodes"]
    dev = {(n["layer"], n["pos"], n["index"]): n["effect"] for n in b}
    worst = 0.0
    for n in a[:40]:
        e = dev.get((n["layer"], n["pos"], n["index"]), float("inf"))
        worst = max(worst, abs(e - n["effect"]) / max(abs(n["effect"]), 1e-30))
    check(f"{method} effects of the Texas prompt, max relative error on the top 40", worst, 1e-3)
a, b = load("steer", "cpu"), load("steer", "dev")
same = a["generated"] == b["generated"] and a["before"]["generated"] == b["before"]["generated"]
print(f"{'ok  ' if same else 'FAIL'} steered continuation identical: {json.dumps(b['generated'])}")
if not same:
    failed.append("steer")
sys.exit(1 if failed else 0)
EOF
status=$?
printf 'device check on %s: %s in %d ms (runs kept in %s)\n' "$DEVICE" "$([ $status -eq 0 ] && echo passed || echo FAILED)" \
  "$(ms_since "$start")" "$OUT"
exit $status
