#!/usr/bin/python3
"""Joins BenchmarkDotNet's JSON export and bench/torch_bench.py's JSON into one table of ratios and an SVG chart.

    /usr/bin/python3 bench/report.py --dotnet bench/results/dotnet/results --torch bench/results/torch.json --out bench/results

Writes report.md (tables in ms and ratios, the goal checks of issue 5), summary.json (the same numbers) and chart.svg
(time / copy time per implementation, log scale). Standard library only.
"""

import argparse
import glob
import html
import json
import math
import os

CASES = [
    ("BatchNorm1d256x512", "BatchNorm1d (256, 512)", "batchnorm"),
    ("BatchNorm1d64x128x256", "BatchNorm1d (64, 128, 256)", "batchnorm"),
    ("BatchNorm2d32x64x32x32", "BatchNorm2d (32, 64, 32, 32)", "batchnorm"),
    ("BatchNorm2d64x256x14x14", "BatchNorm2d (64, 256, 14, 14)", "batchnorm"),
    ("BatchNorm2d8x32x112x112", "BatchNorm2d (8, 32, 112, 112)", "batchnorm"),
    ("BatchNorm2d128x512x7x7", "BatchNorm2d (128, 512, 7, 7)", "batchnorm"),
    ("LayerNorm8192x768", "LayerNorm(768), 8192 rows", "layernorm"),
    ("GroupNorm32x256x14x14", "GroupNorm(32, 256), (32, 256, 14, 14)", "groupnorm"),
]
# Input bytes per case (float32): the threading rule applies from NormThreads.ParallelMinBytes = 4 MiB.
CASE_BYTES = {
    "BatchNorm1d256x512": 4 * 256 * 512,
    "BatchNorm1d64x128x256": 4 * 64 * 128 * 256,
    "BatchNorm2d32x64x32x32": 4 * 32 * 64 * 32 * 32,
    "BatchNorm2d64x256x14x14": 4 * 64 * 256 * 14 * 14,
    "BatchNorm2d8x32x112x112": 4 * 8 * 32 * 112 * 112,
    "BatchNorm2d128x512x7x7": 4 * 128 * 512 * 7 * 7,
    "LayerNorm8192x768": 4 * 8192 * 768,
    "GroupNorm32x256x14x14": 4 * 32 * 256 * 14 * 14,
}
PARALLEL_MIN_BYTES = 4 << 20
SMALL_SPATIAL = {"BatchNorm2d64x256x14x14", "BatchNorm2d128x512x7x7"}
MODES = [("train", "train forward"), ("eval", "eval forward"), ("train_backward", "train forward+backward")]
# BenchmarkDotNet method names per mode and implementation.
DOTNET_METHODS = {
    "train": {"generated": "TrainGenerated", "generated2": "TrainGenerated2Threads", "naive": "TrainNaive", "dynamic": "TrainDynamic"},
    "eval": {"generated": "EvalGenerated", "generated2": "EvalGenerated2Threads", "naive": "EvalNaive", "dynamic": "EvalDynamic"},
    "train_backward": {"generated": "TrainBackwardGenerated", "generated2": "TrainBackwardGenerated2Threads", "naive": "TrainBackwardNaive",
                       "dynamic": "TrainBackwardDynamic"},
}
TORCH_MODES = {"train": "train_forward", "eval": "eval_forward", "train_backward": "train_forward_backward"}
PASSES = {
    "BatchNorm1d256x512": "Passes1d256x512",
    "BatchNorm1d64x128x256": "Passes1d64x128x256",
    "BatchNorm2d32x64x32x32": "Passes2d32x64x32x32",
    "BatchNorm2d64x256x14x14": "Passes2d64x256x14x14",
    "BatchNorm2d8x32x112x112": "Passes2d8x32x112x112",
    "BatchNorm2d128x512x7x7": "Passes2d128x512x7x7",
}


STAT = "min"


