using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using NormGen.Runtime.Tests.Layers;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// The configuration of one layer declared in Layers.cs, written out again by hand so that the tests do
/// not depend on how the generator reads the attribute (a test checks that both agree).
/// </summary>
/// <param name="Name">Class name.</param>
/// <param name="Kind">1, 2 or 3 for BatchNorm1d/2d/3d.</param>
/// <param name="NumFeatures">C.</param>
/// <param name="Spatial">The spatial lengths ((N, C) inputs have none).</param>
public sealed record LayerSpec(
    string Name,
    int Kind,
    int NumFeatures,
    int[] Spatial,
    double Eps = 1e-5,
    double Momentum = 0.1,
    bool CumulativeAverage = false,
    bool Affine = true,
    bool TrackRunningStats = true)
{
    /// <summary>Product of the spatial lengths.</summary>
    public int PlaneSize => Spatial.Aggregate(1, (a, b) => a * b);

    /// <summary>C · plane.</summary>
    public int SampleSize => NumFeatures * PlaneSize;

    /// <summary>Full input shape for a batch of <paramref name="batch"/>.</summary>
    public nint[] Shape(int batch) => [batch, NumFeatures, .. Spatial.Select(s => (nint)s)];

    /// <summary>The shape as PyTorch prints it, e.g. <c>[1, 4, 1, 1]</c>.</summary>
    public string FormatShape(int batch) => "[" + string.Join(", ", Shape(batch)) + "]";

    /// <summary>A float64 reference in the initial state.</summary>
    public ReferenceBatchNorm CreateReference()
        => new(NumFeatures, PlaneSize, Eps, Momentum, CumulativeAverage, Affine, TrackRunningStats);
}

/// <summary>Span forward of a generated layer.</summary>
public delegate void SpanForward(ReadOnlySpan<float> input, Span<float> output);

/// <summary>Tensor-span forward of a generated layer.</summary>
public delegate void TensorSpanForward(ReadOnlyTensorSpan<float> input, TensorSpan<float> output);

/// <summary>Access to a span owned by the layer (parameter data or buffer).</summary>
public delegate Span<float> SpanAccessor();

/// <summary>A snapshot of everything a layer stores (bit patterns, so NaN compares equal to itself).</summary>
public sealed record LayerState(float[]? Weight, float[]? Bias, float[]? RunningMean, float[]? RunningVar, long? NumBatchesTracked, bool Training);

/// <summary>
/// Uniform access to the generated classes, which share no interface. Every member is bound per class in
/// <see cref="Create"/>, so a member missing from the generated code is a compile error here, and members
/// a configuration must not have are left null.
/// </summary>
public sealed class LayerHarness
{
    /// <summary>Every configuration of Layers.cs.</summary>
    public static readonly IReadOnlyDictionary<string, LayerSpec> Specs = new[]
    {
        new LayerSpec(nameof(Bn1dFlat), 1, 4, []),
        new LayerSpec(nameof(Bn1dOdd), 1, 37, []),
        new LayerSpec(nameof(Bn1dAligned), 1, 48, []),
        new LayerSpec(nameof(Bn1dAlignedSeq), 1, 8, [2]),
        new LayerSpec(nameof(Bn1dSeq), 1, 3, [5]),
        new LayerSpec(nameof(Bn1dShortSeq), 1, 70, [3]),
        new LayerSpec(nameof(Bn1dCustom), 1, 3, [5], Eps: 1e-3, Momentum: 0.3),
        new LayerSpec(nameof(Bn2d), 2, 3, [4, 5]),
        new LayerSpec(nameof(Bn2dSmall), 2, 5, [7, 7]),
        new LayerSpec(nameof(Bn2dPeriodic), 2, 16, [7, 7]),
        new LayerSpec(nameof(Bn2dPeriodicWide), 2, 8, [10, 10]),
        new LayerSpec(nameof(Bn2dPermutedPlane), 2, 8, [14, 14]),
        new LayerSpec(nameof(Bn2dPermutedPairs), 2, 4, [10, 20]),
        new LayerSpec(nameof(Bn2dSegments), 2, 20, [5, 5]),
        new LayerSpec(nameof(Bn2dSegmentsWide), 2, 18, [11, 11]),
        new LayerSpec(nameof(Bn2dSegmentsPlanes), 2, 17, [9, 15]),
        new LayerSpec(nameof(Bn2dOddPlane), 2, 8, [17, 19]),
        new LayerSpec(nameof(Bn2dUnit), 2, 4, [1, 1]),
        new LayerSpec(nameof(Bn2dNoAffine), 2, 3, [4, 5], Affine: false),
        new LayerSpec(nameof(Bn2dNoTrack), 2, 3, [4, 5], TrackRunningStats: false),
        new LayerSpec(nameof(Bn2dBare), 2, 3, [4, 5], Affine: false, TrackRunningStats: false),
        new LayerSpec(nameof(Bn2dCumulative), 2, 3, [4, 5], CumulativeAverage: true),
        new LayerSpec(nameof(Bn2dEpsZero), 2, 2, [16, 16], Eps: 0),
        new LayerSpec(nameof(Bn3d), 3, 2, [3, 4, 5]),
    }.ToDictionary(s => s.Name);

