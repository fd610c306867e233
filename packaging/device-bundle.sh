#!/usr/bin/env bash
# Packs what the GPU machine needs to run packaging/device-check.sh into build-torch2/device/ (ignored, under
# the device tool's 64 MiB): circuit-trace and the SentencePiece plugin of the torch2 build, stripped, and
# the Debian libraries they load that a bare machine with only Python's torch lacks (SentencePiece, PCRE2,
# protobuf-lite, OpenBLAS, ...). LibTorch itself is not packed: that machine has the same torch 2.11.0, and
# LD_LIBRARY_PATH points at its torch/lib. Run after `cmake --build --preset torch2`. Prints the size and the
# command to run there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/build-torch2/bin"
DEST="$ROOT/build-torch2/device"
[ -x "$BIN/circuit-trace" ] || { echo "no $BIN/circuit-trace: build the torch2 preset first" >&2; exit 1; }
rm -rf "$DEST"
mkdir -p "$DEST/bin" "$DEST/lib"
for f in "$BIN"/circuit-trace "$BIN"/libce_spm.so; do
  strip --strip-debug -o "$DEST/bin/$(basename "$f")" "$f"
done
# Every resolved dependency outside LibTorch's wheel, glibc and the C++ runtime (present everywhere).
for f in "$DEST"/bin/*; do
  ldd "$f" | awk '/=> \// {print $3}'
done | sort -u | while read -r lib; do
  case "$lib" in
    */site-packages/*|*/.venv-torch2/*) continue ;;  # LibTorch and its nvidia-* wheels: the machine's own
    */libc.so*|*/libm.so*|*/libdl.so*|*/librt.so*|*/libpthread.so*|*/ld-linux*|*/libstdc++.so*|*/libgcc_s.so*) continue ;;
  esac
  cp -L "$lib" "$DEST/lib/"
done
# Resources the binary reads beside itself (the embedded demo model, datasets) travel with the tree.
du -sh "$DEST"
echo "On the GPU machine (run tool, carry build-torch2/device):"
echo '  TL=$(python3 -c "import torch, os; print(os.path.dirname(torch.__file__))")/lib'
echo '  LD_LIBRARY_PATH=$TL:build-torch2/device/lib CE_BIN=build-torch2/device/bin CE_DEVICE=cuda bash packaging/device-check.sh'
