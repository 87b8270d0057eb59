using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis.CSharp;

namespace GeneratorBench;

/// <summary>
/// A second measurement, robust to a busy machine: thread CPU time (clock_gettime(CLOCK_THREAD_CPUTIME_ID), which does
/// not count time the thread waits for a core) and allocated bytes per operation, on the same
/// <see cref="GeneratorBenchmarks"/> methods. BenchmarkDotNet measures wall-clock time, which on a shared 2-core
/// machine also counts other processes. Run with <c>--cpu [iterations] [--layers count]</c>. The cases run in
/// rounds (each round runs every case once), and a case may prepare its input untimed (the "prewarmed" rows).
/// </summary>
internal static partial class ThreadCpuRunner
{
    public static void Run(int iterations, int layers)
    {
        var b = new GeneratorBenchmarks { Layers = layers };
        b.Setup();
        Case[] cases =
        [
            Timed(nameof(GeneratorBenchmarks.FullRun), b.FullRun),
            Timed(nameof(GeneratorBenchmarks.IncrementalRunAfterUnrelatedEdit), b.IncrementalRunAfterUnrelatedEdit),
            Timed(nameof(GeneratorBenchmarks.FloorIncrementalRunAfterUnrelatedEdit), b.FloorIncrementalRunAfterUnrelatedEdit),
            Timed(nameof(GeneratorBenchmarks.PipelineShapeFloorIncrementalRun), b.PipelineShapeFloorIncrementalRun),
            Timed(nameof(GeneratorBenchmarks.NewCompilationOnly), b.NewCompilationOnly),
            Timed(nameof(GeneratorBenchmarks.Floor3RegistrationsIncrementalRun), b.Floor3RegistrationsIncrementalRun),
            Timed(nameof(GeneratorBenchmarks.Floor1RegistrationIncrementalRun), b.Floor1RegistrationIncrementalRun),
            Timed(nameof(GeneratorBenchmarks.Floor11UnmatchedRegistrationsIncrementalRun), b.Floor11UnmatchedRegistrationsIncrementalRun),
            Timed(nameof(GeneratorBenchmarks.EmptyGeneratorIncrementalRun), b.EmptyGeneratorIncrementalRun),
            Timed(nameof(GeneratorBenchmarks.FloorIncrementalRunNullableDisabled), b.FloorIncrementalRunNullableDisabled),
            Timed(nameof(GeneratorBenchmarks.PrewarmOnly), b.PrewarmOnly),

            // The same work as the PrewarmAnd* benchmarks, with the pre-warm done before the clock starts.
            new(NormGenPrewarmed, b.NextPrewarmedCompilation, c => b.RunNormGen(c)),
            new(FloorPrewarmed, b.NextPrewarmedCompilation, c => b.RunFloor(c)),
            new("DeclaredSymbols, prewarmed (untimed)", b.NextPrewarmedCompilation, c => b.DeclaredSymbols(c, bindAttributes: false)),
            new("BoundAttributes, prewarmed (untimed)", b.NextPrewarmedCompilation, c => b.DeclaredSymbols(c, bindAttributes: true)),
            Timed(nameof(GeneratorBenchmarks.ParserOnly), () => b.ParserOnly()),
        ];

        // Warm-up, then the measured rounds: each round runs every case once, so a change in the machine's load during
        // the run (another process starting) affects all cases alike instead of the few that happened to run then.
        int warmup = Math.Max(3, iterations / 4);
        for (int i = 0; i < warmup; i++)
        {
            foreach (Case c in cases)
            {
                GC.KeepAlive(c.Action(c.Prepare()));
            }
        }

        double[][] ms = [.. cases.Select(_ => new double[iterations])];
        long[] allocated = new long[cases.Length];
        for (int i = 0; i < iterations; i++)
        {
            for (int k = 0; k < cases.Length; k++)
            {
                CSharpCompilation prepared = cases[k].Prepare();
                GC.Collect();
                GC.WaitForPendingFinalizers();
                long bytes = GC.GetAllocatedBytesForCurrentThread();
                double start = ThreadCpuMilliseconds();
                GC.KeepAlive(cases[k].Action(prepared));
                ms[k][i] = ThreadCpuMilliseconds() - start;
                allocated[k] += GC.GetAllocatedBytesForCurrentThread() - bytes;
            }
        }

        Console.WriteLine($"{layers} layers; thread CPU time per operation, {iterations} measured rounds of every case after {warmup} warm-up rounds");
        Console.WriteLine($"| {"Method",-44} | {"Median",10} | {"Min",10} | {"Mean",10} | {"Allocated",12} |");
        Console.WriteLine($"|{new string('-', 46)}|{new string('-', 11)}:|{new string('-', 11)}:|{new string('-', 11)}:|{new string('-', 13)}:|");
        for (int k = 0; k < cases.Length; k++)
        {
            double[] sorted = [.. ms[k].Order()];
            Console.WriteLine($"| {cases[k].Name,-44} | {sorted[iterations / 2],7:0.000} ms | {sorted[0],7:0.000} ms | {sorted.Average(),7:0.000} ms | {allocated[k] / iterations / 1024.0,9:0.0} KB |");
        }

        // NormGen's own share: the difference between NormGen and the floor measured next to each other in each round,
        // so that a change of load between rounds cancels out.
        Console.WriteLine();
        Console.WriteLine($"| {"Paired difference (median over rounds)",-58} | {"Time",10} | {"Allocated",12} |");
        Console.WriteLine($"|{new string('-', 60)}|{new string('-', 11)}:|{new string('-', 13)}:|");
        foreach ((string minuend, string subtrahend) in Pairs)
        {
            int a = Array.FindIndex(cases, c => c.Name == minuend);
            int z = Array.FindIndex(cases, c => c.Name == subtrahend);
            double[] differences = [.. Enumerable.Range(0, iterations).Select(i => ms[a][i] - ms[z][i]).Order()];
            Console.WriteLine($"| {minuend + " - " + subtrahend,-58} | {differences[iterations / 2],7:0.000} ms | {(allocated[a] - allocated[z]) / iterations / 1024.0,9:0.0} KB |");
        }
    }