    /// <summary>All configuration names, as xUnit member data.</summary>
    public static TheoryData<string> AllNames()
    {
        var data = new TheoryData<string>();
        foreach (string name in Specs.Keys)
        {
            data.Add(name);
        }

        return data;
    }

    /// <summary>Configuration names with running statistics, as xUnit member data.</summary>
    public static TheoryData<string> TrackingNames()
    {
        var data = new TheoryData<string>();
        foreach (LayerSpec spec in Specs.Values.Where(s => s.TrackRunningStats))
        {
            data.Add(spec.Name);
        }

        return data;
    }

    /// <summary>The configuration.</summary>
    public required LayerSpec Spec { get; init; }

    /// <summary>The generated layer.</summary>
    public required object Layer { get; init; }

    /// <summary><c>Forward(ReadOnlySpan&lt;float&gt;, Span&lt;float&gt;)</c>.</summary>
    public required SpanForward Forward { get; init; }

    /// <summary><c>Forward(ReadOnlyTensorSpan&lt;float&gt;, TensorSpan&lt;float&gt;)</c>.</summary>
    public required TensorSpanForward ForwardTensorSpan { get; init; }

    /// <summary><c>Tensor&lt;float&gt; Forward(Tensor&lt;float&gt;)</c>.</summary>
    public required Func<Tensor<float>, Tensor<float>> ForwardTensor { get; init; }

    /// <summary><c>Training</c>.</summary>
    public required Func<bool> GetTraining { get; init; }

    /// <summary><c>Train(mode)</c>; returns what the layer returned.</summary>
    public required Func<bool, object> Train { get; init; }

    /// <summary><c>Eval()</c>; returns what the layer returned.</summary>
    public required Func<object> Eval { get; init; }

    /// <summary>The generated <c>const int NumFeatures</c>.</summary>
    public required int NumFeaturesConstant { get; init; }

    /// <summary>The generated <c>const int SampleSize</c>.</summary>
    public required int SampleSizeConstant { get; init; }

    /// <summary><c>Weight.DataSpan</c> when affine.</summary>
    public SpanAccessor? Weight { get; init; }

    /// <summary><c>Bias.DataSpan</c> when affine.</summary>
    public SpanAccessor? Bias { get; init; }

    /// <summary><c>RunningMean</c> as a span when tracking.</summary>
    public SpanAccessor? RunningMean { get; init; }

    /// <summary><c>RunningVar</c> as a span when tracking.</summary>
    public SpanAccessor? RunningVar { get; init; }

    /// <summary><c>NumBatchesTracked</c> when tracking.</summary>
    public Func<long>? NumBatchesTracked { get; init; }

    /// <summary>Copies the layer's whole state.</summary>
    public LayerState Capture() => new(
        Weight?.Invoke().ToArray(),
        Bias?.Invoke().ToArray(),
        RunningMean?.Invoke().ToArray(),
        RunningVar?.Invoke().ToArray(),
        NumBatchesTracked?.Invoke(),
        GetTraining());

