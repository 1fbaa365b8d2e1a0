"""An experiment's results, from its run folders' own logs: ``results.json``, ``results.md`` and
the figures (:mod:`enet_port.train.figures`).

Lua counterpart: none; the seed post's figures were drawn from each run's ``test.log`` and
``train.log`` (optim.Logger). Here every number comes from a run folder's ``metrics.jsonl`` (the
same rows ``train.log``/``test.log`` hold, plus the LR and timings), so results can be rebuilt at
any time from finished or unfinished runs.
"""
import json
from pathlib import Path

from .logs import read_metrics
from .runfolder import read_saved_options
from ..atomic import atomic_write_text


def run_result(entry, run_dir):
    """One run's entry of ``results.json`` (None when no epoch has finished)."""
    rows = read_metrics(run_dir)
    if not rows:
        return None
    test = [r["test_top1"] for r in rows]
    best = max(range(len(rows)), key=lambda i: test[i])  # the first epoch with the best top-1
    trained = sum(r["images_per_s"] * r["train_seconds"] for r in rows)
    train_seconds = sum(r["train_seconds"] for r in rows)
    seen, elapsed, images, wall = [], [], 0.0, 0.0
    for r in rows:
        images += r["images_per_s"] * r["train_seconds"]
        wall += r["train_seconds"] + r["test_seconds"]
        seen.append(round(images))
        elapsed.append(round(wall, 3))
    saved = read_saved_options(run_dir)
    return {"name": entry.name, "spec": entry.spec, "recipe": saved.get("recipe", entry.recipe),
            "run_dir": str(run_dir), "epochs": [r["epoch"] for r in rows],
            "best_top1": test[best], "final_top1": test[-1], "best_epoch": rows[best]["epoch"],
            "images_per_s": trained / max(train_seconds, 1e-9), "wall_s": round(wall, 3),
            "test_top1": test, "train_top1": [r["train_top1"] for r in rows], "lr": [r["lr"] for r in rows],
            "label": entry.label, "entry": entry.entry, "seed": saved.get("manualSeed"),
            "figures": list(entry.figures), "images_seen": seen, "elapsed_s": elapsed}


def collect(experiment, out):
    """``{"runs": [...]}`` for the runs of ``experiment`` that have a finished epoch in ``out``."""
    runs = [run_result(e, Path(out) / e.name) for e in experiment.runs]
    return {"experiment": experiment.path, "figures": experiment.figures, "runs": [r for r in runs if r]}


def spread(runs):
    """Per entry with several seeds: (entry, n, mean, min, max) of the final and best top-1."""
    by_entry = {}
    for r in runs:
        by_entry.setdefault(r["entry"], []).append(r)
    out = []
    for entry, group in by_entry.items():
        if len(group) > 1:
            final, best = [r["final_top1"] for r in group], [r["best_top1"] for r in group]
            out.append((entry, len(group), sum(final) / len(final), min(final), max(final),
                        sum(best) / len(best), min(best), max(best)))
    return out


def markdown(results):
    lines = ["| run | recipe | epochs | final top-1 (%) | best top-1 (%) (epoch) | img/s | wall (s) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in results["runs"]:
        lines.append(f"| {r['name']} | {r['recipe']} | {len(r['epochs'])} | {r['final_top1']:.1f} | "
                     f"{r['best_top1']:.1f} ({r['best_epoch']}) | {r['images_per_s']:.1f} | {r['wall_s']:.0f} |")
    rows = spread(results["runs"])
    if rows:
        lines += ["", "| entry | seeds | final top-1 mean [min, max] | best top-1 mean [min, max] |",
                  "| --- | --- | --- | --- |"]
        lines += [f"| {e} | {n} | {fm:.1f} [{f0:.1f}, {f1:.1f}] | {bm:.1f} [{b0:.1f}, {b1:.1f}] |"
                  for e, n, fm, f0, f1, bm, b0, b1 in rows]
    return "\n".join(lines) + "\n"


def write_results(experiment, out):
    """``out/results.json``, ``out/results.md`` and ``out/figures/*.png``; returns their paths."""
    from .figures import write_figures
    out = Path(out)
    results = collect(experiment, out)
    atomic_write_text(out / "results.json", json.dumps(results, indent=1) + "\n")
    atomic_write_text(out / "results.md", markdown(results))
    return [out / "results.json", out / "results.md", *write_figures(results, out / "figures")]