def load_dotnet(folder):
    """{(type, method): {"ms" (the chosen statistic), "median_ms", "min_ms", ...}} from every BenchmarkDotNet JSON report in folder."""
    results = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        for b in data.get("Benchmarks", []):
            stats = b.get("Statistics")
            if not stats:
                continue  # failed benchmark
            memory = b.get("Memory") or {}
            results[(b["Type"], b["Method"])] = {
                "ms": (stats["Min"] if STAT == "min" else stats["Median"]) / 1e6,
                "min_ms": stats["Min"] / 1e6,
                "median_ms": stats["Median"] / 1e6,
                "mean_ms": stats["Mean"] / 1e6,
                "stddev_ms": stats["StandardDeviation"] / 1e6,
                "allocated": memory.get("BytesAllocatedPerOperation"),
            }
    return results


def load_torch(path):
    """{(case, threads): run} from torch_bench.py's JSON."""
    if not path or not os.path.exists(path):
        return {}, None
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return {(r["case"], r["threads"]): r for r in data["runs"]}, data.get("torch")


def load_paired(path):
    """{(type, method): median per-round ratio to the copy} from NormBench --paired."""
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return {(r["Type"], r["Method"]): r["RatioMedian"] for r in json.load(f)["results"]}


def load_summary(path):
    """min / median / max of the 1-minute load averages logged during the run."""
    if not path or not os.path.exists(path):
        return None
    values = sorted(float(line.split()[1]) for line in open(path, encoding="utf-8") if len(line.split()) >= 2)
    if not values:
        return None
    return {"min": values[0], "median": values[len(values) // 2], "max": values[-1], "samples": len(values)}


def torch_time(run, mode):
    return run[mode]["min_s" if STAT == "min" else "median_s"] * 1e3


def build_rows(dotnet, torch, paired):
    rows = []
    for case, label, kind in CASES:
        copy = dotnet.get((case, "Copy"))
        for mode, mode_label in MODES:
            row = {"case": case, "label": label, "kind": kind, "mode": mode, "mode_label": mode_label, "note": "",
                   "bytes": CASE_BYTES[case]}
            row["copy_ms"] = copy["ms"] if copy else None
            methods = DOTNET_METHODS[mode]
            if kind != "batchnorm" and mode == "eval":
                # No running statistics: eval is the same computation as train; measured once.
                methods = DOTNET_METHODS["train"]
                row["note"] = "same computation as train (no running statistics)"
            for impl, method in methods.items():
                r = dotnet.get((case, method))
                row[impl + "_ms"] = r["ms"] if r else None
                row[impl + "_alloc"] = r["allocated"] if r else None
                row[impl + "_paired"] = paired.get((case, method))
            for threads in (1, 2):
                t = torch.get((case, threads))
                row[f"torch{threads}_ms"] = torch_time(t, TORCH_MODES[mode]) if t else None
                row[f"torch{threads}_copy_ms"] = torch_time(t, "copy") if t else None
                row[f"torch{threads}_paired"] = t[TORCH_MODES[mode]].get("paired_ratio") if t else None
            rows.append(row)
    return rows


def ratio(a, b):
    return a / b if a is not None and b is not None and b > 0 else None


def paired_ratio(r, impl):
    """The paired ratio to the copy, or the ratio of best times when no paired measurement exists."""
    if r.get(impl + "_paired") is not None:
        return r[impl + "_paired"]
    if impl.startswith("torch"):
        return ratio(r[impl + "_ms"], r[impl + "_copy_ms"])
    return ratio(r[impl + "_ms"], r["copy_ms"])


def speedup_value(r, other):
    return ratio(paired_ratio(r, other), paired_ratio(r, "generated"))


def thread_speedup(r):
    """Single-thread time / 2-thread time of the generated layer, from the paired ratios (both against the same copy)."""
    return ratio(paired_ratio(r, "generated"), paired_ratio(r, "generated2"))


def speedup(r, other):
    v = speedup_value(r, other)
    raw = ratio(r[other + "_ms"], r["generated_ms"])
    return "n/a" if v is None else f"{v:.2f}x ({'n/a' if raw is None else f'{raw:.2f}x'})"


def fmt(x, digits=3):
    if x is None:
        return "n/a"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}f}" if x < 1 else f"{x:.2f}"


def fx(x):
    return "n/a" if x is None else f"{x:.2f}x"


