using System;
using System.Diagnostics;
using System.Threading;
using Xunit;

namespace NormGen.Runtime.Tests.Threading;

// Layers large enough for several threads: at least NormThreads.ParallelMinBytes (4 MiB) at the batch sizes below, one
// per pass strategy of the generator (planes, small planes, columns, per-sample rows, per-sample groups, InstanceNorm
// with running statistics).

/// <summary>BatchNorm2d(64) on 32 x 32 planes: 256 KiB per sample.</summary>
[BatchNorm2d(64, 32, 32)] public partial class ParBnPlanes { }

/// <summary>BatchNorm2d(256) on 7 x 7 planes (the small-plane kernels): 49 KiB per sample.</summary>
[BatchNorm2d(256, 7, 7)] public partial class ParBnSmallPlanes { }

/// <summary>BatchNorm1d(1024) on (N, 1024) (the column kernels): 4 KiB per sample.</summary>
[BatchNorm1d(1024)] public partial class ParBnColumns { }

/// <summary>LayerNorm(1024): 4 KiB per row.</summary>
[LayerNorm(1024)] public partial class ParLn { }

/// <summary>GroupNorm(8, 64) on 16 x 16: 64 KiB per sample.</summary>
[GroupNorm(8, 64, 16, 16)] public partial class ParGn { }

/// <summary>InstanceNorm2d(32) on 32 x 32 with affine parameters and running statistics: 128 KiB per sample.</summary>
[InstanceNorm2d(32, 32, 32, Affine = true, TrackRunningStats = true)] public partial class ParIn { }

/// <summary>The tests that change the process-wide thread cap run alone, so no other test sees a changed cap.</summary>
[CollectionDefinition(nameof(ThreadCapCollection), DisableParallelization = true)]
public sealed class ThreadCapCollection
{
}

/// <summary>
/// Threading: a pass over a large tensor runs its blocks on several threads, and the results do not depend on the
/// thread count, because the blocks are fixed by the shape and the batch size and their partial sums are added in block
/// order. Every output, running statistic and gradient of a training step and an eval step is compared bit for bit
/// between <see cref="NormThreads.MaxThreads"/> = 1 and = 2 (on a machine with one processor both runs are
/// single-threaded and the comparison holds trivially; CI machines have two).
/// </summary>
[Collection(nameof(ThreadCapCollection))]
public sealed class ThreadingTests
{
    /// <summary>A layer under test: its sample size, a batch of at least 4 MiB, and one training step plus one eval step.</summary>
    private sealed record Subject(string Name, int SampleSize, int Batch, Func<float[], float[], State> Run);

    /// <summary>Everything a training step and an eval step produce.</summary>
    private sealed record State(float[][] Values);

    private static readonly Subject[] Subjects =
    [
        new("planes", ParBnPlanes.SampleSize, 24, (x, dy) => { var l = new ParBnPlanes(); return Step(l, (a, b) => l.Forward(a, b), (a, b, c) => l.Backward(a, b, c), x, dy); }),
        new("small planes", ParBnSmallPlanes.SampleSize, 100, (x, dy) => { var l = new ParBnSmallPlanes(); return Step(l, (a, b) => l.Forward(a, b), (a, b, c) => l.Backward(a, b, c), x, dy); }),
        new("columns", ParBnColumns.SampleSize, 1500, (x, dy) => { var l = new ParBnColumns(); return Step(l, (a, b) => l.Forward(a, b), (a, b, c) => l.Backward(a, b, c), x, dy); }),
        new("LayerNorm rows", ParLn.SampleSize, 1500, (x, dy) => { var l = new ParLn(); return Step(l, (a, b) => l.Forward(a, b), (a, b, c) => l.Backward(a, b, c), x, dy); }),
        new("GroupNorm", ParGn.SampleSize, 80, (x, dy) => { var l = new ParGn(); return Step(l, (a, b) => l.Forward(a, b), (a, b, c) => l.Backward(a, b, c), x, dy); }),
        new("InstanceNorm with running statistics", ParIn.SampleSize, 40, (x, dy) => { var l = new ParIn(); return Step(l, (a, b) => l.Forward(a, b), (a, b, c) => l.Backward(a, b, c), x, dy); }),
    ];

    public static TheoryData<string> SubjectNames()
    {
        var data = new TheoryData<string>();
        foreach (Subject s in Subjects)
        {
            data.Add(s.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SubjectNames))]
    public void ResultsAreTheSameForOneAndTwoThreads(string name)
    {
        Subject subject = Array.Find(Subjects, s => s.Name == name)!;
        Assert.True(subject.SampleSize * 4L * subject.Batch >= NormThreads.ParallelMinBytes, "the batch must be large enough to run in parallel");
        (float[] x, float[] dy) = Data(subject);
        int saved = NormThreads.MaxThreads;
        try
        {
            NormThreads.MaxThreads = 1;
            State single = subject.Run(x, dy);
            NormThreads.MaxThreads = 2;
            State dual = subject.Run(x, dy);
            for (int i = 0; i < single.Values.Length; i++)
            {
                Assert.True(single.Values[i].AsSpan().SequenceEqual(dual.Values[i]), $"{name}: result {i} differs between 1 and 2 threads.");
            }
        }
        finally
        {
            NormThreads.MaxThreads = saved;
        }
    }

