"""How long each chapter takes the way JupyterLab's "Run All" runs it: every cell, top to bottom, in a fresh kernel
started in nbs/, with the chapter's defaults (no nbdev flags: cells marked slow or cuda run too, and guard themselves
with RUN_LONG / torch.cuda.is_available()).

Writes bench/results/chapter_times.json (or --out): seconds per chapter, the limit (120 s), the machine and the
load average before and after each chapter. The development machine's 2 cores are shared with other jobs, so
the times are upper bounds of a quiet machine's. Usage: python bench/chapter_times.py [NOTEBOOK ...] [--out FILE]
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
LIMIT_S = 120.0


def run_all(path: Path, timeout: int = 1800) -> tuple[dict, float]:
    """Execute every cell of a notebook in a fresh python3 kernel started in nbs/; return the executed notebook and seconds."""
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(NBS)}})
    t0 = time.perf_counter()
    with _environ(env): client.execute()
    return nb, time.perf_counter() - t0


class _environ:
    "Set os.environ for the kernel the client starts (it inherits this process's environment)."
    def __init__(self, env): self.env, self.old = env, None
    def __enter__(self): self.old = dict(os.environ); os.environ.update(self.env)
    def __exit__(self, *a): os.environ.clear(); os.environ.update(self.old)


def chapters(names: list[str]) -> list[Path]:
    paths = [NBS / n for n in names] if names else sorted(p for p in NBS.glob("*.ipynb") if p.name[0].isdigit())
    for p in paths:
        if not p.exists(): sys.exit(f"chapter_times: no notebook {p.relative_to(ROOT)}")
    return paths


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", help="notebook file names in nbs/ (default: every chapter)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "chapter_times.json"))
    args = ap.parse_args(argv)
    from spatialsplat.core import machine_info, write_json
    out = Path(args.out)
    old = json.loads(out.read_text()) if out.exists() else {}
    rows = dict(old.get("chapters", {}))
    for p in chapters(args.notebooks):
        before = [round(x, 2) for x in os.getloadavg()]
        try:
            _, s = run_all(p)
            row = {"seconds": round(s, 1), "ok": True}
        except Exception as e:  # a failing cell: record it, go on with the next chapter
            row = {"seconds": None, "ok": False, "error": f"{type(e).__name__}: {str(e).strip().splitlines()[-1][:300]}"}
        row.update(load_average_before=before, load_average_after=[round(x, 2) for x in os.getloadavg()],
                   within_limit=bool(row["ok"] and row["seconds"] <= LIMIT_S), measured=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                   cpu=machine_info()["cpu"])  # rows measured at other times may come from other machines
        rows[p.name] = row
        print(f"{p.name:36s} {row['seconds'] if row['ok'] else 'FAILED'} s  (load {before[0]} -> {row['load_average_after'][0]})", flush=True)
    result = {"what": "seconds for each chapter run top to bottom as JupyterLab's Run All does (every cell, defaults, fresh kernel, OMP_NUM_THREADS=1)",
              "limit_s": LIMIT_S, "machine": machine_info(),  # of the latest measurement; each row names its cpu where known
              "note": "measured on 2-core development machines (each row names its cpu where recorded; rows without one: Intel Xeon) while other jobs shared them (see each chapter's load averages): upper bounds of a quiet machine's times",
              "chapters": dict(sorted(rows.items()))}
    result["all_within_limit"] = all(r.get("within_limit") for r in result["chapters"].values())
    write_json(out, result)
    print(json.dumps({k: v for k, v in result.items() if k != "chapters"}, indent=1))
    return 0 if result["all_within_limit"] else 1


if __name__ == "__main__":
    sys.exit(main())
