#!/bin/bash
# usage: abs.sh OUT ROUNDS CLASS... : A = streaming default, B = streaming off, same build, alternating
out=$1; rounds=$2; shift 2; mkdir -p $out
for r in $(seq 1 $rounds); do for c in "$@"; do
  dotnet /work/main/bench/NormBench/bin/Release/net10.0/NormBench.dll --paired $out/A-$c-$r.json $c > /dev/null 2>&1
  NORMBENCH_STREAMING_MIN_BYTES=9223372036854775807 dotnet /work/main/bench/NormBench/bin/Release/net10.0/NormBench.dll --paired $out/B-$c-$r.json $c > /dev/null 2>&1
done; done; echo done > $out/DONE
