"""Install-level checks: what a wheel ships, what importing costs, and no CUDA packages in a CPU install."""
import importlib.metadata as md
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def test_cpu_install_has_no_cuda_packages():
    if torch.version.cuda is not None:
        pytest.skip("a CUDA build of torch is installed (GPU machine)")
    cuda = sorted(d.metadata["Name"] for d in md.distributions() if d.metadata["Name"].lower().startswith("nvidia-"))
    assert not cuda, f"CPU install pulled CUDA packages: {cuda}"


def test_no_torchvision_dependency():
    for req in md.requires("spatialsplat") or []:
        assert not req.lower().startswith("torchvision"), f"spatialsplat must not depend on torchvision: {req}"


def test_import_is_light():
    """Importing the package must not import plotly, matplotlib or gsplat (they load on first use; gsplat only for CUDA tensors)."""
    code = ("import sys, spatialsplat, spatialsplat.core, spatialsplat.geometry, spatialsplat.splatting, spatialsplat.render\n"
            "heavy = [m for m in ('plotly', 'matplotlib', 'gsplat', 'torchvision') if m in sys.modules]\n"
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT / "tests")


def test_wheel_ships_data_samples(tmp_path):
    """A non-editable install finds data_samples/ under <prefix>/share/spatialsplat (see core.data_samples_dir)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("spatialsplat-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.split("/data/share/spatialsplat/", 1)[1] for n in names if "/data/share/spatialsplat/data_samples/" in n}
    expected = {str(p.relative_to(ROOT)) for p in (ROOT / "data_samples").rglob("*") if p.is_file()}
    assert expected and shipped == expected, f"wheel data_samples differ: missing {sorted(expected - shipped)}"
    assert "spatialsplat/core.py" in names and "spatialsplat/geometry.py" in names


def test_data_samples_found_from_an_installed_prefix(tmp_path, monkeypatch):
    """data_samples_dir() falls back to <prefix>/share/spatialsplat/data_samples when not in a checkout."""
    from spatialsplat import core
    installed = tmp_path / "share" / "spatialsplat" / "data_samples"
    installed.mkdir(parents=True)
    monkeypatch.delenv(core.DATA_ENV, raising=False)
    monkeypatch.setattr(core, "_package_dir", lambda: tmp_path / "site-packages" / "spatialsplat")
    monkeypatch.setattr(core.sys, "prefix", str(tmp_path))
    assert core.data_samples_dir() == installed
    monkeypatch.setenv(core.DATA_ENV, str(ROOT / "data_samples"))
    assert core.data_samples_dir() == ROOT / "data_samples"
