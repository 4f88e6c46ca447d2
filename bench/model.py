"""Benchmark of the SpatialSplat network (chapter 07_model): prints JSON and writes bench/results/model.json.

Targets from issue 5 (targets, not tests):
- `tiny` preset, 2 views of 64 x 64, on a 2-core CPU: forward <= 0.2 s; forward + backward (+ render) <= 1 s.
- `large` preset, 2 views of 256 x 256, on an H100: whole forward pass <= 40 ms and <= 4 GB.

The CPU part always runs. The GPU part runs when CUDA is available (otherwise it is recorded as not measured).
Usage: python bench/model.py [--threads N] [--repeats R] [--compile] [--out PATH]
"""
import argparse
import os
import sys
from pathlib import Path

import torch

from spatialsplat.core import machine_info, peak_memory, time_it, write_json
from spatialsplat.geometry import default_intrinsics
from spatialsplat.model import SpatialSplat, SpatialSplatConfig
from spatialsplat.profiling import format_profile, profile_model, render_input_view

TARGETS = {"tiny_cpu_forward_s": 0.2, "tiny_cpu_train_step_s": 1.0, "large_gpu_total_ms": 40.0, "large_gpu_peak_gb": 4.0}


def train_loss(pred, images, Ks):
    "A training-like loss: render scene 0 (fine rgb + instance, coarse semantic) at view 1's camera, compare with view 1."
    H, W = images.shape[-2:]
    fine, coarse = render_input_view(pred, Ks, W, H)
    return ((fine["rgb"][0] - images[0, 0].permute(1, 2, 0)).square().mean() + fine["instance"].square().mean()
            + coarse["semantic"].square().mean() + pred.pointmaps.square().mean() * 1e-3)


def bench_tiny_cpu(repeats: int) -> dict:
    torch.manual_seed(0)
    model = SpatialSplat("tiny")
    inp = model.example_inputs(batch=1, views=2, device="cpu")
    Ks = default_intrinsics(64, 64).expand(1, 2, 3, 3)
    model.eval()
    with torch.no_grad():
        fwd = time_it(lambda: model(**inp), warmup=2, repeats=repeats)
        _, fwd_mem = peak_memory(lambda: model(**inp))
    model.train()

    def step():
        model.zero_grad(set_to_none=True)
        train_loss(model(**inp), inp["images"], Ks).backward()

    train = time_it(step, warmup=1, repeats=repeats)
    _, train_mem = peak_memory(step)
    prof = profile_model(model, batch=1, views=2, warmup=1, repeats=repeats)
    return {"preset": "tiny", "parameters": model.parameter_counts(), "batch": 1, "views": 2, "height": 64, "width": 64,
            "forward_s": fwd, "forward_rss_growth_mb": fwd_mem["peak_extra_bytes"] / 2**20,
            "train_step_s": train, "train_step_rss_growth_mb": train_mem["peak_extra_bytes"] / 2**20,
            "train_step": "forward + render (fine rgb/instance and coarse semantic at view 1) + backward, torch CPU rasteriser",
            "profile": prof["stages"], "profile_table": format_profile(prof)}


def bench_large_gpu(repeats: int, compile_blocks: bool) -> dict:
    if not torch.cuda.is_available():
        return {"measured": False, "reason": "no CUDA device on this machine; run bench/model.py on a GPU machine (H100 target)"}
    out = {"measured": True, "gpu": torch.cuda.get_device_name(), "compiled": compile_blocks}
    # (autocast dtype, weight dtype): float32 throughout; bf16 autocast; bf16 autocast with bf16 weights (half the weight memory)
    for amp, wdtype in (("bf16", torch.bfloat16), ("bf16", torch.float32), (None, torch.float32)):
        torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
        torch.manual_seed(0)
        model = SpatialSplat(SpatialSplatConfig.preset("large", amp_dtype=amp)).to("cuda", wdtype)
        if compile_blocks: model.compile_blocks()
        prof = profile_model(model, batch=1, views=2, height=256, width=256, warmup=3, repeats=repeats)
        name = f"amp_{amp or 'fp32'}_weights_{str(wdtype).split('.')[-1]}"
        out[name] = {"profile": prof["stages"], "profile_table": format_profile(prof),
                     "total_ms": prof["stages"]["total"]["mean_ms"],
                     "total_peak_gb_including_weights": torch.cuda.max_memory_allocated() / 2**30,
                     "weights_gb": sum(p.numel() * p.element_size() for p in model.parameters()) / 2**30}
        del model
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads for the CPU part (default: torch's choice)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--compile", action="store_true", help="compile blocks and heads with torch.compile for the GPU part")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "model.json"))
    args = ap.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    tiny = bench_tiny_cpu(args.repeats)
    large = bench_large_gpu(args.repeats, args.compile)
    met = {"tiny_cpu_forward": tiny["forward_s"]["median_s"] <= TARGETS["tiny_cpu_forward_s"],
           "tiny_cpu_train_step": tiny["train_step_s"]["median_s"] <= TARGETS["tiny_cpu_train_step_s"]}
    if large.get("measured"):
        runs = {k: v for k, v in large.items() if k.startswith("amp_")}
        met["large_gpu_total"] = {k: v["total_ms"] <= TARGETS["large_gpu_total_ms"] for k, v in runs.items()}
        met["large_gpu_memory"] = {k: v["total_peak_gb_including_weights"] <= TARGETS["large_gpu_peak_gb"] for k, v in runs.items()}
    result = {"benchmark": "model", "machine": machine_info(), "torch_threads": torch.get_num_threads(),
              "load_average_1_5_15_before": list(load_before), "load_average_1_5_15_after": list(os.getloadavg()),
              "targets": TARGETS, "met": met, "tiny_cpu": tiny, "large_gpu": large,
              "notes": ["medians are compared with the targets; means and spreads are in the *_s records",
                        "the train step renders the untrained model's Gaussians at view 1 (random inputs); rendering cost grows with the Gaussians in view",
                        "CPU memory is the growth of the process RSS (sampled every ms), not allocator statistics"]}
    write_json(args.out, result)
    printable = {k: v for k, v in result.items()}
    print(__import__("json").dumps(printable, indent=2))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
