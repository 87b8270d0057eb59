using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace NormBench;

/// <summary>
/// One benchmark class per case of issue 5. Every class has the copy of the same tensor as its baseline
/// (<c>input.AsSpan().CopyTo(output)</c>: one read and one write, the physical limit of a memory-bound pass), so the
/// Ratio column of each class is "time / copy time" measured in the same run. The process runs single-threaded
/// (<see cref="NormGen.NormThreads.MaxThreads"/> = 1, as the single-thread goals require); the <c>...2Threads</c>
/// benchmarks raise the cap to 2 for their call only, so the layer decides per shape whether to use the second thread.
/// </summary>
/// <typeparam name="TLayer">The generated layer.</typeparam>
public abstract class NormCase<TLayer>
    where TLayer : class, INormLayer, new()
{
    private TLayer _train = null!;
    private TLayer _eval = null!;

    /// <summary>Input (the same data for every implementation).</summary>
    protected float[] X { get; private set; } = null!;

    /// <summary>Output (not the input's memory).</summary>
    protected float[] Y { get; private set; } = null!;

    /// <summary>Gradient of the loss with respect to the output (for the backward pass).</summary>
    protected float[] GradOutput { get; private set; } = null!;

    /// <summary>Gradient with respect to the input (written by the backward pass).</summary>
    protected float[] GradInput { get; private set; } = null!;

    /// <summary>Full input shape, batch first.</summary>
    protected abstract int[] Shape { get; }

    /// <summary>Allocates the data and the layers, and checks that every implementation computes the same output.</summary>
    [GlobalSetup]
    public void Setup()
    {
        NormGen.NormThreads.MaxThreads = 1;
        int length = 1;
        foreach (int d in Shape)
        {
            length *= d;
        }

        X = BenchData.Create(length, seed: length);
        Y = new float[length];
        GradOutput = BenchData.Create(length, seed: length + 1);
        GradInput = new float[length];
        _train = new TLayer();
        _train.SetTraining(true);
        _eval = new TLayer();
        _eval.SetTraining(false);
        SetupReferences();
        BenchData.CheckImplementationsAgree(this);
    }

    /// <summary>The baseline: a copy of the same tensor.</summary>
    [Benchmark(Baseline = true)]
    public void Copy() => X.AsSpan().CopyTo(Y);

    /// <summary>Generated layer, training forward (batch statistics and, for BatchNorm, the running-statistics update).</summary>
    [Benchmark]
    public void TrainGenerated() => _train.Forward(X, Y);

    /// <summary>Generated layer, training forward, with up to 2 threads.</summary>
    [Benchmark]
    public void TrainGenerated2Threads()
    {
        NormGen.NormThreads.MaxThreads = 2;
        _train.Forward(X, Y);
        NormGen.NormThreads.MaxThreads = 1;
    }

    /// <summary>Naive scalar implementation, training forward.</summary>
    [Benchmark]
    public void TrainNaive() => NaiveTrain(X, Y);

    /// <summary>Generated layer, training forward then backward (input gradient, and weight and bias gradients accumulated).</summary>
    [Benchmark]
    public void TrainBackwardGenerated()
    {
        _train.Forward(X, Y);
        _train.Backward(X, GradOutput, GradInput);
    }

    /// <summary>Generated layer, training forward then backward, with up to 2 threads.</summary>
    [Benchmark]
    public void TrainBackwardGenerated2Threads()
    {
        NormGen.NormThreads.MaxThreads = 2;
        _train.Forward(X, Y);
        _train.Backward(X, GradOutput, GradInput);
        NormGen.NormThreads.MaxThreads = 1;
    }

    /// <summary>Naive scalar implementation, training forward then backward.</summary>
    [Benchmark]
    public void TrainBackwardNaive()
    {
        NaiveTrain(X, Y);
        NaiveBackward(X, GradOutput, GradInput);
    }

    /// <summary>Creates the reference implementations.</summary>
    protected abstract void SetupReferences();

    /// <summary>The naive scalar training forward.</summary>
    protected abstract void NaiveTrain(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>The naive scalar backward of the last naive training forward.</summary>
    protected abstract void NaiveBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx);

    /// <summary>Outputs of fresh instances of each implementation, by name, for the agreement check.</summary>
    internal abstract (string Name, float[] Output)[] FreshOutputs();

    /// <summary>Input gradients of a fresh generated layer and a fresh naive one after one training forward each.</summary>
    internal (string Name, float[] Output)[] FreshGradients()
    {
        var layer = new TLayer();
        layer.SetTraining(true);
        float[] y = new float[X.Length];
        layer.Forward(X, y);
        float[] generated = new float[X.Length];
        layer.Backward(X, GradOutput, generated);
        float[] naive = new float[X.Length];
        FreshNaiveGradient(y, naive);
        return [("backward naive", naive), ("backward generated", generated)];
    }

    /// <summary>Runs a fresh naive layer's training forward and backward on <see cref="X"/> and <see cref="GradOutput"/>.</summary>
    protected abstract void FreshNaiveGradient(float[] output, float[] gradInput);

    /// <summary>Runs a fresh generated layer in the given mode on <see cref="X"/>.</summary>
    internal float[] FreshGenerated(bool training)
    {
        var layer = new TLayer();
        layer.SetTraining(training);
        float[] y = new float[X.Length];
        layer.Forward(X, y);
        return y;
    }

    /// <summary>The eval-mode generated layer (for the BatchNorm cases' eval benchmark).</summary>
    protected TLayer EvalLayer => _eval;
}

