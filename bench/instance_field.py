"""How well a checkpoint's instance field separates the true instances, and where it fails (chapter 10a's
`instance_separation`), on the committed held-out rooms and on unseen procedural rooms.

For every item of LSM's test protocol (chapter 11) it looks at two kinds of view:
- the target views, rendered from the predicted Gaussians exactly as the evaluation renders them;
- the two context views, where the instance head's own per-pixel output meets the true masks with no rendering between.
Per view: k-means ARI (the evaluation's metric), k-means ARI on the pixels at least `--radius` px from any other instance,
nearest-true-mean ARI, coherence (mean |mu_k|^2) and the fraction of instance pairs whose mean features have a cosine
above `--merged-cos` ("merged"); means over the views. For the context views it also counts, per pair of classes, how
often the two instances are merged, and gives the k-means ARI of the normals of the predicted pointmap (how much of the
scene's geometry the network's own pointmaps carry). Once per room set, without any network, it records the baselines of
chapter 10a on the context views: k-means on the colours, on the true normals and on both. Instances smaller than the training loss's size threshold are left out of the pair
statistics.

Usage: python bench/instance_field.py [--checkpoint NAME=PATH ...] [--extra-rooms 6] [--out bench/results/instance_field.json]
(default: the committed checkpoint, data_samples/checkpoints/cpu_tiny.safetensors)
"""
import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_cpu_tiny import EXTRA_ROOM_SEED, ROOT, extra_rooms  # noqa: E402

from spatialsplat.contrastive import min_pixels_for  # noqa: E402
from spatialsplat.core import machine_info, write_json  # noqa: E402
from spatialsplat.data import SceneDataset, collate_views, sample_data_root  # noqa: E402
from spatialsplat.evaluate import evaluate_prediction  # noqa: E402
from spatialsplat.geometry import unproject_depth  # noqa: E402
from spatialsplat.model import pointmap_normals  # noqa: E402
from spatialsplat.metrics import instance_clustering, instance_separation, interior_pixels  # noqa: E402
from spatialsplat.pretrained import from_pretrained  # noqa: E402

COMMITTED = ROOT / "data_samples/checkpoints/cpu_tiny.safetensors"


def _class_of(ids: torch.Tensor, cls: torch.Tensor, i: int, names: tuple) -> str:
    c = int(cls[ids == i].mode().values)
    return names[c - 1] if c > 0 else "unlabelled"


def view_row(f: torch.Tensor, ids: torch.Tensor, min_pixels: int, radius: int, merged_cos: float) -> tuple[dict, dict]:
    "The numbers of one view, and its separation dict (for the pairs)."
    s = instance_separation(f, ids, min_pixels=min_pixels, merged_cos=merged_cos)
    inner = torch.where(interior_pixels(ids, radius), ids, torch.zeros_like(ids))
    return {"kmeans_ari": instance_clustering(f, ids)["ari"], "kmeans_ari_interior": instance_clustering(f, inner)["ari"],
            "nearest_mean_ari": s["nearest_mean_ari"], "coherence": s["coherence"], "merged": s["merged"]}, s


@torch.no_grad()
def measure(model, source: Path, radius: int, merged_cos: float) -> dict:
    ds = SceneDataset(source, size=tuple(model.config.image_size), mode="test")
    names, mp = tuple(ds.class_names), min_pixels_for(*model.config.image_size)
    rows, pairs = {"target": [], "context": []}, {}
    for i in range(len(ds)):
        b = collate_views([ds[i]])
        teacher = b["context_features"] if model.config.teacher_dim else None
        p = model.predict(b["context_images"], b["context_Ks"], teacher)
        for im in evaluate_prediction(p, b, keep_images=True)["images"]:
            rows["target"].append(view_row(im["instance_features"], im["gt_instances"], mp, radius, merged_cos)[0])
        for v in range(b["context_instance_ids"].shape[1]):
            ids, cls = b["context_instance_ids"][0, v], b["context_class_ids"][0, v]
            row, s = view_row(p.fine.instance[0, v], ids, mp, radius, merged_cos)
            rows["context"].append(row | {"pointmap_normals_ari": instance_clustering(pointmap_normals(p.fine.means[0, v]), ids)["ari"]})
            for (a, c), cos in zip(s["pairs"].tolist(), s["pair_cos"].tolist()):
                key = " / ".join(sorted((_class_of(ids, cls, a, names), _class_of(ids, cls, c, names))))
                pairs.setdefault(key, []).append(cos > merged_cos)
    mean = lambda rs: {k: float(np.nanmean([r[k] for r in rs])) for k in rs[0]} | {"views": len(rs)}
    return {"target_views": mean(rows["target"]), "context_views": mean(rows["context"]),
            "merged_by_class_pair": {k: {"pairs": len(v), "merged": float(np.mean(v))}
                                     for k, v in sorted(pairs.items(), key=lambda kv: -len(kv[1]))}}


