"""How large the fine Gaussians of a checkpoint are on screen, beside the held-out PSNR of its run.

For every item of LSM's test protocol on the committed held-out rooms (chapter 11) the checkpoint predicts both context
views; for view 1's kept Gaussians (importance above the threshold), whose camera is the frame the prediction lives in,
it measures the largest scale axis in pixels of that view: scale_max * f_x / z (1 sigma; z the Gaussian's depth). It
reports the median and the 90th percentile over all those Gaussians, the fraction of each view's Gaussians kept, each
view's pointmap error against the ground truth (chapter 9b's `pointmap_loss` per view: mean |pred - gt| over the scene's
mean depth, in view 1's frame), the PSNR of each view's degree-0 colours against the pixels they sit on (did the
network give each Gaussian its own pixel's colour?), each view's share of the blending weight at the target cameras
(which view draws the scene: the kept Gaussians rendered with a one-hot view label as their feature, after the
protocol's scale alignment), each view's median ratio of predicted to true distance from camera 1 (after the same
alignment: below 1, its points sit in front of the surfaces), and the run's held-out PSNR read from the run's JSON (`bench/results/runs_2000/NAME.json`,
or the committed `train_cpu_tiny.json`), so that blur from oversized Gaussians can be told from other losses of colour.

Usage: python bench/gaussian_size.py --checkpoint NAME=PATH[=RUN_JSON] ... [--out bench/results/gaussian_size.json]
(default: the committed checkpoint with bench/results/train_cpu_tiny.json). RUN_JSON `-` measures a checkpoint without a
run JSON (a step checkpoint of a run still training: the held-out PSNR and ARI are then null), e.g. to follow which view
draws the targets over a run's course.
"""
import argparse
import json
import shlex
import sys
from dataclasses import replace
from pathlib import Path

import torch

from spatialsplat.core import machine_info, write_json
from spatialsplat.data import SceneDataset, collate_views, sample_data_root
from spatialsplat.evaluate import align_scale, context_points, scale_gaussians, target_cameras
from spatialsplat.objective import pointmap_loss
from spatialsplat.pretrained import from_pretrained
from spatialsplat.render import render
from spatialsplat.splatting import sh_to_rgb

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = (ROOT / "data_samples/checkpoints/cpu_tiny.safetensors", ROOT / "bench/results/train_cpu_tiny.json")


def protocol_scale(pred, b: dict) -> tuple[float, torch.Tensor, torch.Tensor]:
    "The protocol's scale of the prediction (Weiszfeld, as chapter 11 aligns it) and the true points / valid mask it used."
    gt, valid = context_points(b, 0)
    return float(align_scale(pred.pointmaps[0].reshape(-1, 3), gt.reshape(-1, 3), valid.reshape(-1), "weiszfeld")), gt, valid


@torch.no_grad()
def view_shares(pred, b: dict, s: float) -> torch.Tensor:
    "[V] each context view's share of the blending weight over the target pixels (kept Gaussians, at the protocol's scale s)."
    V, H, W = pred.keep.shape[1:]
    g = scale_gaussians(pred.fine_gaussians[0], s)
    label = torch.nn.functional.one_hot(torch.arange(V).repeat_interleave(H * W)[pred.keep[0].flatten()], V).to(g.means)
    w = render(replace(g, instance=label), target_cameras(b, 0), b["target_Ks"][0], W, H, features=["instance"])["instance"].mean((0, 1, 2))
    return w / w.sum().clamp_min(1e-12)


