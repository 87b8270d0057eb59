#!/usr/bin/python3
"""Times the cases of issue 5 with PyTorch (Debian's python3-torch, 1.13) on the CPU, at 1 and 2 threads.

For every case: a copy of the same tensor into a preallocated one (the baseline, as in the BenchmarkDotNet classes),
training forward (batch statistics and the running-statistics update), eval forward, and training forward+backward
(gradients of input, weight and bias). Forward passes run under torch.no_grad(), PyTorch's fastest way to run them;
forward+backward records the graph and calls torch.autograd.grad.

Timing: each measurement warms up (at least 3 calls and 0.2 s), calibrates a number of calls per repetition so that a
repetition lasts at least --block-ms (20 ms by default), then times at least --min-reps repetitions (and until --min-time seconds have passed) with
time.perf_counter_ns; the results are the median and the minimum time per call over the repetitions (the
minimum is the least disturbed by other load on a shared machine; bench/report.py uses it by default). Each mode also
gets a paired ratio: 15 rounds of a block of copies timed back to back with a block of the mode, median of the per-round
ratios (robust to load that changes over seconds). Writes JSON (--out).

    /usr/bin/python3 bench/torch_bench.py --threads 1 2 --out bench/results/torch.json
"""

import argparse
import json
import platform
import statistics
import sys
import time

import torch

# name (the BenchmarkDotNet class name), kind, input shape, module factory
CASES = [
    ("BatchNorm1d256x512", "batchnorm", (256, 512), lambda: torch.nn.BatchNorm1d(512)),
    ("BatchNorm1d64x128x256", "batchnorm", (64, 128, 256), lambda: torch.nn.BatchNorm1d(128)),
    ("BatchNorm2d32x64x32x32", "batchnorm", (32, 64, 32, 32), lambda: torch.nn.BatchNorm2d(64)),
    ("BatchNorm2d64x256x14x14", "batchnorm", (64, 256, 14, 14), lambda: torch.nn.BatchNorm2d(256)),
    ("BatchNorm2d8x32x112x112", "batchnorm", (8, 32, 112, 112), lambda: torch.nn.BatchNorm2d(32)),
    ("BatchNorm2d128x512x7x7", "batchnorm", (128, 512, 7, 7), lambda: torch.nn.BatchNorm2d(512)),
    ("LayerNorm8192x768", "layernorm", (8192, 768), lambda: torch.nn.LayerNorm(768)),
    ("GroupNorm32x256x14x14", "groupnorm", (32, 256, 14, 14), lambda: torch.nn.GroupNorm(32, 256)),
]


def measure(fn, min_reps, min_time, block_s):
    """Median seconds per call of fn(), with the repetitions' spread."""
    warm_start = time.perf_counter_ns()
    calls = 0
    while calls < 3 or time.perf_counter_ns() - warm_start < 0.2e9:
        fn()
        calls += 1

    # Calls per repetition: enough for one block, so perf_counter_ns and loop overhead are negligible.
    start = time.perf_counter_ns()
    for _ in range(3):
        fn()
    single = max((time.perf_counter_ns() - start) / 3, 1)
    inner = max(1, int(block_s * 1e9 // single))

    samples = []
    begin = time.perf_counter_ns()
    while len(samples) < min_reps or (time.perf_counter_ns() - begin) < min_time * 1e9:
        t0 = time.perf_counter_ns()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter_ns() - t0) / inner / 1e9)
        if len(samples) >= 2000:
            break

    samples.sort()
    measure.last_inner = inner
    q1 = samples[len(samples) // 4]
    q3 = samples[(3 * len(samples)) // 4]
    return {
        "median_s": statistics.median(samples),
        "min_s": samples[0],
        "q1_s": q1,
        "q3_s": q3,
        "reps": len(samples),
        "calls_per_rep": inner,
    }


def paired_ratio(fn, fn_calls, copy, copy_calls, rounds=15):
    """Median over rounds of (time per call of fn) / (time per call of copy), the two timed back to back each round."""
    ratios = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        for _ in range(copy_calls):
            copy()
        t1 = time.perf_counter_ns()
        for _ in range(fn_calls):
            fn()
        t2 = time.perf_counter_ns()
        ratios.append(((t2 - t1) / fn_calls) / ((t1 - t0) / copy_calls))
    return statistics.median(ratios)


def run_case(name, kind, shape, factory, min_reps, min_time, block_s):
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(shape, generator=gen) * 4 - 1  # uniform in [-1, 3): the same distribution as the .NET benchmarks
    grad = torch.randn(shape, generator=gen)
    out = torch.empty_like(x)
    module = factory()
    params = (module.weight, module.bias)

    def copy():
        out.copy_(x)

    def train_forward():
        with torch.no_grad():
            module(x)

    def eval_forward():
        with torch.no_grad():
            module(x)

    xr = x.detach().clone().requires_grad_(True)

    def train_forward_backward():
        y = module(xr)
        torch.autograd.grad(y, (xr,) + params, grad)

    results = {"case": name, "kind": kind, "shape": list(shape), "bytes": x.numel() * 4}
    results["copy"] = measure(copy, min_reps, min_time, block_s)
    copy_calls = measure.last_inner
    # Each mode: its times, then the paired ratio to the copy (load-robust: both sides timed back to back each round).
    module.train()
    for key, fn in (("train_forward", train_forward), ("train_forward_backward", train_forward_backward)):
        results[key] = measure(fn, min_reps, min_time, block_s)
        results[key]["paired_ratio"] = paired_ratio(fn, measure.last_inner, copy, copy_calls)
    module.eval()
    results["eval_forward"] = measure(eval_forward, min_reps, min_time, block_s)
    results["eval_forward"]["paired_ratio"] = paired_ratio(eval_forward, measure.last_inner, copy, copy_calls)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", default="bench/results/torch.json")
    parser.add_argument("--min-reps", type=int, default=20)
    parser.add_argument("--block-ms", type=float, default=20.0, help="minimum duration of one timed repetition")
    parser.add_argument("--min-time", type=float, default=1.0, help="seconds of timed repetitions per measurement (at least)")
    parser.add_argument("--cases", nargs="*", help="only these case names")
    args = parser.parse_args()

    report = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "parallel_info": torch.__config__.parallel_info(),
        "runs": [],
    }
    for threads in args.threads:
        torch.set_num_threads(threads)
        for name, kind, shape, factory in CASES:
            if args.cases and name not in args.cases:
                continue
            r = run_case(name, kind, shape, factory, args.min_reps, args.min_time, args.block_ms / 1e3)
            r["threads"] = threads
            report["runs"].append(r)
            print(
                f"threads={threads} {name:26s} (min ms) copy {r['copy']['min_s'] * 1e3:8.3f}  "
                f"train {r['train_forward']['min_s'] * 1e3:8.3f}  eval {r['eval_forward']['min_s'] * 1e3:8.3f}  "
                f"train+bwd {r['train_forward_backward']['min_s'] * 1e3:8.3f}  paired ratios "
                f"{r['train_forward']['paired_ratio']:.2f} {r['eval_forward']['paired_ratio']:.2f} {r['train_forward_backward']['paired_ratio']:.2f}",
                flush=True,
            )

    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
