using System;

namespace NormGen;

/// <summary>
/// Arguments shared by <see cref="BatchNorm1dAttribute"/>, <see cref="BatchNorm2dAttribute"/> and
/// <see cref="BatchNorm3dAttribute"/>, with PyTorch's defaults.
/// </summary>
public abstract class BatchNormAttribute : NormalizationAttribute
{
    private protected BatchNormAttribute(int numFeatures)
    {
        NumFeatures = numFeatures;
    }

    /// <summary>Added to the variance for numerical stability (PyTorch's <c>eps</c>). Default <c>1e-5</c>.</summary>
    public double Eps { get; set; } = 1e-5;

    /// <summary>Number of channels C (PyTorch's <c>num_features</c>).</summary>
    public int NumFeatures { get; }

    /// <summary>
    /// Weight of the new batch statistic in the running-statistics update
    /// <c>running = (1 - momentum) * running + momentum * batch</c>. Default <c>0.1</c>.
    /// Ignored when <see cref="CumulativeAverage"/> is set.
    /// </summary>
    public double Momentum { get; set; } = 0.1;

    /// <summary>
    /// When true, the running statistics are a cumulative moving average (factor <c>1 / num_batches_tracked</c>),
    /// which is PyTorch's <c>momentum=None</c>. Default false.
    /// </summary>
    public bool CumulativeAverage { get; set; }

    /// <summary>When true (default), the layer has learnable per-channel <c>weight</c> and <c>bias</c>.</summary>
    public bool Affine { get; set; } = true;

    /// <summary>
    /// When true (default), the layer keeps <c>running_mean</c>, <c>running_var</c> and <c>num_batches_tracked</c>
    /// and uses them in eval mode; when false, batch statistics are used in both modes.
    /// </summary>
    public bool TrackRunningStats { get; set; } = true;
}

/// <summary>
/// Declares a BatchNorm1d layer (PyTorch <c>torch.nn.BatchNorm1d</c>): input <c>(N, C)</c>, or <c>(N, C, L)</c>
/// when <see cref="Length"/> is given.
/// </summary>
/// <example><code>[BatchNorm1d(128)] public partial class HeadNorm { }</code></example>
public sealed class BatchNorm1dAttribute : BatchNormAttribute
{
    /// <summary>Declares a BatchNorm1d over <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Number of channels C.</param>
    public BatchNorm1dAttribute(int numFeatures)
        : base(numFeatures)
    {
    }

    /// <summary>Length L of the sequence dimension; 0 (default) means the input is <c>(N, C)</c>.</summary>
    public int Length { get; set; }
}

/// <summary>Declares a BatchNorm2d layer (PyTorch <c>torch.nn.BatchNorm2d</c>): input <c>(N, C, H, W)</c>.</summary>
/// <example><code>[BatchNorm2d(64, 32, 32)] public partial class StemNorm { }</code></example>
public sealed class BatchNorm2dAttribute : BatchNormAttribute
{
    /// <summary>Declares a BatchNorm2d for inputs of shape <c>(N, numFeatures, height, width)</c>.</summary>
    public BatchNorm2dAttribute(int numFeatures, int height, int width)
        : base(numFeatures)
    {
        Height = height;
        Width = width;
    }

    /// <summary>Height H.</summary>
    public int Height { get; }

    /// <summary>Width W.</summary>
    public int Width { get; }
}

/// <summary>Declares a BatchNorm3d layer (PyTorch <c>torch.nn.BatchNorm3d</c>): input <c>(N, C, D, H, W)</c>.</summary>
/// <example><code>[BatchNorm3d(16, 4, 8, 8)] public partial class VolumeNorm { }</code></example>
public sealed class BatchNorm3dAttribute : BatchNormAttribute
{
    /// <summary>Declares a BatchNorm3d for inputs of shape <c>(N, numFeatures, depth, height, width)</c>.</summary>
    public BatchNorm3dAttribute(int numFeatures, int depth, int height, int width)
        : base(numFeatures)
    {
        Depth = depth;
        Height = height;
        Width = width;
    }

    /// <summary>Depth D.</summary>
    public int Depth { get; }

    /// <summary>Height H.</summary>
    public int Height { get; }

    /// <summary>Width W.</summary>
    public int Width { get; }
}
