"""``enet-port plot``: top-1 error and learning rate against epoch for several runs.

No Lua counterpart in the trainers; it draws the figures of the seed post (train error dashed,
test error solid, one colour per run) from each run folder's ``metrics.jsonl``.
"""
from pathlib import Path

from ..errors import EnetPortError
from .logs import read_metrics


def plot_runs(run_dirs, output):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, (err_ax, lr_ax) = plt.subplots(2, 1, figsize=(8, 8), sharex=True, height_ratios=(3, 1))
    for i, run_dir in enumerate(run_dirs):
        rows = read_metrics(run_dir)
        if not rows:
            raise EnetPortError(str(run_dir), "no metrics.jsonl rows: not a run folder, or no epoch finished")
        label, colour = _label(run_dir), f"C{i}"
        epochs = [r["epoch"] for r in rows]
        err_ax.plot(epochs, [100 - r["train_top1"] for r in rows], "--", color=colour, label=f"{label} train")
        err_ax.plot(epochs, [100 - r["test_top1"] for r in rows], "-", color=colour, label=f"{label} test")
        lr_ax.plot(epochs, [r["lr"] for r in rows], "-", color=colour, label=label)
    err_ax.set_ylabel("top-1 error (%)")
    err_ax.legend(fontsize="small")
    err_ax.grid(alpha=0.3)
    lr_ax.set_ylabel("learning rate")
    lr_ax.set_xlabel("epoch")
    lr_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if any(r["lr"] > 0 for d in run_dirs for r in read_metrics(d)):
        lr_ax.set_yscale("symlog", linthresh=1e-5)
    lr_ax.grid(alpha=0.3)
    fig.tight_layout()
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=100)
    plt.close(fig)
    return output


def _label(run_dir):
    path = Path(run_dir)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name
