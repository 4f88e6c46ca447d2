"""Synthetic-room generation speed (frames per second at 64x64 and 256x256) and data-loader throughput.

Prints JSON and writes bench/results/data.json. Usage: python bench/data.py [--threads N] [--quick]
The load average before and after, and the spread of the repeats, say how noisy the machine was.
"""
import argparse
import os
import sys
import time
from pathlib import Path

import torch

from spatialsplat.core import machine_info, time_it, write_json
from spatialsplat.data import SceneDataset, sample_data_root
from spatialsplat.standins import StandInSemanticTeacher
from spatialsplat.rooms import synthetic_scene


def gen_stats(height, width, n_frames, repeats, **kw):
    """Render one camera path of `n_frames` frames per run (room construction included), `repeats` times."""
    s = time_it(lambda: synthetic_scene(5, n_frames=n_frames, height=height, width=width, **kw), warmup=1, repeats=repeats)
    return {"size": [height, width], "frames_per_run": n_frames, "options": kw, "repeats": repeats,
            "fps_median": round(n_frames / s["median_s"], 3), "fps_best": round(n_frames / s["min_s"], 3),
            "seconds_per_frame_median": round(s["median_s"] / n_frames, 5),
            "spread_std_over_mean": round(s["std_s"] / s["mean_s"], 3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    args = ap.parse_args()
    if args.threads: torch.set_num_threads(args.threads)
    reps = 2 if args.quick else 5
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    results = {
        "generation": [
            gen_stats(64, 64, 16, reps),
            gen_stats(64, 64, 16, reps, shadows=False),
            gen_stats(64, 64, 16, reps, antialias=2),
            gen_stats(256, 256, 4, max(2, reps // 2)),
            gen_stats(256, 256, 4, max(2, reps // 2), shadows=False),
        ],
    }
    ds = SceneDataset(sample_data_root(), size=64, semantic_teacher=StandInSemanticTeacher(dim=512, stride=8))
    n = min(len(ds), 24)
    s = time_it(lambda: [ds[i] for i in range(n)], warmup=0, repeats=max(2, reps // 2))
    results["loader"] = {"what": "SceneDataset over data_samples/synthetic, 64x64, 2 contexts + 4 targets, stand-in features D=512",
                         "samples_per_second_median": round(n / s["median_s"], 2), "spread_std_over_mean": round(s["std_s"] / s["mean_s"], 3)}
    load1 = os.getloadavg()
    out = {"benchmark": "data", "machine": machine_info(), "torch_threads": torch.get_num_threads(),
           "load_average_1min_before_after": [round(load0[0], 2), round(load1[0], 2)],
           "note": ("load average above the core count means other processes competed for the CPU during the run: "
                    "treat the numbers as lower bounds and compare spreads"),
           "seconds_total": round(time.perf_counter() - t0, 1), **results}
    path = Path(__file__).resolve().parent / "results" / "data.json"
    write_json(path, out)
    import json
    print(json.dumps(out, indent=2))
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
