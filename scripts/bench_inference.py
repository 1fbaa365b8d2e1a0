"""Inference speed of eager PyTorch, torch.compile and ONNX Runtime on this machine's CPU (or a
GPU: --device cuda for the first two, --ort-providers for ONNX Runtime), one process per row set
so that the ratios hold; each figure is the median of --repeats timed batches.

Lua counterpart: none (the ENet paper timed Torch7 on a Titan X and a Jetson TX1).
Usage (from the repository root): PYTHONPATH=. python scripts/bench_inference.py MODEL WxH [--batch 1 8] [--backends torch onnxruntime compile]
MODEL: a spec (random weights: speed only), a .t7/.net file; prints one markdown row per case:
| model | WxH | batch | backend | ms per image | images/s | CPU threads |
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from enet_port.errors import EnetPortError
from enet_port.export import files, program, runtime
from enet_port.model.build import build
from enet_port.t7.load import import_t7


def load(model_path, size):
    if model_path.endswith((".t7", ".net")):
        return import_t7(model_path).model.eval()
    return build(model_path, classes=1000).eval()


def seconds_per_batch(forward, x, repeats, warmup=2):
    """The median of ``repeats`` timed batches (a median, as the machine may be shared)."""
    sync = torch.cuda.synchronize if x.is_cuda else (lambda: None)
    times = []
    with torch.no_grad():
        for _ in range(warmup):
            forward(x)
        for _ in range(repeats):
            sync()
            start = time.perf_counter()
            forward(x)
            sync()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def runner(model, backend, x, folder, providers):
    if backend == "torch":
        return model
    if backend == "compile":
        return torch.compile(model)
    exported = program.export_program(model, x, dynamic=False)
    path = Path(folder) / f"m{x.shape[0]}.onnx"
    files.write_onnx(exported, model, x, path, {})
    return runtime.OnnxRuntimeModel(path, threads=torch.get_num_threads(), providers=providers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("size")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--backends", nargs="+", default=["torch", "compile", "onnxruntime"])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--device", default="cpu", help="cuda: eager and compile on the GPU (ONNX Runtime: see --ort-providers)")
    parser.add_argument("--ort-providers", default="CPUExecutionProvider",
                        help="ONNX Runtime's execution providers, comma-separated, in order of preference "
                             "(CUDAExecutionProvider, TensorrtExecutionProvider: pip install onnxruntime-gpu)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    model = load(args.model, (width, height)).to(args.device)
    with tempfile.TemporaryDirectory() as folder:
        for batch in args.batch:
            x = torch.rand(batch, 3, height, width, device=args.device)
            for backend in args.backends:
                on_ort = backend == "onnxruntime"
                run_model = runner(model.cpu() if on_ort else model, backend, x.cpu() if on_ort else x, folder,
                                   tuple(args.ort_providers.split(",")))
                t = seconds_per_batch(run_model, x.cpu() if on_ort else x, args.repeats)
                model.to(args.device)
                name = f"onnxruntime ({args.ort_providers.split(',')[0]})" if on_ort else backend
                print(f"| {Path(args.model).name} | {args.size} | {batch} | {name} | "
                      f"{1000 * t / batch:.1f} | {batch / t:.1f} | {torch.get_num_threads()} |", flush=True)


if __name__ == "__main__":
    try:
        main()
    except EnetPortError as exc:  # a provider this onnxruntime lacks, a file that does not load
        sys.exit(f"bench_inference: {exc}")
