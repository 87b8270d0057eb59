using NormGen;

namespace Quickstart;

/// <summary>
/// A BatchNorm2d over 2 channels of 3 x 4 images, declared by attribute. NormGen generates the layer
/// (statistics, normalization, running-statistics update, parameters and buffers) at compile time.
/// </summary>
[BatchNorm2d(2, 3, 4)]
public partial class StemNorm
{
}
