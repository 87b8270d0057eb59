using System;
using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Threading;

static class P
{
    static volatile int go, done;
    static float[] src, dst;
    static int half;
    sealed class Split : NormGen.IBlockWork
    {
        public int Blocks = 16;
        public void RunBlock(int pass, int block, int worker, ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> output)
        {
            int size = first.Length / Blocks;
            VCopy(first.Slice(block * size, size), output.Slice(block * size, size));
        }
    }
    static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "affinity") { Affinity(); return; }
        if (args.Length > 0) { Sched(int.Parse(args[0])); return; }
        // 1. compute throughput: 8 independent FMA chains, 1 vs 2 threads
        double one = Fma(1), two = Fma(2);
        Console.WriteLine($"FMA throughput: 1 thread {one:F1} ms, 2 threads (same work each) {two:F1} ms -> scaling {2 * one / two:F2}x");
        // 2. copy with a spinning helper thread
        var helper = new Thread(Helper) { IsBackground = true }; helper.Start();
        foreach (int mib in new[] { 1, 2, 4, 8, 12, 16, 24, 48 })
        {
            int len = mib << 18; src = new float[len]; dst = new float[len]; half = len / 2;
            new Random(1).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(src.AsSpan()));
            var r1 = new System.Collections.Generic.List<double>(); 
            for (int round = 0; round < 9; round++)
            {
                double t1 = Best(() => src.AsSpan().CopyTo(dst));
                double t2 = Best(Copy2);
                r1.Add(t1 / t2);
            }
            r1.Sort();
            Console.WriteLine($"{mib,3} MiB copy: 2-thread speed-up (spinning helper, halves) median {r1[4]:F2}x (min {r1[0]:F2}, max {r1[8]:F2})");
        }
    }
    static void Sched(int blocks)
    {
        NormGen.NormThreads.MaxThreads = 2;
        var split = new Split { Blocks = blocks };
        foreach (int mib in new[] { 1, 2, 4, 8, 12, 16, 24, 48 })
        {
            int len = mib << 18; src = new float[len]; dst = new float[len];
            var r1 = new System.Collections.Generic.List<double>();
            for (int round = 0; round < 9; round++)
            {
                double t1 = Best(() => VCopy(src, dst));
                double t2 = Best(() => NormGen.BlockScheduler.Run(split, 0, blocks, 2, src, default, dst));
                r1.Add(t1 / t2);
            }
            r1.Sort();
            Console.WriteLine($"{mib,3} MiB copy: 2-thread speed-up (BlockScheduler, {blocks} blocks, vector loop) median {r1[4]:F2}x (min {r1[0]:F2}, max {r1[8]:F2})");
        }
    }
    static void VCopy(ReadOnlySpan<float> a, Span<float> b)
    {
        ref float s = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
        ref float d = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b);
        nuint n = (nuint)a.Length;
        for (nuint i = 0; i + 64 <= n; i += 64)
        {
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref s, i), ref d, i);
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref s, i + 16), ref d, i + 16);
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref s, i + 32), ref d, i + 32);
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref s, i + 48), ref d, i + 48);
        }
    }
    static Action<int> job;

    /// <summary>Runs <paramref name="a"/>(0) on this thread and <paramref name="a"/>(1) on the spinning helper thread.</summary>
    static void Par(Action<int> a)
    {
        job = a; done = 0; Interlocked.Increment(ref go);
        a(0);
        while (done == 0) Thread.SpinWait(1);
    }
    static void Copy2() => Par(k => src.AsSpan(k * half, half).CopyTo(dst.AsSpan(k * half, half)));
    static void Helper()
    {
        int seen = 0;
        while (true)
        {
            while (go == seen) Thread.SpinWait(1);
            seen = go;
            job(1);
            done = 1;
        }
    }

    /// <summary>A pass that reads src and writes dst by halves, then one that reads both, on the same halves or swapped.</summary>
    static void Affinity()
    {
        var helper = new Thread(Helper) { IsBackground = true }; helper.Start();
        foreach (int mib in new[] { 2, 4, 8, 12, 16 })
        {
            int len = mib << 18; src = new float[len]; dst = new float[len];
            int h = len / 2;
            var same = new System.Collections.Generic.List<double>(); var swap = new System.Collections.Generic.List<double>(); var one = new System.Collections.Generic.List<double>();
            for (int round = 0; round < 9; round++)
            {
                one.Add(Best(() => { Scale(0, len); Sum(0, len); }));
                same.Add(Best(() => { Par(k => Scale(k * h, h)); Par(k => Sum(k * h, h)); }));
                swap.Add(Best(() => { Par(k => Scale(k * h, h)); Par(k => Sum((1 - k) * h, h)); }));
            }
            one.Sort(); same.Sort(); swap.Sort();
            Console.WriteLine($"{mib,3} MiB: write pass then read pass: 1 thread {one[4]:F3} ms, 2 threads same halves {same[4]:F3} ms ({one[4] / same[4]:F2}x), swapped halves {swap[4]:F3} ms ({one[4] / swap[4]:F2}x)");
        }
    }
    static void Scale(int start, int n)
    {
        ref float s = ref src[start]; ref float d = ref dst[start];
        var m = Vector512.Create(1.0001f);
        for (nuint i = 0; i + 64 <= (nuint)n; i += 64)
        {
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref s, i) * m, ref d, i);
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref s, i + 16) * m, ref d, i + 16);
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref s, i + 32) * m, ref d, i + 32);
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref s, i + 48) * m, ref d, i + 48);
        }
    }
    static void Sum(int start, int n)
    {
        ref float s = ref src[start]; ref float d = ref dst[start];
        var a0 = Vector512<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        for (nuint i = 0; i + 32 <= (nuint)n; i += 32)
        {
            a0 += Vector512.LoadUnsafe(ref s, i); a1 += Vector512.LoadUnsafe(ref d, i);
            a2 += Vector512.LoadUnsafe(ref s, i + 16); a3 += Vector512.LoadUnsafe(ref d, i + 16);
        }
        sink += (a0 + a1 + a2 + a3).ToScalar();
    }
    static double Best(Action a) { for (int i = 0; i < 20; i++) a(); double b = 1e9; for (int i = 0; i < 40; i++) { long t = Stopwatch.GetTimestamp(); a(); b = Math.Min(b, Stopwatch.GetElapsedTime(t).TotalMilliseconds); } return b; }
    static double Fma(int threads)
    {
        double best = 1e9;
        for (int rep = 0; rep < 5; rep++)
        {
            var ts = new Thread[threads];
            long t0 = Stopwatch.GetTimestamp();
            for (int k = 0; k < threads; k++) { ts[k] = new Thread(() => Work()); ts[k].Start(); }
            foreach (var t in ts) t.Join();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        return best;
    }
    static float sink;
    static void Work()
    {
        var a0 = Vector512.Create(1f); var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
        var m = Vector512.Create(0.999999f); var c = Vector512.Create(1e-7f);
        for (int i = 0; i < 20_000_000; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c); a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c); a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
        }
        sink += (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7).ToScalar();
    }
}
