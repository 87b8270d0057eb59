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
/// benchmark allocates per call in steady state;
/// <c>--paired FILE</c> measures load-robust ratios to the copy in process (see <see cref="Paired"/>).
/// </summary>
public static class Program
{
    /// <summary>Runs the benchmarks selected by <paramref name="args"/>.</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--check")
        {
            return Check();
        }

        if (args.Length == 2 && args[0] == "--paired")
        {
            return Paired.Run(args[1]);
        }

        IConfig config = ManualConfig.Create(DefaultConfig.Instance)
            .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory);
        BenchmarkDotNet.Reports.Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config).ToArray();
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>The benchmark classes, in declaration order.</summary>
    internal static Type[] BenchmarkTypes() =>
        typeof(Program).Assembly.GetTypes().Where(t => t.IsPublic && !t.IsAbstract && t.GetCustomAttribute<BenchmarkCategoryAttribute>() is not null).ToArray();

    private static int Check()
    {
        foreach (Type type in BenchmarkTypes())
        {
            object benchmark = Activator.CreateInstance(type)!;
            type.GetMethod("Setup")!.Invoke(benchmark, null);
            var allocating = new System.Collections.Generic.List<string>();
            foreach (MethodInfo method in type.GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null))
            {
                if (method.ReturnType != typeof(void))
                {
                    method.Invoke(benchmark, null);
                    continue;
                }

                // Steady state: warm up (tiered JIT included), then count the bytes this thread allocates over 100 calls.
                var run = (Action)Delegate.CreateDelegate(typeof(Action), benchmark, method);
                for (int i = 0; i < 50; i++)
                {
                    run();
                }

                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 100; i++)
                {
                    run();
                }

                long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
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
