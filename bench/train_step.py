"""Profile of one training step of a preset (default `cpu_tiny`) on this machine: a breakdown in ms, samples/s and peak RSS,
measured at the run's initial weights and at a trained checkpoint (the step's cost moves with the fraction of Gaussians kept).

The step is the trainer's own (`train._start` builds the run exactly as `train` does; `train._forward_backward` and
`train._optimizer_step` are timed as they run). The breakdown comes from timers wrapped around the model's forward pass and
`objective.render_targets` (for this script only) and from torch.profiler for the rasteriser's backward; each stage is the median over the
timed steps, and `step_ms` is the median of whole steps (the stages need not add up to it exactly).

Two modes, measured in the same call (run on a quiet machine):
- `reference`: the step as it was before the compiled rasteriser: `backend="torch"` (chapter 2's pair lists), no view
  cache (every view's PNGs decoded and its teacher features built again), denormal floats kept;
- `fast`: the preset as it is (`backend="auto"`: chapter 2c's compiled loops on a CPU; `cache_views`; denormals flushed
  to zero as `train` does), timed once the views of the timed steps are in the cache (as after the first epoch of a run).
Both use the trainer's fused AdamW and skip the DDP `touch` term without DDP (equal maths: tests/test_train_step.py).
Each measurement also times the network alone (`network_only`: forward and backward through every head, no rendering,
no losses; its FLOPs from torch's FlopCounterMode); `network_bound` is what that leaves: the step's speed at most if
rendering and losses cost nothing.

Usage: python bench/train_step.py [--modes reference,fast] [--steps 12] [--warmup 3] [--threads 2]
                                  [--checkpoint data_samples/checkpoints/cpu_tiny.safetensors ...] [--out bench/results/train_step.json]
"""
import argparse
import contextlib
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from spatialsplat import objective, train as T
from spatialsplat.core import flush_denormals, machine_info, write_json
from spatialsplat.pretrained import load_pretrained
from spatialsplat.train_config import TrainConfig, build_config

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CKPT = ROOT / "data_samples/checkpoints/cpu_tiny.safetensors"
# what the step's speed is compared with: the mean speed of the 2000-step cpu_tiny run committed before the compiled
# rasteriser (bench/results/train_cpu_tiny.json at commit 7616b26: 2 torch threads, pure-PyTorch rasteriser)
EARLIER_RUN = {"samples_per_s": 2.7490151475778015, "source": "bench/results/train_cpu_tiny.json at commit 7616b26"}


class Timers:
    "Named wall-clock accumulators, reset per step."
    def __init__(self): self.now = {}
    def add(self, name, dt): self.now[name] = self.now.get(name, 0.0) + dt

    @contextlib.contextmanager
    def time(self, name):
        t0 = time.perf_counter()
        try: yield
        finally: self.add(name, time.perf_counter() - t0)


def instrument(run, timers: Timers):
    "Wrap the model's forward and objective.render_targets in timers (restored by the returned undo)."
    model, old_fwd, old_rt = run.model, run.model.forward, objective.render_targets

    def fwd(*a, **k):
        with timers.time("model_forward"): return old_fwd(*a, **k)

    def rt(*a, **k):
        with timers.time("render_forward"): return old_rt(*a, **k)

    model.forward, objective.render_targets = fwd, rt
    def undo(): model.forward, objective.render_targets = old_fwd, old_rt
    return undo


def rasteriser_backward_ms(run, steps: int) -> float:
    "Median self time of the compositing backward per step, from torch.profiler (its autograd node's name)."
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            sums, ok, _, _ = T._forward_backward(run)
            run.optimizer.zero_grad(set_to_none=True)
    tot = sum(e.cpu_time_total for e in prof.key_averages() if e.key.startswith("_Composite") and e.key.endswith("Backward"))
    return tot / 1e3 / steps


def network_loss(run, batch) -> torch.Tensor:
    "A scalar of every output of every head for `batch`'s context views: its backward is the network's whole backward, nothing else."
    pred = run.model(batch["context_images"], batch["context_Ks"], batch["context_features"] if run.model.config.teacher_dim > 0 else None)
    outs = [pred.raw_fine, pred.raw_coarse, *(getattr(m, f) for m in (pred.fine, pred.coarse) for f in ("means", "instance", "semantic"))]
    return sum(o.float().square().mean() for o in outs if o is not None)


def network_only(run, steps: int, warmup: int) -> dict:
    """The network alone: forward and backward of `network_loss` (the step's network work without rendering and losses),
    timed as the median of `steps`; its FLOPs from torch's FlopCounterMode (convolutions, matrix products and attention,
    the operations that carry the network's arithmetic)."""
    from torch.utils.flop_counter import FlopCounterMode
    batch = T._to_device(next(run.batches), run.device)
    with FlopCounterMode(display=False) as count:
        loss = network_loss(run, batch)
        forward_flops = count.get_total_flops()
        loss.backward()
    run.model.zero_grad(set_to_none=True)
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        network_loss(run, batch).backward()
        if i >= warmup: times.append(time.perf_counter() - t0)
        run.model.zero_grad(set_to_none=True)
    ms = 1e3 * statistics.median(times)
    gflops = count.get_total_flops() / 1e9
    return {"forward_gflops": forward_flops / 1e9, "forward_backward_gflops": gflops,
            "forward_backward_ms": ms, "gflop_per_s": gflops / ms * 1e3}


def _name(checkpoint: str) -> str:
    "The checkpoint's path inside the repository, or only its file name (no machine paths in the JSON)."
    p = Path(checkpoint).resolve()
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else p.name


