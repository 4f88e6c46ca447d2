"""The offline splat viewer (spatialsplat.viewer, chapter 12a) in a real browser: headless Chromium opens the page
written for the committed demo scene from file:// and is driven through its menu, query box and script API.

Marked slow (about a minute). Needs Node.js, Chromium (/usr/bin/chromium, or $CHROMIUM) and playwright-core in
tests/browser/node_modules; `make test-browser` installs the last two and runs these tests. The payload checks that
need no browser are in tests/test_viewer.py (part of `make test`)."""
import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from test_browser import BROWSER, CHROMIUM, ROOT, missing_tools   # the same tools as the JupyterLab test

SCREENSHOT = ROOT / "nbs" / "images" / "viewer.png"   # README's picture, rewritten by this test


def run_plan(page: Path, out: Path, steps: list, **kw) -> dict:
    """Run viewer_e2e.mjs on a page with these steps; its JSON result."""
    plan = out / "plan.json"
    plan.write_text(json.dumps({"page": str(page), "out": str(out), "steps": steps, **kw}))
    r = subprocess.run(["node", str(BROWSER / "viewer_e2e.mjs"), str(plan)], cwd=BROWSER, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"browser run failed:\n{r.stderr[-4000:]}"
    return json.loads(r.stdout.strip().splitlines()[-1])


def rgb(out: Path, name: str, width: int, height: int) -> np.ndarray:
    return np.frombuffer((out / f"{name}.rgb").read_bytes(), np.uint8).reshape(height, width, 3).astype(np.float64) / 255


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * math.log10(1.0 / max(float(((a - b) ** 2).mean()), 1e-12)))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    why = missing_tools()
    if why: pytest.skip(why)
    from spatialsplat.data import SceneDataset, sample_data_root
    from spatialsplat.viewer import write_viewer
    from spatialsplat.widgets import load_model, reconstruct
    model = load_model(device="cpu")
    sample = SceneDataset(sample_data_root(), size=tuple(model.config.image_size), mode="test")[0]
    tf = sample["context_features"] if model.config.teacher_dim else None
    scene, _ = reconstruct(model, sample["context_images"], sample["context_Ks"], tf)
    out = tmp_path_factory.mktemp("viewer")
    info = write_viewer(out / "viewer.html", scene, title="spatialsplat demo scene")
    return scene, out / "viewer.html", info, out


@pytest.mark.slow
def test_page_loads_offline_and_fields_change_the_picture(demo):
    from spatialsplat.viewer import read_viewer
    scene, page, info, out = demo
    steps = [{"do": "cameras", "on": False}, {"do": "pixels", "name": "colour"}]
    for f in ("instance", "semantic", "importance"): steps += [{"do": "field", "value": f}, {"do": "pixels", "name": f}]
    steps += [{"do": "field", "value": "semantic"}, {"do": "legend"}, {"do": "field", "value": "colour"},
              {"do": "drag", "dx": 120, "dy": 0}, {"do": "pixels", "name": "dragged"}]
    res = run_plan(page, out, steps)
    assert res["console_errors"] == [], res["console_errors"]
    assert res["requests"] == [], f"the page fetched something: {res['requests']}"
    assert res["error_text"] == ""
    w, h = res["steps"][1]["width"], res["steps"][1]["height"]
    imgs = {n: rgb(out, n, w, h) for n in ("colour", "instance", "semantic", "importance", "dragged")}
    assert imgs["colour"].std() > 0.02 and (imgs["colour"].max(-1) > 0.05).mean() > 0.2, "the canvas is blank"
    for f in ("instance", "semantic", "importance"):
        change = np.abs(imgs[f] - imgs["colour"]).mean()
        assert change > 0.02, f"switching to {f} changed the picture by only {change:.4f}"
    assert np.abs(imgs["dragged"] - imgs["colour"]).mean() > 0.01, "dragging did not orbit the camera"
    # semantic view: every pixel is a legend colour times the pixel's coverage (over the black background)
    legend = np.array(next(s["legend"] for s in res["steps"] if s["do"] == "legend"), np.float64) / 255
    assert (legend * 255).round().astype(int).tolist() == read_viewer(page)[0]["class_colors"]
    px = imgs["semantic"].reshape(-1, 3)
    lit = px[px.max(-1) > 0.1]
    scale = (lit @ legend.T) / (legend * legend).sum(-1)                         # best coverage per legend colour
    err = np.abs(lit[:, None, :] - scale.clip(0, 1)[..., None] * legend[None]).max(-1).min(-1)
    assert len(lit) > 0.2 * len(px) and (err <= 3 / 255).mean() > 0.99, f"{(err > 3 / 255).mean():.3%} of pixels are no legend colour"
    full = px[px.max(-1) > 0.0]
    exact = (np.abs(full[:, None, :] - legend[None]).max(-1) <= 1.5 / 255).any(-1)
    assert exact.mean() > 0.5, f"only {exact.mean():.1%} of covered pixels show a legend colour exactly"


