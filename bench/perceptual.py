"""Speed and memory of the image-quality metrics (nbs/09a_perceptual.ipynb) at the paper's resolution.

PSNR and SSIM forward; SSIM, LPIPS-AlexNet and LPIPS-VGG16 forward (no autograd) and forward + backward
(what a training step pays for the loss). LPIPS uses random weights in the official layouts: the cost does
not depend on the values. Prints JSON and writes bench/results/perceptual.json.

    python bench/perceptual.py [--batch 4] [--size 256] [--repeats 3] [--threads N]

On a machine whose cores are shared with other jobs, --threads 1 gives repeatable numbers (more threads
than free cores make OpenMP timings swing tenfold); machine_info records the thread count used.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch

from spatialsplat.core import get_device, machine_info, peak_memory, time_it, write_json
from spatialsplat.perceptual import LPIPS, LPIPS_NETS, psnr, ssim, write_random_lpips_weights


def run(batch: int = 4, size: int = 256, repeats: int = 3) -> dict:
    dev = get_device()
    g = torch.Generator().manual_seed(0)
    pred = torch.rand(batch, 3, size, size, generator=g).to(dev)
    target = torch.rand(batch, 3, size, size, generator=g).to(dev)

    def fwd_bwd(fn):
        def step():
            p = pred.clone().requires_grad_()
            fn(p, target).sum().backward()
        return step

    def no_grad(fn):
        def step():
            with torch.no_grad(): fn(pred, target)
        return step

    cases = {"psnr forward": no_grad(psnr), "ssim forward": no_grad(ssim), "ssim forward+backward": fwd_bwd(ssim)}
    with tempfile.TemporaryDirectory() as d:
        for net in LPIPS_NETS:
            model = LPIPS.from_files(*write_random_lpips_weights(d, net), net=net).to(dev)
            cases[f"lpips-{net} forward"] = no_grad(model)
            cases[f"lpips-{net} forward+backward"] = fwd_bwd(model)
        results = {}
        for name, fn in cases.items():
            _, mem = peak_memory(fn, device=dev)   # first, before the allocator holds on to memory from the timed runs
            t = time_it(fn, warmup=1, repeats=repeats, device=dev)
            results[name] = {"median_ms": round(t["median_s"] * 1e3, 2), "min_ms": round(t["min_s"] * 1e3, 2),
                             "ms_per_image": round(t["median_s"] * 1e3 / batch, 2),
                             "peak_extra_MiB": round(mem["peak_extra_bytes"] / 2**20, 1)}
    return {"benchmark": "perceptual", "batch": batch, "image_size": [size, size], "device": str(dev),
            "note": "LPIPS with random weights (same cost as the real ones)",
            "results": results, "machine": machine_info()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    a = ap.parse_args()
    if a.threads is not None: torch.set_num_threads(a.threads)
    out = run(a.batch, a.size, a.repeats)
    print(json.dumps(out, indent=2))
    write_json(Path(__file__).resolve().parent / "results" / "perceptual.json", out)


if __name__ == "__main__":
    main()