def distance_ratios(pred, s: float, gt: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    "[V] median over each view's valid pixels of |point| / |true point| from camera 1, at the protocol's scale s: < 1 in front of the truth."
    pm = pred.pointmaps[0]
    return torch.stack([(s * pm[v][valid[v]].norm(dim=-1) / gt[v][valid[v]].norm(dim=-1)).median() for v in range(len(pm))]).double()


@torch.no_grad()
def sizes_px(model, source: Path) -> tuple[torch.Tensor, dict]:
    "Largest scale axis in pixels of every kept fine Gaussian of view 1, over the protocol's items; per-view measurements (means over items)."
    ds, out, per_view = SceneDataset(source, size=tuple(model.config.image_size), mode="test"), [], {k: [] for k in PER_VIEW}
    for i in range(len(ds)):
        b = collate_views([ds[i]])
        teacher = b["context_features"] if model.config.teacher_dim else None
        pred = model.eval().predict(b["context_images"], b["context_Ks"], teacher)
        f = pred.fine
        per_view["point_error_per_view"].append(pointmap_loss(pred.pointmaps, b["context_depths"], b["context_Ks"], b["context_viewmats"], per_view=True)[0])
        per_view["kept_fraction_per_view"].append(pred.keep[0].flatten(1).double().mean(1))
        s, gt, valid = protocol_scale(pred, b)
        per_view["distance_ratio_per_view"].append(distance_ratios(pred, s, gt, valid))
        mse = (sh_to_rgb(f.sh[0, ..., 0, :]).clamp(0, 1) - b["context_images"][0].permute(0, 2, 3, 1)).square().flatten(1).mean(1)
        per_view["dc_color_psnr_per_view"].append(-10 * torch.log10(mse))
        per_view["target_weight_share_per_view"].append(view_shares(pred, b, s))
        kept = pred.keep[0, 0]
        z = f.means[0, 0, ..., 2].clamp_min(1e-6)
        px = f.scales[0, 0].max(-1).values * b["context_Ks"][0, 0, 0, 0] / z
        out.append(px[kept & (f.means[0, 0, ..., 2] > 0)])
    return torch.cat(out), {k: torch.stack(v).double().mean(0).tolist() for k, v in per_view.items()}


PER_VIEW = ("kept_fraction_per_view", "point_error_per_view", "dc_color_psnr_per_view", "target_weight_share_per_view",
            "distance_ratio_per_view")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", action="append", default=[], help="NAME=PATH[=RUN_JSON]; RUN_JSON default: bench/results/runs_2000/NAME.json")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=None, help="write the JSON here too (atomically)")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    specs = a.checkpoint or [f"committed={COMMITTED[0]}={COMMITTED[1]}"]
    results = {}
    for spec in specs:
        parts = spec.split("=")
        if len(parts) not in (2, 3): p.error(f"--checkpoint takes NAME=PATH or NAME=PATH=RUN_JSON, got {spec!r}")
        name, path = parts[0], Path(parts[1])
        run = None if parts[2:] == ["-"] else Path(parts[2]) if len(parts) == 3 else ROOT / "bench/results/runs_2000" / f"{name}.json"
        for f, what in ((path, "checkpoint"), (run, "run JSON")):
            if f is not None and not f.is_file(): p.error(f"{what} not found: {f} (RUN_JSON '-' for none)")
        px, per_view = sizes_px(from_pretrained(path), sample_data_root())
        held = json.loads(run.read_text())["held_out"]["after_training"] if run else {"psnr": None, "ari": None}
        run_json = None if run is None else str(run.resolve().relative_to(ROOT)) if run.resolve().is_relative_to(ROOT) else str(run)
        results[name] = {"checkpoint": str(path), "run_json": run_json,
                         "held_out_psnr": held["psnr"], "held_out_ari": held["ari"], "kept_gaussians": len(px), **per_view,
                         "size_px_median": float(px.median()), "size_px_p90": float(px.quantile(0.9))}
        print(json.dumps({name: {k: v for k, v in results[name].items() if k not in ("checkpoint", "run_json")}}), file=sys.stderr)
    out = {"benchmark": "on-screen size of the kept fine Gaussians of view 1 (largest axis, pixels, 1 sigma) on the committed held-out rooms",
           "command": "python " + " ".join(shlex.quote(x) for x in ["bench/gaussian_size.py", *(argv if argv is not None else sys.argv[1:])]),
           "torch_threads": a.threads, "machine": machine_info(), "results": results}
    print(json.dumps(out, indent=1))
    if a.out: write_json(a.out, out)
    return 0


if __name__ == "__main__": sys.exit(main())
