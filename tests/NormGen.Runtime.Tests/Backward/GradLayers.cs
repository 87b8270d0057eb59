using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using NormGen.Runtime.Tests.Layers;

namespace NormGen.Runtime.Tests.Backward;

/// <summary>How a layer groups its elements into statistics sets (see <see cref="GradSpec"/>).</summary>
internal enum GradKind
{
    /// <summary>BatchNorm: one set per channel over (N, spatial); running statistics in eval mode when tracked.</summary>
    Batch,

    /// <summary>InstanceNorm: one set per (sample, channel); running statistics in eval mode when tracked.</summary>
    Instance,

    /// <summary>GroupNorm: one set per (sample, group), per-channel affine.</summary>
    Group,

    /// <summary>LayerNorm: one set per row, element-wise affine.</summary>
    Layer,

    /// <summary>RMSNorm: one set per row, no centering, element-wise weight.</summary>
    Rms,

    /// <summary>LocalResponseNorm: no statistics, no parameters.</summary>
    Lrn,
}

/// <summary>
/// What the float64 reference needs to know about a layer. A sample is (Channels, Plane) contiguous; LayerNorm and RMSNorm
/// use Channels = the normalized size and Plane = 1, so that "channel" is the index of the element-wise affine.
/// </summary>
internal sealed record GradSpec(
    GradKind Kind,
    int Channels,
    int Plane,
    double Eps,
    bool HasWeight,
    bool HasBias,
    bool Tracking,
    int Groups = 1,
    int Size = 0,
    double Alpha = 0,
    double Beta = 0,
    double K = 0)
{
    public int SampleSize => Channels * Plane;

    /// <summary>Whether the layer normalizes with its running statistics in this mode (PyTorch's <c>not use_input_stats</c>).</summary>
    public bool UsesRunningStats(bool training) => Tracking && !training && Kind is GradKind.Batch or GradKind.Instance;
}

internal delegate void SpanForward(ReadOnlySpan<float> input, Span<float> output);

internal delegate void SpanBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput);

internal delegate void TensorBackward(ReadOnlyTensorSpan<float> input, ReadOnlyTensorSpan<float> gradOutput, TensorSpan<float> gradInput);

/// <summary>One generated layer behind delegates, so that one test body covers every class.</summary>
internal sealed class GradLayer
{
    public required string Name { get; init; }

    public required GradSpec Spec { get; init; }

    /// <summary>The shape of one sample (the tensor overloads take [N, ..this]).</summary>
    public required int[] SampleShape { get; init; }

    public required SpanForward Forward { get; init; }

    public required SpanBackward Backward { get; init; }

    public required TensorBackward BackwardTensor { get; init; }

    public required Action<bool> SetTraining { get; init; }

    public required Func<bool> Training { get; init; }

    public Parameter? Weight { get; init; }

    public Parameter? Bias { get; init; }

    public Tensor<float>? RunningMean { get; init; }

    public Tensor<float>? RunningVar { get; init; }

    public Func<long>? NumBatchesTracked { get; init; }

    public int SampleSize => Spec.SampleSize;

    /// <summary>Whether a training-mode Forward is possible at all (InstanceNorm with one spatial element rejects it).</summary>
    public bool CanTrain => !(Spec.Kind == GradKind.Instance && Spec.Plane == 1);

    public void ZeroGrad()
    {
        Weight?.ZeroGrad();
        Bias?.ZeroGrad();
    }

    /// <summary>A snapshot of the parameter gradients (empty arrays for missing parameters).</summary>
    public (float[] Weight, float[] Bias) Grads() => (Weight?.GradSpan.ToArray() ?? [], Bias?.GradSpan.ToArray() ?? []);

    /// <summary>A snapshot of every piece of state a failed call must not change.</summary>
    public float[] StateSnapshot()
    {
        var all = new List<float>();
        if (Weight is not null)
        {
            all.AddRange(Weight.DataSpan.ToArray());
            all.AddRange(Weight.GradSpan.ToArray());
        }

        if (Bias is not null)
        {
            all.AddRange(Bias.DataSpan.ToArray());
            all.AddRange(Bias.GradSpan.ToArray());
        }

        if (RunningMean is not null)
        {
            all.AddRange(TensorExtensions.AsSpan(RunningMean).ToArray());
            all.AddRange(TensorExtensions.AsSpan(RunningVar!).ToArray());
        }

        if (NumBatchesTracked is not null)
        {
            all.Add(NumBatchesTracked());
        }

        all.Add(Training() ? 1 : 0);
        return all.ToArray();
    }
}

