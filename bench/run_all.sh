#!/usr/bin/env bash
# Runs the .NET benchmarks (BenchmarkDotNet) and the PyTorch ones, then writes one table of ratios and an SVG chart:
#   bench/results/report.md, bench/results/summary.json, bench/results/chart.svg
# About 15-30 minutes on a 2-core machine. Run it on an idle machine: nothing else should compete for the cores.
#
# Environment:
#   RESULTS=dir        where to write (default bench/results)
#   FILTER='*Batch*'   BenchmarkDotNet filter (default '*': every case, plus the pass breakdown)
#   SKIP_DOTNET=1 / SKIP_TORCH=1   reuse the previous results of that side (e.g. to redo only the report)
#   STAT=min|median                which statistic the report uses (default min: best iteration / repetition)
#   TORCH_THREADS='1 2'            PyTorch thread counts
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
RESULTS=${RESULTS:-bench/results}
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: ${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet -- src 2>/dev/null || echo ' (src has uncommitted changes)')}"
    echo "dotnet: $(dotnet --version)"
    echo "python3: $(/usr/bin/python3 --version 2>&1)"
    lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket|L1d|L2|L3|Hypervisor)'
    echo "avx512: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no)"
    echo "avx2: $(grep -q avx2 /proc/cpuinfo && echo yes || echo no)"
    free -g | sed -n 2p
} > "$RESULTS/machine.txt"

# The 1-minute load average every 20 s while the benchmarks run (a shared machine: other load shows here).
if [ "${SKIP_DOTNET:-0}" != 1 ] || [ "${SKIP_TORCH:-0}" != 1 ]; then
    (while true; do echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 20; done) > "$RESULTS/loadavg.log" &
    LOAD_LOGGER=$!
    trap 'kill $LOAD_LOGGER 2>/dev/null || true' EXIT
fi

if [ "${SKIP_DOTNET:-0}" != 1 ]; then
    dotnet build bench/NormBench -c Release
    rm -rf "$RESULTS/dotnet"
    # One joined run (one build of the benchmark boilerplate): 3 warm-up and 20 measured iterations of ~100 ms each,
    # one process per benchmark. The report uses each benchmark's best iteration (STAT=min, the least disturbed by
    # other load on a shared machine) or the median (STAT=median).
    (cd bench/NormBench && dotnet bin/Release/net10.0/NormBench.dll \
        --filter "${FILTER:-*}" --join --buildTimeout 1200 \
        --launchCount 1 --warmupCount 3 --iterationCount 20 --iterationTime 100 \
        --memory --exporters json csv github --artifacts "$RESULTS/dotnet")
    # Load-robust ratios: copy and benchmark alternate in the same process, median of per-round ratios.
    dotnet bench/NormBench/bin/Release/net10.0/NormBench.dll --paired "$RESULTS/paired.json"
    # Copy and read-only bandwidth against the tensor size: where the cache ends on this machine.
    dotnet bench/NormBench/bin/Release/net10.0/NormBench.dll --bandwidth > "$RESULTS/bandwidth.txt"
fi

if [ "${SKIP_TORCH:-0}" != 1 ]; then
    # shellcheck disable=SC2086
    /usr/bin/python3 bench/torch_bench.py --threads ${TORCH_THREADS:-1 2} --out "$RESULTS/torch.json"
fi

/usr/bin/python3 bench/report.py --dotnet "$RESULTS/dotnet/results" --paired "$RESULTS/paired.json" --torch "$RESULTS/torch.json" \
    --machine "$RESULTS/machine.txt" --load "$RESULTS/loadavg.log" --stat "${STAT:-min}" --out "$RESULTS"
