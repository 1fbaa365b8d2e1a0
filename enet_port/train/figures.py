"""The seed post's figures (``v23.png``, ``v236.png``, ``v2367.png``) from an experiment's results.

Lua counterpart: none in the trainers; the post plots top-1 error (%) per epoch, train and test,
one colour per run. Here each figure of an experiment file is drawn three times: against epochs
(the post's), against training images seen, and against wall-clock time (train + test). Train
error is dashed, test error solid, as in ``enet-port plot``.
"""
from pathlib import Path

X_AXES = {  # name suffix -> (results key, or None for epochs; axis label)
    "": ("epochs", "epoch"),
    "_images": ("images_seen", "training images seen"),
    "_wallclock": ("elapsed_s", "wall-clock time, train + test (s)"),
}


def error_figure(runs, title, x_key="epochs", x_label="epoch"):
    """A matplotlib Figure: for each run, train (dashed) and test (solid) top-1 error against
    ``runs[i][x_key]``. Its one axes holds the lines in run order, train then test."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(8, 5.5))
    ax = fig.add_subplot()
    for i, run in enumerate(runs):
        x = run[x_key]
        ax.plot(x, [100 - t for t in run["train_top1"]], "--", color=f"C{i}", label=f"{run['label']} train")
        ax.plot(x, [100 - t for t in run["test_top1"]], "-", marker=".", color=f"C{i}", label=f"{run['label']} test")
    ax.set_title(title, fontsize="medium")
    ax.set_xlabel(x_label)
    ax.set_ylabel("top-1 error (%)")
    if x_key == "epochs":
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    return fig


def figure_runs(results, name):
    return [r for r in results["runs"] if name in r["figures"]]


def write_figures(results, folder):
    """Every figure of ``results`` against each of :data:`X_AXES`, as PNGs in ``folder``
    (a figure with no finished run is left out); returns the paths."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from ..atomic import atomic_write

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, title in results["figures"].items():
        runs = figure_runs(results, name)
        if not runs:
            continue
        for suffix, (key, label) in X_AXES.items():
            fig = error_figure(runs, title, key, label)
            FigureCanvasAgg(fig)
            path = folder / f"{name}{suffix}.png"
            atomic_write(path, lambda f, fig=fig: fig.savefig(f, format="png", dpi=90))
            paths.append(path)
    return paths