@torch.no_grad()
def cue_baselines(source: Path, size: tuple[int, int]) -> dict:
    "k-means ARI at the context views on what the pictures offer without a network: colours, true normals, both."
    ds, aris = SceneDataset(source, size=size, mode="test"), {}
    for i in range(len(ds)):
        b = collate_views([ds[i]])
        n = pointmap_normals(unproject_depth(b["context_depths"][0], b["context_Ks"][0]))
        col = b["context_images"][0].permute(0, 2, 3, 1)
        for k, f in {"colours": col, "true normals": n, "true normals + colours": torch.cat([n, col], -1)}.items():
            aris.setdefault(k, []).extend(instance_clustering(f[v], b["context_instance_ids"][0, v])["ari"] for v in range(len(f)))
    return {k: float(np.nanmean(v)) for k, v in aris.items()} | {"views": len(aris["colours"])}


def parse_checkpoints(p: argparse.ArgumentParser, specs: list[str]) -> dict[str, Path]:
    "NAME=PATH specs of --checkpoint -> {name: path} (default: the committed checkpoint); a parser error for a bad one."
    cks = {}
    for spec in specs or [f"committed={COMMITTED}"]:
        if "=" not in spec: p.error(f"--checkpoint takes NAME=PATH, got {spec!r}")
        name, path = spec.split("=", 1)
        if not Path(path).is_file(): p.error(f"checkpoint not found: {path}")
        cks[name] = Path(path)
    return cks


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", action="append", default=[], help="NAME=PATH of a .safetensors checkpoint (repeatable)")
    p.add_argument("--extra-rooms", type=int, default=6, help="also measure on this many unseen procedural rooms (seeds 500+); 0: none")
    p.add_argument("--radius", type=int, default=2, help="interior pixels: at least this far from another instance")
    p.add_argument("--merged-cos", type=float, default=0.8)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=None, help="write the JSON here too (atomically)")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    cks = parse_checkpoints(p, a.checkpoint)
    sets = {"committed rooms": sample_data_root()}
    if a.extra_rooms: sets[f"{a.extra_rooms} unseen rooms"] = None
    results = {}
    for name, path in cks.items():
        model = from_pretrained(path).eval()
        if a.extra_rooms and sets[f"{a.extra_rooms} unseen rooms"] is None:
            sets[f"{a.extra_rooms} unseen rooms"] = extra_rooms(a.extra_rooms, model.config.image_size[0])
        results[name] = {"checkpoint": str(path.resolve().relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path),
                         **{k: measure(model, src, a.radius, a.merged_cos) for k, src in sets.items()}}
        print(json.dumps({name: {k: v["target_views"] for k, v in results[name].items() if isinstance(v, dict)}}), file=sys.stderr)
    out = {"benchmark": "instance field separation (chapter 10a's instance_separation) at target and context views",
           "command": "python " + " ".join(shlex.quote(x) for x in ["bench/instance_field.py", *(argv if argv is not None else sys.argv[1:])]),
           "rooms": {"committed rooms": "data_samples/synthetic (seeds 0-2)",
                     **({f"{a.extra_rooms} unseen rooms": f"seeds {EXTRA_ROOM_SEED}-{EXTRA_ROOM_SEED + a.extra_rooms - 1}"} if a.extra_rooms else {})},
           "radius_px": a.radius, "merged_cos": a.merged_cos, "torch_threads": a.threads, "machine": machine_info(),
           "cue_baselines_context_views": {k: cue_baselines(src, tuple(model.config.image_size)) for k, src in sets.items()}, "results": results}
    print(json.dumps(out, indent=1))
    if a.out: write_json(a.out, out)
    return 0


if __name__ == "__main__": sys.exit(main())
