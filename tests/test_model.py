"""Package-level checks of spatialsplat.model (and its pretrained / profiling companions): a light import, the public names, and a save / load round trip."""
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def test_model_import_is_light():
    """Importing the model must not import plotting libraries, gsplat or torchvision (they load on first use)."""
    code = ("import sys, spatialsplat.model\n"
            "heavy = [m for m in ('plotly', 'matplotlib', 'gsplat', 'torchvision') if m in sys.modules]\n"
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT / "tests")


def test_public_names():
    import spatialsplat.model as m
    import spatialsplat.pretrained as pre
    import spatialsplat.profiling as prof
    for mod, name in ((m, "SpatialSplat"), (m, "SpatialSplatConfig"), (m, "SpatialSplatPrediction"), (m, "GaussianMaps"),
                      (pre, "load_pretrained"), (pre, "save_pretrained"), (prof, "profile_model"), (prof, "format_profile")):
        assert hasattr(mod, name), name
    import spatialsplat.backbone as bb
    assert set(bb._PRESETS) == {"tiny", "small", "base", "large"}


def test_save_from_pretrained_round_trip(tmp_path):
    from spatialsplat.model import SpatialSplat, SpatialSplatConfig
    from spatialsplat.pretrained import from_pretrained, save_pretrained
    torch.manual_seed(0)
    model = SpatialSplat(SpatialSplatConfig.preset("tiny", sh_degree=2)).eval()
    images = torch.rand(1, 2, 3, 32, 32)
    with torch.no_grad():
        ref = model(images)
    save_pretrained(model, tmp_path / "m.safetensors")
    again = from_pretrained(tmp_path / "m.safetensors").eval()
    assert again.config == model.config
    with torch.no_grad():
        out = again(images)
    assert torch.equal(out.pointmaps, ref.pointmaps) and torch.equal(out.fine.sh, ref.fine.sh)
    assert torch.equal(out.coarse.semantic, ref.coarse.semantic)
