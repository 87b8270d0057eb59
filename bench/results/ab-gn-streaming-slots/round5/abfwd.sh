out=$1; rounds=$2; c=$3
mkdir -p $out
dll=/work/main/bench/NormBench/bin/Release/net10.0/NormBench.dll
for r in $(seq 1 $rounds); do
  NORMBENCH_STREAMING_MIN_BYTES=9223372036854775807 dotnet $dll --paired $out/A-$c-$r.json $c > /dev/null 2>&1
  dotnet $dll --paired $out/B-$c-$r.json $c > /dev/null 2>&1
done