def write_markdown(rows, dotnet, paired_all, torch_version, machine, load, out):
    lines = []
    lines.append("# Benchmark results\n")
    if machine:
        lines.append("```\n" + machine.strip() + "\n```\n")
    statistic = ("the best (minimum) iteration of BenchmarkDotNet / repetition of torch_bench.py, the least disturbed by other load"
                 if STAT == "min" else "medians")
    lines.append(f"PyTorch: {torch_version or 'not run'}. Times: {statistic}. `n/a`: not measured (see notes).")
    if load:
        lines.append(f"1-minute load average during the run (2 cores): min {load['min']:.1f}, median {load['median']:.1f}, max {load['max']:.1f} "
                     f"({load['samples']} samples).")
    lines.append("")

    lines.append("## Times (ms)\n")
    lines.append("| case | mode | copy (.NET) | generated | generated, 2 threads | naive scalar | non-specialized | copy (torch) | torch 1 thread | torch 2 threads |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        dyn = r["dynamic_ms"]
        dyn_text = fmt(dyn) if dyn is not None else ("none" if r["kind"] != "batchnorm" else "n/a")
        lines.append(
            f"| {r['label']} | {r['mode_label']} | {fmt(r['copy_ms'])} | {fmt(r['generated_ms'])} | {fmt(r['generated2_ms'])} | {fmt(r['naive_ms'])} | {dyn_text} | "
            f"{fmt(r['torch1_copy_ms'])} | {fmt(r['torch1_ms'])} | {fmt(r['torch2_ms'])} |")

    lines.append("\n## Ratios\n")
    lines.append("Each implementation's time / the time of a copy of the same tensor. *Paired* ratios are measured in one process with "
                 "the copy and the implementation timed back to back, 15 rounds, median of the per-round ratios (NormBench --paired, "
                 "torch_bench.py): they stay meaningful when other load on the machine changes from one minute to the next, so the "
                 "goal checks use them. *Best* ratios divide BenchmarkDotNet's best iterations (separate processes, minutes apart). "
                 "Speed-ups are copy-normalized: the other implementation's paired ratio / the generated layer's paired ratio (both "
                 "copies are a memcpy of the same bytes); the raw ratio of best times is in parentheses.\n")
    lines.append("| case | mode | generated (best) | generated | generated 2t | 2t speed-up | naive | non-specialized | torch 1t | torch 2t | "
                 "speed-up vs torch 1t | speed-up vs torch 2t | speed-up vs non-specialized | allocated (B/op, BDN) |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        alloc = r["generated_alloc"]
        bn = r["kind"] == "batchnorm"
        lines.append(
            f"| {r['label']} | {r['mode_label']} | {fx(ratio(r['generated_ms'], r['copy_ms']))} | {fx(paired_ratio(r, 'generated'))} | "
            f"{fx(paired_ratio(r, 'generated2'))} | {fx(thread_speedup(r))} | "
            f"{fx(paired_ratio(r, 'naive'))} | {fx(paired_ratio(r, 'dynamic')) if bn else 'none'} | "
            f"{fx(paired_ratio(r, 'torch1'))} | {fx(paired_ratio(r, 'torch2'))} | "
            f"{speedup(r, 'torch1')} | {speedup(r, 'torch2')} | {speedup(r, 'dynamic') if bn else 'none'} | "
            f"{'n/a' if alloc is None else alloc} |")

    passes = []
    for case, label, _ in CASES:
        p = PASSES.get(case)
        if not p or (p, "Copy") not in dotnet:
            continue
        copy = dotnet[(p, "Copy")]["ms"]

        def share(m, p=p, copy=copy):
            if (p, m) in paired_all:
                return paired_all[(p, m)]
            v = dotnet.get((p, m), {}).get("ms")
            return None if v is None else v / copy

        whole = {r["mode"]: paired_ratio(r, "generated") for r in rows if r["case"] == case}
        passes.append({name: share(name) for name in (
            "ReadOnly", "Statistics", "Normalize", "FloorForward", "Forward", "GradientSums", "TwoReads", "InputGradient",
            "TwoReadsOneWrite", "Backward", "FloorForwardBackward")} | {
            "label": label, "train": whole.get("train"), "train_backward": whole.get("train_backward")})
    if passes:
        cell = lambda v: "n/a" if v is None else f"{v:.2f}x"
        add = lambda a, b: a + b if a is not None and b is not None else None
        lines.append("\n## Where the training forward goes (generated BatchNorm, one thread; time / copy time, paired)\n")
        lines.append("Statistics: `ComputeBatchStatistics` (the shift estimate, one pass of shifted sums over the batch, any channel redone "
                     "in two passes, the coefficients); normalize: `Normalize`. Read-only: `TensorPrimitives.Sum` over the tensor, the floor "
                     "of a statistics pass. The generated private methods are called through `UnsafeAccessor` (bench/NormBench/Passes.cs).\n")
        lines.append("| case | read-only | statistics | normalize | sum of passes |")
        lines.append("|---|---:|---:|---:|---:|")
        for q in passes:
            lines.append(f"| {q['label']} | {cell(q['ReadOnly'])} | {cell(q['Statistics'])} | {cell(q['Normalize'])} | "
                         f"{cell(add(q['Statistics'], q['Normalize']))} |")
        if any(q["GradientSums"] is not None for q in passes):
            lines.append("\n## Where the backward goes (generated BatchNorm, one thread; time / copy time, paired)\n")
            lines.append("Gradient sums: `GradientSumsBlock` over every block (Σdy and Σdy·(x - shift), two reads); input gradient: "
                         "`GradInputBlock` over every block, last first (two reads and a write); the whole forward and the whole "
                         "backward, each repeated alone. Floors, measured in the same run: two reads = `TensorPrimitives.Dot(x, dy)`, "
                         "two reads and a write = `TensorPrimitives.Add(x, dy, dx)` (which, like every TensorPrimitives operation on "
                         "more than 256 KiB, writes with streaming stores).\n")
            lines.append("| case | whole forward | gradient sums | two reads | input gradient | two reads + write | sum of backward passes | whole backward |")
            lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
            for q in passes:
                lines.append(f"| {q['label']} | {cell(q['Forward'])} | {cell(q['GradientSums'])} | {cell(q['TwoReads'])} | "
                             f"{cell(q['InputGradient'])} | {cell(q['TwoReadsOneWrite'])} | {cell(add(q['GradientSums'], q['InputGradient']))} | "
                             f"{cell(q['Backward'])} |")
        if any(q["FloorForwardBackward"] is not None for q in passes):
            lines.append("\n## Against the same reads and writes done by TensorPrimitives (one thread; time / copy time, paired)\n")
            lines.append("Reference forward: `TensorPrimitives.Sum(x)`, then `TensorPrimitives.Multiply(x, a, y)` (the two passes of a "
                         "BatchNorm training forward); reference forward+backward: that, then `Dot(x, dy)` and `Add(x, dy, dx)`. They "
                         "touch the same tensors in the same order as the generated layer, so they see the same cache; they are what "
                         "the same passes cost when done by TensorPrimitives' loops (streaming stores above 256 KiB), not a bound "
                         "that no implementation can pass. Generated: the layer's own benchmarks of the case (training forward, "
                         "forward+backward).\n")
            lines.append("| case | reference forward | generated training forward | reference forward+backward | generated forward+backward |")
            lines.append("|---|---:|---:|---:|---:|")
            for q in passes:
                lines.append(f"| {q['label']} | {cell(q['FloorForward'])} | {cell(q['train'])} | {cell(q['FloorForwardBackward'])} | "
                             f"{cell(q['train_backward'])} |")

    lines.append("\n## Goals of issue 5\n")
    for goal in goal_checks(rows):
        lines.append(f"- {goal}")
    with open(os.path.join(out, "report.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def goal_checks(rows):
    def collect(mode, fn, kinds=None):
        values = []
        for r in rows:
            if r["mode"] != mode or (kinds and r["kind"] not in kinds):
                continue
            if mode == "eval" and r["kind"] != "batchnorm":
                continue  # the same measurement as train
            v = fn(r)
            if v is not None:
                values.append((v, r["label"]))
        return values

    def verdict(values, limit, at_most, text):
        if not values:
            return f"{text}: not measured"
        worst = max(values) if at_most else min(values)
        failing = [f"{l} {v:.2f}x" for v, l in values if (v > limit if at_most else v < limit)]
        ok = not failing
        return (f"{text}: {'MET' if ok else 'NOT MET'} ({'worst' if at_most else 'lowest'} {worst[0]:.2f}x, {worst[1]}"
                + ("" if ok else f"; failing: {', '.join(failing)}") + ")")

    out = []
    gen_copy = lambda r: paired_ratio(r, "generated")
    out.append(verdict(collect("train", gen_copy), 1.5, True, "Training forward at most 1.5x copy"))
    out.append(verdict(collect("eval", gen_copy), 1.15, True, "Eval forward at most 1.15x copy (BatchNorm; LayerNorm/GroupNorm have no separate eval)"))
    out.append(verdict(collect("train_backward", gen_copy), 4.0, True, "Training forward+backward at most 4x copy"))
    vs_torch = lambda r: speedup_value(r, "torch1")
    out.append(verdict(collect("train", vs_torch, {"batchnorm"}), 8.0, False, "At least 8x faster than PyTorch 1 thread, BatchNorm training forward"))
    out.append(verdict(collect("train_backward", vs_torch, {"batchnorm"}), 4.0, False, "At least 4x faster than PyTorch 1 thread, forward+backward"))
    every = [v for m in ("train", "eval", "train_backward") for v in collect(m, vs_torch)]
    out.append(verdict(every, 1.0, False, "Faster than PyTorch 1 thread on every case and mode measured"))
    vs_dyn = lambda r: speedup_value(r, "dynamic")
    small = [v for m in ("train", "eval") for v in collect(m, lambda r: vs_dyn(r) if r["case"] in SMALL_SPATIAL else None)]
    out.append(verdict(small, 2.0, False, "At least 2x faster than the non-specialized path on 7x7 and 14x14"))
    alld = [v for m in ("train", "eval") for v in collect(m, vs_dyn)]
    out.append(verdict(alld, 1.0, False, "Never slower than the non-specialized path"))
    allocs = [(r["generated_alloc"], r["label"] + " " + r["mode_label"]) for r in rows if r["generated_alloc"] is not None]
    if allocs:
        bad = [f"{l}: {a} B" for a, l in allocs if a]
        out.append("Zero bytes allocated per call: " + ("MET (all 0 B/op)" if not bad else "NOT MET (" + "; ".join(bad) + ")"))
    big = [v for m in ("train", "eval", "train_backward")
           for v in collect(m, lambda r: thread_speedup(r) if r["bytes"] >= PARALLEL_MIN_BYTES else None)]
    out.append(verdict(big, 1.7, False, "With 2 threads, at least 1.7x the single-thread throughput for tensors of 4 MB and more"))
    small_t = [v for m in ("train", "eval", "train_backward")
               for v in collect(m, lambda r: thread_speedup(r) if r["bytes"] < PARALLEL_MIN_BYTES else None)]
    out.append(verdict(small_t, 0.9, False, "Tensors under 4 MB stay single-threaded (the same code runs; ratio 2t/1t within noise of 1)"))
    return out


def write_svg(rows, path):
    series = [
        ("generated", "NormGen generated", "#1f77b4", lambda r: paired_ratio(r, "generated")),
        ("generated2", "NormGen generated, 2 threads", "#17becf", lambda r: paired_ratio(r, "generated2")),
        ("dynamic", "NormGen non-specialized", "#9467bd", lambda r: paired_ratio(r, "dynamic")),
        ("naive", "naive scalar (C#)", "#8c8c8c", lambda r: paired_ratio(r, "naive")),
        ("torch1", "PyTorch 1.13, 1 thread", "#d62728", lambda r: paired_ratio(r, "torch1")),
        ("torch2", "PyTorch 1.13, 2 threads", "#ff9896", lambda r: paired_ratio(r, "torch2")),
    ]
    shown = [r for r in rows if not (r["mode"] == "eval" and r["kind"] != "batchnorm")]
    values = [f(r) for r in shown for _, _, _, f in series if f(r)]
    lo, hi = 0.25, max(2.0, max(values) * 1.2 if values else 100)
    left, right, top, bar, gap = 330, 40, 86, 7, 10
    width = 1100
    plot = width - left - right
    height = top + sum(len(series) * bar + gap for _ in shown) + 60

    def x(v):
        return left + plot * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{left}" y="20" font-size="14" font-weight="bold">Time / copy time of the same tensor, paired measurement (log scale; lower is better; 1 = a copy)</text>']
    lx, ly = left, 32
    for _, name, color, _ in series:
        if lx + 14 + 7 * len(name) > width - 10:
            lx, ly = left, ly + 16  # wrap the legend
        s.append(f'<rect x="{lx}" y="{ly}" width="10" height="10" fill="{color}"/><text x="{lx + 14}" y="{ly + 9}">{html.escape(name)}</text>')
        lx += 14 + 7 * len(name) + 20
    decades = [0.25, 0.5, 1, 1.15, 1.5, 2, 4, 5, 10, 20, 50, 100, 200, 500, 1000]
    bottom = height - 40
    for d in decades:
        if lo <= d <= hi:
            dash = ' stroke-dasharray="4,3"' if d in (1.15, 1.5, 4) else ""
            color = "#2ca02c" if d in (1.15, 1.5, 4) else "#ccc"
            s.append(f'<line x1="{x(d):.1f}" y1="{top - 8}" x2="{x(d):.1f}" y2="{bottom}" stroke="{color}"{dash}/>')
            s.append(f'<text x="{x(d):.1f}" y="{bottom + 14}" text-anchor="middle">{d:g}</text>')
    s.append(f'<text x="{left + plot / 2}" y="{bottom + 30}" text-anchor="middle">time / copy (green dashed: goals 1.15x eval, 1.5x train, 4x forward+backward)</text>')
    y = top
    for r in shown:
        group_h = len(series) * bar
        s.append(f'<text x="{left - 8}" y="{y + group_h / 2 - 2:.1f}" text-anchor="end">{html.escape(r["label"])}</text>')
        s.append(f'<text x="{left - 8}" y="{y + group_h / 2 + 10:.1f}" text-anchor="end" fill="#555">{html.escape(r["mode_label"])}</text>')
        for key, _, color, f in series:
            v = f(r)
            if v:
                s.append(f'<rect x="{left}" y="{y}" width="{max(1.0, x(max(v, lo)) - left):.1f}" height="{bar - 1}" fill="{color}"><title>{key}: {v:.2f}x</title></rect>')
                s.append(f'<text x="{x(max(v, lo)) + 3:.1f}" y="{y + bar - 1}" font-size="8">{v:.2f}</text>')
            y += bar
        y += gap
    s.append("</svg>")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(s) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dotnet", required=True, help="BenchmarkDotNet results folder (*.json)")
    parser.add_argument("--torch", help="torch_bench.py JSON")
    parser.add_argument("--machine", help="machine summary text")
    parser.add_argument("--paired", help="NormBench --paired JSON")
    parser.add_argument("--load", help="load-average log")
    parser.add_argument("--stat", choices=["min", "median"], default="min")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    global STAT
    STAT = args.stat
    dotnet = load_dotnet(args.dotnet)
    torch, torch_version = load_torch(args.torch)
    paired_all = load_paired(args.paired)
    rows = build_rows(dotnet, torch, paired_all)
    load = load_summary(args.load)
    machine = open(args.machine, encoding="utf-8").read() if args.machine and os.path.exists(args.machine) else ""
    os.makedirs(args.out, exist_ok=True)
    write_markdown(rows, dotnet, paired_all, torch_version, machine, load, args.out)
    write_svg(rows, os.path.join(args.out, "chart.svg"))
    with open(os.path.join(args.out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump({"torch": torch_version, "statistic": STAT, "load": load, "rows": rows, "goals": goal_checks(rows)}, f, indent=1)
    print(open(os.path.join(args.out, "report.md"), encoding="utf-8").read())


if __name__ == "__main__":
    main()
