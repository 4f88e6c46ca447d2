"""The splat viewer's page without a browser (fast, part of `make test`): the payload written by write_viewer decodes
back to the scene's numbers, the installed package ships the page's assets, demo outputs include the page."""
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from spatialsplat.render import render
from spatialsplat.selective import prune
from spatialsplat.splatting import Gaussians
from spatialsplat.viewer import ASSETS, read_viewer, scene_queries, viewer_asset, write_viewer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scene():
    from spatialsplat.data import SceneDataset, sample_data_root
    from spatialsplat.widgets import load_model, reconstruct
    model = load_model(device="cpu")
    sample = SceneDataset(sample_data_root(), size=tuple(model.config.image_size), mode="test")[0]
    tf = sample["context_features"] if model.config.teacher_dim else None
    return reconstruct(model, sample["context_images"], sample["context_Ks"], tf)[0]


def test_demo_page_payload_decodes_to_the_scene(scene, tmp_path):
    info = write_viewer(tmp_path / "viewer.html", scene)
    meta, a = read_viewer(tmp_path / "viewer.html")
    g = scene.fine
    assert info["gaussians"] == meta["n"] == len(g) and info["bytes"] == (tmp_path / "viewer.html").stat().st_size
    assert info["bytes"] < 2_000_000, f"the demo page is {info['bytes'] / 1e6:.2f} MB"
    np.testing.assert_array_equal(a["means"], g.means.numpy())
    np.testing.assert_array_equal(a["importance"], g.importance.numpy())
    np.testing.assert_allclose(a["opacities"].astype(np.float32), g.opacities.numpy(), atol=5e-4)
    np.testing.assert_allclose(a["scales"].astype(np.float32), g.scales.numpy(), rtol=1e-3, atol=1e-7)
    np.testing.assert_allclose(a["sh"].astype(np.float32), g.colors.numpy(), rtol=1e-3, atol=1e-3)
    q = torch.nn.functional.normalize(g.quats, dim=-1).numpy()
    np.testing.assert_allclose(a["quats"].astype(np.float32), q, atol=1e-3)
    inst = np.round(scene.instance_pca(g.instance).numpy() * 255)
    assert np.abs(a["instance_rgb"].astype(np.float64) - inst).max() <= 1
    assert meta["queries"] == [n.lower() for n in scene.class_names]
    rel = scene_queries(scene)
    for j, name in enumerate(meta["queries"]):
        page = a[f"relevance{j}_values"][a[f"relevance{j}_index"]]
        np.testing.assert_array_equal(page, rel[name].numpy())              # exact: the page counts what Python counts
    assert meta["cameras"][0]["viewmat"] == torch.eye(4).flatten().tolist() and len(meta["cameras"]) == 2
    assert int((a["importance"] > meta["tau"]).sum()) == len(prune(g, scene.tau)[0])
    text = (tmp_path / "viewer.html").read_text()
    assert "http://" not in text and "https://" not in text and "<script src" not in text, "the page must work offline"


def test_payload_renders_like_the_scene(scene):
    """Gaussians rebuilt from the decoded payload render like the originals (float16 storage costs < 1e-2)."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        write_viewer(Path(d) / "v.html", scene)
        meta, a = read_viewer(Path(d) / "v.html")
    f = lambda x: torch.from_numpy(np.array(x, np.float32))
    back = Gaussians(means=f(a["means"]), quats=f(a["quats"]), scales=f(a["scales"]), opacities=f(a["opacities"]),
                     colors=f(a["sh"]), importance=f(a["importance"]))
    K = scene.K.clone()
    want = render(prune(scene.fine, scene.tau)[0], torch.eye(4)[None], K[None], 64, 64)["rgb"]
    got = render(prune(back, scene.tau)[0], torch.eye(4)[None], K[None], 64, 64)["rgb"]
    assert (want - got).abs().max() < 1e-2


def test_bad_inputs_are_clear_errors(scene, tmp_path):
    with pytest.raises(ValueError, match="unknown class"): write_viewer(tmp_path / "v.html", scene, queries=["spaceship"])
    with pytest.raises(ValueError, match=r"\*\.html"): write_viewer(tmp_path / "v.txt", scene)
    with pytest.raises(TypeError, match="ExplorerScene or Gaussians"): write_viewer(tmp_path / "v.html", "scene")
    with pytest.raises(ValueError, match="not a spatialsplat viewer"):
        (tmp_path / "other.html").write_text("<html></html>"); read_viewer(tmp_path / "other.html")
    assert not (tmp_path / "v.html").exists()


def test_assets_are_package_data(tmp_path):
    for name in ASSETS: assert len(viewer_asset(name)) > 1000
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("spatialsplat-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for name in ASSETS: assert f"spatialsplat/assets/{name}" in names, f"the wheel lacks spatialsplat/assets/{name}"
    # the installed copy finds them (a plain install into a folder, imported from there)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)], check=True, capture_output=True)
    code = ("import spatialsplat.viewer as v, pathlib; assert pathlib.Path(v.__file__).is_relative_to(pathlib.Path(r'%s')); "
            "print(sum(len(v.viewer_asset(n)) for n in v.ASSETS))" % site)
    r = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(site), "PATH": ""}, capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and int(r.stdout) > 2000, r.stderr[-2000:]


def test_labels_are_guided_by_default_and_coarse_on_request(scene, tmp_path):
    """The page's labels: instance-guided by default (the kept Gaussians as the explorer's 3D view labels them), recorded in the
    metadata; decoding="coarse" gives every Gaussian its coarse cell's class, as the page did before the switch."""
    from spatialsplat.fields import decode_labels
    from spatialsplat.metrics import guided_gaussian_labels
    from spatialsplat.widgets import ExplorerState, gaussian_colors, label_colors
    write_viewer(tmp_path / "guided.html", scene)
    write_viewer(tmp_path / "coarse.html", scene, decoding="coarse")
    (mg, ag), (mc, ac) = read_viewer(tmp_path / "guided.html"), read_viewer(tmp_path / "coarse.html")
    assert mg["label_decoding"] == "guided" and mc["label_decoding"] == "coarse"
    guided, coarse = (torch.from_numpy(a["labels"].astype(np.int64)) - 1 for a in (ag, ac))
    assert torch.equal(coarse, decode_labels(scene.coarse.semantic, scene.text_embeddings)[scene.coarse_index])
    kept = scene.fine.importance > scene.tau
    sem = scene.coarse.semantic[scene.coarse_index]
    assert torch.equal(guided[kept], guided_gaussian_labels(scene.fine.instance[kept], sem[kept], scene.text_embeddings))
    assert torch.equal(label_colors(guided[kept], 8), gaussian_colors(scene, ExplorerState(field="semantic labels", threshold=scene.tau)))
    assert torch.equal(guided[~kept], guided_gaussian_labels(scene.fine.instance, sem, scene.text_embeddings)[~kept])
    assert (guided != coarse).any() and (guided[kept] != coarse[kept]).any()       # the decodings differ on the demo scene
    with pytest.raises(ValueError, match=r"decoding must be one of guided, coarse; got 'fine'"):
        write_viewer(tmp_path / "bad.html", scene, decoding="fine")
    assert not (tmp_path / "bad.html").exists()
