using System;
using NormGen;

namespace NormBench;

/// <summary>What the benchmark classes need from a generated layer: the span forward and the mode switch.</summary>
/// <remarks>
/// The generated members satisfy <see cref="Forward"/> and <see cref="Backward"/> directly; <see cref="SetTraining"/> forwards to the generated
/// <c>Train(bool)</c>. One interface call per forward pass costs nanoseconds against passes of tens of microseconds or more.
/// </remarks>
public interface INormLayer
{
    /// <summary>The generated <c>Forward(ReadOnlySpan&lt;float&gt;, Span&lt;float&gt;)</c>.</summary>
    void Forward(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>The generated <c>Backward(ReadOnlySpan&lt;float&gt;, ReadOnlySpan&lt;float&gt;, Span&lt;float&gt;)</c>.</summary>
    void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput);

    /// <summary>Sets training (true) or eval (false) mode.</summary>
    void SetTraining(bool training);
}

// The layers of issue 5, each declared with its attribute exactly as a user would.

/// <summary>BatchNorm1d(512) on (256, 512).</summary>
[BatchNorm1d(512)]
public partial class Bn1d512 : INormLayer
{
    /// <inheritdoc/>
    public void SetTraining(bool training) => Train(training);
}

/// <summary>BatchNorm1d(128) on (64, 128, 256).</summary>
[BatchNorm1d(128, Length = 256)]
public partial class Bn1d128x256 : INormLayer
{
    /// <inheritdoc/>
    public void SetTraining(bool training) => Train(training);
}

/// <summary>BatchNorm2d(64) on (32, 64, 32, 32).</summary>
[BatchNorm2d(64, 32, 32)]
public partial class Bn2d64x32x32 : INormLayer
{
    /// <inheritdoc/>
    public void SetTraining(bool training) => Train(training);
}

/// <summary>BatchNorm2d(256) on (64, 256, 14, 14).</summary>
[BatchNorm2d(256, 14, 14)]
public partial class Bn2d256x14x14 : INormLayer
{
    /// <inheritdoc/>
    public void SetTraining(bool training) => Train(training);
}

/// <summary>BatchNorm2d(32) on (8, 32, 112, 112).</summary>
[BatchNorm2d(32, 112, 112)]
public partial class Bn2d32x112x112 : INormLayer
{
    /// <inheritdoc/>
    public void SetTraining(bool training) => Train(training);
}

/// <summary>BatchNorm2d(512) on (128, 512, 7, 7).</summary>
[BatchNorm2d(512, 7, 7)]
public partial class Bn2d512x7x7 : INormLayer
{
    /// <inheritdoc/>
    public void SetTraining(bool training) => Train(training);
}

/// <summary>LayerNorm(768) over 8192 rows.</summary>
[LayerNorm(768)]
public partial class Ln768 : INormLayer
{
    /// <inheritdoc/>
    public void SetTraining(bool training) => Train(training);
}

/// <summary>GroupNorm(32, 256) on (32, 256, 14, 14).</summary>
[GroupNorm(32, 256, 14, 14)]
public partial class Gn32x256x14x14 : INormLayer
{
    /// <inheritdoc/>
    public void SetTraining(bool training) => Train(training);
}
