"""One factor at a time: short training runs of equal length (the same number of optimizer steps) from the `cpu_tiny`
recipe, each scored with LSM's protocol on the committed held-out rooms (chapter 11's `evaluate`: PSNR, coarse-only and
instance-guided mIoU, ARI of the instance field, kept fraction), with its learning curve.

Writes bench/results/ablation.json after every run (the runs already in it are skipped, so the script resumes), and the
runs' folders under --out-dir (metrics.jsonl: the learning curves the training chapter plots).

Usage: python bench/ablation.py [--steps 500] [--threads 1] [--only NAME ...] [--out-dir outputs/ablation]
"""
import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_cpu_tiny import held_out_metrics, logit_range  # noqa: E402

from spatialsplat.checkpoints import read_metrics  # noqa: E402
from spatialsplat.core import machine_info, write_json  # noqa: E402
from spatialsplat.train import train  # noqa: E402
from spatialsplat.train_config import _CPU_TINY_NET, TrainConfig  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench/results/ablation.json"
BASE_NET = dict(_CPU_TINY_NET)  # the cpu_tiny network without the importance remedies
FIXES = {"importance_logit_bound": 10.0, "importance_explore": 0.1}
# name -> (what changes, TrainConfig overrides on top of the base recipe)
VARIANTS = {
    "base": ("cpu_tiny with the importance remedies (logit bound 10, exploration 0.1, budget target 0.6)", {}),
    "paper importance": ("the paper's switch and the plain L1 budget (no bound, no exploration, no target)",
                         {"model_overrides": dict(BASE_NET), "importance_target": None}),
    "no budget": ("no importance budget at all", {"importance_budget": 0.0}),
    "patch 16": ("patch size 16 instead of 8 (4 x 4 tokens per view instead of 8 x 8)", {"model_overrides": {**BASE_NET, **FIXES, "patch_size": 16}}),
    "wider": ("encoder and decoder width 128 instead of 64", {"model_overrides": {**BASE_NET, **FIXES, "enc_dim": 128, "dec_dim": 128}}),
    "lr 2e-3": ("learning rate 2e-3 instead of 1e-3", {"lr": 2e-3, "backbone_lr": 2e-3}),
    "no point loss": ("point-map loss weight 0 instead of 1", {"point_weight": 0.0}),
    "batch 4": ("4 scenes per step instead of 2 (twice the samples)", {"batch_size": 4}),
    "2 targets": ("2 target views per sample instead of 4", {"num_targets": 2}),
    "8 rooms": ("8 training rooms instead of 32", {"synthetic_scenes": 8}),
    "contrastive 1.0": ("contrastive loss weight 1.0 instead of 0.5", {"contrastive_weight": 1.0}),
    "exact contrastive": ("the exact O(P D) contrastive loss instead of the random-partner estimator", {"contrastive": "exact"}),
    "centred signed": ("semantic loss cosine + centred cosine (chapter 9b), semantic head without its final ReLU",
                       {"semantic_loss": "cosine+centred", "model_overrides": {**BASE_NET, **FIXES, "semantic_relu": False}}),
}


def base_config(steps: int, threads: int, out_dir: Path) -> dict:
    return dict(model_overrides={**BASE_NET, **FIXES}, importance_target=0.6, importance_logit_weight=0.0, synthetic_scenes=32,
                cache_views=4096, max_steps=steps, warmup_steps=50, val_data=None,
                num_threads=threads, checkpoint_every=10**9, out_dir=str(out_dir), progress=False, log_every=10)


def run_variant(name: str, steps: int, threads: int, out_root: Path) -> dict:
    what, over = VARIANTS[name]
    out = out_root / name.replace(" ", "_")
    if out.exists(): shutil.rmtree(out)
    cfg = TrainConfig.preset("cpu_tiny", **{**base_config(steps, threads, out), **over})
    t0 = time.perf_counter()
    res = train(cfg)
    wall = time.perf_counter() - t0
    metrics = held_out_metrics(res.model.eval(), None)
    logits = logit_range(res.model)
    curve = [{k: r[k] for k in ("step", "loss", "rgb", "psnr", "kept", "semantic", "contrastive") if k in r}
             for r in read_metrics(out) if "loss" in r]
    return {"what": what, "overrides": over, "steps": res.step, "threads": threads, "train_s": wall, "samples_per_s": res.samples_per_s,
            "held_out": metrics, "curve": curve, "logit_range": logits}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--only", nargs="*", default=None, help="variant names (default: all)")
    p.add_argument("--out-dir", default="outputs/ablation")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    names = a.only or list(VARIANTS)
    bad = [n for n in names if n not in VARIANTS]
    if bad: p.error(f"unknown variant(s) {bad}; expected some of {list(VARIANTS)}")
    doc = json.loads(RESULT.read_text()) if RESULT.is_file() else {}
    if doc.get("steps") not in (None, a.steps): p.error(f"{RESULT} holds runs of {doc['steps']} steps; remove it to change --steps")
    # the first call fixes the header (its threads, machine and base config); each run also records its own threads
    doc = {"benchmark": "ablation", "steps": a.steps, "threads": a.threads, "machine": machine_info(),
           "base": base_config(a.steps, a.threads, Path(a.out_dir)), **doc, "runs": doc.get("runs", {})}
    for name in names:
        if name in doc["runs"]: continue
        print(f"{name}: {VARIANTS[name][0]}", file=sys.stderr, flush=True)
        doc["runs"][name] = run_variant(name, a.steps, a.threads, Path(a.out_dir))
        h = doc["runs"][name]["held_out"]
        print(f"  psnr {h['psnr']:.2f} miou {h['miou']:.3f} guided {h.get('miou_guided', float('nan')):.3f} ari {h['ari']:.3f} "
              f"kept {h['kept_fraction']:.2f} ({doc['runs'][name]['train_s']:.0f} s)", file=sys.stderr, flush=True)
        write_json(RESULT, doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