/// <summary>
/// BatchNorm cases: training and eval forward of the generated layer, the naive scalar code and
/// <see cref="NormGen.Dynamic.BatchNorm"/> (which has no backward pass: forward+backward is generated and naive only).
/// </summary>
/// <typeparam name="TLayer">The generated layer.</typeparam>
public abstract class BatchNormCase<TLayer> : NormCase<TLayer>
    where TLayer : class, INormLayer, new()
{
    private NaiveBatchNorm _naiveTrain = null!;
    private NaiveBatchNorm _naiveEval = null!;
    private NormGen.Dynamic.BatchNorm _dynamicTrain = null!;
    private NormGen.Dynamic.BatchNorm _dynamicEval = null!;
    private nint[] _lengths = null!;

    /// <summary>Generated layer, eval forward (running statistics: one fused pass).</summary>
    [Benchmark]
    public void EvalGenerated() => EvalLayer.Forward(X, Y);

    /// <summary>Generated layer, eval forward, with up to 2 threads.</summary>
    [Benchmark]
    public void EvalGenerated2Threads()
    {
        NormGen.NormThreads.MaxThreads = 2;
        EvalLayer.Forward(X, Y);
        NormGen.NormThreads.MaxThreads = 1;
    }

    /// <summary>Naive scalar implementation, eval forward.</summary>
    [Benchmark]
    public void EvalNaive() => _naiveEval.ForwardEval(X, Y);

    /// <summary>The runtime's non-specialized path (<see cref="NormGen.Dynamic.BatchNorm"/>), training forward.</summary>
    [Benchmark]
    public void TrainDynamic() => _dynamicTrain.Forward(new ReadOnlyTensorSpan<float>(X, _lengths), new TensorSpan<float>(Y, _lengths));

    /// <summary>The runtime's non-specialized path, eval forward.</summary>
    [Benchmark]
    public void EvalDynamic() => _dynamicEval.Forward(new ReadOnlyTensorSpan<float>(X, _lengths), new TensorSpan<float>(Y, _lengths));

    private int Channels => Shape[1];

    private int Plane
    {
        get
        {
            int plane = 1;
            for (int i = 2; i < Shape.Length; i++)
            {
                plane *= Shape[i];
            }

            return plane;
        }
    }

    /// <inheritdoc/>
    protected override void SetupReferences()
    {
        _naiveTrain = new NaiveBatchNorm(Channels, Plane);
        _naiveEval = new NaiveBatchNorm(Channels, Plane);
        _dynamicTrain = new NormGen.Dynamic.BatchNorm(Channels);
        _dynamicEval = new NormGen.Dynamic.BatchNorm(Channels).Eval();
        _lengths = Array.ConvertAll(Shape, d => (nint)d);
    }

    /// <inheritdoc/>
    protected override void NaiveTrain(ReadOnlySpan<float> x, Span<float> y) => _naiveTrain.ForwardTrain(x, y);

    /// <inheritdoc/>
    protected override void NaiveBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) => _naiveTrain.Backward(x, dy, dx);

    /// <inheritdoc/>
    protected override void FreshNaiveGradient(float[] output, float[] gradInput)
    {
        var naive = new NaiveBatchNorm(Channels, Plane);
        naive.ForwardTrain(X, output);
        naive.Backward(X, GradOutput, gradInput);
    }

    /// <inheritdoc/>
    internal override (string Name, float[] Output)[] FreshOutputs()
    {
        float[] naiveTrain = new float[X.Length];
        new NaiveBatchNorm(Channels, Plane).ForwardTrain(X, naiveTrain);
        float[] naiveEval = new float[X.Length];
        new NaiveBatchNorm(Channels, Plane).ForwardEval(X, naiveEval);
        float[] dynamicTrain = new float[X.Length];
        new NormGen.Dynamic.BatchNorm(Channels).Forward(new ReadOnlyTensorSpan<float>(X, _lengths), new TensorSpan<float>(dynamicTrain, _lengths));
        float[] dynamicEval = new float[X.Length];
        new NormGen.Dynamic.BatchNorm(Channels).Eval().Forward(new ReadOnlyTensorSpan<float>(X, _lengths), new TensorSpan<float>(dynamicEval, _lengths));
        return
        [
            ("train naive", naiveTrain),
            ("train generated", FreshGenerated(true)),
            ("train dynamic", dynamicTrain),
            ("eval naive", naiveEval),
            ("eval generated", FreshGenerated(false)),
            ("eval dynamic", dynamicEval),
        ];
    }
}

