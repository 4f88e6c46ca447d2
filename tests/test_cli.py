"""The installed `spatialsplat` console script: it exists, documents its commands, and a user mistake is one line, not a traceback."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def script() -> str:
    exe = Path(sys.executable).parent / "spatialsplat"
    found = str(exe) if exe.exists() else shutil.which("spatialsplat")
    if found is None: pytest.fail("the `spatialsplat` console script is not installed (settings.ini console_scripts; reinstall with make install)")
    return found


def run(*args, **kw):
    return subprocess.run([script(), *args], capture_output=True, text=True, cwd=ROOT, timeout=300, **kw)


def test_help_lists_every_command():
    r = run("--help")
    assert r.returncode == 0, r.stderr
    for cmd in ("demo", "infer", "query", "train", "eval", "profile", "teachers"): assert cmd in r.stdout, cmd


@pytest.mark.parametrize("args, words", [
    (("infer", "no/such/photo.jpg", "data_samples/pairs/room_a_2.jpg"), "not found"),
    (("infer", "settings.ini", "settings.ini"), "settings.ini"),
    (("infer", "data_samples/pairs/room_a_1.jpg", "data_samples/pairs/room_a_2.jpg", "settings.ini"), "not an image file"),
    (("infer", "data_samples/pairs/room_a_1.jpg", "data_samples/pairs/room_a_2.jpg", "no/such/third.jpg"), "not found"),
    (("infer", "data_samples/pairs/room_a_1.jpg"), "2 to 8 photos"),
    (("infer", "data_samples/pairs/room_a_1.jpg", "data_samples/pairs/room_a_2.jpg", "--color-by", "depth"), "invalid choice"),
    (("eval", "missing.safetensors"), "checkpoint not found"),
    (("demo", "--frames", "many"), "expected an int >= 1"),
    (("nonsense",), "invalid choice"),
])
def test_a_mistake_is_one_line_and_exit_code_2(args, words):
    r = run(*args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert lines[0].startswith("spatialsplat") and words in lines[0], lines[0]


def test_module_entry_point():
    r = subprocess.run([sys.executable, "-m", "spatialsplat.cli", "--version"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("spatialsplat "), (r.stdout, r.stderr)


PAIRS = ROOT / "data_samples" / "pairs"


def test_infer_three_and_four_views(tmp_path):
    photos = [str(PAIRS / f"room_a_{k}.jpg") for k in (1, 2, 3, 4)]
    r = run("infer", *photos[:3], "--out", str(tmp_path / "three"), "--frames", "2", "--quiet")
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "three" / "summary.json").read_text())
    assert s["input"]["intrinsics_known"] == [False] * 3 and s["gaussians"]["fine_predicted"] == 3 * 64 * 64
    r = run("query", str(tmp_path / "three"), "chair", "--frames", "2")
    assert r.returncode == 0, r.stderr
    q = json.loads((tmp_path / "three" / "query_chair" / "query.json").read_text())
    assert q["query"] == "chair" and q["gaussians"] == s["gaussians"]["fine_kept"]
    assert (tmp_path / "three" / "query_chair" / "highlighted.splat").stat().st_size == 32 * q["gaussians"]
    for args, words in (((str(tmp_path / "three"), ""), "the query is empty"), ((str(tmp_path / "three"), "spaceship"), "unknown class 'spaceship'"),
                        ((str(tmp_path / "nowhere"), "chair"), "not found")):
        r = run("query", *args)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and words in r.stderr, r.stderr
    r = run("infer", *photos, "--intrinsics", str(PAIRS / "intrinsics.json"), "--out", str(tmp_path / "four"), "--frames", "2",
            "--color-by", "instance", "--quiet")
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "four" / "summary.json").read_text())
    assert s["input"]["intrinsics_known"] == [True] * 4 and len(s["input"]["Ks_model"]) == 4
    from spatialsplat.ply import load_ply
    from spatialsplat.splatfiles import load_splat, load_spz
    ply = load_ply(tmp_path / "four" / "scene.ply")
    assert ply.instance.shape[1] == 8 and ply.semantic.shape[1] == 512 and ply.importance is not None
    assert len(load_splat(tmp_path / "four" / "scene.splat")) == len(ply) == len(load_spz(tmp_path / "four" / "scene.spz"))


def test_infer_intrinsics_count_must_match(tmp_path):
    three = tmp_path / "three.json"
    known = json.loads((PAIRS / "intrinsics.json").read_text())
    three.write_text(json.dumps([known[f"room_a_{k}.jpg"] for k in (1, 2, 3)]))
    r = run("infer", *[str(PAIRS / f"room_a_{k}.jpg") for k in (1, 2, 3, 4)], "--intrinsics", str(three), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "holds 3 matrices for 4 photos" in r.stderr
    assert not (tmp_path / "o").exists()
