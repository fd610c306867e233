#!/usr/bin/env bash
# Installs what the `torch2` preset needs: Debian's packages (setup-debian.sh: Qt, SentencePiece, ...) and
# PyPI's torch 2.11.0 in a virtual environment, .venv-torch2/ at the repository root (git-ignored).
# PyPI's Linux x86-64 wheel is a CUDA 13.0 build (about 4 GB with its nvidia-* wheels); it runs on machines
# without a GPU, but configuring against it needs the CUDA 13.0 toolkit (the preset's nvcc: /usr/local/cuda).
# Idempotent: apt skips what is installed, pip is skipped when the venv already has torch 2.11.0.
# Prints the CMake prefix of that LibTorch; .venv-torch2/torch links to its package folder, whatever the
# venv's Python version, and is the preset's CMAKE_PREFIX_PATH.
#   PYTHON=python3.12  the interpreter that makes the venv (default python3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-torch2"
TORCH_VERSION=2.11.0
PYTHON="${PYTHON:-python3}"

bash "$ROOT/packaging/setup-debian.sh"

# Debian's python3 makes venvs only with python3-venv (ensurepip).
if ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends python3-venv
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi

installed="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null || true)"
if [ "${installed%%+*}" = "$TORCH_VERSION" ]; then
  echo "torch $installed is already installed in $VENV"
else
  "$VENV/bin/python" -m pip install --progress-bar off "torch==$TORCH_VERSION"
fi

# The torch package, found without importing it (which warns when NumPy is absent); its share/cmake is
# torch.utils.cmake_prefix_path. The preset's prefix is the package itself (.venv-torch2/torch, a link),
# not share/cmake: TorchConfig.cmake looks for libc10 with find_library, which searches <prefix>/lib before
# the system's folders, where Debian's libtorch-dev has its own libc10.so.
package="$("$VENV/bin/python" -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("torch").origin))')"
ln -sfn "${package#"$VENV/"}" "$VENV/torch"
prefix="$package/share/cmake"
if [ ! -x /usr/local/cuda/bin/nvcc ]; then
  echo "Note: configuring needs the CUDA 13.0 toolkit, found at /usr/local/cuda by the preset (NVIDIA's" \
       "cuda-toolkit-13-0 package); there is none. Elsewhere: -DCMAKE_CUDA_COMPILER=.../bin/nvcc -DCUDA_TOOLKIT_ROOT_DIR=..." >&2
fi
echo "LibTorch $TORCH_VERSION CMake prefix: $prefix"
echo "Build: cmake --preset torch2 && cmake --build --preset torch2 && ctest --preset torch2"
