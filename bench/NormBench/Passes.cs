using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace NormBench;

/// <summary>
/// Where the time of a generated BatchNorm training forward goes: the same private methods the generated
/// <c>Forward</c> calls, reached with <see cref="UnsafeAccessorAttribute"/> (no copy of generated code, no reflection in
/// the timed path). <see cref="Statistics"/> is the statistics pass with the per-channel coefficients
/// (<c>ComputeBatchStatistics</c>: the shift estimate, one pass of shifted sums over the batch, and any channel redone
/// in two passes), <see cref="Normalize"/> is the normalization pass; <see cref="Forward"/> and <see cref="Backward"/>
/// are the whole training forward and the whole backward, each repeated alone; <see cref="GradientSums"/> and
/// <see cref="InputGradient"/> are the backward's two passes (<c>GradientSumsBlock</c> and <c>GradInputBlock</c> over
/// every block in a single thread's order). <see cref="ReadOnly"/> is a read-only pass
/// (<see cref="TensorPrimitives.Sum(ReadOnlySpan{float})"/>), the floor of any statistics pass. These names are the
/// generator's private names today: if they change, these benchmarks fail at run time (MissingMethodException), never
/// silently, and the setup checks that <see cref="GradientSums"/> and <see cref="InputGradient"/> reproduce the
/// backward's partial sums and dx bit for bit.
/// </summary>
/// <typeparam name="TLayer">The generated layer.</typeparam>
public abstract class PassBreakdown<TLayer>
    where TLayer : class, INormLayer, new()
{
    /// <summary>Input.</summary>
    protected float[] X { get; private set; } = null!;

    /// <summary>Output.</summary>
    protected float[] Y { get; private set; } = null!;

    /// <summary>Gradient of the output, and of the input (written by <see cref="Backward"/>).</summary>
    protected float[] GradOutput { get; private set; } = null!;

    /// <summary>Gradient of the input.</summary>
    protected float[] GradInput { get; private set; } = null!;

    /// <summary>The layer, in training mode.</summary>
    protected TLayer Layer { get; private set; } = null!;

    /// <summary>Batch size N (read from <see cref="Shape"/> once: the property makes a new array per call).</summary>
    protected int Batch { get; private set; }

    /// <summary>Full input shape, batch first.</summary>
    protected abstract int[] Shape { get; }

    /// <summary>Allocates the data and runs one training forward, so the coefficients exist.</summary>
    [GlobalSetup]
    public void Setup()
    {
        NormGen.NormThreads.MaxThreads = 1;
        int length = 1;
        foreach (int d in Shape)
        {
            length *= d;
        }

        Batch = Shape[0];
        X = BenchData.Create(length, seed: length);
        Y = new float[length];
        GradOutput = BenchData.Create(length, seed: length + 1);
        GradInput = new float[length];
        Layer = new TLayer();
        Layer.SetTraining(true);
        Layer.Forward(X, Y);

        // The backward's passes need its coefficients: one whole backward first. Its block plan (fixed by the shape and the
        // batch) is read here, once, outside the timed path. GradientSums must then reproduce the backward's per-block
        // partial sums and InputGradient its dx, bit for bit: that checks that the block methods are reached and walked
        // as the generated passes walk them.
        Layer.Backward(X, GradOutput, GradInput);
        PlanBlocks(Batch);
        _blockSamples = Field<int>("_blockSamples");
        _blocks = Field<int>("_blocks");
        double[] partialA = (double[])Field<double[]>("_partialA").Clone(), partialB = (double[])Field<double[]>("_partialB").Clone();
        Array.Clear(Field<double[]>("_partialA"));
        Array.Clear(Field<double[]>("_partialB"));
        GradientSums();
        if (!partialA.AsSpan().SequenceEqual(Field<double[]>("_partialA")) || !partialB.AsSpan().SequenceEqual(Field<double[]>("_partialB")))
        {
            throw new InvalidOperationException($"{GetType().Name}: the gradient-sums pass run block by block differs from the layer's Backward.");
        }

        float[] expected = (float[])GradInput.Clone();
        Array.Clear(GradInput);
        InputGradient();
        if (!expected.AsSpan().SequenceEqual(GradInput))
        {
            throw new InvalidOperationException($"{GetType().Name}: the input-gradient pass run block by block differs from the layer's Backward.");
        }
    }

    private int _blockSamples;
    private int _blocks;

    /// <summary>A private field of the generated layer, by reflection (setup only).</summary>
    private T Field<T>(string name) =>
        (T)(typeof(TLayer).GetField(name, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
            ?? throw new MissingFieldException(typeof(TLayer).Name, name)).GetValue(Layer)!;

    /// <summary>The baseline: a copy of the same tensor.</summary>
    [Benchmark(Baseline = true)]
    public void Copy() => X.AsSpan().CopyTo(Y);

    /// <summary>A read-only pass over the tensor.</summary>
    [Benchmark]
    public float ReadOnly() => TensorPrimitives.Sum(X);

    /// <summary>
    /// A copy written as a loop of vector loads and stores (Vector512 where it is accelerated, else Vector256, else
    /// Vector128), four per iteration: the floor of any kernel that writes its output with vector stores. For a tensor
    /// that stays in L2, <see cref="Copy"/> (memmove) is faster than this loop.
    /// </summary>
    [Benchmark]
    public void VectorCopyLoop()
    {
        ref float x = ref MemoryMarshal.GetArrayDataReference(X);
        ref float y = ref MemoryMarshal.GetArrayDataReference(Y);
        nuint length = (nuint)X.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 64 <= length; i += 64)
            {
                Vector512.LoadUnsafe(ref x, i).StoreUnsafe(ref y, i);
                Vector512.LoadUnsafe(ref x, i + 16).StoreUnsafe(ref y, i + 16);
                Vector512.LoadUnsafe(ref x, i + 32).StoreUnsafe(ref y, i + 32);
                Vector512.LoadUnsafe(ref x, i + 48).StoreUnsafe(ref y, i + 48);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= length; i += 32)
            {
                Vector256.LoadUnsafe(ref x, i).StoreUnsafe(ref y, i);
                Vector256.LoadUnsafe(ref x, i + 8).StoreUnsafe(ref y, i + 8);
                Vector256.LoadUnsafe(ref x, i + 16).StoreUnsafe(ref y, i + 16);
                Vector256.LoadUnsafe(ref x, i + 24).StoreUnsafe(ref y, i + 24);
            }
        }
        else
        {
            for (; i + 16 <= length; i += 16)
            {
                Vector128.LoadUnsafe(ref x, i).StoreUnsafe(ref y, i);
                Vector128.LoadUnsafe(ref x, i + 4).StoreUnsafe(ref y, i + 4);
                Vector128.LoadUnsafe(ref x, i + 8).StoreUnsafe(ref y, i + 8);
                Vector128.LoadUnsafe(ref x, i + 12).StoreUnsafe(ref y, i + 12);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref y, i) = Unsafe.Add(ref x, i);
        }
    }

    /// <summary>The statistics pass and the coefficients (the generated <c>ComputeBatchStatistics</c>).</summary>
    [Benchmark]
    public void Statistics()
    {
        PlanBlocks(Batch);
        RunStatistics();
    }

    /// <summary>The normalization pass (the generated <c>Normalize</c>).</summary>
    [Benchmark]
    public void Normalize()
    {
        PlanBlocks(Batch);
        RunNormalize();
    }

    /// <summary>The whole training forward alone, for comparison with the sum of its passes.</summary>
    [Benchmark]
    public void Forward() => Layer.Forward(X, Y);

    /// <summary>The backward alone (both of its passes), after the forward of the setup: its tensors x, dy, dx stay as cached as repetition lets them.</summary>
    [Benchmark]
    public void Backward() => Layer.Backward(X, GradOutput, GradInput);

    /// <summary>The whole training forward then the whole backward, as the case's own forward+backward benchmark runs them, for comparison with <see cref="Forward"/> and <see cref="Backward"/> each repeated alone.</summary>
    [Benchmark]
    public void ForwardBackward()
    {
        Layer.Forward(X, Y);
        Layer.Backward(X, GradOutput, GradInput);
    }

    /// <summary><see cref="Forward"/> with up to 2 threads.</summary>
    [Benchmark]
    public void Forward2Threads()
    {
        NormGen.NormThreads.MaxThreads = 2;
        Forward();
        NormGen.NormThreads.MaxThreads = 1;
    }

    /// <summary><see cref="Backward"/> with up to 2 threads.</summary>
    [Benchmark]
    public void Backward2Threads()
    {
        NormGen.NormThreads.MaxThreads = 2;
        Backward();
        NormGen.NormThreads.MaxThreads = 1;
    }

    /// <summary><see cref="ForwardBackward"/> with up to 2 threads.</summary>
    [Benchmark]
    public void ForwardBackward2Threads()
    {
        NormGen.NormThreads.MaxThreads = 2;
        ForwardBackward();
        NormGen.NormThreads.MaxThreads = 1;
    }

    /// <summary>
    /// The backward's first pass alone: Σdy and Σdy·(x - shift) per channel over the batch (the generated
    /// <c>GradientSumsBlock</c> over every block, in the order a single thread runs them), without the per-channel
    /// arithmetic after it.
    /// </summary>
    [Benchmark]
    public void GradientSums()
    {
        PlanBlocks(Batch);
        for (int b = 0; b < _blocks; b++)
        {
            int start = b * _blockSamples;
            RunGradientSumsBlock(start, Math.Min(start + _blockSamples, Batch), b);
        }
    }

    /// <summary>The backward's second pass alone: dx from the coefficients of the setup's backward (<c>GradInputBlock</c>, last block first).</summary>
    [Benchmark]
    public void InputGradient()
    {
        PlanBlocks(Batch);
        for (int b = _blocks - 1; b >= 0; b--)
        {
            int start = b * _blockSamples;
            RunGradInputBlock(start, Math.Min(start + _blockSamples, Batch));
        }
    }

    /// <summary>
    /// The floor of the gradient sums: two reads (<see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>
    /// of x and dy).
    /// </summary>
    [Benchmark]
    public float TwoReads() => TensorPrimitives.Dot(X, GradOutput);

    /// <summary>
    /// The floor of the input gradient: two reads and a write
    /// (<see cref="TensorPrimitives.Add(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> of x and dy into dx).
    /// </summary>
    [Benchmark]
    public void TwoReadsOneWrite() => TensorPrimitives.Add(X, GradOutput, GradInput);

    /// <summary>
    /// A reference for the whole training forward: the reads and writes of its two passes, done by TensorPrimitives
    /// in the same order (a read-only pass over x, then y = x·a), each walking its tensors first to last.
    /// </summary>
    [Benchmark]
    public float FloorForward()
    {
        float sum = TensorPrimitives.Sum(X);
        TensorPrimitives.Multiply(X, 0.5f, Y);
        return sum;
    }

    /// <summary>
    /// A reference for the training forward+backward: <see cref="FloorForward"/>, then the backward's reads and writes
    /// (x and dy read, then x and dy read and dx written), by TensorPrimitives in that order. It touches the same four
    /// tensors in the same sequence as the generated layer's forward and backward, so it sees the same cache.
    /// </summary>
    [Benchmark]
    public float FloorForwardBackward()
    {
        float sum = FloorForward() + TensorPrimitives.Dot(X, GradOutput);
        TensorPrimitives.Add(X, GradOutput, GradInput);
        return sum;
    }

    /// <summary>Calls the layer's <c>PlanBlocks(batch)</c>, which every pass needs first.</summary>
    protected abstract void PlanBlocks(int batch);

    /// <summary>Calls the layer's <c>GradientSumsBlock(X, GradOutput, start, end, block, worker: 0)</c>.</summary>
    protected abstract void RunGradientSumsBlock(int start, int end, int block);

    /// <summary>Calls the layer's <c>GradInputBlock(X, GradOutput, GradInput, start, end)</c>.</summary>
    protected abstract void RunGradInputBlock(int start, int end);

    /// <summary>Calls the layer's <c>ComputeBatchStatistics(X, Batch)</c>.</summary>
    protected abstract void RunStatistics();

    /// <summary>Calls the layer's <c>Normalize(X, Y)</c>.</summary>
    protected abstract void RunNormalize();
}

