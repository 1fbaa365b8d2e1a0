"""torch._dynamo.explain on whole specs: graphs and graph breaks in training and evaluation mode,
batches of 1 and 2 (Torch7 BatchNormalization's batch-of-one branch). Too slow for the test
suite at 224x224 on two cores (tests/test_compile.py covers the small specs).

    python scripts/graph_breaks.py specs/v7.json specs/v12.json specs/resnet18.json
"""
import sys

import torch

from enet_port.model.build import build
from enet_port.model.spec import load_spec


def main(paths):
    for path in paths:
        spec = load_spec(path)
        model = build(spec)
        for mode in ("train", "eval"):
            getattr(model, mode)()
            for batch in (2, 1):
                torch._dynamo.reset()
                explained = torch._dynamo.explain(model)(torch.randn(batch, *spec.input))
                print(f"{path} {mode} batch {batch}: {explained.graph_count} graph(s), "
                      f"{explained.graph_break_count} break(s) {[str(r.reason) for r in explained.break_reasons]}",
                      flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