def measure(cfg: TrainConfig, checkpoint: str | None, steps: int, warmup: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig.from_dict({**cfg.to_dict(), "out_dir": tmp, "val_data": None, "progress": False, "max_steps": 10**6})
        run = T._start(cfg, 0, 1, torch.device("cpu"))
        if checkpoint: load_pretrained(run.model, checkpoint)
        if cfg.cache_views:                                          # the timed steps' views into the cache (a run's steady state)
            it = T.make_batches(run.train_ds, cfg, run.micro)
            for _ in range(warmup + steps + 3): next(it)
        timers = Timers()
        undo = instrument(run, timers)
        rows = []
        with flush_denormals(cfg.flush_denormal):
            for i in range(warmup + steps):
                timers.now = {}
                t0 = time.perf_counter()
                with timers.time("forward_loss_backward"): sums, ok, pred, batch = T._forward_backward(run)
                with timers.time("optimizer"): T._optimizer_step(run, sums, ok)
                total = time.perf_counter() - t0
                if i >= warmup: rows.append({"step": total, **timers.now, "kept": sums["kept"], "loss": sums["loss"]})
            undo()
            bwd = rasteriser_backward_ms(run, min(3, steps))
            net = network_only(run, steps, warmup)
        T._close(run)
    med = lambda k: 1e3 * statistics.median(r[k] for r in rows if k in r)
    stages = {k: med(k) for k in ("model_forward", "render_forward", "forward_loss_backward", "optimizer")}
    stages["loss_and_backward"] = stages["forward_loss_backward"] - stages["model_forward"] - stages["render_forward"]
    step_ms = med("step")
    return {"checkpoint": _name(checkpoint) if checkpoint else "initial weights",
            "step_ms": step_ms, "samples_per_s": 1e3 * cfg.batch_size * cfg.accumulate / step_ms,
            "breakdown_ms": {**stages, "rasteriser_backward (profiler)": bwd}, "network_only": net,
            "kept_fraction": statistics.median(r["kept"] for r in rows), "loss_median": statistics.median(r["loss"] for r in rows),
            "step_ms_all": [round(1e3 * r["step"], 1) for r in rows]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", default="cpu_tiny")
    p.add_argument("--modes", default="reference,fast", help="comma-separated: reference, fast")
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--checkpoint", action="append", default=None,
                   help="trained weights to measure at besides the initial ones (repeat for several; '' for none; default: the committed checkpoint)")
    p.add_argument("--set", action="append", default=[], help="FIELD=VALUE TrainConfig overrides (JSON values)")
    p.add_argument("--out", default=None, help="write the JSON here too (atomically)")
    p.add_argument("--note", default="", help="a note kept in the JSON (e.g. where a --checkpoint came from)")
    a = p.parse_args(argv)
    checkpoints = [c for c in (a.checkpoint or [str(DEFAULT_CKPT)]) if c]
    for c in checkpoints:
        if not Path(c).is_file(): p.error(f"--checkpoint {c!r}: no such file (expected a .safetensors checkpoint)")
    torch.set_num_threads(a.threads)
    load_before = [round(x, 2) for x in os.getloadavg()]
    results = []
    modes = {"reference": {"backend": "torch", "cache_views": 0, "flush_denormal": False}, "fast": {}}
    for mode in a.modes.split(","):
        if mode not in modes: p.error(f"unknown mode {mode!r}; expected reference or fast")
        cfg = build_config(a.preset, sets=a.set, num_threads=a.threads, **modes[mode])
        for ck in [None, *checkpoints]:
            r = measure(cfg, ck, a.steps, a.warmup)
            results.append({"mode": mode, "backend": cfg.backend, "cache_views": cfg.cache_views, **r})
            print(json.dumps({"mode": mode, "checkpoint": r["checkpoint"], "step_ms": round(r["step_ms"], 1),
                              "samples_per_s": round(r["samples_per_s"], 2)}), file=sys.stderr)
    speedup = {}
    for r in results:
        if r["mode"] == "fast":
            ref = [q for q in results if q["mode"] == "reference" and q["checkpoint"] == r["checkpoint"]]
            if ref: speedup[r["checkpoint"]] = ref[0]["step_ms"] / r["step_ms"]
    committed = EARLIER_RUN["samples_per_s"]
    bound = {}                                                       # the step's speed if rendering and losses cost nothing
    for r in results:
        if r["mode"] == "fast":
            floor_ms = r["network_only"]["forward_backward_ms"] + r["breakdown_ms"]["optimizer"]
            at_most = r["samples_per_s"] * r["step_ms"] / floor_ms          # the step's samples in floor_ms
            bound[r["checkpoint"]] = {"network_and_optimizer_ms": floor_ms, "samples_per_s_at_most": at_most,
                                      "vs_earlier_run_at_most": at_most / committed}
    out = {"preset": a.preset, "threads": a.threads, "steps": a.steps, "warmup": a.warmup, "sets": a.set, "speedup": speedup,
           "load_average_before": load_before, "load_average_after": [round(x, 2) for x in os.getloadavg()],
           "earlier_run": EARLIER_RUN, "vs_earlier_run": {r["checkpoint"]: r["samples_per_s"] / committed for r in results if r["mode"] == "fast"},
           "network_bound": bound, "note": a.note,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "machine": machine_info(), "results": results}
    print(json.dumps(out, indent=1))
    if a.out: write_json(a.out, out)
    return 0


if __name__ == "__main__": sys.exit(main())