/// <summary>
/// LayerNorm and GroupNorm: no running statistics, so training and eval forward are the same computation (measured
/// once, as the training forward). The runtime has no non-specialized path for them.
/// </summary>
/// <typeparam name="TLayer">The generated layer.</typeparam>
public abstract class SampleNormCase<TLayer> : NormCase<TLayer>
    where TLayer : class, INormLayer, new()
{
    /// <inheritdoc/>
    internal override (string Name, float[] Output)[] FreshOutputs()
    {
        float[] naive = new float[X.Length];
        NaiveTrain(X, naive);
        return [("naive", naive), ("generated", FreshGenerated(true)), ("generated (eval mode)", FreshGenerated(false))];
    }
}

/// <summary>BatchNorm1d(512) on (256, 512).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("BatchNorm1d256x512")]
public class BatchNorm1d256x512 : BatchNormCase<Bn1d512>
{
    /// <inheritdoc/>
    protected override int[] Shape => [256, 512];
}

/// <summary>BatchNorm1d(128) on (64, 128, 256).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("BatchNorm1d64x128x256")]
public class BatchNorm1d64x128x256 : BatchNormCase<Bn1d128x256>
{
    /// <inheritdoc/>
    protected override int[] Shape => [64, 128, 256];
}

/// <summary>BatchNorm2d(64) on (32, 64, 32, 32).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("BatchNorm2d32x64x32x32")]
public class BatchNorm2d32x64x32x32 : BatchNormCase<Bn2d64x32x32>
{
    /// <inheritdoc/>
    protected override int[] Shape => [32, 64, 32, 32];
}

/// <summary>BatchNorm2d(256) on (64, 256, 14, 14).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("BatchNorm2d64x256x14x14")]
public class BatchNorm2d64x256x14x14 : BatchNormCase<Bn2d256x14x14>
{
    /// <inheritdoc/>
    protected override int[] Shape => [64, 256, 14, 14];
}

/// <summary>BatchNorm2d(32) on (8, 32, 112, 112).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("BatchNorm2d8x32x112x112")]
public class BatchNorm2d8x32x112x112 : BatchNormCase<Bn2d32x112x112>
{
    /// <inheritdoc/>
    protected override int[] Shape => [8, 32, 112, 112];
}

/// <summary>BatchNorm2d(512) on (128, 512, 7, 7).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("BatchNorm2d128x512x7x7")]
public class BatchNorm2d128x512x7x7 : BatchNormCase<Bn2d512x7x7>
{
    /// <inheritdoc/>
    protected override int[] Shape => [128, 512, 7, 7];
}

/// <summary>LayerNorm(768) over 8192 rows.</summary>
[MemoryDiagnoser]
[BenchmarkCategory("LayerNorm8192x768")]
public class LayerNorm8192x768 : SampleNormCase<Ln768>
{
    private NaiveLayerNorm _naive = null!;

    /// <inheritdoc/>
    protected override int[] Shape => [8192, 768];

    /// <inheritdoc/>
    protected override void SetupReferences() => _naive = new NaiveLayerNorm(768);

    /// <inheritdoc/>
    protected override void NaiveTrain(ReadOnlySpan<float> x, Span<float> y) => _naive.Forward(x, y);

    /// <inheritdoc/>
    protected override void NaiveBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) => _naive.Backward(x, dy, dx);

    /// <inheritdoc/>
    protected override void FreshNaiveGradient(float[] output, float[] gradInput)
    {
        var naive = new NaiveLayerNorm(768);
        naive.Forward(X, output);
        naive.Backward(X, GradOutput, gradInput);
    }
}

/// <summary>GroupNorm(32, 256) on (32, 256, 14, 14).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("GroupNorm32x256x14x14")]
public class GroupNorm32x256x14x14 : SampleNormCase<Gn32x256x14x14>
{
    private NaiveGroupNorm _naive = null!;

    /// <inheritdoc/>
    protected override int[] Shape => [32, 256, 14, 14];

    /// <inheritdoc/>
    protected override void SetupReferences() => _naive = new NaiveGroupNorm(32, 256, 14 * 14);

    /// <inheritdoc/>
    protected override void NaiveTrain(ReadOnlySpan<float> x, Span<float> y) => _naive.Forward(x, y);

    /// <inheritdoc/>
    protected override void NaiveBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) => _naive.Backward(x, dy, dx);

    /// <inheritdoc/>
    protected override void FreshNaiveGradient(float[] output, float[] gradInput)
    {
        var naive = new NaiveGroupNorm(32, 256, 14 * 14);
        naive.Forward(X, output);
        naive.Backward(X, GradOutput, gradInput);
    }
}