    /// <summary>Asserts that the layer's state is bit-for-bit <paramref name="expected"/>.</summary>
    public void AssertState(LayerState expected)
    {
        LayerState actual = Capture();
        AssertBits(expected.Weight, actual.Weight, "weight");
        AssertBits(expected.Bias, actual.Bias, "bias");
        AssertBits(expected.RunningMean, actual.RunningMean, "running_mean");
        AssertBits(expected.RunningVar, actual.RunningVar, "running_var");
        Assert.Equal(expected.NumBatchesTracked, actual.NumBatchesTracked);
        Assert.Equal(expected.Training, actual.Training);
    }

    /// <summary>Copies the layer's parameters and running statistics into <paramref name="reference"/>.</summary>
    public void CopyStateTo(ReferenceBatchNorm reference)
    {
        for (int c = 0; c < Spec.NumFeatures; c++)
        {
            if (Weight is not null)
            {
                reference.Weight[c] = Weight()[c];
                reference.Bias[c] = Bias!()[c];
            }

            if (RunningMean is not null)
            {
                reference.RunningMean![c] = RunningMean()[c];
                reference.RunningVar![c] = RunningVar!()[c];
            }
        }

        if (NumBatchesTracked is not null)
        {
            reference.NumBatchesTracked = NumBatchesTracked();
        }

        reference.Training = GetTraining();
    }

