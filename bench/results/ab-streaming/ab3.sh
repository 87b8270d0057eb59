#!/bin/bash
# usage: ab3.sh OUTDIR ROUNDS CLASS...   A=/tmp/wtA B=/work/main C=/tmp/wtC
out=$1; rounds=$2; shift 2
mkdir -p $out
for r in $(seq 1 $rounds); do
  for c in "$@"; do
    for v in A B C; do
      case $v in A) d=/tmp/wtA;; B) d=/work/main;; C) d=/tmp/wtC;; esac
      dotnet $d/bench/NormBench/bin/Release/net10.0/NormBench.dll --paired $out/$v-$c-$r.json $c > /dev/null 2>&1
    done
  done
done
echo done > $out/DONE
