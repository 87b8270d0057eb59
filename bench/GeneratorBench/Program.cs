using BenchmarkDotNet.Running;
using GeneratorBench;

// BenchmarkDotNet (wall-clock time, allocations): any BenchmarkDotNet arguments pass through, e.g. --filter '*'.
// --cpu [iterations] [--layers count]: the same benchmarks measured in thread CPU time (robust to a busy machine), on
// 500 layers or count (a multiple of 10), see ThreadCpuRunner.
if (args.Length > 0 && args[0] == "--cpu")
{
    int layersAt = Array.IndexOf(args, "--layers");
    int layers = layersAt > 0 ? int.Parse(args[layersAt + 1], System.Globalization.CultureInfo.InvariantCulture) : LayerProject.DefaultLayerCount;
    bool hasIterations = args.Length > 1 && layersAt != 1;
    ThreadCpuRunner.Run(hasIterations ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40, layers);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(GeneratorBenchmarks).Assembly).Run(args);
