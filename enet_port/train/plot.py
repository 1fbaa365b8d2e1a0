"""``enet-port plot``: top-1 error and learning rate against epoch for several runs, or the LR
and WD rules of several specs side by side (``--schedule``).

No Lua counterpart in the trainers; it draws the figures of the seed post (train error dashed,
test error solid, one colour per run) from each run folder's ``metrics.jsonl``, and the post's
LR rules from the rows ``enet-port schedule`` prints. The LR axis is logarithmic (symlog, so that
an epoch at LR 0 shows) with the LR values themselves as tick labels, or decades for many.
"""
from pathlib import Path

from ..errors import EnetPortError
from .logs import read_metrics

MAX_LR_TICKS = 6


def plot_runs(run_dirs, output):
    return _save(draw_runs(run_dirs), output)


def plot_schedules(spec_paths, n_epochs, output):
    return _save(draw_schedules(spec_paths, n_epochs), output)


def draw_runs(run_dirs):
    """The figure: top-1 error above, LR below, one colour per run."""
    fig, (err_ax, lr_ax) = _figure(2, (3, 1))
    lrs = []
    for i, run_dir in enumerate(run_dirs):
        rows = read_metrics(run_dir)
        if not rows:
            raise EnetPortError(str(run_dir), "no metrics.jsonl rows: not a run folder, or no epoch finished")
        label, colour = _label(run_dir), f"C{i}"
        epochs = [r["epoch"] for r in rows]
        err_ax.plot(epochs, [100 - r["train_top1"] for r in rows], "--", color=colour, label=f"{label} train")
        err_ax.plot(epochs, [100 - r["test_top1"] for r in rows], "-", color=colour, label=f"{label} test")
        lr_ax.plot(epochs, [r["lr"] for r in rows], "-", color=colour, label=label)
        lrs += [r["lr"] for r in rows]
    err_ax.set_ylabel("top-1 error (%)")
    err_ax.legend(fontsize="small")
    _lr_axis(lr_ax, lrs)
    return fig


def draw_schedules(spec_paths, n_epochs):
    """The figure: LR above, WD below, one step line per spec, from :func:`schedules.plan` with
    the options ``enet-port schedule SPEC -nEpochs N`` uses."""
    from ..model.spec import load_spec
    from . import opts
    from .schedules import check_spec_recipe, plan
    fig, (lr_ax, wd_ax) = _figure(2, (2, 1))
    lrs = []
    for i, path in enumerate(spec_paths):
        recipe = check_spec_recipe(load_spec(path)).recipe
        opt = opts.with_recipe(opts.resolve({"nEpochs": n_epochs}, {"nEpochs"}, opts.SCHEDULE), recipe,
                               {"nEpochs"}, opts.SCHEDULE)
        rows = plan(recipe, n_epochs, LR=opt.LR, weightDecay=opt.weightDecay)
        label = f"{Path(path).stem} ({recipe})"
        lr_ax.step([r.epoch for r in rows], [r.lr for r in rows], where="post", color=f"C{i}", label=label)
        wd_ax.step([r.epoch for r in rows], [r.wd for r in rows], where="post", color=f"C{i}", label=label)
        lrs += [r.lr for r in rows]
    _lr_axis(lr_ax, lrs)
    lr_ax.set_xlabel("")
    lr_ax.legend(fontsize="small")
    wd_ax.set_ylabel("weight decay")
    wd_ax.set_xlabel("epoch")
    wd_ax.grid(alpha=0.3)
    return fig


def _figure(rows, ratios):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    fig, axes = plt.subplots(rows, 1, figsize=(8, 8), sharex=True, height_ratios=ratios)
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    return fig, axes


def _lr_axis(ax, lrs):
    """Log scale (symlog: LR 0 has a place), labelled with the LRs themselves when there are at
    most :data:`MAX_LR_TICKS` of them (a regime table), else with the decades (a compounding rule)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter
    ax.set_ylabel("learning rate")
    ax.set_xlabel("epoch")
    values = sorted({float(v) for v in lrs})
    positive = [v for v in values if v > 0]
    if not positive:
        return
    ax.set_yscale("symlog", linthresh=min(positive) / 2)
    ax.set_ylim(0, max(positive) * 1.5)  # no negative half: an LR is never below 0
    if len(positive) <= MAX_LR_TICKS:
        ax.yaxis.set_major_locator(FixedLocator(([0.0] if values[0] == 0 else []) + positive))
    ax.yaxis.set_minor_locator(FixedLocator([]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))


def _save(fig, output):
    import matplotlib.pyplot as plt
    fig.tight_layout()
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=100)
    plt.close(fig)
    return output


def _label(run_dir):
    path = Path(run_dir)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name
