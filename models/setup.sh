#!/usr/bin/env bash
# Installs the Python toolchain used to train and export the demo model.
# Debian's packaged PyTorch is used on purpose: no other Python registry is reachable here,
# and its python3 is /usr/bin/python3 (not a pyenv interpreter that would not see the packages).
set -euo pipefail

need=()
for pkg in python3-torch python3-onnx libopenblas0-pthread python3-numpy python3-pil; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    need+=("$pkg")
  fi
done

if [ "${#need[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  # libopenblas0-pthread matters: without it torch falls back to reference BLAS and trains ~20x slower.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need[@]}"
fi

/usr/bin/python3 -c "import torch, onnx, numpy, PIL; print('torch', torch.__version__, 'onnx', onnx.__version__, 'numpy', numpy.__version__)"
