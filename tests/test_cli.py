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
    (("demo", "--labels", "fine"), "invalid choice: 'fine' (choose from 'guided', 'coarse')"),
    (("infer", "data_samples/pairs/room_a_1.jpg", "data_samples/pairs/room_a_2.jpg", "--labels", "per-pixel"), "choose from 'guided', 'coarse'"),
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


def _panel(frame, k: int, width: int = 128, gap: int = 2, strip: int = 14):
    "The k-th picture of a trajectory panel (cli.panel: captions on top, pictures side by side)."
    return frame[strip:, k * (width + gap):k * (width + gap) + width]


def test_labels_default_guided_and_coarse_as_before(tmp_path):
    """`--labels` decides every label the outputs draw; guided is the default, coarse reproduces the per-pixel / per-cell decoding."""
    import numpy as np
    import torch
    from PIL import Image
    from spatialsplat.api import class_table
    from spatialsplat.fields import decode_labels
    from spatialsplat.metrics import gaussian_labels
    from spatialsplat.ply import load_ply
    from spatialsplat.splatfiles import load_splat
    from spatialsplat.viewer import read_viewer
    from spatialsplat.widgets import label_colors
    runs = {}
    for name, extra in (("default", ()), ("coarse", ("--labels", "coarse"))):
        r = run("demo", "--out", str(tmp_path / name), "--frames", "1", "--color-by", "semantic", "--quiet", *extra)
        assert r.returncode == 0, r.stderr
        assert f"labels: {'guided' if name == 'default' else 'coarse'}" in r.stdout and "(guided)" in r.stdout, r.stdout
        runs[name] = json.loads((tmp_path / name / "summary.json").read_text())
    assert runs["default"]["labels"]["decoding"] == "guided" and runs["coarse"]["labels"]["decoding"] == "coarse"
    assert runs["default"]["labels"]["kept_per_class"] != runs["coarse"]["labels"]["kept_per_class"]      # they differ on the demo room
    table = class_table(512)[1]
    for name, decoding in (("default", "guided"), ("coarse", "coarse")):
        d = tmp_path / name
        ply = load_ply(d / "scene.ply")
        want = decode_labels(ply.semantic, table) if decoding == "coarse" else gaussian_labels(ply.instance, ply.semantic, table)
        assert sum(runs[name]["labels"]["kept_per_class"].values()) == int((want >= 0).sum())
        colors = label_colors(want, 8)                                           # the baked .splat: one class colour per Gaussian
        sp = load_splat(d / "scene.splat")                                       # match by position (sort-key ties may reorder equal keys)
        where = {tuple(m): i for i, m in enumerate(ply.means.numpy().tolist())}
        idx = torch.tensor([where[tuple(m)] for m in sp.means.numpy().tolist()])
        assert sorted(idx.tolist()) == list(range(len(ply)))
        np.testing.assert_allclose(sp.colors.numpy(), colors[idx].numpy(), atol=0.5 / 255 + 1e-6)
        meta, arrays = read_viewer(d / "viewer.html")                            # the viewer page: the same labels for the kept Gaussians
        assert meta["label_decoding"] == decoding
        kept = torch.from_numpy(arrays["importance"].copy()) > meta["tau"]
        assert torch.equal(torch.from_numpy(arrays["labels"].astype(np.int64))[kept] - 1, want)
    frames = {n: np.asarray(Image.open(tmp_path / n / "frames" / "frame_000.png").convert("RGB")) for n in runs}
    assert np.array_equal(_panel(frames["default"], 0), _panel(frames["coarse"], 0))                  # colour is colour
    assert not np.array_equal(_panel(frames["default"], 1), _panel(frames["coarse"], 1))              # the label pictures differ
    # coarse: the picture the explorer drew before the switch, decode_labels of the coarse render, times the fine field's alpha
    from spatialsplat.core import to_uint8_hwc
    from spatialsplat.data import SceneDataset, sample_data_root
    from spatialsplat.render import render
    from spatialsplat.widgets import ExplorerState, kept_gaussians, load_model, reconstruct, render_semantic, view_camera
    model = load_model(device="cpu")
    sample = SceneDataset(sample_data_root(), size=tuple(model.config.image_size), mode="test")[0]
    scene = reconstruct(model, sample["context_images"], sample["context_Ks"])[0]
    vm, K, W, H = view_camera(scene, ExplorerState(threshold=scene.tau))
    alpha = render(kept_gaussians(scene, scene.tau)[0], vm, K, W, H, rgb=False, features=[])["alpha"][0, ..., 0]
    old = label_colors(decode_labels(render_semantic(scene, vm, K, W, H), scene.text_embeddings), 8) * alpha.clamp(0, 1)[..., None]
    assert np.abs(_panel(frames["coarse"], 1).astype(int) - to_uint8_hwc(old.clamp(0, 1)).astype(int)).max() <= 1
