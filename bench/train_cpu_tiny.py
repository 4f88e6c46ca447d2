"""The proof that SpatialSplat learns (issue 7): the `cpu_tiny` preset trained from random weights for 30 minutes on a
2-core CPU, then LSM's evaluation protocol (chapter 11) on the held-out synthetic rooms in data_samples/synthetic.

Targets (issue 7; targets, not tests): target-view PSNR > 20 dB, semantic mIoU > 0.6, adjusted Rand index of k-means
clusters of the instance field > 0.6, at most 75% of the Gaussians kept. Misses are reported, not hidden.

Writes
- bench/results/train_cpu_tiny.json: the command, machine, training summary, metrics before / after training, targets;
- bench/results/train_cpu_tiny_metrics.jsonl: the training log (one JSON row per logged step, validation rows too);
- data_samples/checkpoints/cpu_tiny.safetensors: the trained weights in float16 (a few MB), loadable with
  `spatialsplat.pretrained.from_pretrained`; the metrics in the JSON are those of this float16 file.

Usage: python bench/train_cpu_tiny.py [--minutes 30] [--out-dir outputs/proof/cpu_tiny] [--resume] [--no-commit-files]
(`make proof` runs it with the defaults.)
"""
import argparse
import copy
import json
import shutil
import sys
import time
from pathlib import Path

import torch

from spatialsplat.core import atomic_path, machine_info, write_json
from spatialsplat.data import SceneDataset, sample_data_root
from spatialsplat.evaluate import evaluate
from spatialsplat.model import SpatialSplat
from spatialsplat.pretrained import from_pretrained, save_pretrained
from spatialsplat.checkpoints import read_metrics
from spatialsplat.train import TrainConfig, build_model, train

TARGETS = {"psnr": (">", 20.0), "miou": (">", 0.6), "ari": (">", 0.6), "kept_fraction": ("<=", 0.75)}
ROOT = Path(__file__).resolve().parent.parent


def held_out_metrics(model: SpatialSplat, out_dir: Path | None, max_items: int | None = None) -> dict:
    "LSM's protocol on the committed held-out rooms (seeds 0-2; training rooms use seeds 1000+)."
    ds = SceneDataset(sample_data_root(), size=tuple(model.config.image_size), mode="test")
    rep = evaluate(model.eval(), ds, out_dir, figures=3 if out_dir is not None else False, max_items=max_items)
    o = rep.overall
    keys = ("psnr", "ssim", "miou", "accuracy", "miou_guided", "accuracy_guided", "miou_vs_teacher", "teacher_miou", "ari", "kept_fraction",
            "psnr_pooled", "miou_pooled", "kept_fraction_pooled", "views", "scenes", "items")
    return {k: o[k] for k in keys if k in o}


def verdict(metrics: dict) -> dict:
    out = {}
    for k, (op, v) in TARGETS.items():
        got = metrics.get(k)
        ok = got is not None and (got > v if op == ">" else got <= v)
        out[k] = {"target": f"{op} {v}", "reached": got, "met": bool(ok)}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=30.0, help="training time limit in minutes (default 30)")
    p.add_argument("--out-dir", default="outputs/proof/cpu_tiny", help="the run folder (this script's own: replaced unless --resume)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out-dir instead of starting fresh")
    p.add_argument("--no-commit-files", action="store_true", help="do not write bench/results/ and data_samples/checkpoints/")
    a = p.parse_args(argv)
    cmd = "python bench/train_cpu_tiny.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if not a.resume and Path(a.out_dir).exists():
        print(f"removing the previous proof run in {a.out_dir} (pass --resume to continue it instead)", file=sys.stderr)
        shutil.rmtree(a.out_dir)
    cfg = TrainConfig.preset("cpu_tiny", time_limit_min=a.minutes, out_dir=a.out_dir, resume="auto" if a.resume else None,
                             progress=sys.stderr.isatty())
    torch.set_num_threads(cfg.num_threads or torch.get_num_threads())

    metrics_before = held_out_metrics(build_model(cfg), None)   # the run's initial weights (train() builds them the same way)

    t0 = time.perf_counter()
    res = train(cfg)
    wall = time.perf_counter() - t0

    half = copy.deepcopy(res.model).cpu().half()
    ckpt = (ROOT / "data_samples/checkpoints/cpu_tiny.safetensors") if not a.no_commit_files else Path(a.out_dir) / "cpu_tiny_fp16.safetensors"
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    save_pretrained(half, ckpt)
    model = from_pretrained(ckpt)               # float32 network with the float16-rounded weights
    metrics_after = held_out_metrics(model, Path(a.out_dir) / "eval")

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
        "targets": verdict(metrics_after),
    }
    print(json.dumps(result, indent=1, default=str))
    if not a.no_commit_files:
        res_dir = ROOT / "bench/results"
        write_json(res_dir / "train_cpu_tiny.json", result)
        with atomic_path(res_dir / "train_cpu_tiny_metrics.jsonl") as tmp: shutil.copyfile(Path(a.out_dir) / "metrics.jsonl", tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