@pytest.mark.slow
def test_colour_matches_the_renderer_at_an_input_camera(demo):
    from spatialsplat.render import render
    from spatialsplat.selective import prune
    from spatialsplat.widgets import orbit_viewmat
    scene, page, info, out = demo
    s = 2
    K = scene.K.clone(); K[:2] *= s
    W, H = scene.width * s, scene.height * s
    results = {}
    for name, vm in (("view 1", torch.eye(4)), ("orbit", orbit_viewmat(scene.pivot_depth, 20.0, -10.0, 1.2))):
        res = run_plan(page, out, [{"do": "cameras", "on": False},
                                   {"do": "camera", "viewmat": vm.flatten().tolist(), "K": K.flatten().tolist(), "width": W, "height": H},
                                   {"do": "pixels", "name": "fixed"}])
        assert res["console_errors"] == []
        got = rgb(out, "fixed", W, H)
        kept, _ = prune(scene.fine, scene.tau)
        want = render(kept, vm[None], K[None], W, H)["rgb"][0].clamp(0, 1).numpy()
        results[name] = psnr(got, want)
    print(f"viewer vs spatialsplat.render at {W}x{H}: " + ", ".join(f"{k} PSNR {v:.1f} dB" for k, v in results.items()))
    for name, p in results.items(): assert p >= 25, f"{name}: the viewer's colour image differs from render(): PSNR {p:.1f} dB < 25"


@pytest.mark.slow
def test_query_highlights_exactly_the_gaussians_over_the_threshold(demo):
    from spatialsplat.viewer import scene_queries
    scene, page, info, out = demo
    kept = scene.fine.importance > scene.tau
    rel = scene_queries(scene)
    steps, want = [], {}
    for q, thr in (("wall", 0.3), ("floor", 0.2), ("chair", 0.05), ("floor", 0.6)):
        want[(q, thr)] = int(((rel[q] > thr) & kept).sum())
        steps.append({"do": "query", "text": q.upper() if q == "floor" else q, "threshold": thr})
    steps += [{"do": "pruned", "on": True}, {"do": "query", "text": "wall", "threshold": 0.3}]
    want_all = int((rel["wall"] > 0.3).sum())
    steps += [{"do": "query", "text": "no such class"}]
    res = run_plan(page, out, steps)
    counts = [s for s in res["steps"] if s["do"] == "query"]
    for (key, n), s in zip(want.items(), counts):
        assert s["count"] == str(n), f"query {key}: the page counts {s['count']}, Python {n} ({s['text']})"
    assert counts[4]["count"] == str(want_all) and counts[4]["state"]["visible"] == len(scene.fine)
    assert "unknown query" in counts[5]["error"] and counts[5]["count"] in ("", None)
    assert sum(want.values()) > 0, "no query matched anything: the test would not see a highlight"
    print("query counts (page == Python):", {f"{q}>{t}": n for (q, t), n in want.items()}, f"wall>0.3 with pruned: {want_all}")


@pytest.mark.slow
def test_orbit_matches_widgets_and_screenshot(demo):
    from spatialsplat.widgets import orbit_viewmat
    scene, page, info, out = demo
    res = run_plan(page, out, [{"do": "orbit", "az": 25.0, "el": -12.0, "zoom": 0.8}, {"do": "viewmat"},
                               {"do": "orbit", "az": 18.0, "el": -8.0, "zoom": 0.9}, {"do": "field", "value": "semantic"},
                               {"do": "query", "text": "wall", "threshold": 0.6}, {"do": "page_screenshot", "name": "page"}],
                   width=1100, height=700)
    assert int(res["steps"][4]["count"]) > 0, "the query highlights nothing: README's picture would show no match"
    got = torch.tensor(res["steps"][1]["viewmat"], dtype=torch.float64).reshape(4, 4)
    torch.testing.assert_close(got, orbit_viewmat(scene.pivot_depth, 25.0, -12.0, 0.8).double(), atol=1e-5, rtol=0)
    img = Image.open(out / "page.png").convert("RGB")
    assert img.size == (1100, 700) and np.asarray(img).std() > 10
    SCREENSHOT.parent.mkdir(exist_ok=True)
    img.save(SCREENSHOT, optimize=True)
