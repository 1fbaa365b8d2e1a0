"""The ``experiment`` command: the runs of an experiment file (``experiments/post.json``), each
an ordinary run folder under ``--out``, then their results and the post's figures.

Lua counterpart: one ``th main.lua ...`` command line per run of the seed post.
"""
import click

from ..train import opts


@click.command(context_settings={"show_default": True})
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder of the experiment: OUT/NAME is each run's folder; results.json, results.md, figures/.")
@click.option("--only", default=None, help="Run only these runs (NAME[,NAME]; an entry name picks all its seeds).")
@opts.click_options(opts.TRAIN)
@click.pass_context
def experiment(ctx, file, out, only, **values):
    """Train every run of the experiment FILE on -data, one after another, then write
    OUT/results.json, OUT/results.md and OUT/figures/.

    Trainer options given here apply to every run and win over the file's. When -batchSize
    differs from a run's own batch size, the run's learning rates scale linearly with the batch
    (--lr-scale = -batchSize / the run's batch, recorded in its options.json) unless -LR or
    --lr-scale is given. Running the same command again continues: finished runs are kept, an
    interrupted run resumes from its last complete epoch."""
    from ..train.experiment import load_experiment
    from ..train.experiment_run import run_experiment
    from ..train.results import write_results
    plan = load_experiment(file)
    explicit = opts.explicit_keys(ctx)
    run_experiment(plan, values, explicit, out, only, echo=click.echo)
    for path in write_results(plan, out):
        click.echo(f"wrote {path}")
