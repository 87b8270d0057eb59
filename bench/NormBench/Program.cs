using System;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace NormBench;

/// <summary>
/// Entry point: BenchmarkDotNet's switcher, so the usual command-line options apply
/// (<c>--filter '*'</c>, <c>--job short</c>, <c>--exporters json csv</c>, ...); bench/run_all.sh shows the options used for
/// docs/performance.md. Every class carries its own name as its category and benchmarks are grouped by category, so
/// with <c>--join</c> (one build, one table) the Ratio column is still relative to the copy of that class's tensor.
/// <c>--check</c> only runs every class's setup, which checks that all implementations agree, and counts the bytes each
/// benchmark allocates per call in steady state (the least over five rounds of 100 calls);
/// <c>--inlining</c> does the same while listening to the JIT's inlining events, and fails if a generated kernel was
/// compiled as a call (see <see cref="Inlining"/>);
/// <c>--bandwidth</c> prints copy and read-only bandwidth against the tensor size, and a two-thread copy through the layers' scheduler (see <see cref="Bandwidth"/>);
/// <c>--paired FILE [TEXT]</c> measures load-robust ratios to the copy in process (see <see cref="Paired"/>), for the
/// benchmark classes whose name contains TEXT (all without it).
/// The environment variable <c>NORMBENCH_STREAMING_MIN_BYTES</c>, when set, overrides
/// <see cref="NormGen.StreamingStores.MinBytes"/> for the run (0: stream every size; 9223372036854775807: never), for A/B
/// runs of the streaming threshold; it is inherited by BenchmarkDotNet's child processes.
/// </summary>
public static class Program
{
    /// <summary>Runs the benchmarks selected by <paramref name="args"/>.</summary>
    public static int Main(string[] args)
    {
        if (Environment.GetEnvironmentVariable("NORMBENCH_STREAMING_MIN_BYTES") is { Length: > 0 } minBytes)
        {
            NormGen.StreamingStores.MinBytes = long.Parse(minBytes, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);
            Console.WriteLine($"StreamingStores.MinBytes = {NormGen.StreamingStores.MinBytes} (NORMBENCH_STREAMING_MIN_BYTES)");
        }

        if (args.Length == 1 && args[0] == "--check")
        {
            return Check();
        }

        if (args.Length == 1 && args[0] == "--inlining")
        {
            return Inlining.Run();
        }

        if (args.Length == 1 && args[0] == "--bandwidth")
        {
            return Bandwidth.Run();
        }

        if (args.Length is 2 or 3 && args[0] == "--paired")
        {
            return Paired.Run(args[1], args.Length == 3 ? args[2] : "");
        }

        IConfig config = ManualConfig.Create(DefaultConfig.Instance)
            .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory);
        BenchmarkDotNet.Reports.Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config).ToArray();
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>The benchmark classes, in declaration order.</summary>
    internal static Type[] BenchmarkTypes() =>
        typeof(Program).Assembly.GetTypes().Where(t => t.IsPublic && !t.IsAbstract && t.GetCustomAttribute<BenchmarkCategoryAttribute>() is not null).ToArray();

    internal static int Check() => Check(_ => true);

    /// <summary>Runs the setup of every benchmark class and, in steady state, its benchmarks that <paramref name="include"/> selects.</summary>
    internal static int Check(Func<MethodInfo, bool> include)
    {
        foreach (Type type in BenchmarkTypes())
        {
            object benchmark = Activator.CreateInstance(type)!;
            type.GetMethod("Setup")!.Invoke(benchmark, null);
            var allocating = new System.Collections.Generic.List<string>();
            foreach (MethodInfo method in type.GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null && include(m)))
            {
                if (method.ReturnType != typeof(void))
                {
                    method.Invoke(benchmark, null);
                    continue;
                }

                // Steady state: warm up (tiered JIT included: call counting starts after 100 ms without new tier-0 code,
                // so warm up for half a second and at least 50 calls), then count the bytes this thread allocates over 100 calls.
                var run = (Action)Delegate.CreateDelegate(typeof(Action), benchmark, method);
                var warmup = System.Diagnostics.Stopwatch.StartNew();
                for (int i = 0; i < 50 || warmup.ElapsedMilliseconds < 500; i++)
                {
                    run();
                }

                // The least over five rounds: a per-call allocation shows in every round, a one-time one (a tier-1 re-JIT
                // finishing during a round) in one of them only.
                long bytes = long.MaxValue;
                for (int round = 0; round < 5; round++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < 100; i++)
                    {
                        run();
                    }

                    bytes = Math.Min(bytes, GC.GetAllocatedBytesForCurrentThread() - before);
                }

                if (bytes != 0)
                {
                    allocating.Add($"{method.Name} {bytes} B / 100 calls");
                }
            }

            Console.WriteLine($"{type.Name}: setup and its checks passed; steady-state allocation: "
                + (allocating.Count == 0 ? "0 B per call for every benchmark" : string.Join(", ", allocating)));
        }

        return 0;
    }
}
