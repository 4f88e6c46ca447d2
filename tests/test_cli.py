"""The installed `spatialsplat` console script: it exists, documents its commands, and a user mistake is one line, not a traceback."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def script() -> str:
    exe = Path(sys.executable).parent / "spatialsplat"
    found = str(exe) if exe.exists() else shutil.which("spatialsplat")
    if found is None: pytest.fail("the `spatialsplat` console script is not installed (settings.ini console_scripts; reinstall with make install)")
    return found


def run(*args, **kw):
    return subprocess.run([script(), *args], capture_output=True, text=True, cwd=ROOT, timeout=300, **kw)


def test_help_lists_every_command():
    r = run("--help")
    assert r.returncode == 0, r.stderr
    for cmd in ("demo", "infer", "train", "eval", "profile", "teachers"): assert cmd in r.stdout, cmd


@pytest.mark.parametrize("args, words", [
    (("infer", "no/such/photo.jpg", "data_samples/pairs/room_a_2.jpg"), "not found"),
    (("infer", "settings.ini", "settings.ini"), "settings.ini"),
    (("eval", "missing.safetensors"), "checkpoint not found"),
    (("demo", "--frames", "many"), "expected an int >= 1"),
    (("nonsense",), "invalid choice"),
])
def test_a_mistake_is_one_line_and_exit_code_2(args, words):
    r = run(*args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert lines[0].startswith("spatialsplat") and words in lines[0], lines[0]


def test_module_entry_point():
    r = subprocess.run([sys.executable, "-m", "spatialsplat.cli", "--version"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("spatialsplat "), (r.stdout, r.stderr)
