using System;

namespace NormGen.Runtime.Tests.TorchParity;

/// <summary>Same shape as the generated <c>Forward(ReadOnlySpan&lt;float&gt;, Span&lt;float&gt;)</c>.</summary>
internal delegate void ForwardFunc(ReadOnlySpan<float> input, Span<float> output);

/// <summary>Returns a span that shares storage with a layer's parameter or buffer.</summary>
internal delegate Span<float> SpanFunc();

/// <summary>
/// A generated layer seen through delegates, so one test body can drive every configuration even
/// though members like <c>Weight</c> or <c>RunningMean</c> only exist on some of them.
/// Built by <see cref="ParityLayers.Create"/> (ParityLayers.Generated.cs).
/// </summary>
internal sealed class ParityLayer
{
    public required string Name { get; init; }

    /// <summary>The layer's <c>NumFeatures</c> constant.</summary>
    public required int NumFeatures { get; init; }

    /// <summary>The layer's <c>SampleSize</c> constant.</summary>
    public required int SampleSize { get; init; }

    /// <summary>Whether the class was declared with Affine = true (Weight/Bias exist).</summary>
    public required bool Affine { get; init; }

    /// <summary>Whether the class was declared with TrackRunningStats = true (RunningMean/RunningVar/NumBatchesTracked exist).</summary>
    public required bool TrackRunningStats { get; init; }

    public required Func<bool> Training { get; init; }

    /// <summary>Calls <c>Train()</c> and asserts that it returns the layer itself.</summary>
    public required Action Train { get; init; }

    /// <summary>Calls <c>Eval()</c> and asserts that it returns the layer itself.</summary>
    public required Action Eval { get; init; }

    public required ForwardFunc Forward { get; init; }

    public SpanFunc? Weight { get; init; }

    public SpanFunc? Bias { get; init; }

    public SpanFunc? RunningMean { get; init; }

    public SpanFunc? RunningVar { get; init; }

    public Func<long>? NumBatchesTracked { get; init; }
}