/// <summary>Every layer class of Layers.cs and FamilyLayers.cs, as a <see cref="GradLayer"/> with its reference spec.</summary>
internal static class GradLayers
{
    public static readonly string[] Names =
    [
        "Bn1dFlat", "Bn1dOdd", "Bn1dAligned", "Bn1dAlignedSeq", "Bn1dSeq", "Bn1dShortSeq", "Bn1dCustom", "Bn2d", "Bn2dSmall", "Bn2dPeriodic", "Bn2dPeriodicWide", "Bn2dPermutedPlane", "Bn2dPermutedPairs", "Bn2dSegments", "Bn2dSegmentsWide", "Bn2dSegmentsPlanes", "Bn2dOddPlane", "Bn2dUnit",
        "Bn2dNoAffine", "Bn2dNoTrack", "Bn2dBare", "Bn2dCumulative", "Bn2dEpsZero", "Bn3d",
        "Ln768", "Ln44", "Ln5", "Ln4x6NoBias", "Ln37NoAffine",
        "Gn2d", "GnSlots", "GnSlotsAligned", "GnFlat", "Gn1dNoAffine", "GnUnit",
        "In1d", "In2dAffine", "In2dTrack", "In3d", "InUnit",
        "Rms64", "Rms3x5NoAffine",
        "Lrn", "LrnEven",
    ];

    public static IEnumerable<object[]> NameData()
    {
        foreach (string name in Names)
        {
            yield return [name];
        }
    }

    private static GradSpec Bn(int c, int plane, double eps, bool affine = true, bool track = true) =>
        new(GradKind.Batch, c, plane, eps, affine, affine, track);

    private static GradSpec In(int c, int plane, double eps, bool affine = false, bool track = false) =>
        new(GradKind.Instance, c, plane, eps, affine, affine, track);

    private static GradSpec Gn(int g, int c, int plane, double eps, bool affine = true) =>
        new(GradKind.Group, c, plane, eps, affine, affine, false, Groups: g);

    private static GradSpec Ln(int d, double eps, bool affine = true, bool bias = true) =>
        new(GradKind.Layer, d, 1, eps, affine, affine && bias, false);

    private static GradSpec Rms(int d, double eps, bool affine = true) =>
        new(GradKind.Rms, d, 1, eps, affine, false, false);

    private static GradSpec Lrn(int size, int c, int plane, double alpha, double beta, double k) =>
        new(GradKind.Lrn, c, plane, 0, false, false, false, Size: size, Alpha: alpha, Beta: beta, K: k);

