"""Every CUDA path of spatialsplat in one run of at most ~9 minutes on one GPU (called by bench/gpu_check.sh).

Steps (each records its result or its error in OUTPUT_DIR/gpu_check.json as soon as it ends, so a run cut short
still reports what it reached):
  env         GPU, driver, CUDA, torch, nvcc, gsplat and project versions
  build       gsplat's CUDA extension JIT-compiled for this GPU only (TORCH_CUDA_ARCH_LIST, MAX_JOBS), timed;
              the training rooms are generated on the CPU cores at the same time
  tests       tests/test_render_cuda.py (gsplat vs torch twins, forward and backward) and the `#| cuda` cells of the
              notebooks that have them (nbdev_test --flags cuda)
  model       the `large` preset per stage (the paper's Table 6: 3D geometry, semantic lifting, Gaussian heads,
              rasteriser) at 2 x 256^2 in fp32 and bf16, CUDA events after warm-up, peak memory with weights
  rasterize   gsplat vs the torch rasteriser on the GPU: 87.7k pixel-aligned Gaussians at 256^2, 3+8 and 512 channels
  train       a training run through `python -m torch.distributed.run --nproc_per_node=1` (NCCL, DDP, bf16 AMP,
              gsplat) for a fixed time, then LSM's protocol on the committed held-out rooms, beside the committed
              CPU checkpoint scored the same way on the same machine
--cpu-dry-run runs every step at toy sizes on the CPU (gloo instead of NCCL, no gsplat), so the script is known to work
before GPU time is spent on it.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))       # bench/rasterize.py and bench/train_cpu_tiny.py hold the measurement helpers

PAPER_TABLE6 = {"gpu": "RTX 4090", "3d_geometry_ms": 31, "semantic_lifting_ms": 26, "gaussian_heads_ms": 17, "rasteriser_ms": 4,
                "total_ms": 78, "memory_gb": 6.4}
TARGETS = {"large_bf16_total_ms": 40.0, "large_bf16_peak_gb": 4.0}
# the GPU training run: the cpu_tiny objective and optimiser, the full `tiny` network (7.4M parameters instead of cpu_tiny's
# 2.6M), 16 scenes per step instead of 2, bf16 AMP and gsplat; 64 x 64 like the committed held-out rooms, so both
# checkpoints are scored on the same items at their native size
REMEDIES = {"importance_logit_bound": 10.0, "importance_explore": 0.1}  # chapter 3's, as in the cpu_tiny preset
GPU_TRAIN = {"model_overrides": dict(REMEDIES), "batch_size": 16, "synthetic_scenes": 64,
             "amp": "bf16", "backend": "auto", "num_threads": None, "device": None, "max_steps": 2000, "warmup_steps": 50,
             "val_every": 500, "checkpoint_every": 500, "log_every": 20, "progress": False, "tensorboard": False}
DRY_TRAIN = {"model_overrides": {"patch_size": 8, "enc_dim": 32, "enc_depth": 1, "enc_heads": 2, "dec_dim": 32, "dec_depth": 2,
                                 "dec_heads": 2, "head_features": 16, "head_last_dim": 8, "head_layer_dims": [8, 16, 16, 32], **REMEDIES},
             "image_size": 32, "synthetic_scenes": 2, "synthetic_frames": 12, "frame_gap": 5, "num_targets": 2, "batch_size": 1,
             "max_steps": 3, "warmup_steps": 1, "val_every": 0, "val_data": None, "checkpoint_every": 3, "log_every": 1,
             "num_threads": 1, "device": "cpu", "backend": "torch", "progress": False, "tensorboard": False}


class Report:
    "The run's JSON, rewritten (atomically) after every step."
    def __init__(self, out: Path, dry: bool):
        self.out, self.path = out, out / "gpu_check.json"
        self.data = {"benchmark": "gpu_check", "cpu_dry_run": dry, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "steps": {}}

    def step(self, name: str, fn, *args, **kwargs):
        t0 = time.perf_counter()
        print(f"== {name}", flush=True)
        try:
            res = {"ok": True, **fn(*args, **kwargs)}
        except Exception as e:  # one failed step must not cost the others: record it and go on
            res = {"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-4000:]}
            print(res["traceback"], file=sys.stderr, flush=True)
        res["seconds"] = round(time.perf_counter() - t0, 2)
        self.data["steps"][name] = res
        self.save()
        print(f"== {name}: {'ok' if res['ok'] else 'FAILED'} in {res['seconds']} s", flush=True)
        return res

    def save(self):
        from spatialsplat.core import write_json
        self.data["elapsed_s"] = round(time.perf_counter() - T0, 1)
        write_json(self.path, self.data)


T0 = time.perf_counter()
BUILD_ENV = ("TORCH_CUDA_ARCH_LIST", "MAX_JOBS", "TORCH_EXTENSIONS_DIR")   # set once in main(): every process finds the same build


def run(cmd, timeout, env=None, log=None) -> dict:
    "Run a command; return its exit code, wall time and the tail of its output (and write all of it to `log`)."
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}, cwd=ROOT)
        rc, text = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        rc, text = "timeout", (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
    if log is not None: Path(log).write_text(text)
    return {"cmd": " ".join(map(str, cmd)), "returncode": rc, "wall_s": round(time.perf_counter() - t0, 2), "tail": text[-3000:]}


def step_env(args) -> dict:
    from spatialsplat.core import machine_info
    info = {"machine": machine_info(), "torch_cuda": torch.version.cuda, "cuda_available": torch.cuda.is_available(),
            "install_s": args.install_s}
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        info.update(gpu=p.name, gpu_memory_gb=round(p.total_memory / 2**30, 1), sm=f"{p.major}.{p.minor}",
                    multiprocessors=p.multi_processor_count)
    for name, cmd in (("nvidia_smi", ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"]),
                      ("nvcc", ["nvcc", "--version"])):
        try: info[name] = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[-1:]
        except (OSError, subprocess.SubprocessError) as e: info[name] = f"unavailable: {e}"
    try:
        import gsplat
        info["gsplat"] = gsplat.__version__
    except Exception as e: info["gsplat"] = f"import failed: {e}"
    try: info["commit"] = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError: info["commit"] = None
    info["commit"] = info["commit"] or os.environ.get("SPATIALSPLAT_COMMIT")        # a copy of the tree without .git
    import spatialsplat
    info["spatialsplat_from"] = str(Path(spatialsplat.__file__).parent.relative_to(Path(args.site).parent)) if args.site else None
    return info


def _make_rooms(a):
    root, seed, frames, size = a
    torch.set_num_threads(1)
    from spatialsplat.train_data import prepare_synthetic
    prepare_synthetic(root, [seed], frames, size)
    return seed


def train_config(args):
    "The run's TrainConfig: the cpu_tiny preset with this script's overrides (validated here, before any GPU time is spent)."
    from spatialsplat.train_config import TrainConfig
    over = {k: (tuple(v) if isinstance(v, list) else v) for k, v in args.train_overrides.items()}
    over["model_overrides"] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in over.get("model_overrides", {}).items()}
    cfg = TrainConfig.preset("cpu_tiny", **over)
    cfg.validate()
    return cfg


def step_build(args) -> dict:
    "gsplat's JIT build in a child process, with the training rooms generated by a process pool meanwhile."
    import multiprocessing as mp
    env = {k: os.environ[k] for k in BUILD_ENV}
    code = ("import time, json; t = time.perf_counter(); from gsplat.cuda._backend import _C; "
            "print(json.dumps({'built': _C is not None, 'import_s': time.perf_counter() - t}))")
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env={**os.environ, **env}, cwd=ROOT)
    c = train_config(args)
    jobs = [(c.synthetic_root, s, c.synthetic_frames, c.image_size) for s in range(c.synthetic_seed, c.synthetic_seed + c.synthetic_scenes)]
    procs = max(1, min(len(jobs), (os.cpu_count() or 2) // 2))
    with mp.get_context("spawn").Pool(procs) as pool: pool.map(_make_rooms, jobs)
    rooms_s = time.perf_counter() - t0
    try: text, _ = child.communicate(timeout=args.build_timeout)
    except subprocess.TimeoutExpired:
        child.kill(); text = child.communicate()[0]
        return {"built": False, "error": f"the build did not finish in {args.build_timeout} s", "tail": text[-3000:], "env": env}
    build_s = time.perf_counter() - t0
    last = [l for l in text.strip().splitlines() if l.startswith("{")]
    res = json.loads(last[-1]) if last else {"built": False}
    res.update(wall_s=round(build_s, 1), returncode=child.returncode, env=env, rooms=len(jobs), rooms_processes=procs,
               rooms_s=round(rooms_s, 1), tail=text[-3000:])
    so = sorted(Path(args.ext_dir).glob("**/gsplat_cuda*.so"))
    if so: res["extension"] = {"file": so[0].name, "bytes": so[0].stat().st_size, **_keep_extension(so[0], args.out)}
    from spatialsplat.render import gsplat_status
    res["gsplat_status"] = list(gsplat_status())
    if not res.get("built") and torch.cuda.is_available():
        res["what_would_fix_it"] = ("read `tail`: a CUDA/compiler mismatch needs an nvcc whose major version equals "
                                    "torch.version.cuda, or a gsplat wheel with prebuilt kernels for this torch")
    return res


def _keep_extension(so: Path, out: Path, part: int = 15 * 2**20, max_parts: int = 2) -> dict:
    "gzip the built extension into OUTPUT_DIR/ext/ in parts (when it fits), for a later run on a bare machine."
    import gzip
    data = gzip.compress(so.read_bytes(), 6)
    if len(data) > part * max_parts: return {"kept": False, "gzip_bytes": len(data)}
    (out / "ext").mkdir(exist_ok=True)
    for i in range(0, len(data), part): (out / "ext" / f"{so.name}.gz.{i // part}").write_bytes(data[i:i + part])
    return {"kept": True, "gzip_bytes": len(data)}


def step_tests(args) -> dict:
    env = None
    junit = args.out / "cuda_tests.xml"
    py = run([sys.executable, "-m", "pytest", "tests/test_render_cuda.py", "-q", "-p", "no:cacheprovider", "--run-cuda",
              f"--junitxml={junit}"], timeout=args.tests_timeout, env=env)
    counts = {}
    if junit.exists():
        import xml.etree.ElementTree as ET
        s = ET.parse(junit).getroot()
        s = s if s.tag == "testsuite" else s.find("testsuite")
        counts = {k: int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
        counts["passed"] = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
        junit.unlink()
    res = {"pytest": {**py, **counts}}
    if args.dry:
        res["notebooks"] = {"skipped": "dry run: make test runs every notebook; the `#| cuda` cells need a GPU"}
    else:
        nbs = sorted(p.name for p in (ROOT / "nbs").glob("*.ipynb") if "#| cuda" in p.read_text())
        pattern = "^(" + "|".join(n.replace(".", r"\.") for n in nbs) + ")$"
        nb = run(["nbdev_test", "--flags", "cuda", "--do_print", "--timing", "--n_workers", str(max(1, len(nbs))),
                  "--file_re", pattern], timeout=args.tests_timeout, env=env, log=args.out / "cuda_notebooks.log")
        res["notebooks"] = {**nb, "notebooks": nbs, "passed": nb["returncode"] == 0}
    return res


def step_model(args) -> dict:
    from spatialsplat.model import SpatialSplat, SpatialSplatConfig
    from spatialsplat.profiling import format_profile, profile_model
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    preset, size = ("large", 256) if not args.dry else ("tiny", 64)
    runs = {}
    settings = [("fp32", None, torch.float32), ("bf16", "bf16", torch.float32), ("bf16_weights", "bf16", torch.bfloat16)]
    for name, amp, wdtype in settings[:1] if args.dry else settings:
        if dev.type == "cuda": torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
        torch.manual_seed(0)
        with torch.device(dev):                       # initialise on the GPU: building the large network on the CPU takes longer than measuring it
            model = SpatialSplat(SpatialSplatConfig.preset(preset, amp_dtype=amp)).to(dtype=wdtype)
        prof = profile_model(model, batch=1, views=2, height=size, width=size, warmup=3 if not args.dry else 1,
                             repeats=args.repeats)
        st = prof["stages"]
        runs[name] = {"amp": amp, "weights": str(wdtype).split(".")[-1], "stages_ms": {k: round(v["mean_ms"], 2) for k, v in st.items()},
                      "stages_std_ms": {k: round(v["std_ms"], 2) for k, v in st.items()},
                      "sum_of_stages_ms": round(sum(v["mean_ms"] for k, v in st.items() if k != "total"), 2),
                      "peak_gb_including_weights": round(torch.cuda.max_memory_allocated() / 2**30, 3) if dev.type == "cuda" else None,
                      "weights_gb": round(sum(p.numel() * p.element_size() for p in model.parameters()) / 2**30, 3),
                      "table": format_profile(prof)}
        del model
    res = {"preset": preset, "size": [size, size], "views": 2, "device": str(dev), "parameters": None, "runs": runs,
           "paper_table6": PAPER_TABLE6, "timer": "CUDA events" if dev.type == "cuda" else "wall clock"}
    with torch.device("meta"): res["parameters"] = SpatialSplat(preset).parameter_counts()["total"]
    if "bf16" in runs:
        b = runs["bf16"]
        res["targets"] = {"total_ms": {"target": TARGETS["large_bf16_total_ms"], "reached": b["stages_ms"]["total"],
                                       "met": b["stages_ms"]["total"] <= TARGETS["large_bf16_total_ms"]},
                          "peak_gb": {"target": TARGETS["large_bf16_peak_gb"], "reached": b["peak_gb_including_weights"],
                                      "met": b["peak_gb_including_weights"] <= TARGETS["large_bf16_peak_gb"]}}
    return res


def step_rasterize(args) -> dict:
    from rasterize import measure, pixel_aligned_scene
    from spatialsplat.render import gsplat_status
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    ok, why = gsplat_status()
    backends = ("gsplat", "torch") if ok else ("torch",)
    keep, size = (87_700, 256) if not args.dry else (400, 32)
    out = {"gsplat": why, "gaussians": keep, "size": [size, size], "device": dev, "runs": {}}
    for channels in (3 + 8, 512):
        sc = pixel_aligned_scene(keep=keep, size=size, extra_channels=channels - 3)
        for b in backends:
            r = measure(sc, backend=b, device=dev, repeats=args.repeats, render_mode="RGB+ED")
            out["runs"][f"{b}_{channels}ch"] = r
            if dev == "cuda": torch.cuda.empty_cache()
        if ok:
            g, t = out["runs"][f"gsplat_{channels}ch"], out["runs"][f"torch_{channels}ch"]
            out[f"speedup_{channels}ch"] = {"forward": t["forward_s"] / g["forward_s"], "forward_backward": t["forward_backward_s"] / g["forward_backward_s"]}
    return out


def step_train(args) -> dict:
    from spatialsplat.checkpoints import read_metrics
    sets = [f"{k}={json.dumps(v)}" for k, v in args.train_overrides.items()]
    train_config(args)
    if args.run_dir.exists(): shutil.rmtree(args.run_dir)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1", "-m", "spatialsplat.train",
           "--preset", "cpu_tiny", "--result", str(args.run_dir / "result_rank{rank}.json"), "--set", *sets]
    tr = run(cmd, timeout=args.train_minutes * 60 + 240, log=args.out / "train.log")
    res = {"command": "python -m torch.distributed.run --standalone --nproc_per_node=1 -m spatialsplat.train --preset cpu_tiny --set "
                      + " ".join(sets).replace(str(args.run_dir), "RUN_DIR"), "returncode": tr["returncode"], "wall_s": tr["wall_s"],
           "tail": tr["tail"][-1500:]}
    if tr["returncode"] != 0: raise RuntimeError(f"training failed (exit {tr['returncode']}): {tr['tail'][-800:]}")
    run_json = json.loads((args.run_dir / "run.json").read_text())
    summary = json.loads((args.run_dir / "result.json").read_text())
    rows = [r for r in read_metrics(args.run_dir) if "loss" in r]
    res.update(world_size=run_json["world_size"], device=run_json["device"], parameters=run_json["parameters"]["total"],
               steps=summary["step"], stop_reason=summary["stop_reason"], training_loop_s=summary["elapsed_s"],
               samples_per_s=summary["samples_per_s"], skipped_steps=summary["skipped_steps"],
               first_logged=rows[0] if rows else None, last_logged=rows[-1] if rows else None,
               process_group=run_json.get("process_group"), ddp=run_json.get("process_group") is not None)
    shutil.copyfile(args.run_dir / "metrics.jsonl", args.out / "gpu_train_metrics.jsonl")
    return res


def step_heldout(args) -> dict:
    import copy
    from train_cpu_tiny import held_out_metrics, verdict
    from spatialsplat.pretrained import from_pretrained, save_pretrained
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    trained = from_pretrained(args.run_dir / "model.safetensors")
    half_path = args.out / ("gpu_tiny.safetensors" if not args.dry else "dry_run.safetensors")
    save_pretrained(copy.deepcopy(trained).half(), half_path)          # the file that would be committed: float16, like the CPU one
    gpu_model = from_pretrained(half_path).to(dev)
    cpu_model = from_pretrained(ROOT / "data_samples/checkpoints/cpu_tiny.safetensors").to(dev)
    n = 1 if args.dry else None
    res = {"device": str(dev), "checkpoint_bytes": half_path.stat().st_size, "checkpoint_dtype": "float16",
           "held_out_items": "all" if not args.dry else 1,
           "gpu_trained": held_out_metrics(gpu_model, None, n), "committed_cpu_tiny": held_out_metrics(cpu_model, None, n)}
    res["targets_gpu_trained"] = verdict(res["gpu_trained"])
    g, c = res["gpu_trained"], res["committed_cpu_tiny"]
    res["beats_cpu_checkpoint"] = {k: bool(g[k] > c[k]) for k in ("psnr", "miou", "ari") if k in g and k in c}
    if args.dry: half_path.unlink()
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="where gpu_check.json and the run's files go")
    ap.add_argument("--cpu-dry-run", dest="dry", action="store_true", help="every step at toy sizes on the CPU")
    ap.add_argument("--train-minutes", type=float, default=None, help="training time (default 3.0 on a GPU, 0.5 in a dry run)")
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats per measurement (default 10; 1 in a dry run)")
    ap.add_argument("--steps", default="env,build,tests,model,rasterize,train,heldout", help="comma-separated steps to run")
    ap.add_argument("--arch", default="9.0", help="TORCH_CUDA_ARCH_LIST for the gsplat build (9.0: H100 / H200)")
    ap.add_argument("--max-jobs", type=int, default=16, help="parallel compile jobs for the gsplat build")
    ap.add_argument("--build-timeout", type=int, default=420)
    ap.add_argument("--tests-timeout", type=int, default=300)
    ap.add_argument("--install-s", type=float, default=None, help="(from gpu_check.sh) seconds the install took")
    ap.add_argument("--site", default=None, help="(from gpu_check.sh) where the project was installed")
    args = ap.parse_args(argv)
    if not args.dry and not torch.cuda.is_available():
        ap.error("no CUDA device: run on a GPU machine, or pass --cpu-dry-run")
    args.out = args.out.resolve(); args.out.mkdir(parents=True, exist_ok=True)
    args.train_minutes = args.train_minutes if args.train_minutes is not None else (0.5 if args.dry else 3.0)
    args.repeats = args.repeats or (1 if args.dry else 10)
    scratch = Path(os.environ.get("GPU_CHECK_SCRATCH", "/tmp/spatialsplat_gpu_check"))
    args.ext_dir, args.run_dir = scratch / "torch_extensions", scratch / "train_run"
    os.environ.update(TORCH_CUDA_ARCH_LIST=args.arch, MAX_JOBS=str(args.max_jobs), TORCH_EXTENSIONS_DIR=str(args.ext_dir))
    args.train_overrides = {**(DRY_TRAIN if args.dry else GPU_TRAIN), "synthetic_root": str(scratch / "rooms"),
                            "out_dir": str(args.run_dir), "time_limit_min": args.train_minutes}
    rep = Report(args.out, args.dry)
    steps = {"env": lambda: step_env(args), "build": lambda: step_build(args), "tests": lambda: step_tests(args),
             "model": lambda: step_model(args), "rasterize": lambda: step_rasterize(args), "train": lambda: step_train(args),
             "heldout": lambda: step_heldout(args)}
    wanted = [s.strip() for s in args.steps.split(",") if s.strip()]
    bad = [s for s in wanted if s not in steps]
    if bad: ap.error(f"unknown step(s) {bad}; choose from {list(steps)}")
    for name in wanted:
        rep.step(name, steps[name])
    failed = [k for k, v in rep.data["steps"].items() if not v["ok"]]
    rep.data["failed_steps"] = failed
    rep.save()
    print(json.dumps({k: {"ok": v["ok"], "seconds": v["seconds"]} for k, v in rep.data["steps"].items()}, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
