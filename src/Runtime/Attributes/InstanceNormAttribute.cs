namespace NormGen;

/// <summary>
/// Arguments shared by the InstanceNorm attributes, with PyTorch's defaults: statistics per sample and channel.
/// </summary>
public abstract class InstanceNormAttribute : NormalizationAttribute
{
    private protected InstanceNormAttribute(int numFeatures)
    {
        NumFeatures = numFeatures;
    }

    /// <summary>Added to the variance for numerical stability (PyTorch's <c>eps</c>). Default <c>1e-5</c>.</summary>
    public double Eps { get; set; } = 1e-5;

    /// <summary>Number of channels C.</summary>
    public int NumFeatures { get; }

    /// <summary>Weight of the new statistics in the running-statistics update. Default <c>0.1</c>.</summary>
    public double Momentum { get; set; } = 0.1;

    /// <summary>When true, the layer has learnable per-channel <c>weight</c> and <c>bias</c>. Default false.</summary>
    public bool Affine { get; set; }

    /// <summary>When true, the layer keeps running statistics and uses them in eval mode. Default false.</summary>
    public bool TrackRunningStats { get; set; }
}

/// <summary>Declares an InstanceNorm1d layer: input <c>(N, C, L)</c> (or unbatched <c>(C, L)</c> as a tensor).</summary>
public sealed class InstanceNorm1dAttribute : InstanceNormAttribute
{
    /// <summary>Declares an InstanceNorm1d for inputs of shape <c>(N, numFeatures, length)</c>.</summary>
    public InstanceNorm1dAttribute(int numFeatures, int length)
        : base(numFeatures)
    {
        Length = length;
    }

    /// <summary>Length L.</summary>
    public int Length { get; }
}

/// <summary>Declares an InstanceNorm2d layer: input <c>(N, C, H, W)</c> (or unbatched <c>(C, H, W)</c> as a tensor).</summary>
public sealed class InstanceNorm2dAttribute : InstanceNormAttribute
{
    /// <summary>Declares an InstanceNorm2d for inputs of shape <c>(N, numFeatures, height, width)</c>.</summary>
    public InstanceNorm2dAttribute(int numFeatures, int height, int width)
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

/// <summary>Declares an InstanceNorm3d layer: input <c>(N, C, D, H, W)</c> (or unbatched <c>(C, D, H, W)</c> as a tensor).</summary>
public sealed class InstanceNorm3dAttribute : InstanceNormAttribute
{
    /// <summary>Declares an InstanceNorm3d for inputs of shape <c>(N, numFeatures, depth, height, width)</c>.</summary>
    public InstanceNorm3dAttribute(int numFeatures, int depth, int height, int width)
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
