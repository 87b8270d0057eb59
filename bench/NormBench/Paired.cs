using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using BenchmarkDotNet.Attributes;

namespace NormBench;

/// <summary>
/// <c>--paired FILE</c>: a second, in-process measurement of the ratios to the copy that is robust to other load on a
/// shared machine. For every benchmark of every class it alternates, round after round, a timed block of copies and a
/// timed block of the benchmark (each block at least 20 ms), so both sides of each ratio see the same machine state;
/// it reports the median over the rounds of the per-round ratio, and the best (minimum) time per call of each side.
/// BenchmarkDotNet's numbers (one process per benchmark, run one after the other) remain the primary times.
/// </summary>
internal static class Paired
{
    private const int Rounds = 15;
    private const double BlockSeconds = 0.02;

    public static int Run(string path, string classFilter)
    {
        var json = new StringBuilder("{\n \"rounds\": " + Rounds + ",\n \"results\": [\n");
        bool first = true;
        foreach (Type type in Program.BenchmarkTypes().Where(t => t.Name.Contains(classFilter, StringComparison.Ordinal)))
        {
            object benchmark = Activator.CreateInstance(type)!;
            type.GetMethod("Setup")!.Invoke(benchmark, null);
            var copy = (Action)Delegate.CreateDelegate(typeof(Action), benchmark, type.GetMethod("Copy")!);
            int copyCalls = Calibrate(copy);
            foreach (MethodInfo method in type.GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null && m.Name != "Copy"))
            {
                Action run = method.ReturnType == typeof(void)
                    ? (Action)Delegate.CreateDelegate(typeof(Action), benchmark, method)
                    : () => method.Invoke(benchmark, null);
                int calls = Calibrate(run);
                var ratios = new List<double>();
                double bestCopy = double.MaxValue, bestRun = double.MaxValue;
                for (int r = 0; r < Rounds; r++)
                {
                    double c = Time(copy, copyCalls);
                    double t = Time(run, calls);
                    bestCopy = Math.Min(bestCopy, c);
                    bestRun = Math.Min(bestRun, t);
                    ratios.Add(t / c);
                }

                ratios.Sort();
                double median = ratios[ratios.Count / 2];
                Console.WriteLine($"{type.Name}.{method.Name}: paired ratio {median:F2} (best {bestRun * 1e3:F3} ms, copy best {bestCopy * 1e3:F3} ms)");
                json.Append(first ? "" : ",\n");
                first = false;
                json.Append(string.Create(CultureInfo.InvariantCulture,
                    $"  {{\"Type\": \"{type.Name}\", \"Method\": \"{method.Name}\", \"RatioMedian\": {median:R}, \"RatioMin\": {ratios[0]:R}, \"RatioMax\": {ratios[^1]:R}, \"BestMs\": {bestRun * 1e3:R}, \"CopyBestMs\": {bestCopy * 1e3:R}}}"));
            }
        }

        json.Append("\n ]\n}\n");
        File.WriteAllText(path, json.ToString());
        Console.WriteLine($"wrote {path}");
        return 0;
    }

    /// <summary>Warms <paramref name="action"/> up (tiered JIT included) and returns the calls that fill one block.</summary>
    private static int Calibrate(Action action)
    {
        var watch = Stopwatch.StartNew();
        int calls = 0;
        while (calls < 5 || watch.Elapsed.TotalSeconds < 0.3)
        {
            action();
            calls++;
        }

        double perCall = watch.Elapsed.TotalSeconds / calls;
        return Math.Max(1, (int)Math.Ceiling(BlockSeconds / perCall));
    }

    /// <summary>Seconds per call over a block of <paramref name="calls"/> calls.</summary>
    private static double Time(Action action, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            action();
        }

        return Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
    }
}
