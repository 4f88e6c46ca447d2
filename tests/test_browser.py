"""End to end in a real browser: JupyterLab and headless Chromium run the widget chapter (nbs/12_widgets.ipynb),
drag the explorer's orbit slider, and the picture on the page changes.

Marked slow (a minute or two). Needs Node.js, Chromium (/usr/bin/chromium, or $CHROMIUM) and playwright-core in
tests/browser/node_modules; `make test-browser` installs the last two and runs this test."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
BROWSER = ROOT / "tests" / "browser"
NOTEBOOK = ROOT / "nbs" / "12_widgets.ipynb"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing_tools() -> str | None:
    """Why the browser test cannot run here, or None."""
    if shutil.which("node") is None: return "Node.js (`node`) is not installed"
    if not Path(CHROMIUM).exists(): return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, or set $CHROMIUM)"
    if not (BROWSER / "node_modules" / "playwright-core").is_dir():
        return "playwright-core is not installed in tests/browser (run `make test-browser`, which runs npm ci there)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stripped_copy(src: Path, dst: Path) -> Path:
    """The notebook without outputs (only widgets of this run are on the page), opening with the python3 kernel."""
    nb = json.loads(src.read_text(encoding="utf-8"))
    for c in nb["cells"]:
        if c["cell_type"] == "code": c["outputs"], c["execution_count"] = [], None
    nb["metadata"].pop("widgets", None)
    nb["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}  # no kernel dialog
    dst.write_text(json.dumps(nb), encoding="utf-8")
    return dst


def wait_for_server(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None: raise RuntimeError(f"JupyterLab exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200: return
        except OSError: pass
        time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer {url} within {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    """End the JupyterLab server this test started, and its kernels (its own process group)."""
    if proc.poll() is not None: return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired: os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError: pass


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)


@pytest.mark.slow
def test_orbit_slider_changes_the_picture_in_a_real_browser(tmp_path):
    why = missing_tools()
    if why: pytest.skip(why)
    work, shots = tmp_path / "lab", tmp_path / "shots"
    work.mkdir(); shots.mkdir()
    stripped_copy(NOTEBOOK, work / NOTEBOOK.name)
    port, token = free_port(), "spatialsplat-browser-test"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "IPYTHONDIR": str(tmp_path / "ipython"), "OMP_NUM_THREADS": "1"}
    lab = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={work}", f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", "--LabApp.expose_app_in_browser=True",
         "--ServerApp.disable_check_xsrf=True", *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=work, env=env, stdout=open(tmp_path / "lab.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try: wait_for_server(f"http://127.0.0.1:{port}/api/status?token={token}", lab)
        except (RuntimeError, TimeoutError) as e: pytest.fail(f"{e}\n--- JupyterLab log ---\n{(tmp_path / 'lab.log').read_text()[-2000:]}")
        url = f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK.name}?reset&token={token}"
        run = subprocess.run(["node", str(BROWSER / "explorer_e2e.mjs"), url, str(shots)], cwd=BROWSER, env=env,
                             capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, f"browser run failed:\n{run.stderr[-3000:]}\n--- JupyterLab log ---\n{(tmp_path / 'lab.log').read_text()[-2000:]}"
        result = json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        stop(lab)
    before, again, after = (pixels(shots / f"{n}.png") for n in ("before", "before_again", "after"))
    assert before.shape == after.shape and before.shape[0] > 100, f"unexpected screenshot sizes {before.shape}, {after.shape}"
    assert np.abs(before - again).mean() == 0, "the picture changed without any input"
    change = np.abs(before - after).mean()
    assert change > 2.0, f"dragging the orbit slider changed the picture by only {change:.3f} gray levels on average"
    assert result["readout_after"] != result["readout_before"], result
    assert float(result["readout_after"]) > float(result["readout_before"]), result
