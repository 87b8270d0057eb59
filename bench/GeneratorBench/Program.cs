using BenchmarkDotNet.Running;
using GeneratorBench;

// BenchmarkDotNet (wall-clock time, allocations): any BenchmarkDotNet arguments pass through, e.g. --filter '*'.
// --cpu [iterations]: the same benchmarks measured in thread CPU time (robust to a busy machine), see ThreadCpuRunner.
if (args.Length > 0 && args[0] == "--cpu")
{
    ThreadCpuRunner.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(GeneratorBenchmarks).Assembly).Run(args);
