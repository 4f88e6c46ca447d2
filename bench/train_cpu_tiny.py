"""The proof that SpatialSplat learns: a training preset (default `cpu_tiny`) trained from random weights on a 2-core CPU
within a time limit (--minutes), then LSM's evaluation protocol (chapter 11) on the held-out synthetic rooms in
data_samples/synthetic (and, with --extra-rooms, on more unseen procedural rooms).

Targets (targets, not tests): target-view PSNR >= 22 dB, adjusted Rand index of k-means clusters of the instance field
>= 0.7, instance-guided semantic mIoU >= 0.5 (the coarse-only mIoU of the paper's protocol is reported too), and between
30% and 75% of the Gaussians kept. Misses are reported, not hidden.

Writes
- bench/results/train_cpu_tiny.json: the command, machine, training summary, metrics before / after training, targets;
- bench/results/train_cpu_tiny_metrics.jsonl: the training log (one JSON row per logged step, validation rows too);
- data_samples/checkpoints/cpu_tiny.safetensors: the trained weights in float16 (a few MB), loadable with
  `spatialsplat.pretrained.from_pretrained`; the metrics in the JSON are those of this float16 file.

Usage: python bench/train_cpu_tiny.py [--minutes 30] [--out-dir outputs/proof/cpu_tiny] [--resume] [--no-commit-files]
                                     [--preset cpu_tiny] [--set FIELD=VALUE ...] [--name cpu_tiny] [--extra-rooms 6]
(`make proof` runs it with --minutes 60 --extra-rooms 6.) `--name` names the files written (bench/results/train_NAME.json,
data_samples/checkpoints/NAME.safetensors); `--set` changes TrainConfig fields (JSON values; `model_overrides` entries
are merged into the preset's); `--extra-rooms N` also scores the model on N procedural rooms whose seeds (500, 501, ...)
no training run uses (the training rooms use seeds 1000+, the committed held-out rooms 0-2).
"""
import argparse
import copy
import json
import shutil
import shlex
import sys
import time
from pathlib import Path

import torch

from spatialsplat.core import atomic_path, machine_info, write_json
from spatialsplat.data import SAMPLE_FRAMES, SceneDataset, sample_data_root, write_synthetic_dataset
from spatialsplat.evaluate import evaluate
from spatialsplat.model import SpatialSplat
from spatialsplat.pretrained import from_pretrained, save_pretrained
from spatialsplat.checkpoints import read_metrics
from spatialsplat.train import TrainConfig, build_model, train
from spatialsplat.train_config import build_config

TARGETS = {"psnr": (">=", 22.0), "ari": (">=", 0.7), "miou_guided": (">=", 0.5), "kept_fraction": ("in", (0.3, 0.75))}
LAB_TARGETS = {"psnr": (">=", 19.0), "ari": (">=", 0.5), "wall_minutes": ("<=", 10.0)}  # the lab preset: a student's 10 minutes
ROOT = Path(__file__).resolve().parent.parent


EXTRA_ROOM_SEED = 500  # the extra held-out rooms: seeds 500, 501, ... (never a training seed)


def rooms_once(folder: Path, seeds, size: int) -> Path:
    "Procedural rooms `seeds` written (once) into `folder` like the committed ones: SAMPLE_FRAMES frames each, ScanNet layout."
    if not (folder / "done").is_file():
        write_synthetic_dataset(folder, seeds, SAMPLE_FRAMES, size, size)
        (folder / "done").write_text("ok\n")
    return folder


def extra_rooms(n: int, size: int, root: Path = ROOT / "outputs/data/heldout_extra") -> Path:
    "N more held-out rooms (seeds EXTRA_ROOM_SEED, EXTRA_ROOM_SEED + 1, ...), written once."
    return rooms_once(root / f"{size}px_{n}", range(EXTRA_ROOM_SEED, EXTRA_ROOM_SEED + n), size)


def held_out_metrics(model: SpatialSplat, out_dir: Path | None, max_items: int | None = None, source: Path | None = None) -> dict:
    "LSM's protocol on held-out rooms: the committed ones (seeds 0-2; training rooms use seeds 1000+) unless `source` is given."
    ds = SceneDataset(source or sample_data_root(), size=tuple(model.config.image_size), mode="test")
    rep = evaluate(model.eval(), ds, out_dir, figures=3 if out_dir is not None else False, max_items=max_items)
    o = rep.overall
    keys = ("psnr", "ssim", "miou", "accuracy", "miou_guided", "accuracy_guided", "miou_vs_teacher", "teacher_miou", "ari", "kept_fraction",
            "psnr_pooled", "miou_pooled", "kept_fraction_pooled", "views", "scenes", "items")
    return {**{k: o[k] for k in keys if k in o}, "per_class_iou": {"decoding": "coarse (the paper's protocol)", **present_class_iou(rep)}}


def present_class_iou(rep) -> dict:
    "IoU of each class with ground-truth pixels in the evaluated views (coarse decoding, pooled over the views)."
    present = (rep.confusion.sum(1)[1:] > 0).tolist()
    return {c: v for (c, v), p in zip(rep.overall["iou_per_class"].items(), present, strict=True) if p}


@torch.no_grad()
def logit_range(model: SpatialSplat, source: Path | None = None, max_items: int = 8) -> dict:
    "Raw importance logits (the Gaussian head's last channel) of the model on held-out test items: min, median, max."
    ds = SceneDataset(source or sample_data_root(), size=tuple(model.config.image_size), mode="test")
    vals = []
    for i in range(min(max_items, len(ds))):
        item = ds[i]
        pred = model.eval()(item["context_images"][None], item["context_Ks"][None], None if model.config.teacher_dim == 0 else item["context_features"][None])
        vals.append(pred.raw_fine[..., -1].reshape(-1).float())
    v = torch.cat(vals)
    return {"min": v.min().item(), "median": v.median().item(), "max": v.max().item(), "items": min(max_items, len(ds)),
            "beta_exactly_zero": (torch.sigmoid(v) == 0).float().mean().item()}


