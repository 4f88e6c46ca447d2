"""How much of a checkpoint's quality carries over from the rooms it trained on to rooms it never saw.

LSM's test protocol (chapter 11, the same evaluation `bench/train_cpu_tiny.py` reports) on three room sets:
- `training rooms`: procedural rooms whose seeds the training used (default 1000-1005: the synthetic presets start at
  `synthetic_seed` 1000), written with the committed rooms' 40 frames. The camera path of a room does not depend on its
  length, so these are frames the network trained on: a training-set score;
- `committed rooms`: data_samples/synthetic (seeds 0-2, never trained on);
- `unseen rooms`: procedural rooms with seeds 500+ (never trained on), as `--extra-rooms` of bench/train_cpu_tiny.py.
Per set: PSNR, mIoU (coarse decoding = the paper's protocol, and guided), ARI, kept fraction, the IoU of each class
present in the set's ground truth (coarse decoding, pooled over its views: does the network recognise objects, or only
walls and floors?); and the gaps `training rooms - unseen rooms`. A large gap says the network fits its training rooms
better than it carries over to new ones (more or more varied rooms may help); a small gap with a low score says the limit is
elsewhere (capacity, the loss, the teacher).

Usage: python bench/generalization.py [--checkpoint NAME=PATH ...] [--train-seeds 1000-1005] [--extra-rooms 6]
                                      [--out bench/results/generalization.json]
(default: the committed checkpoint, data_samples/checkpoints/cpu_tiny.safetensors)
"""
import argparse
import json
import shlex
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from instance_field import parse_checkpoints  # noqa: E402
from train_cpu_tiny import EXTRA_ROOM_SEED, ROOT, extra_rooms, present_class_iou, rooms_once  # noqa: E402

from spatialsplat.core import machine_info, write_json  # noqa: E402
from spatialsplat.data import SAMPLE_FRAMES, SceneDataset, sample_data_root  # noqa: E402
from spatialsplat.evaluate import evaluate  # noqa: E402
from spatialsplat.pretrained import from_pretrained  # noqa: E402

KEYS = ("psnr", "miou", "miou_guided", "ari", "kept_fraction", "teacher_miou", "items")


def parse_seeds(spec: str) -> range:
    "'1000-1005' -> range(1000, 1006); a clear error for anything else."
    try:
        lo, hi = (int(x) for x in spec.split("-"))
    except ValueError:
        raise ValueError(f"--train-seeds takes FIRST-LAST (two ints, e.g. 1000-1005), got {spec!r}") from None
    if hi < lo: raise ValueError(f"--train-seeds: LAST must be >= FIRST, got {spec!r}")
    return range(lo, hi + 1)


def training_rooms(seeds: range, size: int, root: Path = ROOT / "outputs/data/training_rooms_eval") -> Path:
    "The training rooms `seeds` in the evaluation's layout (SAMPLE_FRAMES frames each), written once."
    return rooms_once(root / f"{size}px_{seeds.start}-{seeds.stop - 1}", seeds, size)


def scores(model, source: Path) -> dict:
    "The protocol's numbers on one room set, and the IoU of each class present (coarse decoding, pooled over the views)."
    rep = evaluate(model, SceneDataset(source, size=tuple(model.config.image_size), mode="test"), None, figures=False)
    return {**{k: rep.overall[k] for k in KEYS}, "iou_per_class": present_class_iou(rep)}


def command_line(script: str, argv) -> str:
    "The command as it ran, for the JSON."
    return "python " + " ".join(shlex.quote(x) for x in [script, *(argv if argv is not None else sys.argv[1:])])


def held_out_rooms(extra: int) -> dict:
    "What the two held-out room sets are."
    return {"committed rooms": "data_samples/synthetic (seeds 0-2)", "unseen rooms": f"seeds {EXTRA_ROOM_SEED}-{EXTRA_ROOM_SEED + extra - 1}"}


def emit(out: dict, path: str | None) -> int:
    "Print the JSON and write it to `path` too (atomically) when given."
    print(json.dumps(out, indent=1))
    if path: write_json(path, out)
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", action="append", default=[], help="NAME=PATH of a .safetensors checkpoint (repeatable)")
    p.add_argument("--train-seeds", default="1000-1005", help="FIRST-LAST seeds of training rooms to score on")
    p.add_argument("--extra-rooms", type=int, default=6, help="unseen procedural rooms (seeds 500+) to score on")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=None, help="write the JSON here too (atomically)")
    a = p.parse_args(argv)
    try:
        seeds = parse_seeds(a.train_seeds)
    except ValueError as e:
        p.error(str(e))
    if a.extra_rooms < 1: p.error(f"--extra-rooms must be >= 1, got {a.extra_rooms}")
    torch.set_num_threads(a.threads)
    cks = parse_checkpoints(p, a.checkpoint)
    results = {}
    for name, path in cks.items():
        model = from_pretrained(path).eval()
        size = model.config.image_size[0]
        sets = {"training rooms": training_rooms(seeds, size), "committed rooms": sample_data_root(),
                "unseen rooms": extra_rooms(a.extra_rooms, size)}
        got = {k: scores(model, src) for k, src in sets.items()}
        gap = {m: got["training rooms"][m] - got["unseen rooms"][m] for m in ("psnr", "miou", "miou_guided", "ari")}
        results[name] = {"checkpoint": str(path.resolve().relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path),
                         **got, "gap_training_minus_unseen": gap}
        print(json.dumps({name: {k: {m: round(v, 3) for m, v in s.items() if isinstance(v, float)} for k, s in results[name].items()
                                 if isinstance(s, dict)}}), file=sys.stderr)
    out = {"benchmark": "LSM's protocol on the rooms a checkpoint trained on and on rooms it never saw",
           "command": command_line("bench/generalization.py", argv),
           "rooms": {"training rooms": f"seeds {seeds.start}-{seeds.stop - 1}, {SAMPLE_FRAMES} frames (frames the training used)",
                     **held_out_rooms(a.extra_rooms)},
           "torch_threads": a.threads, "machine": machine_info(), "results": results}
    return emit(out, a.out)


if __name__ == "__main__": sys.exit(main())
