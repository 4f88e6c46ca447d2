"""The fast CPU training step (compiled compositing, cached views, fused AdamW, no DDP `touch` without DDP) computes the
same losses and gradients as the reference step (chapter 2's pure-PyTorch rasteriser, views read every time)."""
import tempfile

import pytest
import torch

from spatialsplat import train as T
from spatialsplat.data import sample_data_root
from spatialsplat.pretrained import load_pretrained
from spatialsplat.train_config import TrainConfig

CKPT = sample_data_root().parent / "checkpoints" / "cpu_tiny.safetensors"


def one_step(backend: str, cache_views: int, checkpoint):
    "Loss terms and gradients of the first micro-batch of a cpu_tiny run on the committed rooms."
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig.preset("cpu_tiny", data=str(sample_data_root()), val_data=None, out_dir=tmp, progress=False,
                                 backend=backend, cache_views=cache_views, num_threads=2)
        run = T._start(cfg, 0, 1, torch.device("cpu"))
        if checkpoint: load_pretrained(run.model, checkpoint)
        if cache_views: run.train_ds[0]; run.train_ds[1]                 # some views come from the cache
        sums, ok, _, _ = T._forward_backward(run)
        grads = {n: p.grad.detach().clone() for n, p in run.model.named_parameters() if p.requires_grad}
        T._close(run)
    return sums, grads


@pytest.mark.parametrize("checkpoint", [None, CKPT], ids=["initial weights", "trained"])
def test_fast_step_has_the_reference_losses_and_gradients(checkpoint):
    ref_terms, ref_grads = one_step("torch", 0, checkpoint)
    terms, grads = one_step("numba", 64, checkpoint)
    for k in ("loss", "rgb", "semantic", "contrastive", "points", "importance"):
        if k in ref_terms: assert terms[k] == pytest.approx(ref_terms[k], rel=1e-5, abs=1e-7), k
    assert grads.keys() == ref_grads.keys()
    worst = {}
    for n, g in ref_grads.items():
        err = ((grads[n] - g).norm() / g.norm().clamp_min(1e-12)).item()
        worst[n] = err
    bad = {n: e for n, e in worst.items() if e > 1e-3}
    assert not bad, f"gradients differ: {sorted(bad.items(), key=lambda kv: -kv[1])[:5]}"
    total = (torch.cat([(grads[n] - g).reshape(-1) for n, g in ref_grads.items()]).norm()
             / torch.cat([g.reshape(-1) for g in ref_grads.values()]).norm()).item()
    print(f"worst parameter {max(worst.values()):.2e}, all {total:.2e}")
    assert total < 1e-4, total


def test_network_only_measure_reaches_every_parameter_the_step_reaches():
    "bench/train_step.py's network-only timing backpropagates through every parameter the trainer's step trains."
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import train_step as B
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig.preset("cpu_tiny", data=str(sample_data_root()), val_data=None, out_dir=tmp, progress=False, num_threads=2)
        run = T._start(cfg, 0, 1, torch.device("cpu"))
        T._forward_backward(run)
        stepped = {n for n, p in run.model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
        run.model.zero_grad(set_to_none=True)
        B.network_loss(run, T._to_device(next(run.batches), run.device)).backward()
        reached = {n for n, p in run.model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
        T._close(run)
    assert stepped and stepped <= reached, sorted(stepped - reached)[:10]
