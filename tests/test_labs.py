"""Classroom labs: exercises are marked for nbgrader and checked with feedback; the student editions run; chapters
run top to bottom with their defaults without the long runs; outputs and prose carry no leftovers of this machine."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
sys.path.insert(0, str(ROOT))
from spatialsplat.labs import SOLUTION_MARKERS, cell_role  # noqa: E402

CHAPTERS = sorted(p for p in NBS.glob("*.ipynb") if p.name[0].isdigit())
# the chapters whose labs need at least three exercises, one of them open-ended (a picture to make and explain)
LAB_CHAPTERS = ["01_geometry", "02_splatting", "03_selective_gaussians", "04_dual_field", "05_contrastive_loss",
                "06_cuda_rasterization", "06b_cuda_kernels", "10_training"]


def cells(nb: Path) -> list[dict]:
    return json.loads(nb.read_text(encoding="utf-8"))["cells"]


def src(c: dict) -> str:
    return "".join(c["source"])


def with_exercises() -> list[Path]:
    return [p for p in CHAPTERS if any(c["cell_type"] == "code" and cell_role(c) == "exercise" for c in cells(p))]


def test_every_exercise_is_followed_by_its_checking_cell():
    for nb in with_exercises():
        code = [c for c in cells(nb) if c["cell_type"] == "code"]
        roles = [cell_role(c) for c in code]
        for i, r in enumerate(roles):
            if r == "exercise":
                assert SOLUTION_MARKERS[1] in src(code[i]), f"{nb.name}: an exercise cell opens a solution region without closing it"
                nxt = next((roles[k] for k in range(i + 1, len(roles)) if roles[k] != "exercise"), None)
                assert nxt == "check", f"{nb.name}: exercise cell {src(code[i])[:60]!r} has no checking cell after it"
        for c in code:
            if cell_role(c) == "check":
                assert "print(\"exercise" not in src(c), f"{nb.name}: a checking cell prints its own verdict; `checking` does"


@pytest.mark.parametrize("stem", LAB_CHAPTERS)
def test_lab_chapters_have_three_exercises_and_an_open_ended_one(stem):
    cs = cells(NBS / f"{stem}.ipynb")
    checks = [src(c) for c in cs if cell_role(c) == "check"]
    assert len(checks) >= 3, f"{stem}: {len(checks)} checked exercises, want at least 3"
    assert any("expect_explanation(" in s and "expect_picture(" in s for s in checks), \
        f"{stem}: no open-ended exercise (a picture checked by expect_picture and an explanation by expect_explanation)"


def test_long_cells_sit_behind_one_flag_and_gpu_cells_behind_a_gpu_check():
    for nb in CHAPTERS:
        cs, flag_seen = cells(nb), False
        for c in cs:
            s = src(c)
            if c["cell_type"] != "code": continue
            if re.search(r"^RUN_LONG = ", s, flags=re.M): flag_seen = True
            head = [l for l in s.splitlines() if l.startswith("#|")]
            body = "\n".join(l for l in s.splitlines() if not l.startswith("#|")).lstrip()
            if any(re.search(r"\bslow\b", l) for l in head):
                assert flag_seen, f"{nb.name}: a slow cell comes before `RUN_LONG = ...` (put the flag at the top of the chapter)"
                assert body.startswith("if RUN_LONG:"), f"{nb.name}: slow cell {body[:60]!r} does not start with `if RUN_LONG:`; Run All would run it"
            if any(re.search(r"\bcuda\b", l) for l in head):
                assert "torch.cuda.is_available()" in body, f"{nb.name}: cuda cell {body[:60]!r} is not guarded by torch.cuda.is_available()"
        defs = [l for c in cs if c["cell_type"] == "code" for l in src(c).splitlines() if l.startswith("RUN_LONG = ")]
        assert all(re.match(r'RUN_LONG = (False\b|os\.environ\.get\("SPATIALSPLAT_RUN_LONG"\) == "1")', d) for d in defs), \
            f"{nb.name}: RUN_LONG must be False unless SPATIALSPLAT_RUN_LONG=1 is set: {defs}"


def test_chapter_times_cover_every_chapter_within_two_minutes():
    res = json.loads((ROOT / "bench" / "results" / "chapter_times.json").read_text())
    rows = res["chapters"]
    missing = sorted({p.name for p in CHAPTERS} - set(rows))
    assert not missing, f"bench/results/chapter_times.json misses {missing}: run make chapter-times"
    slow = {k: v.get("seconds") for k, v in rows.items() if not (v.get("ok") and v["seconds"] <= res["limit_s"])}
    assert not slow, f"chapters whose Run All failed or took more than {res['limit_s']} s: {slow}"
    assert all("load_average_before" in v and "load_average_after" in v for v in rows.values())


MACHINE = re.compile(r"/work/|/tmp/|/root/|/home/|ipykernel_")


def test_no_paths_of_this_machine_in_outputs():
    for nb in [*CHAPTERS, NBS / "index.ipynb"]:
        for i, c in enumerate(cells(nb)):
            text = json.dumps(c.get("outputs", []))
            m = MACHINE.search(text)
            assert not m, f"{nb.name} cell {i}: an output shows a path of this machine: {text[max(0, m.start() - 80):m.end() + 40]!r}"


def test_prose_talks_about_the_method_not_the_project_history():
    bad = re.compile(r"\bthe issue\b|\bissue's\b|this session|full demo lands|twelve chapters", re.I)
    for nb in [*CHAPTERS, NBS / "index.ipynb"]:
        for c in cells(nb):
            if c["cell_type"] == "markdown":
                m = bad.search(src(c))
                assert not m, f"{nb.name}: prose mentions {m.group(0)!r}: {src(c)[max(0, m.start() - 60):m.end() + 60]!r}"


@pytest.mark.parametrize("nb", [p.name for p in with_exercises()])
def test_student_edition_runs_and_every_check_fails_on_its_stub_with_help(nb):
    code = f"import json; from spatialsplat.labs import check_student_edition; print(json.dumps(check_student_edition({str(NBS / nb)!r})))"
    env = {**os.environ, "IN_TEST": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=NBS, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    rep = json.loads(r.stdout.strip().splitlines()[-1])
    wrong = [f for f in rep["failed"] if f["role"] not in ("exercise", "check")]
    assert not wrong, f"{nb}: cells outside the exercises fail in the student edition: {wrong}"
    checks = [f for f in rep["failed"] if f["role"] == "check"]
    assert len(checks) == rep["checks"], f"{nb}: {rep['checks'] - len(checks)} checking cells pass on the stubs (they check nothing)"
    for f in checks:
        assert f["error"] == "ExerciseFailed" and re.search(r"not written yet|Write it in the exercise cell", f["message"]), \
            f"{nb}: cell {f['cell']} fails on its stub without a helpful message: {f['error']}: {f['message']}"
