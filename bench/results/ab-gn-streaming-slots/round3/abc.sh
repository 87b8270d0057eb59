out=$1; rounds=$2; c=$3
mkdir -p $out
for r in $(seq 1 $rounds); do
  dotnet /tmp/benchB/NormBench.dll --paired $out/A-$c-$r.json $c > /dev/null 2>&1
  NORMBENCH_STREAMING_MIN_BYTES=0 dotnet /tmp/benchB/NormBench.dll --paired $out/B-$c-$r.json $c > /dev/null 2>&1
  NORMBENCH_STREAMING_MIN_BYTES=0 dotnet /tmp/benchC/NormBench.dll --paired $out/C-$c-$r.json $c > /dev/null 2>&1
done
