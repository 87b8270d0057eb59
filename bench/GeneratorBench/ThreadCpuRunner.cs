using System.Diagnostics;
using System.Runtime.InteropServices;

namespace GeneratorBench;

/// <summary>
/// A second measurement, robust to a busy machine: thread CPU time (clock_gettime(CLOCK_THREAD_CPUTIME_ID), which does
/// not count time the thread waits for a core) and allocated bytes per operation, on the same
/// <see cref="GeneratorBenchmarks"/> methods. BenchmarkDotNet measures wall-clock time, which on a shared 2-core
/// machine also counts other processes. Run with <c>--cpu [iterations]</c>.
/// </summary>
internal static partial class ThreadCpuRunner
{
    public static void Run(int iterations)
    {
        var benchmarks = new GeneratorBenchmarks();
        benchmarks.Setup();
        (string Name, Func<object> Action)[] cases =
        [
            (nameof(GeneratorBenchmarks.FullRun), benchmarks.FullRun),
            (nameof(GeneratorBenchmarks.IncrementalRunAfterUnrelatedEdit), benchmarks.IncrementalRunAfterUnrelatedEdit),
            (nameof(GeneratorBenchmarks.NewCompilationOnly), benchmarks.NewCompilationOnly),
            (nameof(GeneratorBenchmarks.FloorIncrementalRunAfterUnrelatedEdit), benchmarks.FloorIncrementalRunAfterUnrelatedEdit),
        ];

        Console.WriteLine($"thread CPU time per operation, {iterations} measured operations after {iterations / 4} warm-up ones");
        Console.WriteLine($"| {"Method",-38} | {"Median",10} | {"Min",10} | {"Mean",10} | {"Allocated",12} |");
        Console.WriteLine($"|{new string('-', 40)}|{new string('-', 12)}:|{new string('-', 12)}:|{new string('-', 12)}:|{new string('-', 14)}:|");
        foreach ((string name, Func<object> action) in cases)
        {
            for (int i = 0; i < Math.Max(3, iterations / 4); i++)
            {
                GC.KeepAlive(action());
            }

            double[] ms = new double[iterations];
            long allocated = 0;
            for (int i = 0; i < iterations; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                long bytes = GC.GetAllocatedBytesForCurrentThread();
                double start = ThreadCpuMilliseconds();
                GC.KeepAlive(action());
                ms[i] = ThreadCpuMilliseconds() - start;
                allocated += GC.GetAllocatedBytesForCurrentThread() - bytes;
            }

            Array.Sort(ms);
            Console.WriteLine($"| {name,-38} | {ms[iterations / 2],7:0.000} ms | {ms[0],7:0.000} ms | {ms.Average(),7:0.000} ms | {allocated / iterations / 1024.0,9:0.0} KB |");
        }
    }

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
