#!/usr/bin/env bash
# Installs every Debian 12 package that building, running and testing Circuit Explorer needs.
# Idempotent: packages already present are skipped by apt.
#   --fuzz    also clang-14 and its sanitizer/libFuzzer runtime, for the `fuzz` preset (tests/fuzz)
#   --python  also Debian's PyTorch, SentencePiece and NumPy for /usr/bin/python3: the plain-PyTorch baseline
#             of the SVA-curve benchmark (tests/bench/sva_eager.py), not needed to build or test
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PKGS=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-charts-dev qt6-svg-dev libqt6opengl6-dev libgl-dev
  libtorch-dev libopenblas0-openmp
  libsentencepiece-dev nlohmann-json3-dev libpcre2-dev
  xvfb xauth fonts-dejavu-core file dpkg-dev
)
if [ "${1:-}" = "--fuzz" ]; then PKGS+=(clang-14 libclang-rt-14-dev); fi
if [ "${1:-}" = "--python" ]; then PKGS+=(python3-torch python3-sentencepiece python3-numpy); fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