    public static GradLayer Create(string name)
    {
        switch (name)
        {
            case "Bn1dFlat": { var a1 = new Bn1dFlat(); return Make("Bn1dFlat", Bn(4, 1, Bn1dFlat.Eps), [4], a1.Forward, a1.Backward, a1.Backward, m => a1.Train(m), () => a1.Training, a1.Weight, a1.Bias, a1.RunningMean, a1.RunningVar, () => a1.NumBatchesTracked); }
            case "Bn1dOdd": { var a2 = new Bn1dOdd(); return Make("Bn1dOdd", Bn(37, 1, Bn1dOdd.Eps), [37], a2.Forward, a2.Backward, a2.Backward, m => a2.Train(m), () => a2.Training, a2.Weight, a2.Bias, a2.RunningMean, a2.RunningVar, () => a2.NumBatchesTracked); }
            case "Bn1dAligned": { var b1 = new Bn1dAligned(); return Make("Bn1dAligned", Bn(48, 1, Bn1dAligned.Eps), [48], b1.Forward, b1.Backward, b1.Backward, m => b1.Train(m), () => b1.Training, b1.Weight, b1.Bias, b1.RunningMean, b1.RunningVar, () => b1.NumBatchesTracked); }
            case "Bn1dAlignedSeq": { var b2 = new Bn1dAlignedSeq(); return Make("Bn1dAlignedSeq", Bn(8, 2, Bn1dAlignedSeq.Eps), [8, 2], b2.Forward, b2.Backward, b2.Backward, m => b2.Train(m), () => b2.Training, b2.Weight, b2.Bias, b2.RunningMean, b2.RunningVar, () => b2.NumBatchesTracked); }
            case "Bn1dSeq": { var a3 = new Bn1dSeq(); return Make("Bn1dSeq", Bn(3, 5, Bn1dSeq.Eps), [3, 5], a3.Forward, a3.Backward, a3.Backward, m => a3.Train(m), () => a3.Training, a3.Weight, a3.Bias, a3.RunningMean, a3.RunningVar, () => a3.NumBatchesTracked); }
            case "Bn1dShortSeq": { var a4 = new Bn1dShortSeq(); return Make("Bn1dShortSeq", Bn(70, 3, Bn1dShortSeq.Eps), [70, 3], a4.Forward, a4.Backward, a4.Backward, m => a4.Train(m), () => a4.Training, a4.Weight, a4.Bias, a4.RunningMean, a4.RunningVar, () => a4.NumBatchesTracked); }
            case "Bn1dCustom": { var a5 = new Bn1dCustom(); return Make("Bn1dCustom", Bn(3, 5, Bn1dCustom.Eps), [3, 5], a5.Forward, a5.Backward, a5.Backward, m => a5.Train(m), () => a5.Training, a5.Weight, a5.Bias, a5.RunningMean, a5.RunningVar, () => a5.NumBatchesTracked); }
            case "Bn2d": { var a6 = new Bn2d(); return Make("Bn2d", Bn(3, 20, Bn2d.Eps), [3, 4, 5], a6.Forward, a6.Backward, a6.Backward, m => a6.Train(m), () => a6.Training, a6.Weight, a6.Bias, a6.RunningMean, a6.RunningVar, () => a6.NumBatchesTracked); }
            case "Bn2dSmall": { var a7 = new Bn2dSmall(); return Make("Bn2dSmall", Bn(5, 49, Bn2dSmall.Eps), [5, 7, 7], a7.Forward, a7.Backward, a7.Backward, m => a7.Train(m), () => a7.Training, a7.Weight, a7.Bias, a7.RunningMean, a7.RunningVar, () => a7.NumBatchesTracked); }
            case "Bn2dPeriodic": { var p1 = new Bn2dPeriodic(); return Make("Bn2dPeriodic", Bn(16, 49, Bn2dPeriodic.Eps), [16, 7, 7], p1.Forward, p1.Backward, p1.Backward, m => p1.Train(m), () => p1.Training, p1.Weight, p1.Bias, p1.RunningMean, p1.RunningVar, () => p1.NumBatchesTracked); }
            case "Bn2dPeriodicWide": { var p2 = new Bn2dPeriodicWide(); return Make("Bn2dPeriodicWide", Bn(8, 100, Bn2dPeriodicWide.Eps), [8, 10, 10], p2.Forward, p2.Backward, p2.Backward, m => p2.Train(m), () => p2.Training, p2.Weight, p2.Bias, p2.RunningMean, p2.RunningVar, () => p2.NumBatchesTracked); }
            case "Bn2dPermutedPlane": { var p1 = new Bn2dPermutedPlane(); return Make("Bn2dPermutedPlane", Bn(8, 14 * 14, Bn2dPermutedPlane.Eps), [8, 14, 14], p1.Forward, p1.Backward, p1.Backward, m => p1.Train(m), () => p1.Training, p1.Weight, p1.Bias, p1.RunningMean, p1.RunningVar, () => p1.NumBatchesTracked); }
            case "Bn2dPermutedPairs": { var p2 = new Bn2dPermutedPairs(); return Make("Bn2dPermutedPairs", Bn(4, 10 * 20, Bn2dPermutedPairs.Eps), [4, 10, 20], p2.Forward, p2.Backward, p2.Backward, m => p2.Train(m), () => p2.Training, p2.Weight, p2.Bias, p2.RunningMean, p2.RunningVar, () => p2.NumBatchesTracked); }
            case "Bn2dSegments": { var s1 = new Bn2dSegments(); return Make("Bn2dSegments", Bn(20, 5 * 5, Bn2dSegments.Eps), [20, 5, 5], s1.Forward, s1.Backward, s1.Backward, m => s1.Train(m), () => s1.Training, s1.Weight, s1.Bias, s1.RunningMean, s1.RunningVar, () => s1.NumBatchesTracked); }
            case "Bn2dSegmentsWide": { var s2 = new Bn2dSegmentsWide(); return Make("Bn2dSegmentsWide", Bn(18, 11 * 11, Bn2dSegmentsWide.Eps), [18, 11, 11], s2.Forward, s2.Backward, s2.Backward, m => s2.Train(m), () => s2.Training, s2.Weight, s2.Bias, s2.RunningMean, s2.RunningVar, () => s2.NumBatchesTracked); }
            case "Bn2dSegmentsPlanes": { var s3 = new Bn2dSegmentsPlanes(); return Make("Bn2dSegmentsPlanes", Bn(17, 9 * 15, Bn2dSegmentsPlanes.Eps), [17, 9, 15], s3.Forward, s3.Backward, s3.Backward, m => s3.Train(m), () => s3.Training, s3.Weight, s3.Bias, s3.RunningMean, s3.RunningVar, () => s3.NumBatchesTracked); }
            case "Bn2dOddPlane": { var a8 = new Bn2dOddPlane(); return Make("Bn2dOddPlane", Bn(8, 17 * 19, Bn2dOddPlane.Eps), [8, 17, 19], a8.Forward, a8.Backward, a8.Backward, m => a8.Train(m), () => a8.Training, a8.Weight, a8.Bias, a8.RunningMean, a8.RunningVar, () => a8.NumBatchesTracked); }
            case "Bn2dUnit": { var a9 = new Bn2dUnit(); return Make("Bn2dUnit", Bn(4, 1, Bn2dUnit.Eps), [4, 1, 1], a9.Forward, a9.Backward, a9.Backward, m => a9.Train(m), () => a9.Training, a9.Weight, a9.Bias, a9.RunningMean, a9.RunningVar, () => a9.NumBatchesTracked); }
            case "Bn2dNoAffine": { var b1 = new Bn2dNoAffine(); return Make("Bn2dNoAffine", Bn(3, 20, Bn2dNoAffine.Eps, affine: false), [3, 4, 5], b1.Forward, b1.Backward, b1.Backward, m => b1.Train(m), () => b1.Training, null, null, b1.RunningMean, b1.RunningVar, () => b1.NumBatchesTracked); }
            case "Bn2dNoTrack": { var b2 = new Bn2dNoTrack(); return Make("Bn2dNoTrack", Bn(3, 20, Bn2dNoTrack.Eps, track: false), [3, 4, 5], b2.Forward, b2.Backward, b2.Backward, m => b2.Train(m), () => b2.Training, b2.Weight, b2.Bias, null, null, null); }
            case "Bn2dBare": { var b3 = new Bn2dBare(); return Make("Bn2dBare", Bn(3, 20, Bn2dBare.Eps, affine: false, track: false), [3, 4, 5], b3.Forward, b3.Backward, b3.Backward, m => b3.Train(m), () => b3.Training, null, null, null, null, null); }
            case "Bn2dCumulative": { var b4 = new Bn2dCumulative(); return Make("Bn2dCumulative", Bn(3, 20, Bn2dCumulative.Eps), [3, 4, 5], b4.Forward, b4.Backward, b4.Backward, m => b4.Train(m), () => b4.Training, b4.Weight, b4.Bias, b4.RunningMean, b4.RunningVar, () => b4.NumBatchesTracked); }
            case "Bn2dEpsZero": { var b5 = new Bn2dEpsZero(); return Make("Bn2dEpsZero", Bn(2, 256, Bn2dEpsZero.Eps), [2, 16, 16], b5.Forward, b5.Backward, b5.Backward, m => b5.Train(m), () => b5.Training, b5.Weight, b5.Bias, b5.RunningMean, b5.RunningVar, () => b5.NumBatchesTracked); }
            case "Bn3d": { var b6 = new Bn3d(); return Make("Bn3d", Bn(2, 60, Bn3d.Eps), [2, 3, 4, 5], b6.Forward, b6.Backward, b6.Backward, m => b6.Train(m), () => b6.Training, b6.Weight, b6.Bias, b6.RunningMean, b6.RunningVar, () => b6.NumBatchesTracked); }
            case "Ln768": { var c1 = new Ln768(); return Make("Ln768", Ln(768, Ln768.Eps), [768], c1.Forward, c1.Backward, c1.Backward, m => c1.Train(m), () => c1.Training, c1.Weight, c1.Bias, null, null, null); }
            case "Ln44": { var c5 = new Ln44(); return Make("Ln44", Ln(44, Ln44.Eps), [44], c5.Forward, c5.Backward, c5.Backward, m => c5.Train(m), () => c5.Training, c5.Weight, c5.Bias, null, null, null); }
            case "Ln5": { var c2 = new Ln5(); return Make("Ln5", Ln(5, Ln5.Eps), [5], c2.Forward, c2.Backward, c2.Backward, m => c2.Train(m), () => c2.Training, c2.Weight, c2.Bias, null, null, null); }
            case "Ln4x6NoBias": { var c3 = new Ln4x6NoBias(); return Make("Ln4x6NoBias", Ln(24, Ln4x6NoBias.Eps, bias: false), [4, 6], c3.Forward, c3.Backward, c3.Backward, m => c3.Train(m), () => c3.Training, c3.Weight, null, null, null, null); }
            case "Ln37NoAffine": { var c4 = new Ln37NoAffine(); return Make("Ln37NoAffine", Ln(37, Ln37NoAffine.Eps, affine: false), [37], c4.Forward, c4.Backward, c4.Backward, m => c4.Train(m), () => c4.Training, null, null, null, null, null); }
            case "Gn2d": { var d1 = new Gn2d(); return Make("Gn2d", Gn(4, 8, 25, Gn2d.Eps), [8, 5, 5], d1.Forward, d1.Backward, d1.Backward, m => d1.Train(m), () => d1.Training, d1.Weight, d1.Bias, null, null, null); }
            case "GnSlots": { var d1 = new GnSlots(); return Make("GnSlots", Gn(2, 16, 18, GnSlots.Eps), [16, 6, 3], d1.Forward, d1.Backward, d1.Backward, m => d1.Train(m), () => d1.Training, d1.Weight, d1.Bias, null, null, null); }
            case "GnSlotsAligned": { var d1 = new GnSlotsAligned(); return Make("GnSlotsAligned", Gn(2, 4, 32, GnSlotsAligned.Eps), [4, 4, 8], d1.Forward, d1.Backward, d1.Backward, m => d1.Train(m), () => d1.Training, d1.Weight, d1.Bias, null, null, null); }
            case "GnFlat": { var d2 = new GnFlat(); return Make("GnFlat", Gn(2, 6, 1, GnFlat.Eps), [6], d2.Forward, d2.Backward, d2.Backward, m => d2.Train(m), () => d2.Training, d2.Weight, d2.Bias, null, null, null); }
            case "Gn1dNoAffine": { var d3 = new Gn1dNoAffine(); return Make("Gn1dNoAffine", Gn(3, 6, 7, Gn1dNoAffine.Eps, affine: false), [6, 7], d3.Forward, d3.Backward, d3.Backward, m => d3.Train(m), () => d3.Training, null, null, null, null, null); }
            case "GnUnit": { var d4 = new GnUnit(); return Make("GnUnit", Gn(4, 4, 1, GnUnit.Eps), [4], d4.Forward, d4.Backward, d4.Backward, m => d4.Train(m), () => d4.Training, d4.Weight, d4.Bias, null, null, null); }
            case "In1d": { var e1 = new In1d(); return Make("In1d", In(3, 10, In1d.Eps), [3, 10], e1.Forward, e1.Backward, e1.Backward, m => e1.Train(m), () => e1.Training, null, null, null, null, null); }
            case "In2dAffine": { var e2 = new In2dAffine(); return Make("In2dAffine", In(4, 30, In2dAffine.Eps, affine: true), [4, 5, 6], e2.Forward, e2.Backward, e2.Backward, m => e2.Train(m), () => e2.Training, e2.Weight, e2.Bias, null, null, null); }
            case "In2dTrack": { var e3 = new In2dTrack(); return Make("In2dTrack", In(3, 20, In2dTrack.Eps, track: true), [3, 4, 5], e3.Forward, e3.Backward, e3.Backward, m => e3.Train(m), () => e3.Training, null, null, e3.RunningMean, e3.RunningVar, () => e3.NumBatchesTracked); }
            case "In3d": { var e4 = new In3d(); return Make("In3d", In(2, 60, In3d.Eps, affine: true, track: true), [2, 3, 4, 5], e4.Forward, e4.Backward, e4.Backward, m => e4.Train(m), () => e4.Training, e4.Weight, e4.Bias, e4.RunningMean, e4.RunningVar, () => e4.NumBatchesTracked); }
            case "InUnit": { var e5 = new InUnit(); return Make("InUnit", In(3, 1, InUnit.Eps, track: true), [3, 1, 1], e5.Forward, e5.Backward, e5.Backward, m => e5.Train(m), () => e5.Training, null, null, e5.RunningMean, e5.RunningVar, () => e5.NumBatchesTracked); }
            case "Rms64": { var f1 = new Rms64(); return Make("Rms64", Rms(64, Rms64.Eps), [64], f1.Forward, f1.Backward, f1.Backward, m => f1.Train(m), () => f1.Training, f1.Weight, null, null, null, null); }
            case "Rms3x5NoAffine": { var f2 = new Rms3x5NoAffine(); return Make("Rms3x5NoAffine", Rms(15, Rms3x5NoAffine.Eps, affine: false), [3, 5], f2.Forward, f2.Backward, f2.Backward, m => f2.Train(m), () => f2.Training, null, null, null, null, null); }
            case "Lrn": { var g1 = new Layers.Lrn(); return Make("Lrn", Lrn(Layers.Lrn.Size, Layers.Lrn.NumChannels, 12, Layers.Lrn.Alpha, Layers.Lrn.Beta, Layers.Lrn.K), [8, 3, 4], g1.Forward, g1.Backward, g1.Backward, m => g1.Train(m), () => g1.Training, null, null, null, null, null); }
            case "LrnEven": { var g2 = new LrnEven(); return Make("LrnEven", Lrn(LrnEven.Size, LrnEven.NumChannels, 4, LrnEven.Alpha, LrnEven.Beta, LrnEven.K), [3, 4], g2.Forward, g2.Backward, g2.Backward, m => g2.Train(m), () => g2.Training, null, null, null, null, null); }
            default: throw new ArgumentException($"No backward test adapter for layer '{name}'.", nameof(name));
        }
    }

    private static GradLayer Make(
        string name,
        GradSpec spec,
        int[] sampleShape,
        SpanForward forward,
        SpanBackward backward,
        TensorBackward backwardTensor,
        Action<bool> train,
        Func<bool> training,
        Parameter? weight,
        Parameter? bias,
        Tensor<float>? runningMean,
        Tensor<float>? runningVar,
        Func<long>? numBatchesTracked)
    {
        int product = 1;
        foreach (int d in sampleShape)
        {
            product *= d;
        }

        if (product != spec.SampleSize)
        {
            throw new InvalidOperationException($"{name}: sample shape [{string.Join(", ", sampleShape)}] does not match the spec's {spec.SampleSize} elements.");
        }

        return new GradLayer
        {
            Name = name,
            Spec = spec,
            SampleShape = sampleShape,
            Forward = forward,
            Backward = backward,
            BackwardTensor = backwardTensor,
            SetTraining = train,
            Training = training,
            Weight = weight,
            Bias = bias,
            RunningMean = runningMean,
            RunningVar = runningVar,
            NumBatchesTracked = numBatchesTracked,
        };
    }
}