    private static void AssertBits(float[]? expected, float[]? actual, string what)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is null || actual is null)
        {
            return;
        }

        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}[{i}] changed from {expected[i]:R} to {actual[i]:R}.");
            }
        }
    }

    /// <summary>A new layer of the named configuration.</summary>
    public static LayerHarness Create(string name) => name switch
    {
        nameof(Bn1dFlat) => Of(new Bn1dFlat()),
        nameof(Bn1dOdd) => Of(new Bn1dOdd()),
        nameof(Bn1dAligned) => Of(new Bn1dAligned()),
        nameof(Bn1dAlignedSeq) => Of(new Bn1dAlignedSeq()),
        nameof(Bn1dSeq) => Of(new Bn1dSeq()),
        nameof(Bn1dShortSeq) => Of(new Bn1dShortSeq()),
        nameof(Bn1dCustom) => Of(new Bn1dCustom()),
        nameof(Bn2d) => Of(new Bn2d()),
        nameof(Bn2dSmall) => Of(new Bn2dSmall()),
        nameof(Bn2dPeriodic) => Of(new Bn2dPeriodic()),
        nameof(Bn2dPeriodicWide) => Of(new Bn2dPeriodicWide()),
        nameof(Bn2dPermutedPlane) => Of(new Bn2dPermutedPlane()),
        nameof(Bn2dPermutedPairs) => Of(new Bn2dPermutedPairs()),
        nameof(Bn2dSegments) => Of(new Bn2dSegments()),
        nameof(Bn2dSegmentsWide) => Of(new Bn2dSegmentsWide()),
        nameof(Bn2dSegmentsPlanes) => Of(new Bn2dSegmentsPlanes()),
        nameof(Bn2dOddPlane) => Of(new Bn2dOddPlane()),
        nameof(Bn2dUnit) => Of(new Bn2dUnit()),
        nameof(Bn2dNoAffine) => Of(new Bn2dNoAffine()),
        nameof(Bn2dNoTrack) => Of(new Bn2dNoTrack()),
        nameof(Bn2dBare) => Of(new Bn2dBare()),
        nameof(Bn2dCumulative) => Of(new Bn2dCumulative()),
        nameof(Bn2dEpsZero) => Of(new Bn2dEpsZero()),
        nameof(Bn3d) => Of(new Bn3d()),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown layer configuration."),
    };

    // One binding per generated class. Affine + tracking classes bind every member; the others omit
    // exactly the members their configuration does not have.
    private static LayerHarness Of(Bn1dFlat l) => new()
    {
        Spec = Specs[nameof(Bn1dFlat)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn1dFlat.NumFeatures, SampleSizeConstant = Bn1dFlat.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn1dOdd l) => new()
    {
        Spec = Specs[nameof(Bn1dOdd)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn1dOdd.NumFeatures, SampleSizeConstant = Bn1dOdd.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn1dAligned l) => new()
    {
        Spec = Specs[nameof(Bn1dAligned)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn1dAligned.NumFeatures, SampleSizeConstant = Bn1dAligned.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn1dAlignedSeq l) => new()
    {
        Spec = Specs[nameof(Bn1dAlignedSeq)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn1dAlignedSeq.NumFeatures, SampleSizeConstant = Bn1dAlignedSeq.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn1dSeq l) => new()
    {
        Spec = Specs[nameof(Bn1dSeq)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn1dSeq.NumFeatures, SampleSizeConstant = Bn1dSeq.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn1dShortSeq l) => new()
    {
        Spec = Specs[nameof(Bn1dShortSeq)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn1dShortSeq.NumFeatures, SampleSizeConstant = Bn1dShortSeq.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn1dCustom l) => new()
    {
        Spec = Specs[nameof(Bn1dCustom)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn1dCustom.NumFeatures, SampleSizeConstant = Bn1dCustom.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2d l) => new()
    {
        Spec = Specs[nameof(Bn2d)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2d.NumFeatures, SampleSizeConstant = Bn2d.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2dSmall l) => new()
    {
        Spec = Specs[nameof(Bn2dSmall)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dSmall.NumFeatures, SampleSizeConstant = Bn2dSmall.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2dPeriodic l) => new()
    {
        Spec = Specs[nameof(Bn2dPeriodic)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dPeriodic.NumFeatures, SampleSizeConstant = Bn2dPeriodic.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2dPeriodicWide l) => new()
    {
        Spec = Specs[nameof(Bn2dPeriodicWide)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dPeriodicWide.NumFeatures, SampleSizeConstant = Bn2dPeriodicWide.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2dPermutedPlane l) => new()
    {
        Spec = Specs[nameof(Bn2dPermutedPlane)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dPermutedPlane.NumFeatures, SampleSizeConstant = Bn2dPermutedPlane.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2dPermutedPairs l) => new()
    {
        Spec = Specs[nameof(Bn2dPermutedPairs)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dPermutedPairs.NumFeatures, SampleSizeConstant = Bn2dPermutedPairs.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2dSegments l) => new()
    {
        Spec = Specs[nameof(Bn2dSegments)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dSegments.NumFeatures, SampleSizeConstant = Bn2dSegments.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2dSegmentsWide l) => new()
    {
        Spec = Specs[nameof(Bn2dSegmentsWide)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dSegmentsWide.NumFeatures, SampleSizeConstant = Bn2dSegmentsWide.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2dSegmentsPlanes l) => new()
    {
        Spec = Specs[nameof(Bn2dSegmentsPlanes)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dSegmentsPlanes.NumFeatures, SampleSizeConstant = Bn2dSegmentsPlanes.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2dOddPlane l) => new()
    {
        Spec = Specs[nameof(Bn2dOddPlane)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dOddPlane.NumFeatures, SampleSizeConstant = Bn2dOddPlane.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2dUnit l) => new()
    {
        Spec = Specs[nameof(Bn2dUnit)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dUnit.NumFeatures, SampleSizeConstant = Bn2dUnit.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2dNoAffine l) => new()
    {
        Spec = Specs[nameof(Bn2dNoAffine)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dNoAffine.NumFeatures, SampleSizeConstant = Bn2dNoAffine.SampleSize,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2dNoTrack l) => new()
    {
        Spec = Specs[nameof(Bn2dNoTrack)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dNoTrack.NumFeatures, SampleSizeConstant = Bn2dNoTrack.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
    };

    private static LayerHarness Of(Bn2dBare l) => new()
    {
        Spec = Specs[nameof(Bn2dBare)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dBare.NumFeatures, SampleSizeConstant = Bn2dBare.SampleSize,
    };

    private static LayerHarness Of(Bn2dCumulative l) => new()
    {
        Spec = Specs[nameof(Bn2dCumulative)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dCumulative.NumFeatures, SampleSizeConstant = Bn2dCumulative.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn2dEpsZero l) => new()
    {
        Spec = Specs[nameof(Bn2dEpsZero)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn2dEpsZero.NumFeatures, SampleSizeConstant = Bn2dEpsZero.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };

    private static LayerHarness Of(Bn3d l) => new()
    {
        Spec = Specs[nameof(Bn3d)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(),
        NumFeaturesConstant = Bn3d.NumFeatures, SampleSizeConstant = Bn3d.SampleSize,
        Weight = () => l.Weight.DataSpan, Bias = () => l.Bias.DataSpan,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked,
    };
}
