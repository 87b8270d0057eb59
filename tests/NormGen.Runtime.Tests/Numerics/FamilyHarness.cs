using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using NormGen.Runtime.Tests.Layers;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>The family layers other than BatchNorm.</summary>
public enum FamilyKind
{
    /// <summary>LayerNorm: statistics per row over the normalized shape; elementwise affine.</summary>
    LayerNorm,

    /// <summary>RMSNorm: mean square per row; elementwise weight.</summary>
    RmsNorm,

    /// <summary>GroupNorm: statistics per (sample, group); per-channel affine.</summary>
    GroupNorm,

    /// <summary>InstanceNorm1d/2d/3d: statistics per (sample, channel); per-channel affine; optional running statistics.</summary>
    InstanceNorm,

    /// <summary>LocalResponseNorm: a window over neighbouring channels.</summary>
    LocalResponseNorm,
}

/// <summary>
/// The configuration of one layer of FamilyLayers.cs, written out again by hand so that the tests do not depend on
/// how the generator reads the attribute (a test checks that both agree).
/// </summary>
/// <param name="Name">Class name.</param>
/// <param name="Kind">Layer kind.</param>
/// <param name="SampleShape">LayerNorm/RMSNorm: the normalized shape; the others: (C, spatial...).</param>
/// <param name="Eps">eps (unused by LocalResponseNorm).</param>
/// <param name="Affine">Whether there is a weight (LayerNorm/RMSNorm elementwise_affine, GroupNorm/InstanceNorm affine).</param>
/// <param name="HasBias">Whether there is a bias.</param>
/// <param name="Groups">GroupNorm's num_groups.</param>
/// <param name="TrackRunningStats">InstanceNorm's track_running_stats.</param>
/// <param name="Momentum">InstanceNorm's momentum.</param>
/// <param name="InstanceDims">1, 2 or 3 for InstanceNorm1d/2d/3d.</param>
/// <param name="Size">LocalResponseNorm's size.</param>
/// <param name="Alpha">LocalResponseNorm's alpha.</param>
/// <param name="Beta">LocalResponseNorm's beta.</param>
/// <param name="K">LocalResponseNorm's k.</param>
public sealed record FamilySpec(
    string Name,
    FamilyKind Kind,
    int[] SampleShape,
    double Eps = 1e-5,
    bool Affine = false,
    bool HasBias = false,
    int Groups = 0,
    bool TrackRunningStats = false,
    double Momentum = 0.1,
    int InstanceDims = 0,
    int Size = 0,
    double Alpha = 1e-4,
    double Beta = 0.75,
    double K = 1.0)
{
    /// <summary>LayerNorm and RMSNorm: rows of the normalized shape, any leading dimensions.</summary>
    public bool IsRowwise => Kind is FamilyKind.LayerNorm or FamilyKind.RmsNorm;

    /// <summary>Elements of one sample (one row for LayerNorm/RMSNorm).</summary>
    public int SampleSize => SampleShape.Aggregate(1, (a, b) => a * b);

    /// <summary>C (1 for the row-wise layers, whose statistics do not depend on channels).</summary>
    public int Channels => IsRowwise ? 1 : SampleShape[0];

    /// <summary>Product of the spatial lengths (the row for LayerNorm/RMSNorm).</summary>
    public int PlaneSize => SampleSize / Channels;

    /// <summary>Length of weight and bias: the normalized shape's size, or C.</summary>
    public int ParameterLength => IsRowwise ? SampleSize : Channels;

    /// <summary>The shape of weight and bias, as PyTorch has it.</summary>
    public nint[] ParameterShape => IsRowwise ? SampleShape.Select(d => (nint)d).ToArray() : [Channels];

    /// <summary>Contiguous elements over which one set of statistics is taken.</summary>
    public int SlotLength => Kind switch
    {
        FamilyKind.LayerNorm or FamilyKind.RmsNorm => SampleSize,
        FamilyKind.GroupNorm => SampleSize / Groups,
        _ => PlaneSize,
    };

    /// <summary>Full input shape for <paramref name="batch"/> samples (rows).</summary>
    public nint[] Shape(int batch) => [batch, .. SampleShape.Select(s => (nint)s)];

    /// <summary>The shape as PyTorch prints it, e.g. <c>[2, 3, 1, 1]</c>.</summary>
    public string FormatShape(int batch) => "[" + string.Join(", ", Shape(batch)) + "]";

    /// <summary>Position of a flat index, for failure messages.</summary>
    public string Describe(int index) => IsRowwise
        ? $"(row {index / SampleSize}, element {index % SampleSize})"
        : $"(n={index / SampleSize}, c={index % SampleSize / PlaneSize}, p={index % PlaneSize})";

    /// <summary>Index of element (n, c, p) of a contiguous (N, C, plane) input.</summary>
    public int Index(int n, int c, int p) => (n * Channels + c) * PlaneSize + p;
}

