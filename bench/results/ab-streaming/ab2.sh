#!/bin/bash
# usage: ab2.sh OUTDIR ROUNDS CLASS...   A=/tmp/wtA (before) B=/work/main (after), alternating
out=$1; rounds=$2; shift 2
mkdir -p $out
for r in $(seq 1 $rounds); do
  for c in "$@"; do
    dotnet /tmp/wtA/bench/NormBench/bin/Release/net10.0/NormBench.dll --paired $out/A-$c-$r.json $c > /dev/null 2>&1
    dotnet /work/main/bench/NormBench/bin/Release/net10.0/NormBench.dll --paired $out/B-$c-$r.json $c > /dev/null 2>&1
  done
done
echo done > $out/DONE
