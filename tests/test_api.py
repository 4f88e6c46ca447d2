"""The scene API's labels (chapter 12b): instance-guided by default, coarse on request, the decoding carried by the
Reconstruction into its labels, counts, pictures and baked files."""
from dataclasses import replace
from pathlib import Path

import pytest
import torch

import spatialsplat
from spatialsplat.api import bake_colors
from spatialsplat.fields import decode_labels
from spatialsplat.metrics import LABEL_DECODINGS, guided_gaussian_labels
from spatialsplat.splatfiles import base_rgb, load_splat, splat_order
from spatialsplat.widgets import label_colors

PAIRS = Path(__file__).resolve().parents[1] / "data_samples" / "pairs"


@pytest.fixture(scope="module")
def scene():
    return spatialsplat.reconstruct([PAIRS / "room_a_1.jpg", PAIRS / "room_a_2.jpg"], device="cpu")


def test_default_is_guided(scene):
    assert LABEL_DECODINGS[0] == "guided" and scene.decoding == "guided"
    g, table = scene.gaussians, scene.explorer.text_embeddings
    assert torch.equal(scene.labels, guided_gaussian_labels(g.instance, g.semantic, table))
    assert torch.equal(bake_colors(g, "semantic", table).colors, label_colors(scene.labels, len(scene.class_names)).to(g.colors))


def test_coarse_is_each_gaussians_own_cell_and_differs(scene, tmp_path):
    g, table = scene.gaussians, scene.explorer.text_embeddings
    coarse = replace(scene, decoding="coarse")
    assert torch.equal(coarse.labels, decode_labels(g.semantic, table)) and torch.equal(scene.labels_by("coarse"), coarse.labels)
    assert (coarse.labels != scene.labels).any()                                   # the two decodings differ on these photos
    assert scene.label_counts("coarse") == coarse.label_counts() != scene.label_counts()
    assert (coarse.render(field="semantic labels") != scene.render(field="semantic labels")).any()
    s = load_splat(coarse.save(tmp_path / "coarse.splat", color_by="semantic"))      # save bakes the scene's own decoding
    want = bake_colors(g, "semantic", table, "coarse")
    assert torch.allclose(s.colors, base_rgb(want)[splat_order(want)].clamp(0, 1), atol=0.5 / 255 + 1e-6)


def test_bad_decoding_is_one_clear_error(scene, tmp_path):
    msg = r"decoding must be one of guided, coarse; got 'fine'"
    for call in (lambda: replace(scene, decoding="fine"), lambda: scene.label_counts("fine"),
                 lambda: bake_colors(scene.gaussians, "semantic", scene.explorer.text_embeddings, "fine"),
                 lambda: spatialsplat.reconstruct([PAIRS / "room_a_1.jpg"] * 2, checkpoint=tmp_path / "none.safetensors", decoding="fine")):
        with pytest.raises(ValueError, match=msg): call()                          # the last one fails before looking for the checkpoint