/// <summary>
/// Uniform access to the generated family classes, which share no interface. Every member is bound per class in
/// <see cref="Create"/>, so a missing generated member is a compile error here; members a configuration must not have
/// are left null.
/// </summary>
public sealed class FamilyHarness
{
    /// <summary>Every configuration of FamilyLayers.cs.</summary>
    public static readonly IReadOnlyDictionary<string, FamilySpec> Specs = new[]
    {
        new FamilySpec(nameof(Ln768), FamilyKind.LayerNorm, [768], Affine: true, HasBias: true),
        new FamilySpec(nameof(Ln44), FamilyKind.LayerNorm, [44], Affine: true, HasBias: true),
        new FamilySpec(nameof(Ln5), FamilyKind.LayerNorm, [5], Affine: true, HasBias: true),
        new FamilySpec(nameof(Ln4x6NoBias), FamilyKind.LayerNorm, [4, 6], Affine: true),
        new FamilySpec(nameof(Ln37NoAffine), FamilyKind.LayerNorm, [37]),
        new FamilySpec(nameof(Gn2d), FamilyKind.GroupNorm, [8, 5, 5], Groups: 4, Affine: true, HasBias: true),
        new FamilySpec(nameof(GnSlots), FamilyKind.GroupNorm, [16, 6, 3], Groups: 2, Affine: true, HasBias: true),
        new FamilySpec(nameof(GnSlotsAligned), FamilyKind.GroupNorm, [4, 4, 8], Groups: 2, Affine: true, HasBias: true),
        new FamilySpec(nameof(GnFlat), FamilyKind.GroupNorm, [6], Groups: 2, Affine: true, HasBias: true),
        new FamilySpec(nameof(Gn1dNoAffine), FamilyKind.GroupNorm, [6, 7], Groups: 3),
        new FamilySpec(nameof(GnUnit), FamilyKind.GroupNorm, [4], Groups: 4, Affine: true, HasBias: true),
        new FamilySpec(nameof(In1d), FamilyKind.InstanceNorm, [3, 10], InstanceDims: 1),
        new FamilySpec(nameof(In2dAffine), FamilyKind.InstanceNorm, [4, 5, 6], InstanceDims: 2, Affine: true, HasBias: true),
        new FamilySpec(nameof(In2dTrack), FamilyKind.InstanceNorm, [3, 4, 5], InstanceDims: 2, TrackRunningStats: true),
        new FamilySpec(nameof(In3d), FamilyKind.InstanceNorm, [2, 3, 4, 5], InstanceDims: 3, Affine: true, HasBias: true, TrackRunningStats: true, Momentum: 0.2),
        new FamilySpec(nameof(InUnit), FamilyKind.InstanceNorm, [3, 1, 1], InstanceDims: 2, TrackRunningStats: true),
        new FamilySpec(nameof(Rms64), FamilyKind.RmsNorm, [64], Eps: 1.1920928955078125e-07, Affine: true),
        new FamilySpec(nameof(Rms3x5NoAffine), FamilyKind.RmsNorm, [3, 5], Eps: 1e-6),
        new FamilySpec(nameof(Lrn), FamilyKind.LocalResponseNorm, [8, 3, 4], Size: 5),
        new FamilySpec(nameof(LrnEven), FamilyKind.LocalResponseNorm, [3, 4], Size: 2, Alpha: 1e-2, Beta: 0.5, K: 2),
    }.ToDictionary(s => s.Name);