    private static readonly (string Minuend, string Subtrahend)[] Pairs =
    [
        (nameof(GeneratorBenchmarks.IncrementalRunAfterUnrelatedEdit), nameof(GeneratorBenchmarks.FloorIncrementalRunAfterUnrelatedEdit)),
        (NormGenPrewarmed, FloorPrewarmed),
        (nameof(GeneratorBenchmarks.IncrementalRunAfterUnrelatedEdit), nameof(GeneratorBenchmarks.PipelineShapeFloorIncrementalRun)),
        (nameof(GeneratorBenchmarks.PipelineShapeFloorIncrementalRun), nameof(GeneratorBenchmarks.FloorIncrementalRunAfterUnrelatedEdit)),
    ];

    private const string FloorPrewarmed = "Floor, prewarmed (prewarm untimed)";
    private const string NormGenPrewarmed = "NormGen, prewarmed (prewarm untimed)";

    /// <summary>One measured case: <see cref="Prepare"/> runs before the clock starts, <see cref="Action"/> is timed.</summary>
    private sealed record Case(string Name, Func<CSharpCompilation> Prepare, Func<CSharpCompilation, object> Action);

    private static Case Timed(string name, Func<object> action) => new(name, static () => null!, _ => action());

    private static double ThreadCpuMilliseconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
        }

        if (ClockGetTime(ClockThreadCpuTimeId, out TimeSpec t) != 0)
        {
            throw new InvalidOperationException("clock_gettime failed");
        }

        return (t.Seconds * 1000.0) + (t.Nanoseconds / 1e6);
    }

    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
