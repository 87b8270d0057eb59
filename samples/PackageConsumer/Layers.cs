using NormGen;

namespace PackageConsumer;

/// <summary>BatchNorm2d over 8 channels of 4 x 4 images: input (N, 8, 4, 4).</summary>
[BatchNorm2d(8, 4, 4)]
public partial class ImageNorm
{
}

/// <summary>BatchNorm1d over 16 features without running statistics: input (N, 16); batch statistics in every mode.</summary>
[BatchNorm1d(16, TrackRunningStats = false, Eps = 1e-3)]
internal sealed partial class FeatureNorm
{
}

/// <summary>A layer nested in a (partial) containing type.</summary>
public static partial class Blocks
{
    /// <summary>BatchNorm1d over (N, 4, 10) sequences, PyTorch's momentum=None.</summary>
    [BatchNorm1d(4, Length = 10, CumulativeAverage = true)]
    public partial class SequenceNorm
    {
    }
}
