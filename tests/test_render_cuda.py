"""Twin tests: the torch backend (on the CPU) and gsplat's CUDA kernels give the same images and gradients.

They need a CUDA GPU and gsplat's extension: `pytest --run-cuda` (or `make test-gpu`); elsewhere they are skipped.
The same checks run in nbs/06_cuda_rasterization.ipynb as `#| cuda` cells.
"""
import pytest
import torch

from spatialsplat.core import assert_close
from spatialsplat.geometry import default_intrinsics, demo_views, interpolate_viewmats, look_at, random_quats
from spatialsplat.render import backend_differences, check_twins, gsplat_status, rasterize, render
from spatialsplat.splatting import gaussians_from_depth

pytestmark = pytest.mark.cuda


def scene(n, D, seed, width=96, height=64, C=2):
    """n random Gaussians in front of C cameras, with D-channel colours (CPU float32)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.rand(n, generator=g) * 2 + 2
    means = torch.cat([(torch.rand(n, 2, generator=g) * 2 - 1) * z[:, None] * 0.45, z[:, None]], -1)
    viewmats = torch.stack([look_at([0.25 * k, -0.15 * k, -0.3 * k], [0.0, 0.0, 3.0]) for k in range(C)])
    Ks = torch.stack([default_intrinsics(width, height, 0.8 + 0.2 * k) for k in range(C)])
    return (means, random_quats(n, g), torch.rand(n, 3, generator=g) * 0.08 + 0.01, torch.rand(n, generator=g) * 0.9 + 0.1,
            torch.rand(n, D, generator=g), viewmats, Ks, width, height)


@pytest.fixture(scope="module", autouse=True)
def needs_gsplat():
    ok, why = gsplat_status()
    if not ok:
        pytest.fail(f"a CUDA machine without a working gsplat: {why}")


@pytest.mark.parametrize("D", [3, 8, 33, 512])
@pytest.mark.parametrize("mode", ["classic", "antialiased"])
def test_twins_features(D, mode):
    s = scene(3000, D, seed=D)
    bg = torch.rand(2, D, generator=torch.Generator().manual_seed(1))
    check_twins(backend_differences(*s, backgrounds=bg, rasterize_mode=mode, render_mode="RGB+D"))


def test_twins_sh_colours():
    s = scene(2000, 3, seed=5)
    coeffs = torch.randn(2000, 16, 3, generator=torch.Generator().manual_seed(6)) * 0.3
    check_twins(backend_differences(*s[:4], coeffs, *s[5:], sh_degree=3))


def test_twins_pixel_aligned_room():
    v = demo_views(128, 128)
    room = gaussians_from_depth(v["rgb"], v["depth"], v["Ks"], v["viewmats"])
    feats = torch.cat([room.colors, torch.randn(len(room), 8, generator=torch.Generator().manual_seed(2))], -1)
    target = interpolate_viewmats(v["viewmats"][0], v["viewmats"][1], 3)[1:2]
    check_twins(backend_differences(room.means, room.quats, room.scales, room.opacities, feats, target, v["Ks"][:1], 128, 128,
                                    render_mode="RGB+D"))


def test_twins_detect_a_real_difference():
    """The comparison can fail: a different blur in one backend is caught."""
    s = scene(2000, 3, seed=9)
    d = backend_differences(*s)
    check_twins(d)
    cpu = rasterize(*s, backend="torch", eps2d=0.6)[0]
    gpu = rasterize(*[t.cuda() for t in s[:7]], *s[7:], backend="gsplat")[0].cpu()
    assert (cpu - gpu).abs().max() > 0.05


def test_auto_picks_gsplat_and_torch_backend_runs_on_cuda():
    s = scene(1000, 4, seed=3)
    cu = [t.cuda() for t in s[:7]]
    _, _, meta = rasterize(*cu, *s[7:])
    assert meta["backend"] == "gsplat", meta["backend_reason"]
    o_gpu, a_gpu, _ = rasterize(*cu, *s[7:], backend="torch")
    o_cpu, a_cpu, _ = rasterize(*s, backend="torch")
    assert_close(o_gpu.cpu(), o_cpu, atol=1e-5)
    assert_close(a_gpu.cpu(), a_cpu, atol=1e-5)
    _, _, meta64 = rasterize(*[t.double() for t in cu], *s[7:])
    assert meta64["backend"] == "torch"                     # gsplat's kernels are float32 only


def test_render_twins():
    v = demo_views(64, 64)
    room = gaussians_from_depth(v["rgb"], v["depth"], v["Ks"], v["viewmats"]).to("cuda")
    out = {b: render(room, v["viewmats"].cuda(), v["Ks"].cuda(), 64, 64, backend=b) for b in ("torch", "gsplat")}
    assert out["gsplat"]["meta"]["backend"] == "gsplat" and out["torch"]["meta"]["backend"] == "torch"
    for k in ("rgb", "alpha"):
        assert (out["torch"][k] - out["gsplat"][k]).abs().mean() < 1e-4, k
