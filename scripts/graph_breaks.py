"""torch._dynamo.explain on whole specs: graphs and graph breaks in training and evaluation mode,
batches of 1 and 2 (Torch7 BatchNormalization's batch-of-one branch). Too slow for the test
suite at 224x224 on two cores (tests/test_compile.py covers the small specs).

    python scripts/graph_breaks.py specs/v7.json specs/v12.json specs/resnet18.json
"""
import sys

from enet_port.model.build import build
from enet_port.model.spec import load_spec
from enet_port.train.bench import graph_breaks


def main(paths):
    for path in paths:
        spec = load_spec(path)
        for mode, batch, explained in graph_breaks(build(spec), spec.input):
            print(f"{path} {mode} batch {batch}: {explained.graph_count} graph(s), "
                  f"{explained.graph_break_count} break(s) {[str(r.reason) for r in explained.break_reasons]}",
                  flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