/// <summary>Passes of BatchNorm1d(512) on (256, 512) (column kernels: planes of one element).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Passes1d256x512")]
public class Passes1d256x512 : PassBreakdown<Bn1d512>
{
    /// <inheritdoc/>
    protected override int[] Shape => [256, 512];

    /// <inheritdoc/>
    protected override void PlanBlocks(int batch) => Plan(Layer, batch);

    /// <inheritdoc/>
    protected override void RunStatistics() => Stats(Layer, X, Batch);

    /// <inheritdoc/>
    protected override void RunNormalize() => Norm(Layer, X, Y);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "PlanBlocks")]
    private static extern void Plan(Bn1d512 layer, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")]
    private static extern void Stats(Bn1d512 layer, ReadOnlySpan<float> input, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")]
    private static extern void Norm(Bn1d512 layer, ReadOnlySpan<float> input, Span<float> output);

    /// <inheritdoc/>
    protected override void RunGradientSumsBlock(int start, int end, int block) => SumsBlock(Layer, X, GradOutput, start, end, block, 0);

    /// <inheritdoc/>
    protected override void RunGradInputBlock(int start, int end) => InputBlock(Layer, X, GradOutput, GradInput, start, end);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GradientSumsBlock")]
    private static extern void SumsBlock(Bn1d512 layer, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, int start, int end, int block, int worker);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GradInputBlock")]
    private static extern void InputBlock(Bn1d512 layer, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int start, int end);
}

/// <summary>Passes of BatchNorm1d(128) on (64, 128, 256).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Passes1d64x128x256")]
public class Passes1d64x128x256 : PassBreakdown<Bn1d128x256>
{
    /// <inheritdoc/>
    protected override int[] Shape => [64, 128, 256];

    /// <inheritdoc/>
    protected override void PlanBlocks(int batch) => Plan(Layer, batch);

    /// <inheritdoc/>
    protected override void RunStatistics() => Stats(Layer, X, Batch);

    /// <inheritdoc/>
    protected override void RunNormalize() => Norm(Layer, X, Y);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "PlanBlocks")]
    private static extern void Plan(Bn1d128x256 layer, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")]
    private static extern void Stats(Bn1d128x256 layer, ReadOnlySpan<float> input, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")]
    private static extern void Norm(Bn1d128x256 layer, ReadOnlySpan<float> input, Span<float> output);

    /// <inheritdoc/>
    protected override void RunGradientSumsBlock(int start, int end, int block) => SumsBlock(Layer, X, GradOutput, start, end, block, 0);

    /// <inheritdoc/>
    protected override void RunGradInputBlock(int start, int end) => InputBlock(Layer, X, GradOutput, GradInput, start, end);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GradientSumsBlock")]
    private static extern void SumsBlock(Bn1d128x256 layer, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, int start, int end, int block, int worker);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GradInputBlock")]
    private static extern void InputBlock(Bn1d128x256 layer, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int start, int end);
}

/// <summary>Passes of BatchNorm2d(64) on (32, 64, 32, 32).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Passes2d32x64x32x32")]
public class Passes2d32x64x32x32 : PassBreakdown<Bn2d64x32x32>
{
    /// <inheritdoc/>
    protected override int[] Shape => [32, 64, 32, 32];

    /// <inheritdoc/>
    protected override void PlanBlocks(int batch) => Plan(Layer, batch);

    /// <inheritdoc/>
    protected override void RunStatistics() => Stats(Layer, X, Batch);

    /// <inheritdoc/>
    protected override void RunNormalize() => Norm(Layer, X, Y);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "PlanBlocks")]
    private static extern void Plan(Bn2d64x32x32 layer, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")]
    private static extern void Stats(Bn2d64x32x32 layer, ReadOnlySpan<float> input, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")]
    private static extern void Norm(Bn2d64x32x32 layer, ReadOnlySpan<float> input, Span<float> output);

    /// <inheritdoc/>
    protected override void RunGradientSumsBlock(int start, int end, int block) => SumsBlock(Layer, X, GradOutput, start, end, block, 0);

    /// <inheritdoc/>
    protected override void RunGradInputBlock(int start, int end) => InputBlock(Layer, X, GradOutput, GradInput, start, end);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GradientSumsBlock")]
    private static extern void SumsBlock(Bn2d64x32x32 layer, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, int start, int end, int block, int worker);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GradInputBlock")]
    private static extern void InputBlock(Bn2d64x32x32 layer, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int start, int end);
}

/// <summary>Passes of BatchNorm2d(256) on (64, 256, 14, 14).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Passes2d64x256x14x14")]
public class Passes2d64x256x14x14 : PassBreakdown<Bn2d256x14x14>
{
    /// <inheritdoc/>
    protected override int[] Shape => [64, 256, 14, 14];

    /// <inheritdoc/>
    protected override void PlanBlocks(int batch) => Plan(Layer, batch);

    /// <inheritdoc/>
    protected override void RunStatistics() => Stats(Layer, X, Batch);

    /// <inheritdoc/>
    protected override void RunNormalize() => Norm(Layer, X, Y);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "PlanBlocks")]
    private static extern void Plan(Bn2d256x14x14 layer, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")]
    private static extern void Stats(Bn2d256x14x14 layer, ReadOnlySpan<float> input, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")]
    private static extern void Norm(Bn2d256x14x14 layer, ReadOnlySpan<float> input, Span<float> output);

    /// <inheritdoc/>
    protected override void RunGradientSumsBlock(int start, int end, int block) => SumsBlock(Layer, X, GradOutput, start, end, block, 0);

    /// <inheritdoc/>
    protected override void RunGradInputBlock(int start, int end) => InputBlock(Layer, X, GradOutput, GradInput, start, end);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GradientSumsBlock")]
    private static extern void SumsBlock(Bn2d256x14x14 layer, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, int start, int end, int block, int worker);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GradInputBlock")]
    private static extern void InputBlock(Bn2d256x14x14 layer, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int start, int end);
}

/// <summary>Passes of BatchNorm2d(32) on (8, 32, 112, 112).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Passes2d8x32x112x112")]
public class Passes2d8x32x112x112 : PassBreakdown<Bn2d32x112x112>
{
    /// <inheritdoc/>
    protected override int[] Shape => [8, 32, 112, 112];

    /// <inheritdoc/>
    protected override void PlanBlocks(int batch) => Plan(Layer, batch);

    /// <inheritdoc/>
    protected override void RunStatistics() => Stats(Layer, X, Batch);

    /// <inheritdoc/>
    protected override void RunNormalize() => Norm(Layer, X, Y);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "PlanBlocks")]
    private static extern void Plan(Bn2d32x112x112 layer, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")]
    private static extern void Stats(Bn2d32x112x112 layer, ReadOnlySpan<float> input, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")]
    private static extern void Norm(Bn2d32x112x112 layer, ReadOnlySpan<float> input, Span<float> output);

    /// <inheritdoc/>
    protected override void RunGradientSumsBlock(int start, int end, int block) => SumsBlock(Layer, X, GradOutput, start, end, block, 0);

    /// <inheritdoc/>
    protected override void RunGradInputBlock(int start, int end) => InputBlock(Layer, X, GradOutput, GradInput, start, end);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GradientSumsBlock")]
    private static extern void SumsBlock(Bn2d32x112x112 layer, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, int start, int end, int block, int worker);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GradInputBlock")]
    private static extern void InputBlock(Bn2d32x112x112 layer, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int start, int end);
}

/// <summary>Passes of BatchNorm2d(512) on (128, 512, 7, 7) (small planes).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Passes2d128x512x7x7")]
public class Passes2d128x512x7x7 : PassBreakdown<Bn2d512x7x7>
{
    /// <inheritdoc/>
    protected override int[] Shape => [128, 512, 7, 7];

    /// <inheritdoc/>
    protected override void PlanBlocks(int batch) => Plan(Layer, batch);

    /// <inheritdoc/>
    protected override void RunStatistics() => Stats(Layer, X, Batch);

    /// <inheritdoc/>
    protected override void RunNormalize() => Norm(Layer, X, Y);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "PlanBlocks")]
    private static extern void Plan(Bn2d512x7x7 layer, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")]
    private static extern void Stats(Bn2d512x7x7 layer, ReadOnlySpan<float> input, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")]
    private static extern void Norm(Bn2d512x7x7 layer, ReadOnlySpan<float> input, Span<float> output);

    /// <inheritdoc/>
    protected override void RunGradientSumsBlock(int start, int end, int block) => SumsBlock(Layer, X, GradOutput, start, end, block, 0);

    /// <inheritdoc/>
    protected override void RunGradInputBlock(int start, int end) => InputBlock(Layer, X, GradOutput, GradInput, start, end);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GradientSumsBlock")]
    private static extern void SumsBlock(Bn2d512x7x7 layer, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, int start, int end, int block, int worker);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GradInputBlock")]
    private static extern void InputBlock(Bn2d512x7x7 layer, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int start, int end);
}
