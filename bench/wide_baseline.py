"""Narrow and wide baselines: how well a checkpoint renders held-out rooms from contexts close together and far apart.

LSM's protocol (chapter 11, what bench/train_cpu_tiny.py scores) takes each target frame i with i % 8 in {1, 4} and
the two frames beside it, i - 1 and i + 1, as contexts: the target lies between two nearly identical views. Training
samples two contexts `frame_gap` frames apart (25 in the presets) with four targets between them, so most of a target
is seen by only one context, and what the other context shows has to be kept too. This script renders both kinds of
sample through the same function, the trainer's held-out check (`train.validate`: the pruned prediction, the targets
at their true cameras relative to view 1, PSNR of the colour), over every item of each room set:
- `narrow`: LSM's test items (`SceneDataset(mode="test")`);
- `wide`: the training's view sampling (`SceneDataset(mode="train")` with the preset's frame_gap and num_targets,
  epoch 0, so every checkpoint sees the same samples).
Room sets: the committed rooms (data_samples/synthetic, seeds 0-2) and the unseen procedural rooms of
bench/train_cpu_tiny.py's `--extra-rooms` (seeds 500+). No scale alignment: on the committed rooms the protocol's
Weiszfeld alignment moves the checkpoints' PSNR by less than 0.03 dB.

Usage: python bench/wide_baseline.py [--checkpoint NAME=PATH ...] [--extra-rooms 6] [--threads 1]
                                     [--out bench/results/wide_baseline.json]
(default: the committed checkpoint, data_samples/checkpoints/cpu_tiny.safetensors)
"""
import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generalization import command_line, emit, held_out_rooms  # noqa: E402
from instance_field import parse_checkpoints  # noqa: E402
from train_cpu_tiny import ROOT, extra_rooms  # noqa: E402

from spatialsplat.core import machine_info  # noqa: E402
from spatialsplat.data import SceneDataset, sample_data_root  # noqa: E402
from spatialsplat.pretrained import from_pretrained  # noqa: E402
from spatialsplat.train import validate  # noqa: E402
from spatialsplat.train_config import TrainConfig  # noqa: E402


def datasets(source: Path, size: int, cfg: TrainConfig) -> dict:
    "The two samplings of one room set."
    return {"narrow": SceneDataset(source, size=size, mode="test"),
            "wide": SceneDataset(source, size=size, mode="train", frame_gap=cfg.frame_gap, num_targets=cfg.num_targets)}


def score(model, ds: SceneDataset, cfg: TrainConfig) -> dict:
    "Mean PSNR and kept fraction over every item of `ds`."
    v = validate(model, ds, cfg, torch.device("cpu"), n=len(ds))
    return {"psnr": v["val_psnr"], "kept_fraction": v["val_kept_fraction"], "items": v["val_samples"]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", action="append", default=[], help="NAME=PATH of a .safetensors checkpoint (repeatable)")
    p.add_argument("--extra-rooms", type=int, default=6, help="unseen procedural rooms (seeds 500+) to score on")
    p.add_argument("--preset", default="cpu_tiny", help="the training preset whose frame_gap / num_targets make the wide samples")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=None, help="write the JSON here too (atomically)")
    a = p.parse_args(argv)
    if a.extra_rooms < 1: p.error(f"--extra-rooms must be >= 1, got {a.extra_rooms}")
    torch.set_num_threads(a.threads)
    cfg = TrainConfig.preset(a.preset)
    results = {}
    for name, path in parse_checkpoints(p, a.checkpoint).items():
        model = from_pretrained(path).eval()
        size = model.config.image_size[0]
        sets = {"committed rooms": sample_data_root(), "unseen rooms": extra_rooms(a.extra_rooms, size)}
        got = {k: {mode: score(model, ds, cfg) for mode, ds in datasets(src, size, cfg).items()} for k, src in sets.items()}
        results[name] = {"checkpoint": str(path.resolve().relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path), **got}
        print(json.dumps({name: {k: {m: round(s["psnr"], 2) for m, s in v.items()} for k, v in got.items()}}), file=sys.stderr)
    out = {"benchmark": "PSNR of held-out rooms from narrow (LSM's items) and wide (the training's sampling) context pairs",
           "command": command_line("bench/wide_baseline.py", argv),
           "samplings": {"narrow": "LSM's test items: contexts i-1 and i+1 around target i (i % 8 in {1, 4})",
                         "wide": f"{a.preset}'s training sampling: contexts {cfg.frame_gap} frames apart, {cfg.num_targets} targets between, epoch 0"},
           "rooms": held_out_rooms(a.extra_rooms), "torch_threads": a.threads, "machine": machine_info(), "results": results}
    return emit(out, a.out)


if __name__ == "__main__": sys.exit(main())