    /// <summary>All configuration names, as xUnit member data.</summary>
    public static TheoryData<string> AllNames() => new(Specs.Keys);

    /// <summary>Names of the configurations that satisfy <paramref name="predicate"/>.</summary>
    public static TheoryData<string> Names(Func<FamilySpec, bool> predicate) => new(Specs.Values.Where(predicate).Select(s => s.Name));

    /// <summary>Configurations that normalize with batch/instance statistics for a batch of 2 in training (all but InUnit).</summary>
    public static TheoryData<string> TrainableNames() => Names(s => !(s.Kind == FamilyKind.InstanceNorm && s.PlaneSize == 1));

    /// <summary>InstanceNorm configurations with running statistics.</summary>
    public static TheoryData<string> TrackingNames() => Names(s => s.TrackRunningStats);

    /// <summary>The configuration.</summary>
    public required FamilySpec Spec { get; init; }

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

    /// <summary>The generated <c>const int SampleSize</c>.</summary>
    public required int SampleSizeConstant { get; init; }

    /// <summary><c>NamedParameters()</c>.</summary>
    public required Func<NamedParameters> NamedParameters { get; init; }

    /// <summary><c>NamedBuffers()</c>.</summary>
    public required Func<NamedBuffers> NamedBuffers { get; init; }

    /// <summary><c>ResetParameters()</c>.</summary>
    public required Action ResetParameters { get; init; }

    /// <summary><c>Weight</c> when the layer has one.</summary>
    public Func<Parameter>? WeightParameter { get; init; }

    /// <summary><c>Bias</c> when the layer has one.</summary>
    public Func<Parameter>? BiasParameter { get; init; }

    /// <summary><c>RunningMean</c> as a span when tracking.</summary>
    public SpanAccessor? RunningMean { get; init; }

    /// <summary><c>RunningVar</c> as a span when tracking.</summary>
    public SpanAccessor? RunningVar { get; init; }

    /// <summary><c>NumBatchesTracked</c> when tracking.</summary>
    public Func<long>? NumBatchesTracked { get; init; }

    /// <summary><c>ResetRunningStats()</c> when tracking.</summary>
    public Action? ResetRunningStats { get; init; }

    /// <summary><c>Weight.DataSpan</c>, or null.</summary>
    public SpanAccessor? Weight => WeightParameter is null ? null : () => WeightParameter().DataSpan;

    /// <summary><c>Bias.DataSpan</c>, or null.</summary>
    public SpanAccessor? Bias => BiasParameter is null ? null : () => BiasParameter().DataSpan;

    /// <summary>Copies the layer's whole state.</summary>
    public LayerState Capture() => new(
        Weight?.Invoke().ToArray(),
        Bias?.Invoke().ToArray(),
        RunningMean?.Invoke().ToArray(),
        RunningVar?.Invoke().ToArray(),
        NumBatchesTracked?.Invoke(),
        GetTraining());

    /// <summary>Asserts that the layer's state is bit-for-bit <paramref name="expected"/>.</summary>
    public void AssertState(LayerState expected, string context = "")
    {
        LayerState actual = Capture();
        AssertBits(expected.Weight, actual.Weight, context + " weight");
        AssertBits(expected.Bias, actual.Bias, context + " bias");
        AssertBits(expected.RunningMean, actual.RunningMean, context + " running_mean");
        AssertBits(expected.RunningVar, actual.RunningVar, context + " running_var");
        Assert.Equal(expected.NumBatchesTracked, actual.NumBatchesTracked);
        Assert.Equal(expected.Training, actual.Training);
    }

    /// <summary>The layer's weight as doubles (null without).</summary>
    public double[]? WeightValues() => Weight?.Invoke().ToArray().Select(v => (double)v).ToArray();

    /// <summary>The layer's bias as doubles (null without).</summary>
    public double[]? BiasValues() => Bias?.Invoke().ToArray().Select(v => (double)v).ToArray();

