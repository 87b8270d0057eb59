using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace NormBench;

/// <summary>
/// Where the time of a generated BatchNorm training forward goes: the same private methods the generated
/// <c>Forward</c> calls, reached with <see cref="UnsafeAccessorAttribute"/> (no copy of generated code, no reflection in
/// the timed path). <see cref="Statistics"/> is passes 1 and 2 (the float-shift sum, then the exact double deviations)
/// with the per-channel coefficients, <see cref="FirstPass"/> is pass 1 alone (the generated plane or column sum kernel
/// over the whole batch, in the layer's loop order), <see cref="Normalize"/> is pass 3. <see cref="ReadOnly"/> is a
/// read-only pass (<see cref="TensorPrimitives.Sum(ReadOnlySpan{float})"/>), the floor of any statistics pass.
/// These names are the generator's private names today: if they change, these benchmarks fail at run time
/// (MissingMethodException), never silently.
/// </summary>
/// <typeparam name="TLayer">The generated layer.</typeparam>
public abstract class PassBreakdown<TLayer>
    where TLayer : class, INormLayer, new()
{
    /// <summary>Input.</summary>
    protected float[] X { get; private set; } = null!;

    /// <summary>Output.</summary>
    protected float[] Y { get; private set; } = null!;

    /// <summary>Scratch of per-element double sums (the column kernels' accumulators).</summary>
    protected double[] Columns { get; private set; } = null!;

    /// <summary>The layer, in training mode.</summary>
    protected TLayer Layer { get; private set; } = null!;

    /// <summary>Batch size N.</summary>
    protected int Batch => Shape[0];

    /// <summary>Full input shape, batch first.</summary>
    protected abstract int[] Shape { get; }

    /// <summary>Allocates the data and runs one training forward, so the coefficients exist.</summary>
    [GlobalSetup]
    public void Setup()
    {
        int length = 1;
        foreach (int d in Shape)
        {
            length *= d;
        }

        X = BenchData.Create(length, seed: length);
        Y = new float[length];
        Columns = new double[length / Shape[0]];
        Layer = new TLayer();
        Layer.SetTraining(true);
        Layer.Forward(X, Y);
    }

    /// <summary>The baseline: a copy of the same tensor.</summary>
    [Benchmark(Baseline = true)]
    public void Copy() => X.AsSpan().CopyTo(Y);

    /// <summary>A read-only pass over the tensor.</summary>
    [Benchmark]
    public float ReadOnly() => TensorPrimitives.Sum(X);

    /// <summary>Passes 1 and 2 and the coefficients (the generated <c>ComputeBatchStatistics</c>).</summary>
    [Benchmark]
    public void Statistics() => RunStatistics();

    /// <summary>Pass 1 alone: the generated sum kernel over the batch, in the layer's order.</summary>
    [Benchmark]
    public double FirstPass() => RunFirstPass();

    /// <summary>Pass 3: the generated <c>Normalize</c>.</summary>
    [Benchmark]
    public void Normalize() => RunNormalize();

    /// <summary>Calls the layer's <c>ComputeBatchStatistics(X, Batch)</c>.</summary>
    protected abstract void RunStatistics();

    /// <summary>Calls the layer's sum kernel over every plane (or sample, for columns).</summary>
    protected abstract double RunFirstPass();

    /// <summary>Calls the layer's <c>Normalize(X, Y, Batch)</c>.</summary>
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
    protected override void RunStatistics() => Stats(Layer, X, Batch);

    /// <inheritdoc/>
    protected override double RunFirstPass()
    {
        ref float x = ref MemoryMarshal.GetArrayDataReference(X);
        ref double sums = ref MemoryMarshal.GetArrayDataReference(Columns);
        for (int n = 0; n < Batch; n++)
        {
            SumColumns(null, ref Unsafe.Add(ref x, n * 512), ref sums);
        }

        return Columns[0];
    }

    /// <inheritdoc/>
    protected override void RunNormalize() => Norm(Layer, X, Y, Batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")]
    private static extern void Stats(Bn1d512 layer, ReadOnlySpan<float> input, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")]
    private static extern void Norm(Bn1d512 layer, ReadOnlySpan<float> input, Span<float> output, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "SumColumns")]
    private static extern void SumColumns(Bn1d512? layer, ref float x, ref double sum);
}

/// <summary>Passes of BatchNorm1d(128) on (64, 128, 256).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Passes1d64x128x256")]
public class Passes1d64x128x256 : PassBreakdown<Bn1d128x256>
{
    /// <inheritdoc/>
    protected override int[] Shape => [64, 128, 256];

    /// <inheritdoc/>
    protected override void RunStatistics() => Stats(Layer, X, Batch);

    /// <inheritdoc/>
    protected override double RunFirstPass()
    {
        // The generated first pass's loop: sample outer, channel inner, one plane per call.
        ref float x = ref MemoryMarshal.GetArrayDataReference(X);
        double total = 0;
        for (int n = 0; n < Batch; n++)
        {
            for (int c = 0; c < 128; c++)
            {
                SumPlane(null, ref Unsafe.Add(ref x, ((n * 128) + c) * 256), out double sum);
                total += sum;
            }
        }

        return total;
    }

    /// <inheritdoc/>
    protected override void RunNormalize() => Norm(Layer, X, Y, Batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")]
    private static extern void Stats(Bn1d128x256 layer, ReadOnlySpan<float> input, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")]
    private static extern void Norm(Bn1d128x256 layer, ReadOnlySpan<float> input, Span<float> output, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "SumPlane")]
    private static extern void SumPlane(Bn1d128x256? layer, ref float p, out double sum);
}

/// <summary>Passes of BatchNorm2d(64) on (32, 64, 32, 32).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Passes2d32x64x32x32")]
public class Passes2d32x64x32x32 : PassBreakdown<Bn2d64x32x32>
{
    /// <inheritdoc/>
    protected override int[] Shape => [32, 64, 32, 32];

    /// <inheritdoc/>
    protected override void RunStatistics() => Stats(Layer, X, Batch);

    /// <inheritdoc/>
    protected override double RunFirstPass()
    {
        // The generated first pass's loop: sample outer, channel inner, one plane per call.
        ref float x = ref MemoryMarshal.GetArrayDataReference(X);
        double total = 0;
        for (int n = 0; n < Batch; n++)
        {
            for (int c = 0; c < 64; c++)
            {
                SumPlane(null, ref Unsafe.Add(ref x, ((n * 64) + c) * 1024), out double sum);
                total += sum;
            }
        }

        return total;
    }

    /// <inheritdoc/>
    protected override void RunNormalize() => Norm(Layer, X, Y, Batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")]
    private static extern void Stats(Bn2d64x32x32 layer, ReadOnlySpan<float> input, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")]
    private static extern void Norm(Bn2d64x32x32 layer, ReadOnlySpan<float> input, Span<float> output, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "SumPlane")]
    private static extern void SumPlane(Bn2d64x32x32? layer, ref float p, out double sum);
}

/// <summary>Passes of BatchNorm2d(256) on (64, 256, 14, 14).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Passes2d64x256x14x14")]
public class Passes2d64x256x14x14 : PassBreakdown<Bn2d256x14x14>
{
    /// <inheritdoc/>
    protected override int[] Shape => [64, 256, 14, 14];

    /// <inheritdoc/>
    protected override void RunStatistics() => Stats(Layer, X, Batch);

    /// <inheritdoc/>
    protected override double RunFirstPass()
    {
        // The generated first pass's loop: sample outer, channel inner, one plane per call.
        ref float x = ref MemoryMarshal.GetArrayDataReference(X);
        double total = 0;
        for (int n = 0; n < Batch; n++)
        {
            for (int c = 0; c < 256; c++)
            {
                SumPlane(null, ref Unsafe.Add(ref x, ((n * 256) + c) * 196), out double sum);
                total += sum;
            }
        }

        return total;
    }

    /// <inheritdoc/>
    protected override void RunNormalize() => Norm(Layer, X, Y, Batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")]
    private static extern void Stats(Bn2d256x14x14 layer, ReadOnlySpan<float> input, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")]
    private static extern void Norm(Bn2d256x14x14 layer, ReadOnlySpan<float> input, Span<float> output, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "SumPlane")]
    private static extern void SumPlane(Bn2d256x14x14? layer, ref float p, out double sum);
}

/// <summary>Passes of BatchNorm2d(32) on (8, 32, 112, 112).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Passes2d8x32x112x112")]
public class Passes2d8x32x112x112 : PassBreakdown<Bn2d32x112x112>
{
    /// <inheritdoc/>
    protected override int[] Shape => [8, 32, 112, 112];

    /// <inheritdoc/>
    protected override void RunStatistics() => Stats(Layer, X, Batch);

    /// <inheritdoc/>
    protected override double RunFirstPass()
    {
        // The generated first pass's loop: sample outer, channel inner, one plane per call.
        ref float x = ref MemoryMarshal.GetArrayDataReference(X);
        double total = 0;
        for (int n = 0; n < Batch; n++)
        {
            for (int c = 0; c < 32; c++)
            {
                SumPlane(null, ref Unsafe.Add(ref x, ((n * 32) + c) * 12544), out double sum);
                total += sum;
            }
        }

        return total;
    }

    /// <inheritdoc/>
    protected override void RunNormalize() => Norm(Layer, X, Y, Batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")]
    private static extern void Stats(Bn2d32x112x112 layer, ReadOnlySpan<float> input, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")]
    private static extern void Norm(Bn2d32x112x112 layer, ReadOnlySpan<float> input, Span<float> output, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "SumPlane")]
    private static extern void SumPlane(Bn2d32x112x112? layer, ref float p, out double sum);
}

/// <summary>Passes of BatchNorm2d(512) on (128, 512, 7, 7).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Passes2d128x512x7x7")]
public class Passes2d128x512x7x7 : PassBreakdown<Bn2d512x7x7>
{
    /// <inheritdoc/>
    protected override int[] Shape => [128, 512, 7, 7];

    /// <inheritdoc/>
    protected override void RunStatistics() => Stats(Layer, X, Batch);

    /// <inheritdoc/>
    protected override double RunFirstPass()
    {
        // The generated first pass's loop: sample outer, channel inner, one plane per call.
        ref float x = ref MemoryMarshal.GetArrayDataReference(X);
        double total = 0;
        for (int n = 0; n < Batch; n++)
        {
            for (int c = 0; c < 512; c++)
            {
                SumPlane(null, ref Unsafe.Add(ref x, ((n * 512) + c) * 49), out double sum);
                total += sum;
            }
        }

        return total;
    }

    /// <inheritdoc/>
    protected override void RunNormalize() => Norm(Layer, X, Y, Batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ComputeBatchStatistics")]
    private static extern void Stats(Bn2d512x7x7 layer, ReadOnlySpan<float> input, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Normalize")]
    private static extern void Norm(Bn2d512x7x7 layer, ReadOnlySpan<float> input, Span<float> output, int batch);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "SumPlane")]
    private static extern void SumPlane(Bn2d512x7x7? layer, ref float p, out double sum);
}
