"""bench/gpu_check.sh's CPU dry run: every step of the GPU check at toy sizes, so a GPU machine's minutes go to GPU work."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "gpu_check.sh"


def run_check(out: Path, *args, scratch: Path):
    env = {**os.environ, "PYTHON": sys.executable, "GPU_CHECK_SCRATCH": str(scratch), "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run(["bash", str(SCRIPT), str(out), *args], capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gpu_check")
    p = run_check(tmp / "out", "--cpu-dry-run", scratch=tmp / "scratch")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return json.loads((tmp / "out" / "gpu_check.json").read_text())


def test_every_step_runs(dry_run):
    assert dry_run["cpu_dry_run"] is True
    assert list(dry_run["steps"]) == ["env", "build", "tests", "model", "rasterize", "train", "heldout"]
    failed = {k: v.get("error") for k, v in dry_run["steps"].items() if not v["ok"]}
    assert not failed, failed
    assert dry_run["failed_steps"] == []


def test_installed_copy_runs_and_versions_are_named(dry_run):
    env = dry_run["steps"]["env"]
    assert env["spatialsplat_from"] == "site/spatialsplat"          # the --no-deps install, not the checkout
    assert env["gsplat"] == "1.5.3" and env["machine"]["torch"]
    assert env["install_s"] > 0


def test_cuda_tests_are_collected(dry_run):
    py = dry_run["steps"]["tests"]["pytest"]
    assert py["returncode"] == 0 and py["tests"] >= 13                # collected; skipped without a GPU
    assert py["skipped"] == py["tests"]


def test_table6_stages(dry_run):
    m = dry_run["steps"]["model"]
    stages = m["runs"]["fp32"]["stages_ms"]
    assert set(stages) == {"3d_geometry", "semantic_lifting", "gaussian_heads", "rasteriser", "total"}
    assert all(v > 0 for v in stages.values())
    assert m["paper_table6"]["total_ms"] == 78


def test_rasteriser_channels(dry_run):
    runs = dry_run["steps"]["rasterize"]["runs"]
    assert {"torch_11ch", "torch_512ch"} <= set(runs)
    assert runs["torch_512ch"]["channels"] == 512 and runs["torch_11ch"]["forward_backward_s"] > 0


def test_training_under_torchrun_joins_a_process_group(dry_run):
    t = dry_run["steps"]["train"]
    assert t["returncode"] == 0 and t["world_size"] == 1
    assert t["process_group"] == "gloo" and t["ddp"] is True          # NCCL on a GPU: the same code path
    assert t["steps"] == 3 and t["skipped_steps"] == 0
    h = dry_run["steps"]["heldout"]
    for k in ("gpu_trained", "committed_cpu_tiny"):
        assert {"psnr", "miou", "ari", "kept_fraction"} <= set(h[k])
    assert h["checkpoint_dtype"] == "float16" and h["checkpoint_bytes"] > 0


def test_bad_invocations_are_one_line_errors(tmp_path):
    p = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True)
    assert p.returncode == 2 and "usage: bash bench/gpu_check.sh OUTPUT_DIR" in p.stderr
    p = run_check(tmp_path / "out", "--steps", "env", scratch=tmp_path / "s")
    assert p.returncode == 2 and "no CUDA device" in p.stderr
    p = run_check(tmp_path / "out", "--cpu-dry-run", "--steps", "env,nope", scratch=tmp_path / "s")
    assert p.returncode == 2 and "unknown step(s) ['nope']" in p.stderr
