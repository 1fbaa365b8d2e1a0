"""Memory of forked data-loading workers over an ImageNet-size file index: lists against arrays.

No Lua counterpart to run (Lua's donkeys shared one CharTensor of paths). Builds a synthetic
index of 1,000 classes x 1,281 files (the files need not exist), then forks 8 workers as
DataLoader does; each makes its share of one epoch's class-balanced draws (``donkey.draw``) and
reads every drawn entry's path and label as ``TrainSet`` does, the garbage collector runs (as it
will in a long run), and it reports its unique (private) resident memory. Run from the checkout:

    python scripts/bench_index_memory.py            # both layouts, one fresh interpreter each
"""
import gc
import json
import os
import random
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's enet_port

CLASSES, PER_CLASS, WORKERS = 1000, 1281, 8


def memory_kib(pid="self"):
    """(resident, private) KiB of a process from /proc/PID/smaps_rollup."""
    fields = {}
    for line in open(f"/proc/{pid}/smaps_rollup"):
        parts = line.split()
        if len(parts) == 3 and parts[2] == "kB":
            fields[parts[0].rstrip(":")] = int(parts[1])
    return fields["Rss"], fields["Private_Clean"] + fields["Private_Dirty"]


def synthetic_items():
    return [[f"/data/ILSVRC2012/train/n{c:08d}/n{c:08d}_{i}.JPEG", c] for c in range(CLASSES) for i in range(PER_CLASS)]


def worker(items, groups, share, seed, out):
    from enet_port.data.donkey import draw
    rng, total = random.Random(seed), 0
    for _ in range(share):
        path, label = items[draw(groups, rng)]
        total += len(path) + label
    gc.collect()
    os.write(out, (json.dumps(memory_kib()) + "\n").encode())
    os._exit(0)


def measure(layout):
    from enet_port.data.dataset import by_class
    from enet_port.data.filelist import FileList
    items = synthetic_items()
    if layout == "arrays":
        items = FileList.from_items(items)
    groups = by_class(items, CLASSES)
    gc.collect()
    parent = memory_kib()
    read, write = os.pipe()
    pids = []
    for w in range(WORKERS):
        pid = os.fork()
        if pid == 0:
            os.close(read)
            worker(items, groups, len(items) // WORKERS, w, write)
        pids.append(pid)
    os.close(write)
    with os.fdopen(read) as lines:
        workers = [json.loads(line) for line in lines]
    for pid in pids:
        os.waitpid(pid, 0)
    return {"layout": layout, "entries": len(items), "workers": WORKERS, "parent_rss_mib": parent[0] / 1024,
            "worker_rss_mib": max(r for r, _ in workers) / 1024,
            "worker_private_mib": max(p for _, p in workers) / 1024,
            "workers_private_total_mib": sum(p for _, p in workers) / 1024}


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(measure(sys.argv[1])))
    else:
        for layout in ("lists", "arrays"):
            subprocess.run([sys.executable, __file__, layout], check=True)
