#!/usr/bin/env bash
# One command that rebuilds models/shapes-vqa from scratch: installs the toolchain, trains on CPU, exports the ONNX
# parts, writes eval/calibration/golden data and the eval report. Extra arguments go to train_shapes_vqa.py.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/setup.sh"
exec /usr/bin/python3 "$here/train_shapes_vqa.py" --out "$here/shapes-vqa" "$@"
