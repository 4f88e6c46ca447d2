#!/usr/bin/env bash
# One prepared run of every CUDA code path on a bare GPU machine (no package registry): see bench/gpu_check.py.
#
#   bash bench/gpu_check.sh OUTPUT_DIR [--cpu-dry-run] [--train-minutes M] [--budget-s S]
#
# 1. installs the project with --no-deps into a private folder, plus the wheels in .whl/ (gsplat and the notebook
#    runner; `make gpu-wheels` downloads them on a machine with the registry), then hands over to gpu_check.py, which
#    builds gsplat's CUDA extension (timed), runs the cuda tests and `#| cuda` cells, measures the large preset per
#    stage (the paper's Table 6), gsplat vs torch rasterisation, trains under torchrun and scores it on held-out rooms.
# --cpu-dry-run runs the same steps at toy sizes on a CPU (make test runs it), so GPU time goes to GPU work alone.
set -euo pipefail
if [ $# -lt 1 ] || [[ "$1" == -* ]]; then
  echo "usage: bash bench/gpu_check.sh OUTPUT_DIR [--cpu-dry-run] [--train-minutes M] [--budget-s S]" >&2
  exit 2
fi
out=$1; shift
repo=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python3}
mkdir -p "$out"
site=$(mktemp -d)/site
t0=$(date +%s%N)
if compgen -G "$repo/.whl/*.whl" >/dev/null; then
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" "$repo"/.whl/*.whl
fi
# the project itself, without dependencies (the machine's torch, numpy, safetensors, ... stay as they are)
"$py" -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir --target "$site" "$repo" >/dev/null
t1=$(date +%s%N)
export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
export PATH="$site/bin:$PATH"
export SPATIALSPLAT_DATA="$repo/data_samples"
export PYTHONUNBUFFERED=1
# the installed copy, not the checkout, is what runs (tests import it through PYTHONPATH)
cd "$repo"
exec "$py" "$repo/bench/gpu_check.py" "$out" --install-s "$(( (t1 - t0) / 1000000 ))e-3" --site "$site" "$@"
