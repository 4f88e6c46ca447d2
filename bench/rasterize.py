"""Rasteriser benchmark: the issue's target scenes on the torch backend (CPU), and gsplat vs torch on a GPU when there is one.

Prints JSON and writes bench/results/rasterize.json (or --out). Targets (2-core CPU, torch backend):
  small:         64x64, 8,192 Gaussians, 16 channels, forward + backward <= 0.2 s
  pixel_aligned: 256x256, 87,700 pixel-aligned Gaussians, RGB + 8 channels (+ expected depth):
                 forward <= 1 s, forward + backward <= 3 s, peak process memory <= 2 GB
GPU (when CUDA and gsplat work): 256x256 with all 131,072 pixel-aligned Gaussians, gsplat vs torch backend.
"""
import argparse
import json
import os
import sys
from pathlib import Path

import torch

from spatialsplat.core import machine_info, peak_memory, time_it, write_json
from spatialsplat.geometry import default_intrinsics, demo_views, interpolate_viewmats, random_quats
from spatialsplat.render import gsplat_status, rasterize
from spatialsplat.splatting import gaussians_from_depth

TARGETS = {"small": {"forward_backward_s": 0.2},
           "pixel_aligned": {"forward_s": 1.0, "forward_backward_s": 3.0, "peak_process_bytes": 2 * 2**30}}


def small_scene(n=8192, size=64, channels=16, seed=0):
    """n Gaussians spread over a 64x64 view at depths 2-4, about 1-4 pixels across, with `channels` features."""
    g = torch.Generator().manual_seed(seed)
    z = torch.rand(n, generator=g) * 2 + 2
    means = torch.cat([(torch.rand(n, 2, generator=g) * 2 - 1) * z[:, None] * 0.5, z[:, None]], -1)
    scales = torch.rand(n, 3, generator=g) * 0.04 + 0.01
    return dict(means=means, quats=random_quats(n, g), scales=scales, opacities=torch.rand(n, generator=g) * 0.8 + 0.2,
                colors=torch.rand(n, channels, generator=g), viewmats=torch.eye(4)[None], Ks=default_intrinsics(size, size)[None],
                width=size, height=size)


def pixel_aligned_scene(keep=87_700, size=256, extra_channels=8, seed=0):
    """Two 256x256 views of the demo room, one Gaussian per pixel (std half a pixel), `keep` of them kept at random,
    RGB + `extra_channels` features, seen from a camera half-way between the two views."""
    v = demo_views(size, size)
    room = gaussians_from_depth(v["rgb"], v["depth"], v["Ks"], v["viewmats"], scale_px=0.5)
    g = torch.Generator().manual_seed(seed)
    if keep < len(room):
        room = room.select(torch.randperm(len(room), generator=g)[:keep])
    feats = torch.cat([room.colors, torch.randn(len(room), extra_channels, generator=g)], -1)
    target = interpolate_viewmats(v["viewmats"][0], v["viewmats"][1], 3)[1:2]
    return dict(means=room.means, quats=room.quats, scales=room.scales, opacities=room.opacities, colors=feats,
                viewmats=target, Ks=v["Ks"][:1], width=size, height=size)


def measure(scene, backend="torch", device="cpu", repeats=5, render_mode="RGB"):
    """Forward and forward + backward times (median), kept pairs, and peak memory of one forward + backward."""
    sc = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in scene.items()}
    params = {k: sc[k].clone().requires_grad_() for k in ("means", "quats", "scales", "opacities", "colors")}
    cams = {k: sc[k] for k in ("viewmats", "Ks", "width", "height")}

    def fwd():
        with torch.no_grad():
            return rasterize(**params, **cams, render_mode=render_mode, backend=backend)

    def fwd_bwd():
        out, alpha, meta = rasterize(**params, **cams, render_mode=render_mode, backend=backend)
        (out.sum() + alpha.sum()).backward()
        return meta

    meta = fwd_bwd()
    res = {"backend": meta["backend"], "device": device, "gaussians": len(sc["means"]), "channels": sc["colors"].shape[-1],
           "render_mode": render_mode, "size": [sc["height"], sc["width"]]}
    if "n_pairs" in meta:
        res["kept_pairs"] = meta["n_pairs"]
    f, fb = time_it(fwd, warmup=1, repeats=repeats, device=device), time_it(fwd_bwd, warmup=1, repeats=repeats, device=device)
    res.update({"forward_s": f["median_s"], "forward_min_s": f["min_s"], "forward_backward_s": fb["median_s"],
                "forward_backward_min_s": fb["min_s"], "repeats": repeats})
    _, mem = peak_memory(fwd_bwd, device=device)
    res.update({"peak_process_bytes" if device == "cpu" else "peak_gpu_bytes": mem["peak_bytes"], "peak_extra_bytes": mem["peak_extra_bytes"]})
    return res


def check_targets(name, res):
    """Which targets a CPU result meets: {metric: (value, target, met)}."""
    return {k: (res[k], t, res[k] <= t) for k, t in TARGETS.get(name, {}).items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "rasterize.json"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    args = ap.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    results = {"machine": machine_info(), "note": "median wall-clock seconds; peak_process_bytes is the process RSS peak "
               "(CPU) during one forward + backward; load_average (1, 5, 15 min) shows how busy the machine was",
               "load_average_before": os.getloadavg(), "cpu": {}, "gpu": None}
    small = small_scene()
    results["cpu"]["small"] = measure(small, repeats=args.repeats)
    results["cpu"]["pixel_aligned"] = measure(pixel_aligned_scene(), repeats=args.repeats, render_mode="RGB+ED")
    for name, res in results["cpu"].items():
        res["targets"] = {k: {"value": v, "target": t, "met": m} for k, (v, t, m) in check_targets(name, res).items()}
    results["load_average_after_cpu"] = os.getloadavg()
    ok, why = gsplat_status()
    if ok:
        big = pixel_aligned_scene(keep=10**9)     # all 131,072 Gaussians
        results["gpu"] = {b: measure(big, backend=b, device="cuda", repeats=20, render_mode="RGB+ED") for b in ("gsplat", "torch")}
        results["gpu"]["gsplat_share_of_78ms_budget"] = results["gpu"]["gsplat"]["forward_s"] / 0.078
    else:
        results["gpu_skipped"] = why
    write_json(args.out, results)
    json.dump(results, sys.stdout, indent=2)
    print()
    return results


if __name__ == "__main__":
    main()
