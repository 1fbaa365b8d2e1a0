"""Run logs: ``train.log``/``test.log`` in optim.Logger's format, ``metrics.jsonl``, summaries.

Ports optim.Logger (a header of the keys, each followed by a tab, then one row per epoch of
``%11.4e`` values each followed by a tab) and the summary lines train.lua and test.lua print.
Lua wrote the columns in ``pairs()`` order; ours are fixed, so read the header as Lua users had to.
"""
import json
from pathlib import Path

from ..atomic import atomic_write_text

TRAIN_KEYS = ("% top1 accuracy (train set)", "avg loss (train set)")
TEST_KEYS = ("% top1 accuracy (test set) (center crop)", "avg loss (test set)")


class OptimLogger:
    def __init__(self, path, keys):
        self.path, self.keys = Path(path), keys
        if not self.path.exists():
            self.path.write_text("")  # optim.Logger creates the file at once

    def add(self, values):
        with self.path.open("a") as f:
            if self.path.stat().st_size == 0:
                f.write("".join(f"{k}\t" for k in self.keys) + "\n")
            f.write("".join(f"{values[k]:11.4e}\t" for k in self.keys) + "\n")


def train_summary(epoch, seconds, loss, top1, top5=None):
    """train.lua's summary line, with fb.resnet.torch's top-5 after top-1 when given."""
    return (f"Epoch: [{epoch}][TRAINING SUMMARY] Total Time(s): {seconds:.2f}\t"
            f"average loss (per batch): {loss:.2f} \t accuracy(%):\t top-1 {top1:.2f}\t"
            + ("" if top5 is None else f" top-5 {top5:.2f}\t"))


def test_summary(epoch, seconds, loss, top1, top5=None):
    """test.lua's summary line, with fb.resnet.torch's top-5 after top-1 when given."""
    return (f"Epoch: [{epoch}][TESTING SUMMARY] Total Time(s): {seconds:.2f} \t"
            f"average loss (per batch): {loss:.2f} \t accuracy [Center](%):\t top-1 {top1:.2f}\t "
            + ("" if top5 is None else f"top-5 {top5:.2f}\t "))


def append_metrics(run_dir, row):
    with (Path(run_dir) / "metrics.jsonl").open("a") as f:
        f.write(json.dumps(row) + "\n")


def read_metrics(run_dir):
    """The rows of ``metrics.jsonl``; a torn last line (a kill while appending) is dropped."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and isinstance(row.get("epoch"), int):
            rows.append(row)
    return rows


def truncate(run_dir, last_epoch):
    """On resume, drop log rows of epochs after the checkpoint we continue from (atomically:
    a kill during resume keeps the whole history)."""
    rows = [r for r in read_metrics(run_dir) if r["epoch"] <= last_epoch]
    atomic_write_text(Path(run_dir) / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    for name in ("train.log", "test.log"):
        path = Path(run_dir) / name
        if path.is_file():
            lines = path.read_text().splitlines(keepends=True)
            atomic_write_text(path, "".join(lines[:1 + len(rows)]) if lines else "")


def write_confusion(path, classes, confusion):
    lines = [",".join(["true\\predicted"] + list(classes))]
    lines += [",".join([c] + [str(v) for v in r.tolist()]) for c, r in zip(classes, confusion)]
    atomic_write_text(path, "\n".join(lines) + "\n")


def log_bad_images(run_dir, messages):
    """Append to ``bad_images.log``; file names are bytes on POSIX, kept as they are
    (surrogateescape) rather than refused for not being UTF-8."""
    if messages:
        with (Path(run_dir) / "bad_images.log").open("a", encoding="utf-8", errors="surrogateescape") as f:
            f.write("".join(m.replace("\n", " ") + "\n" for m in messages))
