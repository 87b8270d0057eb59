using System;
using System.Collections.Generic;

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

    /// <summary>The layer's <c>SampleSize</c> constant (elements of one sample, or of one row for LayerNorm).</summary>
    public required int SampleSize { get; init; }

    /// <summary>
    /// The layer's configuration constants, keyed by the torch constructor argument they must equal
    /// (e.g. <c>("num_features", NumFeatures)</c>, <c>("eps", Eps)</c>); the key <c>sample_shape[0]</c> stands
    /// for the input's channel dimension, which LocalResponseNorm's constructor does not take.
    /// </summary>
    public required IReadOnlyList<(string Key, double Value)> Constants { get; init; }

    public required Func<bool> Training { get; init; }

    /// <summary>Calls <c>Train()</c> and asserts that it returns the layer itself.</summary>
    public required Action Train { get; init; }

    /// <summary>Calls <c>Eval()</c> and asserts that it returns the layer itself.</summary>
    public required Action Eval { get; init; }

    public required ForwardFunc Forward { get; init; }

    /// <summary>Null when the class has no weight (Affine/ElementwiseAffine = false, LocalResponseNorm).</summary>
    public SpanFunc? Weight { get; init; }

    /// <summary>Null when the class has no bias (also LayerNorm with Bias = false).</summary>
    public SpanFunc? Bias { get; init; }

    /// <summary>Null when the class does not track running statistics (as are <see cref="RunningVar"/> and <see cref="NumBatchesTracked"/>).</summary>
    public SpanFunc? RunningMean { get; init; }

    public SpanFunc? RunningVar { get; init; }

    public Func<long>? NumBatchesTracked { get; init; }
}
