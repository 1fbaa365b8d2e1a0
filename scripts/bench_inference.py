"""Inference speed of eager PyTorch, torch.compile and ONNX Runtime on this machine's CPU (or a
GPU with --device cuda for the first two), one process per row set so that the ratios hold.

Lua counterpart: none (the ENet paper timed Torch7 on a Titan X and a Jetson TX1).
Usage (from the repository root): PYTHONPATH=. python scripts/bench_inference.py MODEL WxH [--batch 1 8] [--backends torch onnxruntime compile]
MODEL: a spec (random weights: speed only), a .t7/.net file; prints one markdown row per case:
| model | WxH | batch | backend | ms per image | images/s | CPU threads |
"""
import argparse
import tempfile
import time
from pathlib import Path

import torch

from enet_port.export import files, program, runtime
from enet_port.model.build import build
from enet_port.t7.load import import_t7


def load(model_path, size):
    if model_path.endswith((".t7", ".net")):
        return import_t7(model_path).model.eval()
    return build(model_path, classes=1000).eval()


def seconds_per_batch(forward, x, repeats, warmup=2):
    sync = torch.cuda.synchronize if x.is_cuda else (lambda: None)
    with torch.no_grad():
        for _ in range(warmup):
            forward(x)
        sync()
        start = time.perf_counter()
        for _ in range(repeats):
            forward(x)
        sync()
    return (time.perf_counter() - start) / repeats


def runner(model, backend, x, folder):
    if backend == "torch":
        return model
    if backend == "compile":
        return torch.compile(model)
    exported = program.export_program(model, x, dynamic=False)
    path = Path(folder) / f"m{x.shape[0]}.onnx"
    files.write_onnx(exported, model, x, path, {})
    return runtime.OnnxRuntimeModel(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("size")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--backends", nargs="+", default=["torch", "compile", "onnxruntime"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="cuda: eager and compile on the GPU (ONNX Runtime stays on the CPU)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    model = load(args.model, (width, height)).to(args.device)
    with tempfile.TemporaryDirectory() as folder:
        for batch in args.batch:
            x = torch.rand(batch, 3, height, width, device=args.device)
            for backend in args.backends:
                on_cpu = backend == "onnxruntime"
                run_model = runner(model.cpu() if on_cpu else model, backend, x.cpu() if on_cpu else x, folder)
                t = seconds_per_batch(run_model, x.cpu() if on_cpu else x, args.repeats)
                model.to(args.device)
                print(f"| {Path(args.model).name} | {args.size} | {batch} | {backend} | "
                      f"{1000 * t / batch:.1f} | {batch / t:.1f} | {torch.get_num_threads()} |", flush=True)


if __name__ == "__main__":
    main()
