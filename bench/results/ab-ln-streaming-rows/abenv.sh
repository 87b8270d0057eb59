#!/bin/bash
# usage: abenv.sh OUTDIR ROUNDS CLASS...   one build (/work/main); A = NORMBENCH_STREAMING_MIN_BYTES=10^12 (nothing streams),
# B = the default StreamingStores.MinBytes (an eighth of the last-level cache); alternating, A first in every round
out=$1; rounds=$2; shift 2
mkdir -p $out
dll=/work/main/bench/NormBench/bin/Release/net10.0/NormBench.dll
for r in $(seq 1 $rounds); do
  for c in "$@"; do
    NORMBENCH_STREAMING_MIN_BYTES=1000000000000 dotnet $dll --paired $out/A-$c-$r.json $c > /dev/null 2>&1
    dotnet $dll --paired $out/B-$c-$r.json $c > /dev/null 2>&1
  done
done
echo done > $out/DONE
