using System;
using System.Diagnostics;
using System.Numerics.Tensors;

namespace NormBench;

/// <summary>
/// <c>--bandwidth</c>: the memory hierarchy the ratios are measured against. For tensors of 1 to 64 MiB it times a copy
/// (one read and one write stream, the benchmarks' baseline) and a read-only pass (<see cref="TensorPrimitives.Sum(ReadOnlySpan{float})"/>),
/// best of 30 calls each, and prints GB/s. Where the copy's working set (input plus output) stops fitting in the cache,
/// its bandwidth drops to memory's; a pass whose working set is larger (forward plus backward touches four tensors)
/// runs at that lower bandwidth while the copy of the same tensor does not. The last two columns are the same copy split
/// into blocks of 1 MiB (at least 2) run by <see cref="NormGen.BlockScheduler"/> on two threads, as the generated layers
/// run their passes (blocks of about 1 MiB of input),
/// and its speed-up over the single-thread copy: what two threads gain on this machine for a pass that reads and writes a
/// tensor of that size (a reference, not a bound: one memmove of a large tensor may use other stores than 1 MiB ones).
/// </summary>
internal static class Bandwidth
{
    public static int Run()
    {
        Console.WriteLine("tensor MiB | copy ms | copy GB/s (read + write) | read-only ms | read-only GB/s | copy 2 threads ms | 2-thread speed-up");
        int maxThreads = NormGen.NormThreads.MaxThreads;
        foreach (int mib in new[] { 1, 2, 4, 8, 12, 16, 24, 32, 48, 64 })
        {
            int length = mib << 18;
            float[] x = BenchData.Create(length, seed: mib);
            var y = new float[length];
            double copy = Best(() => x.AsSpan().CopyTo(y));
            double read = Best(() => TensorPrimitives.Sum(x));
            var split = new SplitCopy(Math.Max(2, mib));
            NormGen.NormThreads.MaxThreads = 2;
            double copy2 = Best(() => NormGen.BlockScheduler.Run(split, 0, split.Blocks, NormGen.BlockScheduler.Threads(split.Blocks, parallel: true), x, default, y));
            NormGen.NormThreads.MaxThreads = maxThreads;
            double bytes = 4.0 * length;
            Console.WriteLine($"{mib,10} | {copy * 1e3,7:F3} | {2 * bytes / copy / 1e9,24:F1} | {read * 1e3,12:F3} | {bytes / read / 1e9,14:F1} | {copy2 * 1e3,17:F3} | {copy / copy2,16:F2}x");
        }

        return 0;
    }

    /// <summary>A copy of <c>first</c> into <c>output</c> in <see cref="Blocks"/> equal blocks.</summary>
    private sealed class SplitCopy(int blocks) : NormGen.IBlockWork
    {
        public int Blocks { get; } = blocks;

        public void RunBlock(int pass, int block, int worker, ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> output)
        {
            int size = first.Length / Blocks;
            first.Slice(block * size, size).CopyTo(output.Slice(block * size, size));
        }
    }

    private static double Best(Action action)
    {
        // Warm up for half a second, not a few calls: TensorPrimitives ships without ready-to-run code, and its first
        // 30 calls run unoptimized (tier-0) code until tiered compilation installs the optimized one. Five calls of
        // warm-up measured that code for tensors up to 12 MiB (a read-only pass of 1 MiB at 5 GB/s instead of 78).
        var warmUp = Stopwatch.StartNew();
        for (int calls = 0; calls < 50 || warmUp.Elapsed.TotalSeconds < 0.5; calls++)
        {
            action();
        }

        double best = double.MaxValue;
        for (int i = 0; i < 30; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return best;
    }
}
