#!/bin/bash
# A = default MinBytes, B = NORMBENCH_STREAMING_MIN_BYTES=$MINB; alternating
out=$1; rounds=$2; shift 2
mkdir -p $out
dll=/work/main/bench/NormBench/bin/Release/net10.0/NormBench.dll
for r in $(seq 1 $rounds); do
  for c in "$@"; do
    dotnet $dll --paired $out/A-$c-$r.json $c > /dev/null 2>&1
    NORMBENCH_STREAMING_MIN_BYTES=$MINB dotnet $dll --paired $out/B-$c-$r.json $c > /dev/null 2>&1
  done
done
echo done > $out/DONE