    [Fact]
    public void LargeBatchesRunOnTheHelperThread()
    {
        if (Environment.ProcessorCount < 2)
        {
            Assert.Equal(1, BlockScheduler.Threads(blocks: 8, parallel: true)); // one processor: never more than one thread
            return;
        }

        int saved = NormThreads.MaxThreads;
        try
        {
            NormThreads.MaxThreads = 2;
            Assert.Equal(2, BlockScheduler.Threads(blocks: 8, parallel: true));
            Assert.Equal(1, BlockScheduler.Threads(blocks: 8, parallel: false));
            Assert.Equal(1, BlockScheduler.Threads(blocks: 1, parallel: true));

            // The helper wakes asynchronously and the caller takes blocks too, so one call may run without it; within a few
            // seconds of repeated calls a helper must have run blocks.
            var layer = new ParBnPlanes();
            (float[] x, float[] dy) = Data(Subjects[0]);
            var y = new float[x.Length];
            long before = Interlocked.Read(ref BlockScheduler.HelperBlocks);
            var watch = Stopwatch.StartNew();
            while (Interlocked.Read(ref BlockScheduler.HelperBlocks) == before && watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                layer.Forward(x, y);
            }

            Assert.True(Interlocked.Read(ref BlockScheduler.HelperBlocks) > before, "no block ran on a helper thread in 10 s of parallel-size forwards");

            // Small batches never do.
            NormThreads.MaxThreads = 2;
            var small = new float[ParBnPlanes.SampleSize * 2];
            layer.Forward(small, new float[small.Length]); // let any helper finish first
            long beforeSmall = Interlocked.Read(ref BlockScheduler.HelperBlocks);
            for (int i = 0; i < 20; i++)
            {
                layer.Forward(small, new float[small.Length]);
            }

            Assert.Equal(beforeSmall, Interlocked.Read(ref BlockScheduler.HelperBlocks));
        }
        finally
        {
            NormThreads.MaxThreads = saved;
        }
    }

    [Fact]
    public void ConcurrentCallersOnDifferentLayersGetCorrectResults()
    {
        // One parallel pass runs at a time; a caller that finds the helpers busy runs its blocks itself. Two threads
        // training their own layers at once must both get the single-threaded results.
        Subject subject = Subjects[0];
        (float[] x, float[] dy) = Data(subject);
        int saved = NormThreads.MaxThreads;
        try
        {
            NormThreads.MaxThreads = 1;
            State expected = subject.Run(x, dy);
            NormThreads.MaxThreads = 2;
            var results = new State[2][];
            var threads = new Thread[2];
            for (int t = 0; t < 2; t++)
            {
                int index = t;
                results[index] = new State[10];
                threads[t] = new Thread(() =>
                {
                    for (int i = 0; i < results[index].Length; i++)
                    {
                        results[index][i] = subject.Run(x, dy);
                    }
                });
                threads[t].Start();
            }

            foreach (Thread thread in threads)
            {
                thread.Join();
            }

            foreach (State[] run in results)
            {
                foreach (State state in run)
                {
                    for (int i = 0; i < expected.Values.Length; i++)
                    {
                        Assert.True(expected.Values[i].AsSpan().SequenceEqual(state.Values[i]), $"result {i} of a concurrent caller differs from the single-threaded one.");
                    }
                }
            }
        }
        finally
        {
            NormThreads.MaxThreads = saved;
        }
    }

    [Fact]
    public void ParallelStepsAllocateNothing()
    {
        int saved = NormThreads.MaxThreads;
        try
        {
            NormThreads.MaxThreads = 2;
            var layer = new ParBnSmallPlanes();
            (float[] x, float[] dy) = Data(Subjects[1]);
            var y = new float[x.Length];
            var dx = new float[x.Length];
            Assert.Equal(0, SteadyState.AllocatedBytes(() =>
            {
                layer.Forward(x, y);
                layer.Backward(x, dy, dx);
            }, calls: 10));
        }
        finally
        {
            NormThreads.MaxThreads = saved;
        }
    }

    [Fact]
    public void MaxThreadsRejectsValuesBelowOne()
    {
        int saved = NormThreads.MaxThreads;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => NormThreads.MaxThreads = 0);
        Assert.Equal("value", error.ParamName);
        Assert.Contains("NormThreads.MaxThreads must be at least 1 (1 = single-threaded), but it was set to 0.", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => NormThreads.MaxThreads = -3);
        Assert.Equal(saved, NormThreads.MaxThreads);
    }

    private static (float[] X, float[] Dy) Data(Subject subject)
    {
        var rng = new Random(subject.SampleSize);
        var x = new float[subject.SampleSize * subject.Batch];
        var dy = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((rng.NextDouble() * 4) - 1 + (3 * Math.Sin(i / 997.0)));
            dy[i] = (float)(rng.NextDouble() - 0.5);
        }

        return (x, dy);
    }

    /// <summary>
    /// A training step (forward, backward) then an eval step on <paramref name="layer"/>, a fresh layer; everything they
    /// produce: the outputs, the input gradients, the parameter gradients and the float buffers (running statistics).
    /// </summary>
    private static State Step(IModule layer, Action<float[], float[]> forward, Action<float[], float[], float[]> backward, float[] x, float[] dy)
    {
        var y = new float[x.Length];
        var dx = new float[x.Length];
        var evalY = new float[x.Length];
        var evalDx = new float[x.Length];
        forward(x, y);
        backward(x, dy, dx);
        layer.Train(false);
        forward(x, evalY);
        backward(x, dy, evalDx);
        var values = new System.Collections.Generic.List<float[]> { y, dx, evalY, evalDx };
        foreach ((string _, Parameter parameter) in layer.NamedParameters())
        {
            values.Add(parameter.GradSpan.ToArray());
        }

        foreach ((string _, System.Numerics.Tensors.IReadOnlyTensor buffer) in layer.NamedBuffers())
        {
            if (buffer is System.Numerics.Tensors.Tensor<float> tensor)
            {
                var data = new float[tensor.FlattenedLength];
                tensor.FlattenTo(data);
                values.Add(data);
            }
        }

        return new State(values.ToArray());
    }
}
