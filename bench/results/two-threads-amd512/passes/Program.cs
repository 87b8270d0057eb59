using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using NormBench;

static class P
{
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "PlanBlocks")] static extern void Plan(Bn2d256x14x14 l, int b);
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")] static extern void Stats(Bn2d256x14x14 l, ReadOnlySpan<float> x, int b);
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")] static extern void Norm(Bn2d256x14x14 l, ReadOnlySpan<float> x, Span<float> y);
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "PlanBlocks")] static extern void Plan2(Bn2d64x32x32 l, int b);
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")] static extern void Stats2(Bn2d64x32x32 l, ReadOnlySpan<float> x, int b);
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")] static extern void Norm2(Bn2d64x32x32 l, ReadOnlySpan<float> x, Span<float> y);

    static void Main(string[] args)
    {
        bool big = args.Length > 0 && args[0] == "32";
        int n = big ? 32 : 64, len = big ? 32 * 64 * 1024 : 64 * 256 * 196;
        var x = new float[len]; var y = new float[len]; var c = new float[len];
        var rng = new Random(1); for (int i = 0; i < len; i++) x[i] = (float)rng.NextDouble();
        var l1 = new Bn2d256x14x14(); var l2 = new Bn2d64x32x32();
        Action copy = () => x.AsSpan().CopyTo(c);
        Action fwd = big ? () => l2.Forward(x, y) : () => l1.Forward(x, y);
        Action stats = big ? () => { Plan2(l2, n); Stats2(l2, x, n); } : () => { Plan(l1, n); Stats(l1, x, n); };
        Action norm = big ? () => { Plan2(l2, n); Norm2(l2, x, y); } : () => { Plan(l1, n); Norm(l1, x, y); };
        var names = new[] { "forward", "statistics", "normalize", "stats+norm", "vcopy(sched)" };
        Action seq = big ? () => { Plan2(l2, n); Stats2(l2, x, n); Norm2(l2, x, y); } : () => { Plan(l1, n); Stats(l1, x, n); Norm(l1, x, y); };
        var split = new Split(big ? 8 : 11);
        Action vcopy = () => NormGen.BlockScheduler.Run(split, 0, split.Blocks, NormGen.BlockScheduler.Threads(split.Blocks, true), x, default, y);
        var acts = new[] { fwd, stats, norm, seq, vcopy };
        foreach (var (threads, stream) in new[] { (1, true), (2, true), (1, true), (2, true) })
        {
            NormGen.NormThreads.MaxThreads = threads;
            NormGen.StreamingStores.MinBytes = stream ? NormGen.StreamingStores.DefaultMinBytes : long.MaxValue;
            fwd();
            var r = new List<double>[5]; for (int k = 0; k < 5; k++) r[k] = new();
            for (int round = 0; round < 11; round++)
            {
                for (int k = 0; k < 5; k++) { double t0 = Best(copy); r[k].Add(Best(acts[k]) / t0); }
            }
            Console.Write($"{(big ? "32x32" : "14x14")} threads {threads} streaming {(stream ? "default" : "off"),-7}:");
            for (int k = 0; k < 5; k++) { r[k].Sort(); Console.Write($"  {names[k]} {r[k][5]:F2}x ({r[k][0]:F2}-{r[k][10]:F2})"); }
            Console.WriteLine();
        }
    }
    sealed class Split(int blocks) : NormGen.IBlockWork
    {
        public int Blocks { get; } = blocks;
        public void RunBlock(int pass, int block, int worker, ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> output)
        {
            int size = (first.Length + Blocks - 1) / Blocks;
            int start = block * size, n = Math.Min(size, first.Length - start);
            ref float s = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(first.Slice(start));
            ref float d = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(output.Slice(start));
            nuint i = 0;
            for (; i + 64 <= (nuint)n; i += 64)
            {
                System.Runtime.Intrinsics.Vector512.StoreUnsafe(System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref s, i), ref d, i);
                System.Runtime.Intrinsics.Vector512.StoreUnsafe(System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref s, i + 16), ref d, i + 16);
                System.Runtime.Intrinsics.Vector512.StoreUnsafe(System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref s, i + 32), ref d, i + 32);
                System.Runtime.Intrinsics.Vector512.StoreUnsafe(System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref s, i + 48), ref d, i + 48);
            }
            for (; i < (nuint)n; i++) System.Runtime.CompilerServices.Unsafe.Add(ref d, i) = System.Runtime.CompilerServices.Unsafe.Add(ref s, i);
        }
    }
    static double Best(Action a) { for (int i = 0; i < 5; i++) a(); double b = 1e9; for (int i = 0; i < 20; i++) { long t = Stopwatch.GetTimestamp(); a(); b = Math.Min(b, Stopwatch.GetElapsedTime(t).TotalMilliseconds); } return b; }
}
