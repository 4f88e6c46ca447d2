"""The numba CUDA kernels (chapter 06b) in numba's CUDA simulator, forward and backward against the torch rasteriser.

NUMBA_ENABLE_CUDASIM is read once, when numba is imported, so the kernels run in a child process that sets it:
nothing else in this pytest process (or anything that imports numba later) is switched to the simulator."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import torch
from spatialsplat.kernels import rasterize_numba, simulated, intersect_tiles, tile_keys
from spatialsplat.splatting import rasterize_torch
assert simulated(), "the kernels should run in numba's simulator"
g = torch.Generator().manual_seed(7)
n, W, H = 40, 20, 18                        # 2x2 tiles, three of them partly outside the image
z = torch.rand(n, generator=g) * 2 + 2
means = torch.cat([(torch.rand(n, 2, generator=g) * 2 - 1) * z[:, None] * 0.5, z[:, None]], -1)
quats, scales = torch.randn(n, 4, generator=g), torch.rand(n, 3, generator=g) * 0.2 + 0.05
opac = torch.rand(n, generator=g) * 0.5 + 0.5; opac[:8] = 1.0   # some opaque ones: pixels saturate and stop early
cols, bg = torch.rand(n, 4, generator=g), torch.rand(4, generator=g)
K = torch.tensor([[18.0, 0, W / 2], [0, 18.0, H / 2], [0, 0, 1]])
a = [t.clone().requires_grad_() for t in (means, quats, scales, opac, cols)]
b = [t.clone().requires_grad_() for t in (means, quats, scales, opac, cols)]
r1, al1, meta = rasterize_numba(*a, torch.eye(4), K, W, H, background=bg)
r2, al2, _ = rasterize_torch(*b, torch.eye(4)[None], K[None], W, H, backgrounds=bg[None])
wr, wa = torch.randn(r1.shape, generator=g), torch.randn(al1.shape, generator=g)
((r1 * wr).sum() + (al1 * wa).sum()).backward()
((r2[0] * wr).sum() + (al2[0] * wa).sum()).backward()
torch.testing.assert_close(r1, r2[0], atol=1e-5, rtol=1e-5)
torch.testing.assert_close(al1, al2[0], atol=1e-5, rtol=1e-5)
for name, x, y in zip(("means", "quats", "scales", "opacities", "colors"), a, b):
    torch.testing.assert_close(x.grad, y.grad, atol=1e-4, rtol=1e-4, msg=lambda m: f"{name}: {m}")
assert (al1 > 0.99).any(), "the scene should saturate some pixels"
assert len(meta["keys"]) > n and torch.equal(meta["keys"], torch.sort(meta["keys"]).values)
print("kernels match", len(meta["keys"]), "entries")
"""


def run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT / "tests", timeout=300)


def test_simulated_kernels_match_the_torch_rasteriser_forward_and_backward():
    r = run(SCRIPT)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "kernels match" in r.stdout


def test_this_process_is_not_switched_to_the_simulator():
    assert "NUMBA_ENABLE_CUDASIM" not in os.environ or os.environ["NUMBA_ENABLE_CUDASIM"] != "1"