def verdict(metrics: dict, targets: dict = TARGETS) -> dict:
    "Each target with what was reached and whether it is met."
    out = {}
    for k, (op, v) in targets.items():
        got = metrics.get(k)
        ok = got is not None and (got >= v if op == ">=" else got <= v if op == "<=" else v[0] <= got <= v[1])
        out[k] = {"target": f"{op} {list(v) if op == 'in' else v}", "reached": got, "met": bool(ok)}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=30.0, help="training time limit in minutes (default 30)")
    p.add_argument("--out-dir", default="outputs/proof/cpu_tiny", help="the run folder (this script's own: replaced unless --resume)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out-dir instead of starting fresh")
    p.add_argument("--no-commit-files", action="store_true", help="do not write bench/results/ and data_samples/checkpoints/")
    p.add_argument("--preset", default="cpu_tiny", help="the training preset (default cpu_tiny)")
    p.add_argument("--set", action="append", default=[], help="FIELD=VALUE TrainConfig overrides (JSON values; model_overrides merged)")
    p.add_argument("--name", default="cpu_tiny", help="names the result and checkpoint files (default cpu_tiny)")
    p.add_argument("--checkpoint-out", default=None, help="where the float16 weights go (default data_samples/checkpoints/NAME.safetensors)")
    p.add_argument("--extra-rooms", type=int, default=0, help="also score on this many unseen procedural rooms (seeds 500+)")
    a = p.parse_args(argv)
    cmd = "python bench/train_cpu_tiny.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    if not a.resume and Path(a.out_dir).exists():
        print(f"removing the previous proof run in {a.out_dir} (pass --resume to continue it instead)", file=sys.stderr)
        shutil.rmtree(a.out_dir)
    base = TrainConfig.preset(a.preset)
    sets = [f"model_overrides={json.dumps({**base.model_overrides, **json.loads(x.split('=', 1)[1])})}" if x.startswith("model_overrides=") else x
            for x in a.set]
    cfg = build_config(a.preset, sets=sets, time_limit_min=a.minutes, out_dir=a.out_dir, resume="auto" if a.resume else None,
                       progress=sys.stderr.isatty())
    torch.set_num_threads(cfg.num_threads or torch.get_num_threads())

    targets = LAB_TARGETS if a.preset == "lab" else TARGETS
    metrics_before = held_out_metrics(build_model(cfg), None)   # the run's initial weights (train() builds them the same way)

    t0 = time.perf_counter()
    res = train(cfg)
    wall = time.perf_counter() - t0

    half = copy.deepcopy(res.model).cpu().half()
    ckpt = (ROOT / f"data_samples/checkpoints/{a.name}.safetensors") if not a.no_commit_files else Path(a.out_dir) / f"{a.name}_fp16.safetensors"
    if a.checkpoint_out: ckpt = Path(a.checkpoint_out).resolve()
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    save_pretrained(half, ckpt)
    model = from_pretrained(ckpt)               # float32 network with the float16-rounded weights
    metrics_after = held_out_metrics(model, Path(a.out_dir) / "eval")
    logits = logit_range(model)
    extra = None
    if a.extra_rooms:
        src = extra_rooms(a.extra_rooms, cfg.image_size)
        extra = {"data": f"{a.extra_rooms} procedural rooms, seeds {EXTRA_ROOM_SEED}-{EXTRA_ROOM_SEED + a.extra_rooms - 1} "
                         f"({SAMPLE_FRAMES} frames at {cfg.image_size}^2, generated by this script), LSM test items",
                 "after_training": held_out_metrics(model, Path(a.out_dir) / "eval_extra", source=src)}

    rows = read_metrics(a.out_dir)
    train_rows = [r for r in rows if "loss" in r]
    result = {
        "benchmark": "train_cpu_tiny", "command": cmd.strip(), "machine": machine_info(), "torch_threads": torch.get_num_threads(),
        "config": cfg.to_dict(),
        "train": {"steps": res.step, "stop_reason": res.stop_reason, "training_loop_s": res.elapsed_s, "wall_s_incl_data_and_val": wall,
                  "steps_per_s": res.steps_per_s, "samples_per_s": res.samples_per_s, "skipped_steps": res.skipped_steps,
                  "first_logged": train_rows[0] if train_rows else None, "last_logged": train_rows[-1] if train_rows else None,
                  "last_validation": res.val},
        "checkpoint": {"path": str(ckpt.relative_to(ROOT)) if ckpt.is_relative_to(ROOT) else str(ckpt), "dtype": "float16",
                       "bytes": ckpt.stat().st_size, "parameters": model.parameter_counts()["total"]},
        "held_out": {"data": "data_samples/synthetic (seeds 0-2, never trained on), LSM test items, weiszfeld scale, no pose refinement",
                     "before_training": metrics_before, "after_training": metrics_after},
        "held_out_extra": extra,
        "importance_logits": logits,
        "targets": verdict({**metrics_after, "wall_minutes": wall / 60}, targets),
        "targets_extra": verdict({**extra["after_training"], "wall_minutes": wall / 60}, targets) if extra else None,
    }
    print(json.dumps(result, indent=1, default=str))
    if not a.no_commit_files:
        res_dir = ROOT / "bench/results"
        write_json(res_dir / f"train_{a.name}.json", result)
        with atomic_path(res_dir / f"train_{a.name}_metrics.jsonl") as tmp: shutil.copyfile(Path(a.out_dir) / "metrics.jsonl", tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