    /// <summary>An InstanceNorm reference holding this layer's current parameters, running statistics and mode.</summary>
    public ReferenceInstanceNorm CreateInstanceReference()
    {
        Assert.Equal(FamilyKind.InstanceNorm, Spec.Kind);
        var reference = new ReferenceInstanceNorm(Spec.Channels, Spec.PlaneSize, Spec.Eps, Spec.Momentum, Spec.Affine, Spec.TrackRunningStats);
        for (int c = 0; c < Spec.Channels; c++)
        {
            if (Weight is not null)
            {
                reference.Weight![c] = Weight()[c];
                reference.Bias![c] = Bias!()[c];
            }

            if (RunningMean is not null)
            {
                reference.RunningMean![c] = RunningMean()[c];
                reference.RunningVar![c] = RunningVar!()[c];
            }
        }

        reference.Training = GetTraining();
        return reference;
    }

    /// <summary>
    /// The reference output of a stateless layer (all kinds but InstanceNorm) with the layer's current parameters.
    /// </summary>
    public ReferenceFamily.Result StatelessReference(ReadOnlySpan<float> x)
    {
        FamilySpec s = Spec;
        return s.Kind switch
        {
            FamilyKind.LayerNorm => ReferenceFamily.LayerNorm(x, s.SampleSize, s.Eps, WeightValues(), BiasValues()),
            FamilyKind.RmsNorm => ReferenceFamily.RmsNorm(x, s.SampleSize, s.Eps, WeightValues()),
            FamilyKind.GroupNorm => ReferenceFamily.GroupNorm(x, s.Channels, s.Groups, s.PlaneSize, s.Eps, WeightValues(), BiasValues()),
            FamilyKind.LocalResponseNorm => ReferenceFamily.LocalResponseNorm(x, s.Channels, s.PlaneSize, s.Size, s.Alpha, s.Beta, s.K),
            _ => throw new InvalidOperationException($"{s.Name} has state: use {nameof(CreateInstanceReference)}."),
        };
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
    public static FamilyHarness Create(string name) => name switch
    {
        nameof(Ln768) => Of(new Ln768()),
        nameof(Ln44) => Of(new Ln44()),
        nameof(Ln5) => Of(new Ln5()),
        nameof(Ln4x6NoBias) => Of(new Ln4x6NoBias()),
        nameof(Ln37NoAffine) => Of(new Ln37NoAffine()),
        nameof(Gn2d) => Of(new Gn2d()),
        nameof(GnSlots) => Of(new GnSlots()),
        nameof(GnSlotsAligned) => Of(new GnSlotsAligned()),
        nameof(GnFlat) => Of(new GnFlat()),
        nameof(Gn1dNoAffine) => Of(new Gn1dNoAffine()),
        nameof(GnUnit) => Of(new GnUnit()),
        nameof(In1d) => Of(new In1d()),
        nameof(In2dAffine) => Of(new In2dAffine()),
        nameof(In2dTrack) => Of(new In2dTrack()),
        nameof(In3d) => Of(new In3d()),
        nameof(InUnit) => Of(new InUnit()),
        nameof(Rms64) => Of(new Rms64()),
        nameof(Rms3x5NoAffine) => Of(new Rms3x5NoAffine()),
        nameof(Lrn) => Of(new Lrn()),
        nameof(LrnEven) => Of(new LrnEven()),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown family configuration."),
    };

    // One binding per generated class; members a configuration does not have are omitted.
    private static FamilyHarness Of(Ln768 l) => new()
    {
        Spec = Specs[nameof(Ln768)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = Ln768.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        WeightParameter = () => l.Weight, BiasParameter = () => l.Bias,
    };

    private static FamilyHarness Of(Ln44 l) => new()
    {
        Spec = Specs[nameof(Ln44)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = Ln44.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        WeightParameter = () => l.Weight, BiasParameter = () => l.Bias,
    };

    private static FamilyHarness Of(Ln5 l) => new()
    {
        Spec = Specs[nameof(Ln5)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = Ln5.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        WeightParameter = () => l.Weight, BiasParameter = () => l.Bias,
    };

    private static FamilyHarness Of(Ln4x6NoBias l) => new()
    {
        Spec = Specs[nameof(Ln4x6NoBias)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = Ln4x6NoBias.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        WeightParameter = () => l.Weight,
    };

    private static FamilyHarness Of(Ln37NoAffine l) => new()
    {
        Spec = Specs[nameof(Ln37NoAffine)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = Ln37NoAffine.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
    };

    private static FamilyHarness Of(Gn2d l) => new()
    {
        Spec = Specs[nameof(Gn2d)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = Gn2d.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        WeightParameter = () => l.Weight, BiasParameter = () => l.Bias,
    };

    private static FamilyHarness Of(GnSlots l) => new()
    {
        Spec = Specs[nameof(GnSlots)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = GnSlots.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        WeightParameter = () => l.Weight, BiasParameter = () => l.Bias,
    };

    private static FamilyHarness Of(GnSlotsAligned l) => new()
    {
        Spec = Specs[nameof(GnSlotsAligned)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = GnSlotsAligned.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        WeightParameter = () => l.Weight, BiasParameter = () => l.Bias,
    };

    private static FamilyHarness Of(GnFlat l) => new()
    {
        Spec = Specs[nameof(GnFlat)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = GnFlat.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        WeightParameter = () => l.Weight, BiasParameter = () => l.Bias,
    };

    private static FamilyHarness Of(Gn1dNoAffine l) => new()
    {
        Spec = Specs[nameof(Gn1dNoAffine)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = Gn1dNoAffine.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
    };

    private static FamilyHarness Of(GnUnit l) => new()
    {
        Spec = Specs[nameof(GnUnit)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = GnUnit.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        WeightParameter = () => l.Weight, BiasParameter = () => l.Bias,
    };

    private static FamilyHarness Of(In1d l) => new()
    {
        Spec = Specs[nameof(In1d)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = In1d.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
    };

    private static FamilyHarness Of(In2dAffine l) => new()
    {
        Spec = Specs[nameof(In2dAffine)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = In2dAffine.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        WeightParameter = () => l.Weight, BiasParameter = () => l.Bias,
    };

    private static FamilyHarness Of(In2dTrack l) => new()
    {
        Spec = Specs[nameof(In2dTrack)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = In2dTrack.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked, ResetRunningStats = l.ResetRunningStats,
    };

    private static FamilyHarness Of(In3d l) => new()
    {
        Spec = Specs[nameof(In3d)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = In3d.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        WeightParameter = () => l.Weight, BiasParameter = () => l.Bias,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked, ResetRunningStats = l.ResetRunningStats,
    };

    private static FamilyHarness Of(InUnit l) => new()
    {
        Spec = Specs[nameof(InUnit)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = InUnit.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        RunningMean = () => TensorExtensions.AsSpan(l.RunningMean), RunningVar = () => TensorExtensions.AsSpan(l.RunningVar),
        NumBatchesTracked = () => l.NumBatchesTracked, ResetRunningStats = l.ResetRunningStats,
    };

    private static FamilyHarness Of(Rms64 l) => new()
    {
        Spec = Specs[nameof(Rms64)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = Rms64.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
        WeightParameter = () => l.Weight,
    };

    private static FamilyHarness Of(Rms3x5NoAffine l) => new()
    {
        Spec = Specs[nameof(Rms3x5NoAffine)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = Rms3x5NoAffine.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
    };

    private static FamilyHarness Of(Lrn l) => new()
    {
        Spec = Specs[nameof(Lrn)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = Lrn.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
    };

    private static FamilyHarness Of(LrnEven l) => new()
    {
        Spec = Specs[nameof(LrnEven)], Layer = l, Forward = l.Forward, ForwardTensorSpan = l.Forward, ForwardTensor = l.Forward,
        GetTraining = () => l.Training, Train = m => l.Train(m), Eval = () => l.Eval(), SampleSizeConstant = LrnEven.SampleSize,
        NamedParameters = l.NamedParameters, NamedBuffers = l.NamedBuffers, ResetParameters = l.ResetParameters,
    };
}
