"""Splat viewer benchmark: load time and frame rate of the offline viewer page (chapter 12a) in headless Chromium with
software WebGL (SwiftShader, `--disable-gpu`), for the demo scene and for 100,000 random Gaussians; plus the PSNR of the
page's colour image against spatialsplat.render at two cameras of the demo scene. No targets: these are measurements.

Needs Node.js, Chromium and tests/browser/node_modules (`bash .ci/install-browser`). Prints JSON and writes
bench/results/viewer.json (or --out)."""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from spatialsplat.core import machine_info, write_json
from spatialsplat.geometry import random_quats
from spatialsplat.render import render
from spatialsplat.selective import prune
from spatialsplat.splatting import Gaussians
from spatialsplat.viewer import write_viewer
from spatialsplat.widgets import orbit_viewmat

ROOT = Path(__file__).resolve().parents[1]
BROWSER = ROOT / "tests" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def demo_scene():
    from spatialsplat.data import SceneDataset, sample_data_root
    from spatialsplat.widgets import load_model, reconstruct
    model = load_model(device="cpu")
    sample = SceneDataset(sample_data_root(), size=tuple(model.config.image_size), mode="test")[0]
    tf = sample["context_features"] if model.config.teacher_dim else None
    return reconstruct(model, sample["context_images"], sample["context_Ks"], tf)[0]


def random_gaussians(n=100_000, seed=0):
    """n Gaussians in a 4 x 3 x 2 box 2-4 units in front of camera 1, 1-5 cm across, with labels and importance."""
    g = torch.Generator().manual_seed(seed)
    means = (torch.rand(n, 3, generator=g) - 0.5) * torch.tensor([4.0, 3.0, 2.0]) + torch.tensor([0.0, 0.0, 3.0])
    return (Gaussians(means=means, quats=random_quats(n, g), scales=torch.rand(n, 3, generator=g) * 0.04 + 0.01,
                      opacities=torch.rand(n, generator=g) * 0.8 + 0.2, colors=torch.rand(n, 3, generator=g)),
            dict(labels=torch.randint(0, 4, (n,), generator=g), class_names=("a", "b", "c", "d"),
                 importance=torch.rand(n, generator=g), relevance={"a": torch.rand(n, generator=g)}))


def run(page: Path, out: Path, steps: list, width=1000, height=700) -> dict:
    plan = out / "plan.json"
    plan.write_text(json.dumps({"page": str(page), "out": str(out), "steps": steps, "width": width, "height": height}))
    r = subprocess.run(["node", str(BROWSER / "viewer_e2e.mjs"), str(plan)], cwd=BROWSER, capture_output=True, text=True, timeout=900)
    if r.returncode: sys.exit(f"viewer bench: the browser run failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def psnr_vs_render(scene, page: Path, out: Path) -> dict:
    K = scene.K.clone(); K[:2] *= 2
    W, H = 2 * scene.width, 2 * scene.height
    res = {}
    for name, vm in (("view 1", torch.eye(4)), ("orbit", orbit_viewmat(scene.pivot_depth, 20.0, -10.0, 1.2))):
        run(page, out, [{"do": "cameras", "on": False},
                        {"do": "camera", "viewmat": vm.flatten().tolist(), "K": K.flatten().tolist(), "width": W, "height": H},
                        {"do": "pixels", "name": "fixed"}])
        got = np.frombuffer((out / "fixed.rgb").read_bytes(), np.uint8).reshape(H, W, 3) / 255.0
        want = render(prune(scene.fine, scene.tau)[0], vm[None], K[None], W, H)["rgb"][0].clamp(0, 1).numpy()
        res[name] = 10 * math.log10(1 / max(float(((got - want) ** 2).mean()), 1e-12))
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "viewer.json"))
    ap.add_argument("--frames", type=int, default=30)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        scene = demo_scene()
        pages = {"demo scene": write_viewer(d / "demo.html", scene)}
        g, fields = random_gaussians()
        pages["100k random Gaussians"] = write_viewer(d / "random.html", g, (torch.eye(4)[None], torch.tensor([[500.0, 0, 320], [0, 500, 240], [0, 0, 1]])[None], 640, 480), **fields)
        rows = []
        for (name, info), page in zip(pages.items(), (d / "demo.html", d / "random.html")):
            r = run(page, d, [{"do": "cameras", "on": False}, {"do": "benchmark", "frames": a.frames}])
            b = r["steps"][-1]["bench"]
            rows.append({"name": name, "gaussians": info["gaussians"], "drawn": b["drawn"], "file_mb": info["bytes"] / 1e6,
                         "load_ms": r["load_ms"], "first_frame_ms": r["first_frame_ms"], "fps": b["fps"], "frames": b["frames"],
                         "width": b["width"], "height": b["height"], "render_target": r["info"]["stats"]["format"]})
        psnr = psnr_vs_render(scene, d / "demo.html", d)
    browser = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    res = {"what": "offline splat viewer in headless Chromium (--disable-gpu: SwiftShader software WebGL2), page opened from file://",
           "load_ms": "navigation start to the first drawn frame seen by the driver (includes decoding the embedded payload)",
           "fps": "orbiting frames drawn back to back (depth sort + draw + a 1-pixel readback that waits for the GPU)",
           "scenes": rows, "psnr_db": psnr, "psnr_setup": "colour, 128x128, kept Gaussians, vs spatialsplat.render (torch backend)",
           "browser": browser, "machine": machine_info()}
    print(json.dumps(res, indent=1))
    write_json(a.out, res)


if __name__ == "__main__":
    main()
