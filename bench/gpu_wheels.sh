#!/usr/bin/env bash
# Download the wheels bench/gpu_check.sh installs on a GPU machine that cannot reach a package registry, into .whl/
# (git-ignored). Run it where pip reaches PyPI; the GPU machine's image (Python 3.12, CUDA torch, numpy, packaging,
# PyYAML, pygments, setuptools, ...) already holds everything else.
#   gsplat 1.5.3         the CUDA rasteriser (pure Python; its kernels JIT-compile on first use)
#   segment-anything     the SAM teacher (chapter 09's cuda cells)
#   nbdev/execnb/fastcore and their IPython dependencies: nbdev_test runs the notebooks' `#| cuda` cells
set -euo pipefail
dest=${1:-.whl}
py=${PYTHON:-python3}
tmp=$(mktemp -d)
plat=(--only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any)
"$py" -m pip download -q "${plat[@]}" -d "$tmp" nbdev==2.4.14 execnb==0.1.16 fastcore==1.12.47 segment-anything==1.0
"$py" -m pip download -q --no-deps "${plat[@]}" -d "$tmp" gsplat==1.5.3
mkdir -p "$dest"
# what the GPU image already has stays out: a second copy of numpy/packaging/... on PYTHONPATH could shadow the image's
for f in "$tmp"/*.whl; do
  case $(basename "$f") in
    build-*|packaging-*|psutil-*|pygments-*|pyproject_hooks-*|pyyaml-*|PyYAML-*|setuptools-*|six-*|typing_extensions-*|wheel-*) ;;
    *) cp "$f" "$dest/" ;;
  esac
done
rm -rf "$tmp"
echo "gpu-wheels: $(ls "$dest"/*.whl | wc -l) wheels, $(du -sh "$dest" | cut -f1) in $dest"
