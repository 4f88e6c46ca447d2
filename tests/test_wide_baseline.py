"""bench/wide_baseline.py: the two samplings it compares are what it says (LSM's adjacent contexts, the training's wide
ones), and a bad --checkpoint is a parser error."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import wide_baseline as W  # noqa: E402

from spatialsplat.data import sample_data_root  # noqa: E402
from spatialsplat.train_config import TrainConfig  # noqa: E402


def test_narrow_contexts_are_adjacent_and_wide_ones_a_frame_gap_apart():
    cfg = TrainConfig.preset("cpu_tiny")
    sets = W.datasets(sample_data_root(), 64, cfg)
    for mode, ds in sets.items():
        ds.set_epoch(0)
        for i in range(0, len(ds), max(1, len(ds) // 6)):
            s = ds[i]
            c1, c2 = (int(f) for f in s["context_frames"])
            targets = [int(f) for f in s["target_frames"]]
            if mode == "narrow": assert c2 - c1 <= 2 and all(c1 <= t <= c2 for t in targets), (c1, c2, targets)
            else: assert c2 - c1 >= cfg.frame_gap and len(targets) == cfg.num_targets and all(c1 < t < c2 for t in targets), (c1, c2, targets)


def test_bad_checkpoint_spec_is_a_parser_error(capsys):
    with pytest.raises(SystemExit): W.main(["--checkpoint", "no_equals_sign"])
    assert "NAME=PATH" in capsys.readouterr().err
