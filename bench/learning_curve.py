"""Held-out learning curve of a training run: LSM's protocol (chapter 11) on the committed held-out rooms (seeds 0-2) and
on N unseen procedural rooms (seeds 500+, as `bench/train_cpu_tiny.py --extra-rooms N`) for every checkpoint the run
saved at a multiple of --every steps, one row per checkpoint. The trainer's validation tracks only PSNR and the
semantic cosine; this is how the ARI and both mIoU decodings of a long run are followed step by step.

Each row holds, per room set, PSNR, ARI, guided and coarse mIoU and the kept fraction, plus the raw importance logits'
range and, per context view on the committed rooms, `bench/gaussian_size.py`'s measurements (the fraction of its
Gaussians kept, its pointmap error, how well its Gaussians' colours match their pixels, its share of the blending weight
at the targets: which view draws the scene). The weights are rounded to float16 first, as the committed checkpoints are.

The trainer keeps only its last `keep_checkpoints` checkpoints, so `--watch` scores them while the run is going: it
looks at the run's checkpoints every --poll seconds and stops once the run's result.json reports its last step, or
after --idle-minutes without a new checkpoint. Rows already in --out are kept (a watch can be restarted).

Usage: python bench/learning_curve.py RUN_DIR [--every 1000] [--extra-rooms 6] [--watch] [--threads 1]
                                      [--out bench/results/curve_NAME.json]
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gaussian_size import sizes_px  # noqa: E402
from train_cpu_tiny import extra_rooms, held_out_metrics, logit_range  # noqa: E402

from spatialsplat.checkpoints import check_checkpoint  # noqa: E402
from spatialsplat.core import machine_info, write_json  # noqa: E402
from spatialsplat.data import sample_data_root  # noqa: E402
from spatialsplat.pretrained import load_pretrained  # noqa: E402
from spatialsplat.train import TrainConfig, build_model  # noqa: E402

KEYS = ("psnr", "ari", "miou_guided", "miou", "kept_fraction")


def score(run_dir: Path, folder: Path, n_extra: int) -> dict:
    "One row of the curve: the checkpoint in `folder` (its weights rounded to float16) on both room sets."
    st = check_checkpoint(folder)
    model = build_model(TrainConfig.from_dict(json.loads((run_dir / "config.json").read_text())))
    load_pretrained(model, folder / "model.safetensors")
    model.half().float()
    t0 = time.perf_counter()
    sets = {"committed rooms": held_out_metrics(model, None)}
    if n_extra: sets[f"{n_extra} unseen rooms"] = held_out_metrics(model, None, source=extra_rooms(n_extra, model.config.image_size[0]))
    lr = logit_range(model)
    _, per_view = sizes_px(model, sample_data_root())                # which context view draws the scene (bench/gaussian_size.py)
    return {"step": st["step"], **{k: {m: v[m] for m in KEYS} for k, v in sets.items()},
            "logits": {"min": lr["min"], "max": lr["max"]}, "committed rooms, per context view": per_view,
            "eval_s": round(time.perf_counter() - t0, 1)}


def due(run_dir: Path, every: int, done: set) -> list[Path]:
    "Checkpoint folders at a multiple of `every` steps not scored yet, oldest first."
    out = []
    for p in sorted((run_dir / "checkpoints").glob("step_*")):
        try: s = int(p.name.split("_")[1])
        except (IndexError, ValueError): continue
        if s % every == 0 and s not in done and (p / "trainer.json").is_file(): out.append(p)
    return out


def finished(run_dir: Path) -> bool:
    "The run wrote its result.json at its last step (max_steps)."
    try:
        res, cfg = json.loads((run_dir / "result.json").read_text()), json.loads((run_dir / "config.json").read_text())
        return res.get("step", -1) >= cfg["max_steps"]
    except (OSError, ValueError, KeyError): return False


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir", help="the training run's out_dir (with config.json and checkpoints/)")
    p.add_argument("--every", type=int, default=1000, help="score the checkpoints at multiples of this many steps")
    p.add_argument("--extra-rooms", type=int, default=6, help="also score on this many unseen procedural rooms (0: none)")
    p.add_argument("--watch", action="store_true", help="keep scoring new checkpoints until the run ends")
    p.add_argument("--poll", type=float, default=60.0, help="seconds between looks at the checkpoints (with --watch)")
    p.add_argument("--idle-minutes", type=float, default=30.0, help="stop watching after this long without a new checkpoint")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=None, help="the JSON to write (default RUN_DIR/learning_curve.json)")
    a = p.parse_args(argv)
    run_dir = Path(a.run_dir)
    if not (run_dir / "config.json").is_file(): p.error(f"{run_dir} has no config.json: expected a training run's out_dir")
    if a.every < 1: p.error(f"--every must be >= 1, got {a.every}")
    torch.set_num_threads(a.threads)
    out = Path(a.out) if a.out else run_dir / "learning_curve.json"
    doc = json.loads(out.read_text()) if out.is_file() else {"benchmark": "held-out learning curve", "run": run_dir.name}
    doc.update({"command": "python " + " ".join(sys.argv), "machine": machine_info(), "threads": a.threads, "every": a.every})
    rows = {r["step"]: r for r in doc.get("rows", [])}
    last_new = time.monotonic()
    while True:
        last_pass = not a.watch or finished(run_dir) or time.monotonic() - last_new > 60 * a.idle_minutes   # then one more look
        for folder in due(run_dir, a.every, set(rows)):
            try: rows[int(folder.name.split("_")[1])] = score(run_dir, folder, a.extra_rooms)
            except (OSError, ValueError) as e:          # pruned by the trainer meanwhile, or not complete yet
                print(f"skipped {folder.name}: {e}", file=sys.stderr); continue
            doc["rows"] = [rows[s] for s in sorted(rows)]
            write_json(out, doc)
            print(json.dumps({"step": folder.name, **{k: v for k, v in rows[max(rows)].items() if k.endswith("rooms")}}), flush=True)
            last_new = time.monotonic()
        if last_pass: break
        time.sleep(a.poll)
    if not rows: print(f"no checkpoint at a multiple of {a.every} steps in {run_dir / 'checkpoints'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
